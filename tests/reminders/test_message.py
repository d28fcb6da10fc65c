"""A reminder names its trial the way a sentence reads, never in brackets inside brackets."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.db.models import Appointment
from bot.reminders.message import render
from bot.settings import PROJECT_ROOT
from bot.trials import read_catalogue


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Reminder: your week 4 appointment for the DMX-101 study (fictional demo) is on"),
        (
            "fr",
            "Rappel : votre rendez-vous « week 4 » pour l'étude DMX-101 (démonstration fictive)",
        ),
    ],
)
def test_the_trial_reads_right_in_the_reminder(lang: str, expected: str) -> None:
    trials = read_catalogue(PROJECT_ROOT / "knowledge")
    site = next(iter(trials["demo-t2d-001"].sites))
    appointment = Appointment(
        id=1, participant_id=1, trial="demo-t2d-001", site=site, kind="week 4",
        starts_at=dt.datetime(2030, 3, 5, 9, 30, tzinfo=dt.UTC), timezone="Europe/Paris",
    )  # fmt: skip
    text = render(appointment, trials["demo-t2d-001"], lang).text or ""
    assert text.startswith(expected)
    assert "((" not in text and "))" not in text


@pytest.mark.parametrize(
    ("lang", "reader", "said"),
    [
        ("en", "Europe/London", "Tuesday 5 March at 10:30 (Paris time)"),
        ("fr", "America/Montreal", "mardi 5 mars à 10 h 30 (heure de Paris)"),
        ("en", "Europe/Paris", "Tuesday 5 March at 10:30**"),
        ("fr", "Europe/Brussels", "mardi 5 mars à 10 h 30**"),  # the same time there
    ],
)
def test_a_time_is_said_with_its_zone_to_someone_whose_clock_reads_another(
    lang: str, reader: str, said: str
) -> None:
    """Tried on the phone: a participant in London read "at 10:30", the Paris site's time, as
    their own."""
    trials = read_catalogue(PROJECT_ROOT / "knowledge")
    site = next(iter(trials["demo-t2d-001"].sites))
    appointment = Appointment(
        id=1, participant_id=1, trial="demo-t2d-001", site=site, kind="week 4",
        starts_at=dt.datetime(2030, 3, 5, 9, 30, tzinfo=dt.UTC), timezone="Europe/Paris",
    )  # fmt: skip
    text = render(appointment, trials["demo-t2d-001"], lang, reader).text or ""
    assert said in text
