"""The staff pages in French: chosen on the page or by the browser, and every text translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.consent.ledger import Decision
from bot.crypto import Cipher
from bot.db.models import AppointmentStatus, ReminderStatus
from bot.gateway import pages
from bot.safety import events
from bot.safety.detect import Finding
from bot.settings import PROJECT_ROOT
from bot.staff import funnel, inbox, words
from bot.staff.accounts import ROLES
from tests.staff.conftest import Site

_IN_TEMPLATES = re.compile(r"""_\(\s*(["'])(.+?)\1""")
_IN_CODE = re.compile(r"""\bt\(\s*lang,\s*(["'])(.+?)\1""")


def _asked_for() -> set[str]:
    """Every literal text the templates and the page code hand to the catalogue."""
    texts: set[str] = set()
    for template in (PROJECT_ROOT / "bot/gateway/templates/staff").glob("*.html"):
        texts |= {m.group(2) for m in _IN_TEMPLATES.finditer(template.read_text())}
    for module in [
        *Path(PROJECT_ROOT / "bot/staff").glob("*.py"),
        PROJECT_ROOT / "bot/gateway/pages.py",
    ]:
        texts |= {m.group(2) for m in _IN_CODE.finditer(module.read_text())}
    return texts


def test_every_text_of_the_pages_has_its_french() -> None:
    asked = _asked_for()
    assert len(asked) > 100  # the scan finds the pages' texts
    labels = {
        *inbox._SAFETY_TITLES.values(), *inbox._HANDOFF_TITLES.values(),
        *inbox._FOLLOW_UP_TITLES.values(), *inbox._FOLLOW_UP_TEXTS.values(),
        *inbox._TAPPED.values(),
        *(label for _, label in funnel.STEPS), *ROLES, "active", "locked", "disabled",
        *AppointmentStatus, *ReminderStatus, *(str(decision) for decision in Decision),
        pages.REFUSED, pages.THROTTLED,
    }  # fmt: skip
    missing = sorted(text for text in asked | labels if text not in words.FR)
    assert missing == []


@pytest.mark.parametrize(
    ("chosen", "accept", "expected"),
    [
        (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, "de-DE,en;q=0.5", "en"),
        ("en", "fr-FR", "en"),
        ("fr", None, "fr"),
        ("xx", None, "en"),
    ],
)
def test_the_language_is_the_choice_else_the_browsers(
    chosen: str | None, accept: str | None, expected: str
) -> None:
    assert words.language_of(chosen, accept) == expected


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_french_speaking_coordinator_works_in_french(site: Site) -> None:
    with Session(site.engine) as session, session.begin():
        event = events.record(
            session, site.settings, Cipher.from_settings(site.settings),
            Finding(kind="emergency", category="chest_pain", matched="douleur poitrine"),
            sender_key="web-fr", channel="web", language="fr",
            text="j'ai une douleur dans la poitrine", trial=None,
        )  # fmt: skip
        event_id = event.id
    site.add_staff("coordination@site.example")
    with site.browser() as browser:
        browser.headers["Accept-Language"] = "fr-FR,fr;q=0.9"
        login = browser.get("/staff/login")
        assert '<html lang="fr">' in login.text and "Se connecter" in login.text
        wrong = browser.sign_in("coordination@site.example", "pas le bon mot de passe")
        assert "Adresse e-mail ou mot de passe incorrect." in wrong.text
        browser.sign_in("coordination@site.example")
        page = browser.get("/staff").text
        assert "À traiter" in page and "Urgence — douleur thoracique" in page
        assert "Pris en compte" in page and "à l&#39;instant" in page
        browser.submit("/staff", f"/staff/inbox/safety/{event_id}/acknowledge")
        assert f"Événement de sécurité {event_id} pris en compte." in browser.get("/staff").text
        assert "Présélection commencée" in browser.get("/staff/funnel").text

        # The choice on the page outlasts the browser's.
        switched = browser.get("/staff/language/en", params={"back": "/staff/funnel"})
        assert switched.status_code == 303 and switched.headers["location"] == "/staff/funnel"
        assert "Started pre-screening" in browser.get("/staff/funnel").text
        away = browser.get("/staff/language/fr", params={"back": "https://evil.example/"})
        assert away.headers["location"] == "/staff"
