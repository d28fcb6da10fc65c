"""Telegram through python-telegram-bot: webhook under the gateway, or polling on a laptop.

Every private message, command and button tap goes through the relay's single path to Rasa;
the replies come back as HTML messages with inline keyboards. Group chats are declined: health
questions stay in a private chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import html
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import conversations
from bot.channels import pacing
from bot.channels.base import Button, Inbound, NotDelivered, Purpose, Relaying, Reply
from bot.channels.pacing import PacedRateLimiter
from bot.channels.registry import problem, running
from bot.channels.spec import Adapter, ChannelSpec, Link
from bot.channels.text import split_markdown_for_telegram
from bot.conversations import LanguageHints, as_language
from bot.db.models import ButtonPayload
from bot.i18n import messages
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit on a button's callback data
SEND_ATTEMPTS = 3
TYPING_EVERY = 4.5  # seconds; Telegram shows "typing…" for about 5 s per action
CONNECT_RETRY = 5.0  # seconds between tries to reach the Bot API, when waiting for it

# The conversation's command menu, shown by Telegram next to the message box.
COMMANDS = ("start", "help", "language", "stop")
_TAG = re.compile(r"<[^>]*>")

Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")


class InvalidUpdate(ValueError):
    """A webhook body that is not a Telegram update."""


@dataclass(frozen=True)
class Services:
    relay: Relaying[Any]
    buttons: ButtonStore
    emergency_number: str


class ButtonStore:
    """Button payloads longer than Telegram's callback data, under a key derived from them."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def callback_data(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_DATA_LIMIT and not payload.startswith("#"):
            return payload
        key = hashlib.sha256(payload.encode()).hexdigest()[:32]
        await asyncio.to_thread(self._remember, key, payload)
        return f"#{key}"

    async def payload(self, data: str) -> str | None:
        """The payload a button's callback data stands for; None when it is unknown."""
        if not data.startswith("#"):
            return data
        return await asyncio.to_thread(self._recall, data[1:])

    def _remember(self, key: str, payload: str) -> None:
        with self._sessions.begin() as session:
            if session.get(ButtonPayload, key) is None:
                session.add(ButtonPayload(key=key, payload=payload))

    def _recall(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.get(ButtonPayload, key)
            return row.payload if row else None


class TelegramChannel(Adapter):
    """The Telegram bot: its Application, its start and stop, webhook updates and deliveries."""

    name = NAME

    def __init__(
        self, settings: Settings, relay: Relaying[Any], sessions: sessionmaker[Session]
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._relay = relay
        self._buttons = ButtonStore(sessions)
        self.application = build_application(
            settings, Services(relay, self._buttons, settings.emergency_number)
        )
        self.ready = False

    async def start(self) -> None:
        """Connect to the Bot API, set the command menu, and register the webhook or poll."""
        application = self.application
        await application.initialize()
        await _set_commands(application)
        if self._settings.telegram_webhook:
            await self._register_webhook()
        await application.start()
        if application.updater is not None:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        self.ready = True
        mode = "webhook" if self._settings.telegram_webhook else "polling"
        log.info("Telegram bot @%s is up (%s)", application.bot.username, mode)

    async def open(self, *, wait: bool) -> bool:
        """Connect to the Bot API only to send (it says who the bot is); whether it answered."""
        while True:
            try:
                await self.application.initialize()
                return True
            except Exception as error:  # network, bad token: said, and tried again
                if not wait:
                    log.warning("Telegram is not reachable (%s)", error)
                    return False
                log.warning(
                    "Telegram is not reachable yet (%s); trying again in %.0f s",
                    error,
                    CONNECT_RETRY,
                )
                await asyncio.sleep(CONNECT_RETRY)

    async def stop(self) -> None:
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()  # returns at once when it was never initialised
        self.ready = False

    def health(self) -> str:
        # Telegram being unreachable does not stop the gateway serving the other channels.
        return "up" if self.ready else "starting"

    def secret_ok(self, given: str) -> bool:
        """Whether a webhook request carries the secret token the webhook was registered with."""
        # No header never matches, even should the secret somehow be empty.
        secret = self._webhook_secret
        return bool(given) and bool(secret) and hmac.compare_digest(given.encode(), secret)

    @functools.cached_property
    def _webhook_secret(self) -> bytes:
        return self._settings.telegram_secret().encode()

    async def process(self, data: Any) -> None:
        """Handle one update posted to the webhook; InvalidUpdate when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise InvalidUpdate("not a Telegram update: no integer update_id")
        try:
            update = Update.de_json(data, self.application.bot)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidUpdate(f"not a Telegram update: {error}") from error
        # python-telegram-bot does not check field types; ids must be numbers to be used at all.
        for part in (update.effective_chat, update.effective_user):
            if part is not None and (not isinstance(part.id, int) or isinstance(part.id, bool)):
                raise InvalidUpdate("not a Telegram update: a chat or user id is not a number")
        await self.application.process_update(update)

    async def deliver(
        self, conversation_id: int, replies: list[Reply], *, purpose: Purpose = "reply"
    ) -> list[str]:
        """Every purpose alike: Telegram lets a bot write to its chats at any time."""
        chat_id = await asyncio.to_thread(self._chat_id, conversation_id)
        try:
            return await send_replies(self.application.bot, chat_id, replies, self._buttons)
        except Forbidden as error:
            raise NotDelivered(f"the person has blocked the bot ({error})", final=True) from error
        except RetryAfter as error:
            wait = pacing.retry_seconds(error.retry_after)
            raise NotDelivered(f"Telegram asked to wait {wait:.0f} s", retry_after=wait) from error
        except BadRequest as error:
            raise NotDelivered(f"Telegram refused the message: {error}", final=True) from error
        except TelegramError as error:
            raise NotDelivered(f"Telegram did not take the message: {error}") from error

    def _chat_id(self, conversation_id: int) -> int:
        with self._sessions() as session:
            conversation = conversations.by_id(session, conversation_id)
            if conversation is None or conversation.address is None:
                raise NotDelivered("no Telegram chat is known for this conversation", final=True)
            return int(self._relay.cipher.decrypt(conversation.address))

    async def _register_webhook(self) -> None:
        if not self._settings.public_url:
            log.warning(
                "TELEGRAM_MODE=webhook without PUBLIC_URL: the webhook is not registered; "
                "point it at <your address>%s with TELEGRAM_WEBHOOK_SECRET as its secret token",
                WEBHOOK_PATH,
            )
            return
        url = self._settings.public_url.rstrip("/") + WEBHOOK_PATH
        await self.application.bot.set_webhook(
            url=url,
            secret_token=self._settings.telegram_secret(),
            allowed_updates=ALLOWED_UPDATES,
            max_connections=40,
        )
        log.info("Telegram webhook registered at %s", url)


router = APIRouter()


@router.post(WEBHOOK_PATH)
async def telegram_webhook(request: Request) -> Response:
    """Updates from Telegram, when its webhook points here."""
    bot = running(request, NAME)
    if not isinstance(bot, TelegramChannel):
        return problem(404, "Telegram is not configured on this gateway")
    if not bot.secret_ok(request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")):
        return problem(403, "wrong or missing secret token")
    try:
        data = json.loads(await request.body())
    except ValueError:
        return problem(400, "the body is not JSON")
    if not bot.ready:
        return problem(503, "the Telegram bot is still starting")
    try:
        await bot.process(data)
    except InvalidUpdate as error:
        return problem(400, str(error))
    return JSONResponse({"ok": True})


CHANNEL = ChannelSpec(
    name=NAME,
    title="Telegram",
    enabled=lambda settings: settings.telegram_enabled,
    build=TelegramChannel,
    routes=router,
    # A deep link: the chat opens on /start with the payload.
    link=Link("https://t.me/{account}?start={payload}", "TELEGRAM_BOT_USERNAME"),
    staff_alerts=True,
    describe=lambda settings: (
        ("on (webhook)" if settings.telegram_webhook else "on (polling, no public address needed)")
        if settings.telegram_enabled
        else "off (set TELEGRAM_BOT_TOKEN to switch it on)"
    ),
)


def build_application(
    settings: Settings, services: Services
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot Application, built once, with every handler."""
    token = settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .rate_limiter(PacedRateLimiter(pacing.schedule_for(settings, token.get_secret_value())))
        .concurrent_updates(True)
        .job_queue(None)
    )
    if settings.telegram_webhook:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["services"] = services
    private = filters.ChatType.PRIVATE
    application.add_handlers(
        [
            ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(~private, on_group),
            CommandHandler("start", on_start, filters=private),
            CommandHandler("help", on_help, filters=private),
            CommandHandler("language", on_language, filters=private),
            CommandHandler("stop", on_stop, filters=private),
            MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, on_unknown_command),
            MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, on_text),
            MessageHandler(filters.UpdateType.MESSAGE, on_unsupported),
            CallbackQueryHandler(on_button),
        ]
    )
    application.add_error_handler(on_error)
    return application


