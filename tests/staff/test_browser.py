"""A coordinator's morning in a real browser: sign in, clear the inbox, read the knowledge gaps,
read the funnel per campaign and export it. Debian's Chromium, driven by Playwright; a
screenshot of every page is saved under var/screenshots/ for review."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy.orm import Session

from bot.consent.texts import load_consents
from bot.crypto import Cipher
from bot.knowledge.gaps import record_unanswered
from bot.safety import events
from bot.safety.detect import Finding
from bot.settings import PROJECT_ROOT
from bot.trials import read_catalogue, screenable
from tests.reminders.linking import KNOWLEDGE
from tests.staff.conftest import PASSWORD, Site
from tests.staff.factories import ELIGIBLE, SPRING, T2D, UP_TO_HBA1C, People

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
# Without these, Chromium keeps calling Google's services, which this machine's network refuses.
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def chromium() -> Iterator[Browser]:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        reason = (
            f"no Chromium at {CHROMIUM} (make setup installs Debian's chromium, or set CHROMIUM)"
        )
        if os.environ.get("TRIALBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; TRIALBOT_REQUIRE_BROWSER=1 makes this test mandatory")
        pytest.skip(reason)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _seed(site: Site) -> None:
    """A week of recruitment: two campaigns and direct visitors, pre-screenings that went
    different ways, an emergency, and questions the knowledge base could not answer."""
    cipher = Cipher.from_settings(site.settings)
    texts = load_consents(KNOWLEDGE)
    with Session(site.engine) as session, session.begin():
        people = People(session, texts, screenable(read_catalogue(KNOWLEDGE)), cipher)
        for key in ("web-a", "web-b", "web-c", "web-d"):
            people.arrive(key, SPRING)
        people.arrive("web-e", "camp_poster-lyon")
        people.arrive("web-f")
        assert people.screen("web-a", ELIGIBLE) == "likely_eligible"
        people.ask_contact("web-a")
        people.enrol("web-a", "P-001", confirm=True)
        assert people.screen("web-b", {"age": 80}) == "not_eligible"
        assert people.screen("web-c", UP_TO_HBA1C) == "incomplete"
        assert people.screen("web-e", UP_TO_HBA1C) == "incomplete"
        events.record(
            session, site.settings, cipher,
            Finding(kind="emergency", category="chest_pain", matched="chest pain"),
            sender_key="web-d", channel="web", language="en",
            text="I have chest pain since this morning", trial=T2D,
        )  # fmt: skip
        for text in (
            "How much does parking cost?",
            "what's the parking fee",
            "Can I bring my kids?",
        ):
            record_unanswered(
                session, cipher=cipher, sender_key="web-f", text=text, language="en",
                reason="low_confidence", candidates=[],
            )  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coordinator_clears_the_inbox_and_exports_the_funnel(
    site: Site, chromium: Browser
) -> None:
    _seed(site)
    site.add_staff("coordinator@site.example")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(base_url=site.url, accept_downloads=True)
    page = context.new_page()

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"staff-{name}.png"), full_page=True)

    page.goto("/staff")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot("sign-in")
    page.get_by_label("E-mail address").fill("coordinator@site.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    emergency = page.locator("li.item", has_text="chest pain since this morning")
    expect(emergency).to_contain_text("Urgent")
    shot("inbox")
    emergency.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("acknowledged")
    expect(page.locator("li.item", has_text="chest pain")).to_have_count(0)
    contact = page.locator("li.item", has_text="Contact request")
    expect(contact).to_contain_text("morning")
    contact.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status")).to_contain_text("marked done")
    expect(page.get_by_text("Nothing is waiting")).to_be_visible()
    shot("inbox-cleared")

    page.get_by_role("link", name="Knowledge").click()
    expect(
        page.get_by_role("heading", name="Questions the assistant could not answer")
    ).to_be_visible()
    gap = page.locator("#gaps ~ table tbody tr").first
    expect(gap).to_contain_text("parking")
    expect(gap.locator("td").first).to_have_text("2")
    shot("knowledge")

    page.get_by_role("link", name="Recruitment").click()
    expect(page.get_by_role("heading", name="Recruitment funnel")).to_be_visible()
    expect(page.locator("svg[role=img]")).to_be_visible()
    shot("funnel")
    page.locator("select[name=trial]").select_option(T2D)
    page.get_by_role("button", name="Show").click()
    spring = page.locator("tr", has=page.get_by_role("link", name="fb-spring"))
    expect(spring.locator("td")).to_have_text(["fb-spring", "4", "3", "2", "1", "1", "1", "1"])
    stopped = page.locator("tr", has_text="(hba1c)")
    expect(stopped.locator("td").last).to_have_text("2")  # fb-spring's and poster-lyon's
    page.get_by_role("link", name="fb-spring").click()
    expect(page.get_by_role("heading", name=f"{T2D} · campaign fb-spring")).to_be_visible()
    expect(page.locator("tr", has_text="(hba1c)").locator("td").last).to_have_text("1")
    shot("funnel-campaign")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = Path(download.value.path()).read_text("utf-8")
    rows = list(csv.reader(io.StringIO(exported)))
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert "people" in header
    contacted = [r for r in body if r["section"] == "funnel" and r["key"] == "contact"]
    assert contacted and {r["campaign"] for r in contacted} == {"fb-spring"}
    assert {r["people"] for r in contacted} == {"1"}
    assert download.value.suggested_filename.startswith("funnel-")

    page.get_by_role("link", name="Participants").click()
    expect(page.get_by_role("heading", name="Participants")).to_be_visible()
    shot("participants")
    page.get_by_role("link", name="P-001").click()
    expect(page.get_by_role("heading", name="Participant P-001")).to_be_visible()
    expect(page.get_by_text("confirmed", exact=True)).to_be_visible()
    shot("participant")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context.close()
