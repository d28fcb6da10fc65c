"""Message-to-reply latency through the gateway's /api/chat and straight to Rasa's REST webhook.

    .venv/bin/python bench/latency [--messages 80] [--before REV] [--length 200] [--json]

Starts the whole stack (`trialbot run`) on free ports with a throw-away database and, with
`--before REV`, the stack of another revision of this repository beside it (a git worktree with the
same environments and model), so that before and after are measured in one run. Three kinds of
message: a rule reply ("hello"), a custom action's reply (a request for French) and a vetted answer
from the knowledge base (a question about payment). Each is measured with one sender and with 8
concurrent senders, through the gateway, straight to Rasa, and through a bare forwarder in front of
Rasa (the floor: what one more HTTP hop costs without any work), the targets taking turns in rounds
so that the machine's drift hits them alike; a sender starts a new conversation every 10 messages.
Then conversation length: `--length` messages in one conversation, the time of the 2nd, 50th and
200th (the median of the five around each, over two conversations). Then where the time goes, per
kind, from the `Server-Timing` header the gateway sends (SERVER_TIMING is on in the stacks started
here): the gateway's own work, its database, the safety check, and inside Rasa the tracker store,
the NLU, the policies and the actions, the action server's database and the knowledge base's
retrieval. Last, how long each stack took to be healthy, and its memory.

The issue-20 targets are checked on this checkout's stack: a rule reply at p50 within 1.10× of
Rasa's own, a vetted answer at p50 ≤ 80 ms and p95 ≤ 130 ms (1 sender), ≥ 20 vetted answers a
second at 8 senders, the 200th message within 1.2× of the 2nd, healthy within 60 s. The exit
code is 0 when all are met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.latency import stacks  # noqa: E402
from bot import timing  # noqa: E402

KINDS = {
    "rule": "hello",
    "custom action": "can we speak french please",
    "vetted answer": "is there any payment for taking part",
}
# What each kind's first reply must hold, so that a fast wrong answer is never measured.
EXPECTED = {"rule": "", "custom action": "", "vetted answer": "Source"}
PER_CONVERSATION = 10
ROUNDS = 4  # the targets take turns, so that drift in the machine's load hits all alike
LENGTH_POINTS = (2, 50, 200)
# A bare forwarder in front of Rasa (bench/latency/forwarder.py): what one more HTTP hop costs.
FLOOR = "forwarder"
TARGETS = {
    "rule_p50_ratio": 1.10,
    "vetted_p50_ms": 80.0,
    "vetted_p95_ms": 130.0,
    "vetted_per_second_8": 20.0,
    "length_ratio": 1.2,
    "healthy_s": 60.0,
}


class Sample:
    """One message's time at the client, and the stages the gateway reported."""

    def __init__(self, seconds: float, stages: dict[str, float]) -> None:
        self.seconds = seconds
        self.stages = stages


async def _one(client: httpx.AsyncClient, target: str, sender: str, kind: str) -> Sample:
    text = KINDS[kind]
    if target.startswith("gateway"):
        request = client.post("/api/chat", json={"sender": sender, "text": text})
    else:
        request = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    started = time.perf_counter()
    response = await request
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    body = response.json()
    replies = body["messages"] if isinstance(body, dict) else body
    said = " ".join(str(r.get("text") or "") for r in replies)
    if not replies or EXPECTED[kind] not in said:
        raise RuntimeError(f"{target} answered {text!r} with {said[:200]!r}")
    return Sample(elapsed, timing.parse(response.headers.get(timing.HEADER, "")))


async def _sender(
    client: httpx.AsyncClient, target: str, kind: str, count: int, per_conversation: int
) -> list[Sample]:
    samples: list[Sample] = []
    sender = ""
    for index in range(count):
        if index % per_conversation == 0:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
        samples.append(await _one(client, target, sender, kind))
    return samples


