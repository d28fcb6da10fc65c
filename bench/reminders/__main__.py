"""Reminder throughput: due reminders sent by several dispatchers on PostgreSQL, one SIGKILLed.

    .venv/bin/python bench/reminders [--reminders 10000] [--dispatchers 2] [--kill-at 0.3] [--json]

Creates a throw-away PostgreSQL database (`--database`, default the test server), seeds linked
participants with one reminder each, starts a local Bot API that enforces Telegram's flood
limits (30 messages/s, 1/s per chat: above them it answers 429), and starts `trialbot
dispatcher` processes that pace themselves through Redis (`--redis`). All reminders become due at
once; when the given share has been delivered, the first dispatcher is killed with SIGKILL. It
prints messages/s, the due→sent lag, and what was lost or sent twice (counted from what the Bot
API received, chat by chat).
"""

from __future__ import annotations

import argparse
import gc
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the fake Bot API lives with the tests

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.reminders import fleet  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.session import scratch_database  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.telegram import FakeBotAPI, FloodLimits  # noqa: E402

TARGET_PER_SECOND = 28.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument("--kill-at", type=float, default=0.3, help="share delivered; 0: no kill")
    parser.add_argument("--lease", type=float, default=120.0, help="REMINDER_LEASE_SECONDS")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    with (
        scratch_database(args.database, "trialbot_bench") as url,
        tempfile.TemporaryDirectory() as var,
    ):
        settings = Settings(TRIALBOT_VAR_DIR=Path(var), DATABASE_URL=url)
        upgrade(settings.db_url)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("seeding participants", total=args.reminders)
            fleet.seed(settings, args.reminders, lambda n: progress.advance(task, n))
        token = f"{secrets.randbelow(10**9) + 10**9}:bench"
        limits = FloodLimits(per_second=30, chat_gap=1.0)
        with FakeBotAPI(token, flood_limits=limits) as api:
            environment = {"REDIS_URL": args.redis, "REMINDER_LEASE_SECONDS": str(args.lease)}
            with fleet.dispatchers(settings, api, args.dispatchers, environment) as running:
                running.wait_until_up()
                # The fake Bot API answers from this process: a garbage collection here would
                # hold requests back and then count them all at once, against the dispatchers.
                gc.collect()
                gc.freeze()
                gc.disable()
                due = fleet.make_due(settings)
                console.print(f"{args.reminders} reminders due; {args.dispatchers} dispatchers")
                try:
                    _watch(console, settings, api, running, args)
                finally:
                    gc.enable()
                output = running.output()
            result = fleet.tally(settings, api, args.reminders, due)
    figures = {**result.as_dict(), "dispatchers": args.dispatchers, "killed": len(running.killed)}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _show(Console(), figures)
    errors = [line for line in output.splitlines() if "Traceback" in line or "ERROR" in line]
    if errors:
        console.print(f"[red]the dispatchers logged {len(errors)} error(s):[/]\n{output}")
    met = (
        result.per_second >= TARGET_PER_SECOND
        and result.refused_429 == 0
        and result.lost == 0
        and result.duplicated <= len(running.killed)
    )
    return 0 if met and not errors else 1


def _watch(
    console: Console,
    settings: Settings,
    api: FakeBotAPI,
    running: fleet.Dispatchers,
    args: argparse.Namespace,
) -> None:
    """Until every reminder is settled; kills the first dispatcher at the share asked."""
    deadline = time.monotonic() + args.reminders / 10 + args.lease + 120
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("sending", total=args.reminders)
        while time.monotonic() < deadline:
            delivered = len(api.successful("sendMessage"))
            progress.update(task, completed=delivered)
            if args.kill_at and not running.killed and delivered >= args.kill_at * args.reminders:
                running.kill(0)
                console.print(f"dispatcher 1 killed with SIGKILL after {delivered} messages")
            if fleet.waiting(settings) == 0:
                return
            time.sleep(1.0)
    console.print("[red]gave up waiting: some reminders were never settled[/]")


def _show(console: Console, figures: dict[str, float]) -> None:
    table = Table(title="Reminders: due → sent, through the Bot API's flood limits")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    rows = [
        ("reminders due at once", f"{figures['reminders']:,}", ""),
        ("dispatchers (killed)", f"{figures['dispatchers']} ({figures['killed']})", ""),
        ("messages delivered", f"{figures['delivered']:,}", ""),
        ("messages/s", f"{figures['per_second']:.1f}", f"≥ {TARGET_PER_SECOND:g}"),
        ("429 answers", str(figures["refused_429"]), "0"),
        ("lost", str(figures["lost"]), "0"),
        ("duplicated", str(figures["duplicated"]), f"≤ {figures['killed']}"),
        ("marked 'maybe twice' (sends ≥ 2)", str(figures["maybe_twice"]), ""),
        ("dead letters", str(figures["failed"]), "0"),
        ("lag p50", f"{figures['lag_p50']:.1f} s", ""),
        ("lag p99", f"{figures['lag_p99']:.1f} s", ""),
        ("lag max (all sent)", f"{figures['lag_max']:.1f} s", ""),
        ("at 30/s, the last could go at", f"{figures['reminders'] / 30:.1f} s", ""),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
