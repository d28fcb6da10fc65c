"""The short summary staff get with a handoff: why, what the conversation was doing, its end."""

from __future__ import annotations

from collections.abc import Iterable

# Enough to see the question in context; the rest of the conversation stays in Rasa's store.
LAST_MESSAGES = 5
LONGEST = 300

_WHY = {
    "asked": "The person asked to talk to the study team.",
    "misunderstood": "The assistant had no checked answer twice in a row.",
}
_DOING = {
    "screening_form": "answering the pre-screening questions",
    "contact_form": "giving their contact details",
}


def summarise(
    *,
    reason: str,
    said: Iterable[str],
    trial: str | None = None,
    form: str | None = None,
    question: str | None = None,
) -> str:
    """For staff, in English: the reason, the trial, an interrupted form, the last messages."""
    lines = [_WHY.get(reason, reason)]
    if trial:
        lines.append(f"Trial: {trial}.")
    if form:
        doing = _DOING.get(form, form)
        lines.append(f"They were {doing}" + (f" (question: {question})." if question else "."))
    typed = [_short(text) for text in said if text.strip() and not text.startswith("/")]
    if typed:
        lines.append("Last messages:")
        lines.extend(f"- {text}" for text in typed[-LAST_MESSAGES:])
    return "\n".join(lines)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"
