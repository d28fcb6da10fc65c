"""What a channel module declares: its adapter (an `Adapter`) and its `CHANNEL` (a
`ChannelSpec`), which bot.channels.registry finds."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.channels.base import Purpose, Relaying, Reply

# Types only: the action server imports the web chat's spec and has no use for them.
if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.orm import Session, sessionmaker

    from bot.settings import Settings


class Adapter(abc.ABC):
    """A channel as a process holds it: it delivers, starts, stops and says how it is.

    The defaults suit a channel with nothing to connect to (the web chat).
    """

    name: str

    @abc.abstractmethod
    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        """Send `replies` under the platform's rules for `purpose` (see base.Channel)."""

    async def start(self) -> None:
        """Serve: connect to the platform and take its messages (in a gateway)."""
        return None

    async def open(self, *, wait: bool) -> bool:
        """Connect only to send (in a process that serves nothing); whether it could.

        With `wait`, a platform that does not answer yet is waited for.
        """
        return True

    async def stop(self) -> None:
        """Stop serving, or sending: safe whether or not it started."""
        return None

    def health(self) -> str | None:
        """Its part of /healthz ("up", "starting"); None for none."""
        return None


@dataclass(frozen=True)
class Link:
    """A link that opens a chat with the assistant carrying a payload: a participant's link
    code, camp_<campaign>, trial_<trial> or camp_<campaign>__<trial> (bot.campaigns reads them).
    """

    template: str  # with {account} and {payload}
    setting: str  # the setting that names the bot's or page's account (TELEGRAM_BOT_USERNAME)

    def to(self, settings: Settings, payload: str) -> str | None:
        """The link; None while the settings do not name the account."""
        account = str(getattr(settings, self.setting.lower())).rstrip("/")
        return self.template.format(account=account, payload=payload) if account else None


@dataclass(frozen=True)
class ChannelSpec:
    """What a channel module declares as its `CHANNEL`."""

    name: str
    title: str  # the platform's name, for the logs
    enabled: Callable[[Settings], bool]
    build: Callable[[Settings, Relaying[Any], sessionmaker[Session]], Adapter]
    # Its webhooks, mounted on every gateway: a handler finds its adapter with `running`, and
    # answers 404 on a gateway that does not run it.
    routes: APIRouter | None = None
    link: Link | None = None
    # The staff chat of safety alerts is on this platform (bot.safety.alerts sends through it).
    staff_alerts: bool = False
    # What `trialbot run` says of the channel under these settings: on and how, or how to
    # switch it on (see `status`).
    describe: Callable[[Settings], str] | None = None

    def status(self, settings: Settings) -> str:
        """The channel's line in `trialbot run`: "Telegram: on (webhook)", "WhatsApp: off (…)"."""
        if self.describe is not None:
            return f"{self.title}: {self.describe(settings)}"
        return f"{self.title}: {'on' if self.enabled(settings) else 'off'}"
