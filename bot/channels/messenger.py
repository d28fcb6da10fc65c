"""Facebook Messenger: the Messenger Platform webhook in, the Send API out.

Events are checked against `X-Hub-Signature-256`, committed, and acknowledged at once (Meta
wants a quick 200); the answers follow from a background task, and after a crash from the
relay's recovery. Anything the assistant sends on its own respects the 24-hour window.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.channels import graph
from bot.channels.base import Accepted, Button, Inbound, NotDelivered, Purpose, Relaying, Reply
from bot.channels.graph import GraphClient, MetaChannel, SendFailed
from bot.channels.registry import callback_url
from bot.channels.spec import ChannelSpec, Link
from bot.channels.text import MESSENGER_TEXT_LIMIT, shorten, split_text, to_plain
from bot.i18n import messages
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "messenger"
WEBHOOK_PATH = "/webhooks/messenger"
QUICK_REPLY_LIMIT = 13
TEMPLATE_BUTTON_LIMIT = 3
TEMPLATE_TEXT_LIMIT = 640
TITLE_LIMIT = 20
PAYLOAD_LIMIT = 1000
# What the Get Started button and a bare referral mean: a greeting.
GREETING = "/greet"
# Past the 24-hour window, a message needs a tag saying what it is: a reminder is an update of a
# confirmed event; a study team's answer is a human agent's (allowed for 7 days).
REMINDER_TAG = "CONFIRMED_EVENT_UPDATE"
HUMAN_AGENT_TAG = "HUMAN_AGENT"
TAGS: dict[Purpose, str] = {"reminder": REMINDER_TAG, "human_answer": HUMAN_AGENT_TAG}


class InvalidPayload(graph.InvalidEvent):
    """A webhook body that is not a Messenger page event."""


@dataclass(frozen=True)
class Event:
    """One thing a person did in Messenger that the assistant answers."""

    psid: str
    text: str | None  # None: something the assistant cannot read (a photo, a voice note)
    external_id: str
    referral: str | None = None


def parse_events(payload: Any) -> list[Event]:
    """The events of a webhook body worth answering; echoes, reads and deliveries are skipped."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise InvalidPayload('not a page event: "object" must be "page"')
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise InvalidPayload('a page event needs an "entry" list')
    events: list[Event] = []
    for entry in entries:
        items = entry.get("messaging") if isinstance(entry, dict) else None
        for item in items if isinstance(items, list) else ():
            event = _event(item) if isinstance(item, dict) else None
            if event is not None:
                events.append(event)
    return events


def _event(item: dict[str, Any]) -> Event | None:
    sender = item.get("sender")
    psid = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(psid, str | int) or not str(psid).strip():
        return None
    psid = str(psid)
    stamp = f"{psid}:{item.get('timestamp', '')}"
    message, postback, referral = (_dict(item.get(k)) for k in ("message", "postback", "referral"))
    if message is not None:
        if message.get("is_echo"):
            return None
        mid = _text(message.get("mid")) or f"message:{stamp}"
        quick = _dict(message.get("quick_reply"))
        chosen = _text(quick.get("payload")) if quick else None
        text = chosen or _text(message.get("text"))
        return Event(psid, text.strip() if text and text.strip() else None, mid)
    if postback is not None:
        mid = _text(postback.get("mid")) or f"postback:{stamp}"
        payload = _text(postback.get("payload")) or _text(postback.get("title")) or GREETING
        ref = _ref(_dict(postback.get("referral")))
        return Event(psid, GREETING if payload == "GET_STARTED" else payload, mid, ref)
    if referral is not None:
        return Event(psid, GREETING, f"referral:{stamp}", _ref(referral))
    return None


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _ref(referral: dict[str, Any] | None) -> str | None:
    return _text(referral.get("ref")) if referral else None


def render(reply: Reply, language: str) -> list[dict[str, Any]]:
    """One reply as Send API message objects: text parts, then its buttons."""
    parts = split_text(to_plain(reply.text or ""), MESSENGER_TEXT_LIMIT)
    choices = [b for b in reply.buttons if not b.url]
    if reply.buttons and len(choices) == len(reply.buttons) and len(choices) <= QUICK_REPLY_LIMIT:
        # Quick replies: they sit above the keyboard and vanish once one is tapped.
        last = parts.pop() if parts else "👇"
        quick = [_quick_reply(b) for b in choices]
        return [*({"text": p} for p in parts), {"text": last, "quick_replies": quick}]
    bodies: list[dict[str, Any]] = [{"text": p} for p in parts]
    if reply.buttons:
        first_text = (
            bodies.pop()["text"] if bodies and len(parts[-1]) <= TEMPLATE_TEXT_LIMIT else None
        )
        bodies.extend(_templates(list(reply.buttons), first_text, language))
    if reply.image:
        bodies.append({"attachment": {"type": "image", "payload": {"url": reply.image}}})
    return bodies


def _templates(
    buttons: list[Button], first_text: str | None, language: str
) -> list[dict[str, Any]]:
    """Buttons three to a template; the ones past the first three follow in more templates."""
    templates = []
    for start in range(0, len(buttons), TEMPLATE_BUTTON_LIMIT):
        text = first_text if start == 0 and first_text else messages.text("more_options", language)
        group = buttons[start : start + TEMPLATE_BUTTON_LIMIT]
        payload = {
            "template_type": "button",
            "text": text,
            "buttons": [_template_button(b) for b in group],
        }
        templates.append({"attachment": {"type": "template", "payload": payload}})
    return templates


