"""Abuse limits on the public endpoints: 429 with `Retry-After` past them.

Three counts, each over a one-minute window: requests per client address on every public route
(the staff pages and `/healthz` aside), messages per conversation on every channel, and new web
conversations per address. Counts live in Redis when `REDIS_URL` is set (one atomic script:
INCR, and the window's expiry on the first hit), so that every gateway shares them; else in this
process. Should Redis fail, each gateway counts alone until it is back and says so in the log:
nobody is refused because Redis is down (patients must still be answered), and a flood still
meets each gateway's own counts.

What a limit never drops is a patient's emergency: a message the safety rules (no NLU) read as
one goes on whatever its count, is recorded and gets the emergency reply in its language.

Webhooks carry every patient's messages from the few addresses of Telegram and Meta, and they
are authenticated; a per-address limit tight enough to stop a flood would silence everybody.
So they are limited per conversation (chat id, PSID: in the relay) and only loosely per address
(against unauthenticated junk).

The client address is the socket's peer; `X-Forwarded-For` is believed only from
`TRUSTED_PROXIES` (uvicorn's own proxy-header handling is off, see `trialbot serve`). Addresses
are counted under a keyed hash, never in clear; IPv6 ones by their /64, which one person holds.
"""

from __future__ import annotations

import contextvars
import html
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.conversations import as_language
from bot.i18n import messages
from bot.i18n.detect import detect_language
from bot.pseudonym import pseudonym
from bot.safety import detect as safety
from bot.settings import Settings

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# Bodies read to look for an emergency in a request over its limit (the routes cap theirs too).
MAX_INSPECTED_BODY = 64 * 1024
# After Redis failed, how long this gateway counts alone before trying it again: a dead Redis
# must not cost every request its connection timeout.
REDIS_RETRY_SECONDS = 10.0

# The client address of the HTTP request being served, for the relay's count of new web
# conversations (None outside a request: polling, recovery).
CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("client", default=None)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int = WINDOW_SECONDS


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    # The first refusal of its window: the moment to tell a messaging-app user once.
    first_refusal: bool = False


class TooMany(Exception):
    """A request over its limit; answered 429 in the person's language."""

    def __init__(self, retry_after: int, language: str) -> None:
        super().__init__(f"over the limit; retry after {retry_after} s")
        self.retry_after = retry_after
        self.language = language


class Counter(Protocol):
    async def hit(self, key: str, limit: Limit) -> Verdict:
        """Count one request under `key`; whether it is within `limit`."""
        ...

    async def aclose(self) -> None: ...


def _verdict(count: int, limit: Limit, remaining_ms: float) -> Verdict:
    if count <= limit.count:
        return Verdict(True)
    wait = max(1, -(-int(remaining_ms) // 1000))  # whole seconds, rounded up
    return Verdict(False, wait, first_refusal=count == limit.count + 1)


class LocalCounter:
    """Fixed windows in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key → (window's end, count)

    async def hit(self, key: str, limit: Limit) -> Verdict:
        now = self._clock()
        key = f"{limit.name}:{key}"
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            ends, count = now + limit.seconds, 0
        self._windows[key] = (ends, count + 1)
        if len(self._windows) > 100_000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        return _verdict(count + 1, limit, (ends - now) * 1000)

    async def aclose(self) -> None:
        return None


# KEYS: the count's key. ARGV: the window in milliseconds. Returns the count and the
# milliseconds left in the window.
_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class RedisCounter:
    """Fixed windows in Redis, shared by every gateway; this process's own while Redis fails."""

    def __init__(self, url: str, prefix: str = "trialbot:limits") -> None:
        import redis.asyncio as redis  # only a site with Redis needs the client
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # One try again at once (a connection a Redis restart closed), never the client's
        # default ten with backoff: a request must not wait seconds for a Redis that is down.
        self._client = redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 1)
        )
        self._script = self._client.register_script(_HIT)
        self._prefix = prefix
        self._local = LocalCounter()
        self._failed_at: float | None = None

    async def hit(self, key: str, limit: Limit) -> Verdict:
        import redis.exceptions

        if self._failed_at is not None and time.monotonic() - self._failed_at < REDIS_RETRY_SECONDS:
            return await self._local.hit(key, limit)
        try:
            count, remaining = await self._script(
                keys=[f"{self._prefix}:{limit.name}:{key}"], args=[limit.seconds * 1000]
            )
        except (redis.exceptions.RedisError, OSError) as error:
            if self._failed_at is None:
                log.warning(
                    "Redis is not answering (%s): abuse limits are counted by this gateway "
                    "alone until it is back (nobody is refused for it)",
                    type(error).__name__,
                )
            self._failed_at = time.monotonic()
            return await self._local.hit(key, limit)
        if self._failed_at is not None:
            log.info("Redis is back: abuse limits are shared by every gateway again")
            self._failed_at = None
        return _verdict(int(count), limit, float(remaining))

    async def aclose(self) -> None:
        await self._client.aclose()


