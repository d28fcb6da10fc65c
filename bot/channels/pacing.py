"""Keeps an account on a platform (the Telegram bot, the WhatsApp number) under its flood
limits, across every process that sends for it.

Telegram allows a bot about 30 messages a second in all and one a second in each chat, after a
short burst; above that it answers 429 with `retry_after`. python-telegram-bot's own limiter
counts one process only, and a site runs a gateway and reminder dispatchers side by side. So each
message reserves its moment to go in a schedule shared through Redis (one atomic script: the next
free moment for the bot and for the chat), and waits for it. A 429 pushes the whole bot's
schedule back by its `retry_after`, for every process. Without `REDIS_URL` the same schedule is
kept in memory, which is exact for a single process; should Redis fail, the process falls back
to that and says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.settings import Settings

log = logging.getLogger(__name__)

# Telegram's documented ceiling is about 30 messages a second; a little under it (the default
# of TELEGRAM_MESSAGES_PER_SECOND) leaves room for the jitter between reserving a moment and the
# request reaching Telegram.
MESSAGES_PER_SECOND = 29.0
SECONDS_BETWEEN_MESSAGES_IN_A_CHAT = 1.0
# "Short bursts" in a chat are allowed: an answer in a few parts goes at once, and only a longer
# run of messages to one chat is spread a second apart.
CHAT_BURST = 3
# A chat's reservation is forgotten this long after its moment (keeps Redis small).
_CHAT_MEMORY_MS = 10_000

# KEYS: the bot's key, then the chat's key (or none). ARGV: microseconds between two messages of
# the bot, between two in a chat, a pause to add (0 for none), how many milliseconds a chat is
# remembered, and the burst a chat may take at once (in microseconds of its schedule). The chat
# is a GCRA: its key holds the moment its schedule has reached. Returns the microseconds to wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local bot = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = tonumber(ARGV[3])
if pause > 0 then
  bot = math.max(bot, now + pause)
  redis.call('SET', KEYS[1], string.format('%.0f', bot), 'PX', math.ceil(pause / 1000) + 60000)
  return 0
end
local at = math.max(now, bot)
if #KEYS > 1 then
  local chat = tonumber(redis.call('GET', KEYS[2]) or '0')
  at = math.max(at, chat - tonumber(ARGV[5]))
  local reached = math.max(chat, at) + tonumber(ARGV[2])
  redis.call('SET', KEYS[2], string.format('%.0f', reached),
             'PX', math.ceil((reached - now) / 1000) + tonumber(ARGV[4]))
end
redis.call('SET', KEYS[1], string.format('%.0f', at + tonumber(ARGV[1])),
           'PX', math.ceil((at - now) / 1000) + 60000)
return at - now
"""


class Schedule(Protocol):
    """When the next message may go, shared by everything that sends for one bot."""

    async def reserve(self, chat: str | None) -> float:
        """Take the next free moment (for the bot, and for `chat`); seconds until it."""
        ...

    async def pause(self, seconds: float) -> None:
        """Nothing goes for `seconds` (Telegram asked us to wait)."""
        ...

    async def aclose(self) -> None: ...


class LocalSchedule:
    """The schedule of one process, in memory."""

    def __init__(
        self,
        per_second: float = MESSAGES_PER_SECOND,
        chat_gap: float = SECONDS_BETWEEN_MESSAGES_IN_A_CHAT,
        clock: Callable[[], float] = time.monotonic,
        burst: int = CHAT_BURST,
    ) -> None:
        self._gap, self._chat_gap, self._clock = 1.0 / per_second, chat_gap, clock
        self._burst = (burst - 1) * chat_gap
        self._next = 0.0
        self._chats: dict[str, float] = {}  # how far each chat's schedule has reached

    async def reserve(self, chat: str | None) -> float:
        now = self._clock()
        at = max(now, self._next)
        if chat is not None:
            reached = self._chats.get(chat, 0.0)
            at = max(at, reached - self._burst)
            self._chats[chat] = max(reached, at) + self._chat_gap
            if len(self._chats) > 10_000:
                self._chats = {c: t for c, t in self._chats.items() if t > now}
        self._next = at + self._gap
        return at - now

    async def pause(self, seconds: float) -> None:
        self._next = max(self._next, self._clock() + seconds)

    async def aclose(self) -> None:
        return None


