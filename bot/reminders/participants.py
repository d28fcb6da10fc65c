"""Enrolled participants, and the one-time codes that bind their chat to them.

Staff add a participant by the site's own code; they get a link code (random, short-lived,
single use) and the Telegram and Messenger links that carry it. Opening a link, or typing the
code in any channel, binds that chat to the participant. Only the code's SHA-256 is stored.
A new code (`reissue`: a lost message, a new phone) makes the older unused ones stop working.

What staff see of them (`overview`, `record`) is plain rows, as in `bot.reminders.report`: the
channel of their chat, never its key or the platform's id for the person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.consent import ledger
from bot.consent.service import has_consent
from bot.consent.texts import LoadedConsents
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    ConsentRecord,
    Conversation,
    LinkCode,
    Participant,
    Reminder,
    ReminderStatus,
    as_utc,
    utcnow,
)
from bot.i18n.languages import LANGUAGES
from bot.reminders import report
from bot.reminders.permission import CONSENT

# Easy to read and to type on a phone: no 0/O, 1/I/L.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8  # 31**8 ≈ 8.5e11 codes, each working once and for a few days
_TYPED = re.compile(r"^\s*([A-Za-z0-9]{4})[\s-]?([A-Za-z0-9]{4})\s*$")
# Inside a sentence ("hi my code is K7QF3MZP"): one word, or two halves joined by a dash.
_WITHIN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{4})-?([A-Za-z0-9]{4})(?![A-Za-z0-9])")


class InvalidParticipant(ValueError):
    """What is wrong with a participant to add, in words for staff."""


class UnknownParticipant(InvalidParticipant):
    """No participant has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no participant {code!r}")


@dataclass(frozen=True)
class Added:
    participant: Participant
    link_code: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Reissued(Added):
    superseded: int  # older codes, never used, that stopped working


def add(
    session: Session,
    code: str,
    trial: str,
    trials: set[str],
    *,
    language: str = "en",
    timezone: str = "Europe/Paris",
    valid_for: dt.timedelta = dt.timedelta(hours=72),
) -> Added:
    """Register an enrolled participant and give them a first link code."""
    code = code.strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", code):
        raise InvalidParticipant(f"participant code {code!r}: 1 to 64 letters, digits, . _ or -")
    if trial not in trials:
        known = ", ".join(sorted(trials)) or "none"
        raise InvalidParticipant(f"unknown trial {trial!r} (known: {known})")
    if language not in LANGUAGES:
        raise InvalidParticipant(f"language {language!r}: one of {', '.join(LANGUAGES)}")
    check_timezone(timezone)
    if session.scalar(select(Participant.id).where(Participant.code == code)) is not None:
        raise InvalidParticipant(f"participant {code!r} is already registered")
    participant = Participant(code=code, trial=trial, language=language, timezone=timezone)
    session.add(participant)
    session.flush()
    link, expires_at = new_link_code(session, participant, valid_for)
    return Added(participant, link, expires_at)


