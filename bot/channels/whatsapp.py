"""WhatsApp Business (Cloud API): its webhook in, the Messages API out.

Events are checked against `X-Hub-Signature-256` over the raw body, committed, and acknowledged
at once (Meta wants a quick 200 and delivers again otherwise); the answers follow from a
background task, and after a crash from the relay's recovery. Statuses (delivered, read, failed)
are kept as delivery receipts. Photos, voice notes and locations get a polite "I can only read
text". Choices go as reply buttons (up to 3) or a list (up to 10 rows).

WhatsApp lets a business write freely for 24 hours after the person's last message. Past them,
only an approved template goes: a reminder as the reminder template (its text the one body
parameter, its buttons the template's quick replies), the study team's answer as the answer
template; the templates' names come from the trial's trial.yml (`channels: whatsapp:`) or the
settings. Nothing else is sent past the window.

A `wa.me` link opens the chat with "START <payload>" typed in (a participant's link code,
camp_<campaign>, trial_<trial>): sent, it is read as that referral.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import receipts, trials
from bot.channels import graph, pacing
from bot.channels.base import Accepted, Button, Inbound, NotDelivered, Purpose, Relaying, Reply
from bot.channels.graph import GraphClient, MetaChannel, Recipient, SendFailed
from bot.channels.registry import callback_url
from bot.channels.spec import ChannelSpec, Link
from bot.channels.text import shorten, split_text, to_plain
from bot.db.models import Participant
from bot.i18n import messages
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "whatsapp"
WEBHOOK_PATH = "/webhooks/whatsapp"
# The Cloud API's limits on what it accepts.
TEXT_LIMIT = 4096
BUTTON_LIMIT = 3
BUTTON_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
LIST_ROW_LIMIT = 10
LIST_BODY_LIMIT = 4096
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
TEMPLATE_PARAMETER_LIMIT = 1024
# Meta's pair rate limit: one message every 6 seconds to one person on average, after a burst
# of up to 45 (borrowed against the following minutes).
SECONDS_BETWEEN_MESSAGES_TO_A_PERSON = 6.0
BURST_TO_A_PERSON = 45
# Cloud API codes that say "try again later": throughput (130429), the pair rate limit (131056),
# the spam rate limit (131048), something went wrong (131000), service unavailable (131016,
# 133004).
TRANSIENT_CODES = frozenset({130429, 131000, 131016, 131048, 131056, 133004})
# Codes that say the person cannot be reached this way, as Meta documents them: trying again
# cannot help (the graph client fails these at once as final).
UNREACHABLE = {
    131026: "the number cannot receive this message (not on WhatsApp, or an old app)",
    131047: "over 24 hours since the person last wrote (WhatsApp's window)",
    131021: "the recipient is the business's own number",
    131030: "the number is not on the test number's allowed list",
    131050: "the person stopped marketing messages from the business",
    133010: "the business number is not registered",
}
# What a reply button or a wa.me link means when it carries no text the NLU should read.
GREETING = "/greet"
START = re.compile(r"\A\s*start\s+([A-Za-z0-9_\-]{3,100})\s*\Z", re.IGNORECASE)
CANNOT_READ = frozenset(
    {"image", "audio", "video", "document", "sticker", "location", "contacts", "unsupported"}
)
IGNORED = frozenset({"reaction", "system", "ephemeral", "request_welcome"})


class InvalidPayload(graph.InvalidEvent):
    """A webhook body that is not a WhatsApp Business Account event."""


@dataclass(frozen=True)
class Event:
    """One message a person sent that the assistant answers."""

    wa_id: str
    text: str | None  # None: something the assistant cannot read (a photo, a location)
    external_id: str  # the message's wamid
    referral: str | None = None


@dataclass(frozen=True)
class Events:
    """What one webhook body holds for this number."""

    messages: list[Event]
    statuses: list[receipts.Receipt]


def parse_events(payload: Any, phone_number_id: str) -> Events:
    """The messages and statuses of a webhook body that concern this number."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise InvalidPayload('"object" must be "whatsapp_business_account"')
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise InvalidPayload('an event needs an "entry" list')
    found = Events([], [])
    for value in _values(entries, phone_number_id):
        for item in _list(value.get("messages")):
            event = _event(item)
            if event is not None:
                found.messages.append(event)
        for item in _list(value.get("statuses")):
            status = _status(item)
            if status is not None:
                found.statuses.append(status)
    return found


