"""Consent in the conversation: ask with the exact text, record yes or no, withdraw, erase."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language
from actions.knowledge import answer_instead, stop_treatment
from bot import wording
from bot.consent import copy, ledger, service
from bot.consent.texts import PURPOSES, ConsentText
from bot.db.models import ConsentRecord
from bot.db.session import default_sessions
from bot.i18n import messages
from bot.rights import erasure, withdrawal
from bot.settings import get_settings


@functools.cache
def consent_texts() -> service.ConsentTexts:
    return service.ConsentTexts(get_settings().knowledge_dir)


def purpose(consent_id: str, lang: str) -> str:
    return PURPOSES.get(consent_id, {}).get(lang, consent_id)


def _link(sha256: str, sender_key: str) -> str | None:
    """Where the whole text can be read: absolute with PUBLIC_URL, else only in the web chat."""
    return _address(f"/consent/{sha256}", sender_key)


def _address(path: str, sender_key: str) -> str | None:
    """`path` on the gateway as the person can open it: absolute with PUBLIC_URL, else only in
    the web chat (which is on the gateway)."""
    public = get_settings().public_url
    if public:
        return f"{public.rstrip('/')}{path}"
    return path if service.channel_of(sender_key) == "web" else None


@functools.cache
def _copy_tokens() -> copy.Tokens:
    """The copies' link signer, its key derived once per process (the secret may be a file)."""
    return copy.Tokens(get_settings().pseudonym_secret())


def offer_copies(
    dispatcher: CollectingDispatcher, tracker: Tracker, records: list[ConsentRecord]
) -> None:
    """A link to the person's copy of each decision just recorded (a PDF, bot.consent.copy)."""
    tokens = _copy_tokens()
    lang = language(tracker)
    for record in records:
        url = _address(f"/consent/copy/{tokens.issue(record)}", tracker.sender_id)
        if url is not None:
            title = purpose(record.consent_id, lang)
            text = messages.text("consent_copy", lang, title=title[:1].upper() + title[1:], url=url)
            dispatcher.utter_message(text=text)


def ask(dispatcher: CollectingDispatcher, tracker: Tracker, consent_id: str) -> list[EventType]:
    """Show the consent text and ask; nothing is recorded until the person answers."""
    lang = language(tracker)
    with default_sessions().begin() as session:
        shown = service.to_ask(session, consent_texts().get(), tracker.sender_id, consent_id, lang)
    if shown is None:
        return []
    show(dispatcher, shown, tracker.sender_id)
    return [SlotSet("awaiting", "consent"), SlotSet("consent_text", shown.reference)]


def show(dispatcher: CollectingDispatcher, shown: ConsentText, sender_key: str) -> None:
    dispatcher.utter_message(
        response="utter_consent_intro", consent_title=shown.title, consent_version=shown.version
    )
    for piece in shown.messages():
        dispatcher.utter_message(json_message={"text": piece})  # one message, paragraphs kept
    _question(dispatcher, shown, sender_key)


def _question(dispatcher: CollectingDispatcher, shown: ConsentText, sender_key: str) -> None:
    """ "Please answer Yes or No", with the buttons that record the answer to `shown`."""
    link = _link(shown.sha256, sender_key)
    choice = {"consent_text": shown.reference}
    buttons = [
        {"title": title, "payload": "/consent_decision" + _json({**choice, "decision": value})}
        for title, value in (
            (("Oui, j'accepte", "yes"), ("Non", "no"))
            if shown.lang == "fr"
            else (("Yes, I agree", "yes"), ("No", "no"))
        )
    ]
    dispatcher.utter_message(
        response="utter_consent_question_link" if link else "utter_consent_question",
        consent_link=link or "",
        buttons=buttons,
    )


def _json(values: dict[str, str]) -> str:
    return json.dumps(values, separators=(",", ":"))


def waiting_for_answer(tracker: Tracker) -> bool:
    """Whether a consent question, asked at most two messages ago, still waits for its answer.

    Further back, the person has moved on: their questions are answered without a reminder.
    """
    if tracker.get_slot("awaiting") != "consent" or tracker.active_loop_name is not None:
        return False
    # Since its text was shown (a reminder does not count: it would remind for ever).
    return _set_within(tracker, "consent_text", messages=3)


