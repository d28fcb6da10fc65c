"""What a coordinator does on the staff pages, over real HTTP: answer a request for the team,
close follow-ups, read a participant's record and export the funnel — each in the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import (
    Checkin,
    CheckinStatus,
    FollowUp,
    HandoffMessage,
    LinkCode,
    Participant,
    Reminder,
    ReminderStatus,
    Screening,
    StaffAudit,
    as_utc,
    utcnow,
)
from bot.reminders import participants
from bot.screening import store
from bot.settings import PROJECT_ROOT
from bot.staff.words import when
from tests.handoff.factories import conversation, handoff
from tests.reminders.linking import linked_participant, schedule_visit
from tests.staff.conftest import Site, csrf_of, running_site

TRIAL = "demo-t2d-001"


def _actions(site: Site) -> list[tuple[str, str, str | None]]:
    with Session(site.engine) as session:
        rows = session.scalars(select(StaffAudit).order_by(StaffAudit.id))
        return [(row.actor, row.action, row.subject) for row in rows if row.action != "login"]


def test_a_coordinator_answers_a_request_for_the_team_from_the_inbox(site: Site) -> None:
    cipher = Cipher.from_settings(site.settings)
    with Session(site.engine) as session, session.begin():
        conversation(session, "web-0a1b")
        handoff_id = handoff(session, cipher, "web-0a1b", text="can a nurse call me back?").id
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        inbox = browser.get("/staff").text
        assert "can a nurse call me back?" in inbox and "Send answer" in inbox
        blank = browser.submit("/staff", f"/staff/inbox/handoffs/{handoff_id}/reply", text="  ")
        assert "Write an answer before sending it." in browser.get(blank.headers["location"]).text

        sent = browser.submit(
            "/staff", f"/staff/inbox/handoffs/{handoff_id}/reply",
            text="Yes, a nurse will call you this afternoon.", close="1",
        )  # fmt: skip
        assert sent.status_code == 303
        after = browser.get("/staff").text
        assert f"Answer for request {handoff_id}: delivered." in after
        assert "can a nurse call me back?" not in after  # closed with the answer
    with Session(site.engine) as session:
        said = session.scalars(select(HandoffMessage).where(HandoffMessage.author == "staff")).one()
        assert cipher.decrypt(said.text) == "Yes, a nurse will call you this afternoon."
        assert said.delivery == "sent"
    assert _actions(site) == [("c@site.example", "handoff.reply", f"handoff:{handoff_id}")]


def test_contact_and_reschedule_requests_are_marked_done_once(site: Site) -> None:
    cipher = Cipher.from_settings(site.settings)
    with Session(site.engine) as session, session.begin():
        screening = Screening(sender_key="web-77c0", trial=TRIAL, criteria_version=1, answers="")
        session.add(screening)
        session.flush()
        request = store.follow_up(
            session, cipher, screening, "contact", "fr", preferred_time="morning",
            channel="phone", phone="+33 6 12 34 56 78",
        )  # fmt: skip
        request_id = request.id
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        page = browser.get("/staff").text
        assert "+33 6 12 34 56 78" in page and "Contact request" in page
        action = f"/staff/inbox/follow-ups/{request_id}/done"
        token = csrf_of(page)
        assert browser.post(action, data={"csrf_token": token}).status_code == 303
        assert "+33 6 12 34 56 78" not in browser.get("/staff").text
        again = browser.post(action, data={"csrf_token": token})
        assert "no longer open" in browser.get(again.headers["location"]).text
    with Session(site.engine) as session:
        closed = session.get(FollowUp, request_id)
        assert closed is not None and closed.status == "done" and closed.closed_at is not None
    # The second attempt changed nothing, so it left no record either.
    assert _actions(site) == [("c@site.example", "follow_up.done", f"follow_up:{request_id}")]


def test_a_check_in_that_could_not_be_delivered_is_marked_done_from_the_inbox(site: Site) -> None:
    with Session(site.engine) as session, session.begin():
        linked_participant(session, "P-042", TRIAL, "telegram-5a1b")
        person = session.scalars(select(Participant).where(Participant.code == "P-042")).one()
        due = utcnow() - dt.timedelta(hours=2)
        failed = Checkin(
            participant_id=person.id, trial=TRIAL, checkin="week-2", occasion="enrolment",
            version=1, due_at=due, closes_at=due + dt.timedelta(hours=48),
            status=CheckinStatus.FAILED, attempts=5, last_error="Forbidden: bot was blocked",
        )  # fmt: skip
        session.add(failed)
        session.flush()
        checkin_id = failed.id
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        page = browser.get("/staff").text
        assert "Check-in not delivered — P-042" in page and "Your two-week check-in" in page
        assert "1 failed check-in" in page
        action = f"/staff/inbox/checkins/{checkin_id}/done"
        assert action in page
        token = csrf_of(page)
        assert browser.post(action, data={"csrf_token": token}).status_code == 303
        assert "Check-in not delivered" not in browser.get("/staff").text
        again = browser.post(action, data={"csrf_token": token})
        assert "already marked done" in browser.get(again.headers["location"]).text
    assert _actions(site) == [("c@site.example", "checkin.reviewed", f"checkin:{checkin_id}")]


def test_a_participants_record_shows_visits_and_reminders_and_the_look_is_audited(
    site: Site,
) -> None:
    with Session(site.engine) as session, session.begin():
        linked_participant(session, "P-042", TRIAL, "telegram-5a1b")
        day = (utcnow() + dt.timedelta(days=21)).date()
        schedule_visit(session, "P-042", TRIAL, f"{day}T10:00:00", site="paris-nord")
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        listed = browser.get("/staff/participants", params={"q": "042"}).text
        assert "P-042" in listed and "not yet" not in listed  # the chat is linked
        assert (
            "No participant code matches"
            in browser.get("/staff/participants", params={"q": "nobody"}).text
        )
        record = browser.get("/staff/participants/P-042")
        assert record.status_code == 200
        assert f"{day:%a %d %b %Y} 10:00" in record.text  # the visit, in the participant's time
        assert "scheduled" in record.text and "telegram-5a1b" not in record.text
        assert browser.get("/staff/participants/P-999").status_code == 404
    assert _actions(site) == [
        ("c@site.example", "participant.view", "participant:P-042"),
        ("c@site.example", "participant.view", "participant:P-999"),
    ]


def test_a_participants_page_says_what_became_of_their_link_code_in_both_languages(
    site: Site,
) -> None:
    with Session(site.engine) as session, session.begin():
        waiting = participants.add(session, "P-043", TRIAL, {TRIAL}, language="fr")
        lost = participants.add(session, "P-044", TRIAL, {TRIAL}).participant.id
        session.execute(
            update(LinkCode)
            .where(LinkCode.participant_id == lost)
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
        linked_participant(session, "P-042", TRIAL, "telegram-5a1b")
        schedule_visit(session, "P-042", TRIAL, f"{utcnow().date() + dt.timedelta(days=9)}T10:00")
        sent = session.scalars(select(Reminder).order_by(Reminder.due_at)).first()
        assert sent is not None
        sent.status, sent.channel, sent.sent_at = ReminderStatus.SENT, "telegram", utcnow()
    until = as_utc(waiting.expires_at).astimezone(ZoneInfo(site.settings.site_timezone))
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")

        def page(code: str) -> str:
            shown = re.sub(r"<[^>]+>", "", browser.get(f"/staff/participants/{code}").text)
            return " ".join(html.unescape(shown).split())  # its words, as they read

        linked = page("P-042")
        assert "chat linked (Telegram) · link code used" in linked
        assert "· Telegram" in linked and "telegram" not in linked  # the reminder sent
        assert f"chat not linked yet · link code active until {when(until, 'en')}" in page("P-043")
        assert "link code expired" in page("P-044")

        browser.get("/staff/language/fr", params={"back": "/staff"})
        assert "messagerie liée (Telegram) · code de liaison utilisé" in page("P-042")
        assert f"code de liaison valable jusqu'au {when(until, 'fr')}" in page("P-043")
        assert "code de liaison expiré" in page("P-044")


def test_the_funnel_export_is_what_the_page_shows(site: Site) -> None:
    with Session(site.engine) as session, session.begin():
        for number in range(3):
            conversation(session, f"web-{number}").campaign = "fb-spring"
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        page = browser.get("/staff/funnel", params={"campaign": "fb-spring"})
        assert page.status_code == 200 and "fb-spring" in page.text
        export = browser.get("/staff/funnel.csv", params={"campaign": "fb-spring"})
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("text/csv")
        assert "attachment" in export.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(export.text)))
        steps = {
            row["key"]: int(row["people"])
            for row in rows
            if row["section"] == "funnel" and row["trial"] == "(all trials)"
        }
        assert steps["conversations"] == 3 and steps["screening_started"] == 0
        assert {row["campaign"] for row in rows if row["section"] == "funnel"} == {"fb-spring"}
    assert _actions(site) == [("c@site.example", "funnel.export", "all trials")]


def test_the_knowledge_page_follows_the_files_staff_edit(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    entry = knowledge / "faq" / "en" / "blinding.md"
    with running_site(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", TRIALBOT_KNOWLEDGE_DIR=knowledge
    ) as site:
        # The page counts days in the site's zone: near midnight UTC, Paris is a day ahead.
        today = dt.datetime.now(ZoneInfo(site.settings.site_timezone)).date()
        soon = today + dt.timedelta(days=12)
        site.add_staff("c@site.example")
        with site.browser() as browser:
            browser.sign_in("c@site.example")
            assert "No entry is due for review" in browser.get("/staff/knowledge").text
            entry.write_text(
                entry.read_text().replace("review_due: 2027-11-20", f"review_due: {soon}")
            )
            page = browser.get("/staff/knowledge").text
            assert "faq/en/blinding.md" in page and "in 12 days" in page
            past = today - dt.timedelta(days=1)
            entry.write_text(
                entry.read_text().replace(f"review_due: {soon}", f"review_due: {past}")
            )
            assert "expired: not served" in browser.get("/staff/knowledge").text
