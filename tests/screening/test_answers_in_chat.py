"""In the chat: answers a person understands are stored and the questions move on, instead of
the same question coming back word for word; a question asked instead of an answer is not one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions import common, screening
from bot.consent import service
from bot.consent.texts import LoadedConsents, load_consents
from bot.crypto import Cipher
from bot.db.models import Conversation, LanguageSource
from bot.screening import store
from bot.screening.criteria import Answer, Criteria
from bot.settings import PROJECT_ROOT

WHO = "web-5e1a"
CIPHER = Cipher([Fernet.generate_key()])
T2D_SO_FAR: dict[str, Answer] = {"age": 54}


@pytest.fixture
def texts() -> LoadedConsents:
    return load_consents(PROJECT_ROOT / "knowledge")


@pytest.fixture
def chat(
    sessions: sessionmaker[Session], texts: LoadedConsents, monkeypatch: pytest.MonkeyPatch
) -> sessionmaker[Session]:
    """A person who agreed to the pre-screening, with the actions on this test's database."""
    monkeypatch.setattr(screening, "default_sessions", lambda: sessions)
    monkeypatch.setattr(screening, "cipher", lambda: CIPHER)
    monkeypatch.setattr(screening, "_consents", lambda: texts)

    async def no_vetted_answer(*_: Any) -> bool:
        return False

    monkeypatch.setattr(screening, "_answered_as_question", no_vetted_answer)
    with sessions.begin() as session:
        session.add(
            Conversation(
                channel="web",
                sender_key=WHO,
                language="en",
                language_source=LanguageSource.DEFAULT,
            )
        )
        shown = service.to_ask(session, texts, WHO, "prescreening", "en")
        assert shown is not None
        service.decide(session, WHO, shown.reference, agreed=True)
    return sessions


def _criteria(trial: str) -> Criteria:
    return common.trials().screenable()[trial].criteria


def _say(
    sessions: sessionmaker[Session],
    texts: LoadedConsents,
    trial: str,
    before: dict[str, Answer],
    asked: str,
    text: str,
    lang: str,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Answer]]:
    """Answer `before`, then type `text` to `asked`: the slots set, what was said, what is kept."""
    criteria = _criteria(trial)
    with sessions.begin() as session:
        progress = store.start(session, CIPHER, texts, WHO, criteria)
        if before:
            store.answer(session, CIPHER, texts, progress.screening_id, criteria, before)
    slots = {"trial": trial, "screening_question": asked, "language": lang}
    message = {"text": text, "intent": {"name": "faq"}, "entities": []}
    user = {"event": "user", "text": text, "parse_data": message}
    tracker = Tracker(WHO, slots, message, [user], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    validate = screening.ValidateScreeningForm().validate_screening_answer
    set_slots = asyncio.run(validate(text, dispatcher, tracker, {}))
    with sessions.begin() as session:
        kept = store.start(session, CIPHER, texts, WHO, criteria).answers
    return set_slots, list(dispatcher.messages), dict(kept)


@pytest.mark.parametrize(
    ("trial", "before", "asked", "text", "lang", "kept", "next_question"),
    [
        ("demo-asthma-002", {"age": 30}, "asthma_diagnosis",
         "yes shes had it since she was a kid", "en", {"asthma_diagnosis": "over_12_months"},
         "copd"),
        ("demo-asthma-002", {"age": 30}, "asthma_diagnosis",
         "oui depuis qu'elle est toute petite", "fr", {"asthma_diagnosis": "over_12_months"},
         "copd"),
        # The time said with the type answers the next question: it is not asked.
        ("demo-t2d-001", T2D_SO_FAR, "diabetes_type", "type 2 depuis 3 ans", "fr",
         {"diabetes_type": "type_2", "diagnosed_6_months": True}, "metformin"),
        ("demo-t2d-001", {**T2D_SO_FAR, "diabetes_type": "type_2", "diagnosed_6_months": True,
                          "metformin": True, "insulin": False},
         "hba1c", "dunno my last hba1c, maybe 7.5%", "en", {"hba1c": 7.5}, "dialysis"),
        ("demo-t2d-001", {**T2D_SO_FAR, "diabetes_type": "type_2", "diagnosed_6_months": True},
         "metformin", "oui, c'est pas grave ?", "fr", {"metformin": True}, "insulin"),
    ],
)  # fmt: skip
def test_an_answer_a_person_understands_moves_the_questions_on(
    chat: sessionmaker[Session],
    texts: LoadedConsents,
    trial: str,
    before: dict[str, Answer],
    asked: str,
    text: str,
    lang: str,
    kept: dict[str, Answer],
    next_question: str,
) -> None:
    set_slots, said, answers = _say(chat, texts, trial, before, asked, text, lang)
    assert said == []  # neither "I did not understand" nor an answer to a question
    assert set_slots["screening_question"] == next_question
    assert {key: answers.get(key) for key in kept} == kept


@pytest.mark.parametrize(
    ("text", "lang"), [("is there a placebo?", "en"), ("c'est pas remboursé ?", "fr")]
)
def test_a_question_instead_of_an_answer_is_not_stored_as_one(
    chat: sessionmaker[Session], texts: LoadedConsents, text: str, lang: str
) -> None:
    before = {**T2D_SO_FAR, "diabetes_type": "type_2", "diagnosed_6_months": True}
    set_slots, said, answers = _say(chat, texts, "demo-t2d-001", before, "metformin", text, lang)
    assert "metformin" not in answers
    assert [message.get("response") for message in said] == ["utter_screening_question_unanswered"]
    assert "screening_question" not in set_slots  # the same question comes back
