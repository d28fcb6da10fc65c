"""The recruitment funnel counts people per trial and campaign, and shows where screening stops."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.consent.texts import LoadedConsents, load_consents
from bot.crypto import Cipher
from bot.db.models import CheckinStatus, Participant, utcnow
from bot.rights import withdrawal
from bot.screening import store
from bot.staff import funnel as funnels
from bot.trials import Screenable as Trial
from bot.trials import read_catalogue, screenable
from tests.checkins.test_report import HOUR, add_checkin, enrol
from tests.reminders.linking import KNOWLEDGE
from tests.staff.conftest import Site
from tests.staff.factories import ASTHMA, ELIGIBLE, SPRING, T2D, UP_TO_HBA1C, People

CIPHER = Cipher([Fernet.generate_key()])


@pytest.fixture(scope="module")
def texts() -> LoadedConsents:
    return load_consents(KNOWLEDGE)


@pytest.fixture(scope="module")
def trials() -> dict[str, Trial]:
    return screenable(read_catalogue(KNOWLEDGE))


@pytest.fixture
def recruited(
    sessions: sessionmaker[Session], texts: LoadedConsents, trials: dict[str, Trial]
) -> Iterator[sessionmaker[Session]]:
    """Five people from the fb-spring campaign, two direct, one from a hostile link."""
    with sessions.begin() as session:
        people = People(session, texts, trials, CIPHER)
        for key in ("web-a", "web-b", "web-c", "web-d"):
            people.arrive(key, SPRING)
        people.arrive("web-e", SPRING, days_ago=60)
        assert people.screen("web-a", ELIGIBLE) == "likely_eligible"
        people.ask_contact("web-a")
        people.enrol("web-a", "P-001", confirm=True)
        assert people.screen("web-b", {"age": 80}) == "not_eligible"
        assert people.screen("web-c", UP_TO_HBA1C) == "incomplete"
        # Direct: one came for the asthma trial, one by a link naming the diabetes trial.
        people.arrive("web-f")
        assert people.screen("web-f", {"age": 30}, trial=ASTHMA) == "incomplete"
        people.arrive("web-g", f"trial_{T2D}")
        # camp_-SUM-1 is a valid link; "-SUM-1" in a spreadsheet cell is a formula.
        people.arrive("web-h", "camp_-SUM-1")
        assert people.screen("web-h", {"age": 61}) == "incomplete"
        withdrawal.withdraw(session, "web-h")  # leaves the form: its screening is "stopped"
    yield sessions


def counts(shown: funnels.Funnel) -> dict[str, int]:
    return {step.key: step.count for step in shown.steps}


def test_a_campaign_funnel_counts_people_at_each_step(
    recruited: sessionmaker[Session],
) -> None:
    with recruited() as session:
        shown = funnels.funnel(session, trial=T2D, campaign="fb-spring")
    assert counts(shown) == {
        "conversations": 5,
        "screening_started": 3,
        "screening_completed": 2,
        "likely_eligible": 1,
        "contact": 1,
        "appointment": 1,
        "confirmed": 1,
    }
    assert [step.label for step in shown.steps][:3] == [
        "Conversations",
        "Started pre-screening",
        "Finished pre-screening",
    ]
    assert [(s.share, s.drop) for s in shown.steps[:4]] == [(1, 0), (0.6, 2), (0.4, 1), (0.2, 1)]


def test_a_trial_counts_who_came_for_it_and_all_trials_count_everyone(
    recruited: sessionmaker[Session],
) -> None:
    with recruited() as session:
        diabetes = funnels.funnel(session, trial=T2D)
        everyone = funnels.funnel(session)
        asthma = funnels.funnel(session, trial=ASTHMA)
    # web-f only screened for asthma; web-g's link named the diabetes trial.
    assert counts(diabetes)["conversations"] == 7 and counts(diabetes)["screening_started"] == 4
    # web-h left the form: started, not finished.
    assert counts(diabetes)["screening_completed"] == 2
    assert counts(everyone)["conversations"] == 8 and counts(everyone)["screening_started"] == 5
    assert counts(asthma)["conversations"] == 1 and counts(asthma)["likely_eligible"] == 0


def test_since_keeps_people_who_arrived_in_the_period(recruited: sessionmaker[Session]) -> None:
    month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    with recruited() as session:
        shown = funnels.funnel(session, campaign="fb-spring", since=month_ago)
    assert counts(shown)["conversations"] == 4 and counts(shown)["screening_started"] == 3


def test_a_participant_enrolled_without_the_chat_is_not_a_recruit(
    sessions: sessionmaker[Session], texts: LoadedConsents, trials: dict[str, Trial]
) -> None:
    with sessions.begin() as session:
        people = People(session, texts, trials, CIPHER)
        people.arrive("web-z", "camp_flyer")
        people.enrol("web-z", "P-900", confirm=True)  # recruited at the clinic, then linked
    with sessions() as session:
        shown = funnels.funnel(session, campaign="flyer")
    assert counts(shown)["conversations"] == 1 and counts(shown)["appointment"] == 0


def test_each_campaign_has_its_row_direct_traffic_included(
    recruited: sessionmaker[Session],
) -> None:
    with recruited() as session:
        rows = funnels.by_campaign(session)
        names = funnels.campaigns(session)
        direct = funnels.funnel(session, campaign=funnels.DIRECT)
    assert [(row.campaign, counts(row.funnel)["conversations"]) for row in rows] == [
        ("fb-spring", 5),
        ("(none)", 2),
        ("-SUM-1", 1),
    ]
    assert rows[0].funnel.campaign == "fb-spring"
    assert counts(rows[0].funnel) == counts(funnels.funnel(session, campaign="fb-spring"))
    assert names == ["fb-spring", "-SUM-1", "(none)"]
    assert counts(direct)["conversations"] == 2 and counts(direct)["screening_started"] == 1


def test_drop_off_shows_the_question_where_screening_stopped(
    recruited: sessionmaker[Session],
) -> None:
    with recruited() as session:
        spring = funnels.question_drop_off(
            session, CIPHER, KNOWLEDGE, trial=T2D, campaign="fb-spring"
        )
        every = funnels.question_drop_off(session, CIPHER, KNOWLEDGE, trial=T2D)
    by_id = {row.question: row for row in spring}
    assert [row.question for row in spring][:3] == ["age", "diabetes_type", "diagnosed_6_months"]
    assert (by_id["hba1c"].stopped, by_id["hba1c"].answered) == (1, 1)
    assert by_id["hba1c"].text.startswith("What was your most recent HbA1c result")
    assert (by_id["age"].answered, by_id["age"].stopped) == (3, 0)
    assert sum(row.stopped for row in spring) == 1
    # web-h left the form after "age": "stopped" clears next_question, the answers still tell.
    assert {row.question: row.stopped for row in every if row.stopped} == {
        "diabetes_type": 1,
        "hba1c": 1,
    }


def test_someone_who_came_back_and_finished_did_not_drop_off(
    sessions: sessionmaker[Session], texts: LoadedConsents, trials: dict[str, Trial]
) -> None:
    with sessions.begin() as session:
        people = People(session, texts, trials, CIPHER)
        people.arrive("web-r", "camp_radio")
        people.screen("web-r", {"age": 40})
        store.stop(session, "web-r")
        assert people.screen("web-r", ELIGIBLE) == "likely_eligible"
    with sessions() as session:
        rows = funnels.question_drop_off(session, CIPHER, KNOWLEDGE, trial=T2D)
    assert sum(row.stopped for row in rows) == 0
    assert all(row.answered == 1 for row in rows if row.question in ELIGIBLE)


def test_unknown_trial_has_no_questions(recruited: sessionmaker[Session]) -> None:
    with recruited() as session:
        assert funnels.question_drop_off(session, CIPHER, KNOWLEDGE, trial="../eligibility") == []


def test_the_csv_reads_back_with_every_campaign_and_question(
    recruited: sessionmaker[Session],
) -> None:
    with recruited() as session:
        text = funnels.to_csv(session, CIPHER, KNOWLEDGE, trial=T2D)
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == list(funnels.CSV_COLUMNS)
    cell = {name: index for index, name in enumerate(header)}

    def find(section: str, campaign: str, key: str) -> list[str]:
        (row,) = [
            r
            for r in rows
            if (r[cell["section"]], r[cell["campaign"]], r[cell["key"]]) == (section, campaign, key)
        ]
        return row

    started = find("funnel", "fb-spring", "screening_started")
    assert (started[cell["trial"]], started[cell["people"]]) == (T2D, "3")
    assert started[cell["percent_of_conversations"]] == "60.0"
    assert find("funnel", "(all campaigns)", "conversations")[cell["people"]] == "7"
    assert find("question", "(all campaigns)", "hba1c")[cell["stopped_here"]] == "1"
    # The campaign from a hostile link is text in the spreadsheet, not a formula.
    assert find("funnel", "'-SUM-1", "conversations")[cell["people"]] == "1"
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row)


def test_the_csv_of_all_trials_has_each_trial(recruited: sessionmaker[Session]) -> None:
    with recruited() as session:
        text = funnels.to_csv(session, CIPHER, KNOWLEDGE, campaign="fb-spring")
    rows = list(csv.DictReader(io.StringIO(text)))
    conversations_by_trial = {
        row["trial"]: row["people"] for row in rows if row["key"] == "conversations"
    }
    assert conversations_by_trial == {"(all trials)": "5", T2D: "5", ASTHMA: "0"}
    assert {row["campaign"] for row in rows} == {"fb-spring"}


def parsed(svg: str) -> ET.Element:
    """The chart as XML: our own output, so the standard parser is safe here."""
    return ET.fromstring(svg)  # noqa: S314


def test_the_chart_is_an_accessible_svg_with_every_step(recruited: sessionmaker[Session]) -> None:
    with recruited() as session:
        shown = funnels.funnel(session, trial=T2D, campaign="fb-spring")
    svg = parsed(funnels.svg_bars(shown))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.get("role") == "img"
    title = svg.find("svg:title", ns)
    assert title is not None and title.text == f"Recruitment funnel: {T2D}, campaign fb-spring"
    texts = [node.text for node in svg.iterfind(".//svg:text", ns)]
    assert "Conversations" in texts and "5 · 100%" in texts and "3 · 60%" in texts
    widths = [
        float(bar.get("width", 0)) for bar in svg.iterfind(".//svg:rect[@fill='#2f6fb0']", ns)
    ]
    assert widths[0] > widths[1] > widths[2] > widths[3] > 0


def test_the_chart_escapes_what_a_link_put_in_it() -> None:
    step = funnels.Step("conversations", "Conversations", 0, 0.0, 0)
    shown = funnels.Funnel(None, '<script>alert("x")</script>&', None, (step,))
    svg = funnels.svg_bars(shown)
    assert "<script>" not in svg
    title = parsed(svg).find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == (
        'Recruitment funnel: all trials, campaign <script>alert("x")</script>&'
    )


def test_trials_come_from_the_knowledge_folder() -> None:
    assert funnels.trials(KNOWLEDGE) == [ASTHMA, T2D]


# Retention -------------------------------------------------------------------------------------


def week_two(session: Session, person: Participant, *statuses: CheckinStatus) -> None:
    """`person`'s two-week check-ins (one per occasion), sent a week ago, in these states."""
    for status in statuses:
        add_checkin(session, person, "week-2", status=status, due_at=utcnow() - 168 * HOUR)


