"""A web message sent again with its id (the response to it was lost: a gateway died with the
request, the connection dropped): the person gets the answer it was given, and Rasa reads it
once, whichever gateway the resend reaches and whatever became of the first one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bot.channels.base import Inbound
from bot.db.models import InboundMessage, MessageStatus, utcnow
from bot.db.session import make_session_factory
from bot.gateway.relay import Relay
from bot.settings import Settings
from tests.gateway.test_relay_lease import _SlowRasa
from tests.gateway.test_relay_offline import _relay as offline_relay
from tests.gateway.test_relay_order import _Rasa


def _relay(engine: Engine, settings: Settings, rasa: _Rasa) -> Relay:
    return Relay(settings=settings, sessions=make_session_factory(engine), rasa=rasa, channels={})


def _texts(replies: list[Any]) -> list[str | None]:
    return [reply.text for reply in replies]


def _message(text: str = "is it paid?", external_id: str = "web:m-1") -> Inbound:
    return Inbound("web", "p-resend", text, external_id=external_id)


async def test_a_message_sent_again_gets_the_answer_it_was_given_and_rasa_reads_it_once(
    migrated_engine: Engine, settings: Settings
) -> None:
    rasa = _Rasa()
    first, second = _relay(migrated_engine, settings, rasa), _relay(migrated_engine, settings, rasa)
    given = await first.handle(_message())
    assert _texts(given) == ["about is it paid?"]
    assert _texts(await second.handle(_message())) == _texts(given)  # another gateway
    assert _texts(await first.handle(_message())) == _texts(given)
    assert rasa.sent == ["is it paid?"]
    # The next message is answered, and only the latest keeps what it was given.
    await first.handle(_message(text="and the visits?", external_id="web:m-2"))
    with make_session_factory(migrated_engine)() as session:
        kept = session.scalars(select(InboundMessage.replies).order_by(InboundMessage.id)).all()
    assert kept[0] is None and kept[1] is not None
    assert "visits" not in kept[1]  # encrypted


async def test_a_gateway_that_died_after_rasa_answered_leaves_the_answer_in_rasa_s_tracker(
    migrated_engine: Engine, settings: Settings
) -> None:
    rasa = _Rasa()
    dying, other = _relay(migrated_engine, settings, rasa), _relay(migrated_engine, settings, rasa)
    accepted = await dying.accept(_message())
    assert accepted is not None
    # Rasa answered and the message is marked answered; the gateway dies before its response.
    await dying._forward(accepted.turn, accepted.waiting, accepted.token or "")
    with make_session_factory(migrated_engine).begin() as session:
        session.execute(  # its hold lapses, as a dead gateway's does
            update(InboundMessage).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert _texts(await other.handle(_message())) == ["about is it paid?"]
    assert rasa.sent == ["is it paid?"]


async def test_a_resend_while_the_first_gateway_still_works_on_it_waits_for_its_answer(
    migrated_engine: Engine, settings: Settings
) -> None:
    rasa = _SlowRasa(delay=0.6)
    first, second = _relay(migrated_engine, settings, rasa), _relay(migrated_engine, settings, rasa)
    original = asyncio.create_task(first.handle(_message()))
    await asyncio.sleep(0.2)  # the page gave up on the request, and sends it again
    again = await second.handle(_message())
    assert _texts(again) == _texts(await original) == ["about is it paid?"]
    assert rasa.sent == ["is it paid?"]


async def test_a_resend_while_rasa_is_down_is_told_the_message_is_kept_in_its_language(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = offline_relay(migrated_engine, settings)  # Rasa unreachable
    inbound = _message(text="bonjour, c'est payé ?")
    (kept,) = await relay.handle(inbound)
    assert kept.text is not None and "Désolé" in kept.text
    assert _texts(await relay.handle(inbound)) == [kept.text]
    with make_session_factory(migrated_engine)() as session:
        (row,) = session.scalars(select(InboundMessage))
        assert row.status == MessageStatus.PENDING  # for the recovery loop, once
