"""The fleet under load, with faults: HAProxy in front of 2 gateways, 2 Rasa servers, 2 action
servers, and a dispatcher, on a PostgreSQL database of its own and Redis.

    .venv/bin/python bench/fleet [--minutes 5] [--conversations 40] [--json] [--throughput]

Installs nothing: it needs /usr/sbin/haproxy (`make setup` installs it), the project's trained
model, and PostgreSQL and Redis servers (`--database`, `--redis`). It starts the fleet
(bench/fleet/topology.py), drives the scripted conversations of bench/fleet/load.py through the
gateways' frontend for the given minutes and, during the load, SIGKILLs one Rasa server, one
gateway and one action server (each started again at once) and restarts Redis (with the
configuration it ran with). It prints what became of every message (load.py says what lost,
duplicated and out of order mean), p50/p95 over the run, each fault's p95 over the 30 s that
follow it and over the 30 s after those (the target: back under 1 s within 30 s), and what
became of the reminder script's visits: reminders read in the chat (p95 from the booking),
reminders sent twice for one appointment, Confirm taps found in the database.
`--throughput` also measures answered messages a second with 1 and with 2 replicas of each,
people answering at once (no pause), without faults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.fleet import load, topology  # noqa: E402
from bot.db.session import scratch_database  # noqa: E402

WINDOW = 30.0  # seconds after a fault over which its p95 is taken, and again after that
# When each fault strikes, as a share of the run: over the default 5 minutes, 60 s apart, so
# that a fault's two windows end where the next fault begins (a window never reaches past it).
FAULTS = (
    ("kill rasa-0", 0.1), ("kill gateway-0", 0.3), ("kill actions-0", 0.5), ("restart redis", 0.7),
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between messages")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--throughput", action="store_true", help="also 1 vs 2 replicas")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    if not topology.HAPROXY.exists():
        console.print(f"[red]{topology.HAPROXY} not found:[/] `make setup` installs HAProxy")
        return 2
    faults = () if args.no_faults else FAULTS
    result = run(args, faults, console)
    if args.throughput:
        result["throughput"] = {
            str(n): throughput(args, n, console) for n in (1, 2)
        }  # messages a second
    if args.json:
        print(json.dumps(result))
    else:
        Console().print(table(result))
    clean = (
        result["lost"] == 0
        and result["duplicated"] == 0
        and result["out_of_order"] == 0
        and result["reminders_sent_twice"] == 0
    )
    return 0 if clean else 1


def run(args: argparse.Namespace, faults: Any, console: Console) -> dict[str, Any]:
    seconds = args.minutes * 60
    with (
        scratch_database(args.database, "trialbot_fleet") as url,
        tempfile.TemporaryDirectory(prefix="fleet-") as folder,
    ):
        console.print("starting the fleet (the Rasa servers load for about a minute)…")
        with topology.running(Path(folder), url, args.redis) as fleet:
            console.print(f"fleet up; {args.conversations} conversations for {seconds:.0f} s")
            study = load.Study(fleet.settings(), fleet.url)
            driver = load.Load(fleet.url, uuid.uuid4().hex[:6], think=args.think, study=study)
            struck: list[dict[str, Any]] = []
            try:
                asyncio.run(
                    _load_with_faults(fleet, driver, args, seconds, faults, struck, console)
                )
            finally:
                study.close()
            console.print(f"waiting {load.SETTLE:.0f} s for anything delivered late…")
            time.sleep(load.SETTLE)
            asyncio.run(driver.sweep())
            console.print("checking Rasa's trackers and the database…")
            checked = load.check(fleet.settings(), fleet.rasa_url, driver.people)
            restarts = {s.name: s.starts - 1 for s in fleet.servers if s.starts > 1}
    return summary(driver, checked, struck, restarts)


async def _load_with_faults(
    fleet: topology.Fleet,
    driver: load.Load,
    args: argparse.Namespace,
    seconds: float,
    faults: Any,
    struck: list[dict[str, Any]],
    console: Console,
) -> None:
    async def strike() -> None:
        for what, share in faults:
            await asyncio.sleep(max(0.0, share * seconds - driver.now()))
            at = driver.now()
            await asyncio.to_thread(fault, fleet, what, args.redis)
            struck.append({"what": what, "at_s": round(at, 1)})
            console.print(f"{at:6.1f} s  {what}")

    await asyncio.gather(driver.drive(args.conversations, seconds), strike())


def fault(fleet: topology.Fleet, what: str, redis_url: str) -> None:
    """Kill a server and start it again at once, or restart Redis."""
    if what == "restart redis":
        restart_redis(redis_url)
        return
    name = what.removeprefix("kill ")
    (server,) = [s for s in fleet.servers if s.name == name]
    fleet.kill(server)
    fleet.start(server)


def restart_redis(redis_url: str) -> None:
    """Shut Redis down (nothing saved) and start it again as it ran: its own settings, read
    from it first (bind, port, persistence, folder, log file); returns once it answers."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    where = urlsplit(redis_url)
    # No retries: the client's default (ten, with backoff) would try the shutdown again on the
    # connection it closes, and keep Redis down for seconds before it is started again.
    client = redis.Redis(
        host=where.hostname or "127.0.0.1", port=where.port or 6379, retry=Retry(NoBackoff(), 0)
    )
    config: dict[str, str] = {}
    for name in ("bind", "port", "save", "appendonly", "dir", "logfile"):
        config.update(client.config_get(name))  # type: ignore[arg-type]
    with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it goes
        client.shutdown(nosave=True)
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    argv = [server, "--daemonize", "yes"]
    argv += ["--bind", *config["bind"].split()] if config.get("bind") else []
    for name in ("port", "save", "appendonly", "dir", "logfile"):
        if name in config:
            argv += [f"--{name}", config[name]]
    time.sleep(0.5)
    subprocess.run(argv, check=True)
    deadline = time.monotonic() + 10
    while True:  # back once it answers
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def throughput(args: argparse.Namespace, replicas: int, console: Console) -> float:
    """Answered messages a second with `replicas` of each, people answering at once."""
    with (
        scratch_database(args.database, "trialbot_fleet") as url,
        tempfile.TemporaryDirectory(prefix="fleet-") as folder,
        topology.running(Path(folder), url, args.redis, replicas=replicas) as fleet,
    ):
        console.print(f"throughput with {replicas} of each…")
        driver = load.Load(fleet.url, uuid.uuid4().hex[:6], think=0.05)
        asyncio.run(driver.drive(args.conversations, 60.0))
    answered = sum(1 for s in driver.sent if s.latency is not None and s.at > 10)
    return round(answered / 50.0, 1)  # the first 10 s are a warm-up


