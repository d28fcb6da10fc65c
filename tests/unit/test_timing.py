"""Server-Timing values: written as browsers read them, and read back by bench/latency."""

from __future__ import annotations

import asyncio

from bot import timing


def test_stages_are_written_and_read_back() -> None:
    assert timing.header({"db": 1.25, "rasa.nlu": 10.0}) == "db;dur=1.2, rasa.nlu;dur=10.0"
    assert timing.parse("db;dur=1.2, rasa.nlu;dur=10.0, cache;desc=hit, ;dur=3") == {
        "db": 1.2,
        "rasa.nlu": 10.0,
    }


def test_nothing_is_collected_outside_a_timed_request() -> None:
    with timing.stage("db"):
        pass
    timing.add("db", 5.0)
    with timing.timed_request() as stages:
        timing.add("rasa", 2.0)
    assert stages == {"rasa": 2.0}


def test_work_in_a_thread_counts_in_the_request() -> None:
    async def request() -> dict[str, float]:
        with timing.timed_request() as stages:
            await asyncio.to_thread(timing.add, "db", 3.0)
            with timing.stage("safety"):
                await asyncio.sleep(0.01)
        return stages

    stages = asyncio.run(request())
    assert stages["db"] == 3.0 and stages["safety"] >= 10.0