def _values(entries: list[Any], phone_number_id: str) -> Iterator[dict[str, Any]]:
    """The "messages" changes for this number (another number of the account is not ours)."""
    for entry in entries:
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            metadata = value.get("metadata")
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            if str(number) == phone_number_id:
                yield value


def _event(item: Any) -> Event | None:
    if not isinstance(item, dict):
        return None
    wa_id, wamid, kind = _text(item.get("from")), _text(item.get("id")), item.get("type")
    if wa_id is None or wamid is None or kind in IGNORED:
        return None
    if kind == "text":
        body = _text(_dict(item.get("text")).get("body"))
        text = body.strip() if body and body.strip() else None
        start = START.match(text) if text else None
        if start:
            return Event(wa_id, GREETING, wamid, start.group(1))
        return Event(wa_id, text, wamid)
    if kind == "interactive":
        interactive = _dict(item.get("interactive"))
        chosen = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        return Event(wa_id, _text(chosen.get("id")) or _text(chosen.get("title")), wamid)
    if kind == "button":  # a template's quick reply
        button = _dict(item.get("button"))
        return Event(wa_id, _text(button.get("payload")) or _text(button.get("text")), wamid)
    if kind in CANNOT_READ:
        return Event(wa_id, None, wamid)
    log.info("a WhatsApp message of type %r was not answered", str(kind)[:32])
    return None


def _status(item: Any) -> receipts.Receipt | None:
    if not isinstance(item, dict):
        return None
    message_id, status = _text(item.get("id")), _text(item.get("status"))
    if message_id is None or status not in receipts.RANK:
        return None
    try:
        at = datetime.fromtimestamp(int(item.get("timestamp") or 0), UTC)
    except (TypeError, ValueError, OverflowError):
        at = datetime.now(UTC)
    error = None
    if status == "failed":
        first = _dict(next(iter(_list(item.get("errors"))), None))
        error = f"code {first.get('code')}: {first.get('title') or first.get('message') or '?'}"
    return receipts.Receipt(message_id[:128], status, at, error)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if isinstance(value, int):
        value = str(value)
    return value if isinstance(value, str) and value else None


# ---------------------------------------------------------------------------------------------
# Rendering


def render(reply: Reply, language: str) -> list[dict[str, Any]]:
    """One reply as Messages API objects (without "to"): text parts, then its choices."""
    parts = split_text(to_plain(reply.text or ""), TEXT_LIMIT)
    choices = [b for b in reply.buttons if not b.url]
    links = [b for b in reply.buttons if b.url]
    bodies: list[dict[str, Any]] = []
    if choices:
        last = parts.pop() if parts else None
        bodies = [_text_message(p) for p in parts]
        bodies.extend(_choices(choices, last, language))
    else:
        bodies = [_text_message(p) for p in parts]
    for link in links:
        body = link.title if not bodies or choices else bodies.pop()["text"]["body"]
        bodies.append(_link_message(link, body))
    if reply.image:
        bodies.append({"type": "image", "image": {"link": reply.image}})
    return bodies


