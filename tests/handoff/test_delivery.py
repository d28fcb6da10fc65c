"""Staff answers reach the person on their channel, in order, and are retried until they do."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import NotDelivered, Purpose, Reply
from bot.channels.messenger import HUMAN_AGENT_TAG as MESSENGER_TAG
from bot.channels.messenger import MessengerChannel, tag_for
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChannel
from bot.crypto import Cipher
from bot.db.models import Conversation, HandoffMessage, as_utc, utcnow
from bot.gateway.relay import Relay
from bot.handoff import delivery as delivery_module
from bot.handoff import service
from bot.handoff.delivery import OUTBOX, HandoffDelivery
from bot.handoff.service import BACK
from bot.settings import Settings
from tests.fakes.channels import relay_on_fakes
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI
from tests.handoff.factories import conversation, handoff

CHAT, PSID = 880_001, "psid-handoff"


class Clock:
    def __init__(self) -> None:
        # After what the tests queue, with the real clock, however slow the machine: one second
        # was not always enough under CI's load, and a message queued later was not yet due.
        self.now = utcnow() + dt.timedelta(minutes=5)

    def __call__(self) -> dt.datetime:
        return self.now


class FlakyChannel:
    """A channel that fails `failures` times, then delivers; it keeps what it delivered."""

    name = "telegram"

    def __init__(self, failures: int, *, final: bool = False) -> None:
        self.failures, self.final = failures, final
        self.delivered: list[tuple[int, list[Reply], str | None]] = []

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        if self.failures:
            self.failures -= 1
            raise NotDelivered("the platform is down", final=self.final)
        self.delivered.append((conversation_id, replies, tag_for(purpose)))  # Messenger's tag
        return [str(len(self.delivered))]


def _messages(sessions: sessionmaker[Session]) -> list[HandoffMessage]:
    with sessions() as session:
        return list(session.scalars(select(HandoffMessage).order_by(HandoffMessage.id)))


async def test_a_web_chat_answer_waits_in_the_outbox_the_page_polls(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        conversation(session, "web-reader", language="fr")
        opened = handoff(session, cipher, "web-reader")
    web = WebChannel(sessions, cipher)
    delivery = HandoffDelivery(settings=settings, sessions=sessions, channels={"web": web})
    before = (await web.updates("web-reader", None))["last_id"]
    outcome = await delivery.answer(opened.id, "Bonjour, c'est Claire, l'infirmière de l'étude.")
    assert (outcome.delivery, outcome.channel, outcome.error) == ("sent", "web", None)
    (shown,) = (await web.updates("web-reader", before))["messages"]
    assert shown["text"] == (
        "Message de l'équipe de l'étude :\nBonjour, c'est Claire, l'infirmière de l'étude."
    )
    assert shown["buttons"] == [{"title": "Revenir à l'assistant", "payload": BACK}]
    assert await delivery.run_once() == 0  # sent once


async def test_a_channel_that_fails_then_recovers_gets_the_answers_in_order(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        chat = conversation(session, "telegram-flaky", channel="telegram")
        opened = handoff(session, cipher, "telegram-flaky")
    channel, clock = FlakyChannel(failures=2), Clock()
    delivery = HandoffDelivery(
        settings=settings, sessions=sessions, channels={"telegram": channel}, clock=clock
    )
    first = await delivery.answer(opened.id, "First: we have your question.")
    assert (first.delivery, first.error) == ("pending", "the platform is down")
    second = await delivery.answer(opened.id, "Second: we will call you at 3 pm.", close=True)
    assert second.delivery == "pending"
    waiting = _messages(sessions)
    assert [m.delivery for m in waiting] == ["pending"] * 3
    assert await delivery.run_once() == 0  # not due yet: it waits before trying again
    clock.now = max(as_utc(m.next_attempt_at) for m in waiting if m.next_attempt_at)
    assert await delivery.run_once() == 3
    assert await delivery.run_once() == 0
    ((conversation_id, replies, tag),) = channel.delivered
    assert conversation_id == chat.id
    assert [r.text for r in replies] == [
        "Message from the study team:\nFirst: we have your question.",
        "Message from the study team:\nSecond: we will call you at 3 pm.",
        "The study team has closed your request. You are talking with the assistant again: "
        "ask me anything about the study, or ask for the team whenever you need them.",
    ]
    # Closed: no "Back to the assistant" on the answers, a "Continue" under the notice.
    assert [[b.title for b in r.buttons] for r in replies] == [[], [], ["Continue"]]
    assert tag == "HUMAN_AGENT"
    assert {(m.delivery, m.last_error) for m in _messages(sessions)} == {("sent", None)}


async def test_an_answer_that_can_never_go_is_failed_with_its_reason(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        conversation(session, "telegram-blocked", channel="telegram")
        opened = handoff(session, cipher, "telegram-blocked")
    delivery = HandoffDelivery(
        settings=settings, sessions=sessions, channels={"telegram": FlakyChannel(9, final=True)}
    )
    outcome = await delivery.answer(opened.id, "Hello?")
    assert (outcome.delivery, outcome.error) == ("failed", "the platform is down")
    with sessions.begin() as session:  # even once it would be due again
        session.execute(update(HandoffMessage).values(next_attempt_at=utcnow()))
    assert await delivery.run_once() == 0


async def test_a_process_without_the_channel_leaves_the_answer_to_one_that_has_it(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        conversation(session, "messenger-elsewhere", channel="messenger")
        opened = handoff(session, cipher, "messenger-elsewhere")
    delivery = HandoffDelivery(settings=settings, sessions=sessions, channels={})
    outcome = await delivery.answer(opened.id, "Hello")
    assert outcome.delivery == "pending"
    assert outcome.error == "no messenger channel is configured in this process"


@pytest.fixture
def on_channels(
    tmp_path: Path, bot_api: FakeBotAPI, graph_api: FakeGraphAPI
) -> Iterator[tuple[Settings, sessionmaker[Session], Relay]]:
    with relay_on_fakes(tmp_path, bot_api, graph_api) as ready:
        yield ready


async def test_telegram_gets_the_answer_with_its_button_after_a_server_error(
    on_channels: tuple[Settings, sessionmaker[Session], Relay], bot_api: FakeBotAPI
) -> None:
    settings, sessions, relay = on_channels
    with sessions.begin() as session:
        conversation(
            session,
            "telegram-answered",
            channel="telegram",
            address=relay.cipher.encrypt(str(CHAT)),
        )
        opened = handoff(session, relay.cipher, "telegram-answered")
    bot = TelegramChannel(settings, relay, sessions)
    await bot.application.initialize()
    clock = Clock()
    delivery = HandoffDelivery(
        settings=settings, sessions=sessions, channels={"telegram": bot}, clock=clock
    )
    try:
        bot_api.fail_next("sendMessage", 502, times=3)  # each of the adapter's own attempts
        assert (await delivery.answer(opened.id, "We will call you today.")).delivery == "pending"
        clock.now += dt.timedelta(seconds=16)
        assert await delivery.run_once() == 1
    finally:
        await bot.application.shutdown()
    (sent,) = bot_api.sent_messages(CHAT)
    assert sent["text"] == "Message from the study team:\nWe will call you today."
    (row,) = sent["reply_markup"]["inline_keyboard"]
    assert row == [{"text": "Back to the assistant", "callback_data": BACK}]


async def test_messenger_answers_past_24_hours_go_with_the_human_agent_tag(
    on_channels: tuple[Settings, sessionmaker[Session], Relay], graph_api: FakeGraphAPI
) -> None:
    settings, sessions, relay = on_channels
    with sessions.begin() as session:
        conversation(
            session, "messenger-late", channel="messenger", address=relay.cipher.encrypt(PSID)
        )
        session.execute(update(Conversation).values(last_seen_at=utcnow() - dt.timedelta(hours=30)))
        opened = handoff(session, relay.cipher, "messenger-late")
    page = MessengerChannel(settings, relay, sessions)
    delivery = HandoffDelivery(settings=settings, sessions=sessions, channels={"messenger": page})
    try:
        assert (await delivery.answer(opened.id, "Sorry for the wait.")).delivery == "sent"
    finally:
        await page.aclose()
    (sent,) = graph_api.sent(PSID)
    assert sent["messaging_type"] == "MESSAGE_TAG" and sent["tag"] == MESSENGER_TAG
    assert sent["message"]["text"].startswith("Message from the study team:")


class SlowChannel:
    """A channel where each delivery takes a while; it counts what it delivered, per text."""

    name = "telegram"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.delivered: collections.Counter[str] = collections.Counter()

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        await asyncio.sleep(self.seconds)
        for reply in replies:
            self.delivered[reply.text or ""] += 1
        return ["sent"]


async def test_a_slow_round_is_not_delivered_again_by_another_sender(
    sessions: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lease = dt.timedelta(seconds=1.2)  # less than the round takes: the claim ends mid-round
    monkeypatch.setattr(delivery_module, "OUTBOX", dataclasses.replace(OUTBOX, lease=lease))
    cipher = Cipher.from_settings(settings)
    with sessions.begin() as session:
        for number in range(6):
            conversation(session, f"slow-{number}", channel="telegram")
            opened = handoff(session, cipher, f"slow-{number}")
            service.reply(session, cipher, opened.id, f"Answer {number} from the study team.")
    channel = SlowChannel(seconds=0.4)

    def sender() -> HandoffDelivery:
        return HandoffDelivery(settings=settings, sessions=sessions, channels={"telegram": channel})

    first = asyncio.create_task(sender().run_once())
    await asyncio.sleep(lease.total_seconds() + 0.3)  # the first sender's claim has run out
    await asyncio.gather(first, sender().run_once())
    for _ in range(20):  # the rest, round after round, as the senders' loops would
        if all(message.delivery == "sent" for message in _messages(sessions)):
            break
        await sender().run_once()

    assert len(channel.delivered) == 6  # every answer went
    assert [text for text, times in channel.delivered.items() if times > 1] == []  # none twice
