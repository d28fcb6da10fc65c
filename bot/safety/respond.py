"""What the gateway says at once to an emergency or a side effect, in the person's language."""

from __future__ import annotations

from bot.i18n import messages
from bot.safety.detect import Finding
from bot.settings import Settings


def reply_text(
    finding: Finding,
    language: str,
    settings: Settings,
    phone: str | None,
    *,
    relative: bool = False,
    asks_if_normal: bool = False,
) -> str:
    """`relative`: someone writes for the participant, and is told about them, not "you".
    `asks_if_normal`: the report asks whether it is normal, which is the study team's to say."""
    number = settings.emergency_number
    if finding.kind == "adverse_event":
        phone = phone or settings.site_phone
        them = "_relative" if relative else ""
        # Never "please call them" without saying how.
        call = (
            messages.text("safety_phone", language, phone=phone)
            if phone
            else messages.text(f"safety_phone_unknown{them}", language)
        )
        said = messages.text(
            f"safety_side_effect{them}", language, call=call, emergency_number=number
        )
        if asks_if_normal:
            said += "\n\n" + messages.text("safety_is_it_normal", language)
        return said
    if finding.category == "suicide":
        line = settings.crisis_line
        said = messages.text("safety_crisis_line", language, crisis_line=line) if line else ""
        return messages.text("safety_crisis", language, emergency_number=number, line=said)
    return messages.text("safety_emergency", language, emergency_number=number)
