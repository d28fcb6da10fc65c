"""What every channel adapter speaks: one inbound message, one outbound reply, and the relay
it hands messages to (`Relaying`), which whoever builds the adapters passes in: a channel
imports no gateway module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from bot.conversations import LanguageHints
from bot.crypto import Cipher


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


# Why a message is delivered outside a request; each platform maps it to its own rules
# (Messenger: the message tag that carries it past the 24-hour window; the others need none).
Purpose = Literal["reply", "reminder", "checkin", "human_answer"]


class Channel(Protocol):
    """Delivers replies that were produced outside a request (after an outage, reminders)."""

    name: str

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        """Send `replies`; the platform's ids of the messages sent. Raises NotDelivered.

        `purpose`: "reply" (late replies to the person's own message), "reminder" (an
        appointment reminder), "checkin" (a scheduled check-in's first question) or
        "human_answer" (the study team's answer to a handoff). Past a platform's messaging
        window (Messenger, WhatsApp: 24 hours) a check-in has no tag or template to go with:
        the platform refuses it, and it fails with that reason, for staff.
        """
        ...


class Turn(Protocol):
    """What an adapter reads of an accepted message's conversation."""

    @property
    def language(self) -> str: ...


class Accepted(Protocol):
    """A message the relay has committed and will answer."""

    @property
    def turn(self) -> Turn: ...


AcceptedT = TypeVar("AcceptedT", bound=Accepted)


class Relaying(Protocol[AcceptedT]):
    """What an adapter needs of the single message path (bot.gateway.relay.Relay)."""

    @property
    def cipher(self) -> Cipher:
        """Decrypts the address a conversation keeps (a chat id, a page-scoped id)."""
        ...

    def sender_key(self, channel: str, user_id: str) -> str:
        """The pseudonym a platform's user id is kept under."""
        ...

    async def accept(self, inbound: Inbound) -> AcceptedT | None:
        """Commit a message; None when it was delivered before (it is answered once)."""
        ...

    def first_delivery(self, channel: str, user_id: str, external_id: str | None) -> bool:
        """Whether a message that cannot be read (a photo) arrives for the first time."""
        ...

    async def answer(self, accepted: AcceptedT) -> list[Reply]:
        """The assistant's replies to an accepted message."""
        ...

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Accept and answer in one."""
        ...
