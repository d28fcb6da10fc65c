"""Recall and false alarms of the safety check on labelled patient messages, per language.

    .venv/bin/python bench/safety_eval [--rules-only] [--misses] [--sealed] [--json]

`bench/safety_eval/messages.yml` holds messages written apart from the rules: emergencies of
seven kinds, side-effect reports, and messages that must not alert (negations, everyday health
talk, trial questions, harmless idioms). For each language it prints the recall of emergencies
and of side effects, and the false-alarm rates: the share of messages that are not emergencies
flagged as one, and of messages that need nothing flagged at all. The messages alternate
between a tuning half (even places within each label) and a held-out half, shown apart.

Both old sets are regression data now. The held-out half of `messages.yml` stayed unseen until
its first figures were taken (issue 8's closing note) and has been tuned on since;
`bench/safety_eval/fresh.yml`, written after that tuning, gave the first figures on wording
never seen (issue 17) and has been tuned on since too. `--misses` lists what went wrong on both.

`bench/safety_eval/unseen.yml`, when present, is a third set in fresh.yml's format, written
after the second round of tuning and used for nothing else: its "unseen" rows estimate the
figures on wording never seen. Its misses are never listed, so that it stays unseen; when it
has been used up, write another. `bench/safety_eval/final.yml` is a fourth such set, written
during the third round of tuning by writers who saw neither the rules, the NLU data nor a
figure; its misses are never listed either. `bench/safety_eval/sealed.yml` (179 messages per
language) was written after both had been scored, by a writer who saw none of the above; it is
sealed: scored only with `--sealed`, when a round of work on the check is done, its misses never
listed.

The gateway's check is the rules, then the NLU's reading for what they missed: the benchmark
starts Rasa with the trained model (training it first if the files changed) and scores both
the rules alone and the two together. `--rules-only` skips Rasa. The exit code is 0 when the
gateway's check meets the targets on every set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.safety_eval import scoring  # noqa: E402
from bench.safety_eval.scoring import TARGETS, Scores, evaluate, load  # noqa: E402
from bot.safety.detect import Intent  # noqa: E402
from bot.settings import get_settings  # noqa: E402

PARTS = ("all", "tuning", "held-out")
# Sets in fresh.yml's format, scored whole, in the order they were written.
WHOLE_SETS = {"fresh": scoring.FRESH, "unseen": scoring.UNSEEN, "final": scoring.FINAL}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-only", action="store_true", help="do not start Rasa")
    parser.add_argument("--misses", action="store_true", help="what went wrong on the old sets")
    parser.add_argument("--sealed", action="store_true", help="score the sealed set too")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    messages = load()
    sets = {**WHOLE_SETS, **({"sealed": scoring.SEALED} if args.sealed else {})}
    whole = {name: load(path) for name, path in sets.items() if path.exists()}
    checks: dict[str, dict[str, Intent] | None] = {"rules": None}
    if not args.rules_only:
        checks["rules + NLU"] = _nlu_readings([messages, *whole.values()])
    results: dict[tuple[str, str, str], Scores] = {}
    for check, nlu in checks.items():
        for language, items in messages.items():
            for part in PARTS:
                results[check, language, part] = evaluate(items, part, nlu)
            for name, labelled in whole.items():
                results[check, language, name] = evaluate(labelled.get(language, []), "all", nlu)
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
            if check == gateway and part in ("all", "fresh"):  # never unseen.yml
                for line in scores.misses:
                    print(f"{language} {part}: {line}")
    scored = ("all", *whole)
    met = all(
        s.meets() for (check, _, part), s in results.items() if check == gateway and part in scored
    )
    return 0 if met else 1


def _nlu_readings(sets: list[dict[str, list[dict[str, Any]]]]) -> dict[str, Intent]:
    from bench.safety_eval.nlu import rasa_api, readings

    with rasa_api(get_settings()) as (url, token):
        texts = [item["text"] for labelled in sets for items in labelled.values() for item in items]
        started = time.perf_counter()
        found = readings(url, token, texts)
        each = (time.perf_counter() - started) / len(set(texts))
    # On stderr, so that --json prints JSON alone.
    print(f"the NLU's reading, over HTTP: {each * 1000:.1f} ms per message (mean)", file=sys.stderr)
    return found


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
        f"{TARGETS['false_emergency_rate']}, side-effect recall ≥ "
        f"{TARGETS['adverse_event_recall']}, false alarms ≤ {TARGETS['false_alarm_rate']}"
    )


if __name__ == "__main__":
    sys.exit(main())
