"""When the study team is reachable (`STAFF_HOURS` in `SITE_TIMEZONE`), in the person's words.

`Mon-Fri 09:00-17:00`, or several periods separated by commas: `Mon-Thu 09:00-17:00, Fri
09:00-12:00`. Days are English three-letter names; a range may wrap (`Sat-Sun`, `Fri-Mon`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import messages

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_PERIOD = re.compile(
    r"(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})"
)


@dataclass(frozen=True)
class Period:
    days: tuple[int, ...]  # weekday numbers, Monday 0, in the order written
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class StaffHours:
    periods: tuple[Period, ...]
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str) -> StaffHours:
        """Read the setting; ValueError saying what is wrong and what is expected."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"SITE_TIMEZONE {timezone!r} is not a time zone like Europe/Paris"
            ) from None
        parts = [part.strip() for part in spec.split(",") if part.strip()]
        return cls(tuple(_period(part) for part in parts), zone)

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(
            local.weekday() in p.days and p.start <= local.time() < p.end for p in self.periods
        )

    def next_opening(self, moment: dt.datetime) -> dt.datetime | None:
        """The next moment the team is there, in the site's time zone; None without hours."""
        local = moment.astimezone(self.zone)
        for offset in range(8):
            day = local.date() + dt.timedelta(days=offset)
            starts = sorted(
                dt.datetime.combine(day, period.start, self.zone)
                for period in self.periods
                if day.weekday() in period.days
            )
            for start in starts:
                if start > local:
                    return start
        return None


def _period(text: str) -> Period:
    found = _PERIOD.fullmatch(text.lower())
    wrong = f"STAFF_HOURS: {text!r} is not like 'Mon-Fri 09:00-17:00'"
    if found is None or found["first"] not in DAYS or (found["last"] or "mon") not in DAYS:
        raise ValueError(wrong)
    first = DAYS.index(found["first"])
    last = DAYS.index(found["last"]) if found["last"] else first
    try:
        start, end = dt.time.fromisoformat(_padded(found["start"])), _end(found["end"])
    except ValueError:
        raise ValueError(f"{wrong}: a time is not HH:MM") from None
    if start >= end:
        raise ValueError(f"STAFF_HOURS: in {text!r} the team leaves before it arrives")
    return Period(tuple((first + n) % 7 for n in range((last - first) % 7 + 1)), start, end)


def _padded(value: str) -> str:
    return value.zfill(5)


def _end(value: str) -> dt.time:
    # "24:00" is how people write the end of the day.
    return dt.time.max if value == "24:00" else dt.time.fromisoformat(_padded(value))


@functools.lru_cache(maxsize=8)
def staff_hours(spec: str, timezone: str) -> StaffHours:
    """The parsed setting (checked when the settings were read)."""
    return StaffHours.parse(spec, timezone)


def availability(hours: StaffHours, language: str, now: dt.datetime) -> str:
    """One sentence: the team is there now, or when it next will be, with its hours."""
    if not hours.periods:
        return messages.text("handoff_hours_unknown", language)
    values = {"hours": describe(hours, language), "zone": _zone(hours.zone, language)}
    opening = hours.next_opening(now)
    if hours.is_open(now) or opening is None:
        return messages.text("handoff_available_now", language, **values)
    return messages.text(
        "handoff_available_next", language, when=_when(opening, now, hours.zone, language), **values
    )


def describe(hours: StaffHours, language: str) -> str:
    """The hours as people say them: "Monday to Friday, 09:00–17:00" / "du lundi au vendredi…"."""
    french = language == "fr"
    names = _NAMES["fr" if french else "en"]
    said = []
    for period in hours.periods:
        first, last = names[period.days[0]], names[period.days[-1]]
        if len(period.days) == 1:
            days = f"le {first}" if french else first
        else:
            days = f"du {first} au {last}" if french else f"{first} to {last}"
        start, end = _clock(period.start, language), _clock(period.end, language)
        said.append(f"{days}, de {start} à {end}" if french else f"{days}, {start}–{end}")
    return (" et " if french else " and ").join(said)


def _when(opening: dt.datetime, now: dt.datetime, zone: ZoneInfo, language: str) -> str:
    days = (opening.date() - now.astimezone(zone).date()).days
    key = {0: "handoff_today", 1: "handoff_tomorrow"}.get(days, "handoff_on_day")
    day = _NAMES["fr" if language == "fr" else "en"][opening.weekday()]
    return messages.text(key, language, day=day, time=_clock(opening.time(), language))


def _clock(moment: dt.time, language: str) -> str:
    if moment == dt.time.max:
        return "minuit" if language == "fr" else "midnight"
    if language == "fr":
        return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _zone(zone: ZoneInfo, language: str) -> str:
    """ "Paris time" / "heure de Paris"; a zone without a city as it is named (UTC)."""
    name = zone.key
    if "/" not in name:
        return name
    city = name.rsplit("/", 1)[1].replace("_", " ")
    return messages.text("handoff_zone", language, city=city)
