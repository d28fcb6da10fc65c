"""A side effect as a safety officer reads it: the person's words beside the structured
record, with fields named as in an individual case safety report (ICH E2B): onset, outcome,
seriousness criteria, suspected product, reporter."""

from __future__ import annotations

import json
from typing import Any

from bot.crypto import Cipher
from bot.db.models import SafetyEvent, as_utc
from bot.safety.followup import Facts, button_value, reporter

# ICH E2B's outcomes, as far as the follow-up can tell them.
OUTCOMES = {True: "not recovered/not resolved", False: "recovered/resolved", None: "unknown"}
CARE_SAID = {
    "none": "no care",
    "doctor": "saw a doctor",
    "emergency": "emergency care",
    "hospital": "stayed in hospital",
}
COLUMNS = (
    "id", "trial", "participant", "participant_code", "reporter", "received_at", "report_due",
    "status", "reaction", "category", "onset", "ongoing", "outcome", "severity", "care",
    "serious", "seriousness_criteria", "suspected_product", "last_dose", "follow_up_complete",
    "channel", "language", "recurrence_of", "came_back",
)  # fmt: skip


def record(event: SafetyEvent, cipher: Cipher) -> dict[str, Any]:
    """The follow-up's stored record (the facts, and the follow-up's own notes), decrypted."""
    if not event.follow_up:
        return {}
    data = json.loads(cipher.decrypt(event.follow_up))
    return data if isinstance(data, dict) else {}


def follow_up(event: SafetyEvent, cipher: Cipher) -> Facts | None:
    """The event's follow-up facts; None for an emergency or an event from before them."""
    if event.kind != "adverse_event" or not event.follow_up:
        return None
    return Facts.from_dict(record(event, cipher))


def one_line(facts: Facts) -> str:
    """ "onset 2026-11-16 · still going on · severe · emergency care · SERIOUS (…)"."""
    parts = [
        f"onset {facts.onset or facts.onset_said or 'unknown'}",
        {True: "still going on", False: "over", None: "course unknown"}[facts.ongoing],
        facts.severity or "severity unknown",
        CARE_SAID.get(facts.care or "", "care unknown"),
    ]
    if facts.serious:
        parts.append("SERIOUS (" + ", ".join(c.replace("_", " ") for c in facts.seriousness) + ")")
    elif facts.serious is False:
        parts.append("not serious")
    if facts.product:
        parts.append(f"treatment: {facts.product}")
    return " · ".join(parts)


def summary(event: SafetyEvent, cipher: Cipher) -> dict[str, Any]:
    """What `safety list --json` adds to an adverse event: its `follow_up` (CONTRACT's shape)
    and, when serious, its `report_due`."""
    facts = follow_up(event, cipher) or Facts()
    added: dict[str, Any] = {"follow_up": facts.summary()}
    if event.serious and event.report_due is not None:
        added["report_due"] = as_utc(event.report_due).isoformat()
    return added


def case(event: SafetyEvent, cipher: Cipher, participant_code: str | None) -> dict[str, Any]:
    """One event whole, as `safety show` and `safety export` give it."""
    stored = record(event, cipher) if event.kind == "adverse_event" else {}
    facts = Facts.from_dict(stored)
    corrected = stored.get("corrected_by_staff")
    reaction = cipher.decrypt(event.text)
    return {
        "id": event.id,
        "kind": event.kind,
        "trial": event.trial,
        "participant": event.sender_key,
        "participant_code": participant_code,
        "reporter": reporter(reaction) if reaction else "participant",
        "received_at": as_utc(event.created_at).isoformat(),
        "report_due": as_utc(event.report_due).isoformat() if event.report_due else None,
        "status": event.status,
        "acknowledged_at": (
            as_utc(event.acknowledged_at).isoformat() if event.acknowledged_at else None
        ),
        "reaction": reaction,
        "category": cipher.decrypt(event.category),
        "onset": facts.onset,
        "onset_said": facts.onset_said,
        "ongoing": facts.ongoing,
        "outcome": OUTCOMES[facts.ongoing],
        "severity": facts.severity,
        "care": facts.care,
        "serious": facts.serious if event.kind == "adverse_event" else None,
        "seriousness_criteria": facts.seriousness,
        "suspected_product": facts.product,
        "last_dose": facts.last_dose,
        "follow_up_complete": facts.complete,
        "follow_up_answers": [_answer(step, said) for step, said in facts.answers],
        # The question at which the person ended the questions ("stop", "c bon"), or moved on
        # from for the second time: what follows it was never asked.
        "questions_ended_at": stored.get("stopped") or stored.get("dropped"),
        # A side effect that came back: the report it came back after, and those after it.
        "recurrence_of": stored.get("recurrence_of"),
        "came_back": [int(again) for again in stored.get("came_back", [])],
        "corrected_by_staff": sorted(map(str, corrected)) if isinstance(corrected, list) else [],
        "channel": event.channel,
        "language": event.language,
    }


def row(case_: dict[str, Any]) -> list[str]:
    """A case as one CSV row, in COLUMNS' order."""
    values = []
    for column in COLUMNS:
        value = case_.get(column)
        if isinstance(value, list):
            value = ";".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        values.append("" if value is None else str(value))
    return values


def _answer(step: str, said: str) -> dict[str, Any]:
    """One answer to a follow-up question: the words typed, or the button tapped (its value,
    "moderate", not its payload)."""
    tapped = button_value(said)
    if tapped is None:
        return {"question": step, "answer": said}
    return {"question": step, "answer": tapped, "tapped": True}
