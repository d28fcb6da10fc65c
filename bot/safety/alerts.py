"""Staff alerts of safety events and of new handoffs: written with them, sent and retried
until delivered.

The alerts are an outbox in the database (`StaffAlert`), one row per place staff asked to be
told (the staff Telegram chat, e-mail), written in the same transaction as what they tell of: a
crash loses none. Any gateway or dispatcher sends them; a claim with a lease keeps two from
sending one alert at once (bot.outbox). A failure is tried again, sooner at first, then every
five minutes, for as long as it takes; `trialbot safety list` shows the events all the same.

Anyone can open a web chat, so a script can raise events by the thousand. Alerts of events and
handoffs from web chats with no participant linked are therefore counted: past
`RATE_LIMIT_UNLINKED_ALERTS` in a window of `RATE_LIMIT_ALERT_WINDOW_SECONDS` (aligned on the
clock), the next ones are written "grouped", due at the window's end, when one alert per place
says how many more arrived. Alerts of linked participants, on any channel, are never counted,
grouped or queued behind a flood; every event stays in the inbox either way.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import smtplib
import ssl
import uuid
from collections.abc import Awaitable, Callable, Sequence
from email.message import EmailMessage
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import outbox
from bot.channels.web import NAME as WEB
from bot.crypto import Cipher
from bot.db.models import Handoff, Participant, SafetyEvent, StaffAlert, as_utc, utcnow
from bot.outbox import Outbox, retry_wait
from bot.safety import report
from bot.settings import Settings

log = logging.getLogger(__name__)

# Each e-mail may take up to 10 s (the SMTP timeout): a batch stops starting sends after 30 s.
LEASE = dt.timedelta(seconds=60)
BATCH = 20
FIRST_WAIT = dt.timedelta(seconds=15)
LONGEST_WAIT = dt.timedelta(minutes=5)

# Sends a text to the staff Telegram chat (the bot's send_message, bound to the chat).
TelegramSend = Callable[[str], Awaitable[object]]

# Alerts counted in a digest instead of sent one by one (see the module's docstring).
GROUPED = "grouped"
_PLURALS = {"emergency": "emergencies", "adverse_event": "side effects", "handoff": "handoffs"}

# What a claim holds: the alerts' ids (several for a digest), the place, the subject, the text.
Held = tuple[Sequence[int], str, str, str]


def telegram_sender(settings: Settings, bot: Any) -> TelegramSend | None:
    """Sends to the staff Telegram chat through `bot` (a TelegramChannel), or None."""
    chat = settings.staff_telegram_chat_id
    if bot is None or not chat:
        return None

    async def send(text: str) -> object:
        return await bot.application.bot.send_message(chat, text)

    return send


def targets(settings: Settings) -> list[str]:
    """Where staff asked to be alerted."""
    found = []
    if settings.staff_telegram_chat_id and settings.telegram_enabled:
        found.append("telegram")
    if settings.smtp_host and settings.staff_emails.strip():
        found.append("email")
    return found


def queue(session: Session, event: SafetyEvent, settings: Settings) -> None:
    """The event's alerts, in the transaction that records it."""
    what, listing = f"safety event {event.id}", "safety list"
    _queue(session, settings, event, what, listing, event_id=event.id)


def realert(session: Session, settings: Settings, now: dt.datetime | None = None) -> int:
    """Alert staff again of each serious event none of them has acknowledged for
    `SAFETY_REALERT_MINUTES`; how many. Safe with several senders: an event's turn is taken
    by one update."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(minutes=settings.safety_realert_minutes)
    due = session.scalars(
        select(SafetyEvent.id).where(
            SafetyEvent.status == "open",
            SafetyEvent.serious.is_(True),
            SafetyEvent.alerted_at < cutoff,
        )
    ).all()
    count = 0
    for event_id in due:
        taken = session.execute(
            update(SafetyEvent)
            .where(SafetyEvent.id == event_id, SafetyEvent.alerted_at < cutoff)
            .values(alerted_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            event = session.get(SafetyEvent, event_id)
            if event is not None:
                queue(session, event, settings)
                count += 1
    return count


def queue_handoff(session: Session, handoff: Handoff, settings: Settings) -> None:
    """A new handoff's alerts, in the transaction that opens it."""
    what, listing = f"handoff {handoff.id}", "handoff list"
    _queue(session, settings, handoff, what, listing, handoff_id=handoff.id)


