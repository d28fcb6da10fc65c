"""The same conversation on Telegram, Messenger, WhatsApp and the web chat, through the real
gateway, Rasa, action server and reminder dispatcher; the platforms are local fakes that speak
their wire formats.

A participant added by staff opens their link, agrees to reminders, is reminded of a visit and
confirms it with one tap, asks a question and gets the vetted answer, and starts a
pre-screening for another trial; in English and in French.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import Stack
from tests.fakes import graph, telegram, whatsapp

pytestmark = pytest.mark.e2e

QUIET = 2.0  # seconds without a new message: the assistant has finished answering


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str  # what a tap sends back (a callback's data, a reply button's id…)
    kind: str = ""  # the platform's kind of button, where taps differ (quick reply, postback)


@dataclass(frozen=True)
class Said:
    """One message of the assistant, as the person sees it on any platform."""

    text: str
    choices: tuple[Choice, ...] = ()


class Person(abc.ABC):
    """Someone on one platform: what they do there, and everything the assistant sent them."""

    def __init__(self, stack: Stack, who: str, lang: str) -> None:
        self.stack, self.who, self.lang = stack, who, lang

    @abc.abstractmethod
    def received(self) -> list[Said]:
        """Every message the assistant sent this person, in order."""

    @abc.abstractmethod
    def _open(self, link: str) -> None: ...

    @abc.abstractmethod
    def _say(self, text: str) -> None: ...

    @abc.abstractmethod
    def _tap(self, choice: Choice) -> None: ...

    def opens(self, link: str) -> list[Said]:
        return self._turn(lambda: self._open(link))

    def says(self, text: str) -> list[Said]:
        return self._turn(lambda: self._say(text))

    def taps(self, said: list[Said], title: str) -> list[Said]:
        (choice,) = [c for message in said for c in message.choices if c.title == title]
        return self._turn(lambda: self._tap(choice))

    def waits(self, before: int, timeout: float = 40) -> list[Said]:
        """What arrives after the first `before` messages, once something has."""
        deadline = time.monotonic() + timeout
        while len(self.received()) <= before:
            assert time.monotonic() < deadline, f"nothing arrived on {type(self).__name__}"
            time.sleep(0.2)
        return self._settled(before)

    def _turn(self, action: Callable[[], None]) -> list[Said]:
        before = len(self.received())
        action()
        return self.waits(before)

    def _settled(self, before: int) -> list[Said]:
        count, quiet_since = len(self.received()), time.monotonic()
        while time.monotonic() - quiet_since < QUIET:
            time.sleep(0.1)
            if len(self.received()) != count:
                count, quiet_since = len(self.received()), time.monotonic()
        return self.received()[before:]


class OnTelegram(Person):
    def __init__(self, stack: Stack, chat: int, lang: str) -> None:
        super().__init__(stack, str(chat), lang)
        self.chat = chat

    def received(self) -> list[Said]:
        return [
            Said(
                m.get("text", ""),
                tuple(
                    Choice(b["text"], b["callback_data"])
                    for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                    if "callback_data" in b
                ),
            )
            for m in self.stack.bot_api.sent_messages(self.chat)
        ]

    def _open(self, link: str) -> None:
        (payload,) = parse_qs(urlsplit(link).query)["start"]
        assert self.stack.telegram(
            telegram.message_update(self.chat, f"/start {payload}", language_code=self.lang)
        ).is_success

    def _say(self, text: str) -> None:
        assert self.stack.telegram(
            telegram.message_update(self.chat, text, language_code=self.lang)
        ).is_success

    def _tap(self, choice: Choice) -> None:
        assert self.stack.telegram(
            telegram.callback_update(self.chat, choice.payload, language_code=self.lang)
        ).is_success


class OnMessenger(Person):
    def received(self) -> list[Said]:
        return [_messenger_said(body["message"]) for body in self.stack.graph_api.sent(self.who)]

    def _open(self, link: str) -> None:
        (ref,) = parse_qs(urlsplit(link).query)["ref"]
        event = graph.postback_event(self.who, "Get Started", "GET_STARTED", referral={"ref": ref})
        assert self.stack.messenger(event).is_success

    def _say(self, text: str) -> None:
        assert self.stack.messenger(graph.text_event(self.who, text)).is_success

    def _tap(self, choice: Choice) -> None:
        if choice.kind == "quick_reply":
            event = graph.quick_reply_event(self.who, choice.title, choice.payload)
        else:
            event = graph.postback_event(self.who, choice.title, choice.payload)
        assert self.stack.messenger(event).is_success


def _messenger_said(message: dict[str, Any]) -> Said:
    if "attachment" in message:
        payload = message["attachment"].get("payload", {})
        buttons = payload.get("buttons", [])
        return Said(
            payload.get("text", ""),
            tuple(Choice(b["title"], b.get("payload", ""), "postback") for b in buttons),
        )
    quick = message.get("quick_replies", [])
    return Said(
        message.get("text", ""),
        tuple(Choice(q["title"], q["payload"], "quick_reply") for q in quick),
    )


class OnWhatsApp(Person):
    def received(self) -> list[Said]:
        return [_whatsapp_said(body) for body in self.stack.cloud_api.whatsapp_sent(self.who)]

    def _open(self, link: str) -> None:
        (text,) = parse_qs(urlsplit(link).query)["text"]  # typed in by the link; sent
        self._say(text)

    def _say(self, text: str) -> None:
        assert self.stack.whatsapp(whatsapp.text_message(self.who, text)).is_success

    def _tap(self, choice: Choice) -> None:
        if choice.kind == "list":
            event = whatsapp.list_reply(self.who, choice.payload, choice.title)
        else:
            event = whatsapp.button_reply(self.who, choice.payload, choice.title)
        assert self.stack.whatsapp(event).is_success


def _whatsapp_said(body: dict[str, Any]) -> Said:
    if body["type"] == "text":
        return Said(body["text"]["body"])
    if body["type"] != "interactive":
        return Said("")
    interactive = body["interactive"]
    action = interactive.get("action", {})
    buttons = tuple(
        Choice(b["reply"]["title"], b["reply"]["id"], "button") for b in action.get("buttons", [])
    )
    rows = tuple(
        Choice(row["title"], row["id"], "list")
        for section in action.get("sections", [])
        for row in section["rows"]
    )
    return Said(interactive["body"]["text"], buttons + rows)


class OnTheWeb(Person):
    def __init__(self, stack: Stack, sender: str, lang: str) -> None:
        super().__init__(stack, sender, lang)
        self._said: list[Said] = []
        self._after: int | None = None
        self._ref: str | None = None

    def received(self) -> list[Said]:
        if self._after is not None:  # what the page fetches: reminders, late answers
            updates = self.stack.updates(self.who, self._after)
            self._after = updates.get("last_id", self._after)
            self._said += [_web_said(m) for m in updates.get("messages", [])]
        return list(self._said)

    def _open(self, link: str) -> None:
        (self._ref,) = parse_qs(urlsplit(link).query)["ref"]  # the page sends it with a message
        self._say("hello")

    def _say(self, text: str) -> None:
        extra = {"ref": self._ref} if self._ref else {}
        self._said += [
            _web_said(m) for m in self.stack.chat(self.who, text, lang=self.lang, **extra)
        ]
        if self._after is None:
            self._after = self.stack.updates(self.who).get("last_id")

    def _tap(self, choice: Choice) -> None:
        self._say(choice.payload)


def _web_said(message: dict[str, Any]) -> Said:
    buttons = message.get("buttons") or []
    return Said(message.get("text", ""), tuple(Choice(b["title"], b["payload"]) for b in buttons))


def _text(said: list[Said]) -> str:
    return "\n".join(message.text for message in said)


WHATSAPP_NUMBERS = {"en": "33655501230", "fr": "33655501231"}  # one person each
PEOPLE: dict[str, Callable[[Stack, str], Person]] = {
    "telegram": lambda stack, lang: OnTelegram(stack, 70_444 if lang == "en" else 70_445, lang),
    "messenger": lambda stack, lang: OnMessenger(stack, f"e2e-every-psid-{lang}", lang),
    "whatsapp": lambda stack, lang: OnWhatsApp(stack, WHATSAPP_NUMBERS[lang], lang),
    "web": lambda stack, lang: OnTheWeb(stack, f"e2e-every-web-{lang}", lang),
}


@dataclass(frozen=True)
class Words:
    """What the person types and taps, and what the assistant must say, in one language."""

    linked: str
    agree: str
    reminders_on: str
    visit: str
    reminder: str
    confirm: str
    confirmed: str
    question: str
    source: str
    join: str
    consent_asked: str
    first_question: str


WORDS = {
    "en": Words(
        linked="this chat is now linked to your participation",
        agree="Yes, I agree",
        reminders_on="reminders are on",
        visit="screening visit",
        reminder="Reminder: your screening visit appointment",
        confirm="✅ Confirm",
        confirmed="your appointment is confirmed",
        question="how much will it cost me to take part in a trial?",
        source="Source:",
        join="can I join the asthma study?",
        consent_asked="Before we go on",
        first_question="How old are you?",
    ),
    "fr": Words(
        linked="cette conversation est maintenant reliée à votre participation",
        agree="Oui, j'accepte",
        reminders_on="rappels de rendez-vous sont activés",
        visit="visite de sélection",
        reminder="Rappel : votre rendez-vous « visite de sélection »",
        confirm="✅ Je confirme",
        confirmed="votre rendez-vous est confirmé",
        question="combien ça va me coûter de participer à un essai ?",
        source="Source :",
        join="est-ce que je peux participer à l'étude sur l'asthme ?",
        consent_asked="Avant d'aller plus loin",
        first_question="Quel âge avez-vous ?",
    ),
}


@pytest.mark.parametrize("lang", sorted(WORDS))
@pytest.mark.parametrize("channel", sorted(PEOPLE))
def test_the_same_conversation_on_every_channel(
    channel: str, lang: str, stack: Stack, tmp_path: Path
) -> None:
    person, words = PEOPLE[channel](stack, lang), WORDS[lang]
    code_name = f"E2E-EVERY-{channel.upper()}-{lang.upper()}"
    added = json.loads(
        person.stack.trialbot(
            *("participants", "add", code_name, "--trial", "demo-t2d-001", "--lang", lang),
            *("--timezone", "Europe/Paris", "--json"),
        )
    )
    link = added[f"{channel}_link"]
    assert added["link_code"] in link

    # The link binds the chat, in the participant's language; reminders ask their consent first.
    linked = person.opens(link)
    assert words.linked in _text(linked)
    assert words.reminders_on in _text(person.taps(linked, words.agree))

    # Staff import a visit in an hour and a half: the reminder due before it goes out now.
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90)
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "participant_code,trial,site,starts_at,timezone,kind\n"
        f"{code_name},demo-t2d-001,paris-nord,{starts.isoformat(timespec='seconds')},"
        f"Europe/Paris,{words.visit}\n"
    )
    before = len(person.received())
    person.stack.trialbot("appointments", "import", str(visits))
    reminder = person.waits(before)
    assert _text(reminder).startswith(words.reminder)
    assert words.confirm in [c.title for m in reminder for c in m.choices]
    assert words.confirmed in _text(person.taps(reminder, words.confirm))
    listed = person.stack.trialbot("appointments", "list", "--participant", code_name, "--json")
    assert [a["status"] for a in json.loads(listed)] == ["confirmed"]

    # A question: the vetted answer, with its source.
    assert words.source in _text(person.says(words.question))

    # A pre-screening for another trial starts with its consent, then its first question.
    asked = person.says(words.join)
    assert words.consent_asked in _text(asked)
    assert words.first_question in _text(person.taps(asked, words.agree))