def _text_message(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def _choices(choices: list[Button], text: str | None, language: str) -> list[dict[str, Any]]:
    """Up to 3 short choices as reply buttons; more, or longer, as a list of up to 10 rows
    (past 10, more lists), whose titles are longer and can go on over a second line."""
    if len(choices) <= BUTTON_LIMIT and all(len(b.title) <= BUTTON_TITLE_LIMIT for b in choices):
        bodies = []
        if text is not None and len(text) > BUTTON_BODY_LIMIT:
            # The buttons go under the end of the text ("Was this helpful?"), the rest above.
            head, text = _tail(text, BUTTON_BODY_LIMIT)
            bodies.append(_text_message(head))
        buttons = [
            {"type": "reply", "reply": {"id": _id(b, BUTTON_ID_LIMIT), "title": _cut(b.title)}}
            for b in choices
        ]
        body = text or messages.text("more_options", language)
        interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
        return [*bodies, {"type": "interactive", "interactive": interactive}]
    lists = []
    for start in range(0, len(choices), LIST_ROW_LIMIT):
        body = text if start == 0 and text else messages.text("more_options", language)
        rows = [_row(b) for b in choices[start : start + LIST_ROW_LIMIT]]
        action = {
            "button": _cut(messages.text("choose", language)),
            "sections": [{"rows": rows}],
        }
        interactive = {"type": "list", "body": {"text": body}, "action": action}
        lists.append({"type": "interactive", "interactive": interactive})
    return lists


def _row(button: Button) -> dict[str, str]:
    """A list row: a title too long for one goes on in the row's second line."""
    title, rest = button.title, ""
    if len(title) > ROW_TITLE_LIMIT:
        cut = title.rfind(" ", 0, ROW_TITLE_LIMIT + 1)
        if cut > 0:
            title, rest = title[:cut], title[cut + 1 :]
        else:
            title, rest = _cut(title, ROW_TITLE_LIMIT), title
    row = {"id": _id(button, ROW_ID_LIMIT), "title": title}
    if rest:
        row["description"] = _cut(rest, ROW_DESCRIPTION_LIMIT)
    return row


def _tail(text: str, limit: int) -> tuple[str, str]:
    """`text` as what comes before and its last paragraphs that fit in `limit` characters."""
    paragraphs = text.split("\n\n")
    start = len(paragraphs)
    while start > 1 and len("\n\n".join(paragraphs[start - 1 :])) <= limit:
        start -= 1
    if start == len(paragraphs):  # even the last paragraph is too long: its last part
        *head, last = split_text(text, limit)
        return "\n\n".join(head), last
    return "\n\n".join(paragraphs[:start]), "\n\n".join(paragraphs[start:])


def _link_message(button: Button, body: str) -> dict[str, Any]:
    parameters = {"display_text": _cut(button.title), "url": button.url}
    interactive = {
        "type": "cta_url",
        "body": {"text": body[:BUTTON_BODY_LIMIT]},
        "action": {"name": "cta_url", "parameters": parameters},
    }
    return {"type": "interactive", "interactive": interactive}


def _id(button: Button, limit: int) -> str:
    """What the choice sends back: its payload; the title, which the NLU reads, when the payload
    is too long for WhatsApp."""
    payload = button.payload or button.title
    return payload if len(payload) <= limit else button.title[:limit]


def _cut(title: str, limit: int = BUTTON_TITLE_LIMIT) -> str:
    return shorten(title, limit)


# ---------------------------------------------------------------------------------------------
# Templates, past the 24-hour window


@dataclass(frozen=True)
class Template:
    name: str
    language: str  # the template's language code (en, en_GB, fr)


class Templates:
    """Which approved template carries a message of each purpose, by trial and language."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._catalogue = trials.shared(settings.knowledge_dir)
        self._languages = _pairs(settings.whatsapp_template_languages)

    def choose(self, purpose: Purpose, trial: str | None, language: str) -> Template | None:
        """The template for `purpose`; None for a purpose no template carries (a late reply)."""
        setting = {
            "reminder": ("reminder_template", self._settings.whatsapp_reminder_template),
            "human_answer": ("answer_template", self._settings.whatsapp_answer_template),
        }.get(purpose)
        if setting is None:
            return None
        key, default = setting
        options = self._catalogue.get().get(trial or "")
        own = options.channels.get(NAME, {}) if options else {}
        languages = {**self._languages, **_dict(own.get("template_languages"))}
        name = own.get(key) or default
        return Template(str(name), str(languages.get(language) or language))


def template_message(template: Template, reply: Reply) -> dict[str, Any]:
    """A reply as the template's one body parameter, its buttons as the quick replies."""
    text = " ".join(to_plain(reply.text or "").split())  # a parameter holds no line breaks
    if len(text) > TEMPLATE_PARAMETER_LIMIT:
        text = text[: TEMPLATE_PARAMETER_LIMIT - 1].rstrip() + "…"
    components: list[dict[str, Any]] = [
        {"type": "body", "parameters": [{"type": "text", "text": text}]}
    ]
    for index, button in enumerate(b for b in reply.buttons if not b.url):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": _id(button, BUTTON_ID_LIMIT)}],
            }
        )
    body = {"name": template.name, "language": {"code": template.language}}
    return {"type": "template", "template": {**body, "components": components}}