async def on_start(update: Update, context: Context) -> None:
    """Greet; a /start link's payload says which campaign or participant link brought them."""
    payload = context.args[0] if context.args else None
    await converse(update, context, "/greet", referral=payload)


async def on_help(update: Update, context: Context) -> None:
    """What the assistant can do, and how to reach a person."""
    await converse(update, context, "/help")


async def on_stop(update: Update, context: Context) -> None:
    """Stop the messages the assistant sends on its own."""
    await converse(update, context, "/stop_messages")


async def on_language(update: Update, context: Context) -> None:
    """Offer the languages, each as a button that switches to it."""
    message = update.effective_message
    if message is None:
        return
    buttons = (
        Button("English", '/change_language{"language": "en"}'),
        Button("Français", '/change_language{"language": "fr"}'),
    )
    menu = Reply(text=messages.text("choose_language", "en"), buttons=buttons)
    await send_replies(context.bot, message.chat_id, [menu], _services(context).buttons)


async def on_text(update: Update, context: Context) -> None:
    """A message typed by the person."""
    message = update.effective_message
    if message is not None and message.text:
        await converse(update, context, message.text)


async def on_unknown_command(update: Update, context: Context) -> None:
    """An unknown /command is read as what the person typed, without the slash."""
    message = update.effective_message
    if message is not None and message.text:
        await converse(update, context, message.text.lstrip("/").replace("_", " ") or "help")


