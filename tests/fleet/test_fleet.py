"""Two gateways and two Rasa servers behind HAProxy, on PostgreSQL and Redis: scripted web chat
conversations go on while a Rasa server and then a gateway are SIGKILLed mid-conversation, and
every message is answered once, in order (bench/fleet is the longer run, with more faults)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import pytest

from bench.fleet import load, topology

pytestmark = pytest.mark.postgres

CONVERSATIONS = 12
SECONDS = 60.0
KILLS = (("rasa", 15.0), ("gateway", 35.0))
# Shorter waits than the defaults. A dead gateway's holds on its messages lapse within
# bot.gateway.relay.LEASE; a live gateway keeps one without a step for 2 × RASA_TIMEOUT_SECONDS
# + 5 s at most, and the look for repeats waits that long.
ENVIRONMENT = {
    "RASA_TIMEOUT_SECONDS": "8", "ACTION_RETRY_SECONDS": "4", "TICKET_LOCK_LIFETIME": "6",
}  # fmt: skip
LEASE = 2 * 8 + 5


@pytest.fixture
def haproxy() -> Path:
    if topology.HAPROXY.exists():
        return topology.HAPROXY
    reason = f"{topology.HAPROXY} not found: `make setup` installs HAProxy (Debian's haproxy)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; it is mandatory in CI")
    pytest.skip(reason)


def test_answers_come_once_and_in_order_while_a_rasa_server_and_a_gateway_are_killed(
    haproxy: Path, tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    # A Redis database of its own: Rasa's lock store keys must not meet other tests' keys.
    redis_db = redis_url.rsplit("/", 1)[0] + "/13"
    with topology.running(tmp_path, postgres_url, redis_db, environment=ENVIRONMENT) as fleet:
        driver = load.Load(fleet.url, uuid.uuid4().hex[:6], think=1.0)

        async def kill_mid_conversation() -> None:
            for role, at in KILLS:
                await asyncio.sleep(at - driver.now())
                (server, *_) = fleet.of(role)
                await asyncio.to_thread(fleet.kill, server)
                await asyncio.to_thread(fleet.start, server)

        async def both() -> None:
            await asyncio.gather(driver.drive(CONVERSATIONS, SECONDS), kill_mid_conversation())

        asyncio.run(both())
        time.sleep(LEASE + 3)  # a repeat would come once every hold had lapsed
        asyncio.run(driver.sweep())
        checked = load.check(fleet.settings(), fleet.rasa_url, driver.people)
        logs = fleet.tails()
    unanswered = [s for s in driver.sent if s.latency is None]
    assert len(driver.sent) >= CONVERSATIONS * 5, logs  # the load did go on
    assert unanswered == [], (checked.unrecorded, logs)
    assert (checked.handled_twice, driver.repeated) == (0, 0), logs
    assert checked.out_of_order == 0, logs
    # Every message is one user turn in Rasa's tracker but those the gateway answers itself (a
    # person's words while the study team has their question).
    assert checked.tracker_turns >= len(driver.sent) - len(driver.people), logs
    # Each killed server was started again, and the conversations went on through the others.
    killed = [s for s in fleet.servers if s.index == 0 and s.role in ("rasa", "gateway")]
    assert all(server.starts >= 2 for server in killed)
