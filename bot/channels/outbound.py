"""The channel adapters of a process that writes to people on its own, built from the settings.

`trialbot dispatcher` and `trialbot handoff reply` use them; a gateway builds its own, which also
serve. Nothing is served here: Telegram is only initialised (no polling, no webhook), Messenger
only sends, and the web chat's replies are stored for the page to fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection

from sqlalchemy.orm import Session, sessionmaker

from bot.channels import messenger, telegram, web
from bot.channels.base import Channel
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.settings import Settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def outbound_channels(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    only: Collection[str] | None = None,
    wait: bool = True,
) -> AsyncIterator[dict[str, Channel]]:
    """The configured channels (those in `only`, when given), closed on leaving.

    Telegram must answer before it can send: with `wait`, it is waited for; without, a Telegram
    that does not answer is left out.
    """
    # The adapters take a relay (for its cipher and sessions); nothing here calls Rasa.
    rasa = RasaClient(settings.rasa_url, settings.rasa_token(), settings.rasa_timeout)
    channels: dict[str, Channel] = {}
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels=channels)
    bot: telegram.TelegramChannel | None = None
    page: messenger.MessengerChannel | None = None
    wanted = set(only) if only is not None else {web.NAME, telegram.NAME, messenger.NAME}
    try:
        if web.NAME in wanted:
            channels[web.NAME] = web.WebChannel(sessions, relay.cipher)
        if settings.telegram_enabled and telegram.NAME in wanted:
            bot = telegram.TelegramChannel(settings, relay, sessions)
            if await _initialise(bot, wait=wait):
                channels[telegram.NAME] = bot
        if settings.messenger_enabled and messenger.NAME in wanted:
            page = channels[messenger.NAME] = messenger.MessengerChannel(settings, relay, sessions)
        yield channels
    finally:
        if bot is not None:
            with contextlib.suppress(Exception):
                await bot.application.shutdown()
        if page is not None:
            await page.aclose()
        await rasa.aclose()


async def _initialise(bot: telegram.TelegramChannel, *, wait: bool) -> bool:
    """Connect to the Bot API (it says who the bot is); whether it answered."""
    while True:
        try:
            await bot.application.initialize()
            return True
        except Exception as error:  # network, bad token: said, and tried again
            if not wait:
                log.warning("Telegram is not reachable (%s)", error)
                return False
            log.warning("Telegram is not reachable yet (%s); trying again in 5 s", error)
            await asyncio.sleep(5)
