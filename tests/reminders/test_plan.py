"""Reminder times: real offsets, local quiet hours across clock changes, missed ones sent once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.reminders.plan import Rules, in_quiet_hours, plan

PARIS = ZoneInfo("Europe/Paris")


def _paris(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def _local(moments: list[dt.datetime]) -> list[str]:
    return [m.astimezone(PARIS).strftime("%a %d %H:%M") for m in moments]


def test_the_default_plan_is_72_24_and_2_hours_before() -> None:
    starts = _paris(2026, 12, 10, 14, 30)
    moments = plan(starts, "Europe/Paris", now=_paris(2026, 12, 1, 9, 0))
    assert _local(moments) == ["Mon 07 14:30", "Wed 09 14:30", "Thu 10 12:30"]
    assert all(m.tzinfo == dt.UTC for m in moments)


def test_quiet_hours_move_a_reminder_to_the_evening_before() -> None:
    # 09:00 appointment: 2 h before is 07:00, in the quiet hours: 20:00 the day before instead.
    moments = plan(_paris(2026, 12, 10, 9, 0), "Europe/Paris", now=_paris(2026, 12, 1, 9, 0))
    assert _local(moments) == ["Mon 07 09:00", "Wed 09 09:00", "Wed 09 20:00"]
    # 22:30 appointment: 2 h before is 20:30, allowed; 72 h and 24 h before move to 20:00.
    late = plan(_paris(2026, 12, 10, 22, 30), "Europe/Paris", now=_paris(2026, 12, 1, 9, 0))
    assert _local(late) == ["Mon 07 20:00", "Wed 09 20:00", "Thu 10 20:30"]


def test_offsets_are_real_hours_across_the_spring_clock_change() -> None:
    # Paris moves from 02:00 to 03:00 on 29 March 2026: 72 h before Tuesday 10:00 is Saturday 09:00.
    moments = plan(_paris(2026, 3, 31, 10, 0), "Europe/Paris", now=_paris(2026, 3, 20, 9, 0))
    assert _local(moments) == ["Sat 28 09:00", "Mon 30 10:00", "Tue 31 08:00"]


def test_quiet_hours_follow_local_time_across_the_autumn_clock_change() -> None:
    # 25 October 2026, 03:00 back to 02:00: 72 h before Monday 08:30 (winter time) is Friday
    # 09:30 by the clock (summer time); 24 h before is Sunday 08:30, already in winter time.
    moments = plan(_paris(2026, 10, 26, 8, 30), "Europe/Paris", now=_paris(2026, 10, 20, 9, 0))
    assert _local(moments) == ["Fri 23 09:30", "Sun 25 08:30", "Sun 25 20:00"]


def test_missed_reminders_go_out_once_now_and_none_after_the_start() -> None:
    now = _paris(2026, 12, 10, 11, 0)
    # The 72 h and 24 h moments passed during an outage: one reminder now, then 2 h before.
    moments = plan(_paris(2026, 12, 10, 15, 0), "Europe/Paris", now=now)
    assert _local(moments) == ["Thu 10 11:00", "Thu 10 13:00"]
    assert plan(_paris(2026, 12, 10, 10, 0), "Europe/Paris", now=now) == []


def test_a_missed_reminder_found_at_night_waits_for_the_morning_when_there_is_time() -> None:
    late = _paris(2026, 12, 9, 23, 30)
    # Imported late at night for an afternoon visit: the missed reminder goes at 08:00.
    moments = plan(_paris(2026, 12, 10, 15, 0), "Europe/Paris", now=late)
    assert _local(moments) == ["Thu 10 08:00", "Thu 10 13:00"]
    # After midnight too.
    moments = plan(_paris(2026, 12, 10, 15, 0), "Europe/Paris", now=_paris(2026, 12, 10, 2, 0))
    assert _local(moments) == ["Thu 10 08:00", "Thu 10 13:00"]
    # A visit at 09:00: 08:00 would be too close (under the last 2 h), so it goes now.
    assert _local(plan(_paris(2026, 12, 10, 9, 0), "Europe/Paris", now=late)) == ["Wed 09 23:30"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(dt.datetime(2026, 12, 10, 9, 0), "Europe/Paris", now=_paris(2026, 12, 1, 9, 0))


ZONES = st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Sydney"])
MOMENTS = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2028, 12, 31),
    timezones=st.just(dt.UTC),
)


@given(starts=MOMENTS, now=MOMENTS, zone=ZONES)
def test_every_reminder_is_before_the_start_outside_quiet_hours_or_now(
    starts: dt.datetime, now: dt.datetime, zone: str
) -> None:
    moments = plan(starts, zone, now=now)
    assert moments == sorted(set(moments))
    assert len(moments) <= len(Rules().offsets)
    for moment in moments:
        assert now <= moment < starts
        quiet = in_quiet_hours(moment, ZoneInfo(zone))
        assert not quiet or (moment == now and moment > starts - dt.timedelta(hours=2, days=1))
    if starts > now + dt.timedelta(hours=72, days=1):
        assert len(moments) == 3  # far enough ahead: every reminder has its own moment
