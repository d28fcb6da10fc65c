"""The single message path: channel → database → Rasa → replies, for every channel.

A message is committed before it goes to Rasa and marked answered after; if Rasa is down the
person is told so in their language and the message waits. A recovery loop forwards waiting
messages once Rasa is back and delivers the replies through the conversation's channel.

With several gateways (a fleet behind a load balancer) one conversation's messages still go to
Rasa one at a time and in order: a gateway forwards a message only once every earlier waiting
message of its conversation is answered or in its own hands. One that another gateway holds is
waited for (that gateway is forwarding it), and taken over when that gateway's lease runs out
(it died); past RASA_TIMEOUT_SECONDS of waiting, the new message is kept for the recovery loop,
which forwards the conversation's messages in order too. A message is marked answered before
its replies leave the gateway, so that a gateway killed after Rasa answered leaves a message
that the recovery loop finds answered in Rasa's tracker (`_send`) and delivers once, late.

A gateway's hold on the messages it forwards is a short lease (LEASE) that it renews while it
works on them (`Keeper`, a thread of its own, whatever the event loop is busy with): a gateway
that died lets its messages go within LEASE, and one that is alive and slow (Rasa taking its
time) keeps them. Before each message goes to Rasa, the gateway renews its hold on it and checks
that it still has it (`_still_held`): one that lost it (stalled for longer than the lease, or
cut off from the database) leaves it to the gateway that took it over, which asks Rasa's
tracker before sending it again. A hold is renewed only while its holder keeps working on it:
past 2 × RASA_TIMEOUT_SECONDS + 5 s without a step, it is left to lapse. The gateways' clocks
must agree to within LEASE - RENEW_EVERY (NTP does it to milliseconds).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations, timing, understanding, wording
from bot.campaigns import parse_referral
from bot.channels import web
from bot.channels.base import Channel, Inbound, NotDelivered, Reply
from bot.checkins import asking as checkins
from bot.crypto import Cipher
from bot.db.models import (
    Conversation,
    InboundMessage,
    LanguageSource,
    MessageStatus,
    Participant,
    SafetyEvent,
    Screening,
    as_utc,
    utcnow,
)
from bot.gateway import limits as abuse
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.handoff import replies as handoff_replies
from bot.handoff import service as handoffs
from bot.i18n import messages
from bot.i18n.detect import detect_language
from bot.outbox import RELEASED, Outbox
from bot.pseudonym import pseudonym
from bot.redact import redact
from bot.reminders import participants
from bot.rights import erasure
from bot.safety import asking, events, followup, remainder, respond
from bot.safety import detect as safety
from bot.screening import store as screenings
from bot.settings import Settings
from bot.trials import Catalogue, named_in

log = logging.getLogger(__name__)

# What a newly linked participant's chat says to Rasa: the consent to reminders comes next.
WANT_REMINDERS = "/want_reminders"

# How long the safety check waits for the NLU's reading before the rules decide alone.
NLU_TIMEOUT = 3.0

# After this many failed forwards with Rasa up, a message is set aside instead of retried forever.
MAX_ATTEMPTS = 5

# How often a message waits to see whether an earlier one, held by another gateway, is done.
BEHIND_POLL = 0.2

# When Rasa answers that a turn failed, how long before the message is sent to it once more.
AGAIN_AFTER = 0.5  # seconds

# Conversations whose waiting messages the recovery loop forwards at once.
RECOVERY_CONCURRENCY = 8

# A gateway's hold on the messages it forwards, renewed every RENEW_EVERY while it works on them:
# another gateway takes a dead one's messages within LEASE of its death.
LEASE = timedelta(seconds=6)
RENEW_EVERY = 1.5  # seconds

# How long after an emergency an "ok" gets the emergency number again rather than an offer.
EMERGENCY_STILL_IN_MIND = timedelta(minutes=30)


@dataclass(frozen=True)
class Turn:
    """What forwarding needs to know of a conversation, read in one transaction."""

    conversation_id: int
    channel: str
    sender_key: str
    language: str
    rasa_slots: dict[str, Any]
    trial: str | None = None


@dataclass(frozen=True)
class Waiting:
    id: int
    text: str
    meta: dict[str, Any]
    attempts: int = 0
    fresh: bool = False  # received in this very request, so Rasa cannot have seen it
    parse: dict[str, Any] | None = None  # the NLU's reading of `text`, if the safety check took it


@dataclass(frozen=True)
class Accepted:
    """A message committed to the database, with the conversation's others that wait for Rasa."""

    turn: Turn
    waiting: list[Waiting]
    # What the gateway answers itself (a participant's link code, an emergency), instead of Rasa.
    notice: Reply | None = None
    # What the gateway says after the rest: a side effect's follow-up question.
    after: tuple[Reply, ...] = ()
    # A side effect whose follow-up waited for a form to end: asked after Rasa's answer if the
    # form is over by then.
    resume: int | None = None
    # The claim on `waiting`, kept alive by this gateway until `answer` is done with it.
    token: str | None = None
    # The message itself, once committed.
    message_id: int | None = None


@dataclass(frozen=True)
class Sent:
    """A web message sent again: what became of it the first time."""

    id: int
    status: MessageStatus
    replies: str | None  # what its request was given, encrypted
    held: bool  # a gateway is working on it
    language: str


@dataclass(frozen=True)
class Refusal:
    """A message over its limit, and its conversation when there is one."""

    verdict: abuse.Verdict
    turn: Turn | None