def _queue(
    session: Session,
    settings: Settings,
    record: SafetyEvent | Handoff,
    what: str,
    listing: str,
    **about: int,
) -> None:
    wanted = targets(settings)
    now = utcnow()
    for target in wanted:
        held_until = _grouped_until(session, settings, record, target, now)
        if held_until is None:
            session.add(StaffAlert(target=target, next_attempt_at=now, **about))
        else:
            session.add(
                StaffAlert(target=target, status=GROUPED, next_attempt_at=held_until, **about)
            )
    if not wanted:
        log.warning(
            "%s is not sent to staff: set STAFF_TELEGRAM_CHAT_ID or SMTP_HOST and STAFF_EMAILS; "
            "`trialbot %s` shows it",
            what, listing,
        )  # fmt: skip


def window(now: dt.datetime, seconds: int) -> tuple[dt.datetime, dt.datetime]:
    """The alert window `now` falls in: aligned on the clock, the same for every gateway."""
    start = dt.datetime.fromtimestamp(as_utc(now).timestamp() // seconds * seconds, dt.UTC)
    return start, start + dt.timedelta(seconds=seconds)


def _grouped_until(
    session: Session,
    settings: Settings,
    record: SafetyEvent | Handoff,
    target: str,
    now: dt.datetime,
) -> dt.datetime | None:
    """When an alert of `record` is to wait for its window's digest: the window's end; None
    when it goes on its own (a linked participant's, or one within the window's allowance)."""
    if record.channel != WEB or _linked(session, record.sender_key):
        return None
    start, end = window(now, settings.rate_limit_alert_window_seconds)
    if _unlinked_alone_since(session, target, start) < settings.rate_limit_unlinked_alerts:
        return None
    return end


def _linked(session: Session, sender_key: str) -> bool:
    return bool(session.scalar(select(exists().where(Participant.sender_key == sender_key))))


def _unlinked_alone_since(session: Session, target: str, start: dt.datetime) -> int:
    """Alerts to `target` queued one by one since `start` for web chats with no participant."""
    channel = func.coalesce(SafetyEvent.channel, Handoff.channel)
    sender = func.coalesce(SafetyEvent.sender_key, Handoff.sender_key)
    count = session.scalar(
        select(func.count(StaffAlert.id))
        .outerjoin(SafetyEvent, SafetyEvent.id == StaffAlert.event_id)
        .outerjoin(Handoff, Handoff.id == StaffAlert.handoff_id)
        .where(
            StaffAlert.target == target,
            StaffAlert.status != GROUPED,
            StaffAlert.next_attempt_at >= start,
            channel == WEB,
            ~exists().where(Participant.sender_key == sender),
        )
    )
    return int(count or 0)


def digest_text(
    kinds: collections.Counter[str], first: dt.datetime, last: dt.datetime, settings: Settings
) -> tuple[str, str]:
    """One alert for the grouped ones: how many, of what, when; where to find them."""
    total = sum(kinds.values())
    counts = ", ".join(f"{n} {_PLURALS.get(kind, kind)}" for kind, n in sorted(kinds.items()))
    since = as_utc(first).strftime("%Y-%m-%d %H:%M")
    until = as_utc(last).strftime("%H:%M UTC")
    minutes = max(1, settings.rate_limit_alert_window_seconds // 60)
    subject = f"[trial assistant] {total} more alerts from web chats with no participant"
    body = "\n".join(
        [
            f"⚠️ {total} more from web chats with no participant linked ({counts}), "
            f"{since}–{until}.",
            f"Past {settings.rate_limit_unlinked_alerts} such alerts in {minutes} minutes they "
            "are counted here rather than sent one by one (perhaps a flood). Participants' "
            "alerts always go at once.",
            "",
            "Every one is in the inbox: trialbot safety list, trialbot handoff list, or the "
            "staff pages.",
        ]
    )
    return subject, body


def text_of(event: SafetyEvent, cipher: Cipher, now: dt.datetime | None = None) -> tuple[str, str]:
    """The alert's subject and body, for staff (in English)."""
    what = "EMERGENCY" if event.kind == "emergency" else "Side effect reported"
    if event.serious:
        what = "SERIOUS side effect"
    category = cipher.decrypt(event.category)  # stored encrypted: it is health data
    subject = f"[trial assistant] {what} ({category}) — safety event {event.id}"
    when = as_utc(event.created_at).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            f"⚠️ {what}: {category.replace('_', ' ')}",
            f"Received: {when} (the site learnt of it then)",
            *_deadline(event, now or utcnow()),
            *_whose(event),
            "",
            f"Message: {cipher.decrypt(event.text)}",
            *_follow_up(event, cipher),
            "",
            f"The assistant answered at once. Review, then: trialbot safety ack {event.id}",
        ]
    )
    return subject, body


