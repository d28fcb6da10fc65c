"""Rasa up and answering that a turn failed (its lock store away for a moment, as when Redis
restarts): the message is sent once more after a short pause, and the person gets the answer
at once instead of an apology and a late answer; a second failure leaves it for recovery."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from bot.channels.base import Inbound
from bot.db.models import InboundMessage, MessageStatus
from bot.db.session import make_session_factory
from bot.gateway.rasa import RasaUnavailable
from bot.gateway.relay import Relay
from bot.settings import Settings
from tests.gateway.test_relay_order import _Rasa


class _Failing(_Rasa):
    """Answers that the turn failed (503) `times` times, then handles messages."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times
        self.tried = 0

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any],
        parse: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        self.tried += 1
        if self.tried <= self.times:
            raise RasaUnavailable("Rasa answered 503", answered=True)
        return await super().send(sender, text, metadata, parse)


def _relay(engine: Engine, settings: Settings, rasa: _Rasa) -> Relay:
    return Relay(settings=settings, sessions=make_session_factory(engine), rasa=rasa, channels={})


def _row(engine: Engine) -> InboundMessage:
    with make_session_factory(engine)() as session:
        (row,) = session.scalars(select(InboundMessage))
        return row


async def test_a_turn_rasa_failed_once_is_sent_again_and_answered_at_once(
    migrated_engine: Engine, settings: Settings
) -> None:
    rasa = _Failing(times=1)
    (reply,) = await _relay(migrated_engine, settings, rasa).handle(
        Inbound("web", "p-again", "how many visits are there?")
    )
    assert reply.text == "about how many visits are there?"
    assert rasa.tried == 2 and rasa.sent == ["how many visits are there?"]
    row = _row(migrated_engine)
    assert (row.status, row.attempts) == (MessageStatus.DONE, 0)


async def test_a_turn_rasa_failed_twice_waits_for_recovery_with_one_try_counted(
    migrated_engine: Engine, settings: Settings
) -> None:
    rasa = _Failing(times=2)
    relay = _relay(migrated_engine, settings, rasa)
    (reply,) = await relay.handle(Inbound("web", "p-twice", "how many visits are there?"))
    assert reply.text is not None and "I have kept your message" in reply.text
    row = _row(migrated_engine)
    assert (row.status, row.attempts) == (MessageStatus.PENDING, 1)
    assert await relay.recover() == 1
    assert rasa.sent == ["how many visits are there?"]  # once, by the recovery loop
    assert _row(migrated_engine).status == MessageStatus.DONE