class Relay:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        channels: dict[str, Channel],
        limits: abuse.Limits | None = None,
        lease: timedelta = LEASE,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self._settings = settings
        self._limits = limits
        self._sessions = sessions
        self._rasa = rasa
        self._channels = channels
        self._key = settings.pseudonym_secret()
        self._cipher = Cipher.from_settings(settings)
        self._trials = Catalogue(settings.knowledge_dir)
        # Waiting messages are claimed like any outbox's rows (bot.outbox), oldest first; a try
        # is counted when Rasa fails on it (`_release`), not when it is claimed. The claim is
        # short and renewed while this gateway works on the messages (`Keeper`).
        self._outbox = Outbox(InboundMessage, lease, InboundMessage.id, count_at_claim=False)
        stall = settings.rasa_timeout * 2 + 5  # seconds: one step's longest, with a margin
        self._keeper = Keeper(sessions, lease, stall=stall, every=renew_every)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def sender_key(self, channel: str, user_id: str) -> str:
        return pseudonym(self._key, channel, user_id)

    @property
    def cipher(self) -> Cipher:
        return self._cipher

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """The assistant's replies to one inbound message (an apology if Rasa cannot answer).

        A web message sent with an id is answered once, however often it is sent: the page sends
        it again when the response was lost (a gateway died with the request), and gets the
        replies it was given (`_given`).
        """
        accepted = await self.accept(inbound)
        again = inbound.channel == web.NAME and bool(inbound.external_id)
        if accepted is None:
            return await self._given(inbound) if again else []
        replies = await self.answer(accepted)
        if again and accepted.message_id is not None:
            await asyncio.to_thread(
                self._give, accepted.turn.conversation_id, accepted.message_id, replies
            )
        return replies

    def _give(self, conversation_id: int, message_id: int, replies: list[Reply]) -> None:
        """Keep what a web message was given, for a resend of it; what the conversation's
        earlier messages were given is not needed any more (the page sends one at a time)."""
        body = self._cipher.encrypt_json([reply.to_json() for reply in replies])
        mine = InboundMessage.conversation_id == conversation_id
        with self._sessions.begin() as session:
            session.execute(
                update(InboundMessage)
                .where(mine, InboundMessage.id < message_id, InboundMessage.replies.is_not(None))
                .values(replies=None)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(InboundMessage)
                .where(InboundMessage.id == message_id)
                .values(replies=body)
                .execution_options(synchronize_session=False)
            )

    async def _given(self, inbound: Inbound) -> list[Reply]:
        """The replies a web message sent before was given, for its resend.

        While the gateway that has it works on it, they are waited for (up to
        RASA_TIMEOUT_SECONDS). Answered by a gateway that died before keeping them: Rasa's
        answer, from its tracker. Still waiting for Rasa: the apology it was given; the answer
        comes through the page's updates once the recovery loop has it.
        """
        key = self.sender_key(inbound.channel, inbound.user_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.rasa_timeout
        while True:
            sent = await asyncio.to_thread(self._sent_before, key, inbound.external_id or "")
            if sent is None:
                return []
            if sent.replies is not None:
                return [Reply.from_rasa(item) for item in self._cipher.decrypt_json(sent.replies)]
            if not sent.held or loop.time() >= deadline:
                break
            await asyncio.sleep(BEHIND_POLL)
        if sent.status == MessageStatus.PENDING:
            return [Reply(text=self._apology(sent.language))]
        if sent.status != MessageStatus.DONE:
            return []
        try:
            answer = await self._rasa.replies_to(key, sent.id)
        except RasaUnavailable as error:
            log.info("the replies to a message sent again could not be read (%s)", error)
            return []
        return [Reply.from_rasa(item) for item in answer or () if not _erasure(item)]

    def _sent_before(self, key: str, external_id: str) -> Sent | None:
        with self._sessions() as session:
            row = session.execute(
                select(
                    InboundMessage.id,
                    InboundMessage.status,
                    InboundMessage.replies,
                    InboundMessage.claim_token,
                    InboundMessage.claimed_until,
                    Conversation.language,
                )
                .join(Conversation, Conversation.id == InboundMessage.conversation_id)
                .where(Conversation.sender_key == key, InboundMessage.external_id == external_id)
            ).first()
        if row is None:
            return None
        until = row.claimed_until
        held = row.claim_token is not None and until is not None and as_utc(until) > utcnow()
        return Sent(row.id, row.status, row.replies, held, row.language)

    def _apology(self, language: str) -> str:
        """Rasa could not answer: the message is kept, and what to do meanwhile."""
        return messages.text(
            "rasa_unavailable", language, emergency_number=self._settings.emergency_number
        )

    async def accept(self, inbound: Inbound) -> Accepted | None:
        """Commit `inbound`; None when the platform delivered it before (it is answered once).

        Over its conversation's limit (never an emergency) a web message is refused with
        `TooMany`; in a messaging app the person is told once a window, and the rest dropped.
        """
        key = self.sender_key(inbound.channel, inbound.user_id)
        with timing.stage("safety"):
            rules = safety.check(inbound.text)
            if rules is None and (told := safety.check_participant(inbound.text)) is not None:
                # A stay in hospital, a symptom: a side effect when a participant says it.
                rules = told if await asyncio.to_thread(self._participant, key) else None
        if self._limits is not None and (rules is None or rules.kind != "emergency"):
            refusal = await self._over_limit(self._limits, inbound, key)
            if refusal is not None:
                return self._refuse(inbound, refusal)
        with timing.stage("safety"):
            finding, parse = await self._assess(inbound.text, rules)
        async with self._lock(key):
            accepted = await asyncio.to_thread(self._receive_once, inbound, key, finding, parse)
        if accepted is not None and accepted.waiting and accepted.token is not None:
            self._keeper.hold(accepted.token)  # until `answer` is done with them
        return accepted

    async def _over_limit(self, limits: abuse.Limits, inbound: Inbound, key: str) -> Refusal | None:
        """None within the conversation's limit (and, new on the web, its address's)."""
        turn, new = await asyncio.to_thread(self._known, key)
        verdict = await limits.per_conversation(key)
        address = abuse.CLIENT.get()
        if verdict.allowed and new and inbound.channel == web.NAME and address:
            verdict = await limits.new_conversation(address)
        if verdict.allowed:
            return None
        log.info("a %s message over its limit refused", inbound.channel)
        return Refusal(verdict, turn)

    def _refuse(self, inbound: Inbound, refusal: Refusal) -> Accepted | None:
        """The web request answers 429; in a messaging app, told once a window, else dropped."""
        turn, verdict = refusal.turn, refusal.verdict
        language = turn.language if turn is not None else self._language_of(inbound)
        if inbound.channel == web.NAME:
            raise abuse.TooMany(verdict.retry_after, language)
        if turn is None or not verdict.first_refusal:
            return None
        text = abuse.refusal_text(language, verdict.retry_after, self._settings)
        return Accepted(turn, [], Reply(text=text))

    def _participant(self, key: str) -> bool:
        """Whether the chat of `key` is linked to a participant of a trial."""
        with self._sessions() as session:
            found = session.scalar(select(Participant.id).where(Participant.sender_key == key))
            return found is not None

    def _known(self, key: str) -> tuple[Turn | None, bool]:
        """The conversation so far, and whether this is its first message."""
        with self._sessions() as session:
            conversation = conversations.by_sender_key(session, key)
            if conversation is None:
                return None, True
            return _turn(conversation), conversation.messages_seen == 0

    def _language_of(self, inbound: Inbound) -> str:
        """A new conversation's language, as its first message will set it."""
        chosen = conversations.as_language(inbound.hints.chosen)
        return chosen or detect_language(inbound.text) or self._settings.default_language

    async def _assess(
        self, text: str, rules: safety.Finding | None
    ) -> tuple[safety.Finding | None, dict[str, Any] | None]:
        """The safety check: the rules' finding, and the NLU's reading for what they missed;
        with that reading, which Rasa takes instead of reading the same words again.

        With Rasa down, or slow, the rules decide alone: the message must not wait for it.
        """
        if rules is not None or not safety.worth_reading(text):
            return rules, None
        try:
            parse = await self._rasa.parse(text, within=NLU_TIMEOUT)
        except RasaUnavailable as error:
            log.info("safety check without the NLU (%s)", error)
            return None, None
        intent = parse["intent"]
        finding = safety.from_nlu(
            text, safety.Intent(intent["name"], float(intent.get("confidence") or 0.0))
        )
        return finding, parse

    async def answer(self, accepted: Accepted) -> list[Reply]:
        """Forward an accepted message, and those waiting before it, to Rasa; the replies."""
        if accepted.token is None:
            return await self._answer(accepted, "")
        with self._keeper.holding(accepted.token):
            return await self._answer(accepted, accepted.token)

    async def _answer(self, accepted: Accepted, token: str) -> list[Reply]:
        turn = accepted.turn
        replies: list[Reply] = [accepted.notice] if accepted.notice is not None else []
        failed = False
        answered: list[Reply] = []
        if accepted.waiting:
            # Waited for outside the lock: the earlier message may be this gateway's own.
            waiting = await self._after_earlier(turn, accepted.waiting, token)
            if waiting is None:  # still behind another gateway's: the recovery loop's
                answered, failed = [], True
            else:
                async with self._lock(turn.sender_key):
                    answered, failed = await self._forward(turn, waiting, token)
            replies.extend(answered)
            if not replies and not failed:
                # Nothing in the dialogue answered it: never silence.
                replies.append(Reply(text=await self._nothing_answered(turn, accepted.waiting)))
        if failed:
            replies.append(Reply(text=self._apology(turn.language)))
        replies.extend(accepted.after)
        if not failed and accepted.resume is not None and not _asks_for_a_choice(answered):
            # The question last: "treated as urgent", among `after`, is said before it.
            resumed = await asyncio.to_thread(self._resume_follow_up, accepted.resume)
            replies.extend([resumed] if resumed is not None else [])
        return replies

    async def _after_earlier(
        self, turn: Turn, waiting: list[Waiting], token: str
    ) -> list[Waiting] | None:
        """`waiting`, with the conversation's earlier messages that it must follow, once no
        other gateway holds any of them (those it takes are held with `token`); None (`waiting`
        handed back to the recovery loop) when one is still held after RASA_TIMEOUT_SECONDS."""
        deadline = asyncio.get_running_loop().time() + self._settings.rasa_timeout
        ours = [message.id for message in waiting]
        while True:
            self._keeper.touch(token)  # waiting is working on them
            behind, taken = await asyncio.to_thread(
                self._earlier, turn.conversation_id, ours, token
            )
            if not behind:
                return sorted([*taken, *waiting], key=lambda message: message.id)
            if asyncio.get_running_loop().time() >= deadline:
                log.info("a message waits behind another gateway's; kept for recovery")
                await asyncio.to_thread(self._hand_back, ours)
                return None
            await asyncio.sleep(BEHIND_POLL)

    def _earlier(
        self, conversation_id: int, ours: list[int], token: str
    ) -> tuple[bool, list[Waiting]]:
        """Whether another gateway holds a waiting message of the conversation from before the
        last of `ours`; if not, those of them that wait free (a dead gateway's), now claimed
        with `token`."""
        with self._sessions.begin() as session:
            before = and_(
                InboundMessage.conversation_id == conversation_id,
                InboundMessage.status == MessageStatus.PENDING,
                InboundMessage.id < max(ours),
                InboundMessage.id.not_in(ours),
            )
            held = session.scalar(
                select(InboundMessage.id).where(before, ~self._outbox.free(utcnow())).limit(1)
            )
            if held is not None:
                return True, []
            return False, self._claimed(session, before, token or uuid.uuid4().hex)

    def _hand_back(self, ids: list[int]) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(InboundMessage)
                .where(InboundMessage.id.in_(ids), InboundMessage.status == MessageStatus.PENDING)
                .values(**RELEASED)
                .execution_options(synchronize_session=False)
            )

    def _resume_follow_up(self, event_id: int) -> Reply | None:
        """A side effect's first follow-up question, once the form that held it back is over."""
        with self._sessions.begin() as session:
            event = session.get(SafetyEvent, event_id, with_for_update=True)
            if event is None or event.follow_up_step != asking.LATER:
                return None
            if _waits_for_answer(screenings.latest(session, event.sender_key)):
                return None
            if checkins.open_for(session, event.sender_key, utcnow()) is not None:
                return None  # the check-in's questions first: it asks this after them
            return asking.resume(session, self._cipher, event)

    async def _nothing_answered(self, turn: Turn, waiting: list[Waiting]) -> str:
        """What to say when the dialogue had nothing to say: to an "ok" just after an
        emergency, the emergency number again; to another "ok", an offer; else "not caught"."""
        if not all(wording.is_acknowledgement(message.text) for message in waiting):
            return messages.text("not_caught", turn.language)
        if await asyncio.to_thread(self._emergency_lately, turn.sender_key):
            number = self._settings.emergency_number
            return messages.text("after_emergency", turn.language, emergency_number=number)
        return messages.text("acknowledged", turn.language)

    def _emergency_lately(self, sender_key: str) -> bool:
        since = utcnow() - EMERGENCY_STILL_IN_MIND
        with self._sessions() as session:
            found = session.scalar(
                select(SafetyEvent.id)
                .where(
                    SafetyEvent.sender_key == sender_key,
                    SafetyEvent.kind == "emergency",
                    SafetyEvent.created_at >= since,
                )
                .limit(1)
            )
        return found is not None

    async def recover(self) -> int:
        """Forward messages left waiting (Rasa was down, a gateway died); returns how many."""
        await asyncio.to_thread(self._finish_erasures)
        if not await self._rasa.is_up():
            return 0
        turns = await asyncio.to_thread(self._conversations_waiting)
        if not turns:
            return 0
        # The first alone: should Rasa still fail (its lock store away, say), one try is
        # counted, not one for every conversation waiting. Then the others side by side (a
        # fault leaves many waiting at once), none started once one has failed.
        forwarded, failed = await self._recover_one(turns[0])
        if failed:
            return forwarded
        gate = asyncio.Semaphore(RECOVERY_CONCURRENCY)
        stop = asyncio.Event()

        async def one(turn: Turn) -> int:
            async with gate:
                if stop.is_set():
                    return 0
                count, failed = await self._recover_one(turn)
                if failed:
                    stop.set()
                return count

        return forwarded + sum(await asyncio.gather(*(one(turn) for turn in turns[1:])))

    async def _recover_one(self, turn: Turn) -> tuple[int, bool]:
        """Forward a conversation's waiting messages and deliver the replies; how many were
        tried, and whether Rasa failed on one."""
        token = uuid.uuid4().hex
        async with self._lock(turn.sender_key):
            with self._keeper.holding(token):
                waiting = await asyncio.to_thread(self._claim_waiting, turn.conversation_id, token)
                replies, failed = await self._forward(turn, waiting, token)
        if replies:
            await self._deliver(turn, replies)
        return len(waiting), failed

    async def run_recovery(self) -> None:
        """Recover forever, every `recovery_interval` seconds (a gateway background task)."""
        while True:
            try:
                if count := await self.recover():
                    log.info("recovered %d waiting message(s)", count)
            except Exception:
                log.exception("recovery round failed; trying again")
            await asyncio.sleep(self._settings.recovery_interval)

    async def _deliver(self, turn: Turn, replies: list[Reply]) -> None:
        channel = self._channels.get(turn.channel)
        if channel is None:
            log.error("no %s channel is configured; replies for %s kept back", turn.channel, turn)
            return
        try:
            await channel.deliver(turn.conversation_id, replies)
        except NotDelivered as error:
            log.warning(
                "late replies to conversation %d not delivered: %s", turn.conversation_id, error
            )

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def first_delivery(self, channel: str, user_id: str, external_id: str | None) -> bool:
        """Whether a message the assistant cannot read (a photo, a voice note) arrives for the
        first time. Its id is kept, and nothing of what it holds, so that the platform's
        repeated delivery of it is not answered a second time."""
        if not external_id:
            return True
        key = self.sender_key(channel, user_id)
        for _ in range(2):  # another gateway may create the conversation meanwhile
            try:
                with self._sessions.begin() as session:
                    conversation = conversations.get_or_create(
                        session,
                        channel=channel,
                        sender_key=key,
                        default_language=self._settings.default_language,
                    )
                    if _seen(session, conversation.id, external_id[:128]):
                        return False
                    session.add(
                        InboundMessage(
                            conversation_id=conversation.id,
                            text=None,
                            external_id=external_id[:128],
                            meta={"unreadable": True},
                            status=MessageStatus.DONE,
                        )
                    )
                return True
            except IntegrityError:
                continue
        return False  # the same delivery, taken by another gateway at the same moment

    def _receive_once(
        self,
        inbound: Inbound,
        key: str,
        finding: safety.Finding | None,
        parse: dict[str, Any] | None = None,
    ) -> Accepted | None:
        try:
            return self._receive(inbound, key, finding, parse)
        except IntegrityError:
            # Another gateway created the conversation, or took the same delivery, meanwhile.
            log.info("concurrent delivery for one conversation; reading it again")
            return self._receive(inbound, key, finding, parse)

    def _receive(
        self,
        inbound: Inbound,
        key: str,
        finding: safety.Finding | None,
        parse: dict[str, Any] | None = None,
    ) -> Accepted | None:
        with self._sessions.begin() as session:
            conversation = conversations.get_or_create(
                session,
                channel=inbound.channel,
                sender_key=key,
                default_language=self._settings.default_language,
            )
            if inbound.external_id and _seen(session, conversation.id, inbound.external_id):
                log.info("repeated delivery %s dropped", inbound.external_id)
                return None
            conversations.apply_language_hints(conversation, inbound.text, inbound.hints)
            conversation.messages_seen += 1
            conversation.last_seen_at = utcnow()
            if inbound.address and conversation.address is None:
                conversation.address = self._cipher.encrypt(inbound.address)
            referral = parse_referral(inbound.referral)
            if referral.campaign and conversation.campaign is None:
                conversation.campaign = referral.campaign
            if referral.trial:
                conversation.trial = referral.trial  # the latest link is the one they followed
            meta = dict(inbound.metadata)
            text = inbound.text
            code = participants.looks_like_code(referral.link_code or inbound.text)
            if code and referral.link_code and participants.bound_to(session, code, key):
                # Their own link again (the web page sends it with every message): already done.
                code = None
            notice, linked = self._link(session, conversation, key, code) if code else (None, False)
            go_on = linked  # whether Rasa also reads the message after the gateway's notice
            after: tuple[Reply, ...] = ()
            resume = None
            if notice is None and (finding is None or finding.kind != "emergency"):
                # A check-in waiting for an answer reads the message first; a side effect it
                # tells of is recorded with it.
                notice, after, finding, checked = self._checkin(
                    session, conversation, inbound, finding
                )
            else:
                checked = False
            if notice is None and not checked and (finding is None or finding.kind != "emergency"):
                # A side effect's follow-up waiting for an answer reads the message first (its
                # own words about the side effect are the answer, not a new report).
                pending = asking.open_for(session, key)
                if pending is not None and pending.follow_up_step == asking.LATER:
                    # "stop" or a goodbye ends a form: the questions held back end with it.
                    resume = pending.id if asking.still_waits(pending, inbound.text) else None
                elif pending is not None and not _other_button(inbound.text):
                    # (Another button, "Was this helpful? 👍", goes on to Rasa; the question
                    # stays open.)
                    reports = finding is not None and finding.kind == "adverse_event"
                    answered = asking.answer(
                        session, self._settings, self._cipher, pending, inbound.text,
                        reports=reports,
                    )  # fmt: skip
                    if answered.kept:
                        finding = None  # more of the same report, kept with it
                    if answered.answered:
                        notice, finding = answered.replies[0], None
                        after = answered.replies[1:]
                    else:  # the assistant answers first; then what the follow-up says
                        after = answered.replies
                        if pending.follow_up_step == asking.LATER:
                            resume = pending.id
                elif finding is None and (
                    late := asking.late_answer(
                        session, self._settings, self._cipher, key, inbound.text
                    )
                ):
                    # The answer to a question moved on from, typed just after: taken.
                    notice, after = late.replies[0], late.replies[1:]
                elif followup.is_button(inbound.text) or (
                    followup.skips(inbound.text)
                    and asking.ended_lately(session, key, utcnow())
                    and not _waits_for_answer(screenings.latest(session, key))
                ):
                    # A follow-up's button tapped, or "skip" typed, after its questions ended.
                    notice = Reply(text=messages.text("follow_up_ended", conversation.language))
            if finding is not None and (notice is None or finding.kind == "emergency"):
                # An emergency comes before all else, a link code in the same message included.
                go_on = go_on and finding.kind != "emergency"
                screening = screenings.latest(session, conversation.sender_key)
                notice, event = self._safety(session, conversation, inbound, finding, screening)
                if finding.kind == "adverse_event":
                    # The report is acknowledged; what else the message asks still gets its
                    # answer, and a pre-screening waiting for an answer asks its question again
                    # (an emergency stops everything else). Then the follow-up's questions,
                    # unless a form has the person's attention: they come once it is over.
                    text = remainder.rest(inbound.text) or (
                        inbound.text if _waits_for_answer(screening) else ""
                    )
                    go_on = bool(text) and not self._noted_for_team(session, conversation, text)
                    after = asking.start(
                        session, self._settings, self._cipher, event, inbound.text,
                        ask_now=not go_on and not _waits_for_answer(screening),
                    )  # fmt: skip
                    # With the rest of the message before Rasa, asked after its answer
                    # unless that answer is a form's question.
                    later = go_on and event.follow_up_step == asking.LATER
                    resume = event.id if later and not _waits_for_answer(screening) else None
            if notice is None:
                typed_back = wording.back_to_the_assistant(inbound.text) or (
                    wording.drops_request(inbound.text)  # "i'll carry on with you": only then
                    and handoffs.current(session, conversation.sender_key) is not None
                )
                if typed_back or text.strip() == handoffs.BACK:
                    # Typed, the button's wish: the same path. Rasa says the request is closed
                    # only when one was.
                    closed = handoffs.close_for(session, conversation.sender_key) is not None
                    if closed:
                        log.info("a handoff was closed by the person")
                    text = handoffs.back(closed)
                else:
                    notice = self._handed_off(session, conversation, text)
            if linked:
                text = WANT_REMINDERS  # Rasa goes on: the consent to reminders, then them
            token = uuid.uuid4().hex
            message = InboundMessage(
                conversation_id=conversation.id,
                text=self._cipher.encrypt(text),  # free text may hold health details
                external_id=inbound.external_id,
                meta=meta,
                **self._outbox.taken(utcnow(), token),  # claimed by this gateway from the start
            )
            if notice is not None and not go_on:
                message.status = MessageStatus.DONE  # the gateway answered it alone
            session.add(message)
            session.flush()
            earlier = self._claim_in(session, conversation.id, token, exclude=message.id)
            # Asked only while Rasa has no trial for the person (a link, a form or a report
            # set one): not a query on every message.
            known = conversation.trial or conversation.rasa_slots.get("trial")
            spoken_of = None if known else _reported_trial(session, key)
            turn = _turn(conversation, spoken_of)
            if notice is not None and not go_on:
                return Accepted(turn, earlier, notice, after, token=token, message_id=message.id)
            same = parse if text == inbound.text else None  # what Rasa reads was read
            this = Waiting(id=message.id, text=text, meta=meta, fresh=True, parse=same)
            return Accepted(turn, [*earlier, this], notice, after, resume, token, message.id)

    def _safety(
        self,
        session: Session,
        conversation: Conversation,
        inbound: Inbound,
        finding: safety.Finding,
        screening: Screening | None,
    ) -> tuple[Reply, SafetyEvent]:
        """An emergency or a side effect: recorded for staff, answered at once by the gateway.

        The message does not go on to Rasa, so a form it interrupted is still where it was.
        """
        trial = (
            self._trial_in_context(session, conversation, screening)
            or named_in(self._trials.screenable(), inbound.text)
            or _reported_trial(session, conversation.sender_key)  # named a message earlier
        )
        event = events.record(
            session, self._settings, self._cipher, finding, sender_key=conversation.sender_key,
            channel=conversation.channel, language=conversation.language, text=inbound.text,
            trial=trial,
        )  # fmt: skip
        # The kind only: the category (suicide, chest pain…) is health data, kept encrypted.
        log.warning("safety event %d: %s", event.id, finding.kind)
        known = self._trials.screenable().get(trial) if trial else None
        phone = known.phone if known else None
        relative = followup.reporter(inbound.text) == "relative"
        said = respond.reply_text(
            finding, conversation.language, self._settings, phone, relative=relative,
            asks_if_normal=remainder.about_the_report(inbound.text),
        )  # fmt: skip
        return Reply(text=said), event

    def _checkin(
        self,
        session: Session,
        conversation: Conversation,
        inbound: Inbound,
        finding: safety.Finding | None,
    ) -> tuple[Reply | None, tuple[Reply, ...], safety.Finding | None, bool]:
        """What an open check-in makes of the message: the gateway's notice and what follows
        it when it was an answer (the finding then dealt with); else what to say after the
        assistant's reply (the check-in's question, still open); and whether a check-in was
        open (then no follow-up reads the message)."""
        now = utcnow()
        # A participant's chat always names their trial (`_link`): no query for anyone else.
        row = (
            checkins.open_for(session, conversation.sender_key, now) if conversation.trial else None
        )
        if row is None:
            if checkins.is_button(inbound.text):  # tapped after the check-in closed
                closed = Reply(text=messages.text("checkin_closed", conversation.language))
                return closed, (), None, True
            return None, (), finding, False
        trial = self._trials.get().get(row.trial)
        planned = trial.checkins.get(row.checkin) if trial and trial.checkins else None
        turn = checkins.answer(
            session, self._settings, self._cipher, row, planned, inbound.text,
            language=conversation.language, trial=trial, finding=finding, now=now,
        )  # fmt: skip
        if not turn.answered:
            return None, turn.replies, finding, True
        if turn.goes_on:
            return None, turn.replies, None, True  # the assistant answers the rest first
        return turn.replies[0], turn.replies[1:], None, True

    @staticmethod
    def _trial_in_context(
        session: Session, conversation: Conversation, screening: Screening | None
    ) -> str | None:
        """The trial the person is talking about: the link they followed, the trial they take
        part in, else the one of their latest pre-screening (finished or going on)."""
        if conversation.trial:
            return conversation.trial
        participant = session.scalar(
            select(Participant.trial).where(Participant.sender_key == conversation.sender_key)
        )
        return participant or (screening.trial if screening is not None else None)

    def _noted_for_team(self, session: Session, conversation: Conversation, text: str) -> bool:
        """While the study team has the person's question, the rest of a message goes to them."""
        handoff = handoffs.with_team(session, conversation.sender_key)
        if handoff is not None:
            handoffs.note_to(session, self._cipher, handoff, text)
        return handoff is not None

    def _link(
        self, session: Session, conversation: Conversation, key: str, code: str
    ) -> tuple[Reply, bool]:
        """A participant's link code: bind this chat to them, and say so in their language."""
        participant = participants.bind(session, key, code)
        if participant is None:
            log.info("a link code that is unknown, used or expired was given")
            return Reply(text=messages.text("link_code_invalid", conversation.language)), False
        if conversation.language_source != LanguageSource.CHOSEN:
            # The site recorded their language: stronger than a guess, weaker than their choice.
            conversation.language = participant.language
            conversation.language_source = LanguageSource.CHOSEN
        log.info("a chat was linked to a participant")
        conversation.trial = participant.trial  # their study is the one their questions are about
        trial = self._trials.screenable().get(participant.trial)
        title = trial.named(conversation.language) if trial else participant.trial
        text = messages.text("participant_linked", conversation.language, trial=title)
        return Reply(text=text), True

    def _handed_off(self, session: Session, conversation: Conversation, text: str) -> Reply | None:
        """While the study team has the person's question, what they write goes to the team.

        One the assistant opened because it did not understand twice is the team's once staff
        write in it; until then the assistant goes on answering (`handoffs.with_team`). Their
        "Back to the assistant" never comes here: the caller closes the handoff and sends Rasa
        `handoffs.back`, and Rasa says so and takes up a form where it was.
        """
        if not self._noted_for_team(session, conversation, text):
            return None  # none open, or the assistant's own and staff have not written yet
        if wording.thanks_and_asks_nothing(text):
            return handoff_replies.thanked(conversation.language)  # noted for the team all the same
        return handoff_replies.waiting(self._settings, conversation.language)

    def _conversations_waiting(self) -> list[Turn]:
        with self._sessions() as session:
            ids = select(InboundMessage.conversation_id).where(
                InboundMessage.status == MessageStatus.PENDING, self._outbox.free(utcnow())
            )
            rows = session.scalars(select(Conversation).where(Conversation.id.in_(ids)).limit(100))
            return [_turn(row) for row in rows]

    def _claim_waiting(self, conversation_id: int, token: str | None = None) -> list[Waiting]:
        with self._sessions.begin() as session:
            return self._claim_in(session, conversation_id, token or uuid.uuid4().hex)

    def _claim_in(
        self, session: Session, conversation_id: int, token: str, exclude: int | None = None
    ) -> list[Waiting]:
        """Claim the conversation's waiting messages that nobody holds, in order, with `token`
        (the claim of the message just received, `exclude`, when there is one); none from the
        first that another gateway holds on, which must reach Rasa before them."""
        ready: ColumnElement[bool] = and_(
            InboundMessage.conversation_id == conversation_id,
            InboundMessage.status == MessageStatus.PENDING,
        )
        if exclude is not None:
            ready = and_(ready, InboundMessage.id != exclude)
        held = session.scalar(
            select(func.min(InboundMessage.id)).where(
                ready, ~self._outbox.free(utcnow()), InboundMessage.claim_token != token
            )
        )
        if held is not None:
            ready = and_(ready, InboundMessage.id < held)
        return self._claimed(session, ready, token)

    def _claimed(self, session: Session, ready: ColumnElement[bool], token: str) -> list[Waiting]:
        """The messages `ready` that nobody holds, claimed with `token`, in order."""
        _, ids = self._outbox.claim(session, ready, utcnow(), limit=None, token=token)
        if not ids:
            return []
        rows = session.scalars(
            select(InboundMessage).where(InboundMessage.id.in_(ids)).order_by(InboundMessage.id)
        )
        return [
            Waiting(
                id=row.id,
                text=self._cipher.decrypt(row.text) if row.text else "",
                meta=dict(row.meta),
                attempts=row.attempts,
            )
            for row in rows
        ]

    async def _forward(
        self, turn: Turn, waiting: list[Waiting], token: str = ""
    ) -> tuple[list[Reply], bool]:
        """Send `waiting` (held with `token`) to Rasa in order; the replies, and whether the
        rest was left to wait (Rasa failed on the way, or another gateway took it over)."""
        replies: list[Reply] = []
        slots = turn.rasa_slots
        for index, message in enumerate(waiting):
            if token:
                self._keeper.touch(token)
                if not await asyncio.to_thread(self._still_held, message.id, token):
                    # Taken over by another gateway (this one stalled past its lease): it is
                    # theirs to forward, with what follows it.
                    log.warning("message %d was taken over by another gateway", message.id)
                    return replies, True
            started = not slots
            answer: list[dict[str, Any]] = []
            try:
                for again in (False, True):
                    try:
                        changed = self._slots_to_send(turn, slots)
                        if changed:
                            await self._rasa.set_slots(turn.sender_key, changed, new=not slots)
                            slots = {**slots, **changed}
                            # Before the next message is read, or it would start the session
                            # again.
                            await asyncio.to_thread(self._slots_sent, turn.conversation_id, slots)
                        # Again, its tracker is asked first: the turn may have been kept.
                        answer = await self._send(
                            turn, replace(message, fresh=False) if again else message
                        )
                        break
                    except RasaUnavailable as error:
                        if again or not error.answered:
                            raise
                        # Rasa is up and its turn failed: its lock store or tracker store away
                        # for a moment (Redis restarting). Once more after a pause, rather
                        # than the apology and the recovery loop's next round.
                        log.info("Rasa failed on message %d; once more", message.id)
                        await asyncio.sleep(AGAIN_AFTER)
            except RasaUnavailable as error:
                log.warning("Rasa could not answer message %d: %s", message.id, error)
                await asyncio.to_thread(self._release, waiting[index:], error, token)
                return replies, True
            if started and not answer:
                # Rasa's fallback took back the session's first message, and with it every
                # event before it, the slots just set: they are sent again with the next one.
                slots = {}
                await asyncio.to_thread(self._slots_sent, turn.conversation_id, slots)
            # Marked before the replies leave: a gateway killed after this sent them, or dies
            # with the request; one killed before leaves it for the recovery loop, which finds
            # Rasa's answer in the tracker (`_send`) and delivers it once.
            await asyncio.to_thread(self._answered, message.id)
            erase = any(_erasure(item) for item in answer)
            replies.extend(Reply.from_rasa(item) for item in answer if not _erasure(item))
            if erase:
                # Rasa has saved this turn: now nothing of the person may be left anywhere.
                await asyncio.to_thread(self._erase, turn.sender_key)
                break
        return replies, False

    def _finish_erasures(self) -> None:
        """Erasures confirmed in a turn whose gateway stopped before carrying them out."""
        with self._sessions.begin() as session:
            pending = erasure.pending_erasures(session, older_than=timedelta(minutes=1))
        for sender_key in pending:
            self._erase(sender_key)

    def _erase(self, sender_key: str) -> None:
        with self._sessions.begin() as session:
            erased = erasure.erase(session, sender_key, self._settings.rasa_tracker_url)
        log.info("erased a conversation on request: %s", erased.as_dict())

    def _slots_to_send(self, turn: Turn, known: dict[str, Any]) -> dict[str, Any]:
        """The gateway's slots whose value Rasa does not have yet."""
        wanted = {"language": turn.language, "emergency_number": self._settings.emergency_number}
        if turn.trial:
            wanted["trial"] = turn.trial
        return {name: value for name, value in wanted.items() if known.get(name) != value}

    async def _send(self, turn: Turn, message: Waiting) -> list[dict[str, Any]]:
        if not message.fresh:
            # A gateway may have died, or timed out, after Rasa handled it: don't answer twice.
            earlier = await self._rasa.replies_to(turn.sender_key, message.id)
            if earlier is not None:
                return earlier
        metadata = {
            **message.meta,
            "channel": turn.channel,
            "language": turn.language,
            "message_id": message.id,
        }
        if reading := understanding.read(message.text, self._trials.screenable()):
            metadata["reading"] = reading.as_metadata()
        replies = await self._rasa.send(turn.sender_key, message.text, metadata, message.parse)
        if not replies and await self._rasa.replies_to(turn.sender_key, message.id) is None:
            # Rasa answered nothing and never took the message in (its lock store down, say):
            # it waits for the recovery loop instead of being marked answered.
            raise RasaUnavailable("Rasa did not take the message in")
        return replies

    def _still_held(self, message_id: int, token: str) -> bool:
        """Renew this gateway's hold on a waiting message; whether it still had it. One that
        lapsed and that nobody took since is still this gateway's: the update and another's
        claim of the row are one after the other, and a claim changes the token."""
        now = utcnow()
        with self._sessions.begin() as session:
            renewed = session.execute(
                update(InboundMessage)
                .where(
                    InboundMessage.id == message_id,
                    InboundMessage.claim_token == token,
                    InboundMessage.status == MessageStatus.PENDING,
                )
                .values(claimed_until=now + self._outbox.lease)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(renewed, "rowcount", 0))

    def _answered(self, message_id: int) -> None:
        # The text is only kept while it waits for Rasa, which keeps its own record.
        with self._sessions.begin() as session:
            session.execute(
                update(InboundMessage)
                .where(InboundMessage.id == message_id)
                .values(status=MessageStatus.DONE, text=None, answered_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    def _slots_sent(self, conversation_id: int, slots: dict[str, Any]) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(rasa_slots=slots)
                .execution_options(synchronize_session=False)
            )

    def _release(self, waiting: list[Waiting], error: RasaUnavailable, token: str = "") -> None:
        """Rasa failed on the first of `waiting`: each counts a failed try and is free again;
        set aside after MAX_ATTEMPTS when Rasa was up (it answered, with an error). Only those
        still held with `token`, when given: another gateway's are theirs."""
        with self._sessions.begin() as session:
            for message in waiting:
                row = session.get(InboundMessage, message.id)
                if row is None or (token and row.claim_token != token):
                    continue
                row.attempts += 1
                row.last_error = redact(str(error))[:200]
                for name, value in RELEASED.items():
                    setattr(row, name, value)
                if row.attempts >= MAX_ATTEMPTS and error.answered:
                    row.status = MessageStatus.FAILED
                    log.error("message %d set aside after %d attempts", row.id, row.attempts)


class Keeper:
    """Keeps a gateway's holds on waiting messages alive while it works on them: every
    `every` seconds, a thread of its own renews for `lease` the unexpired claims of each token
    held (`hold`, `holding`), as long as its holder touched it within `stall` seconds (a
    holder that stopped working on it, whatever the reason, lets it lapse). The thread runs
    only while something is held."""

    def __init__(
        self, sessions: sessionmaker[Session], lease: timedelta, *, stall: float, every: float
    ) -> None:
        self._sessions = sessions
        self._lease = lease
        self._stall = stall
        self._every = every
        self._held: dict[str, float] = {}  # token → when its holder last touched it
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, token: str) -> None:
        with self._mutex:
            self._held[token] = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="claims-keeper", daemon=True)
                self._thread.start()

    def touch(self, token: str) -> None:
        """The holder is still at work on `token`'s messages."""
        with self._mutex:
            if token in self._held:
                self._held[token] = time.monotonic()

    def drop(self, token: str) -> None:
        with self._mutex:
            self._held.pop(token, None)

    @contextmanager
    def holding(self, token: str) -> Iterator[None]:
        self.hold(token)
        try:
            yield
        finally:
            self.drop(token)

    def held(self) -> list[str]:
        with self._mutex:
            return list(self._held)

    def _run(self) -> None:
        while True:
            time.sleep(self._every)
            with self._mutex:
                now = time.monotonic()
                for token, touched in list(self._held.items()):
                    if now - touched > self._stall:
                        del self._held[token]
                        log.warning("a hold on waiting messages was left to lapse (no progress)")
                tokens = list(self._held)
                if not tokens:
                    self._thread = None
                    return
            try:
                self.renew(tokens)
            except Exception as error:  # the next round tries again; the lease has margin
                log.warning("holds on waiting messages not renewed: %s", type(error).__name__)

    def renew(self, tokens: list[str]) -> int:
        """Renew the unexpired claims of `tokens`; how many (a lapsed one is not revived)."""
        now = utcnow()
        with self._sessions.begin() as session:
            renewed = session.execute(
                update(InboundMessage)
                .where(
                    InboundMessage.claim_token.in_(tokens),
                    InboundMessage.status == MessageStatus.PENDING,
                    InboundMessage.claimed_until >= now,
                )
                .values(claimed_until=now + self._lease)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(renewed, "rowcount", 0))


