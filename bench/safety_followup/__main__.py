"""What the side-effect follow-up extracts from written reports, per language.

    .venv/bin/python bench/safety_followup [--misses] [--sealed] [--json]

`bench/safety_followup/reports.yml` holds reports written apart from the extractor (see its
header), each with the answers the person typed to the questions the report left open, and what
a careful reader takes from them. Each report is played as the follow-up plays it: the facts the
report gives, then, question by question, the typed answer (a question with no answer given is
skipped). It prints, for each language and each half (even places: tuning; odd places:
held out), the share of reports whose onset, course (ongoing or over) and seriousness (serious
or not, and the criteria) come out right, each and all three together. The target is ≥ 0.90 for
each of the three on every set. Exit code 0 when the targets are met.

The held-out half of reports.yml gave the first figures on unseen wording, then was tuned on
too: both halves are regression data now. `bench/safety_followup/fresh.yml`, in the same format,
was written after that by a writer who saw neither the extractor nor reports.yml; it gave the
second figures on unseen wording (0.86 / 0.82 / 0.91 in English, 0.86 / 0.82 / 0.89 in French),
then was tuned on as well. `tuning2.yml` (83 + 86 reports, by another writer who saw neither
the extractor nor the other sets) was written for tuning, weighted towards the course of a side
effect told without "still" or "gone", and towards care that is not what it seems (advised by
phone, almost taken, a study visit at the hospital). `--misses` lists what goes wrong on any of
them.

`bench/safety_followup/sealed.yml` was written after the tuning on fresh.yml, by a writer who saw
neither the extractor nor the earlier sets. It is scored whole, and only with `--sealed`; its
misses are never listed, so that it stays unseen. It was scored twice: after the tuning on
fresh.yml, then after the tuning on tuning2.yml, then after the tuning on tuning3.yml (never
tuned on).

`tuning3.yml` (120 + 120 reports, by another writer who saw neither the extractor nor the other
sets) was written for tuning, half of it telling the course of a side effect without the usual
words ("coffee smells like coffee again", "une toux qui me lâche pas"). Its first reading gave
0.89 / 0.58 / 0.88 in English and 0.86 / 0.60 / 0.89 in French; then it was tuned on.
`sealed3.yml` (64 + 64, by a writer who saw neither the extractor nor the other sets, written
before the tuning on tuning3.yml and not read since) is scored whole with `--sealed`, like
sealed.yml. Two of its reports were left out unread because they repeated reports of
tuning3.yml (tests/test_eval_overlap.py).

`sealed3.yml` was scored twice (after the tuning on tuning3.yml: 0.83 / 0.52 / 0.95 in English,
0.91 / 0.53 / 0.94 in French), then tuned on: it is training data now, and one of its reports
was left out for repeating one of sealed.yml. `sealed4.yml` (58 + 59, a natural mix, by a
writer who saw neither the extractor nor the other sets; three items left out unread for
repeating wording of the sets tuned on) is the sealed set now, with sealed.yml. It was scored
before the tuning on sealed3.yml (0.93 / 0.78 / 0.98 in English, 0.98 / 0.75 / 0.90 in French)
and after it; its misses are never listed.

`sealed5.yml` (57 + 55, by a writer who saw neither the extractor nor the other sets; eight
items left out unread for repeating answers of the sets tuned on) measures the follow-up whole,
as the chat plays it: each report carries what the person would type to EVERY question if it
were asked, so a fact the extractor does not read in the report is asked and read from the
answer, as in the chat, instead of counted missing because the writer thought the report had
told it. Its `told` says which facts the report gave itself; "asked again" is the share of those
the follow-up asked all the same (the person repeats themselves). In the earlier sets a report
carries answers only to the questions its writer thought it left open. First scoring, never
tuned on: 0.95 / 0.98 / 1.00 in English (asked again 0.19), 0.95 / 0.96 / 0.95 in French (0.16).

Each figure is printed with the share said wrong beside it: a course, onset or seriousness
given that is not the reader's. What the extractor does not say is asked in the chat, so a
miss that is not said wrong is a question the person answers; one said wrong is not asked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.safety.followup import Facts, extract, read_answer, taken  # noqa: E402

REPORTS = Path(__file__).resolve().parent / "reports.yml"
FRESH = Path(__file__).resolve().parent / "fresh.yml"
TUNING2 = Path(__file__).resolve().parent / "tuning2.yml"
TUNING3 = Path(__file__).resolve().parent / "tuning3.yml"
SEALED = Path(__file__).resolve().parent / "sealed.yml"
SEALED3 = Path(__file__).resolve().parent / "sealed3.yml"
SEALED4 = Path(__file__).resolve().parent / "sealed4.yml"
SEALED5 = Path(__file__).resolve().parent / "sealed5.yml"
TARGET = 0.90
FIELDS = ("onset", "ongoing", "seriousness")
PARTS = (
    "tuning", "held-out", "fresh", "tuning2", "tuning3", "sealed3", "sealed", "sealed4", "sealed5"
)  # fmt: skip
SEALED_PARTS = ("sealed", "sealed4", "sealed5")
# The facts a report may tell itself (a set's `told`), and the question that asks each.
TOLD = ("onset", "ongoing", "care")


@dataclass
class Score:
    reports: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*FIELDS, "all"), 0))
    # Wrong and said: a value given that is not the reader's (a course when there was none, the
    # other course, serious when not). What is missing is asked in the chat; what is wrong is not.
    said_wrong: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    # On sets that say what each report told itself (`told`): the questions asked about a fact
    # the report had given, of all the facts reports gave. The person is asked again.
    told: int = 0
    asked_again: int = 0
    misses: list[str] = field(default_factory=list)

    def share(self, name: str) -> float:
        return self.right[name] / self.reports if self.reports else 0.0

    def wrong_share(self, name: str) -> float:
        return self.said_wrong[name] / self.reports if self.reports else 0.0

    def asked_again_share(self) -> float | None:
        return self.asked_again / self.told if self.told else None

    def meets(self) -> bool:
        return all(self.share(name) >= TARGET for name in FIELDS)


def played(item: dict[str, Any], received: dt.datetime) -> tuple[Facts, list[str]]:
    """The facts once the follow-up has asked what the report left open, and the questions
    it asked."""
    facts = extract(item["report"], received)
    answers = item.get("answers") or {}
    asked: list[str] = []
    while (step := facts.next_step()) is not None:
        asked.append(step)
        typed = str(answers.get(step) or "")
        found = read_answer(step, typed, received) if typed else None
        if isinstance(found, Facts):
            facts = taken(facts, step, found, typed, received)
        else:
            facts = replace(facts, skipped=(*facts.skipped, step))
    return facts, asked


def score(items: list[dict[str, Any]], received: dt.datetime) -> Score:
    result = Score()
    for item in items:
        (facts, asked), expect = played(item, received), item["expect"]
        told = [name for name in item.get("told") or () if name in TOLD]
        result.told += len(told)
        result.asked_again += sum(name in asked for name in told)
        got = {
            "onset": facts.onset,
            "ongoing": facts.ongoing,
            "seriousness": (facts.serious, sorted(facts.seriousness)),
        }
        wanted = {
            "onset": expect.get("onset"),
            "ongoing": expect.get("ongoing"),
            "seriousness": (expect.get("serious"), sorted(expect.get("seriousness") or [])),
        }
        result.reports += 1
        wrong = [name for name in FIELDS if got[name] != wanted[name]]
        for name in FIELDS:
            result.right[name] += name not in wrong
            given = {**got, "seriousness": facts.serious}[name]
            result.said_wrong[name] += name in wrong and given is not None
        result.right["all"] += not wrong
        if wrong:
            said = "; ".join(f"{n}: got {got[n]!r}, want {wanted[n]!r}" for n in wrong)
            result.misses.append(f"{item['report']!r} {item.get('answers') or ''} -> {said}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses", action="store_true", help="what went wrong (never on the sealed set)"
    )
    parser.add_argument("--sealed", action="store_true", help="also score the sealed sets, whole")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = yaml.safe_load(REPORTS.read_text(encoding="utf-8"))
    received = dt.datetime.fromisoformat(data["received"])
    results: dict[tuple[str, str], Score] = {}
    whole = {
        "fresh": yaml.safe_load(FRESH.read_text(encoding="utf-8")),
        "tuning2": yaml.safe_load(TUNING2.read_text(encoding="utf-8")),
        "tuning3": yaml.safe_load(TUNING3.read_text(encoding="utf-8")),
        "sealed3": yaml.safe_load(SEALED3.read_text(encoding="utf-8")),
    }
    if args.sealed:
        whole["sealed"] = yaml.safe_load(SEALED.read_text(encoding="utf-8"))
        whole["sealed4"] = yaml.safe_load(SEALED4.read_text(encoding="utf-8"))
        if SEALED5.exists():
            whole["sealed5"] = yaml.safe_load(SEALED5.read_text(encoding="utf-8"))
    for language in ("en", "fr"):
        items = data[language]
        results[language, "tuning"] = score(items[0::2], received)
        results[language, "held-out"] = score(items[1::2], received)
        for part, loaded in whole.items():
            moment = dt.datetime.fromisoformat(loaded["received"])
            results[language, part] = score(loaded[language], moment)
    if args.json:
        rows = [
            {
                "language": language, "part": part, "reports": s.reports,
                **{name: round(s.share(name), 3) for name in (*FIELDS, "all")},
                **{f"{name}_said_wrong": round(s.wrong_share(name), 3) for name in FIELDS},
                "asked_again": None if (a := s.asked_again_share()) is None else round(a, 3),
            }
            for (language, part), s in results.items()
        ]  # fmt: skip
        print(json.dumps(rows, indent=2))
    else:
        _show(results)
    if args.misses:
        for (language, part), s in results.items():
            if part not in SEALED_PARTS:  # never the sealed sets'
                for line in s.misses:
                    print(f"{language} {part}: {line}")
    return 0 if all(s.meets() for s in results.values()) else 1


def _show(results: dict[tuple[str, str], Score]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Side-effect follow-up on written reports")
    for column in ("language", "part", "reports", *FIELDS, "all three", "asked again"):
        table.add_column(column, justify="right")
    for (language, part), s in results.items():
        table.add_row(
            language,
            part,
            str(s.reports),
            *(f"{s.share(name):.2f} ({s.wrong_share(name):.2f})" for name in FIELDS),
            f"{s.share('all'):.2f}",
            "—" if (again := s.asked_again_share()) is None else f"{again:.2f}",
        )
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    console.print(
        f"Each field: share right (share said wrong). Target: ≥ {TARGET:.2f} right for each of "
        f"{', '.join(FIELDS)} on every set. What is not said is asked in the chat; the rest of "
        "the misses are said wrong. Asked again: of the facts a report told itself (sets that "
        "say which), the share the follow-up asked all the same."
    )


if __name__ == "__main__":
    raise SystemExit(main())