def reissue(
    session: Session, code: str, *, valid_for: dt.timedelta = dt.timedelta(hours=72)
) -> Reissued:
    """A new link code for a registered participant, linked or not (a new phone: the new code
    binds the chat that uses it instead).

    Their older codes not yet used stop working: they are marked *expired* (`expires_at` set to
    now), not used, because `used_at` says a code bound a chat (`bound_to` reads it).
    """
    participant = session.scalar(
        select(Participant).where(Participant.code == code.strip()).with_for_update()
    )
    if participant is None:
        raise UnknownParticipant(code)
    now = utcnow()
    superseded = session.execute(
        update(LinkCode)
        .where(
            LinkCode.participant_id == participant.id,
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    link, expires_at = new_link_code(session, participant, valid_for)
    count = int(getattr(superseded, "rowcount", 0) or 0)
    return Reissued(participant, link, expires_at, superseded=count)


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParticipant(
            f"unknown time zone {name!r}: use an Area/City name such as Europe/Paris"
        ) from None


def new_link_code(
    session: Session, participant: Participant, valid_for: dt.timedelta
) -> tuple[str, dt.datetime]:
    link = ""
    while not _mixed(link):  # a letter and a digit, so a typed word is never taken for a code
        link = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    expires_at = utcnow() + valid_for
    session.add(
        LinkCode(participant_id=participant.id, code_sha256=_digest(link), expires_at=expires_at)
    )
    session.flush()
    return link, expires_at


def looks_like_code(text: str) -> str | None:
    """The code in a message, normalised: the whole message ("K7QF3MZP", "k7qf 3mzp"), or one
    word of it ("my code is k7qf-3mzp"); never a word of letters alone or of digits alone."""
    whole = _TYPED.match(text)
    for match in [whole] if whole else _WITHIN.finditer(text):
        code = (match[1] + match[2]).upper()
        if all(c in ALPHABET for c in code) and _mixed(code):
            return code
    return None


def _mixed(code: str) -> bool:
    return any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


def bind(session: Session, sender_key: str, code: str) -> Participant | None:
    """Bind this chat to the code's participant: once, before it expires; None otherwise."""
    normalised = looks_like_code(code) or code.strip()
    link = session.scalar(
        select(LinkCode).where(LinkCode.code_sha256 == _digest(normalised)).with_for_update()
    )
    now = utcnow()
    if link is None or link.used_at is not None or as_utc(link.expires_at) <= now:
        return None
    participant = session.get(Participant, link.participant_id)
    if participant is None:
        return None
    link.used_at = now
    participant.sender_key = sender_key
    participant.linked_at = now
    return participant


def bound_to(session: Session, code: str, sender_key: str) -> bool:
    """Whether `code` already bound this very chat (its owner followed their link again)."""
    normalised = looks_like_code(code) or code.strip()
    owner = session.scalar(
        select(Participant.sender_key)
        .join(LinkCode, LinkCode.participant_id == Participant.id)
        .where(LinkCode.code_sha256 == _digest(normalised), LinkCode.used_at.is_not(None))
    )
    return owner is not None and owner == sender_key


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# What staff see ---------------------------------------------------------------------------------


def overview(
    session: Session,
    texts: LoadedConsents,
    *,
    trial: str | None = None,
    code: str | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per participant, by code: their chat's channel, their latest link code, their
    next visit (not cancelled; `report.appointments`' row), whether the reminders consent is in
    force (`has_consent`, as the dispatcher decides it) and their reminders sent and failed."""
    found = standings(session, trial=trial, code=code, now=now)
    return [_row(session, texts, standing) for standing in found]


def record(
    session: Session, texts: LoadedConsents, code: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """A participant's `overview` row, with all their appointments and reminders (the rows of
    `appointments list` and `reminders list`) and their consent decisions, oldest first."""
    found = whole(session, code, now=now)
    return {
        **_row(session, texts, found.standing),
        "appointments": found.appointments,
        "reminders": found.reminders,
        "consents": [
            {
                "purpose": decision.consent_id,
                "decision": decision.decision,
                "version": decision.version,
                "language": decision.language,
                "recorded_at": _iso(decision.recorded_at),
                "seq": decision.seq,  # its place in `trialbot consent export`
            }
            for decision in found.consents
        ],
    }


@dataclass(frozen=True)
class Standing:
    """Where a participant stands: the facts of their `overview` row (the CLI's JSON), which
    the staff pages say in words."""

    participant: Participant
    channel: str | None  # of the conversation bound: never the platform's id
    link_code: dict[str, Any] | None  # the latest: its state (active, used, expired), times
    next_appointment: dict[str, Any] | None  # not cancelled, to come: `report.appointments`' row
    appointments: int  # all of them, cancelled ones too
    reminders_sent: int
    reminders_failed: int


@dataclass(frozen=True)
class Whole:
    """A participant whole (`record`): their standing, their appointments and reminders
    (`report`'s rows, soonest first) and their consent decisions, oldest first."""

    standing: Standing
    appointments: list[dict[str, Any]]
    reminders: list[dict[str, Any]]
    consents: list[ConsentRecord]


def matching(session: Session, text: str | None, *, limit: int) -> list[str]:
    """The codes that contain `text` (any case; a typed _ or % is itself; all when empty), as a
    person reads a list of them: by code in any case, `limit` at most."""
    query = select(Participant.code).order_by(func.lower(Participant.code), Participant.code)
    if text and text.strip():
        query = query.where(Participant.code.icontains(text.strip(), autoescape=True))
    return list(session.scalars(query.limit(limit)))


def standings(
    session: Session,
    *,
    trial: str | None = None,
    code: str | None = None,
    codes: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Standing]:
    """Where each participant stands (of `trial`, with `code`, among `codes`): by code, or in the
    order of `codes` when given."""
    now = now or utcnow()
    query = (
        select(Participant, Conversation.channel)
        .outerjoin(Conversation, Conversation.sender_key == Participant.sender_key)
        .order_by(Participant.code)
    )
    if trial is not None:
        query = query.where(Participant.trial == trial)
    if code is not None:
        query = query.where(Participant.code == code)
    if codes is not None:
        query = query.where(Participant.code.in_(codes))
    found = list(session.execute(query).all())
    if codes is not None:
        place = {one: i for i, one in enumerate(codes)}
        found.sort(key=lambda row: place[row[0].code])
    ids = [person.id for person, _ in found]
    latest = _latest_codes(session, ids)
    counts = _counts(session, ids)
    upcoming = _next_appointments(session, [person.code for person, _ in found], now)
    return [
        Standing(
            person,
            channel,
            _code_state(latest.get(person.id), now),
            upcoming.get(person.code),
            *counts.get(person.id, (0, 0, 0)),  # appointments, reminders sent and failed
        )
        for person, channel in found
    ]


def whole(session: Session, code: str, *, now: dt.datetime | None = None) -> Whole:
    """A participant whole, by their code (`UnknownParticipant` for none)."""
    found = standings(session, code=code, now=now)
    if not found:
        raise UnknownParticipant(code)
    sender_key = found[0].participant.sender_key
    return Whole(
        standing=found[0],
        appointments=report.appointments(session, code),
        reminders=report.reminders(session, code),
        # Read without creating a pseudonym in the ledger (`history` passes create=False).
        consents=ledger.history(session, sender_key) if sender_key else [],
    )


def _row(session: Session, texts: LoadedConsents, standing: Standing) -> dict[str, Any]:
    """A participant's `overview` row."""
    person = standing.participant
    return {
        "participant_code": person.code,
        "trial": person.trial,
        "language": person.language,
        "timezone": person.timezone,
        "linked": person.sender_key is not None,
        "channel": standing.channel,  # of the conversation bound: never the platform's id
        "linked_at": _iso(person.linked_at),
        "link_code": standing.link_code,
        "next_appointment": standing.next_appointment,
        "reminders_consent": person.sender_key is not None
        and has_consent(session, texts, person.sender_key, CONSENT),
        "reminders_sent": standing.reminders_sent,
        "reminders_failed": standing.reminders_failed,
        "created_at": _iso(person.created_at),
    }


def _latest_codes(session: Session, ids: list[int]) -> dict[int, LinkCode]:
    query = select(LinkCode).where(LinkCode.participant_id.in_(ids)).order_by(LinkCode.id)
    return {link.participant_id: link for link in session.scalars(query)}  # the newest wins


def _code_state(link: LinkCode | None, now: dt.datetime) -> dict[str, Any] | None:
    if link is None:
        return None
    if link.used_at is not None:
        state = "used"
    elif as_utc(link.expires_at) <= now:
        state = "expired"
    else:
        state = "active"
    return {"state": state, "expires_at": _iso(link.expires_at), "used_at": _iso(link.used_at)}


def _counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per participant: appointments, reminders sent, reminders that failed."""
    if not ids:
        return {}
    query = (
        select(
            Appointment.participant_id,
            func.count(func.distinct(Appointment.id)),
            func.sum(case((Reminder.status == ReminderStatus.SENT, 1), else_=0)),
            func.sum(case((Reminder.status == ReminderStatus.FAILED, 1), else_=0)),
        )
        .outerjoin(Reminder, Reminder.appointment_id == Appointment.id)
        .where(Appointment.participant_id.in_(ids))
        .group_by(Appointment.participant_id)
    )
    return {
        person: (int(appointments), int(sent or 0), int(failed or 0))
        for person, appointments, sent, failed in session.execute(query)
    }


def _next_appointments(
    session: Session, codes: Sequence[str], now: dt.datetime
) -> dict[str, dict[str, Any]]:
    """Each participant's next visit not cancelled, as `report.appointments` gives it (one
    query for all of them)."""
    upcoming: dict[str, dict[str, Any]] = {}
    if not codes:
        return upcoming
    for row in report.appointments(session, participants=codes):  # soonest first
        if (
            row["status"] != AppointmentStatus.CANCELLED
            and dt.datetime.fromisoformat(row["starts_at"]) > now
        ):
            upcoming.setdefault(row["participant_code"], row)
    return upcoming


def _iso(moment: dt.datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None
