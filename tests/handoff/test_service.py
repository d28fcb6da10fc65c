"""Handoffs in the database: one open per person, answers queued, closed, listed, erased."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Cipher
from bot.db.models import Handoff, HandoffMessage, utcnow
from bot.handoff import service
from bot.handoff.summary import summarise
from bot.rights import erasure
from bot.settings import Settings
from tests.handoff.factories import conversation, handoff

WHO = "web-0a1b2c"


@pytest.fixture
def cipher() -> Cipher:
    return Cipher([Fernet.generate_key()])


def test_a_second_request_adds_to_the_open_handoff(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, WHO, language="fr")
        first = handoff(session, cipher, WHO, text="je veux parler à quelqu'un de l'équipe")
        again = service.open_for(
            session, cipher, Settings(), sender_key=WHO, reason="asked", summary="…", text="allô ?",
            trial=None,
        )  # fmt: skip
        assert again is not None and again.handoff.id == first.id and not again.new
        assert service.note(session, cipher, WHO, "vous êtes là ?") is not None
        assert service.note(session, cipher, "web-nobody", "hello") is None
    with sessions() as session:
        (listed,) = service.listed(session, cipher)
    assert listed["kind"] == "handoff" and listed["participant"] == WHO
    assert (listed["channel"], listed["language"], listed["status"]) == ("web", "fr", "open")
    assert "je veux parler à quelqu'un de l'équipe" in listed["text"]
    assert [(m["author"], m["text"]) for m in listed["messages"]] == [
        ("patient", "allô ?"),
        ("patient", "vous êtes là ?"),
    ]


def test_free_text_is_never_stored_in_clear(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, WHO)
        opened = handoff(session, cipher, WHO, text="my blood sugar is 14")
        service.note(session, cipher, WHO, "and my insulin dose is 20 units")
        service.reply(session, cipher, opened.id, "Please call us about your dose")
    with sessions() as session:
        stored = [session.scalars(select(Handoff.summary)).one()]
        stored += session.scalars(select(HandoffMessage.text)).all()
    assert len(stored) == 3
    for value in stored:
        assert "sugar" not in value and "insulin" not in value and "dose" not in value
        assert cipher.decrypt(value)


def test_staff_answers_are_queued_and_closing_tells_the_person(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, WHO, language="fr")
        opened = handoff(session, cipher, WHO)
        service.reply(session, cipher, opened.id, "Bonjour, je vous appelle demain.", close=True)
    with sessions() as session:
        (row,) = service.listed(session, cipher, everything=True)
        assert service.listed(session, cipher) == []  # only open ones by default
        assert service.current(session, WHO) is None
    assert (row["status"], row["closed_by"]) == ("closed", "staff")
    assert [(m["author"], m["delivery"]) for m in row["messages"]] == [
        ("staff", "pending"),
        ("assistant", "pending"),
    ]
    assert row["messages"][1]["text"].startswith("L'équipe de l'étude a clos votre demande.")


def test_unknown_closed_or_empty_answers_are_refused(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, WHO)
        opened = handoff(session, cipher, WHO)
        with pytest.raises(service.NoSuchHandoff, match="there is no handoff 999"):
            service.reply(session, cipher, 999, "hello")
        with pytest.raises(service.HandoffError, match="empty"):
            service.reply(session, cipher, opened.id, "  ")
        service.close(session, cipher, opened.id)
        with pytest.raises(service.HandoffError, match=f"handoff {opened.id} is closed"):
            service.reply(session, cipher, opened.id, "hello")
        with pytest.raises(service.HandoffError, match="is closed"):
            service.close(session, cipher, opened.id)


def test_the_person_going_back_closes_it_and_a_new_request_opens_another(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, WHO)
        first = handoff(session, cipher, WHO)
        closed = service.close_for(session, WHO)
        assert closed is not None and closed.closed_by == "patient"
        assert service.close_for(session, WHO) is None
        second = handoff(session, cipher, WHO, reason="misunderstood")
    assert second.id != first.id
    with sessions() as session:
        assert [r["reason"] for r in service.listed(session, cipher, everything=True)] == [
            "misunderstood",
            "asked",
        ]


def test_no_handoff_without_a_conversation_to_answer_in(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        opened = service.open_for(
            session,
            cipher,
            Settings(),
            sender_key=WHO,
            reason="asked",
            summary="…",
            text="hi",
            trial=None,
        )
    assert opened is None


def test_erasure_forgets_the_persons_handoffs_and_their_messages(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, WHO)
        conversation(session, "web-other")
        opened = handoff(session, cipher, WHO)
        service.reply(session, cipher, opened.id, "Hello from the team", close=True)
        handoff(session, cipher, WHO)
        handoff(session, cipher, "web-other")
    with sessions.begin() as session:
        erased = erasure.erase(session, WHO, None)
    assert erased.handoffs == 2
    with sessions() as session:
        assert session.scalars(select(Handoff.sender_key)).all() == ["web-other"]
        assert session.scalars(select(HandoffMessage)).all() == []


def test_the_summary_says_why_what_was_going_on_and_the_last_messages() -> None:
    said = [f"message {n}" for n in range(1, 8)] + ['/faq{"entry_id": "cost"}', "x" * 400]
    summary = summarise(
        reason="misunderstood", said=said, trial="demo-t2d-001", form="screening_form",
        question="age",
    )  # fmt: skip
    lines = summary.splitlines()
    assert lines[:4] == [
        "The assistant had no checked answer twice in a row.",
        "Trial: demo-t2d-001.",
        "They were answering the pre-screening questions (question: age).",
        "Last messages:",
    ]
    assert lines[4:8] == ["- message 4", "- message 5", "- message 6", "- message 7"]
    assert lines[8].endswith("…") and len(lines[8]) == 302  # a button's payload is left out


def test_retention_deletes_handoffs_older_than_the_period(
    sessions: sessionmaker[Session], cipher: Cipher
) -> None:
    with sessions.begin() as session:
        conversation(session, "web-old")
        conversation(session, WHO)
        old = handoff(session, cipher, "web-old")
        service.reply(session, cipher, old.id, "An answer from long ago")
        old.created_at = utcnow() - dt.timedelta(days=400)
        handoff(session, cipher, WHO)
    with sessions.begin() as session:
        erasure.purge(session, None, dt.timedelta(days=180))
    with sessions() as session:
        assert session.scalars(select(Handoff.sender_key)).all() == [WHO]
        assert session.scalars(select(HandoffMessage)).all() == []