class RedisSchedule:
    """The schedule in Redis, shared by every process of the bot; local when Redis fails."""

    def __init__(
        self,
        url: str,
        bot_id: str,
        per_second: float = MESSAGES_PER_SECOND,
        chat_gap: float = SECONDS_BETWEEN_MESSAGES_IN_A_CHAT,
        *,
        platform: str = "telegram",
        burst: int = CHAT_BURST,
        secret: bytes = b"",
    ) -> None:
        import redis.asyncio as redis  # only a site with Redis needs the client
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # One try again at once (a connection a Redis restart closed), never the client's
        # default ten with backoff: a message must not wait seconds for a Redis that is down.
        self._client = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1)
        )
        self._script = self._client.register_script(_RESERVE)
        self._key = f"trialbot:{platform}:{bot_id}:pace"
        self._platform = platform
        # A chat's key is a keyed hash of its id (a phone number on WhatsApp): Redis holds none.
        self._secret = hmac.new(secret, b"trialbot pacing", hashlib.sha256).digest()
        self._gap_us, self._chat_gap_us = round(1e6 / per_second), round(chat_gap * 1e6)
        self._burst_us = (burst - 1) * self._chat_gap_us
        self._local = LocalSchedule(per_second, chat_gap, burst=burst)
        self._failing = False

    async def reserve(self, chat: str | None) -> float:
        keys = [self._key] if chat is None else [self._key, f"{self._key}:chat:{self._chat(chat)}"]
        result = await self._run(keys, 0)
        if result is None:
            return await self._local.reserve(chat)
        return result / 1e6

    def _chat(self, chat: str) -> str:
        return hmac.new(self._secret, chat.encode(), hashlib.sha256).hexdigest()[:24]

    async def pause(self, seconds: float) -> None:
        await self._local.pause(seconds)
        await self._run([self._key], max(1, round(seconds * 1e6)))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _run(self, keys: list[str], pause_us: int) -> int | None:
        import redis.exceptions

        try:
            args = [self._gap_us, self._chat_gap_us, pause_us, _CHAT_MEMORY_MS, self._burst_us]
            result = int(await self._script(keys=keys, args=args))
        except (redis.exceptions.RedisError, OSError) as error:
            if not self._failing:
                log.warning(
                    "Redis is not answering (%s): pacing %s messages in this process "
                    "alone until it is back",
                    error,
                    self._platform,
                )
            self._failing = True
            return None
        if self._failing:
            log.info("Redis is back: %s messages are paced with the others again", self._platform)
            self._failing = False
        return result


def schedule_for(settings: Settings, bot_token: str) -> Schedule:
    """The schedule the bot's processes share: in Redis when there is one, else in memory."""
    bot_id, _, _ = bot_token.partition(":")
    return shared(settings, "telegram", bot_id or "bot", settings.telegram_messages_per_second)


def shared(
    settings: Settings,
    platform: str,
    account: str,
    per_second: float,
    chat_gap: float = SECONDS_BETWEEN_MESSAGES_IN_A_CHAT,
    burst: int = CHAT_BURST,
) -> Schedule:
    """The schedule of one account on a platform, shared by every process that sends for it
    through REDIS_URL when set, else kept in this process."""
    if not settings.redis_url:
        return LocalSchedule(per_second, chat_gap, burst=burst)
    return RedisSchedule(
        settings.redis_url,
        account,
        per_second,
        chat_gap,
        platform=platform,
        burst=burst,
        secret=settings.pseudonym_secret(),
    )


class PacedRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's rate limiter, on a shared `Schedule`; retries after a 429."""

    def __init__(self, schedule: Schedule, max_retries: int = 3) -> None:
        self._schedule = schedule
        self._max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await self._schedule.aclose()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        paced = chat is not None and endpoint != "sendChatAction"  # "typing…" is not a message
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            if paced:
                wait = await self._schedule.reserve(str(chat))
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                seconds = retry_seconds(error.retry_after) + 0.1
                log.info("Telegram asked to wait %.1f s; every sender waits", seconds)
                await self._schedule.pause(seconds)
        raise AssertionError("unreachable")


def retry_seconds(value: Any) -> float:
    """A RetryAfter's retry_after in seconds (python-telegram-bot gives an int or a timedelta)."""
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
