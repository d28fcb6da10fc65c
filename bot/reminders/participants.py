"""Enrolled participants, and the one-time codes that bind their chat to them.

Staff add a participant by the site's own code; they get a link code (random, short-lived,
single use) and the Telegram and Messenger links that carry it. Opening a link, or typing the
code in any channel, binds that chat to the participant. Only the code's SHA-256 is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import LinkCode, Participant, as_utc, utcnow
from bot.i18n.languages import LANGUAGES

# Easy to read and to type on a phone: no 0/O, 1/I/L.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8  # 31**8 ≈ 8.5e11 codes, each working once and for a few days
_TYPED = re.compile(r"^\s*([A-Za-z0-9]{4})[\s-]?([A-Za-z0-9]{4})\s*$")
# Inside a sentence ("hi my code is K7QF3MZP"): one word, or two halves joined by a dash.
_WITHIN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{4})-?([A-Za-z0-9]{4})(?![A-Za-z0-9])")


class InvalidParticipant(ValueError):
    """What is wrong with a participant to add, in words for staff."""


@dataclass(frozen=True)
class Added:
    participant: Participant
    link_code: str
    expires_at: dt.datetime


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
