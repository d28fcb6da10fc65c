"""The channel adapters of a process that writes to people on its own, built from the settings.

`trialbot dispatcher` and `trialbot handoff reply` use them; a gateway builds its own, which also
serve. Nothing is served here: each adapter only connects to send (Telegram is initialised, with
no polling and no webhook; Messenger only sends; the web chat's replies are stored for the page
to fetch), so the adapters are given a relay that answers nobody (`SendOnly`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection

from sqlalchemy.orm import Session, sessionmaker

from bot.channels import registry
from bot.channels.base import Accepted, Channel, Inbound, Reply
from bot.crypto import Cipher
from bot.pseudonym import pseudonym
from bot.settings import Settings


class SendOnly:
    """The relay of a process that serves no channel: the cipher and the sender keys alone."""

    def __init__(self, settings: Settings) -> None:
        self._key = settings.pseudonym_secret()
        self._cipher = Cipher.from_settings(settings)

    @property
    def cipher(self) -> Cipher:
        return self._cipher

    def sender_key(self, channel: str, user_id: str) -> str:
        return pseudonym(self._key, channel, user_id)

    async def accept(self, inbound: Inbound) -> Accepted | None:
        raise RuntimeError("this process serves no channel: it takes no message in")

    def first_delivery(self, channel: str, user_id: str, external_id: str | None) -> bool:
        raise RuntimeError("this process serves no channel: it takes no message in")

    async def answer(self, accepted: Accepted) -> list[Reply]:
        raise RuntimeError("this process serves no channel: it answers no message")

    async def handle(self, inbound: Inbound) -> list[Reply]:
        raise RuntimeError("this process serves no channel: it answers no message")


@contextlib.asynccontextmanager
async def outbound_channels(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    only: Collection[str] | None = None,
    wait: bool = True,
) -> AsyncIterator[dict[str, Channel]]:
    """The configured channels (those in `only`, when given), closed on leaving.

    A platform must answer before its channel can send (Telegram): with `wait`, it is waited
    for; without, a channel whose platform does not answer is left out.
    """
    adapters = registry.build(settings, SendOnly(settings), sessions, only=only)
    try:
        channels: dict[str, Channel] = {}
        for name, adapter in adapters.items():
            if await adapter.open(wait=wait):
                channels[name] = adapter
        yield channels
    finally:
        await registry.stop(adapters)
