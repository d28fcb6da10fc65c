"""The consent ledger proves what was agreed: a changed or missing record is found and named."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from bot.consent import ledger
from bot.consent.ledger import Decision
from bot.db.models import ConsentRecord

TEXT_HASH = "a" * 64


def _decide(
    sessions: sessionmaker[Session], who: str, consent: str, decision: Decision, version: int = 1
) -> None:
    with sessions.begin() as session:
        ledger.append(
            session,
            sender_key=who,
            channel="web",
            consent_id=consent,
            version=version,
            language="en",
            text_sha256=TEXT_HASH,
            decision=decision,
        )


@pytest.fixture
def filled(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    _decide(sessions, "web-alice", "prescreening", Decision.GRANTED)
    _decide(sessions, "web-bob", "prescreening", Decision.REFUSED)
    _decide(sessions, "web-alice", "reminders", Decision.GRANTED)
    _decide(sessions, "web-alice", "prescreening", Decision.WITHDRAWN)
    return sessions


def _break_in(session: Session, statement: str) -> None:
    """What someone with write access to the database could do, triggers out of the way."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE consent_ledger DISABLE TRIGGER USER"))
        session.execute(text(statement))
        session.execute(text("ALTER TABLE consent_ledger ENABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER consent_ledger_no_update"))
        session.execute(text("DROP TRIGGER consent_ledger_no_delete"))
        session.execute(text(statement))


def test_an_untouched_ledger_verifies(filled: sessionmaker[Session]) -> None:
    with filled() as session:
        result = ledger.verify(session)
        assert result.ok and result.records == 4
        assert {k: r.decision for k, r in ledger.latest(session, "web-alice").items()} == {
            "prescreening": "withdrawn",
            "reminders": "granted",
        }
        assert set(ledger.granted(session, "web-alice")) == {"reminders"}
        rows = list(ledger.export_rows(session))
    # People appear only as pseudonyms, and the same person always as the same one.
    assert not any("alice" in str(value) for row in rows for value in row.values())
    assert rows[0]["participant"] == rows[2]["participant"] != rows[1]["participant"]
    assert result.head == rows[-1]["hash"]


def test_a_modified_record_is_named(filled: sessionmaker[Session]) -> None:
    with filled.begin() as session:
        _break_in(session, "UPDATE consent_ledger SET decision = 'granted' WHERE seq = 4")
    with filled() as session:
        result = ledger.verify(session)
    assert not result.ok and result.broken_seq == 4 and result.records == 3
    assert "modified" in result.reason


def test_a_deleted_record_is_named(filled: sessionmaker[Session]) -> None:
    with filled.begin() as session:
        _break_in(session, "DELETE FROM consent_ledger WHERE seq = 2")
    with filled() as session:
        result = ledger.verify(session)
    assert not result.ok and result.broken_seq == 2
    assert "missing" in result.reason


def test_a_record_rewritten_with_a_fresh_hash_still_breaks_the_chain(
    filled: sessionmaker[Session],
) -> None:
    with filled.begin() as session:
        forged = session.scalars(select(ConsentRecord).where(ConsentRecord.seq == 2)).one()
        session.expunge(forged)
        forged.decision = "granted"
        new_hash = ledger.record_hash(forged)
        _break_in(
            session,
            f"UPDATE consent_ledger SET decision = 'granted', hash = '{new_hash}' WHERE seq = 2",  # noqa: S608
        )
    with filled() as session:
        result = ledger.verify(session)
    assert not result.ok and result.broken_seq == 3  # the next record still points at the old one


def test_the_database_refuses_to_change_the_ledger(filled: sessionmaker[Session]) -> None:
    for statement in (
        "UPDATE consent_ledger SET decision = 'granted'",
        "DELETE FROM consent_ledger WHERE seq = 1",
    ):
        with pytest.raises(DatabaseError, match="append-only"), filled.begin() as session:
            session.execute(text(statement))
    with filled() as session:
        assert ledger.verify(session).records == 4


def test_erasure_leaves_a_tombstone_and_unlinks_the_person(filled: sessionmaker[Session]) -> None:
    with filled.begin() as session:
        before = {row["participant"] for row in ledger.export_rows(session)}
        ledger.tombstone(session, "web-alice", "web", "en")
    with filled() as session:
        assert ledger.latest(session, "web-alice") == {}
        assert ledger.participant(session, "web-alice", create=False) is None
        rows = list(ledger.export_rows(session))
        assert ledger.verify(session).ok
    assert rows[-1]["decision"] == "erased" and rows[-1]["text_sha256"] == ""
    assert {row["participant"] for row in rows} == before
    # Coming back later makes a new pseudonym: the old records stay tied to no one.
    _decide(filled, "web-alice", "prescreening", Decision.GRANTED)
    with filled() as session:
        assert ledger.participant(session, "web-alice", create=False) not in before


def test_writers_at_the_same_time_keep_one_unbroken_chain(sessions: sessionmaker[Session]) -> None:
    def writer(n: int) -> None:
        for i in range(10):
            _decide(sessions, f"web-{n}-{i}", "prescreening", Decision.GRANTED)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        result = ledger.verify(session)
    assert result.ok and result.records == 40


def test_a_text_kept_by_another_server_meanwhile_does_not_fail_the_turn(
    sessions: sessionmaker[Session],
) -> None:
    """Two action servers showing a new consent text at the same moment: both found it not kept,
    the second insert failed (a unique violation), and that person never saw the consent
    question nor had their answers kept (seen under load in bench/fleet)."""
    import datetime as dt

    from bot.consent.texts import ConsentText
    from bot.db.models import StoredConsentText

    shown = ConsentText("prescreening", 1, "en", "Pre-screening", dt.date(2026, 1, 1), "The words.")
    with sessions.begin() as session:
        ledger.remember_text(session, shown)  # the other server's
    with sessions.begin() as session:
        session.get = lambda *args, **kwargs: None  # type: ignore[method-assign]  # looked before
        ledger.remember_text(session, shown)
        ledger.append(
            session, sender_key="web-carol", channel="web", consent_id="prescreening",
            version=1, language="en", text_sha256=shown.sha256, decision=Decision.GRANTED,
        )  # fmt: skip
    with sessions() as session:
        assert len(session.scalars(select(StoredConsentText)).all()) == 1
        assert ledger.verify(session).records == 1
