"""Staff accounts: argon2id passwords, sign-in with a lock-out, and signed-in sessions.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a
copy of the database signs no one in. Each session carries its own CSRF token for its forms. It
ends after a while without use, and in any case a fixed time after sign-in.

Every refused sign-in costs one password check, whatever the reason (unknown e-mail, wrong
password, locked account), so that the time an answer takes tells nothing; the refusal says
why only to the audit log. Wrong passwords are counted in the database itself
(`failed_logins = failed_logins + 1`), so that guesses made at once are all counted.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.models import StaffSession, StaffUser, as_utc, utcnow

ROLES = ("coordinator", "admin")
MIN_PASSWORD = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so an answer takes as long either way (made
    on first use: hashing takes a while, and importing this module should not)."""
    return _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """Something staff can correct: the message says what."""


class Refusal(StrEnum):
    # The page says the same for these three; the audit log says which.
    UNKNOWN = "unknown"  # no account has this e-mail
    WRONG = "wrong"
    LOCKED = "locked"
    DISABLED = "disabled"  # told only to whoever gave the right password


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    refusal: Refusal | None = None
    locked_until: dt.datetime | None = None


@dataclass(frozen=True)
class Policy:
    session_minutes: int = 8 * 60  # without use
    session_max_hours: int = 12  # since sign-in, however much it is used
    lockout_failures: int = 5
    lockout_minutes: int = 15


@dataclass(frozen=True)
class Signed:
    """A signed-in browser: its user, the CSRF token of its forms."""

    user: StaffUser
    session_id: int
    csrf_token: str


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.match(address) or len(address) > 254:
        raise AccountError(f"not an e-mail address: {email!r}")
    return address


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if password.strip() != password or not password.strip():
        raise AccountError("the password must not start or end with spaces")


def add(session: Session, email: str, role: str, password: str) -> StaffUser:
    """A new account; an e-mail already taken or a weak password is refused with the reason."""
    address = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    check_password(password)
    if find(session, address) is not None:
        raise AccountError(f"{address} already has an account")
    user = StaffUser(email=address, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def find(session: Session, email: str) -> StaffUser | None:
    address = email.strip().lower()
    return session.scalars(select(StaffUser).where(StaffUser.email == address)).one_or_none()


def listed(session: Session, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every account with its state (active, locked or disabled), by e-mail."""
    now = now or utcnow()
    rows = []
    for user in session.scalars(select(StaffUser).order_by(StaffUser.email)):
        locked = user.locked_until is not None and as_utc(user.locked_until) > now
        state = "disabled" if user.disabled_at else "locked" if locked else "active"
        last = user.last_login_at and as_utc(user.last_login_at)
        rows.append({"email": user.email, "role": user.role, "state": state, "last_login_at": last})
    return rows


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """A new password ends every session of the account and lifts a lock-out."""
    check_password(password)
    user.password_hash = _hasher.hash(password)
    unlock(user)
    end_all(session, user)


def unlock(user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None


def disable(session: Session, user: StaffUser) -> None:
    user.disabled_at = utcnow()
    end_all(session, user)


def enable(user: StaffUser) -> None:
    user.disabled_at = None
    unlock(user)


def sign_in(
    session: Session, email: str, password: str, policy: Policy, *, now: dt.datetime | None = None
) -> SignIn:
    """Checks a password; too many wrong ones in a row lock the account for a while."""
    now = now or utcnow()
    user = find(session, email)
    if user is None:
        _verify(_dummy_hash(), password)
        return SignIn(None, Refusal.UNKNOWN)
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        _verify(_dummy_hash(), password)  # as long to answer as a wrong password
        return SignIn(user, Refusal.LOCKED, as_utc(user.locked_until))
    if not _verify(user.password_hash, password):
        return _wrong_password(session, user, policy, now)
    if user.disabled_at is not None:
        return SignIn(user, Refusal.DISABLED)
    unlock(user)
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return SignIn(user)


def _wrong_password(session: Session, user: StaffUser, policy: Policy, now: dt.datetime) -> SignIn:
    """Count the failure in the database (guesses at once all count); the last allowed locks."""
    failures = session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=StaffUser.failed_logins + 1)
        .returning(StaffUser.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures < policy.lockout_failures:
        return SignIn(user, Refusal.WRONG)
    until = now + dt.timedelta(minutes=policy.lockout_minutes)
    session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(locked_until=until, failed_logins=0)
        .execution_options(synchronize_session=False)
    )
    return SignIn(user, Refusal.LOCKED, until)


def start(
    session: Session, user: StaffUser, policy: Policy, *, now: dt.datetime | None = None
) -> str:
    """A new session for the user; returns the cookie's token (never stored as such)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    lasts = min(
        dt.timedelta(minutes=policy.session_minutes), dt.timedelta(hours=policy.session_max_hours)
    )
    session.add(
        StaffSession(
            token_sha256=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lasts,
        )
    )
    session.flush()
    return token


def resume(
    session: Session, token: str, policy: Policy, *, now: dt.datetime | None = None
) -> Signed | None:
    """The signed-in user behind a cookie, while the session lasts: each use extends it, up to
    its absolute lifetime (a stolen cookie kept busy still ends)."""
    if not token:
        return None
    now = now or utcnow()
    row = session.scalars(
        select(StaffSession).where(StaffSession.token_sha256 == _digest(token))
    ).one_or_none()
    if row is None or row.ended_at is not None or as_utc(row.expires_at) <= now:
        return None
    ends = as_utc(row.created_at) + dt.timedelta(hours=policy.session_max_hours)
    if ends <= now:
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    row.last_seen_at = now
    row.expires_at = min(now + dt.timedelta(minutes=policy.session_minutes), ends)
    return Signed(user=user, session_id=row.id, csrf_token=row.csrf_token)


def end(session: Session, token: str) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_sha256 == _digest(token), StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_all(session: Session, user: StaffUser) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given).encode(), expected.encode())


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
