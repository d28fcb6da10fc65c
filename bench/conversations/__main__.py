"""Multi-turn patient conversations, scored turn by turn, against the real stack.

    .venv/bin/python bench/conversations [--only ID] [--part tuning|held-out|all]
        [--category C] [--misses] [--json] [--concurrency 4] [--gateway URL --var-dir DIR]
        [--regression | --fresh]

Starts the whole stack (`trialbot run`) on free ports with a throw-away SQLite database (or
uses a running one: --gateway and its --var-dir), plays every conversation of
`bench/conversations/sets/` through the web chat's `POST /api/chat`, each as a new person, and
checks every turn (the format and its checks: `bench/conversations/script.py`). It prints the
share of turns right, and of whole conversations right, per category and per language, on the
tuning half and the held-out half, and the requests lost: turns that carry a request and
something else (a side effect and a question…) where one of the two was not handled.

The conversations were written apart from what the assistant learns from or matches against
(the NLU examples, the safety rules' words, the knowledge entries' example questions). The
target (issue 17): at least 95 % of turns right on the held-out half in each language, and no
request lost. `--misses` lists each failed turn: what was sent, what was expected, what came.

`--regression` plays `bench/conversations/regression/` instead: the failures issue 17 lists,
word for word. Some of those words are now among what the assistant learns from, so they are
regression data, not an evaluation: they never count in the figures above (tests/e2e plays
them in `make test`).

`--fresh` plays `bench/conversations/fresh/`: conversations written after the tuning by people
who had not seen the assistant's misses, never tuned on, scored whole as the part "fresh" (the
target applies to it); `--misses` is refused with it, so that it stays unseen.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.conversations.check import read_knowledge  # noqa: E402
from bench.conversations.play import Played, Player, Target  # noqa: E402
from bench.conversations.script import (  # noqa: E402
    FRESH,
    FRESH_PART,
    REGRESSION,
    SETS,
    Conversation,
    ScriptError,
    load,
    select,
)
from bot.localstack import local_stack  # noqa: E402

START_TIMEOUT = 2400.0  # seconds
TARGET = 0.95  # turns right on the held-out half, in each language
# The part of the assistant a failed expectation points at first (a guess, for triage).
AREAS = {
    "safety": "safety",
    "emergency_number": "safety",
    "answer": "knowledge",
    "no_answer": "knowledge",
    "offers": "knowledge",
    "asks": "screening",
    "outcome": "screening",
    "consent": "dialogue",
    "handoff": "dialogue",
    "appointment": "dialogue",
    "phone": "dialogue",
    "contains": "dialogue",
    "not_contains": "dialogue",
    "press": "dialogue",
    "lang": "dialogue",
    "page_lang": "web",
}


def play_all(
    target: Target, conversations: list[Conversation], concurrency: int, console: Console
) -> list[Played]:
    """Every conversation, `concurrency` at a time, with a progress bar; in the input's order."""
    player = Player(target)
    results: dict[str, Played] = {}
    try:
        with (
            Progress(console=console, transient=True) as progress,
            ThreadPoolExecutor(max_workers=concurrency) as pool,
        ):
            task = progress.add_task("conversations", total=len(conversations))
            futures = {pool.submit(player.play, c): c for c in conversations}
            for future in as_completed(futures):
                played = future.result()
                results[played.conversation.id] = played
                progress.advance(task)
    finally:
        player.close()
    return [results[c.id] for c in conversations]


def unwritten(conversations: list[Conversation]) -> list[str]:
    """Entries some turn expects that the knowledge folder does not have (yet)."""
    known = read_knowledge(ROOT / "knowledge", "112").entry_ids
    wanted = {
        entry for c in conversations for t in c.turns for entry in _listed(t.expect.get("answer"))
    }
    return sorted(wanted - known)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def figures(played: list[Played]) -> dict[str, Any]:
    """Turns and conversations right per part × category and part × language; requests lost."""
    groups: dict[tuple[str, str, str], list[Played]] = defaultdict(list)
    for item in played:
        c = item.conversation
        for part in (c.part, "all"):
            groups[part, "category", c.category].append(item)
            groups[part, "language", c.lang].append(item)
    rows = [
        {"part": part, "by": by, "group": group, **_rates(items)}
        for (part, by, group), items in sorted(groups.items())
    ]
    lost = [
        _miss(item, turn)
        for item in played
        for turn in item.turns
        if turn.turn.mixed and _unhandled(turn.failures)
    ]
    areas = Counter(
        AREAS.get(failure.split(":", 1)[0], "other")
        for item in played
        for turn in item.turns
        for failure in turn.failures
    )
    areas.update("web" for item in played if item.error)
    return {"rows": rows, "requests_lost": len(lost), "lost": lost, "areas": dict(areas)}


def _unhandled(failures: list[str]) -> bool:
    """A part of the message was not acted on (a wrong language alone loses no request)."""
    return any(f.split(":", 1)[0] not in ("lang", "not_contains") for f in failures)


def _rates(items: list[Played]) -> dict[str, Any]:
    turns = [t for item in items for t in item.turns]
    right = sum(t.passed for t in turns)
    # A conversation that broke off counts its unplayed turns as wrong.
    total = sum(len(item.conversation.turns) for item in items)
    return {
        "turns": total,
        "turns_right": right,
        "turn_rate": round(right / total, 3) if total else None,
        "conversations": len(items),
        "conversations_right": sum(item.passed for item in items),
        "conversation_rate": round(sum(item.passed for item in items) / len(items), 3),
    }


