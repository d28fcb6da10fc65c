"""Meta's Graph API, which Messenger and WhatsApp both speak: their webhook (Meta's handshake,
events signed with the app secret, answered in the background), and sending with retries.

A send that Meta refuses for good (a user who cannot be reached, a malformed message) fails at
once as final; throttling, server errors and the error codes Meta marks as temporary are tried
again with back-off, never sooner than a Retry-After, and fail as not final (the outbox tries
again later).
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Collection, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations
from bot.channels.base import NotDelivered, Relaying
from bot.channels.registry import problem, running
from bot.channels.spec import Adapter
from bot.db.models import as_utc
from bot.settings import Settings

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
# Meta's customer-service window: a business writes freely for 24 hours after the person last
# wrote; past it, only what the platform allows (Messenger's tags, WhatsApp's templates).
STANDARD_WINDOW = timedelta(hours=24)
SEND_ATTEMPTS = 4
MAX_RETRY_WAIT = 30.0
# Error codes of the Graph API itself that say "try again later" (throttling, temporary faults).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80007})


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` (X-Hub-Signature-256) is the HMAC-SHA256 of the raw body."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower(), expected)


class SendFailed(NotDelivered):
    """The Graph API refused a message, or kept failing; `code` is Meta's error code."""

    def __init__(
        self,
        reason: str,
        *,
        final: bool = False,
        retry_after: float | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(reason, final=final, retry_after=retry_after)
        self.code = code


class GraphClient:
    """POSTs to one Graph API endpoint over httpx, retrying what Meta says is temporary."""

    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        platform: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        transient_codes: Collection[int] = (),
        retry_base: float = 0.5,
    ) -> None:
        self._path = path
        self._platform = platform
        self._params = params or {}
        self._transient = TRANSIENT_CODES | frozenset(transient_codes)
        self._retry_base = retry_base
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10.0)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST one body; the API's answer, or SendFailed."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            code: int | None = None
            try:
                response = await self._client.post(self._path, params=self._params, json=body)
            except httpx.TransportError as error:
                reason, wait = f"network error: {error!r}", None
            else:
                answer = json_of(response)
                if response.is_success:
                    return answer
                reason, code, transient = self._error(response.status_code, answer)
                if not transient:
                    raise SendFailed(reason, final=True, code=code)
                wait = _retry_after(response)
            if attempt == SEND_ATTEMPTS:
                raise SendFailed(
                    f"{reason} (after {attempt} attempts)", retry_after=wait, code=code
                )
            log.warning("%s: %s; retrying", self._platform, reason)
            await asyncio.sleep(wait if wait is not None else self._retry_base * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _error(self, status: int, answer: dict[str, Any]) -> tuple[str, int | None, bool]:
        error = answer.get("error")
        error = error if isinstance(error, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        transient = status == 429 or status >= 500 or bool(error.get("is_transient"))
        transient = transient or code in self._transient
        reason = f"HTTP {status}, code {code}: {error.get('message', 'no message')}"
        return reason, code, transient


def json_of(response: httpx.Response) -> dict[str, Any]:
    """A response's JSON object; {} when it is none."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers["Retry-After"]), MAX_RETRY_WAIT)
    except (KeyError, ValueError):
        return None


class InvalidEvent(ValueError):
    """A webhook body that is not the platform's event."""


EventsT = TypeVar("EventsT")


@dataclass(frozen=True)
class Recipient:
    """Whom a late message goes to: the platform's id (decrypted), their language, and whether
    the window is open."""

    address: str
    language: str
    last_seen: datetime
    sender_key: str
    trial: str | None  # the trial a link named in this conversation

    def in_window(self) -> bool:
        """Whether the person wrote in the last 24 hours (Meta's customer-service window)."""
        return datetime.now(UTC) - self.last_seen <= STANDARD_WINDOW


class MetaChannel(Adapter, Generic[EventsT]):
    """A channel on Meta's platforms: its webhook's handshake and signature, and answers sent
    from background tasks once the events are committed (Meta wants a quick 200)."""

    title: str  # the platform's name, for the logs

    def __init__(
        self,
        settings: Settings,
        relay: Relaying[Any],
        sessions: sessionmaker[Session],
        *,
        app_secret: SecretStr | None,
        verify_token: SecretStr | None,
        prefix: str,  # of its settings: MESSENGER, WHATSAPP
    ) -> None:
        if app_secret is None:
            raise ValueError(f"{prefix}_APP_SECRET is not set")
        self._app_secret = app_secret.get_secret_value()
        self._verify_token = verify_token.get_secret_value() if verify_token else None
        self._prefix = prefix
        self._settings = settings
        self._relay = relay
        self._sessions = sessions
        self._answering: set[asyncio.Task[None]] = set()

    @abc.abstractmethod
    def parse(self, payload: Any) -> EventsT:
        """The events of a webhook body; InvalidEvent when it is not the platform's."""

    @abc.abstractmethod
    async def receive(self, events: EventsT) -> None:
        """Commit the events, and answer them in the background (`in_background`)."""

    def verify_subscription(self, mode: str | None, token: str | None) -> bool:
        """Meta's GET handshake when the webhook is set up."""
        if self._verify_token is None or mode != "subscribe" or token is None:
            return False
        return hmac.compare_digest(token.encode(), self._verify_token.encode())

    def signature_ok(self, body: bytes, header: str | None) -> bool:
        return signature_ok(body, header, self._app_secret)

    async def start(self) -> None:
        if self._verify_token is None:
            log.warning("%s_VERIFY_TOKEN is not set: Meta cannot verify the webhook", self._prefix)

    async def drain(self) -> None:
        """Let the answers under way finish (at shutdown); recovery covers what does not."""
        if self._answering:
            await asyncio.wait(self._answering, timeout=DRAIN_SECONDS)

    def health(self) -> str:
        return "up"

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)
        task.add_done_callback(self._log_failure)

    def recipient(self, conversation_id: int) -> Recipient:
        """The person a conversation's late message goes to; NotDelivered (final) for none."""
        with self._sessions() as session:
            conversation = conversations.by_id(session, conversation_id)
            if conversation is None or conversation.address is None:
                message = f"no {self.title} user is known for this conversation"
                raise NotDelivered(message, final=True)
            return Recipient(
                address=self._relay.cipher.decrypt(conversation.address),
                language=conversation.language,
                last_seen=as_utc(conversation.last_seen_at),
                sender_key=conversation.sender_key,
                trial=conversation.trial,
            )

    def language_of(self, user_id: str) -> str:
        """The language of the person's conversation; the default before there is one."""
        key = self._relay.sender_key(self.name, user_id)
        with self._sessions() as session:
            conversation = conversations.by_sender_key(session, key)
            return conversation.language if conversation else self._settings.default_language

    def _log_failure(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()):
            log.error("a %s answer was not sent", self.title, exc_info=error)


def webhook_routes(name: str, path: str, title: str, events: str) -> APIRouter:
    """The webhook of the Meta channel `name` at `path`: Meta's handshake (GET) and its signed
    events (POST), which the running adapter parses and receives; `events` names them in a 400."""
    router = APIRouter()

    def channel_of(request: Request) -> MetaChannel[Any] | None:
        adapter = running(request, name)
        return adapter if isinstance(adapter, MetaChannel) else None

    @router.get(path, name=f"{name}_verification")
    async def verification(request: Request) -> Response:
        """Meta's subscription handshake: echo the challenge when the verify token matches."""
        channel = channel_of(request)
        if channel is None:
            return problem(404, f"{title} is not configured on this gateway")
        params = request.query_params
        if not channel.verify_subscription(params.get("hub.mode"), params.get("hub.verify_token")):
            return problem(403, "verification failed")
        return PlainTextResponse(params.get("hub.challenge", ""))

    @router.post(path, name=f"{name}_webhook")
    async def webhook(request: Request) -> Response:
        """Events from the platform, signed with the app secret."""
        channel = channel_of(request)
        if channel is None:
            return problem(404, f"{title} is not configured on this gateway")
        body = await request.body()
        if not channel.signature_ok(body, request.headers.get("X-Hub-Signature-256")):
            return problem(403, "wrong or missing signature")
        try:
            parsed = channel.parse(json.loads(body))
        except (ValueError, InvalidEvent) as error:
            return problem(400, f"not {events} ({error})")
        await channel.receive(parsed)
        return PlainTextResponse("EVENT_RECEIVED")

    return router