def remind(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Under a message that did not answer it: the consent question again, without its text
    (it is just above), with the buttons in today's language; a typed yes or no right under it
    answers it."""
    asked = str(tracker.get_slot("consent_text") or "").split(":")[0]
    shown = next((t for t in consent_texts().get().texts if t.sha256 == asked), None)
    if shown is None:
        return []
    if shown.lang != language(tracker):
        # Asked in the other language: the same consent's text in this one, as a new question.
        return ask_again(dispatcher, tracker)
    dispatcher.utter_message(response="utter_consent_waiting", consent_title=shown.title)
    _question(dispatcher, shown, tracker.sender_id)
    return [SlotSet("awaiting", "consent")]


def ask_again(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The consent that was being asked, shown again with its buttons in today's language: the
    old buttons may be in another language, or gone from the page."""
    asked = str(tracker.get_slot("consent_text") or "").split(":")[0]
    shown = next((t for t in consent_texts().get().texts if t.sha256 == asked), None)
    return ask(dispatcher, tracker, shown.id) if shown is not None else []


def just_asked(tracker: Tracker, awaiting: str) -> bool:
    """Whether the assistant's last turn, just before this message, asked `awaiting`.

    A typed "yes" only answers the question right above it: never one asked earlier and left.
    """
    return _set_within(tracker, "awaiting", messages=1, value=awaiting)


def _set_within(tracker: Tracker, slot: str, messages: int, value: str | None = None) -> bool:
    """Whether `slot` was set (to `value`, or to anything) after one of the person's last
    `messages` messages (1: in the turn right before this message)."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users > messages:
                return False
        elif (
            users >= 1
            and event.get("event") == "slot"
            and event.get("name") == slot
            and event.get("value") is not None
            and value in (None, event.get("value"))
        ):
            return True
    return False


def _confirmed(tracker: Tracker, awaiting: str) -> bool | None:
    """True / False for a yes / no right under the question `awaiting`; None otherwise."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent not in ("affirm", "deny") or not just_asked(tracker, awaiting):
        return None
    return bool(intent == "affirm")


def _leave_any_form() -> list[EventType]:
    """Withdrawal and erasure end any questions under way (the same events with none)."""
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionWithdrawConsent(Action):
    """Say what was agreed and what withdrawing stops, and ask to confirm."""

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if wording.asks_whether_one_may_leave(str(tracker.latest_message.get("text") or "")):
            # "can i quit anytime?" asks about a right; withdrawing takes explicit words.
            return await answer_instead(dispatcher, tracker, misread="withdraw_consent")
        given = await asyncio.to_thread(_granted, tracker.sender_id)
        if given:
            purposes = "; ".join(purpose(consent, language(tracker)) for consent in given)
            dispatcher.utter_message(response="utter_withdraw_confirm", consents=purposes)
        else:
            dispatcher.utter_message(response="utter_withdraw_nothing")
        return [*_leave_any_form(), SlotSet("awaiting", "withdraw")]


def _granted(sender_key: str) -> list[str]:
    with default_sessions()() as session:
        return list(ledger.granted(session, sender_key))


class ActionWithdrawConfirmed(Action):
    """The answer to the withdrawal question: withdraw everything and stop all messages."""

    def name(self) -> str:
        return "action_withdraw_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        done: list[EventType] = [SlotSet("awaiting", None)]
        confirmed = _confirmed(tracker, "withdraw")
        if not confirmed:
            dispatcher.utter_message(response="utter_withdraw_kept")
            return done
        lang = language(tracker)
        with default_sessions().begin() as session:
            records = withdrawal.withdraw(session, tracker.sender_id)
        if not records:
            dispatcher.utter_message(response="utter_withdraw_nothing")
            return done
        purposes = "; ".join(purpose(record.consent_id, lang) for record in records)
        dispatcher.utter_message(
            response="utter_withdraw_done",
            consents=purposes,
            withdrawn_date=records[-1].recorded_at.date().isoformat(),
        )
        offer_copies(dispatcher, tracker, records)
        return [*done, SlotSet("consent_text", None)]


class ActionEraseData(Action):
    """Say what erasure deletes, and ask to confirm."""

    def name(self) -> str:
        return "action_erase_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_erase_confirm")
        return [*_leave_any_form(), SlotSet("awaiting", "erase")]


class ActionEraseConfirmed(Action):
    """The answer to the erasure question: the gateway erases once this turn is saved."""

    def name(self) -> str:
        return "action_erase_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not _confirmed(tracker, "erase"):
            dispatcher.utter_message(response="utter_erase_kept")
            return [SlotSet("awaiting", None)]
        await asyncio.to_thread(self._request, tracker.sender_id)
        dispatcher.utter_message(response="utter_erase_done")
        dispatcher.utter_message(json_message={erasure.ERASE_MARKER: True})
        return [SlotSet("awaiting", None)]

    @staticmethod
    def _request(sender_key: str) -> None:
        with default_sessions().begin() as session:
            erasure.request_erasure(session, sender_key)


class ActionStopMessages(Action):
    """A "stop": nothing more on the assistant's own initiative; answers to the person go on."""

    def name(self) -> str:
        return "action_stop_messages"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        if wording.stops_treatment(text):
            # "should i stop using the inhaler?" asks about the study treatment: told not on
            # their own, with the team's number; nothing is stopped.
            stop_treatment(dispatcher, tracker)
            return [FollowupAction(tracker.active_loop_name or "action_listen")]
        if wording.is_question(text) and len(text.split()) > 2:
            # Another question read as a "stop": answered, and the misreading is a gap for staff.
            return await answer_instead(dispatcher, tracker, misread="stop_messages")
        await asyncio.to_thread(self._stop, tracker.sender_id)
        dispatcher.utter_message(response="utter_messages_stopped")
        return []

    @staticmethod
    def _stop(sender_key: str) -> None:
        with default_sessions().begin() as session:
            withdrawal.stop_messages(session, sender_key)
