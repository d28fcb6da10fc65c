"""A typed yes or no, with words around it, answers the yes-or-no question just asked.

"Would you like the study team to contact you?" [Yes, contact me] [No, thank you]: "oui je veux
bien que l'équipe me rappelle" is a yes, but the intent classifier reads a wish for reminders in
"rappelle", and "yes pls contact me" falls below its threshold; the question's rule, which waits
for `affirm` or `deny`, then never runs and the answer is lost. The gateway sends, with each
message that opens with a clear yes or no and asks nothing (`bot/understanding.py`), that
answer; here, where the conversation is known, it becomes the message's intent when the
assistant's last turn asked a yes-or-no question with buttons (their payloads `/affirm` and
`/deny`, or a consent's `/consent_decision`). Anywhere else the classifier's reading stands:
"yes please call me", out of the blue, is a request of its own.
"""

from __future__ import annotations

from typing import Any

from rasa_addons import reading

ANSWERS = ("affirm", "deny")
_installed = False


def install() -> None:
    """Once per process."""
    global _installed
    if _installed:
        return
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._handle_message_with_tracker

    async def handle(self: MessageProcessor, message: Any, tracker: Any) -> None:
        answer = _answer(message.metadata)
        if answer is not None and asked_yes_or_no(tracker):
            if not message.parse_data:
                message.parse_data = await self.parse_message(message, tracker)
            take(message.parse_data, answer)
        await original(self, message, tracker)

    MessageProcessor._handle_message_with_tracker = handle  # type: ignore[method-assign]
    _installed = True


def _answer(metadata: Any) -> str | None:
    given = (metadata or {}).get(reading.READING) if isinstance(metadata, dict) else None
    answer = given.get("answer") if isinstance(given, dict) else None
    # A wish the words leave no doubt about (a language, to withdraw) is not a yes.
    if answer in ANSWERS and given.get("intent") in (None, "request_human", "faq"):
        return str(answer)
    return None


def asked_yes_or_no(tracker: Any) -> bool:
    """Whether the assistant's replies since the person's last message ask a yes-or-no
    question with buttons."""
    for event in reversed(tracker.events):
        name = getattr(event, "type_name", None)
        if name == "user":
            return False
        if name == "bot":
            payloads = [
                str(button.get("payload") or "")
                for button in (event.data or {}).get("buttons") or []
                if isinstance(button, dict)
            ]
            if _yes_and_no(payloads):
                return True
    return False


def _yes_and_no(payloads: list[str]) -> bool:
    if any(p.startswith("/consent_decision") for p in payloads):
        return True
    return any(p.startswith("/affirm") for p in payloads) and any(
        p.startswith("/deny") for p in payloads
    )


def take(parse: dict[str, Any], answer: str) -> None:
    """`answer` as the parse's intent, first in its ranking."""
    if (parse.get("intent") or {}).get("name") == answer:
        return
    chosen = {"name": answer, "confidence": 1.0}
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != answer]
    parse["intent"] = chosen
    parse["intent_ranking"] = [chosen, *ranking]
