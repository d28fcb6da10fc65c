"""Two gateways on one database: a conversation's messages reach Rasa one at a time and in order,
even when the gateway holding an earlier message died with it, and an answer Rasa gave before
such a gateway died is delivered once, never asked of Rasa again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from bot.channels.base import Inbound, Reply
from bot.db.models import InboundMessage, utcnow
from bot.db.session import create_db_engine, make_session_factory
from bot.gateway.relay import Relay
from bot.settings import Settings
from tests.fakes.rasa import UpRasa


class _Rasa(UpRasa):
    """One Rasa server behind both gateways: what it was sent, in order, and its tracker."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.tracker: dict[int, list[dict[str, Any]]] = {}

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any],
        parse: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        self.sent.append(text)
        replies = [{"text": f"about {text}"}]
        self.tracker[metadata["message_id"]] = replies
        return replies

    async def replies_to(self, sender: str, message_id: int) -> list[dict[str, Any]] | None:
        return self.tracker.get(message_id)


class _Web:
    """The web chat's outbox: what the recovery loop delivered late."""

    def __init__(self) -> None:
        self.delivered: list[str | None] = []

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: str = "reply"
    ) -> list[str]:
        self.delivered.extend(reply.text for reply in replies)
        return []


def _waiting(tmp_path: Path, seconds: int) -> Settings:
    """A gateway that waits `seconds` for Rasa, and so for another gateway's message."""
    return Settings(
        TRIALBOT_VAR_DIR=tmp_path / "var", DATABASE_URL="", PSEUDONYM_KEY="test-key",
        RASA_TIMEOUT_SECONDS=seconds,
    )  # fmt: skip


@pytest.fixture
def quick(tmp_path: Path) -> Settings:
    """A gateway that gives up on another gateway's message after one second."""
    return _waiting(tmp_path, 1)


@pytest.fixture
def patient(tmp_path: Path) -> Settings:
    """A gateway that waits long enough for a loaded machine to run out the other's lease."""
    return _waiting(tmp_path, 10)


@contextmanager
def _gateways(
    engine: Engine, database_url: str, settings: Settings, rasa: _Rasa, web: _Web
) -> Iterator[tuple[Relay, Relay]]:
    """Two gateways on one database, each with its own connections."""
    other = create_db_engine(database_url)
    channels: Any = {"web": web}
    first = Relay(
        settings=settings, sessions=make_session_factory(engine), rasa=rasa, channels=channels
    )
    second = Relay(
        settings=settings, sessions=make_session_factory(other), rasa=rasa, channels=channels
    )
    try:
        yield first, second
    finally:
        _let_go(first, second)
        other.dispose()


def _let_go(*relays: Relay) -> None:
    """The holds the gateways still renew (one a test "killed" would go on) are let go."""
    for relay in relays:
        for token in relay._keeper.held():
            relay._keeper.drop(token)


def _lease_runs_out(engine: Engine) -> None:
    """As if the gateway holding the messages had died and its lease had passed."""
    with make_session_factory(engine).begin() as session:
        session.execute(update(InboundMessage).values(claimed_until=utcnow() - timedelta(1)))


async def test_a_message_waits_for_the_one_a_dead_gateway_held_and_follows_it(
    migrated_engine: Engine, database_url: str, patient: Settings
) -> None:
    rasa, web = _Rasa(), _Web()
    with _gateways(migrated_engine, database_url, patient, rasa, web) as (first, second):
        # The first gateway took "first question" and died before forwarding it.
        assert await first.accept(Inbound("web", "p-order", "first question")) is not None
        later = asyncio.create_task(second.handle(Inbound("web", "p-order", "second question")))
        await asyncio.sleep(0.5)
        assert rasa.sent == []  # not before the earlier one, which a gateway still holds
        _lease_runs_out(migrated_engine)
        replies = await later
        assert rasa.sent == ["first question", "second question"]
        assert [reply.text for reply in replies] == [
            "about first question",
            "about second question",
        ]


async def test_past_the_wait_the_message_is_kept_and_recovered_after_the_earlier_one(
    migrated_engine: Engine, database_url: str, quick: Settings
) -> None:
    rasa, web = _Rasa(), _Web()
    with _gateways(migrated_engine, database_url, quick, rasa, web) as (first, second):
        assert await first.accept(Inbound("web", "p-kept", "first question")) is not None
        (reply,) = await second.handle(Inbound("web", "p-kept", "second question"))
        assert reply.text is not None and "I have kept your message" in reply.text
        assert await second.recover() == 0  # still behind the held one
        assert rasa.sent == []
        _lease_runs_out(migrated_engine)
        assert await second.recover() == 2
        assert rasa.sent == ["first question", "second question"]
        assert web.delivered == ["about first question", "about second question"]
        assert await first.recover() == 0 and await second.recover() == 0


async def test_an_answer_given_before_the_gateway_died_is_delivered_once_and_not_asked_again(
    migrated_engine: Engine, database_url: str, quick: Settings
) -> None:
    rasa, web = _Rasa(), _Web()
    with _gateways(migrated_engine, database_url, quick, rasa, web) as (first, second):
        accepted = await first.accept(Inbound("web", "p-died", "how long is the study?"))
        assert accepted is not None
        (message,) = accepted.waiting
        # Rasa answered; the gateway was killed before marking it answered or replying.
        await rasa.send(accepted.turn.sender_key, message.text, {"message_id": message.id})
        _lease_runs_out(migrated_engine)
        assert await second.recover() == 1
        assert rasa.sent == ["how long is the study?"]  # not handled a second time
        assert web.delivered == ["about how long is the study?"]
        assert await second.recover() == 0 and await first.recover() == 0
        assert web.delivered == ["about how long is the study?"]
