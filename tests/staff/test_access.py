"""Who may see and change what on the staff pages: sign-in, lock-out, sessions, CSRF, roles."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import SafetyEvent, StaffAudit, StaffSession
from bot.safety import events
from bot.safety.detect import Finding
from tests.staff.conftest import PASSWORD, Site, csrf_of

PAGES = [
    "/staff", "/staff/", "/staff/knowledge", "/staff/funnel", "/staff/funnel.csv",
    "/staff/participants", "/staff/participants/P-001", "/staff/admin",
]  # fmt: skip


def _emergency(site: Site, text: str = "my chest hurts and I can't breathe") -> int:
    with Session(site.engine) as session, session.begin():
        event = events.record(
            session, site.settings, Cipher.from_settings(site.settings),
            Finding(kind="emergency", category="chest_pain", matched="chest hurts"),
            sender_key="k" * 64, channel="web", language="en", text=text, trial=None,
        )  # fmt: skip
        return event.id


def _status(site: Site, event_id: int) -> str:
    with Session(site.engine) as session:
        event = session.get(SafetyEvent, event_id)
        assert event is not None
        return event.status


def _audit(site: Site) -> list[tuple[str, str, str | None]]:
    with Session(site.engine) as session:
        rows = session.scalars(select(StaffAudit).order_by(StaffAudit.id))
        return [(row.actor, row.action, row.subject) for row in rows]


def test_anonymous_requests_are_refused_and_shown_the_sign_in_form(site: Site) -> None:
    event_id = _emergency(site)
    for page in PAGES:
        response = httpx.get(site.url + page)
        assert response.status_code == 401, page
        assert "Sign in" in response.text and "chest" not in response.text, page
        assert response.headers["cache-control"] == "no-store"
    refused = httpx.post(f"{site.url}/staff/inbox/safety/{event_id}/acknowledge", data={})
    assert refused.status_code == 401
    assert _status(site, event_id) == "open"


def test_a_coordinator_signs_in_with_a_secure_session_cookie_and_signs_out(site: Site) -> None:
    site.add_staff("Coordinator@Site.example")
    _emergency(site)
    with site.browser() as browser:
        signed = browser.sign_in("coordinator@site.example")
        assert signed.status_code == 303 and signed.headers["location"] == "/staff"
        cookie = signed.headers["set-cookie"].lower()
        assert "trialbot_staff=" in cookie and "httponly" in cookie
        assert "samesite=strict" in cookie and "path=/staff" in cookie
        assert "secure" not in cookie  # plain http on loopback: a Secure cookie would be lost
        inbox = browser.get("/staff")
        assert inbox.status_code == 200
        assert "coordinator@site.example" in inbox.text and "my chest hurts" in inbox.text
        assert "frame-ancestors 'none'" in inbox.headers["content-security-policy"]

        out = browser.submit("/staff", "/staff/logout")
        assert out.status_code == 303 and out.headers["location"] == "/staff/login"
        assert browser.get("/staff").status_code == 401
    assert [a[1] for a in _audit(site)] == ["login", "logout"]


def test_the_cookie_is_secure_behind_a_tls_proxy(site: Site) -> None:
    site.add_staff("c@site.example")
    behind_tls = {"X-Forwarded-Proto": "https"}
    with site.browser() as browser:
        form = browser.get("/staff/login", headers=behind_tls)
        assert "secure" in form.headers["set-cookie"].lower()
        token = csrf_of(form.text)
        # The client speaks plain http to the test server: hand the Secure cookie back by hand.
        browser.cookies.set("trialbot_login", token)
        signed = browser.post(
            "/staff/login",
            data={"email": "c@site.example", "password": PASSWORD, "csrf_token": token},
            headers=behind_tls,
        )
        assert signed.status_code == 303
        assert "secure" in signed.headers["set-cookie"].lower()


def test_a_stolen_cookie_from_a_copy_of_the_database_signs_no_one_in(site: Site) -> None:
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        token = browser.cookies["trialbot_staff"]
    with Session(site.engine) as session:
        stored = session.scalars(select(StaffSession.token_sha256)).one()
    assert token not in stored
    forged = httpx.get(f"{site.url}/staff", cookies={"trialbot_staff": stored})
    assert forged.status_code == 401


def test_wrong_passwords_lock_the_account_for_a_while(site: Site) -> None:
    site.add_staff("c@site.example")
    with site.browser() as browser:
        for _ in range(2):
            wrong = browser.sign_in("c@site.example", "not the password")
            assert wrong.status_code == 401
            assert "Wrong e-mail address or password" in wrong.text
            assert "After 3 wrong passwords in a row an account is locked" in wrong.text
        unknown = browser.sign_in("nobody@site.example", "not the password")
        assert unknown.text == wrong.text  # says not which was wrong
        locked = browser.sign_in("c@site.example", "not the password")  # the third
        assert locked.status_code == 401 and locked.text == wrong.text
        still = browser.sign_in("c@site.example", PASSWORD)
        assert still.status_code == 401 and still.text == wrong.text
        assert browser.get("/staff").status_code == 401
    actions = [a[1] for a in _audit(site)]
    assert actions == ["login_wrong"] * 2 + ["login_unknown"] + ["login_locked"] * 2


def test_an_expired_session_asks_to_sign_in_again(site: Site) -> None:
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        assert browser.get("/staff").status_code == 200
        with Session(site.engine) as session, session.begin():
            session.execute(
                update(StaffSession).values(
                    expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
                )
            )
        again = browser.get("/staff/knowledge")
        assert again.status_code == 401 and "session has ended" in again.text
        assert 'name="next" value="/staff/knowledge"' in again.text


def test_forms_need_the_sessions_own_csrf_token(site: Site) -> None:
    site.add_staff("a@site.example")
    site.add_staff("b@site.example")
    event_id = _emergency(site)
    action = f"/staff/inbox/safety/{event_id}/acknowledge"
    with site.browser() as first, site.browser() as second:
        first.sign_in("a@site.example")
        second.sign_in("b@site.example")
        others = csrf_of(second.get("/staff").text)
        assert first.post(action, data={}).status_code == 403
        assert first.post(action, data={"csrf_token": "forged"}).status_code == 403
        assert first.post(action, data={"csrf_token": others}).status_code == 403
        token = csrf_of(first.get("/staff").text)
        cross = first.post(
            action, data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403 and "another site" in cross.text
        assert _status(site, event_id) == "open"

        done = first.post(action, data={"csrf_token": token})
        assert done.status_code == 303 and _status(site, event_id) == "acknowledged"
        assert f"Safety event {event_id} acknowledged" in first.get("/staff").text
    assert ("a@site.example", "safety.acknowledge", f"safety_event:{event_id}") in _audit(site)


def test_the_sign_in_form_has_its_own_csrf_token(site: Site) -> None:
    site.add_staff("c@site.example")
    posted = httpx.post(
        f"{site.url}/staff/login",
        data={"email": "c@site.example", "password": PASSWORD, "csrf_token": "x"},
    )
    assert posted.status_code == 403 and "expired" in posted.text
    assert "trialbot_staff=" not in posted.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/staff", "/elsewhere", "/staff/login"]
)
def test_after_sign_in_only_a_staff_page_is_a_destination(site: Site, target: str) -> None:
    site.add_staff("c@site.example")
    with site.browser() as browser:
        page = browser.get("/staff/login", params={"next": target})
        signed = browser.post(
            "/staff/login",
            data={
                "email": "c@site.example", "password": PASSWORD,
                "csrf_token": csrf_of(page.text), "next": target,
            },
        )  # fmt: skip
        assert signed.headers["location"] == "/staff"


def test_admin_pages_are_for_admins(site: Site) -> None:
    site.add_staff("c@site.example")
    site.add_staff("admin@site.example", role="admin")
    with site.browser() as coordinator:
        coordinator.sign_in("c@site.example")
        assert "/staff/admin" not in coordinator.get("/staff").text
        refused = coordinator.get("/staff/admin")
        assert refused.status_code == 403 and "c@site.example" not in refused.text
    with site.browser() as admin:
        admin.sign_in("admin@site.example")
        page = admin.get("/staff/admin")
        assert page.status_code == 200
        assert "c@site.example" in page.text and "login" in page.text


def test_a_disabled_account_is_signed_out_at_once(site: Site) -> None:
    from bot.staff import accounts

    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        assert browser.get("/staff").status_code == 200
        with Session(site.engine) as session, session.begin():
            user = accounts.find(session, "c@site.example")
            assert user is not None
            accounts.disable(session, user)
        assert browser.get("/staff").status_code == 401
        again = browser.sign_in("c@site.example")
        assert again.status_code == 401 and "disabled" in again.text
