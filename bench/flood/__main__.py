"""A flood of emergencies on the web chat while a real conversation goes on (issue 18).

    .venv/bin/python bench/flood [--messages 1000] [--senders 200] [--seconds 60] [--json]

Starts the whole stack with the abuse limits on and staff alerts going to a local Telegram Bot
API and SMTP server, floods /api/chat from several loopback addresses while a person chats from
127.0.0.1 and a linked participant reports an emergency on Telegram, waits for the alert
window's count to reach staff, and prints what was answered, what was limited, how many alerts
staff got, and the real conversation's p50/p95. See bench/flood/scenario.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a folder, like the others

from bench.flood import scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=scenario.MESSAGES)
    parser.add_argument("--senders", type=int, default=scenario.SENDERS)
    parser.add_argument("--seconds", type=float, default=scenario.SECONDS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    console = Console(stderr=args.json)
    with tempfile.TemporaryDirectory(prefix="trialbot-flood-") as folder:
        console.print("starting the stack (Rasa takes about a minute to load)…")
        with scenario.flood_stack(Path(folder)) as stack:
            stack.link_participant()
            console.print(f"flooding: {args.messages} messages in {args.seconds:.0f} s…")
            outcome = asyncio.run(scenario.run(stack, args.messages, args.senders, args.seconds))
            events = [e for e in stack.cli("safety", "list", "--json") if e["channel"] == "web"]
            deadline = time.monotonic() + 2 * scenario.WINDOW_SECONDS + 30
            while scenario.told_of(stack) < len(events) and time.monotonic() < deadline:
                time.sleep(1)
            figures = outcome.figures(stack)
            windows = scenario.windows_since(outcome.started_at)
            figures |= {
                "web_events_queued": len(events),
                "web_events_told_to_staff": scenario.told_of(stack),
                "alert_windows": windows,
                "alert_bound_per_place": windows * (stack.settings.rate_limit_unlinked_alerts + 1)
                + 1,
            }
    table = Table(title="Flood of emergencies on the web chat")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, str(value))
    console.print(table)
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
