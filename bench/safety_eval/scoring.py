"""Scores of the safety check on the labelled messages; shared by the benchmark and its test."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.safety.detect import Intent, assess

MESSAGES = Path(__file__).with_name("messages.yml")
FRESH = Path(__file__).with_name("fresh.yml")  # written after the first tuning; tuned on since
UNSEEN = Path(__file__).with_name("unseen.yml")  # written after the second; never tuned on
# Written while the third round of tuning went on, by writers who saw neither the rules, the NLU
# data nor any figure; never tuned on.
FINAL = Path(__file__).with_name("final.yml")
# Written after final.yml's figures were taken, by a writer who saw neither the rules, the NLU data,
# the older sets nor any figure; sealed: scored only with `--sealed`, once the work it measures is
# done, and never tuned on.
SEALED = Path(__file__).with_name("sealed.yml")
TARGETS = {
    "emergency_recall": 0.97,
    "false_emergency_rate": 0.03,
    "adverse_event_recall": 0.92,
    "false_alarm_rate": 0.03,
}
LABELS = ("emergency", "adverse_event", "none")


@dataclass
class Scores:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    emergencies_caught: int = 0
    adverse_events_caught: int = 0  # as a side effect or as an emergency: either reaches staff
    false_emergencies: int = 0  # not an emergency, flagged as one
    false_alarms: int = 0  # needs nothing, flagged anyway
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        not_emergency = self.counts["adverse_event"] + self.counts["none"]
        return {
            "messages": sum(self.counts.values()),
            **{f"{label}_messages": n for label, n in self.counts.items()},
            "emergency_recall": _share(self.emergencies_caught, self.counts["emergency"]),
            "false_emergency_rate": _share(self.false_emergencies, not_emergency),
            "adverse_event_recall": _share(
                self.adverse_events_caught, self.counts["adverse_event"]
            ),
            "false_alarm_rate": _share(self.false_alarms, self.counts["none"]),
        }

    def meets(self) -> bool:
        f = self.figures()
        return bool(
            f["emergency_recall"] >= TARGETS["emergency_recall"]
            and f["false_emergency_rate"] <= TARGETS["false_emergency_rate"]
            and f["adverse_event_recall"] >= TARGETS["adverse_event_recall"]
            and f["false_alarm_rate"] <= TARGETS["false_alarm_rate"]
        )


def load(path: Path = MESSAGES) -> dict[str, list[dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for language, items in data.items():
        for item in items:
            if item.get("label") not in LABELS:
                raise ValueError(f"{path}: {language}: unknown label in {item!r}")
    return {language: list(items) for language, items in data.items()}


def evaluate(
    items: list[dict[str, Any]], part: str = "all", nlu: dict[str, Intent] | None = None
) -> Scores:
    """`part`: all, tuning (even places within each label) or held-out (odd places).

    With `nlu` (each text's NLU reading) the check is the gateway's: the rules, then the NLU.
    """
    scores = Scores()
    seen = dict.fromkeys(LABELS, 0)
    for item in items:
        label = item["label"]
        place = seen[label]
        seen[label] += 1
        if part != "all" and place % 2 != (part == "held-out"):
            continue
        scores.counts[label] += 1
        finding = assess(item["text"], (nlu or {}).get(item["text"]))
        got = finding.kind if finding else "none"
        if label == "emergency" and got == "emergency":
            scores.emergencies_caught += 1
        if label == "adverse_event" and got != "none":
            scores.adverse_events_caught += 1
        if label != "emergency" and got == "emergency":
            scores.false_emergencies += 1
        if label == "none" and got != "none":
            scores.false_alarms += 1
        if got != label and not (label == "adverse_event" and got == "emergency"):
            detail = f" ({finding.category}: {finding.matched!r})" if finding else ""
            scores.misses.append(f"{label} read as {got}{detail}: {item['text']}")
    return scores


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
