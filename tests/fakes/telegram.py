"""A fake Telegram Bot API, as python-telegram-bot calls it, plus builders of inbound updates."""

from __future__ import annotations

import asyncio
import collections
import itertools
import random
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any, NoReturn

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Failure, FakeServer, Recorded, UploadedFile

DEFAULT_TOKEN = "123456:TEST-token"
DEFAULT_USERNAME = "trial_test_bot"

_MAX_TEXT_LENGTH = 4096
_MAX_CAPTION_LENGTH = 1024
_MAX_CALLBACK_DATA_BYTES = 64
_MAX_LONG_POLL = 1.0
_LONG_POLL_INTERVAL = 0.02
_GROUP_MEMBER_ID = 100_001
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_STYLE_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
_HTML_TAGS = frozenset(_STYLE_TAGS | {"a", "tg-emoji", "code", "pre", "blockquote"})
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
}

_update_ids = itertools.count(700_000_001)
_inbound_message_ids = itertools.count(1_001)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class BotAPIError(Exception):
    """An error the fake answers in the Bot API's error shape."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class FloodLimits:
    """Telegram's flood control: messages a second for the bot, and one a second in a chat.

    Above either, a send is answered 429 with `retry_after`, as Telegram does. A chat may take a
    short burst (`chat_burst` at once) before its one a second applies, with a tenth of a gap of
    slack for the jitter of requests in flight.
    """

    _SENDS = frozenset({"sendmessage", "sendphoto"})

    def __init__(self, per_second: int = 30, chat_gap: float = 1.0, chat_burst: int = 3) -> None:
        self.per_second, self.chat_gap, self.chat_burst = per_second, chat_gap, chat_burst
        self._recent: collections.deque[float] = collections.deque()
        self._chats: dict[str, float] = {}  # how far each chat's schedule has reached
        self._lock = threading.Lock()

    def refuse(self, method: str, params: dict[str, Any]) -> int | None:
        """Seconds to wait when this call goes over a limit; None when it may go (and counts)."""
        if method.lower() not in self._SENDS:
            return None
        chat, now = str(params.get("chat_id")), time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.per_second:
                return 1
            reached = self._chats.get(chat, 0.0)
            allowance = (self.chat_burst - 1) * self.chat_gap + 0.1 * self.chat_gap
            if now < reached - allowance:
                return max(1, round(reached - allowance - now + 0.5))
            self._recent.append(now)
            self._chats[chat] = max(reached, now) + self.chat_gap
            return None


@dataclass(frozen=True)
class Webhook:
    """The webhook the bot registered; url is empty when there is none."""

    url: str = ""
    secret_token: str | None = None
    allowed_updates: tuple[str, ...] | None = None
    max_connections: int = 40


def bot_user(token: str = DEFAULT_TOKEN, username: str = DEFAULT_USERNAME) -> dict[str, Any]:
    """The bot's own User object, its id taken from the token as Telegram does."""
    bot_id, _, _ = token.partition(":")
    if not bot_id.isdigit():
        raise ValueError(f"a bot token looks like '<bot id>:<secret>', not {token!r}")
    return {
        "id": int(bot_id),
        "is_bot": True,
        "first_name": " ".join(part.capitalize() for part in username.split("_")),
        "username": username,
    }


