"""Staff sign-in under attack: every wrong password counted, guesses throttled per address, the
same answer whatever was wrong, sessions that end, and no API map in production."""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from bot.db.models import StaffAudit, StaffSession, StaffUser
from bot.gateway.app import create_app
from bot.settings import Settings
from bot.staff import accounts
from tests.staff.conftest import PASSWORD, Site, running_site

EMAIL = "coordinator@site.example"


def _add(sessions: sessionmaker[Session], email: str = EMAIL) -> None:
    with sessions.begin() as session:
        accounts.add(session, email, "coordinator", PASSWORD)


def test_concurrent_wrong_passwords_are_all_counted(sessions: sessionmaker[Session]) -> None:
    _add(sessions)
    policy = accounts.Policy(lockout_failures=100)
    tries = 20
    start = threading.Barrier(tries)
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            start.wait()
            with sessions.begin() as session:
                outcome = accounts.sign_in(session, EMAIL, "not the password", policy)
                assert outcome.refusal == accounts.Refusal.WRONG
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guess) for _ in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with sessions() as session:
        user = session.scalars(select(StaffUser)).one()
        assert user.failed_logins == tries


def test_a_burst_of_wrong_passwords_locks_the_account(sessions: sessionmaker[Session]) -> None:
    _add(sessions)
    policy = accounts.Policy(lockout_failures=5)
    start = threading.Barrier(12)

    def guess() -> None:
        start.wait()
        with sessions.begin() as session:
            accounts.sign_in(session, EMAIL, "not the password", policy)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with sessions.begin() as session:
        assert accounts.sign_in(session, EMAIL, PASSWORD, policy).refusal == "locked"


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    """Lock-out after 50 wrong passwords, and as many tries a minute: this test counts itself."""
    with running_site(
        tmp_path, database_url, STAFF_LOCKOUT_FAILURES=50, STAFF_SIGN_INS_PER_MINUTE=100
    ) as running:
        yield running


def _lock(site: Site, email: str) -> None:
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    with Session(site.engine) as session, session.begin():
        session.execute(
            update(StaffUser).where(StaffUser.email == email).values(locked_until=until)
        )


def _audit(site: Site) -> list[tuple[str, str]]:
    with Session(site.engine) as session:
        return [(row.actor, row.action) for row in session.scalars(select(StaffAudit))]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unknown_wrong_and_locked_get_one_answer_and_the_audit_log_knows_which(
    site: Site,
) -> None:
    site.add_staff(EMAIL)
    site.add_staff("locked@site.example")
    _lock(site, "locked@site.example")
    cases = {
        "unknown": ("nobody@site.example", "not the password"),
        "wrong": (EMAIL, "not the password"),
        "locked": ("locked@site.example", PASSWORD),  # even the right password
    }
    answers, timings = {}, {}
    with site.browser() as browser:
        browser.sign_in(EMAIL, "warm-up wrong password")
        for name, (email, password) in cases.items():
            durations = []
            for _ in range(5):
                began = time.perf_counter()
                response = browser.sign_in(email, password)
                durations.append(time.perf_counter() - began)
            answers[name] = (response.status_code, response.text)
            timings[name] = statistics.median(durations)
    assert answers["unknown"] == answers["wrong"] == answers["locked"]
    assert answers["wrong"][0] == 401
    slowest, fastest = max(timings.values()), min(timings.values())
    assert fastest > 0.5 * slowest, timings  # a locked account is not told by a quick answer
    actions = [action for _, action in _audit(site)][1:]
    assert actions == ["login_unknown"] * 5 + ["login_wrong"] * 5 + ["login_locked"] * 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("public_limits", [True, False])
def test_sign_in_is_throttled_per_address(
    tmp_path: Path, database_url: str, public_limits: bool
) -> None:
    with running_site(
        tmp_path, database_url, STAFF_SIGN_INS_PER_MINUTE=4, STAFF_LOCKOUT_FAILURES=50,
        RATE_LIMIT_ENABLED=public_limits,  # the sign-in throttle holds with them off too
    ) as site:  # fmt: skip
        site.add_staff(EMAIL)
        with site.browser() as browser:
            for _ in range(4):
                assert browser.sign_in(EMAIL, "not the password").status_code == 401
            throttled = browser.sign_in(EMAIL, PASSWORD)
            assert throttled.status_code == 429
            assert 0 < int(throttled.headers["retry-after"]) <= 60
            assert "Too many sign-in attempts" in throttled.text
            assert "trialbot_staff" not in browser.cookies
        with Session(site.engine) as session:
            user = session.scalars(select(StaffUser)).one()
            assert user.failed_logins == 4  # the throttled try checked no password
        assert _audit(site)[-1] == (EMAIL, "login_throttled")


def test_a_session_used_every_minute_still_ends_after_its_absolute_lifetime(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions)
    policy = accounts.Policy(session_minutes=30, session_max_hours=12)
    began = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        user = session.scalars(select(StaffUser)).one()
        token = accounts.start(session, user, policy, now=began)
    minute, last_signed = 0, 0
    while minute < 13 * 60:
        minute += 1
        with sessions.begin() as session:
            now = began + dt.timedelta(minutes=minute)
            if accounts.resume(session, token, policy, now=now) is None:
                break
            last_signed = minute
    assert last_signed == 12 * 60 - 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_old_session_in_a_browser_is_signed_out(tmp_path: Path, database_url: str) -> None:
    with running_site(tmp_path, database_url) as site:
        site.add_staff(EMAIL)
        with site.browser() as browser:
            browser.sign_in(EMAIL)
            assert browser.get("/staff").status_code == 200
            with Session(site.engine) as session, session.begin():
                session.execute(
                    update(StaffSession).values(
                        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=12, minutes=1)
                    )
                )
            again = browser.get("/staff")
            assert again.status_code == 401 and "session has ended" in again.text


def _app(tmp_path: Path, environment: str) -> TestClient:
    settings = Settings(
        TRIALBOT_ENV=environment,
        TRIALBOT_VAR_DIR=tmp_path / "var",
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        RASA_AUTH_TOKEN="r" * 32,
        PSEUDONYM_KEY="p" * 32,
        DATA_ENCRYPTION_KEY="ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
        STAFF_API_TOKEN="s" * 32,
        ACTION_SERVER_TOKEN="a" * 32,
    )
    return TestClient(create_app(settings))  # no lifespan: the routes alone


def test_the_api_map_is_off_in_production(tmp_path: Path) -> None:
    production = _app(tmp_path, "production")
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert production.get(path).status_code == 404, path
    assert _app(tmp_path, "development").get("/openapi.json").status_code == 200
