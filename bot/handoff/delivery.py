"""Staff answers to a handoff, delivered on the person's channel and retried until they are.

The answers are an outbox in the database (`HandoffMessage` with a `delivery` state), written when
staff answer. Any gateway or `trialbot dispatcher` sends them, and `trialbot handoff reply` tries
at once with the same code. A claim with a lease keeps two senders from sending one message
(bot.outbox); a handoff's pending messages go together, in order. A failure is tried again, sooner
at first, then every five minutes; one that cannot succeed (the person blocked the bot) is
`failed`, with its reason, in `trialbot handoff list --all`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Update, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations, outbox
from bot.channels.base import Channel, NotDelivered, Reply
from bot.crypto import Cipher
from bot.db.models import Handoff, HandoffMessage, utcnow
from bot.handoff import replies, service
from bot.outbox import RELEASED, Outbox, retry_wait, skip_locked
from bot.settings import Settings

log = logging.getLogger(__name__)

FIRST_WAIT = dt.timedelta(seconds=15)
LONGEST_WAIT = dt.timedelta(minutes=5)
# A handoff's pending messages are claimed together; the oldest due first.
OUTBOX = Outbox(HandoffMessage, dt.timedelta(seconds=60), HandoffMessage.next_attempt_at)


@dataclass(frozen=True)
class _Batch:
    """A handoff's pending messages, rendered for its channel."""

    handoff_id: int
    conversation_id: int
    channel: str
    message_ids: list[int]
    replies: list[Reply]


