"""`trialbot dispatcher`: the reminder dispatcher as a process of its own, beside the gateways.

It also sends the staff alerts of safety events and the study team's answers to handoffs. It
builds the same channel adapters as a gateway, without serving anything (`outbound_channels`).
Any number may run at once; see `claims`.
"""

from __future__ import annotations

import asyncio
import logging

from bot.channels import telegram
from bot.channels.outbound import outbound_channels
from bot.db.session import create_db_engine, make_session_factory
from bot.handoff.delivery import HandoffDelivery
from bot.reminders.dispatcher import Dispatcher
from bot.safety import alerts
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    engine = create_db_engine(settings.db_url)
    sessions = make_session_factory(engine)
    try:
        async with outbound_channels(settings, sessions) as channels:
            log.info("reminder dispatcher up (channels: %s)", ", ".join(sorted(channels)))
            dispatcher = Dispatcher(settings=settings, sessions=sessions, channels=channels)
            bot = channels.get(telegram.NAME)
            sender = alerts.AlertSender(
                settings=settings, sessions=sessions, telegram=alerts.telegram_sender(settings, bot)
            )
            answers = HandoffDelivery(settings=settings, sessions=sessions, channels=channels)
            await asyncio.gather(
                dispatcher.run_forever(settings.reminder_interval),
                sender.run_forever(settings.reminder_interval),
                answers.run_forever(settings.reminder_interval),
            )
    finally:
        engine.dispose()
