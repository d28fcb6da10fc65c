"""Chaos: faults dealt to the whole stack while people talk to it, and what each one cost.

    .venv/bin/python bench/chaos [--rounds 2] [--people 2] [--fault NAME]… [--action-workers 1]
                                 [--redis] [--postgres] [--seed 19] [--json]

Starts `trialbot run` (SQLite under a throw-away folder, or with --postgres a PostgreSQL server of
the benchmark's own) and, round after round, has `--people` web chat conversations run at once (a
greeting, a question, a pre-screening with its consent, an age, a hand-off) while one fault
strikes at a random moment: SIGKILL of the gateway, of Rasa, of the action server or of one of its
Sanic workers (with --action-workers 2; with one, the server is its only process), Rasa stopped
(SIGSTOP) for 20 s, the reminder dispatcher (the gateway's) SIGKILLed while it sends reminders
made due for participants of the round; with --redis a Redis server of the benchmark's own killed
and started again 2 s later; with --postgres that server stopped as in a crash and started again
2 s later; on SQLite, when run as root, the var folder (on a tmpfs of its own) filled for 15 s.
The machine's own servers are never touched. Per fault it prints how many messages were answered
at once, late, or not at all, how many Rasa handled twice, the consents and pre-screening answers
missing from the database, the reminders lost or sent twice, how long the stack took to be healthy
again (at most 60 s is the goal) and the processes left behind; then, once the stack is stopped,
whether anything of it is still running. Exit code 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.chaos import reminders, scenario  # noqa: E402
from bot.localstack import local_stack  # noqa: E402

DISPATCHER = reminders.FAULT
FULL_DISK = scenario.FULL_DISK
COLUMNS = (
    ("fault", "fault"),
    ("messages", "messages"),
    ("at once", "answered_at_once"),
    ("late", "answered_late"),
    ("unanswered", "unanswered"),
    ("sent again after error", "sent_again_after_error"),
    ("empty answer", "answered_with_nothing"),
    ("handled twice", "handled_twice"),
    ("not done (db)", "not_done_in_database"),
    ("consents missing", "consents_missing"),
    ("screenings missing", "screenings_missing"),
    ("reminders lost", "reminders_lost"),
    ("reminders twice", "reminders_sent_twice"),
    ("healthy after s", "healthy_after_s"),
    ("worst wait s", "worst_wait_s"),
    ("left behind", "left_behind"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every fault")
    parser.add_argument("--people", type=int, default=2, help="conversations at once")
    parser.add_argument(
        "--fault",
        action="append",
        choices=[
            *sorted(scenario.FAULTS),
            DISPATCHER,
            "restart Redis",
            "restart PostgreSQL",
            FULL_DISK,
        ],
        help="default: all",
    )
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--action-workers", type=int, default=1, help="ACTION_SERVER_SANIC_WORKERS")
    parser.add_argument(
        "--redis", action="store_true", help="with a Redis of its own, restarted as a fault"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="on a PostgreSQL of its own, restarted as a fault"
    )
    parser.add_argument("--log", type=Path, help="the stack's output (default: thrown away)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    rng = random.Random(args.seed)
    every_fault: dict[str, Any] = dict(scenario.FAULTS)
    every_fault[DISPATCHER] = reminders.KillDispatcherWhileSending(rng)
    rounds: list[dict[str, object]] = []
    every_group: set[int] = set()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trialbot-chaos-") as name:
        folder = Path(name)
        env = {"ACTION_SERVER_SANIC_WORKERS": str(args.action_workers)}
        redis = scenario.Redis(folder)
        postgres = scenario.PostgreSQL() if args.postgres else None
        disk = None
        wanted = set(args.fault or [FULL_DISK])
        try:
            if args.redis:
                redis.start()
                env["REDIS_URL"] = redis.url
                every_fault["restart Redis"] = redis.restart
            if postgres is not None:
                postgres.start()
                env["DATABASE_URL"] = postgres.url
                every_fault["restart PostgreSQL"] = postgres.restart
            elif FULL_DISK in wanted and (why := scenario.FullDisk.why_not()) is not None:
                console.print(f"not played: {FULL_DISK} ({why})", highlight=False)
            elif FULL_DISK in wanted:
                disk = scenario.FullDisk(folder / "var")
                disk.mount()
                every_fault[FULL_DISK] = disk
            faults = [f for f in args.fault or list(every_fault) if f in every_fault]
            with local_stack(
                folder / "var", env=scenario.stack_env(**env), log=args.log or folder / "stack.log"
            ) as stack:
                console.print(f"stack up in {time.monotonic() - started:.0f} s", highlight=False)
                number = 0
                for _ in range(args.rounds):
                    for fault in rng.sample(faults, len(faults)):
                        number += 1
                        every_group |= scenario.groups(stack)
                        played = scenario.play(stack, fault, args.people, rng, number, every_fault)
                        result = played.as_dict()
                        every_group |= scenario.groups(stack)
                        rounds.append(result)
                        mark = "[green]ok[/]" if result["ok"] else "[red]missed[/]"
                        console.print(f"round {number}: {fault}: {mark}", highlight=False)
                        console.print(json.dumps(result), highlight=False, soft_wrap=True)
        finally:
            redis.stop()
            if postgres is not None:
                postgres.remove()
            if disk is not None:
                disk.unmount()
        left = scenario.orphans_after_stop(every_group)
    figures = {"rounds": rounds, "left_after_stop": left, "seed": args.seed}
    if args.json:
        sys.stdout.write(json.dumps(figures) + "\n")
    else:
        _table(Console(width=max(Console().width, 180)), rounds, left)  # 16 columns
    return 0 if all(r["ok"] for r in rounds) and not left else 1


def _table(console: Console, rounds: list[dict[str, object]], left: list[str]) -> None:
    table = Table(title="Faults while people talk (one row per round)")
    for title, _ in COLUMNS:
        table.add_column(title, justify="left" if title == "fault" else "right")
    for result in rounds:
        cells = []
        for _, key in COLUMNS:
            value = result.get(key, "")  # the reminders' figures: that fault's rows only
            cells.append(str(len(value)) if isinstance(value, list) else str(value))
        style = None if result["ok"] else "red"
        table.add_row(*cells, style=style)
    console.print(table)
    console.print(
        "Goals: every message answered exactly once (late answers delivered), every consent and "
        "pre-screening answer kept, no reminder lost or sent twice beyond one per kill, healthy "
        f"again within {scenario.HEALTHY_WITHIN:.0f} s, nothing left behind."
    )
    console.print(f"Left running after the stack stopped: {len(left)} process(es) {left or ''}")


if __name__ == "__main__":
    raise SystemExit(main())