async def on_button(update: Update, context: Context) -> None:
    """A tap on an inline button: stop its spinner, then send its payload as the person's turn."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
        return
    payload = await _services(context).buttons.payload(query.data)
    if payload is None:
        await _say(update, context, "button_expired")
        return
    with contextlib.suppress(BadRequest):  # the keyboard may already be gone
        await query.edit_message_reply_markup(reply_markup=None)
    await converse(update, context, payload)


async def on_unsupported(update: Update, context: Context) -> None:
    """Photos, voice notes, stickers: the assistant only reads text."""
    await _say(update, context, "text_only")


async def on_group(update: Update, context: Context) -> None:
    """Decline group chats politely and leave: health questions stay private."""
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(chat.id, messages.text("group_declined", "en"))
    with contextlib.suppress(TelegramError):
        await context.bot.leave_chat(chat.id)


async def on_membership(update: Update, context: Context) -> None:
    """Added to a group: say why not, and leave."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    if change.new_chat_member.status in ("member", "administrator"):
        await on_group(update, context)


async def on_error(update: object, context: Context) -> None:
    """Log the failure; tell the person something went wrong, in their language."""
    log.error("Telegram update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    with contextlib.suppress(TelegramError):
        await _say(update, context, "error_apology")


async def converse(
    update: Update, context: Context, text: str, *, referral: str | None = None
) -> None:
    """One turn through the relay, with "typing…" shown while the assistant thinks."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = _services(context)
    inbound = Inbound(
        channel=NAME,
        user_id=str(user.id),
        text=text,
        hints=LanguageHints(locale=user.language_code),
        external_id=str(update.update_id),
        address=str(chat.id),
        referral=referral,
    )
    accepted = await services.relay.accept(inbound)
    if accepted is None:
        return
    async with _typing(context.bot, chat.id):
        replies = await services.relay.answer(accepted)
    await send_replies(context.bot, chat.id, replies, services.buttons)


async def send_replies(
    bot: Any, chat_id: int, replies: list[Reply], store: ButtonStore
) -> list[str]:
    """Send replies as HTML messages, split at Telegram's limit, buttons under the last part.

    Returns the ids of the messages sent.
    """
    sent: list[str] = []
    for reply in replies:
        parts = split_markdown_for_telegram(reply.text or "")
        keyboard = await _keyboard(reply.buttons, store)
        if keyboard is not None and not parts:
            parts = ["👇"]
        for index, part in enumerate(parts):
            markup = keyboard if index == len(parts) - 1 else None
            message = await _send_part(bot, chat_id, part, markup)
            sent.append(str(message.message_id))
        if reply.image:
            photo = await _retrying(functools.partial(bot.send_photo, chat_id, reply.image))
            sent.append(str(photo.message_id))
    return sent


async def _send_part(
    bot: Any, chat_id: int, part: str, markup: InlineKeyboardMarkup | None
) -> Message:
    async def formatted() -> Message:
        return cast(
            Message,
            await bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )

    try:
        return await _retrying(formatted)
    except BadRequest as error:
        if "parse" not in str(error).lower():
            raise
        # Should our markup ever be refused, the words still reach the person.
        log.warning("Telegram refused the formatting (%s); sending plain text", error)
        plain = html.unescape(_TAG.sub("", part))

        async def unformatted() -> Message:
            return cast(Message, await bot.send_message(chat_id, plain, reply_markup=markup))

        return await _retrying(unformatted)


async def _retrying(call: Callable[[], Awaitable[T]]) -> T:
    """Retry network failures and server errors; the rate limiter already waits on 429."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except (BadRequest, RetryAfter):
            raise  # RetryAfter: the limiter waited as often as it may; the caller decides
        except NetworkError:
            if attempt == SEND_ATTEMPTS:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


# Number buttons ("0" … "10" of a scale) share rows, this many to a row; others have one each.
NUMBERS_PER_ROW = 6


async def _keyboard(buttons: tuple[Button, ...], store: ButtonStore) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    shared = False  # whether the last row is of numbers
    for button in buttons:
        if button.url:
            key = InlineKeyboardButton(button.title, url=button.url)
        else:
            data = await store.callback_data(button.payload or button.title)
            key = InlineKeyboardButton(button.title, callback_data=data)
        number = not button.url and button.title.isdigit()
        if number and shared and len(rows[-1]) < NUMBERS_PER_ROW:
            rows[-1].append(key)
        else:
            rows.append([key])
        shared = number
    return InlineKeyboardMarkup(rows)


@contextlib.asynccontextmanager
async def _typing(bot: Any, chat_id: int) -> AsyncIterator[None]:
    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _say(update: Update, context: Context, key: str) -> None:
    """A gateway text in the person's language (from their Telegram settings)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    services = _services(context)
    language = as_language(user.language_code if user else None) or "en"
    text = messages.text(key, language, emergency_number=services.emergency_number)
    await context.bot.send_message(chat.id, text)


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for language in ("en", "fr"):
        commands = [BotCommand(c, messages.text(f"command_{c}", language)) for c in COMMANDS]
        await application.bot.set_my_commands(
            commands, language_code=None if language == "en" else language
        )


def _services(context: Context) -> Services:
    return cast(Services, context.bot_data["services"])
