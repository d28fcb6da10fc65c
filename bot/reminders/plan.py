"""When an appointment's reminders go out: pure functions of the appointment, the rules and now.

- Offsets are real durations before the appointment (72 h is 72 hours, across a clock change).
- Quiet hours are local to the participant (zoneinfo, so daylight saving is followed): a reminder
  that would fall in them moves earlier, to the evening before they begin; never after the
  appointment, never later than planned.
- A reminder whose moment has passed while the appointment is still ahead goes out once, now:
  several passed ones become one. Should now be in the quiet hours, it waits for their end when
  that is still in time (no later than the last offset before the appointment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.trials import DEFAULT_OFFSETS


@dataclass(frozen=True)
class Rules:
    offsets: tuple[dt.timedelta, ...] = DEFAULT_OFFSETS
    quiet_start: dt.time = dt.time(21, 0)  # local; no reminder from here…
    quiet_end: dt.time = dt.time(8, 0)  # …until here
    # Where a reminder in quiet hours moves to: this long before they begin, the evening before.
    before_quiet: dt.timedelta = dt.timedelta(hours=1)


def plan(
    starts_at: dt.datetime, timezone: str, now: dt.datetime, rules: Rules = Rules()
) -> list[dt.datetime]:
    """The moments (UTC, ascending, distinct) at which the reminders go out; none once it began."""
    if starts_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    zone = ZoneInfo(timezone)
    if starts_at <= now:
        return []
    # In UTC: Python subtracts wall-clock time from a local datetime, which a clock change skews.
    starts_at = starts_at.astimezone(dt.UTC)
    moments: set[dt.datetime] = set()
    passed = False
    for offset in rules.offsets:
        due = _outside_quiet(starts_at - offset, zone, rules)
        if due <= now:
            passed = True
        else:
            moments.add(due.astimezone(dt.UTC))
    if passed:
        moments.add(_missed(now, starts_at, zone, rules))  # the ones missed go out once
    return sorted(moments)


def _missed(now: dt.datetime, starts_at: dt.datetime, zone: ZoneInfo, rules: Rules) -> dt.datetime:
    """Now; in the quiet hours, their end, unless that comes too close to the appointment."""
    now = now.astimezone(dt.UTC)
    if not in_quiet_hours(now, zone, rules):
        return now
    ends = quiet_hours_end(now, zone, rules)
    latest = starts_at - min(rules.offsets, default=dt.timedelta(0))
    return ends if ends <= latest else now


def quiet_hours_end(moment: dt.datetime, zone: ZoneInfo, rules: Rules = Rules()) -> dt.datetime:
    """When the quiet hours `moment` falls in end (UTC); `moment` itself outside them."""
    if not in_quiet_hours(moment, zone, rules):
        return moment.astimezone(dt.UTC)
    local = moment.astimezone(zone)
    day = local.date()
    if local.time() >= rules.quiet_end:
        day += dt.timedelta(days=1)  # the evening: they end tomorrow morning
    return dt.datetime.combine(day, rules.quiet_end, tzinfo=zone).astimezone(dt.UTC)


def before_quiet_hours(due: dt.datetime, zone: ZoneInfo, rules: Rules = Rules()) -> dt.datetime:
    """`due` (UTC); in the quiet hours, the evening before they begin."""
    return _outside_quiet(due, zone, rules).astimezone(dt.UTC)


def in_quiet_hours(moment: dt.datetime, zone: ZoneInfo, rules: Rules = Rules()) -> bool:
    local = moment.astimezone(zone).time()
    if rules.quiet_start <= rules.quiet_end:
        return rules.quiet_start <= local < rules.quiet_end
    return local >= rules.quiet_start or local < rules.quiet_end


def _outside_quiet(due: dt.datetime, zone: ZoneInfo, rules: Rules) -> dt.datetime:
    if not in_quiet_hours(due, zone, rules):
        return due
    local = due.astimezone(zone)
    day = local.date()
    if rules.quiet_start > rules.quiet_end and local.time() < rules.quiet_end:
        day -= dt.timedelta(days=1)  # after midnight: the quiet hours began the evening before
    begins = dt.datetime.combine(day, rules.quiet_start, tzinfo=zone)
    return (begins - rules.before_quiet).astimezone(dt.UTC)


def zone_of(name: str) -> ZoneInfo:
    """A participant's or visit's time zone; UTC for a name that is not one (names are checked
    when staff enter them: this only keeps a later mistake from stopping every send)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
