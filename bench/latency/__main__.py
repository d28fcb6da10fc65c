"""Message-to-reply latency through the gateway's /api/chat and straight to Rasa's REST webhook.

    .venv/bin/python bench/latency [--messages 200] [--json]

Starts the whole stack (`trialbot run`) on free ports with a throw-away database, unless
--gateway and --rasa point at running ones. Two kinds of message: a rule reply ("hello") and a
custom-action reply (a request for French, answered by action_change_language). Each is measured
with one sender and with 8 concurrent senders; a sender starts a new conversation every 10
messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bot.localstack import local_stack

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"rule": "hello", "custom action": "can we speak french please"}
PER_CONVERSATION = 10


async def _one(client: httpx.AsyncClient, target: str, sender: str, text: str) -> float:
    if target == "gateway":
        request = client.post("/api/chat", json={"sender": sender, "text": text})
    else:
        request = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    started = time.perf_counter()
    response = await request
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    if not response.json():
        raise RuntimeError(f"{target} gave no reply to {text!r}")
    return elapsed


async def _sender(client: httpx.AsyncClient, target: str, text: str, count: int) -> list[float]:
    timings: list[float] = []
    for index in range(count):
        if index % PER_CONVERSATION == 0:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
        timings.append(await _one(client, target, sender, text))
    return timings


ROUNDS = 4  # the two targets take turns, so that drift in the machine's load hits both alike


async def _round(
    url: str, target: str, text: str, messages: int, senders: int
) -> tuple[list[float], float]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        # Warm-up (connections, caches); through the gateway it also gets the web chat's token,
        # a cookie the client sends from then on: every sender's conversation is bound to it.
        await _sender(client, target, text, 2)
        started = time.perf_counter()
        per_sender = await asyncio.gather(
            *(_sender(client, target, text, messages // senders) for _ in range(senders))
        )
        return [t for group in per_sender for t in group], time.perf_counter() - started


def _figures(target: str, senders: int, timings: list[float], wall: float) -> dict[str, Any]:
    timings = sorted(timings)
    return {
        "target": target,
        "senders": senders,
        "messages": len(timings),
        "p50_ms": round(statistics.median(timings) * 1000, 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))] * 1000, 1),
        "per_second": round(len(timings) / wall, 1),
    }


async def measure(
    urls: dict[str, str], text: str, messages: int, senders: int
) -> list[dict[str, Any]]:
    """Figures per target, measured in alternating rounds."""
    timings: dict[str, list[float]] = {target: [] for target in urls}
    walls = dict.fromkeys(urls, 0.0)
    for _ in range(ROUNDS):
        for target, url in urls.items():
            batch, wall = await _round(url, target, text, messages // ROUNDS, senders)
            timings[target] += batch
            walls[target] += wall
    return [_figures(target, senders, timings[target], walls[target]) for target in urls]


@contextmanager
def running_stack(console: Console) -> Iterator[tuple[str, str]]:
    """The stack on free ports with a temporary database; yields (gateway, rasa) URLs."""
    with tempfile.TemporaryDirectory(prefix="trialbot-bench-") as var_dir:
        console.print("starting the stack (Rasa takes about a minute to load)…")
        with local_stack(Path(var_dir)) as stack:
            yield stack.gateway_url, stack.rasa_url


async def run_all(gateway: str, rasa: str, messages: int) -> list[dict[str, Any]]:
    results = []
    for kind, text in KINDS.items():
        for senders in (1, 8):
            for figures in await measure(
                {"rasa": rasa, "gateway": gateway}, text, messages, senders
            ):
                results.append({"kind": kind, **figures})
    return results


def _report(results: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="Message → reply latency")
    for column in (
        "kind",
        "senders",
        "target",
        "messages",
        "p50 ms",
        "p95 ms",
        "msg/s",
        "p50 ratio",
    ):
        table.add_column(column, justify="right" if column not in ("kind", "target") else "left")
    for row in results:
        ratio = ""
        if row["target"] == "gateway":
            same = (row["kind"], row["senders"], "rasa")
            rasa = next(r for r in results if (r["kind"], r["senders"], r["target"]) == same)
            row["p50_ratio_to_rasa"] = round(row["p50_ms"] / rasa["p50_ms"], 3)
            ratio = f"{row['p50_ratio_to_rasa']:.2f}×"
        table.add_row(
            row["kind"], str(row["senders"]), row["target"], str(row["messages"]),
            str(row["p50_ms"]), str(row["p95_ms"]), str(row["per_second"]), ratio,
        )  # fmt: skip
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per measurement")
    parser.add_argument("--gateway", help="a running gateway's URL (else the stack is started)")
    parser.add_argument("--rasa", help="the running Rasa server's URL (with --gateway)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    console = Console(stderr=args.json)
    if args.gateway:
        results = asyncio.run(
            run_all(args.gateway, args.rasa or "http://127.0.0.1:5005", args.messages)
        )
    else:
        with running_stack(console) as (gateway, rasa):
            results = asyncio.run(run_all(gateway, rasa, args.messages))
    _report(results, console)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