def summary(
    driver: load.Load, checked: load.Checked, struck: list[dict[str, Any]], restarts: Any
) -> dict[str, Any]:
    sent = driver.sent
    answered = sum(1 for s in sent if s.latency is not None)
    every = load.latencies(sent)
    faults = []
    for number, fault_ in enumerate(struck):
        at: float = fault_["at_s"]
        # Never past the next fault: its own windows show what it did.
        ends = struck[number + 1]["at_s"] if number + 1 < len(struck) else float("inf")
        during = load.latencies(sent, at, min(at + WINDOW, ends))
        after = load.latencies(sent, at + WINDOW, min(at + 2 * WINDOW, ends))
        faults.append({
            **fault_,
            "p95_during_ms": round(load.quantile(during, 0.95) * 1000),
            "p95_after_ms": round(load.quantile(after, 0.95) * 1000),
        })  # fmt: skip
    return {
        "messages": len(sent),
        "answered": answered,
        "lost": len(sent) - answered,
        "duplicated": checked.handled_twice + driver.repeated,
        "out_of_order": checked.out_of_order,
        "faults": faults,
        "p50_ms": round(load.quantile(every, 0.50) * 1000),
        "p95_ms": round(load.quantile(every, 0.95) * 1000),
        "answered_late": sum(1 for s in sent if s.late),
        "failed_requests": sum(1 for s in sent if s.error),
        "handled_twice_by_rasa": checked.handled_twice,
        "delivered_twice": driver.repeated,
        "answered_after_given_up": driver.very_late,
        "tracker_turns": checked.tracker_turns,
        "conversations": len(driver.people),
        "screenings_finished": checked.screenings_expected,
        "screenings_in_database": checked.screenings_recorded,
        "consents_in_database": checked.consents_recorded,
        "reminders_booked": checked.reminders_booked,
        "reminders_in_chat": checked.reminders_received,
        "reminders_sent_twice": checked.reminders_sent_twice,
        "reminder_p95_ms": round(
            load.quantile([p.reminded for p in driver.people if p.reminded is not None], 0.95)
            * 1000
        ),
        "confirms_tapped": checked.confirmed_expected,
        "confirms_in_database": checked.confirmed_recorded,
        "restarts": restarts,
    }


def table(result: dict[str, Any]) -> Table:
    shown = Table(title="The fleet under load (bench/fleet)")
    shown.add_column("what")
    shown.add_column("value", justify="right")
    for name in (
        "messages", "answered", "lost", "duplicated", "out_of_order", "p50_ms", "p95_ms",
        "answered_late", "failed_requests", "conversations", "screenings_finished",
        "screenings_in_database", "consents_in_database", "reminders_booked",
        "reminders_in_chat", "reminders_sent_twice", "reminder_p95_ms", "confirms_tapped",
        "confirms_in_database",
    ):  # fmt: skip
        shown.add_row(name, str(result[name]))
    for fault_ in result["faults"]:
        shown.add_row(
            f"{fault_['what']} at {fault_['at_s']} s",
            f"p95 {fault_['p95_during_ms']} ms, then {fault_['p95_after_ms']} ms",
        )
    for replicas, rate in result.get("throughput", {}).items():
        shown.add_row(f"throughput, {replicas} of each", f"{rate} messages/s")
    return shown


if __name__ == "__main__":
    raise SystemExit(main())
