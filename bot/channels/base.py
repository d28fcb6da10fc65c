"""What every channel adapter speaks: one inbound message, one outbound reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.conversations import LanguageHints


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message of the assistant, independent of the channel that will render it."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> Reply:
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or ()
        )
        return cls(text=message.get("text"), buttons=buttons, image=message.get("image"))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text} if self.text is not None else {}
        if self.buttons:
            body["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image:
            body["image"] = self.image
        return body


@dataclass(frozen=True)
class Inbound:
    """One message from a person, whatever the channel."""

    channel: str
    user_id: str  # the platform's id; turned into a pseudonym before it goes any further
    text: str
    hints: LanguageHints = field(default_factory=LanguageHints)
    metadata: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """Delivers replies that were produced outside a request (after an outage, reminders)."""

    name: str

    async def deliver(self, conversation_id: int, replies: list[Reply]) -> None: ...
