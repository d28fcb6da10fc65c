"""With Rasa unreachable: the person gets an apology in their language and nothing is lost."""

from __future__ import annotations

import socket

from sqlalchemy import Engine, select

from bot.channels.base import Inbound
from bot.crypto import Cipher
from bot.db.models import Conversation, InboundMessage, MessageStatus, Participant
from bot.db.session import make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.i18n import messages
from bot.reminders import participants
from bot.settings import Settings
from tests.fakes.rasa import UpRasa


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


def _relay(engine: Engine, settings: Settings) -> Relay:
    rasa = RasaClient(f"http://127.0.0.1:{_closed_port()}", "token", timeout=2.0)
    return Relay(settings=settings, sessions=make_session_factory(engine), rasa=rasa, channels={})


async def test_a_french_speaker_is_told_in_french_with_the_emergency_number(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    replies = await relay.handle(Inbound("web", "patient-1", "bonjour, j'ai une question"))
    assert len(replies) == 1
    assert replies[0].text is not None
    assert "Désolé" in replies[0].text
    assert settings.emergency_number in replies[0].text


async def test_waiting_messages_are_kept_in_order_without_the_channel_id(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    await relay.handle(Inbound("web", "patient-2", "hello, I have a question"))
    await relay.handle(Inbound("web", "patient-2", "are you there?"))
    assert await relay.recover() == 0  # Rasa is still down: nothing forwarded, nothing dropped
    with make_session_factory(migrated_engine)() as session:
        waiting = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        cipher = Cipher.from_settings(settings)
        # Kept encrypted while they wait: people write health details in free text.
        assert [cipher.decrypt(m.text or "") for m in waiting] == [
            "hello, I have a question",
            "are you there?",
        ]
        assert all("question" not in (m.text or "") for m in waiting)
        assert {m.status for m in waiting} == {MessageStatus.PENDING}
        # The first was tried again, before the second, when the second arrived.
        assert [m.attempts for m in waiting] == [2, 1]
        assert all(m.claim_token is None for m in waiting)
        keys = session.scalars(select(Conversation.sender_key)).all()
        assert len(keys) == 1
        assert "patient-2" not in keys[0]


async def test_a_message_held_by_one_gateway_is_not_taken_by_another(
    migrated_engine: Engine, settings: Settings
) -> None:
    first, second = _relay(migrated_engine, settings), _relay(migrated_engine, settings)
    inbound = Inbound("web", "patient-3", "hello")
    accepted = await first.accept(inbound)
    assert accepted is not None
    assert [m.text for m in accepted.waiting] == ["hello"]
    assert second._claim_waiting(accepted.turn.conversation_id) == []


async def test_a_delivery_repeated_by_the_platform_is_kept_once(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    inbound = Inbound("telegram", "42", "hello", external_id="update-7", address="42")
    assert await relay.accept(inbound) is not None
    assert await relay.accept(inbound) is None
    assert await relay.handle(inbound) == []
    with make_session_factory(migrated_engine)() as session:
        assert len(session.scalars(select(InboundMessage)).all()) == 1


async def test_the_channel_address_is_stored_encrypted(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    await relay.accept(Inbound("telegram", "987654321", "hello", address="987654321"))
    with make_session_factory(migrated_engine)() as session:
        (conversation,) = session.scalars(select(Conversation)).all()
        assert conversation.address is not None
        assert "987654321" not in conversation.address
        assert relay.cipher.decrypt(conversation.address) == "987654321"


async def test_the_first_campaign_is_kept(migrated_engine: Engine, settings: Settings) -> None:
    relay = _relay(migrated_engine, settings)
    await relay.accept(Inbound("telegram", "5", "/greet", referral="camp_spring"))
    await relay.accept(Inbound("telegram", "5", "/greet", referral="camp_autumn"))
    accepted = await relay.accept(Inbound("telegram", "5", "/greet", referral="Xk3-9aQ"))
    # A payload that is not one of ours is a greeting for Rasa, nothing more.
    assert accepted is not None and accepted.notice is None and accepted.waiting
    with make_session_factory(migrated_engine)() as session:
        (conversation,) = session.scalars(select(Conversation)).all()
        assert conversation.campaign == "spring"


async def test_a_link_code_binds_the_chat_once_and_is_answered_without_rasa(
    migrated_engine: Engine, settings: Settings
) -> None:
    sessions = make_session_factory(migrated_engine)
    with sessions.begin() as session:
        first = participants.add(session, "P-7", "demo-t2d-001", {"demo-t2d-001"}, language="fr")
        second = participants.add(session, "P-8", "demo-t2d-001", {"demo-t2d-001"})
    relay = _relay(migrated_engine, settings)
    linked = await relay.handle(Inbound("telegram", "7", "/start", referral=first.link_code))
    # The gateway confirms at once, in the participant's language; Rasa (down in this test) is
    # then asked for the reminders' consent, which waits for it like any message.
    title = "l'étude DMX-101 (démonstration fictive)"  # as it reads inside the sentence
    assert linked[0].text == messages.text("participant_linked", "fr", trial=title)
    assert linked[1].text is not None and "appelez le 112" in linked[1].text
    again = await relay.handle(Inbound("telegram", "9", "/start", referral=first.link_code))
    assert [r.text for r in again] == [messages.text("link_code_invalid", "en")]
    typed = f"{second.link_code[:4].lower()}-{second.link_code[4:]}"  # as people type it
    reply = (await relay.handle(Inbound("web", "w1", typed)))[0]
    title = "the DMX-101 study (fictional demo)"
    assert reply.text == messages.text("participant_linked", "en", trial=title)
    with sessions() as session:
        bound = {p.code: p.sender_key for p in session.scalars(select(Participant))}
        assert bound == {
            "P-7": relay.sender_key("telegram", "7"),
            "P-8": relay.sender_key("web", "w1"),
        }
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        # The used code was answered by the gateway alone; the two links wait for Rasa, as a
        # request for reminders (never as the code itself).
        assert [r.status for r in rows] == [
            MessageStatus.PENDING, MessageStatus.DONE, MessageStatus.PENDING,
        ]  # fmt: skip
        assert {relay.cipher.decrypt(r.text) for r in rows if r.text} == {
            "/want_reminders", "/start",
        }  # fmt: skip


class _LockStoreDown(UpRasa):
    """Rasa up, but its lock store (Redis) down: its REST channel answers an empty list and
    the message never reaches the conversation (UpRasa's `send`)."""


async def test_a_message_rasa_did_not_take_in_waits_instead_of_being_dropped(
    migrated_engine: Engine, settings: Settings
) -> None:
    sessions = make_session_factory(migrated_engine)
    relay = Relay(settings=settings, sessions=sessions, rasa=_LockStoreDown(), channels={})
    replies = await relay.handle(Inbound("web", "patient-lock", "how many visits are there?"))
    assert [r.text for r in replies] == [
        messages.text("rasa_unavailable", "en", emergency_number=settings.emergency_number)
    ]
    with sessions() as session:
        row = session.scalars(select(InboundMessage)).one()
        assert row.status != MessageStatus.DONE  # the recovery loop forwards it again
