"""What the assistant says itself about a handoff, in the person's language."""

from __future__ import annotations

from bot.channels.base import Button, Reply
from bot.db.models import utcnow
from bot.handoff.service import BACK
from bot.i18n import messages
from bot.settings import Settings
from bot.staff_hours import availability, staff_hours


def back_button(language: str) -> Button:
    return Button(messages.text("handoff_back_button", language), BACK)


def continue_button(language: str) -> Button:
    return Button(messages.text("handoff_continue_button", language), BACK)


def when_reachable(settings: Settings, language: str) -> str:
    """Whether the team is there now, or when it next will be."""
    hours = staff_hours(settings.staff_hours, settings.site_timezone)
    return availability(hours, language, utcnow())


def waiting(settings: Settings, language: str) -> Reply:
    """To a message written while the study team has the person's question."""
    text = messages.text(
        "handoff_waiting",
        language,
        availability=when_reachable(settings, language),
        emergency_number=settings.emergency_number,
    )
    return Reply(text=text, buttons=(back_button(language),))


def thanked(language: str) -> Reply:
    """To thanks written while the study team has the person's question (after their answer)."""
    return Reply(text=messages.text("handoff_thanked", language), buttons=(back_button(language),))


def staff_answer(text: str, language: str, *, still_open: bool) -> Reply:
    said = messages.text("handoff_staff_reply", language, text=text)
    return Reply(text=said, buttons=(back_button(language),) if still_open else ())


def closed_by_staff(text: str, language: str) -> Reply:
    """The notice that staff closed it: its button takes up a form where it was left."""
    return Reply(text=text, buttons=(continue_button(language),))