def test_retention_keeps_the_funnels_people(recruited: sessionmaker[Session]) -> None:
    """P-001 came from the fb-spring campaign; P-777 was enrolled at the clinic, no chat."""
    answered, missed = CheckinStatus.ANSWERED, CheckinStatus.MISSED
    with recruited.begin() as session:
        recruit = session.scalars(select(Participant).where(Participant.code == "P-001")).one()
        week_two(session, recruit, answered, answered, missed)
        add_checkin(session, recruit, "after-visit", due_at=utcnow() - HOUR)  # still open
        week_two(session, enrol(session, "P-777", T2D), missed)
    with recruited() as session:
        everyone = funnels.retention(session, KNOWLEDGE, trial=T2D)
        spring = funnels.retention(session, KNOWLEDGE, trial=T2D, campaign="fb-spring")
        text = funnels.to_csv(session, CIPHER, KNOWLEDGE, trial=T2D, campaign="fb-spring")
    ((all_week, _),) = [kept.checkins for kept in everyone]
    assert (all_week.checkin, all_week.answered, all_week.closed) == ("week-2", 2, 4)
    ((week, visit),) = [kept.checkins for kept in spring]
    assert (week.answered, week.closed, week.open) == (2, 3, 0)
    assert (visit.checkin, visit.closed, visit.open, visit.share) == ("after-visit", 0, 1, None)
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["section"] == "retention"]
    columns = ("key", "answered", "closed", "still_open", "percent_answered")
    assert [tuple(row[c] for c in columns) for row in rows] == [
        ("week-2", "2", "3", "0", "66.7"),
        ("after-visit", "0", "0", "1", ""),
    ]
    assert rows[0]["label"] == "Your two-week check-in" and rows[0]["campaign"] == "fb-spring"


def _words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_funnel_page_says_how_many_answered_in_both_languages(site: Site) -> None:
    answered, missed = CheckinStatus.ANSWERED, CheckinStatus.MISSED
    with Session(site.engine) as session, session.begin():
        week_two(session, enrol(session, "P-1", T2D), answered, missed, answered)
        week_two(session, enrol(session, "P-2", T2D), CheckinStatus.CANCELLED)  # not counted
    site.add_staff("c@site.example")
    with site.browser() as browser:
        browser.sign_in("c@site.example")
        said = _words(browser.get("/staff/funnel", params={"trial": T2D}).text)
        assert "Retention: check-ins answered" in said
        assert "Your two-week check-in (week-2) 2 of 3 answered (67 %) 0" in said
        assert "A check-in after your visit (after-visit) 0 of 0 answered 0" in said
        assert "All check-ins 2 of 3 answered (67 %)" in said
        assert ASTHMA not in said.split("Retention")[1]  # one trial chosen: that trial only
        browser.get("/staff/language/fr", params={"back": "/staff"})
        french = _words(browser.get("/staff/funnel", params={"trial": T2D}).text)
        assert "Votre point des deux premières semaines (week-2) 2 sur 3 répondus (67 %)" in french