def _miss(item: Played, turn: Any) -> dict[str, Any]:
    c = item.conversation
    return {
        "conversation": c.id,
        "where": f"{c.path.name}:{turn.turn.line}",
        "category": c.category,
        "lang": c.lang,
        "part": c.part,
        "sent": turn.sent,
        "expected": turn.expected,
        "failures": turn.failures,
        "got": turn.reply,
        "late": turn.late,
    }


def misses(played: list[Played]) -> list[dict[str, Any]]:
    found = [_miss(item, t) for item in played for t in item.turns if not t.passed]
    for item in played:
        if item.error:
            c = item.conversation
            found.append(
                {"conversation": c.id, "where": c.where, "category": c.category,
                 "lang": c.lang, "part": c.part, "error": item.error}
            )  # fmt: skip
    return found


def met(result: dict[str, Any], part: str = "held-out") -> bool:
    held_out = [r for r in result["rows"] if (r["part"], r["by"]) == (part, "language")]
    return (
        bool(held_out)
        and all((r["turn_rate"] or 0) >= TARGET for r in held_out)
        and result["requests_lost"] == 0
    )


def _show(result: dict[str, Any], console: Console) -> None:
    table = Table(title="Conversations: turns right, and whole conversations right")
    for column in ("part", "by", "group", "turns right", "conversations right"):
        table.add_column(column, justify="right" if "right" in column else "left")
    for r in result["rows"]:
        turns = f"{r['turns_right']}/{r['turns']} ({(r['turn_rate'] or 0) * 100:.1f} %)"
        whole = f"{r['conversations_right']}/{r['conversations']}"
        table.add_row(r["part"], r["by"], r["group"], turns, whole)
    console.print(table)
    console.print(f"requests lost: {result['requests_lost']}")
    areas = ", ".join(f"{area} {count}" for area, count in sorted(result["areas"].items()))
    console.print(f"failed checks by the area they point at first: {areas or 'none'}")
    verdict = "met" if met(result) else "NOT met"
    console.print(f"target (≥ 95 % of held-out turns in each language, 0 lost): {verdict}")


def _show_misses(found: list[dict[str, Any]], console: Console) -> None:
    for miss in found:
        head = f"[bold]{miss['conversation']}[/] ({miss['where']}, {miss['part']})"
        if "error" in miss:
            console.print(f"{head}\n  error: {miss['error']}", markup=True, highlight=False)
            continue
        console.print(head, markup=True, highlight=False)
        console.print(f"  sent: {miss['sent']}", markup=False, highlight=False)
        for failure in miss["failures"]:
            console.print(f"  ✗ {failure}", markup=False, highlight=False)
        late = " (after an apology: Rasa was slow)" if miss["late"] else ""
        console.print(f"  got{late}: {miss['got']}", markup=False, highlight=False)


@contextmanager
def _target(args: argparse.Namespace, console: Console) -> Iterator[Target]:
    if args.gateway:
        if not args.var_dir:
            raise SystemExit("--gateway needs --var-dir: the running stack's TRIALBOT_VAR_DIR")
        yield Target(args.gateway, Path(args.var_dir))
        return
    with tempfile.TemporaryDirectory(prefix="trialbot-conversations-") as var_dir:
        console.print("starting the stack (Rasa takes about a minute to load)…")
        # Generous: on a busy machine, training and loading the model alone can take 15 min.
        with local_stack(Path(var_dir), timeout=START_TIMEOUT) as stack:
            yield Target(stack.gateway_url, stack.var_dir)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", help="one conversation, by id")
    parser.add_argument("--part", choices=("tuning", "held-out", FRESH_PART, "all"), default="all")
    parser.add_argument("--category", help="one category (a file of sets/)")
    parser.add_argument("--misses", action="store_true", help="list each failed turn")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--concurrency", type=int, default=4, help="conversations at once")
    parser.add_argument("--gateway", help="a running gateway's URL (else the stack is started)")
    parser.add_argument("--var-dir", help="with --gateway: its TRIALBOT_VAR_DIR")
    parser.add_argument("--regression", action="store_true", help="the issue's own failures")
    parser.add_argument(
        "--fresh", action="store_true", help="the fresh set, never tuned on (misses never listed)"
    )
    args = parser.parse_args()
    console = Console(stderr=args.json)
    if args.fresh and args.misses:
        console.print("--misses is refused with --fresh: listing its misses would tune on it")
        return 2
    try:
        every = load(REGRESSION if args.regression else FRESH if args.fresh else SETS)
        conversations = select(every, only=args.only, part=args.part, category=args.category)
    except ScriptError as error:
        console.print(f"the conversations cannot be played:\n{error}", markup=False)
        return 2
    if not conversations:
        console.print("no conversation matches")
        return 2
    if missing := unwritten(conversations):
        console.print(f"answers expected from entries not in knowledge/ yet: {', '.join(missing)}")
    started = time.monotonic()
    with _target(args, console) as target:
        played = play_all(target, conversations, args.concurrency, console)
    result = figures(played)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["target_met"] = met(result, FRESH_PART if args.fresh else "held-out")
    if args.fresh:
        del result["lost"]  # what was sent and what came: the fresh set's misses stay unread
    found = misses(played)
    if args.json:
        print(json.dumps({**result, **({"misses": found} if args.misses else {})}, indent=2))
    else:
        _show(result, console)
        if args.misses:
            _show_misses(found, console)
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
