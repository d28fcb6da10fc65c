"""Sends due reminders and check-ins through the channels, from the database alone: a restart
loses nothing.

Each kind of message (`Kind`: reminders, and check-ins, bot.checkins.sending) is a table of the
shared outbox (bot.outbox). Each round plans the check-ins still to come, then, kind by kind,
claims a batch, checks at the moment of sending that each may still go (consent to the version
in effect, messages not stopped, a chat bound, the appointment not cancelled), writes the send's
idempotency key, sends it in the participant's language, and records the channel's message id
under that key. One message at a time, so a dispatcher that dies leaves at most one message
whose key is written but not its record: the next holder sends it again (at least once, at most
one duplicate) and counts it in `sends`. A channel error puts it back with exponential back-off
(never sooner than the platform's `retry_after`); after `max_attempts`, or at once when trying
again cannot help (the person blocked the bot), it is `failed` with its reason, for staff
(`trialbot reminders list`). It runs inside the gateway, which holds the channels, or alone
(`standalone`), and needs no Rasa server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations, outbox
from bot.channels.base import Channel, NotDelivered, Purpose, Reply
from bot.checkins import planning
from bot.checkins.sending import Checkins
from bot.consent.service import ConsentTexts
from bot.db.models import (
    Appointment,
    AppointmentStatus,
    Participant,
    Reminder,
    ReminderStatus,
    utcnow,
)
from bot.outbox import RELEASED, Outbox, retry_wait
from bot.reminders import message, permission
from bot.reminders.kind import Kind, Later, Prepared
from bot.settings import Settings
from bot.trials import Catalogue

log = logging.getLogger(__name__)

LONGEST_WAIT = dt.timedelta(hours=1)


class Reminders:
    """Appointment reminders (bot.reminders.message), with their confirm / reschedule buttons."""

    what = "reminder"
    model = Reminder
    statuses: type[enum.StrEnum] = ReminderStatus
    purpose: Purpose = "reminder"

    def __init__(self, consents: ConsentTexts, trials: Catalogue) -> None:
        self._consents, self._trials = consents, trials

    def prepare(self, session: Session, row: Any, now: dt.datetime) -> Prepared | Later | str:
        reminder: Reminder = row
        appointment = session.get(Appointment, reminder.appointment_id)
        why = permission.refusal(session, self._consents.get(), reminder)
        if why is None and (
            appointment is None or appointment.status == AppointmentStatus.CANCELLED
        ):
            why = "appointment cancelled"
        if why is not None or appointment is None:
            return why or "appointment cancelled"
        participant = session.get(Participant, appointment.participant_id)
        assert participant is not None and participant.sender_key is not None  # refusal checked
        conversation = conversations.by_sender_key(session, participant.sender_key)
        if conversation is None:
            return "no conversation"
        trial = self._trials.get().get(appointment.trial)
        reminder_text = message.render(
            appointment, trial, conversation.language, participant.timezone
        )
        return Prepared(conversation, reminder_text)


@dataclass(frozen=True)
class _Ready:
    kind: Kind
    row_id: int
    conversation_id: int
    channel: str
    reply: Reply
    recorded: dict[str, Any]


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
        self._lease = lease or dt.timedelta(seconds=settings.reminder_lease)
        self._max_attempts, self._backoff = max_attempts, backoff
        self._clock = clock
        consents = ConsentTexts(settings.knowledge_dir)
        self._trials = Catalogue(settings.knowledge_dir)
        self._kinds: tuple[Kind, ...] = (
            Reminders(consents, self._trials),
            Checkins(consents, self._trials),
        )
        self._planned_at: float | None = None

    async def run_once(self) -> int:
        """Plan the check-ins still to come, then send what is due now; how many went out."""
        every = self._settings.checkin_plan_interval
        if self._planned_at is None or time.monotonic() - self._planned_at >= every:
            await asyncio.to_thread(self.plan)
            self._planned_at = time.monotonic()
        sent = 0
        for kind in self._kinds:
            sent += await self._send_due(kind)
        return sent

    def plan(self) -> int:
        """Make the check-in rows still to come, and close those whose answers are over."""
        now = self._clock()
        try:
            with self._sessions.begin() as session:
                made = planning.plan(session, self._trials.get(), now)
        except IntegrityError:
            log.info("check-ins were planned by another dispatcher meanwhile")
            made = 0
        with self._sessions.begin() as session:
            planning.close_over(session, now)
        return made

    async def _send_due(self, kind: Kind) -> int:
        """Send the due rows of one kind, one message at a time: a crash can then leave at most
        one sent but not recorded. What the first half of the lease did not reach is handed
        back, so that no other dispatcher takes over a row this one is still about to send."""
        box = Outbox(kind.model, self._lease, kind.model.due_at)
        deadline = box.deadline()
        token, held = await asyncio.to_thread(self._claim, kind, box)
        sent = 0
        for index, row_id in enumerate(held):
            if deadline.passed():
                await asyncio.to_thread(self._hand_back, box, held[index:], token)
                break
            ready = await asyncio.to_thread(self._prepare, kind, row_id, token)
            if ready is not None and await self._send(ready, token):
                sent += 1
        return sent

    async def run_forever(self, interval: float) -> None:
        await outbox.run_forever("reminder(s) and check-in(s)", self.run_once, interval)

    def _claim(self, kind: Kind, box: Outbox) -> tuple[str, list[int]]:
        now = self._clock()
        model = kind.model
        ready = (model.status == kind.statuses("scheduled")) & (model.due_at <= now)
        with self._sessions.begin() as session:
            return box.claim(session, ready, now, limit=self._batch)

    def _hand_back(self, box: Outbox, row_ids: list[int], token: str) -> None:
        with self._sessions.begin() as session:
            box.hand_back(session, row_ids, token)

    def _prepare(self, kind: Kind, row_id: int, token: str) -> _Ready | None:
        """The message to send, or None when the row may not (or need not) go any more."""
        with self._sessions.begin() as session:
            row = session.get(kind.model, row_id)
            if row is None or row.claim_token != token:
                return None  # another dispatcher took it over
            if row.status != kind.statuses("scheduled"):
                return None  # cancelled meanwhile, with its own reason
            prepared = kind.prepare(session, row, self._clock())
            if isinstance(prepared, str):
                _release(row, status=kind.statuses("cancelled"), cancel_reason=prepared[:64])
                log.info("%s %d not sent: %s", kind.what, row_id, prepared)
                return None
            if isinstance(prepared, Later):
                # Not tried: its try is not counted, and it is due again then.
                _release(row, due_at=prepared.until, attempts=max(row.attempts - 1, 0))
                return None
            if row.send_key is not None:
                log.warning(
                    "%s %d may have gone out already (a dispatcher stopped between sending and "
                    "recording it); sending it again",
                    kind.what,
                    row_id,
                )
            # Committed before the message goes: the key of this send, for the record.
            row.send_key = token
            row.sends += 1
            conversation = prepared.conversation
            return _Ready(kind, row_id, conversation.id, conversation.channel, prepared.reply,
                          prepared.recorded)  # fmt: skip

    async def _send(self, ready: _Ready, token: str) -> bool:
        channel = self._channels.get(ready.channel)
        try:
            if channel is None:
                raise NotDelivered(f"no {ready.channel} channel is configured")
            ids = await channel.deliver(
                ready.conversation_id, [ready.reply], purpose=ready.kind.purpose
            )
        except NotDelivered as error:
            await asyncio.to_thread(self._failed, ready, token, error)
            return False
        await asyncio.to_thread(self._sent, ready, token, ids)
        return True

    def _sent(self, ready: _Ready, token: str, ids: list[str]) -> None:
        model, statuses = ready.kind.model, ready.kind.statuses
        with self._sessions.begin() as session:
            session.execute(
                update(model)
                .where(
                    model.id == ready.row_id,
                    model.status == statuses("scheduled"),
                    model.send_key == token,  # recorded once, by the send that holds the key
                )
                .values(
                    status=statuses("sent"),
                    sent_at=self._clock(),
                    channel=ready.channel,
                    message_id=next((i for i in ids if i), None),
                    last_error=None,
                    **RELEASED,
                    **ready.recorded,
                )
                .execution_options(synchronize_session=False)
            )

    def _failed(self, ready: _Ready, token: str, error: NotDelivered) -> None:
        reason, what = str(error), ready.kind.what
        with self._sessions.begin() as session:
            row = session.get(ready.kind.model, ready.row_id)
            if row is None or row.claim_token != token:
                return
            row.last_error = reason[:200]
            row.send_key = None  # the channel said it did not go
            if error.final or row.attempts >= self._max_attempts:
                _release(row, status=ready.kind.statuses("failed"))  # a dead letter, for staff
                log.warning("%s %d failed for good: %s", what, ready.row_id, reason)
                return
            wait = retry_wait(
                row.attempts, first=self._backoff, longest=LONGEST_WAIT,
                retry_after=error.retry_after,
            )  # fmt: skip
            row.due_at = self._clock() + wait
            _release(row)
            log.info("%s %d not delivered (%s); again in %s", what, ready.row_id, reason, wait)


def _release(row: Any, **values: object) -> None:
    for name, value in {**RELEASED, **values}.items():
        setattr(row, name, value)
