"""Messages that carry a side effect and something else, and the promises the gateway makes."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from bot.channels.base import Inbound
from bot.db.models import Handoff, InboundMessage, MessageStatus, SafetyEvent, Screening
from bot.db.session import make_session_factory
from bot.gateway.relay import Relay
from bot.settings import Settings
from tests.gateway.test_relay_offline import _relay  # Rasa down: what reaches it waits for it
from tests.handoff.factories import conversation
from tests.handoff.test_relay import _handed_off

T2D_PHONE = "+33 1 99 00 12 34"  # knowledge/trials/demo-t2d-001/trial.yml


def _messages(engine: Engine, relay: Relay) -> list[tuple[MessageStatus, str | None]]:
    with make_session_factory(engine)() as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id))
        return [(r.status, relay.cipher.decrypt(r.text) if r.text else None) for r in rows]


async def test_a_side_effect_and_a_question_get_both_the_acknowledgement_and_the_answer(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    text = "Since the injection my arm is swollen, and when is my next visit?"
    ack, then = await relay.handle(Inbound("web", "p-mixed", text))
    assert ack.text is not None and "passed this on to the study team" in ack.text
    # The question went on to Rasa (down here: the apology says it will be answered).
    assert then.text is not None and "Sorry, I can't answer right now" in then.text
    assert _messages(migrated_engine, relay) == [(MessageStatus.PENDING, "when is my next visit?")]
    with make_session_factory(migrated_engine)() as session:
        (event,) = session.scalars(select(SafetyEvent)).all()
    assert event.kind == "adverse_event"


async def test_an_answer_to_a_form_with_a_side_effect_still_reaches_the_form_in_french(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    replies = await relay.handle(
        Inbound("web", "p-form", "oui, et depuis les comprimés j'ai mal au ventre")
    )
    assert [r.text is not None and "transmis votre message" in r.text for r in replies] == [
        True,
        False,
    ]
    assert _messages(migrated_engine, relay) == [(MessageStatus.PENDING, "oui")]


async def test_a_side_effect_alone_is_answered_by_the_gateway_only(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    ack, follow_up = await relay.handle(
        Inbound("web", "p-alone", "since the study drug my arm is red and swollen, is that normal?")
    )
    assert ack.text is not None and "passed this on to the study team" in ack.text
    assert follow_up.text is not None and "When did it start?" in follow_up.text
    assert [status for status, _ in _messages(migrated_engine, relay)] == [MessageStatus.DONE]


async def test_during_a_pre_screening_the_side_effect_names_that_trial_and_its_number(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    key = relay.sender_key("web", "p-screen")
    with make_session_factory(migrated_engine).begin() as session:
        conversation(session, key, language="fr")
        session.add(
            Screening(
                sender_key=key,
                trial="demo-t2d-001",
                criteria_version=1,
                answers=relay.cipher.encrypt(json.dumps({"age": 54})),
            )
        )
    ack, _ = await relay.handle(
        Inbound("web", "p-screen", "depuis le traitement j'ai des vertiges tous les matins")
    )
    assert ack.text is not None and f"Appelez-la aussi au {T2D_PHONE}." in ack.text
    with make_session_factory(migrated_engine)() as session:
        (event,) = session.scalars(select(SafetyEvent)).all()
    assert event.trial == "demo-t2d-001"


async def test_with_no_trial_known_the_person_is_told_where_the_number_is(
    migrated_engine: Engine, settings: Settings
) -> None:
    ack, _ = await _relay(migrated_engine, settings).handle(
        Inbound("web", "p-none", "since the new tablets I get bad headaches every afternoon")
    )
    assert ack.text is not None
    assert "call them, and" not in ack.text and "call them." not in ack.text
    assert "their number is on your information sheet" in ack.text


async def test_a_site_phone_is_given_when_no_trial_is_known(
    migrated_engine: Engine, settings: Settings
) -> None:
    site = settings.model_copy(update={"site_phone": "+33 1 99 00 10 00"})
    ack, _ = await _relay(migrated_engine, site).handle(
        Inbound("web", "p-site", "depuis la piqure j'ai des boutons partout")
    )
    assert ack.text is not None and "Appelez-la aussi au +33 1 99 00 10 00." in ack.text


async def test_thanks_after_the_team_answered_get_a_welcome_not_the_office_hours(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    _handed_off(relay, migrated_engine, "p-thanks")
    (reply,) = await relay.handle(Inbound("web", "p-thanks", "great thank you"))
    assert reply.text is not None and reply.text.startswith("You're welcome.")
    assert "available" not in reply.text
    (told,) = await relay.handle(Inbound("web", "p-thanks", "friday works, thanks very much"))
    assert told.text is not None and told.text.startswith("You're welcome.")
    (question,) = await relay.handle(Inbound("web", "p-thanks", "thanks, and can I bring my son?"))
    assert question.text is not None and "Your question is with the study team" in question.text


async def test_typing_back_to_the_assistant_closes_the_handoff_like_the_button(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    _handed_off(relay, migrated_engine, "p-back", "fr")
    (reply,) = await relay.handle(Inbound("web", "p-back", "revenir à l'assistant svp"))
    assert reply.text is not None and "Votre question est entre les mains" not in reply.text
    with make_session_factory(migrated_engine)() as session:
        assert session.scalars(select(Handoff.status)).all() == ["closed"]
    assert _messages(migrated_engine, relay)[-1] == (
        MessageStatus.PENDING,
        '/back_to_assistant{"closed_request":"yes"}',
    )
    # Typed again, with no request open: Rasa is told none was closed.
    await relay.handle(Inbound("web", "p-back", "back to the assistant please"))
    assert _messages(migrated_engine, relay)[-1] == (
        MessageStatus.PENDING,
        '/back_to_assistant{"closed_request":"no"}',
    )


async def test_a_side_effect_alone_during_the_questions_lets_the_form_ask_again(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    key = relay.sender_key("web", "p-mid-form")
    with make_session_factory(migrated_engine).begin() as session:
        conversation(session, key)
        session.add(
            Screening(
                sender_key=key, trial="demo-t2d-001", criteria_version=3,
                answers=relay.cipher.encrypt("{}"), next_question="age",
            )
        )  # fmt: skip
    text = "the study tablets have given me a rash"
    ack, then = await relay.handle(Inbound("web", "p-mid-form", text))
    assert ack.text is not None and "Please also call them on +33 1 99 00 12 34." in ack.text
    assert then.text is not None and "Sorry, I can't answer right now" in then.text
    assert _messages(migrated_engine, relay) == [(MessageStatus.PENDING, text)]
