"""Two `trialbot dispatcher` processes on PostgreSQL, one killed mid-run: none lost, one resent."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.reminders import fleet
from bot.db.migrate import upgrade
from bot.settings import Settings
from tests.fakes.telegram import FakeBotAPI, FloodLimits

REMINDERS = 150


@pytest.fixture
def flooded() -> Iterator[FakeBotAPI]:
    token = f"{secrets.randbelow(10**9) + 10**9}:fleet-test"
    with FakeBotAPI(token, flood_limits=FloodLimits(per_second=30, chat_gap=1.0)) as api:
        yield api


@pytest.mark.postgres
def test_two_dispatchers_share_the_work_and_a_killed_one_loses_nothing(
    tmp_path: Path, postgres_url: str, redis_url: str, flooded: FakeBotAPI
) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path / "var", DATABASE_URL=postgres_url)
    upgrade(settings.db_url)
    fleet.seed(settings, REMINDERS)
    environment = {
        "REDIS_URL": redis_url,
        "REMINDER_LEASE_SECONDS": "4",
        # Under the default 29 for a margin on a loaded machine: bench/reminders measures speed.
        "TELEGRAM_MESSAGES_PER_SECOND": "25",
    }
    with fleet.dispatchers(settings, flooded, 2, environment) as running:
        running.wait_until_up()
        due = fleet.make_due(settings)
        deadline = time.monotonic() + 90
        while len(flooded.successful("sendMessage")) < REMINDERS * 2 // 3:
            assert time.monotonic() < deadline, running.output()
            time.sleep(0.05)
        running.kill(0)
        while fleet.waiting(settings) > 0:
            assert time.monotonic() < deadline, running.output()
            time.sleep(0.2)
        logs = [log.read_text() for log in running.logs]
    result = fleet.tally(settings, flooded, REMINDERS, due)
    assert result.lost == 0 and result.failed == 0
    assert result.duplicated <= 1  # the one in flight when it died, at most
    assert result.maybe_twice <= 1 and result.duplicated <= result.maybe_twice
    assert result.refused_429 == 0
    # Each sent a share (the first before it was killed): the work was shared, not taken by one.
    assert all(" sent " in log and "Traceback" not in log for log in logs), logs
