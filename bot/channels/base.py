"""What every channel adapter speaks: one inbound message, one outbound reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.conversations import LanguageHints


@dataclass(frozen=True)
class Button:
    """A choice the person can tap: it sends `payload`, or opens `url` when there is one."""

    title: str
    payload: str = ""
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message of the assistant, independent of the channel that will render it."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> Reply:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            # Rasa's REST channel cuts plain text at every blank line; an action that wants
            # paragraphs kept together in one message sends them as {"text": ...} instead.
            message = custom
        buttons = tuple(
            Button(
                title=str(b.get("title", "")),
                payload=str(b.get("payload") or ""),
                url=str(b["url"]) if b.get("url") else None,
            )
            for b in message.get("buttons") or ()
            if isinstance(b, dict)
        )
        return cls(text=message.get("text"), buttons=buttons, image=message.get("image"))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text} if self.text is not None else {}
        if self.buttons:
            body["buttons"] = [_button_json(b) for b in self.buttons]
        if self.image:
            body["image"] = self.image
        return body


def _button_json(button: Button) -> dict[str, str]:
    body = {"title": button.title, "payload": button.payload}
    if button.url:
        body["url"] = button.url
    return body


@dataclass(frozen=True)
class Inbound:
    """One message from a person, whatever the channel."""

    channel: str
    user_id: str  # the platform's id; turned into a pseudonym before it goes any further
    text: str
    hints: LanguageHints = field(default_factory=LanguageHints)
    metadata: dict[str, Any] = field(default_factory=dict)
    # The platform's id of this delivery, so a delivery repeated by the platform is answered once.
    external_id: str | None = None
    # Where the assistant can write to the person on its own (kept encrypted); None on the web.
    address: str | None = None
    # A /start or ?ref= payload: a campaign or a participant's link code.
    referral: str | None = None


class NotDelivered(Exception):
    """The channel could not, or may not, deliver a message; the reason says which.

    `final` when trying again cannot help (the person blocked the bot, the platform refused the
    message); `retry_after` when the platform said how long to wait before trying again.
    """

    def __init__(
        self, reason: str, *, final: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.final = final
        self.retry_after = retry_after


class Channel(Protocol):
    """Delivers replies that were produced outside a request (after an outage, reminders)."""

    name: str

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, tag: str | None = None
    ) -> list[str]:
        """Send `replies`; the platform's ids of the messages sent. Raises NotDelivered.

        `tag` allows Messenger after its 24-hour window.
        """
        ...