def _quick_reply(button: Button) -> dict[str, str]:
    payload = (button.payload or button.title)[:PAYLOAD_LIMIT]
    return {"content_type": "text", "title": _title(button.title), "payload": payload}


def _template_button(button: Button) -> dict[str, str]:
    if button.url:
        return {"type": "web_url", "url": button.url, "title": _title(button.title)}
    payload = (button.payload or button.title)[:PAYLOAD_LIMIT]
    return {"type": "postback", "title": _title(button.title), "payload": payload}


def _title(title: str) -> str:
    return shorten(title, TITLE_LIMIT)


def graph_client(settings: Settings) -> GraphClient:
    """The Send API, with the page's token and its proof of the app secret."""
    token, secret = settings.messenger_page_token, settings.messenger_app_secret
    if token is None or secret is None:
        raise ValueError("MESSENGER_PAGE_TOKEN and MESSENGER_APP_SECRET are needed")
    page_token = token.get_secret_value()
    proof = hmac.new(secret.get_secret_value().encode(), page_token.encode(), hashlib.sha256)
    return GraphClient(
        settings.graph_api_base_url,
        f"/{settings.graph_api_version}/me/messages",
        platform="Send API",
        params={"access_token": page_token, "appsecret_proof": proof.hexdigest()},
    )


class MessengerChannel(MetaChannel[list[Event]]):
    """The Messenger page: takes webhook events in, sends answers and late messages out."""

    name = NAME
    title = "Messenger"

    def __init__(
        self,
        settings: Settings,
        relay: Relaying[Any],
        sessions: sessionmaker[Session],
        *,
        graph: GraphClient | None = None,
    ) -> None:
        super().__init__(
            settings,
            relay,
            sessions,
            app_secret=settings.messenger_app_secret,
            verify_token=settings.messenger_verify_token,
            prefix="MESSENGER",
        )
        self._graph = graph or graph_client(settings)

    def parse(self, payload: Any) -> list[Event]:
        return parse_events(payload)

    async def receive(self, events: list[Event]) -> None:
        """Commit each event, then answer it in the background: the webhook returns once every
        event is committed, after its safety check (the NLU's reading waits 3 s at most)."""
        for event in events:
            if event.text is None:
                # Once, however often the platform delivers it.
                first = await asyncio.to_thread(
                    self._relay.first_delivery, NAME, event.psid, event.external_id
                )
                if first:
                    self.in_background(self._say_text_only(event.psid))
                continue
            accepted = await self._relay.accept(
                Inbound(
                    channel=NAME,
                    user_id=event.psid,
                    text=event.text,
                    external_id=event.external_id,
                    address=event.psid,
                    referral=event.referral,
                )
            )
            if accepted is not None:
                self.in_background(self._answer(event.psid, accepted))

    async def aclose(self) -> None:
        await self.drain()
        await self._graph.aclose()

    async def stop(self) -> None:
        await self.aclose()

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        """Within 24 hours of the person's last message, anything; past them, only what a tag
        allows (a reminder, the study team's answer)."""
        tag = tag_for(purpose)
        person = await asyncio.to_thread(self.recipient, conversation_id)
        if person.in_window():
            envelope = {"messaging_type": "UPDATE" if tag else "RESPONSE"}
        elif tag:
            envelope = {"messaging_type": "MESSAGE_TAG", "tag": tag}
        else:
            raise NotDelivered("the person last wrote over 24 hours ago (Messenger's window)")
        # SendFailed is NotDelivered.
        return await self._send(person.address, replies, person.language, envelope)

    async def _answer(self, psid: str, accepted: Accepted) -> None:
        await self._sender_action(psid, "typing_on")
        replies = await self._relay.answer(accepted)
        await self._send(psid, replies, accepted.turn.language, {"messaging_type": "RESPONSE"})

    async def _say_text_only(self, psid: str) -> None:
        language = await asyncio.to_thread(self.language_of, psid)
        text = messages.text("text_only", language)
        await self._send(psid, [Reply(text=text)], language, {"messaging_type": "RESPONSE"})

    async def _send(
        self, psid: str, replies: list[Reply], language: str, envelope: dict[str, str]
    ) -> list[str]:
        sent: list[str] = []
        for reply in replies:
            for message in render(reply, language):
                body = {"recipient": {"id": psid}, **envelope, "message": message}
                answer = await self._graph.send(body)
                sent.append(str(answer.get("message_id", "")))
        return sent

    async def _sender_action(self, psid: str, action: str) -> None:
        try:
            await self._graph.send({"recipient": {"id": psid}, "sender_action": action})
        except SendFailed as error:
            log.info("typing indicator not shown: %s", error)


def tag_for(purpose: Purpose) -> str | None:
    """The message tag a message of this purpose may go with past the 24-hour window."""
    return TAGS.get(purpose)


router = graph.webhook_routes(NAME, WEBHOOK_PATH, "Messenger", "a Messenger page event")


CHANNEL = ChannelSpec(
    name=NAME,
    title="Messenger",
    enabled=lambda settings: settings.messenger_enabled,
    build=MessengerChannel,
    routes=router,
    # An m.me link: the payload comes as the conversation's referral.
    link=Link("https://m.me/{account}?ref={payload}", "MESSENGER_PAGE_NAME"),
    describe=lambda settings: (
        f"on; Meta's callback URL is {callback_url(settings, WEBHOOK_PATH)}"
        if settings.messenger_enabled
        else "off (set MESSENGER_PAGE_TOKEN and MESSENGER_APP_SECRET)"
    ),
)