@dataclass(frozen=True)
class Outcome:
    """Where a staff message stands after the first try."""

    handoff_id: int
    channel: str
    delivery: str  # sent | pending (tried again later) | failed (for good)
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class HandoffDelivery:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        channels: dict[str, Channel],
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._channels = channels
        self._cipher = Cipher.from_settings(settings)
        self._clock = clock

    async def run_once(self, handoff_id: int | None = None) -> int:
        """Send the messages due now (of one handoff only, when given); how many went out."""
        token, deadline = uuid.uuid4().hex, OUTBOX.deadline()
        batches = await asyncio.to_thread(self._claim, token, handoff_id)
        delivered = 0
        for index, batch in enumerate(batches):
            if deadline.passed():  # the rest to another round, or sender (bot.outbox)
                rest = [message_id for later in batches[index:] for message_id in later.message_ids]
                await asyncio.to_thread(self._hand_back, rest, token)
                break
            try:
                await self._send(batch)
            except NotDelivered as error:
                await asyncio.to_thread(self._failed, batch, token, error)
                continue
            await asyncio.to_thread(self._sent, batch, token)
            delivered += len(batch.message_ids)
        return delivered

    async def answer(self, handoff_id: int, text: str, *, close: bool = False) -> Outcome:
        """Queue a staff answer, then try to deliver it at once; raises HandoffError."""
        queued = await asyncio.to_thread(
            self._queue,
            lambda session, cipher: service.reply(session, cipher, handoff_id, text, close=close),
        )
        await self.run_once(handoff_id)
        return await asyncio.to_thread(self._outcome, queued)

    async def close(self, handoff_id: int) -> Outcome:
        """Close a handoff and tell the person at once (or later); raises HandoffError."""
        queued = await asyncio.to_thread(
            self._queue, lambda session, cipher: service.close(session, cipher, handoff_id)
        )
        await self.run_once(handoff_id)
        return await asyncio.to_thread(self._outcome, queued)

    async def run_forever(self, interval: float) -> None:
        await outbox.run_forever("study team message(s)", lambda: self.run_once(), interval)

    def _queue(self, write: Callable[[Session, Cipher], HandoffMessage]) -> int:
        with self._sessions.begin() as session:
            return write(session, self._cipher).id

    def _outcome(self, message_id: int) -> Outcome:
        with self._sessions() as session:
            row = session.get(HandoffMessage, message_id)
            assert row is not None
            handoff = session.get(Handoff, row.handoff_id)
            assert handoff is not None
            return Outcome(handoff.id, handoff.channel, row.delivery or "", row.last_error)

    async def _send(self, batch: _Batch) -> None:
        channel = self._channels.get(batch.channel)
        if channel is None:
            raise NotDelivered(f"no {batch.channel} channel is configured in this process")
        try:
            await channel.deliver(batch.conversation_id, batch.replies, purpose="human_answer")
        except NotDelivered:
            raise
        except Exception as error:  # a channel not started yet, the network: try again later
            raise NotDelivered(f"{type(error).__name__}: {error}") from error

    def _claim(self, token: str, handoff_id: int | None) -> list[_Batch]:
        now = self._clock()
        with self._sessions.begin() as session:
            due = (
                select(HandoffMessage.handoff_id)
                .where(_pending(), HandoffMessage.next_attempt_at <= now, OUTBOX.free(now))
                .order_by(HandoffMessage.next_attempt_at)
                .limit(50)
            )
            if handoff_id is not None:
                due = due.where(HandoffMessage.handoff_id == handoff_id)
            handoffs = set(session.scalars(skip_locked(session, due)))
            if not handoffs:
                return []
            # All of a handoff's pending messages go together, in order, unless another sender
            # is sending some of them now (they would overtake each other).
            busy = select(HandoffMessage.handoff_id).where(_pending(), ~OUTBOX.free(now))
            session.execute(
                update(HandoffMessage)
                .where(
                    HandoffMessage.handoff_id.in_(handoffs),
                    HandoffMessage.handoff_id.not_in(busy),
                    _pending(),
                    OUTBOX.free(now),
                )
                .values(**OUTBOX.taken(now, token))
                .execution_options(synchronize_session=False)
            )
            held = session.scalars(
                select(HandoffMessage)
                .where(HandoffMessage.claim_token == token)
                .order_by(HandoffMessage.handoff_id, HandoffMessage.id)
            ).all()
            return self._batches(session, list(held))

    def _batches(self, session: Session, held: list[HandoffMessage]) -> list[_Batch]:
        batches: list[_Batch] = []
        for handoff_id in dict.fromkeys(row.handoff_id for row in held):
            rows = [row for row in held if row.handoff_id == handoff_id]
            handoff = session.get(Handoff, handoff_id)
            assert handoff is not None  # its messages would have gone with it
            conversation = conversations.by_id(session, handoff.conversation_id)
            language = conversation.language if conversation else handoff.language
            rendered = [self._render(row, language, handoff.status == "open") for row in rows]
            batches.append(
                _Batch(
                    handoff_id,
                    handoff.conversation_id,
                    handoff.channel,
                    [row.id for row in rows],
                    rendered,
                )
            )
        return batches

    def _render(self, row: HandoffMessage, language: str, still_open: bool) -> Reply:
        text = self._cipher.decrypt(row.text)
        if row.author == "staff":
            return replies.staff_answer(text, language, still_open=still_open)
        return replies.closed_by_staff(text, language)

    def _hand_back(self, message_ids: list[int], token: str) -> None:
        with self._sessions.begin() as session:
            OUTBOX.hand_back(session, message_ids, token)

    def _sent(self, batch: _Batch, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                _held(batch, token).values(
                    **RELEASED, delivery="sent", sent_at=self._clock(), last_error=None
                )
            )
        log.info("%d message(s) of handoff %d delivered", len(batch.message_ids), batch.handoff_id)

    def _failed(self, batch: _Batch, token: str, error: NotDelivered) -> None:
        reason = str(error)[:200]
        with self._sessions.begin() as session:
            attempts = max(
                session.scalars(
                    select(HandoffMessage.attempts).where(HandoffMessage.id.in_(batch.message_ids))
                ),
                default=1,
            )
            wait = retry_wait(
                attempts, first=FIRST_WAIT, longest=LONGEST_WAIT, retry_after=error.retry_after
            )
            values: dict[str, object] = {
                **RELEASED,
                "last_error": reason,
                "next_attempt_at": self._clock() + wait,
            }
            if error.final:
                values["delivery"] = "failed"
            session.execute(_held(batch, token).values(**values))
        if error.final:
            log.error("handoff %d: answer not delivered, for good: %s", batch.handoff_id, reason)
        else:
            log.warning(
                "handoff %d: answer not delivered (%s); again in %s", batch.handoff_id, reason, wait
            )


def _pending() -> ColumnElement[bool]:
    return HandoffMessage.delivery == "pending"


def _held(batch: _Batch, token: str) -> Update:
    return (
        update(HandoffMessage)
        .where(OUTBOX.held(batch.message_ids, token))
        .execution_options(synchronize_session=False)
    )