def message_update(
    chat_id: int,
    text: str,
    *,
    language_code: str | None = "en",
    chat_type: str = "private",
    first_name: str = "Alex",
    update_id: int | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """An Update carrying a text message from a person."""
    if user_id is None:
        user_id = chat_id if chat_type == "private" else _GROUP_MEMBER_ID
    sender = _person(user_id, first_name, language_code)
    message: dict[str, Any] = {
        "message_id": next(_inbound_message_ids),
        "from": sender,
        "chat": _chat(chat_id, chat_type, first_name),
        "date": int(time.time()),
        "text": text,
    }
    if command := _COMMAND.match(text):
        message["entities"] = [
            {"offset": 0, "length": _utf16_length(command.group()), "type": "bot_command"}
        ]
    return {"update_id": _update_id(update_id), "message": message}


def callback_update(
    chat_id: int,
    data: str,
    *,
    message_id: int = 1,
    language_code: str | None = "en",
    update_id: int | None = None,
    first_name: str = "Alex",
    message_text: str = "Please choose:",
) -> dict[str, Any]:
    """An Update for a press on an inline button of a message the bot sent."""
    return {
        "update_id": _update_id(update_id),
        "callback_query": {
            "id": str(random.getrandbits(62)),
            "from": _person(chat_id, first_name, language_code),
            "message": {
                "message_id": message_id,
                "from": bot_user(),
                "chat": _chat(chat_id, "private", first_name),
                "date": int(time.time()),
                "text": message_text,
            },
            # Telegram derives it from the chat; any stable number per chat will do.
            "chat_instance": str(-(abs(chat_id) * 7_919 + 4_000_000_000_000_000_000)),
            "data": data,
        },
    }


class FakeBotAPI(FakeServer):
    """The Telegram Bot API at {url}/bot{token}/{method}."""

    text_fields = frozenset(
        {"text", "caption", "question", "explanation", "title", "description", "quote"}
        | {"callback_query_id", "inline_message_id", "secret_token", "url", "file_id"}
    )

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = DEFAULT_USERNAME,
        *,
        flood_limits: FloodLimits | None = None,
    ) -> None:
        super().__init__()
        self.flood_limits = flood_limits
        self._token = token
        self._user = bot_user(token, username)
        self._pending: list[dict[str, Any]] = []
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._webhook = Webhook()
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "getUpdates": self._get_updates,
            "sendPhoto": self._send_photo,
            "sendChatAction": _true,
            "leaveChat": _true,
            "answerCallbackQuery": _true,
            "close": _true,
            "logOut": _true,
        }
        # The Bot API looks method names up case-insensitively.
        self._handlers = {name.lower(): handler for name, handler in handlers.items()}

    @property
    def token(self) -> str:
        """The token the fake accepts."""
        return self._token

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as base_url (TELEGRAM_API_BASE_URL)."""
        return f"{self.url}/bot"

    @property
    def webhook(self) -> Webhook:
        """The webhook currently registered."""
        with self._lock:
            return self._webhook

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        with self._lock:
            self._pending.append(update)

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Bodies of the successful sendMessage calls, to one chat or all."""
        return [
            call.body
            for call in self.successful("sendMessage")
            if chat_id is None or str(call.body.get("chat_id")) == str(chat_id)
        ]

    # Serving.

    def _method_name(self, path: str) -> str:
        _, _, method = path.rpartition("/")
        return method

    async def _handle(self, call: Recorded) -> Response:
        prefix, _, method = call.path.rpartition("/")
        if not prefix.startswith("/bot") or "/" in prefix[1:]:
            return _error(404, "Not Found")
        if prefix.removeprefix("/bot") != self._token:
            return _error(401, "Unauthorized")
        handler = self._handlers.get(method.lower())
        if handler is None:
            return _error(404, "Not Found")
        params = {**call.query, **call.body}
        if self.flood_limits is not None:
            wait = self.flood_limits.refuse(method, params)
            if wait is not None:
                return _error(429, _default_description(429, wait), retry_after=wait)
        try:
            result = await handler(params)
        except BotAPIError as error:
            return _error(error.status, error.description)
        return JSONResponse({"ok": True, "result": result})

    def _failure_response(self, call: Recorded, failure: Failure) -> Response:
        return _error(
            failure.status,
            failure.description or _default_description(failure.status, failure.retry_after),
            retry_after=failure.retry_after,
        )

    # Methods.

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {
            **self._user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url", ""))
        allowed = params.get("allowed_updates")
        with self._lock:
            self._webhook = Webhook(
                url=url,
                secret_token=params.get("secret_token") if url else None,
                allowed_updates=tuple(allowed) if url and isinstance(allowed, list) else None,
                max_connections=_int(params.get("max_connections"), 40),
            )
            if _flag(params.get("drop_pending_updates")):
                self._pending.clear()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        with self._lock:
            self._webhook = Webhook()
            if _flag(params.get("drop_pending_updates")):
                self._pending.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        with self._lock:
            webhook, pending = self._webhook, len(self._pending)
        info: dict[str, Any] = {
            "url": webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if webhook.url:
            info["max_connections"] = webhook.max_connections
            if webhook.allowed_updates is not None:
                info["allowed_updates"] = list(webhook.allowed_updates)
        return info

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BotAPIError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not _BOT_COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_id(params)
        return self._store(chat_id, {"text": _text(params)}, _inline_markup(params))

    async def _send_photo(self, params: dict[str, Any]) -> Any:
        chat_id = _chat_id(params)
        photo = params.get("photo")
        if not photo:
            raise BotAPIError(400, "Bad Request: there is no photo in the request")
        size = len(photo.content) if isinstance(photo, UploadedFile) else 0
        fields: dict[str, Any] = {
            "photo": [
                {
                    "file_id": f"AgACAgQAAxkDAAI{secrets.token_urlsafe(24)}",
                    "file_unique_id": f"AQAD{secrets.token_urlsafe(9)}",
                    "width": 320,
                    "height": 240,
                    "file_size": size or 10_240,
                }
            ]
        }
        if caption := _caption(params):
            fields["caption"] = caption
        return self._store(chat_id, fields, _inline_markup(params))

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        text = _text(params)
        return self._edit(params, {"text": text}, _inline_markup(params))

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        return self._edit(params, {}, _inline_markup(params))

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook.url:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset"), 0)
        limit = _int(params.get("limit"), 100)
        # Long polling is capped so a forgotten poll never holds up the test run.
        wait = min(float(params.get("timeout") or 0), _MAX_LONG_POLL)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if offset < 0:
                    self._pending = self._pending[offset:]
                elif offset:
                    # An offset confirms every update below it: Telegram forgets them.
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                updates = self._pending[:limit]
            if updates or time.monotonic() >= deadline:
                return updates
            await asyncio.sleep(_LONG_POLL_INTERVAL)

    # Helpers that need the fake's state.

    def _store(
        self, chat_id: int, fields: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        """A new message from the bot, numbered in its chat."""
        with self._lock:
            message_id = self._last_message_id.get(chat_id, 0) + 1
            self._last_message_id[chat_id] = message_id
            message = self._message(chat_id, message_id) | fields
            if markup is not None:
                message["reply_markup"] = markup
            self._messages[(chat_id, message_id)] = message
            return dict(message)

    def _message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "from": self._user,
            "chat": _chat(chat_id, "private" if chat_id > 0 else "group"),
            "date": int(time.time()),
        }

    def _edit(
        self, params: dict[str, Any], changes: dict[str, Any], markup: dict[str, Any] | None
    ) -> Any:
        if params.get("inline_message_id"):
            return True
        chat_id = _chat_id(params)
        message_id = _int(params.get("message_id"), 0)
        if message_id <= 0:
            raise BotAPIError(400, "Bad Request: message identifier is not specified")
        with self._lock:
            # Messages the fake never sent (say, one a callback_update points at) are made up.
            message = self._messages.get((chat_id, message_id)) or self._message(
                chat_id, message_id
            )
            message = {k: v for k, v in message.items() if k != "reply_markup"} | changes
            message["edit_date"] = int(time.time())
            if markup is not None:
                message["reply_markup"] = markup
            self._messages[(chat_id, message_id)] = message
            return dict(message)


async def _true(params: dict[str, Any]) -> Any:
    return True


def _error(status: int, description: str, *, retry_after: int | None = None) -> Response:
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return JSONResponse(payload, status_code=status)


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return "Too Many Requests" + (f": retry after {retry_after}" if retry_after else "")
    if status in _DEFAULT_DESCRIPTIONS:
        return _DEFAULT_DESCRIPTIONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Internal Server Error"


def _chat_id(params: dict[str, Any]) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise BotAPIError(400, "Bad Request: chat_id is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BotAPIError(400, "Bad Request: chat not found") from None


def _text(params: dict[str, Any]) -> str:
    text = _plain(str(params.get("text") or ""), params.get("parse_mode"))
    if not text.strip():
        raise BotAPIError(400, "Bad Request: message text is empty")
    if len(text) > _MAX_TEXT_LENGTH:
        raise BotAPIError(400, "Bad Request: message is too long")
    return text


def _caption(params: dict[str, Any]) -> str:
    caption = _plain(str(params.get("caption") or ""), params.get("parse_mode"))
    if len(caption) > _MAX_CAPTION_LENGTH:
        raise BotAPIError(400, "Bad Request: message caption is too long")
    return caption


def _plain(text: str, parse_mode: Any) -> str:
    """The text a person sees: HTML is checked the way Telegram checks it, and stripped."""
    if str(parse_mode).upper() != "HTML":
        return text
    parser = _TelegramHTML(text)
    parser.feed(text)
    parser.close()
    return "".join(parser.text)


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: a handful of tags, properly nested."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._lines = source.splitlines(keepends=True)
        self._open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self._refuse(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            self._refuse(f"Unexpected end tag at byte offset {self._offset()}")
        if self._open[-1] != tag:
            self._refuse(
                f"Unmatched end tag at byte offset {self._offset()}, "
                f'expected "</{self._open[-1]}>", found "</{tag}>"'
            )
        self._open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def close(self) -> None:
        super().close()
        if self._open:
            self._refuse(f'Can\'t find end tag corresponding to start tag "{self._open[-1]}"')

    def _offset(self) -> int:
        line, column = self.getpos()
        before = "".join(self._lines[: line - 1]) + self._lines[line - 1][:column]
        return len(before.encode())

    @staticmethod
    def _refuse(reason: str) -> NoReturn:
        raise BotAPIError(400, f"Bad Request: can't parse entities: {reason}")


def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """The inline keyboard sent, which is the only markup a Message carries back."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= _MAX_CALLBACK_DATA_BYTES:
                raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in {"true", "1"}


def _update_id(update_id: int | None) -> int:
    return next(_update_ids) if update_id is None else update_id


def _person(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    person: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        person["language_code"] = language_code
    return person


def _chat(chat_id: int, chat_type: str, first_name: str | None = None) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": chat_type} | (
            {"first_name": first_name} if first_name else {}
        )
    return {"id": chat_id, "type": chat_type, "title": "Trial test group"}


def _utf16_length(text: str) -> int:
    """Telegram measures entities in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
