"""The relay claims waiting messages through the shared outbox claim (bot.outbox): one gateway
at a time while its lease holds, another once it has run out, and a try counted only when Rasa
fails on it, until the message is set aside after MAX_ATTEMPTS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bot.channels.base import Inbound
from bot.db.models import InboundMessage, MessageStatus, utcnow
from bot.db.session import create_db_engine, make_session_factory
from bot.gateway.rasa import RasaUnavailable
from bot.gateway.relay import MAX_ATTEMPTS, Relay
from bot.settings import Settings
from tests.fakes.rasa import UpRasa
from tests.gateway.test_relay_offline import _relay  # Rasa unreachable


def _rows(engine: Engine) -> list[InboundMessage]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def _expire_claims(engine: Engine) -> None:
    """As if the gateway holding them had died and its lease had run out."""
    with make_session_factory(engine).begin() as session:
        session.execute(update(InboundMessage).values(claimed_until=utcnow() - timedelta(1)))


async def test_two_gateways_do_not_both_claim_a_waiting_message_while_its_lease_holds(
    migrated_engine: Engine, database_url: str, settings: Settings
) -> None:
    first = _relay(migrated_engine, settings)
    other_engine = create_db_engine(database_url)  # another gateway's own connections
    try:
        second = _relay(other_engine, settings)
        accepted = await first.accept(Inbound("web", "p-claim", "hello"))
        assert accepted is not None
        conversation = accepted.turn.conversation_id
        # Held by the gateway that received it: the other neither sees nor takes it.
        assert second._conversations_waiting() == []
        assert second._claim_waiting(conversation) == []
        (row,) = _rows(migrated_engine)
        held_by = row.claim_token
        assert held_by is not None and row.attempts == 0  # a claim counts no try
        # Once it waits again (released), one gateway takes it, and the other then gets nothing.
        _expire_claims(migrated_engine)
        assert [t.conversation_id for t in second._conversations_waiting()] == [conversation]
        taken = second._claim_waiting(conversation)
        assert [m.text for m in taken] == ["hello"]
        assert first._claim_waiting(conversation) == []
        assert first._conversations_waiting() == []
        (row,) = _rows(migrated_engine)
        assert row.claim_token not in (None, held_by) and row.attempts == 0
    finally:
        other_engine.dispose()


async def test_an_expired_claim_is_taken_over_with_the_messages_before_a_new_one(
    migrated_engine: Engine, settings: Settings
) -> None:
    first = _relay(migrated_engine, settings)
    second = _relay(migrated_engine, settings)
    assert await first.accept(Inbound("web", "p-over", "are you there?")) is not None
    _expire_claims(migrated_engine)  # the first gateway died while forwarding it
    accepted = await second.accept(Inbound("web", "p-over", "hello?"))
    assert accepted is not None
    # The new message's claim takes the one left behind too, in order, under one token.
    assert [(m.text, m.fresh) for m in accepted.waiting] == [
        ("are you there?", False),
        ("hello?", True),
    ]
    rows = _rows(migrated_engine)
    assert len({r.claim_token for r in rows}) == 1 and rows[0].claim_token is not None
    assert [r.attempts for r in rows] == [0, 0]


class _RasaErring(UpRasa):
    """Rasa up, answering every message with an error: retrying the same will not help."""

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any],
        parse: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        raise RasaUnavailable("Rasa answered 500", answered=True)


async def test_each_failed_forward_counts_one_try_and_the_message_is_set_aside_after_the_last(
    migrated_engine: Engine, settings: Settings
) -> None:
    sessions = make_session_factory(migrated_engine)
    relay = Relay(settings=settings, sessions=sessions, rasa=_RasaErring(), channels={})
    await relay.handle(Inbound("web", "p-fail", "how many visits are there?"))
    (row,) = _rows(migrated_engine)
    assert (row.attempts, row.status) == (1, MessageStatus.PENDING)
    for tries in range(2, MAX_ATTEMPTS + 1):
        assert await relay.recover() == 1
        (row,) = _rows(migrated_engine)
        assert row.attempts == tries and row.claim_token is None and row.claimed_until is None
        expected = MessageStatus.FAILED if tries == MAX_ATTEMPTS else MessageStatus.PENDING
        assert row.status == expected
        assert row.last_error == "Rasa answered 500"
    assert await relay.recover() == 0  # set aside: not tried again
    (row,) = _rows(migrated_engine)
    assert (row.attempts, row.status) == (MAX_ATTEMPTS, MessageStatus.FAILED)
