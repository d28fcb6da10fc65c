"""Sends due reminders through the channels, from the database alone: a restart loses nothing.

Each round claims a batch (`claims.claim_due`, bot.outbox), checks at the moment of sending that
the reminder may still go (consent to the version in effect, messages not stopped, a chat bound,
the appointment not cancelled), writes the send's idempotency key, sends it in the participant's
language, and records the channel's message id under that key. One message at a time, so a
dispatcher that dies leaves at most one reminder whose key is written but not its record: the next
holder sends it again (at least once, at most one duplicate) and counts it in `sends`. A channel
error puts it back with exponential back-off (never sooner than the platform's `retry_after`);
after `max_attempts`, or at once when trying again cannot help (the person blocked the bot), it is
`failed` with its reason, for staff (`trialbot reminders list`). It runs inside the gateway, which
holds the channels, or alone (`standalone`), and needs no Rasa server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import outbox
from bot.channels.base import Channel, NotDelivered, Reply
from bot.consent.service import ConsentTexts
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    Conversation,
    Participant,
    Reminder,
    ReminderStatus,
    utcnow,
)
from bot.outbox import RELEASED, retry_wait
from bot.reminders import claims, message, permission
from bot.settings import Settings
from bot.trials import Catalogue

log = logging.getLogger(__name__)

LONGEST_WAIT = dt.timedelta(hours=1)


@dataclass(frozen=True)
class _Ready:
    reminder_id: int
    conversation_id: int
    channel: str
    reply: Reply


class Dispatcher:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        channels: dict[str, Channel],
        batch: int = 50,
        lease: dt.timedelta | None = None,
        max_attempts: int = 5,
        backoff: dt.timedelta = dt.timedelta(seconds=30),
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._channels = channels
        self._batch = batch
        self._outbox = claims.outbox(lease or dt.timedelta(seconds=settings.reminder_lease))
        self._max_attempts, self._backoff = max_attempts, backoff
        self._clock = clock
        self._consents = ConsentTexts(settings.knowledge_dir)
        self._trials = Catalogue(settings.knowledge_dir)

    async def run_once(self) -> int:
        """Send what is due now; how many went out.

        One message at a time: a crash can then leave at most one sent but not recorded. What
        the first half of the lease did not reach is handed back, so that no other dispatcher
        takes over a reminder this one is still about to send.
        """
        deadline = self._outbox.deadline()
        token, held = await asyncio.to_thread(self._claim)
        sent = 0
        for index, reminder_id in enumerate(held):
            if deadline.passed():
                await asyncio.to_thread(self._hand_back, held[index:], token)
                break
            ready = await asyncio.to_thread(self._prepare, reminder_id, token)
            if ready is not None and await self._send(ready, token):
                sent += 1
        return sent

    async def run_forever(self, interval: float) -> None:
        await outbox.run_forever("reminder(s)", self.run_once, interval)

    def _claim(self) -> tuple[str, list[int]]:
        with self._sessions.begin() as session:
            return claims.claim_due(
                session, self._clock(), limit=self._batch, lease=self._outbox.lease
            )

    def _hand_back(self, reminder_ids: list[int], token: str) -> None:
        with self._sessions.begin() as session:
            self._outbox.hand_back(session, reminder_ids, token)

    def _prepare(self, reminder_id: int, token: str) -> _Ready | None:
        """The message to send, or None when the reminder may not (or need not) go any more."""
        with self._sessions.begin() as session:
            reminder = session.get(Reminder, reminder_id)
            if reminder is None or reminder.claim_token != token:
                return None  # another dispatcher took it over
            if reminder.status != ReminderStatus.SCHEDULED:
                return None  # cancelled meanwhile, with its own reason
            appointment = session.get(Appointment, reminder.appointment_id)
            why = permission.refusal(session, self._consents.get(), reminder)
            if why is None and (
                appointment is None or appointment.status == AppointmentStatus.CANCELLED
            ):
                why = "appointment cancelled"
            if why is not None or appointment is None:
                _release(reminder, status=ReminderStatus.CANCELLED, cancel_reason=(why or "")[:64])
                log.info("reminder %d not sent: %s", reminder_id, why)
                return None
            participant = session.get(Participant, appointment.participant_id)
            assert participant is not None and participant.sender_key is not None  # refusal checked
            conversation = session.scalars(
                select(Conversation).where(Conversation.sender_key == participant.sender_key)
            ).first()
            if conversation is None:
                _release(reminder, status=ReminderStatus.CANCELLED, cancel_reason="no conversation")
                return None
            trial = self._trials.get().get(appointment.trial)
            reply = message.render(appointment, trial, conversation.language)
            if reminder.send_key is not None:
                log.warning(
                    "reminder %d may have gone out already (a dispatcher stopped between "
                    "sending and recording it); sending it again",
                    reminder_id,
                )
            # Committed before the message goes: the key of this send, for the record.
            reminder.send_key = token
            reminder.sends += 1
            return _Ready(reminder_id, conversation.id, conversation.channel, reply)

    async def _send(self, ready: _Ready, token: str) -> bool:
        channel = self._channels.get(ready.channel)
        try:
            if channel is None:
                raise NotDelivered(f"no {ready.channel} channel is configured")
            ids = await channel.deliver(ready.conversation_id, [ready.reply], purpose="reminder")
        except NotDelivered as error:
            await asyncio.to_thread(self._failed, ready.reminder_id, token, error)
            return False
        await asyncio.to_thread(self._sent, ready, token, ids)
        return True

    def _sent(self, ready: _Ready, token: str, ids: list[str]) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Reminder)
                .where(
                    Reminder.id == ready.reminder_id,
                    Reminder.status == ReminderStatus.SCHEDULED,
                    Reminder.send_key == token,  # recorded once, by the send that holds the key
                )
                .values(
                    status=ReminderStatus.SENT,
                    sent_at=self._clock(),
                    channel=ready.channel,
                    message_id=next((i for i in ids if i), None),
                    last_error=None,
                    **RELEASED,
                )
                .execution_options(synchronize_session=False)
            )

    def _failed(self, reminder_id: int, token: str, error: NotDelivered) -> None:
        reason = str(error)
        with self._sessions.begin() as session:
            reminder = session.get(Reminder, reminder_id)
            if reminder is None or reminder.claim_token != token:
                return
            reminder.last_error = reason[:200]
            reminder.send_key = None  # the channel said it did not go
            if error.final or reminder.attempts >= self._max_attempts:
                _release(reminder, status=ReminderStatus.FAILED)  # a dead letter, for staff
                log.warning("reminder %d failed for good: %s", reminder_id, reason)
                return
            wait = retry_wait(
                reminder.attempts, first=self._backoff, longest=LONGEST_WAIT,
                retry_after=error.retry_after,
            )  # fmt: skip
            reminder.due_at = self._clock() + wait
            _release(reminder)
            log.info("reminder %d not delivered (%s); again in %s", reminder_id, reason, wait)


def _release(reminder: Reminder, **values: object) -> None:
    for name, value in {**RELEASED, **values}.items():
        setattr(reminder, name, value)
