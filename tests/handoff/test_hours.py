"""Staff hours: read from the settings, and told to the person in their language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from bot.staff_hours import StaffHours, availability, describe

PARIS = ZoneInfo("Europe/Paris")
HOURS = StaffHours.parse("Mon-Fri 09:00-17:00, Sat 9:30-12:00", "Europe/Paris")


def _paris(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the week of Monday 2 November 2026, Paris time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


def test_open_within_the_hours_and_closed_outside() -> None:
    assert HOURS.is_open(_paris(4, 10))  # Wednesday morning
    assert HOURS.is_open(_paris(7, 11, 59))  # Saturday before noon
    assert not HOURS.is_open(_paris(4, 17))  # the end is excluded
    assert not HOURS.is_open(_paris(8, 10))  # Sunday
    assert HOURS.is_open(_paris(4, 9).astimezone(dt.UTC))  # whatever zone the clock gives


def test_the_next_opening_is_found_across_nights_and_weekends() -> None:
    assert HOURS.next_opening(_paris(4, 7)) == _paris(4, 9)
    assert HOURS.next_opening(_paris(4, 18)) == _paris(5, 9)
    assert HOURS.next_opening(_paris(6, 18)) == _paris(7, 9, 30)
    assert HOURS.next_opening(_paris(7, 13)) == _paris(9, 9)


def test_the_person_is_told_in_english_and_french() -> None:
    assert availability(HOURS, "en", _paris(4, 10)) == (
        "The team is available now (Monday to Friday, 09:00–17:00 and Saturday, 09:30–12:00, "
        "Paris time)."
    )
    assert availability(HOURS, "fr", _paris(4, 18)) == (
        "L'équipe est disponible du lundi au vendredi, de 9 h à 17 h et le samedi, de 9 h 30 à "
        "12 h (heure de Paris) : elle sera de nouveau disponible demain à 9 h."
    )
    assert availability(HOURS, "en", _paris(7, 13)).endswith(
        "they will next be available on Monday at 09:00."
    )
    assert availability(HOURS, "fr", _paris(4, 7)).endswith("aujourd'hui à 9 h.")


def test_a_range_may_wrap_over_the_week_end_and_hours_may_be_left_unsaid() -> None:
    weekend = StaffHours.parse("sat-sun 10:00-24:00", "UTC")
    assert describe(weekend, "en") == "Saturday to Sunday, 10:00–midnight"
    assert weekend.is_open(dt.datetime(2026, 11, 8, 23, 59, tzinfo=dt.UTC))
    unsaid = StaffHours.parse("", "UTC")
    assert availability(unsaid, "fr", dt.datetime.now(dt.UTC)) == (
        "Elle vous répondra dès que possible."
    )


@pytest.mark.parametrize(
    ("hours", "timezone", "problem"),
    [
        ("Mon-Fry 09:00-17:00", "Europe/Paris", "is not like 'Mon-Fri 09:00-17:00'"),
        ("Mon-Fri 9h-17h", "Europe/Paris", "is not like 'Mon-Fri 09:00-17:00'"),
        ("Mon-Fri 09:00-25:00", "Europe/Paris", "a time is not HH:MM"),
        ("Mon-Fri 17:00-09:00", "Europe/Paris", "the team leaves before it arrives"),
        ("Mon-Fri 09:00-17:00", "Paris", "is not a time zone like Europe/Paris"),
    ],
)
def test_settings_that_cannot_be_read_are_refused_with_the_reason(
    tmp_path: Path, hours: str, timezone: str, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(TRIALBOT_VAR_DIR=tmp_path, STAFF_HOURS=hours, SITE_TIMEZONE=timezone)