async def _round(
    url: str, target: str, kind: str, messages: int, senders: int
) -> tuple[list[Sample], float]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        # Warm-up (connections, caches); through the gateway it also gets the web chat's token,
        # a cookie the client sends from then on: every sender's conversation is bound to it.
        await _sender(client, target, kind, 2, PER_CONVERSATION)
        started = time.perf_counter()
        per_sender = await asyncio.gather(
            *(
                _sender(client, target, kind, messages // senders, PER_CONVERSATION)
                for _ in range(senders)
            )
        )
        return [s for group in per_sender for s in group], time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


async def measure(
    urls: dict[str, str], kind: str, messages: int, senders: int
) -> tuple[list[dict[str, Any]], dict[str, list[Sample]]]:
    """Figures per target, measured in alternating rounds; and the samples."""
    samples: dict[str, list[Sample]] = {target: [] for target in urls}
    walls = dict.fromkeys(urls, 0.0)
    for _ in range(ROUNDS):
        for target, url in urls.items():
            batch, wall = await _round(url, target, kind, messages // ROUNDS, senders)
            samples[target] += batch
            walls[target] += wall
    rows = []
    for target in urls:
        seconds = [s.seconds for s in samples[target]]
        rows.append(
            {
                "kind": kind,
                "senders": senders,
                "target": target,
                "messages": len(seconds),
                "p50_ms": round(statistics.median(seconds) * 1000, 1),
                "p95_ms": round(_percentile(seconds, 0.95) * 1000, 1),
                "per_second": round(len(seconds) / walls[target], 1),
            }
        )
    return rows, samples


async def conversation_length(urls: dict[str, str], length: int) -> list[dict[str, Any]]:
    """The time of the 2nd, 50th and 200th message of long conversations, per target."""
    points = [p for p in LENGTH_POINTS if p <= length]
    times: dict[str, list[list[float]]] = {target: [] for target in urls}
    for _ in range(2):
        for target, url in urls.items():
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                samples = await _sender(client, target, "rule", length, length)
                times[target].append([s.seconds for s in samples])
    rows = []
    for target, runs in times.items():
        row: dict[str, Any] = {"target": target, "messages": length}
        for point in points:
            around = range(max(0, point - 3), min(point + 2, length))  # the 5 around it
            window = [run[i] for run in runs for i in around]
            row[f"message_{point}_ms"] = round(statistics.median(window) * 1000, 1)
        last, second = row[f"message_{points[-1]}_ms"], row["message_2_ms"]
        row["ratio"] = round(last / second, 2)
        rows.append(row)
    return rows


# The table of where the time goes: (label, how to get it from one message's stages).
def _breakdown_rows(samples: list[Sample]) -> list[tuple[str, float]]:
    def median(fn: Any) -> float:
        return float(statistics.median(fn(s) for s in samples))

    def get(name: str) -> Any:
        return lambda s: s.stages.get(name, 0.0)

    inside_rasa = ("rasa.tracker", "rasa.nlu", "rasa.policies", "rasa.actions")
    return [
        ("client ↔ gateway (HTTP)", median(lambda s: s.seconds * 1000 - s.stages.get("total", 0))),
        ("gateway: own work", median(lambda s: s.stages.get("total", 0) - sum(
            s.stages.get(n, 0.0) for n in ("db", "safety", "rasa")))),
        ("gateway: database", median(get("db"))),
        ("gateway: safety check (rules + NLU)", median(get("safety"))),
        ("gateway → Rasa (HTTP, lock store)", median(lambda s: s.stages.get("rasa", 0) - sum(
            s.stages.get(n, 0.0) for n in inside_rasa))),
        ("Rasa: tracker store", median(get("rasa.tracker"))),
        ("Rasa: NLU", median(get("rasa.nlu"))),
        ("Rasa: policies", median(get("rasa.policies"))),
        ("Rasa: actions (calls)", median(get("rasa.actions"))),
        ("action server: database", median(get("rasa.action.db"))),
        ("action server: retrieval", median(get("rasa.action.retrieval"))),
        ("whole message, at the client", median(lambda s: s.seconds * 1000)),
    ]  # fmt: skip


async def run_all(
    urls: dict[str, str], messages: int, length: int, console: Console
) -> dict[str, Any]:
    results: dict[str, Any] = {"figures": [], "length": [], "breakdown": {}}
    for kind in KINDS:
        for senders in (1, 8):
            console.print(f"[dim]{kind}, {senders} sender(s)…[/dim]")
            rows, samples = await measure(urls, kind, messages, senders)
            results["figures"] += rows
            if senders == 1:
                for target, found in samples.items():
                    if target.startswith("gateway") and any(s.stages for s in found):
                        breakdown = _breakdown_rows(found)
                        results["breakdown"].setdefault(target, {})[kind] = {
                            label: round(ms, 1) for label, ms in breakdown
                        }
    if length:
        console.print(f"[dim]conversations of {length} messages…[/dim]")
        along = {target: url for target, url in urls.items() if target != FLOOR}
        results["length"] = await conversation_length(along, length)
    return results


def _targets(results: dict[str, Any], stack: stacks.Stack) -> dict[str, Any]:
    """The issue's targets on this checkout's stack: each figure, its goal and whether met."""

    def figure(kind: str, senders: int, target: str) -> dict[str, Any]:
        return next(
            r for r in results["figures"]
            if (r["kind"], r["senders"], r["target"]) == (kind, senders, target)
        )  # fmt: skip

    rule_ratio = figure("rule", 1, "gateway")["p50_ms"] / figure("rule", 1, "rasa")["p50_ms"]
    vetted = figure("vetted answer", 1, "gateway")
    length = next((r for r in results["length"] if r["target"] == "gateway"), None)
    found = {
        "rule_p50_ratio": round(rule_ratio, 2),
        "vetted_p50_ms": vetted["p50_ms"],
        "vetted_p95_ms": vetted["p95_ms"],
        "vetted_per_second_8": figure("vetted answer", 8, "gateway")["per_second"],
        "length_ratio": length["ratio"] if length else None,
        "healthy_s": round(stack.healthy_after_s, 1),
    }
    higher_is_better = {"vetted_per_second_8"}
    return {
        name: {
            "figure": value,
            "goal": TARGETS[name],
            "met": value is not None
            and (value >= TARGETS[name] if name in higher_is_better else value <= TARGETS[name]),
        }
        for name, value in found.items()
    }


def _floor(results: dict[str, Any]) -> float:
    """The bare forwarder's rule p50 over Rasa's own: no gateway can do better on this machine."""
    p50: dict[str, float] = {r["target"]: r["p50_ms"] for r in results["figures"]
           if (r["kind"], r["senders"]) == ("rule", 1)}  # fmt: skip
    return round(p50[FLOOR] / p50["rasa"], 2)


def _report(results: dict[str, Any], console: Console) -> None:
    table = Table(title="Message → reply latency")
    columns = ("kind", "senders", "target", "messages", "p50 ms", "p95 ms", "msg/s", "p50 ratio")
    for column in columns:
        table.add_column(column, justify="left" if column in ("kind", "target") else "right")
    for row in results["figures"]:
        ratio = ""
        if row["target"].startswith(("gateway", FLOOR)):
            straight = row["target"].replace("gateway", "rasa", 1).replace(FLOOR, "rasa")
            same = (row["kind"], row["senders"], straight)
            rasa = next(
                r for r in results["figures"] if (r["kind"], r["senders"], r["target"]) == same
            )
            row["p50_ratio_to_rasa"] = round(row["p50_ms"] / rasa["p50_ms"], 3)
            ratio = f"{row['p50_ratio_to_rasa']:.2f}×"
        table.add_row(
            row["kind"], str(row["senders"]), row["target"], str(row["messages"]),
            str(row["p50_ms"]), str(row["p95_ms"]), str(row["per_second"]), ratio,
        )  # fmt: skip
    console.print(table)
    if results["length"]:
        table = Table(title="Conversation length (rule replies, 1 sender)")
        points = [k for k in results["length"][0] if k.startswith("message_")]
        for column in ("target", *points, "last / 2nd"):
            table.add_column(column.replace("_ms", " ms").replace("_", " "), justify="right")
        for row in results["length"]:
            table.add_row(row["target"], *(str(row[p]) for p in points), f"{row['ratio']:.2f}×")
        console.print(table)
    for target, kinds in results["breakdown"].items():
        table = Table(title=f"Where the time goes, {target}: median ms per message, 1 sender")
        table.add_column("stage")
        for kind in kinds:
            table.add_column(kind, justify="right")
        labels = list(next(iter(kinds.values())))
        for label in labels:
            table.add_row(label, *(f"{kinds[k][label]:.1f}" for k in kinds))
        console.print(table)
    table = Table(title="Stacks")
    for column in ("stack", "healthy after s", "memory MB (PSS)"):
        table.add_column(column, justify="right")
    for row in results["stacks"]:
        table.add_row(row["stack"], str(row["healthy_after_s"]), str(row["memory_mb"]))
    console.print(table)
    if "targets" in results:
        table = Table(title="Targets (this checkout)")
        for column in ("target", "figure", "goal", "met"):
            table.add_column(column, justify="right")
        for name, row in results["targets"].items():
            table.add_row(name, str(row["figure"]), str(row["goal"]), "yes" if row["met"] else "NO")
        console.print(table)
        console.print(
            f"The floor: a bare forwarder in front of Rasa answers a rule at "
            f"{results['floor_rule_p50_ratio']:.2f}× Rasa's own p50 (one more HTTP hop, no work)."
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=80, help="messages per figure")
    parser.add_argument("--before", metavar="REV", help="also measure this revision's stack")
    parser.add_argument(
        "--length", type=int, default=200, help="messages in the long conversations (0: none)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    console = Console(stderr=args.json)
    with ExitStack() as running:
        console.print("starting the stack(s) (Rasa takes about a minute to load)…")
        here = running.enter_context(stacks.this_checkout())
        started = [here]
        if args.before:
            started.append(running.enter_context(stacks.revision(args.before)))
        urls: dict[str, str] = {}
        for stack in started:
            suffix = f"@{stack.name}" if stack.name else ""
            urls[f"rasa{suffix}"] = stack.rasa
            if not stack.name:
                urls[FLOOR] = running.enter_context(stacks.forwarder(stack.rasa))
            urls[f"gateway{suffix}"] = stack.gateway
        results = asyncio.run(run_all(urls, args.messages, args.length, console))
        results["stacks"] = [
            {"stack": s.name or "this checkout", "healthy_after_s": round(s.healthy_after_s, 1),
             "memory_mb": round(stacks.memory_mb(s.pid))}
            for s in started
        ]  # fmt: skip
        results["targets"] = _targets(results, here)
        results["floor_rule_p50_ratio"] = _floor(results)
    _report(results, console)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(t["met"] for t in results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