def _other_button(text: str) -> bool:
    """A button's payload other than the follow-up's own (they start with "/")."""
    return text.startswith("/") and not followup.is_button(text) and not checkins.is_button(text)


def _reported_trial(session: Session, sender_key: str) -> str | None:
    """The trial of the person's latest side-effect report that names one."""
    return session.scalar(
        select(SafetyEvent.trial)
        .where(SafetyEvent.sender_key == sender_key, SafetyEvent.trial.is_not(None))
        .order_by(SafetyEvent.id.desc())
        .limit(1)
    )


def _asks_for_a_choice(replies: list[Reply]) -> bool:
    """Whether the assistant's last reply asks something with buttons ("shall the team contact
    you?"): the follow-up's question would come beside it; it waits for the next message."""
    last = replies[-1] if replies else None
    return last is not None and any(
        not button.url and not button.payload.startswith(_OFFERS) for button in last.buttons
    )


# Buttons that offer something beside an answer, not a choice the assistant waits for: "Was this
# helpful?", "Contact the study team", "Back to the assistant".
_OFFERS = ("/feedback", "/request_human", "/back_to_assistant")


def _waits_for_answer(screening: Screening | None) -> bool:
    """Whether a pre-screening is going on and waits for the answer to a question."""
    return (
        screening is not None and screening.completed_at is None and bool(screening.next_question)
    )


def _erasure(message: dict[str, Any]) -> bool:
    """The action server's sign that the person confirmed erasure (never shown to them)."""
    custom = message.get("custom")
    return isinstance(custom, dict) and custom.get(erasure.ERASE_MARKER) is True


def _seen(session: Session, conversation_id: int, external_id: str) -> bool:
    found = session.scalar(
        select(InboundMessage.id).where(
            InboundMessage.conversation_id == conversation_id,
            InboundMessage.external_id == external_id,
        )
    )
    return found is not None


def _turn(conversation: Conversation, spoken_of: str | None = None) -> Turn:
    """The conversation as the relay carries it; `spoken_of`: the trial the person spoke of in
    a side-effect report, when no link names one (Rasa's `trial` slot, for the team's number)."""
    return Turn(
        conversation_id=conversation.id,
        channel=conversation.channel,
        sender_key=conversation.sender_key,
        language=conversation.language,
        rasa_slots=dict(conversation.rasa_slots),
        trial=conversation.trial or spoken_of,
    )