def _deadline(event: SafetyEvent, now: dt.datetime) -> list[str]:
    """A serious event's reporting deadline and the time left."""
    if not event.serious or event.report_due is None:
        return []
    due = as_utc(event.report_due)
    left = due - now
    hours = int(left.total_seconds() // 3600)
    still = f"{hours} h left" if left.total_seconds() > 0 else "OVERDUE"
    return [f"Report to the sponsor by: {due.strftime('%Y-%m-%d %H:%M UTC')} ({still})"]


def _follow_up(event: SafetyEvent, cipher: Cipher) -> list[str]:
    """What the follow-up has learnt so far, one line."""
    facts = report.follow_up(event, cipher)
    if facts is None:
        return []
    return [f"Follow-up: {report.one_line(facts)}"]


def handoff_text_of(handoff: Handoff, cipher: Cipher) -> tuple[str, str]:
    """A new handoff's alert: who asks, why, and how to answer."""
    why = "asked for the study team" if handoff.reason == "asked" else "was not understood twice"
    subject = f"[trial assistant] A person {why} — handoff {handoff.id}"
    when = as_utc(handoff.created_at).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            f"🙋 A person {why}: handoff {handoff.id}",
            f"Opened: {when}",
            *_whose(handoff),
            "",
            cipher.decrypt(handoff.summary),
            "",
            f'Answer them in their chat: trialbot handoff reply {handoff.id} "…"',
        ]
    )
    return subject, body


def _whose(record: SafetyEvent | Handoff) -> list[str]:
    """Where an alert's subject came from: the trial, the channel, the person's pseudonym."""
    return [
        f"Trial: {record.trial or 'unknown'} · channel: {record.channel} · "
        f"language: {record.language}",
        f"Participant (pseudonym): {record.sender_key}",
    ]


