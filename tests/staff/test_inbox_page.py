"""The inbox page as a coordinator reads it, over real HTTP: every time in the site's zone (said
once, at the top), the trial on every card it is known for, and each person's items together
under one heading, the most urgent person first."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import SafetyEvent, StaffAudit, utcnow
from bot.safety import asking
from tests.staff.conftest import Site, running_site
from tests.staff.factories import ASTHMA, IN_TEN_DAYS, T2D, Desk

# Stored in UTC, as the chat stores every moment: 09:30 in Paris that winter day.
JANUARY = dt.datetime(2026, 1, 15, 8, 30, tzinfo=dt.UTC)
T2D_TITLE = "DMX-101 study (fictional demo)"
ASTHMA_TITLE = "AZ-202 asthma study (fictional demo)"
STRANGER, WORRIED, WAITING = "web-77c0aa11", "web-3f2a9b0c", "whatsapp-c4d5e6f7"
CHAT = "telegram-5a1b2c3d"  # bound to a participant


def _desk(site: Site) -> tuple[Session, Desk]:
    session = Session(site.engine)
    return session, Desk(session, site.settings, Cipher.from_settings(site.settings))


def _inbox(site: Site, lang: str = "en") -> str:
    site.add_staff(f"{lang}@site.example")
    with site.browser() as browser:
        browser.sign_in(f"{lang}@site.example")
        if lang != "en":
            browser.get(f"/staff/language/{lang}")
        page = browser.get("/staff")
        assert page.status_code == 200
        return page.text


def _card(page: str, key: str) -> str:
    """The text of one card (`safety:3`, …), its tags removed."""
    found = re.search(rf'<li [^>]*data-key="{key}">(.*?)</li>', page, re.S)
    assert found, f"no card {key} on the page"
    return _text(found.group(1))


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _people(page: str) -> list[tuple[str, list[str]]]:
    """Each person's heading, with the keys of their cards, in the page's order."""
    sections = re.findall(
        r'<section class="person"[^>]*>\s*<h2[^>]*>(.*?)</h2>(.*?)</section>', page, re.S
    )
    return [
        (_text(heading), re.findall(r'data-key="([^"]+)"', cards)) for heading, cards in sections
    ]


def _offset_now(zone: str) -> str:
    offset = dt.datetime.now(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return f"UTC+{int(offset.total_seconds() // 3600)}"


def test_every_time_is_in_the_site_zone_which_is_said_once(site: Site) -> None:
    session, desk = _desk(site)
    with session, session.begin():
        desk.chat(STRANGER)
        event = desk.safety(STRANGER, "crushing pain in my chest", JANUARY)
        handoff = desk.handoff(STRANGER, "can a nurse call me?", JANUARY, then="still there?")
        visit = desk.participant("P-1", CHAT, IN_TEN_DAYS)  # 09:00 at the site, ten days on
        reminder = desk.failed_reminder(visit, JANUARY)
    page = _inbox(site)

    assert f"Times are Paris time ({_offset_now('Europe/Paris')})." in page
    assert "15 Jan 2026 09:30" in _card(page, f"safety:{event}")
    assert "patient (15 Jan 2026 09:30) still there?" in _card(page, f"handoff:{handoff}")
    day = dt.date.fromisoformat(IN_TEN_DAYS[:10])
    failed = _card(page, f"reminder:{reminder}")
    assert "15 Jan 2026 09:30" in failed
    assert f"Appointment {day:%a %d %b %Y} 09:00, week 4 at " in failed
    # Never a UTC time beside the local ones: the zone is named once, at the top.
    assert "08:30" not in page and _text(page).count("UTC") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_another_site_zone_moves_every_time_and_the_visit_too(
    tmp_path: Path, database_url: str
) -> None:
    with running_site(tmp_path, database_url, SITE_TIMEZONE="Asia/Tokyo") as site:
        session, desk = _desk(site)
        with session, session.begin():
            desk.chat(STRANGER)
            event = desk.safety(STRANGER, "crushing pain in my chest", JANUARY)
            visit = desk.participant("P-1", CHAT, IN_TEN_DAYS)  # booked in Paris time
            reminder = desk.failed_reminder(visit, JANUARY)
        page = _inbox(site)
    assert "Times are Tokyo time (UTC+9)." in page  # Japan keeps no summer time
    assert "15 Jan 2026 17:30" in _card(page, f"safety:{event}")
    paris = dt.datetime.fromisoformat(IN_TEN_DAYS).replace(tzinfo=ZoneInfo("Europe/Paris"))
    tokyo = paris.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"Appointment {tokyo:%a %d %b %Y %H:%M}, week 4 at " in _card(
        page, f"reminder:{reminder}"
    )


def test_every_card_names_its_trial_by_its_title(site: Site) -> None:
    now = utcnow()
    session, desk = _desk(site)
    with session, session.begin():
        for key in (STRANGER, WAITING):
            desk.chat(key)
        # The participant is in the asthma trial: what their chat raises without a trial of
        # its own is about that one.
        visit = desk.participant("P-2", CHAT, IN_TEN_DAYS, trial=ASTHMA)
        own = desk.safety(STRANGER, "chest pain", now, trial=T2D)
        theirs = desk.safety(CHAT, "chest pain", now, trial=None)
        handoff = desk.handoff(CHAT, "a question", now, trial=None)
        unknown = desk.handoff(WAITING, "a question", now, trial=None)
        contact = desk.contact(STRANGER, now, trial=ASTHMA)
        reschedule = desk.reschedule(CHAT, visit, now)
        reminder = desk.failed_reminder(visit, now)
    page = _inbox(site)

    assert T2D_TITLE in _card(page, f"safety:{own}")
    for key in (
        f"safety:{theirs}",
        f"handoff:{handoff}",
        f"follow_up:{contact}",
        f"follow_up:{reschedule}",
        f"reminder:{reminder}",
    ):
        card = _card(page, key)
        assert ASTHMA_TITLE in card and T2D_TITLE not in card, key
    nothing = _card(page, f"handoff:{unknown}")  # no trial known: none said
    assert T2D_TITLE not in nothing and ASTHMA_TITLE not in nothing

    french = _inbox(site, "fr")
    assert "Étude AZ-202 sur l'asthme (démonstration fictive)" in _card(
        french, f"reminder:{reminder}"
    )
    assert "Étude DMX-101 (démonstration fictive)" in _card(french, f"safety:{own}")


def test_a_persons_items_are_together_the_most_urgent_person_first(site: Site) -> None:
    now = utcnow()
    session, desk = _desk(site)
    with session, session.begin():
        for key in (STRANGER, WORRIED, WAITING):
            desk.chat(key)
        old_contact = desk.contact(STRANGER, now - dt.timedelta(days=3))
        visit = desk.participant("P-1", CHAT, IN_TEN_DAYS)
        reminder = desk.failed_reminder(visit, now - dt.timedelta(days=2))
        emergency = desk.safety(CHAT, "chest pain", now - dt.timedelta(minutes=20))
        side_effect = desk.safety(
            WORRIED, "a rash", now - dt.timedelta(hours=5), kind="adverse_event",
            category="after_treatment",
        )  # fmt: skip
        contact = desk.contact(WORRIED, now - dt.timedelta(days=2))
        handoff = desk.handoff(WAITING, "anyone there?", now - dt.timedelta(minutes=40))
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        page = browser.get("/staff").text
        # The participant's emergency puts them first, their failed reminder with it; a person
        # with one item reads the same way.
        assert _people(page) == [
            ("Participant P-1", [f"safety:{emergency}", f"reminder:{reminder}"]),
            ("Person 3f2a", [f"safety:{side_effect}", f"follow_up:{contact}"]),
            ("Person c4d5", [f"handoff:{handoff}"]),
            ("Person 77c0", [f"follow_up:{old_contact}"]),
        ]
        assert 'href="/staff/participants/P-1"' in page  # the heading opens their record
        for key in (STRANGER, WORRIED, WAITING, CHAT):
            assert key not in page  # a pseudonym is never shown whole

        # Acknowledged, the emergency leaves; the participant's group goes where its reminder
        # ranks: after the side effect and the request for the team.
        done = browser.submit("/staff", f"/staff/inbox/safety/{emergency}/acknowledge")
        assert done.status_code == 303
        after = browser.get("/staff").text
    assert f"Safety event {emergency} acknowledged." in after
    assert [heading for heading, _ in _people(after)] == [
        "Person 3f2a",
        "Person c4d5",
        "Participant P-1",
        "Person 77c0",
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_french_headings_and_counts(site: Site) -> None:
    session, desk = _desk(site)
    with session, session.begin():
        desk.chat(WORRIED)
        desk.contact(WORRIED, utcnow())
    page = _inbox(site, "fr")
    assert [heading for heading, _ in _people(page)] == ["Personne 3f2a"]
    assert "Les heures sont celles de Paris (" in page
    assert "1 suivi<" in page and "suivis" not in page  # one follow-up, said in the singular


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_serious_side_effect_comes_first_with_its_deadline_and_staff_correct_its_record(
    site: Site,
) -> None:
    session, desk = _desk(site)
    now = utcnow()
    with session, session.begin():
        desk.chat(STRANGER)
        desk.chat(WORRIED)
        emergency = desk.safety(STRANGER, "crushing pain in my chest", now)
        said = "since yesterday a rash all over, they kept me in hospital overnight"
        serious = desk.safety(
            WORRIED, said, now - dt.timedelta(hours=3), kind="adverse_event", category="reported"
        )
        event = session.get(SafetyEvent, serious)
        assert event is not None
        asking.start(session, site.settings, desk.cipher, event, said, ask_now=True)
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        page = browser.get("/staff").text
        assert [heading for heading, _ in _people(page)] == ["Person 3f2a", "Person 77c0"]
        card = _card(page, f"safety:{serious}")
        assert "Serious adverse event" in card and "report due in 2" in card  # 24 h from receipt
        assert "Care needed Stayed in hospital" in card and "Seriousness hospitalisation" in card
        assert "Still going on not known yet" in card and said in card
        assert "Complete or correct the record" in card
        assert "Reported by" not in card  # the participant's own words

        saved = browser.submit(
            "/staff", f"/staff/inbox/safety/{serious}/correct",
            onset="2026-11-10", ongoing="no", severity="severe", care="hospital",
            product="DMX-101 tablets", last_dose="",
        )  # fmt: skip
        assert saved.status_code == 303
        after = browser.get("/staff").text
        assert f"Safety event {serious}: its record is saved." in after
        card = _card(after, f"safety:{serious}")
        assert "Onset 10 Nov 2026" in card and "Study treatment DMX-101 tablets" in card
        assert "Corrected by staff" in card
        wrong = browser.submit("/staff", f"/staff/inbox/safety/{emergency}/correct", care="x")
        assert wrong.status_code == 303
        assert "is an emergency: it has no side-effect record" in browser.get("/staff").text
    with Session(site.engine) as check:
        audited = check.scalars(
            select(StaffAudit.action).where(StaffAudit.action == "safety.correct")
        ).all()
        assert audited == ["safety.correct"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_side_effect_a_relative_reported_says_so_on_its_card(site: Site) -> None:
    """Replayed on the phone: a daughter's report of her mother's admission was recorded as a
    relative's, but the inbox card did not say who wrote."""
    session, desk = _desk(site)
    with session, session.begin():
        desk.chat(WORRIED)
        said = "I'm writing for my mum, she was admitted to hospital after the study tablets"
        serious = desk.safety(WORRIED, said, utcnow(), kind="adverse_event", category="reported")
        event = session.get(SafetyEvent, serious)
        assert event is not None
        asking.start(session, site.settings, desk.cipher, event, said, ask_now=True)
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        card = _card(browser.get("/staff").text, f"safety:{serious}")
        assert "Reported by a relative, for the participant" in card
        browser.get("/staff/language/fr")
        french = _card(browser.get("/staff").text, f"safety:{serious}")
        assert "Signalé par un proche, pour le participant" in french


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_button_tapped_in_the_follow_up_shows_as_its_meaning(site: Site) -> None:
    """Tried on the phone: staff read "/follow_up:severity=moderate", the button's payload."""
    session, desk = _desk(site)
    with session, session.begin():
        desk.chat(WORRIED)
        said = "rash on my arms since monday after the study tablets, still there"
        ident = desk.safety(WORRIED, said, utcnow(), kind="adverse_event", category="reported")
        event = session.get(SafetyEvent, ident)
        assert event is not None
        asking.start(session, site.settings, desk.cipher, event, said, ask_now=True)
        asking.answer(session, site.settings, desk.cipher, event, "/follow_up:severity=moderate")
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        card = _card(browser.get("/staff").text, f"safety:{ident}")
        assert "Tapped: moderate" in card and "/follow_up" not in card
        browser.get("/staff/language/fr")
        french = _card(browser.get("/staff").text, f"safety:{ident}")
        assert "Bouton : modéré" in french  # the page breaks no line before ":"
