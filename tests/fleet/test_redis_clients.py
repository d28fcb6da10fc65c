"""The gateways' own Redis clients (shared abuse counts, messaging-app pacing) through a Redis
restart: while Redis is down each call falls back at once instead of trying again with
backoff, and a connection the restart closed is replaced at once."""

from __future__ import annotations

import socket
import time

import pytest

from bot.channels.pacing import RedisSchedule
from bot.gateway.limits import Limit, RedisCounter

LIMIT = Limit("fleet-test", 1000)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


async def test_with_redis_down_a_request_is_counted_here_at_once() -> None:
    counter = RedisCounter(f"redis://127.0.0.1:{_closed_port()}/0")
    schedule = RedisSchedule(f"redis://127.0.0.1:{_closed_port()}/0", "fleet-test")
    try:
        started = time.monotonic()
        assert (await counter.hit("someone", LIMIT)).allowed
        assert await schedule.reserve("a chat") == 0.0  # the local schedule, nothing to wait
        # The client's default would try ten times with backoff, about 4 s each.
        assert time.monotonic() - started < 0.5
    finally:
        await counter.aclose()
        await schedule.aclose()


@pytest.mark.parametrize("client", ["counter", "schedule"])
async def test_a_connection_a_redis_restart_closed_is_replaced_at_once(
    redis_url: str, client: str
) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/13"
    counter = RedisCounter(url, prefix=f"trialbot:test:{time.time_ns()}")
    schedule = RedisSchedule(url, f"fleet-test-{time.time_ns()}")
    try:
        redis = counter._client if client == "counter" else schedule._client
        hit = (
            (lambda: counter.hit("someone", LIMIT))
            if client == "counter"
            else (lambda: schedule.reserve(None))
        )
        await hit()
        # As a restart does to every client: its connection closed by the server (this
        # client's own only; other clients of the same Redis are left alone).
        own = await redis.client_id()
        assert await redis.client_kill_filter(_id=str(own), skipme=False) == 1
        started = time.monotonic()
        await hit()
        assert time.monotonic() - started < 0.5
        assert counter._failed_at is None and not schedule._failing  # not fallen back
        assert await redis.client_id() != own  # a new connection
    finally:
        await counter.aclose()
        await schedule.aclose()
