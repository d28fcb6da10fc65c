"""While the study team has someone's question, the gateway keeps their messages for the team."""

from __future__ import annotations

from sqlalchemy import Engine, select

from bot.channels.base import Button, Inbound
from bot.db.models import Handoff, InboundMessage, MessageStatus, SafetyEvent
from bot.db.session import make_session_factory
from bot.gateway.relay import Relay
from bot.handoff import service
from bot.settings import Settings
from tests.gateway.test_relay_offline import _relay  # Rasa down: the answers must not need it
from tests.handoff.factories import conversation, handoff


def _handed_off(
    relay: Relay, engine: Engine, user: str, language: str = "en", reason: str = "asked"
) -> str:
    """A web chat whose person asked for the study team (or whom the assistant did not
    understand twice); their key."""
    key = relay.sender_key("web", user)
    with make_session_factory(engine).begin() as session:
        conversation(session, key, language=language)
        handoff(session, relay.cipher, key, reason=reason)
    return key


async def test_a_message_goes_to_the_team_and_the_person_is_told_so_in_french(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    key = _handed_off(relay, migrated_engine, "p-fr", "fr")
    (reply,) = await relay.handle(Inbound("web", "p-fr", "je peux venir avec ma fille ?"))
    assert reply.text is not None
    assert reply.text.startswith("Votre question est entre les mains de l'équipe de l'étude")
    # "…disponible en ce moment (du lundi…" in office hours, "…disponible du lundi…" outside.
    assert "L'équipe est disponible" in reply.text
    assert "du lundi au vendredi, de 9 h à 17 h" in reply.text
    assert "Désolé" not in reply.text  # not the apology for Rasa being down: it was not asked
    assert reply.buttons == (Button("Revenir à l'assistant", service.BACK),)
    with make_session_factory(migrated_engine)() as session:
        (listed,) = service.listed(session, relay.cipher)
        last = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    assert listed["participant"] == key
    assert [(m["author"], m["text"]) for m in listed["messages"]] == [
        ("patient", "je peux venir avec ma fille ?")
    ]
    assert last is not None and last.status == MessageStatus.DONE  # answered by the gateway


async def test_the_safety_check_still_comes_first(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    _handed_off(relay, migrated_engine, "p-urgent")
    (reply,) = await relay.handle(Inbound("web", "p-urgent", "I can't breathe, my lips are blue"))
    assert reply.text is not None and "Call 112 now" in reply.text
    with make_session_factory(migrated_engine)() as session:
        assert session.scalars(select(SafetyEvent.kind)).all() == ["emergency"]
        (listed,) = service.listed(session, relay.cipher)
    assert listed["messages"] == []


async def test_back_to_the_assistant_closes_it_and_goes_on_to_rasa(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    _handed_off(relay, migrated_engine, "p-back")
    (reply,) = await relay.handle(Inbound("web", "p-back", service.BACK))
    assert reply.text is not None and "Sorry, I can't answer right now" in reply.text
    with make_session_factory(migrated_engine)() as session:
        closed = session.scalars(select(Handoff)).one()
        waiting = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()))
        assert (closed.status, closed.closed_by) == ("closed", "patient")
        assert next(iter(waiting)).status == MessageStatus.PENDING  # Rasa will say it, later
    (after,) = await relay.handle(Inbound("web", "p-back", "where do I park?"))
    assert after.text is not None and "with the study team" not in after.text


async def test_after_the_assistant_handed_over_on_its_own_it_still_answers_until_staff_write(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    _handed_off(relay, migrated_engine, "p-missed", reason="misunderstood")
    # Not kept for the team: on to Rasa (down here), which can answer a question it knows.
    (reply,) = await relay.handle(Inbound("web", "p-missed", "wat r the side efects of a study"))
    assert reply.text is not None and "with the study team" not in reply.text
    with make_session_factory(migrated_engine).begin() as session:
        (listed,) = service.listed(session, relay.cipher)
        assert listed["messages"] == []
        service.reply(session, relay.cipher, listed["id"], "Which chairs do you mean?")
    # Once staff have written, the conversation is with them.
    # (The first question, still waiting for Rasa, is tried again after the notice.)
    then, *_ = await relay.handle(Inbound("web", "p-missed", "the blue ones in the hall"))
    assert then.text is not None and "Your question is with the study team" in then.text
    with make_session_factory(migrated_engine)() as session:
        (listed,) = service.listed(session, relay.cipher)
    assert [m["text"] for m in listed["messages"]][-1] == "the blue ones in the hall"
