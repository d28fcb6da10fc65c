"""Staff alerts of safety events and of new handoffs: written with them, sent and retried
until delivered.

The alerts are an outbox in the database (`StaffAlert`), one row per place staff asked to be
told (the staff Telegram chat, e-mail), written in the same transaction as what they tell of: a
crash loses none. Any gateway or dispatcher sends them; a claim with a lease keeps two from sending
one alert at once. A failure is tried again, sooner at first, then every five minutes, for as
long as it takes; `trialbot safety list` shows the events all the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Cipher
from bot.db.models import Handoff, SafetyEvent, StaffAlert, as_utc, utcnow
from bot.settings import Settings

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)
FIRST_WAIT = dt.timedelta(seconds=15)
LONGEST_WAIT = dt.timedelta(minutes=5)

# Sends a text to the staff Telegram chat (the bot's send_message, bound to the chat).
TelegramSend = Callable[[str], Awaitable[object]]


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
    _queue(session, settings, f"safety event {event.id}", "safety list", event_id=event.id)


def queue_handoff(session: Session, handoff: Handoff, settings: Settings) -> None:
    """A new handoff's alerts, in the transaction that opens it."""
    _queue(session, settings, f"handoff {handoff.id}", "handoff list", handoff_id=handoff.id)


def _queue(session: Session, settings: Settings, what: str, listing: str, **about: int) -> None:
    wanted = targets(settings)
    for target in wanted:
        session.add(StaffAlert(target=target, next_attempt_at=utcnow(), **about))
    if not wanted:
        log.warning(
            "%s is not sent to staff: set STAFF_TELEGRAM_CHAT_ID or SMTP_HOST and STAFF_EMAILS; "
            "`trialbot %s` shows it",
            what, listing,
        )  # fmt: skip


def text_of(event: SafetyEvent, cipher: Cipher) -> tuple[str, str]:
    """The alert's subject and body, for staff (in English)."""
    what = "EMERGENCY" if event.kind == "emergency" else "Side effect reported"
    category = cipher.decrypt(event.category)  # stored encrypted: it is health data
    subject = f"[trial assistant] {what} ({category}) — safety event {event.id}"
    when = as_utc(event.created_at).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            f"⚠️ {what}: {category.replace('_', ' ')}",
            f"Received: {when} (the site learnt of it then)",
            *_whose(event),
            "",
            f"Message: {cipher.decrypt(event.text)}",
            "",
            f"The assistant answered at once. Review, then: trialbot safety ack {event.id}",
        ]
    )
    return subject, body


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
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._telegram = telegram
        self._cipher = Cipher.from_settings(settings)
        self._clock = clock

    async def run_once(self) -> int:
        """Send the alerts due now; how many were delivered."""
        held = await asyncio.to_thread(self._claim)
        delivered = 0
        for alert_id, target, subject, body in held:
            try:
                await self._send(target, subject, body)
            except Exception as error:  # any failure of the network or the server: try again
                reason = f"{type(error).__name__}: {error}"
                await asyncio.to_thread(self._failed, alert_id, reason)
                continue
            await asyncio.to_thread(self._sent, alert_id)
            delivered += 1
        return delivered

    async def run_forever(self, interval: float) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("staff alert round failed; trying again")
            await asyncio.sleep(interval)

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

    def _claim(self) -> list[tuple[int, str, str, str]]:
        now = self._clock()
        with self._sessions.begin() as session:
            query = (
                select(StaffAlert.id)
                .where(
                    StaffAlert.status == "pending",
                    StaffAlert.next_attempt_at <= now,
                    or_(StaffAlert.claimed_until.is_(None), StaffAlert.claimed_until < now),
                )
                .order_by(StaffAlert.next_attempt_at)
                .limit(20)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(StaffAlert)
                .where(StaffAlert.id.in_(ids))
                .values(claimed_until=now + LEASE, attempts=StaffAlert.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            held = []
            for alert in session.scalars(select(StaffAlert).where(StaffAlert.id.in_(ids))):
                text = self._text(session, alert)
                if text is None:  # what it told of was erased since: nothing left to tell
                    session.delete(alert)
                    continue
                held.append((alert.id, alert.target, *text))
            return held

    def _text(self, session: Session, alert: StaffAlert) -> tuple[str, str] | None:
        if alert.event_id is not None:
            event = session.get(SafetyEvent, alert.event_id)
            return text_of(event, self._cipher) if event is not None else None
        handoff = session.get(Handoff, alert.handoff_id) if alert.handoff_id else None
        return handoff_text_of(handoff, self._cipher) if handoff is not None else None

    def _sent(self, alert_id: int) -> None:
        with self._sessions.begin() as session:
            alert = session.get(StaffAlert, alert_id)
            if alert is not None:
                alert.status, alert.sent_at = "sent", self._clock()
                alert.claimed_until, alert.last_error = None, None
        log.info("staff alert %d delivered", alert_id)

    def _failed(self, alert_id: int, reason: str) -> None:
        with self._sessions.begin() as session:
            alert = session.get(StaffAlert, alert_id)
            if alert is None:
                return
            wait = min(FIRST_WAIT * 2 ** max(alert.attempts - 1, 0), LONGEST_WAIT)
            alert.next_attempt_at = self._clock() + wait
            alert.claimed_until, alert.last_error = None, reason[:200]
            log.error(
                "staff alert %d (%s) not delivered, attempt %d: %s; again in %s",
                alert_id, alert.target, alert.attempts, reason, wait,
            )  # fmt: skip
