"""The fakes answer the real clients the way the real APIs do."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.fakes.graph import (
    FakeGraphAPI,
    postback_event,
    quick_reply_event,
    referral_event,
    sign,
    text_event,
)
from tests.fakes.server import UploadedFile, serve
from tests.fakes.telegram import FakeBotAPI, callback_update, message_update

PSID = "6789012345678901"


def _markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )


# Telegram


async def test_the_real_bot_initialises_and_sends_a_keyboard(bot_api: FakeBotAPI) -> None:
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        me = await bot.get_me()
        first = await bot.send_message(42, "hi", reply_markup=_markup())
        second = await bot.send_message(42, "again")

    assert (me.id, me.username, me.is_bot) == (123456, "trial_test_bot", True)
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == 42
    assert first.reply_markup == _markup()
    assert second.reply_markup is None
    bodies = bot_api.sent_messages(42)
    assert [body["text"] for body in bodies] == ["hi", "again"]
    assert bodies[0]["chat_id"] == 42
    assert (
        bot_api.calls("sendMessage")[0]
        .headers["content-type"]
        .startswith("application/x-www-form-urlencoded")
    )
    assert bodies[0]["reply_markup"] == _markup().to_dict()
    assert bot_api.sent_messages(7) == []
    assert [call.method for call in bot_api.requests if call.method != "getMe"] == [
        "sendMessage",
        "sendMessage",
    ]


async def test_a_429_becomes_retry_after_and_service_resumes(
    bot_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # the int form is deprecated and warns
    bot_api.fail_next("sendMessage", 429, retry_after=3)
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(42, "hi")
        await bot.send_message(42, "hi")

    assert raised.value.retry_after == dt.timedelta(seconds=3)
    assert len(bot_api.calls("sendMessage")) == 2
    assert len(bot_api.sent_messages(42)) == 1


async def test_a_wrong_token_and_an_overlong_text_are_refused(bot_api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        await telegram.Bot("999:wrong", base_url=bot_api.base_url).get_me()
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(42, "x" * 4097)


async def test_long_polling_returns_pushed_updates_and_forgets_confirmed_ones(
    bot_api: FakeBotAPI,
) -> None:
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        asyncio.get_running_loop().call_later(
            0.1, bot_api.push_update, message_update(42, "/start trial")
        )
        started = time.monotonic()
        updates = await bot.get_updates(timeout=5)
        assert time.monotonic() - started < 1
        assert len(updates) == 1
        message = updates[0].message
        assert message is not None
        assert message.text == "/start trial"
        assert message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 6),)
        assert message.from_user is not None
        assert message.from_user.language_code == "en"

        assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_a_callback_update_parses_and_edits_are_answered(bot_api: FakeBotAPI) -> None:
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        update = telegram.Update.de_json(callback_update(42, "yes", message_id=1), bot)
        query = update.callback_query
        assert query is not None
        assert query.data == "yes"
        assert query.message is not None
        assert query.message.chat.id == 42
        await query.answer()
        edited = await bot.edit_message_reply_markup(42, 1, reply_markup=_markup())

    assert isinstance(edited, telegram.Message)
    assert edited.reply_markup == _markup()
    assert [call.method for call in bot_api.requests][-2:] == [
        "answerCallbackQuery",
        "editMessageReplyMarkup",
    ]


async def test_the_webhook_is_remembered(bot_api: FakeBotAPI) -> None:
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        await bot.set_webhook(
            "https://example.org/telegram", secret_token="s3cret", allowed_updates=["message"]
        )
        info = await bot.get_webhook_info()

    assert info.url == "https://example.org/telegram"
    assert info.allowed_updates == ("message",)
    assert bot_api.webhook.secret_token == "s3cret"


async def test_html_is_checked_and_stripped_like_telegram(bot_api: FakeBotAPI) -> None:
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        sent = await bot.send_message(42, "<b>Hi</b> &amp; bye", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(42, "one<br>two", parse_mode=ParseMode.HTML)

    assert sent.text == "Hi & bye"
    assert [body["text"] for body in bot_api.sent_messages()] == ["<b>Hi</b> &amp; bye"]


async def test_an_uploaded_photo_arrives_as_a_multipart_file(bot_api: FakeBotAPI) -> None:
    async with telegram.Bot(bot_api.token, base_url=bot_api.base_url) as bot:
        sent = await bot.send_photo(42, io.BytesIO(b"PNG..."), caption="A map")

    assert sent.caption == "A map"
    body = bot_api.calls("sendPhoto")[0].body
    assert isinstance(body["photo"], UploadedFile)
    assert body["photo"].content == b"PNG..."
    assert (body["chat_id"], body["caption"]) == (42, "A map")


async def test_an_application_long_polls_and_answers(bot_api: FakeBotAPI) -> None:
    async def echo(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"echo {update.message.text}")

    application = ApplicationBuilder().token(bot_api.token).base_url(bot_api.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        bot_api.push_update(message_update(9, "hello"))
        await bot_api.await_for("sendMessage", timeout=5)
        await application.updater.stop()
        await application.stop()

    assert [body["text"] for body in bot_api.sent_messages(9)] == ["echo hello"]
    assert bot_api.calls("deleteWebhook")


def test_wait_for_names_what_it_saw_when_it_times_out(bot_api: FakeBotAPI) -> None:
    httpx.post(f"{bot_api.base_url}{bot_api.token}/getMe")
    assert len(bot_api.wait_for("getMe")) == 1
    with pytest.raises(AssertionError, match="calls seen in order: getMe"):
        bot_api.wait_for("sendMessage", timeout=0.05)
    bot_api.reset()
    assert bot_api.requests == []


def test_form_fields_decode_json_values_but_not_free_text(bot_api: FakeBotAPI) -> None:
    form = {"chat_id": "-500", "text": "42", "disable_notification": "true", "entities": "[]"}
    httpx.post(f"{bot_api.base_url}{bot_api.token}/sendMessage", data=form)
    body = bot_api.sent_messages(-500)[0]
    assert body == {"chat_id": -500, "text": "42", "disable_notification": True, "entities": []}


def test_serve_runs_any_asgi_app_with_its_lifespan() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("up")
        yield
        events.append("down")

    app = Starlette(lifespan=lifespan, routes=[Route("/", lambda _: PlainTextResponse("ok"))])
    with serve(app, lifespan=True) as url:
        assert httpx.get(url).text == "ok"
    assert events == ["up", "down"]


# Graph


async def test_the_send_api_answers_like_graph(graph_api: FakeGraphAPI) -> None:
    token = {"access_token": graph_api.page_token}
    body = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
    async with httpx.AsyncClient() as client:
        sent = await client.post(graph_api.messages_url, params=token, json=body)
        typing = await client.post(
            graph_api.messages_url,
            headers={"Authorization": f"Bearer {graph_api.page_token}"},
            json={"recipient": {"id": PSID}, "sender_action": "typing_on"},
        )
        wrong = await client.post(graph_api.messages_url, params={"access_token": "x"}, json=body)

    assert sent.status_code == 200
    assert sent.json()["recipient_id"] == PSID
    assert sent.json()["message_id"].startswith("m_")
    assert typing.json() == {"recipient_id": PSID}
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, 190)
    assert graph_api.sent(PSID) == [body]
    assert graph_api.sender_actions(PSID) == ["typing_on"]
    assert len(await graph_api.await_for("me/messages", count=3)) == 3


async def test_fourteen_quick_replies_are_refused(graph_api: FakeGraphAPI) -> None:
    replies = [{"content_type": "text", "title": f"R{n}", "payload": f"P{n}"} for n in range(14)]
    body = {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "pick one", "quick_replies": replies},
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(
            graph_api.messages_url, params={"access_token": graph_api.page_token}, json=body
        )

    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["type"], error["code"]) == ("OAuthException", 100)
    assert "quick_replies" in error["message"]
    assert error["fbtrace_id"]
    assert graph_api.sent() == []


async def test_a_scripted_429_then_normal_service(graph_api: FakeGraphAPI) -> None:
    graph_api.fail_next("me/messages", 429, retry_after=7)
    body = {"recipient": {"id": PSID}, "messaging_type": "UPDATE", "message": {"text": "hi"}}
    async with httpx.AsyncClient() as client:
        limited = await client.post(
            graph_api.messages_url, params={"access_token": graph_api.page_token}, json=body
        )
        ok = await client.post(
            graph_api.messages_url, params={"access_token": graph_api.page_token}, json=body
        )

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["error"]["code"] == 613
    assert ok.status_code == 200
    assert len(graph_api.requests) == 2
    assert graph_api.sent(PSID) == [body]


def test_webhook_payloads_are_real_shaped_and_signed() -> None:
    message = text_event(PSID, "hello")["entry"][0]["messaging"][0]
    assert message["sender"] == {"id": PSID}
    assert message["message"]["text"] == "hello"
    assert message["message"]["mid"].startswith("m_")
    reply = quick_reply_event(PSID, "Yes", "YES")["entry"][0]["messaging"][0]["message"]
    assert reply["quick_reply"] == {"payload": "YES"}
    postback = postback_event(PSID, "Get Started", "GET_STARTED", referral={"ref": "trial-7"})
    assert postback["entry"][0]["messaging"][0]["postback"]["referral"] == {
        "ref": "trial-7",
        "source": "SHORTLINK",
        "type": "OPEN_THREAD",
    }
    assert (
        referral_event(PSID, "trial-7")["entry"][0]["messaging"][0]["referral"]["ref"] == "trial-7"
    )

    raw = json.dumps(text_event(PSID, "hello")).encode()
    expected = hmac.new(b"app-secret", raw, hashlib.sha256).hexdigest()
    assert sign(raw, "app-secret") == f"sha256={expected}"
