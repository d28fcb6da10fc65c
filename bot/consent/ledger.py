"""The consent ledger: append-only decisions, each hashing the one before (a hash chain).

A record is never updated or deleted (on PostgreSQL and SQLite a trigger refuses both). Its hash
covers every field and the previous record's hash, and `seq` counts up without a gap, so changing,
removing or re-ordering a record breaks the chain at that point: `verify()` names it.

People appear as a pseudonym: an HMAC of their conversation key under a secret of their own
(`consent_subjects`). Erasure deletes that secret, which leaves their records (kept as the proof
the trial needs) tied to no one, and appends a tombstone that holds no personal data either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.consent.texts import ConsentText
from bot.db.models import ConsentRecord, ConsentSubject, StoredConsentText, utcnow

GENESIS = "0" * 64
ERASURE = "erasure"  # the consent_id of a tombstone
_APPEND_ATTEMPTS = 20  # SQLite: writers that read the same last record retry on the next
_LEDGER_LOCK = 0x7C0_5E27  # PostgreSQL advisory lock key of the ledger's tail


class Decision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    ERASED = "erased"


HASHED_FIELDS = (
    "seq",
    "participant",
    "channel",
    "consent_id",
    "version",
    "language",
    "text_sha256",
    "decision",
    "recorded_at",
    "prev_hash",
)


def record_hash(record: ConsentRecord) -> str:
    values: dict[str, Any] = {name: getattr(record, name) for name in HASHED_FIELDS}
    values["recorded_at"] = _utc_text(record.recorded_at)
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def participant(session: Session, sender_key: str, *, create: bool = True) -> str | None:
    """The person's pseudonym in the ledger; None once erased (unless `create`)."""
    subject = session.get(ConsentSubject, sender_key)
    if subject is None:
        if not create:
            return None
        subject = ConsentSubject(sender_key=sender_key, secret=secrets.token_hex(32))
        session.add(subject)
        session.flush()
    return pseudonym_of(subject, sender_key)


def pseudonym_of(subject: ConsentSubject, sender_key: str) -> str:
    """The ledger's pseudonym of `sender_key` under its subject's secret."""
    digest = hmac.new(bytes.fromhex(subject.secret), sender_key.encode(), hashlib.sha256)
    return "p-" + digest.hexdigest()[:32]


def remember_text(session: Session, text: ConsentText) -> None:
    """Keep the exact words of a consent text that is about to be shown. Two action servers
    showing a new text at the same moment both try: the second finds it kept (its insert fails
    inside a savepoint, and the person's turn goes on)."""
    if session.get(StoredConsentText, (text.sha256, text.version)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                StoredConsentText(
                    sha256=text.sha256,
                    consent_id=text.id,
                    version=text.version,
                    language=text.lang,
                    title=text.title,
                    effective=text.effective,
                    body=text.body,
                )
            )
    except IntegrityError:
        pass  # kept by another writer meanwhile: the same words, by their hash


def append(
    session: Session,
    *,
    sender_key: str,
    channel: str,
    consent_id: str,
    version: int,
    language: str,
    text_sha256: str,
    decision: Decision,
) -> ConsentRecord:
    """Add a decision at the end of the chain (concurrent writers retry on the next seq)."""
    who = participant(session, sender_key)
    assert who is not None
    return _append(
        session,
        participant=who,
        channel=channel,
        consent_id=consent_id,
        version=version,
        language=language,
        text_sha256=text_sha256,
        decision=str(decision),
    )


def tombstone(session: Session, sender_key: str, channel: str, language: str) -> ConsentRecord:
    """Mark the erasure in the ledger, then forget whose records these were."""
    who = participant(session, sender_key)
    assert who is not None
    record = _append(
        session,
        participant=who,
        channel=channel,
        consent_id=ERASURE,
        version=0,
        language=language,
        text_sha256="",
        decision=str(Decision.ERASED),
    )
    subject = session.get(ConsentSubject, sender_key)
    if subject is not None:
        session.delete(subject)
        session.flush()
    return record


def _append(session: Session, **fields: Any) -> ConsentRecord:
    if session.get_bind().dialect.name == "postgresql":
        # Appends queue up until the transaction ends: one writer at a time, never a retry.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEDGER_LOCK})
    for _ in range(_APPEND_ATTEMPTS):
        last = session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq.desc()).limit(1))
        previous = last.first()
        record = ConsentRecord(
            seq=previous.seq + 1 if previous else 1,
            prev_hash=previous.hash if previous else GENESIS,
            recorded_at=utcnow(),
            **fields,
        )
        record.hash = record_hash(record)
        try:
            with session.begin_nested():
                session.add(record)
        except IntegrityError:
            continue  # another writer took this seq: chain onto theirs
        return record
    raise RuntimeError("the consent ledger is too busy: could not append a record")


def history(session: Session, sender_key: str) -> list[ConsentRecord]:
    """The person's decisions, oldest first (none once erased)."""
    who = participant(session, sender_key, create=False)
    if who is None:
        return []
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.participant == who)
            .order_by(ConsentRecord.seq)
        )
    )


def latest(session: Session, sender_key: str) -> dict[str, ConsentRecord]:
    """The person's last decision on each consent (none once erased)."""
    return {record.consent_id: record for record in history(session, sender_key)}


def granted(session: Session, sender_key: str) -> dict[str, ConsentRecord]:
    """The consents the person has given and not withdrawn."""
    return {
        consent_id: record
        for consent_id, record in latest(session, sender_key).items()
        if record.decision == Decision.GRANTED
    }


@dataclass(frozen=True)
class Verification:
    records: int
    head: str  # the hash of the last record: an anchor to keep outside the database
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify(session: Session) -> Verification:
    """Walk the chain from the start; stop at the first record that does not hold."""
    previous_hash, count = GENESIS, 0
    for record in _in_order(session):
        count += 1
        expected = count
        if record.seq != expected:
            reason = (
                f"record {expected} is missing (deleted?): the next one is seq {record.seq}"
                if record.seq > expected
                else f"seq {record.seq} appears where {expected} should be"
            )
            return Verification(count - 1, previous_hash, expected, record.id, reason)
        if record.prev_hash != previous_hash:
            reason = "its prev_hash is not the hash of the record before (one was changed)"
            return Verification(count - 1, previous_hash, record.seq, record.id, reason)
        if record_hash(record) != record.hash:
            reason = "its content does not match its hash (the record was modified)"
            return Verification(count - 1, previous_hash, record.seq, record.id, reason)
        previous_hash = record.hash
    return Verification(count, previous_hash)


EXPORT_FIELDS = (
    "seq",
    "recorded_at",
    "participant",
    "channel",
    "consent_id",
    "version",
    "language",
    "decision",
    "text_sha256",
    "prev_hash",
    "hash",
)


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Every record, in order, as plain values (for the trial master file)."""
    for record in _in_order(session):
        yield {
            "seq": record.seq,
            "recorded_at": _utc_text(record.recorded_at),
            "participant": record.participant,
            "channel": record.channel,
            "consent_id": record.consent_id,
            "version": record.version,
            "language": record.language,
            "decision": record.decision,
            "text_sha256": record.text_sha256,
            "prev_hash": record.prev_hash,
            "hash": record.hash,
        }


def _in_order(session: Session) -> Iterator[ConsentRecord]:
    query = select(ConsentRecord).order_by(ConsentRecord.seq).execution_options(yield_per=1000)
    yield from session.scalars(query)


def _utc_text(moment: datetime) -> str:
    """The same text whether the database kept the time zone (PostgreSQL) or not (SQLite)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")
