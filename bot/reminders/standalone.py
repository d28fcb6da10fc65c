"""`trialbot dispatcher`: the reminder dispatcher as a process of its own, beside the gateways.

It also sends the staff alerts of safety events. It builds the same channel adapters as a
gateway, without serving anything: Telegram is only
initialised (no polling, no webhook), Messenger only sends, and the web chat's replies are stored
for the page to fetch. Any number may run at once; see `claims`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.channels import messenger, telegram, web
from bot.channels.base import Channel
from bot.db.session import create_db_engine, make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.reminders.dispatcher import Dispatcher
from bot.safety import alerts
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    engine = create_db_engine(settings.db_url)
    sessions = make_session_factory(engine)
    # The adapters take a relay (for its cipher and sessions); the dispatcher never calls Rasa.
    rasa = RasaClient(settings.rasa_url, settings.rasa_token(), settings.rasa_timeout)
    channels: dict[str, Channel] = {web.NAME: web.WebChannel(sessions)}
    relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels=channels)
    bot: telegram.TelegramChannel | None = None
    page: messenger.MessengerChannel | None = None
    try:
        if settings.telegram_enabled:
            bot = telegram.TelegramChannel(settings, relay, sessions)
            await _initialise(bot)
            channels[telegram.NAME] = bot
        if settings.messenger_enabled:
            page = channels[messenger.NAME] = messenger.MessengerChannel(settings, relay, sessions)
        log.info("reminder dispatcher up (channels: %s)", ", ".join(sorted(channels)))
        dispatcher = Dispatcher(settings=settings, sessions=sessions, channels=channels)
        sender = alerts.AlertSender(
            settings=settings, sessions=sessions, telegram=alerts.telegram_sender(settings, bot)
        )
        await asyncio.gather(
            dispatcher.run_forever(settings.reminder_interval),
            sender.run_forever(settings.reminder_interval),
        )
    finally:
        if bot is not None:
            with contextlib.suppress(Exception):
                await bot.application.shutdown()
        if page is not None:
            await page.aclose()
        await rasa.aclose()
        engine.dispose()


async def _initialise(bot: telegram.TelegramChannel) -> None:
    """Connect to the Bot API (it says who the bot is); wait for it rather than give up."""
    while True:
        try:
            await bot.application.initialize()
            return
        except Exception as error:  # network, bad token: said, and tried again
            log.warning("Telegram is not reachable yet (%s); trying again in 5 s", error)
            await asyncio.sleep(5)