class AlertSender:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        telegram: TelegramSend | None,
        clock: Callable[[], dt.datetime] = utcnow,
        lease: dt.timedelta | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._telegram = telegram
        self._cipher = Cipher.from_settings(settings)
        self._clock = clock
        self._outbox = Outbox(StaffAlert, lease or LEASE, StaffAlert.next_attempt_at)

    async def run_once(self) -> int:
        """Send the alerts due now; how many were delivered.

        What the first half of the claim's lease did not reach is handed back (bot.outbox):
        another sender then sends it, and this one does not.
        """
        deadline = self._outbox.deadline()
        await asyncio.to_thread(self._realert)
        token, held = await asyncio.to_thread(self._claim)
        delivered = 0
        for index, (alert_ids, target, subject, body) in enumerate(held):
            if deadline.passed():
                rest = [alert_id for ids, *_ in held[index:] for alert_id in ids]
                await asyncio.to_thread(self._hand_back, rest, token)
                break
            try:
                await self._send(target, subject, body)
            except Exception as error:  # any failure of the network or the server: try again
                reason = f"{type(error).__name__}: {error}"
                await asyncio.to_thread(self._failed, alert_ids, token, reason)
                continue
            await asyncio.to_thread(self._sent, alert_ids, token)
            delivered += 1
        return delivered

    async def run_forever(self, interval: float) -> None:
        await outbox.run_forever("staff alert(s)", self.run_once, interval)

    def _realert(self) -> None:
        """Serious side effects still unacknowledged: alerted again."""
        with self._sessions.begin() as session:
            if count := realert(session, self._settings, self._clock()):
                log.warning("%d serious side effect(s) still unacknowledged: alerted again", count)

    async def _send(self, target: str, subject: str, body: str) -> None:
        if target == "telegram":
            if self._telegram is None:
                raise RuntimeError("the Telegram bot is not running here")
            await self._telegram(body)
        elif target == "email":
            await asyncio.to_thread(self._email, subject, body)
        else:
            raise RuntimeError(f"unknown alert target {target!r}")

    def _email(self, subject: str, body: str) -> None:
        settings = self._settings
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = settings.smtp_from or f"trial-assistant@{settings.smtp_host}"
        message["To"] = ", ".join(a.strip() for a in settings.staff_emails.split(",") if a.strip())
        message.set_content(body)
        with self._smtp() as smtp:
            if settings.smtp_user and settings.smtp_password is not None:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)

    def _smtp(self) -> smtplib.SMTP:
        """A connection to the mail server, over TLS to a certificate we trust unless the
        operator turned TLS off: an alert holds a patient's words, so it waits rather than go
        in clear or to a server that could be anyone."""
        settings = self._settings
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        context = ssl.create_default_context(
            cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None
        )
        try:
            smtp = (
                smtplib.SMTP_SSL(
                    settings.smtp_host, settings.smtp_port, timeout=10, context=context
                )
                if settings.smtp_ssl
                else smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10)
            )
            try:
                smtp.ehlo()
                if settings.smtp_starttls and not settings.smtp_ssl:
                    if not smtp.has_extn("starttls"):
                        raise RuntimeError(
                            f"{where} does not offer STARTTLS; nothing sent in clear "
                            "(SMTP_STARTTLS is on: use a server with TLS, or SMTP_SSL=true)"
                        )
                    smtp.starttls(context=context)
                    smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        except ssl.SSLCertVerificationError as error:
            raise RuntimeError(
                f"the certificate of {where} is not trusted ({error.verify_message}); "
                "set SMTP_CA_FILE to the CA that signed it"
            ) from None
        return smtp

    def _claim(self) -> tuple[str, list[Held]]:
        """The alerts due now: one by one, then the digests of grouped ones; one claim."""
        now, token = self._clock(), uuid.uuid4().hex
        with self._sessions.begin() as session:
            alone = self._claim_alone(session, now, token)
            return token, [*alone, *self._claim_digests(session, now, token)]

    def _claim_alone(self, session: Session, now: dt.datetime, token: str) -> list[Held]:
        ready = and_(StaffAlert.status == "pending", StaffAlert.next_attempt_at <= now)
        _, ids = self._outbox.claim(session, ready, now, limit=BATCH, token=token)
        held: list[Held] = []
        for alert in session.scalars(select(StaffAlert).where(StaffAlert.id.in_(ids))):
            text = self._text(session, alert)
            if text is None:  # what it told of was erased since: nothing left to tell
                session.delete(alert)
                continue
            held.append(((alert.id,), alert.target, *text))
        return held

    def _claim_digests(self, session: Session, now: dt.datetime, token: str) -> list[Held]:
        """Grouped alerts whose window has ended: one digest per place, for all of them."""
        ready = and_(
            StaffAlert.status == GROUPED,
            StaffAlert.sent_at.is_(None),
            StaffAlert.next_attempt_at <= now,
        )
        _, ids = self._outbox.claim(session, ready, now, limit=None, token=token)
        by_target: dict[str, list[StaffAlert]] = collections.defaultdict(list)
        for alert in session.scalars(
            select(StaffAlert).where(StaffAlert.id.in_(ids)).order_by(StaffAlert.id)
        ):
            by_target[alert.target].append(alert)
        held: list[Held] = []
        for target, grouped in by_target.items():
            kinds: collections.Counter[str] = collections.Counter()
            moments, kept = [], []
            for alert in grouped:
                record = _record(session, alert)
                if record is None:  # erased since: nothing left to count
                    session.delete(alert)
                    continue
                kinds[record.kind if isinstance(record, SafetyEvent) else "handoff"] += 1
                moments.append(as_utc(record.created_at))
                kept.append(alert.id)
            if kept:
                text = digest_text(kinds, min(moments), max(moments), self._settings)
                held.append((kept, target, *text))
        return held

    def _text(self, session: Session, alert: StaffAlert) -> tuple[str, str] | None:
        if alert.event_id is not None:
            event = session.get(SafetyEvent, alert.event_id)
            return text_of(event, self._cipher) if event is not None else None
        handoff = session.get(Handoff, alert.handoff_id) if alert.handoff_id else None
        return handoff_text_of(handoff, self._cipher) if handoff is not None else None

    def _mine(self, session: Session, alert_ids: Sequence[int], token: str) -> list[StaffAlert]:
        """The alerts this claim still holds; a warning for those it lost meanwhile."""
        rows = list(session.scalars(select(StaffAlert).where(self._outbox.held(alert_ids, token))))
        if len(rows) < len(alert_ids):
            log.warning(
                "staff alert(s) %s: the claim ran out before the outcome was recorded",
                ", ".join(str(i) for i in sorted(set(alert_ids) - {a.id for a in rows})),
            )
        return rows

    def _sent(self, alert_ids: Sequence[int], token: str) -> None:
        """Delivered; a grouped alert stays `grouped`, with the moment its digest went."""
        with self._sessions.begin() as session:
            for alert in self._mine(session, alert_ids, token):
                alert.status = GROUPED if alert.status == GROUPED else "sent"
                alert.sent_at = self._clock()
                alert.claim_token, alert.claimed_until, alert.last_error = None, None, None
        log.info("staff alert %s delivered", ", ".join(map(str, alert_ids)))

    def _failed(self, alert_ids: Sequence[int], token: str, reason: str) -> None:
        with self._sessions.begin() as session:
            for alert in self._mine(session, alert_ids, token):
                wait = retry_wait(alert.attempts, first=FIRST_WAIT, longest=LONGEST_WAIT)
                alert.next_attempt_at = self._clock() + wait
                alert.claim_token, alert.claimed_until = None, None
                alert.last_error = reason[:200]
                log.error(
                    "staff alert %d (%s) not delivered, attempt %d: %s; again in %s",
                    alert.id, alert.target, alert.attempts, reason, wait,
                )  # fmt: skip

    def _hand_back(self, alert_ids: Sequence[int], token: str) -> None:
        with self._sessions.begin() as session:
            self._outbox.hand_back(session, alert_ids, token)


def _record(session: Session, alert: StaffAlert) -> SafetyEvent | Handoff | None:
    """What an alert tells of; None once erased."""
    if alert.event_id is not None:
        return session.get(SafetyEvent, alert.event_id)
    return session.get(Handoff, alert.handoff_id) if alert.handoff_id else None
