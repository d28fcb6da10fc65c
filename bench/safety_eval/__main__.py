"""Recall and false alarms of the safety check on labelled patient messages, per language.

    .venv/bin/python bench/safety_eval [--misses] [--json]

`bench/safety_eval/messages.yml` holds messages written apart from the rules: emergencies of
seven kinds, side-effect reports, and messages that must not alert (negations, everyday health
talk, trial questions, harmless idioms). For each language it prints the recall of emergencies
and of side effects, and the false-alarm rates: the share of messages that are not emergencies
flagged as one, and of messages that need nothing flagged at all. The messages alternate
between a tuning half (even places within each label) and a held-out half, shown apart; the
rules were only ever adjusted on the tuning half. `--misses` lists what went wrong there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.safety_eval.scoring import TARGETS, Scores, evaluate, load  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    messages = load()
    results = {
        (language, part): evaluate(items, part)
        for language, items in messages.items()
        for part in ("all", "tuning", "held-out")
    }
    if args.json:
        rows = [
            {"language": language, "part": part, **scores.figures()}
            for (language, part), scores in results.items()
        ]
        print(json.dumps(rows, indent=2))
    else:
        _show(results)
    if args.misses:
        for (language, part), scores in results.items():
            if part == "tuning":  # the held-out half stays unseen
                for line in scores.misses:
                    print(f"{language}: {line}")
    met = all(scores.meets() for (_, part), scores in results.items() if part == "all")
    return 0 if met else 1


def _show(results: dict[tuple[str, str], Scores]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Safety check on labelled messages")
    for column in ("language", "part", "messages", "emergency recall", "false emergencies",
                   "side-effect recall", "false alarms (none)"):  # fmt: skip
        table.add_column(column, justify="right")
    for (language, part), s in results.items():
        f = s.figures()
        table.add_row(
            language, part, str(f["messages"]),
            f"{f['emergency_recall']:.3f}", f"{f['false_emergency_rate']:.3f}",
            f"{f['adverse_event_recall']:.3f}", f"{f['false_alarm_rate']:.3f}",
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(
        f"targets: emergency recall ≥ {TARGETS['emergency_recall']}, false emergencies ≤ "
        f"{TARGETS['false_emergency_rate']}, side-effect recall ≥ {TARGETS['adverse_event_recall']}"
    )


if __name__ == "__main__":
    sys.exit(main())
