"""Recall and false alarms of the safety check on labelled patient messages, per language.

    .venv/bin/python bench/safety_eval [--rules-only] [--misses] [--json]

`bench/safety_eval/messages.yml` holds messages written apart from the rules: emergencies of
seven kinds, side-effect reports, and messages that must not alert (negations, everyday health
talk, trial questions, harmless idioms). For each language it prints the recall of emergencies
and of side effects, and the false-alarm rates: the share of messages that are not emergencies
flagged as one, and of messages that need nothing flagged at all. The messages alternate
between a tuning half (even places within each label) and a held-out half, shown apart. The
held-out half stayed unseen until its first figures were taken (issue 8's closing note); it has
been used for tuning since, so both halves are now regression data. `--misses` lists what
went wrong on them.

The gateway's check is the rules, then the NLU's reading for what they missed: the benchmark
starts Rasa with the trained model (training it first if the files changed) and scores both
the rules alone and the two together. `--rules-only` skips Rasa.

`bench/safety_eval/fresh.yml` is a second, smaller set written after the tuning and never
used for it: its "fresh" rows estimate the figures on wording neither half has shown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.safety_eval.scoring import FRESH, TARGETS, Scores, evaluate, load  # noqa: E402
from bot.safety.detect import Intent  # noqa: E402
from bot.settings import get_settings  # noqa: E402

PARTS = ("all", "tuning", "held-out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-only", action="store_true", help="do not start Rasa")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    messages, fresh = load(), load(FRESH)
    checks: dict[str, dict[str, Intent] | None] = {"rules": None}
    if not args.rules_only:
        from bench.safety_eval.nlu import rasa_api, readings

        with rasa_api(get_settings()) as (url, token):
            every = [*messages.values(), *fresh.values()]
            texts = [item["text"] for items in every for item in items]
            started = time.perf_counter()
            checks["rules + NLU"] = readings(url, token, texts)
            each = (time.perf_counter() - started) / len(set(texts))
        print(f"the NLU's reading, over HTTP: {each * 1000:.1f} ms per message (mean)")
    results: dict[tuple[str, str, str], Scores] = {}
    for check, nlu in checks.items():
        for language, items in messages.items():
            for part in PARTS:
                results[check, language, part] = evaluate(items, part, nlu)
            results[check, language, "fresh"] = evaluate(fresh[language], "all", nlu)
    if args.json:
        rows = [
            {"check": check, "language": language, "part": part, **scores.figures()}
            for (check, language, part), scores in results.items()
        ]
        print(json.dumps(rows, indent=2))
    else:
        _show(results)
    gateway = list(checks)[-1]  # what the gateway runs
    if args.misses:
        for (check, language, part), scores in results.items():
            if check == gateway and part == "all":  # never fresh.yml: it stays unseen
                for line in scores.misses:
                    print(f"{language}: {line}")
    met = all(
        s.meets() for (check, _, part), s in results.items() if (check, part) == (gateway, "all")
    )
    return 0 if met else 1


def _show(results: dict[tuple[str, str, str], Scores]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Safety check on labelled messages")
    for column in ("check", "language", "part", "messages", "emergency recall",
                   "false emergencies", "side-effect recall", "false alarms (none)"):  # fmt: skip
        table.add_column(column, justify="right")
    for (check, language, part), s in results.items():
        f = s.figures()
        table.add_row(
            check, language, part, str(f["messages"]),
            f"{f['emergency_recall']:.3f}", f"{f['false_emergency_rate']:.3f}",
            f"{f['adverse_event_recall']:.3f}", f"{f['false_alarm_rate']:.3f}",
        )  # fmt: skip
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    console.print(
        f"targets: emergency recall ≥ {TARGETS['emergency_recall']}, false emergencies ≤ "
        f"{TARGETS['false_emergency_rate']}, side-effect recall ≥ {TARGETS['adverse_event_recall']}"
    )


if __name__ == "__main__":
    sys.exit(main())