def _pairs(value: str) -> dict[str, str]:
    pairs = (item.partition(":") for item in value.split(","))
    return {key.strip(): code.strip() for key, _, code in pairs if key.strip() and code.strip()}


# ---------------------------------------------------------------------------------------------
# The adapter


def graph_client(settings: Settings) -> GraphClient:
    """The Messages API of the business number, with the access token."""
    token = settings.whatsapp_access_token
    if token is None or not settings.whatsapp_phone_number_id:
        raise ValueError("WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID are needed")
    return GraphClient(
        settings.graph_api_base_url,
        f"/{settings.graph_api_version}/{settings.whatsapp_phone_number_id}/messages",
        platform="WhatsApp",
        headers={"Authorization": f"Bearer {token.get_secret_value()}"},
        transient_codes=TRANSIENT_CODES,
    )


class WhatsAppChannel(MetaChannel[Events]):
    """The business number: takes webhook events in, sends answers and late messages out."""

    name = NAME
    title = "WhatsApp"

    def __init__(
        self,
        settings: Settings,
        relay: Relaying[Any],
        sessions: sessionmaker[Session],
        *,
        client: GraphClient | None = None,
        schedule: pacing.Schedule | None = None,
    ) -> None:
        super().__init__(
            settings,
            relay,
            sessions,
            app_secret=settings.whatsapp_app_secret,
            verify_token=settings.whatsapp_verify_token,
            prefix="WHATSAPP",
        )
        self._phone_number_id = settings.whatsapp_phone_number_id
        self._client = client or graph_client(settings)
        self._schedule = schedule or pacing.shared(
            settings,
            NAME,
            self._phone_number_id,
            settings.whatsapp_messages_per_second,
            SECONDS_BETWEEN_MESSAGES_TO_A_PERSON,
            BURST_TO_A_PERSON,
        )
        self._templates = Templates(settings)

    def parse(self, payload: Any) -> Events:
        return parse_events(payload, self._phone_number_id)

    async def receive(self, events: Events) -> None:
        """Keep the statuses, commit each message, then answer it in the background: the
        webhook returns once every message is committed, after its safety check."""
        if events.statuses:
            await asyncio.to_thread(self._record, events.statuses)
        for event in events.messages:
            if event.text is None:
                # Once, however often the platform delivers it.
                first = await asyncio.to_thread(
                    self._relay.first_delivery, NAME, event.wa_id, event.external_id
                )
                if first:
                    self.in_background(self._say_text_only(event))
                continue
            accepted = await self._relay.accept(
                Inbound(
                    channel=NAME,
                    user_id=event.wa_id,
                    text=event.text,
                    external_id=event.external_id,
                    address=event.wa_id,
                    referral=event.referral,
                )
            )
            if accepted is not None:
                self.in_background(self._answer(event, accepted))

    async def stop(self) -> None:
        await self.drain()
        await self._client.aclose()
        await self._schedule.aclose()

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        """Within 24 hours of the person's last message, anything; past them, a reminder or
        the study team's answer as its approved template, and nothing else."""
        person = await asyncio.to_thread(self.recipient, conversation_id)
        if person.in_window():
            return await self._send(person.address, replies, person.language)
        trial = await asyncio.to_thread(self._trial_of, person)
        template = self._templates.choose(purpose, trial, person.language)
        if template is None:
            raise NotDelivered("the person last wrote over 24 hours ago (WhatsApp's window)")
        sent = []
        for reply in replies:
            if reply.text:
                sent.append(await self._post(person.address, template_message(template, reply)))
        return sent

    async def _answer(self, event: Event, accepted: Accepted) -> None:
        await self._mark_read(event.external_id)
        replies = await self._relay.answer(accepted)
        await self._send(event.wa_id, replies, accepted.turn.language)

    async def _say_text_only(self, event: Event) -> None:
        language = await asyncio.to_thread(self.language_of, event.wa_id)
        await self._send(event.wa_id, [Reply(text=messages.text("text_only", language))], language)

    async def _send(self, wa_id: str, replies: list[Reply], language: str) -> list[str]:
        sent: list[str] = []
        for reply in replies:
            for message in render(reply, language):
                sent.append(await self._post(wa_id, message))
        return sent

    async def _post(self, wa_id: str, message: dict[str, Any]) -> str:
        """Send one message, paced; its wamid. A person who cannot be reached fails as final."""
        wait = await self._schedule.reserve(wa_id)
        if wait > 0:
            await asyncio.sleep(wait)
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id}
        try:
            answer = await self._client.send({**body, **message})
        except SendFailed as error:
            if error.code in UNREACHABLE:
                raise SendFailed(UNREACHABLE[error.code], final=True, code=error.code) from error
            raise
        sent = answer.get("messages")
        first = sent[0] if isinstance(sent, list) and sent and isinstance(sent[0], dict) else {}
        return str(first.get("id", ""))

    async def _mark_read(self, wamid: str) -> None:
        """The blue ticks and "typing…" while the answer is prepared."""
        body = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
            "typing_indicator": {"type": "text"},
        }
        try:
            await self._client.send(body)
        except SendFailed as error:
            log.info("WhatsApp message not marked as read: %s", error)

    def _record(self, statuses: list[receipts.Receipt]) -> None:
        for receipt in statuses:
            if receipt.status == "failed":
                log.warning("WhatsApp could not deliver a message: %s", receipt.error)
        for attempt in (1, 2):  # another gateway may record the same message's first receipt
            try:
                with self._sessions.begin() as session:
                    receipts.record(session, NAME, statuses)
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def _trial_of(self, person: Recipient) -> str | None:
        """The trial whose templates a late message goes with: the participant's, else the one
        a link named in the conversation."""
        with self._sessions() as session:
            trial = session.scalar(
                select(Participant.trial).where(Participant.sender_key == person.sender_key)
            )
        return trial or person.trial


router = graph.webhook_routes(NAME, WEBHOOK_PATH, "WhatsApp", "a WhatsApp Business Account event")


CHANNEL = ChannelSpec(
    name=NAME,
    title="WhatsApp",
    enabled=lambda settings: settings.whatsapp_enabled,
    build=WhatsAppChannel,
    routes=router,
    # A wa.me link: the chat opens with "START <payload>" typed in, which the person sends.
    link=Link("https://wa.me/{account}?text=START%20{payload}", "WHATSAPP_PHONE_NUMBER"),
    describe=lambda settings: (
        f"on; Meta's callback URL is {callback_url(settings, WEBHOOK_PATH)}"
        if settings.whatsapp_enabled
        else "off (set WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_APP_SECRET)"
    ),
)