class Limits:
    """The limits of one gateway, from the settings, on a shared (or local) counter."""

    def __init__(self, settings: Settings, counter: Counter | None = None) -> None:
        self.settings = settings
        self._key = settings.pseudonym_secret()
        self.counter: Counter = counter or (
            RedisCounter(settings.redis_url) if settings.redis_url else LocalCounter()
        )
        self.chat = Limit("chat", settings.rate_limit_chat_per_address)
        self.updates = Limit("updates", settings.rate_limit_updates_per_address)
        self.pages = Limit("pages", settings.rate_limit_pages_per_address)
        self.webhooks = Limit("webhooks", settings.rate_limit_webhooks_per_address)
        self.conversation = Limit("conversation", settings.rate_limit_per_conversation)
        self.new_conversations = Limit("new", settings.rate_limit_new_conversations_per_address)

    def rule_for(self, method: str, path: str) -> Limit | None:
        """The per-address limit of a route; None for the staff's routes and health checks."""
        if path.startswith(("/staff", "/api/staff")) or path == "/healthz":
            return None
        if path in ("/api/chat", "/api/chat/new") and method == "POST":
            return self.chat  # a message, or a new conversation
        if path.startswith("/api/chat/"):
            return self.updates
        if path.startswith("/webhooks/"):
            return self.webhooks
        return self.pages

    async def per_address(self, limit: Limit, address: str) -> Verdict:
        return await self.counter.hit(self._hashed(address), limit)

    async def per_conversation(self, sender_key: str) -> Verdict:
        return await self.counter.hit(sender_key, self.conversation)

    async def new_conversation(self, address: str) -> Verdict:
        return await self.counter.hit(self._hashed(address), self.new_conversations)

    def _hashed(self, address: str) -> str:
        return pseudonym(self._key, "address", address)

    async def aclose(self) -> None:
        await self.counter.aclose()


def is_emergency(text: str) -> bool:
    """Whether the safety rules read `text` as an emergency: what no limit may drop."""
    finding = safety.check(text)
    return finding is not None and finding.kind == "emergency"


def client_address(scope: Scope) -> str:
    """The address counted for a request: its peer (after trusted proxies), IPv6 by /64."""
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def refusal_text(language: str, retry_after: int, settings: Settings) -> str:
    return messages.text(
        "rate_limited",
        language,
        seconds=str(retry_after),
        emergency_number=settings.emergency_number,
    )


class AddressLimits:
    """ASGI middleware: the per-address limits, before any route reads the request."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.limits.rule_for(scope["method"], scope["path"])
        address = client_address(scope)
        token = CLIENT.set(address)
        try:
            verdict = (
                Verdict(True) if rule is None else await self.limits.per_address(rule, address)
            )
            if verdict.allowed:
                await self.app(scope, receive, send)
                return
            body = b""
            if rule is self.limits.chat:
                body, receive = await _buffered(receive)
                if is_emergency(_field(body, "text")):
                    log.info("an emergency over the per-address limit goes on")
                    await self.app(scope, receive, send)
                    return
            log.info("%s request over the per-address limit refused", rule and rule.name)
            text = refusal_text(
                self._language(scope, body), verdict.retry_after, self.limits.settings
            )
            await _refuse(scope, send, verdict.retry_after, text)
        finally:
            CLIENT.reset(token)

    def _language(self, scope: Scope, body: bytes) -> str:
        """The person's language: chosen in the page, else read in the text, else the browser's."""
        settings = self.limits.settings
        chosen = as_language(_field(body, "lang") or None)
        detected = detect_language(_field(body, "text")) if body else None
        header = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        browser = as_language(header[:2].lower() or None)
        return chosen or detected or browser or settings.default_language


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request's body (up to MAX_INSPECTED_BODY), and a `receive` that replays it."""
    chunks: list[Message] = []
    size, more = 0, True
    while more and size <= MAX_INSPECTED_BODY:
        message = await receive()
        chunks.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = bool(message.get("more_body"))
    body = b"".join(m.get("body", b"") for m in chunks if m["type"] == "http.request")

    async def replay() -> Message:
        return chunks.pop(0) if chunks else await receive()

    return (body if size <= MAX_INSPECTED_BODY else b""), replay


def _field(body: bytes, name: str) -> str:
    try:
        value = json.loads(body).get(name) if body else None
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


async def _refuse(scope: Scope, send: Send, retry_after: int, text: str) -> None:
    """429 with Retry-After: a page for a browser's page request, else JSON."""
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    if scope["method"] == "GET" and "text/html" in accept:
        page = f'<!doctype html><meta charset="utf-8"><p>{html.escape(text)}</p>'
        body, kind = page.encode(), b"text/html; charset=utf-8"
    else:
        body, kind = json.dumps(_json_refusal(text, retry_after)).encode(), b"application/json"
    headers = [(b"content-type", kind), (b"retry-after", str(retry_after).encode())]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json_refusal(text: str, retry_after: int) -> dict[str, Any]:
    """The web chat shows `messages` as the assistant's own line, as any reply."""
    return {"detail": text, "retry_after": retry_after, "messages": [{"text": text}]}


def install(app: FastAPI, settings: Settings) -> Limits | None:
    """The limits on `app` (None when RATE_LIMIT_ENABLED is off), and the trusted proxies."""
    limits: Limits | None = None
    if settings.rate_limit_enabled:
        limits = Limits(settings)
        app.add_middleware(AddressLimits, limits=limits)

        @app.exception_handler(TooMany)
        async def too_many(request: Request, error: TooMany) -> JSONResponse:
            text = refusal_text(error.language, error.retry_after, settings)
            return JSONResponse(
                _json_refusal(text, error.retry_after),
                status_code=429,
                headers={"Retry-After": str(error.retry_after)},
            )

    if settings.trusted_proxy_list:
        # Added last, so outermost: every layer inside sees the client the proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    app.state.limits = limits
    return limits
