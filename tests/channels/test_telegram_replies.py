"""How replies look in Telegram: long answers split, buttons under the last part, long payloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot

from bot.channels.base import Button, Reply
from bot.channels.telegram import ButtonStore, send_replies
from bot.channels.text import utf16_len
from bot.db.migrate import upgrade
from bot.db.session import create_db_engine, make_session_factory
from tests.channels.conftest import Gateway
from tests.fakes.telegram import FakeBotAPI, message_update


@pytest.fixture
def store(tmp_path: Path) -> ButtonStore:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return ButtonStore(make_session_factory(create_db_engine(url)))


def _bot(api: FakeBotAPI) -> Bot:
    return Bot(api.token, base_url=api.base_url)


async def test_a_long_answer_comes_in_parts_with_the_buttons_under_the_last(
    bot_api: FakeBotAPI, store: ButtonStore
) -> None:
    paragraph = "Les visites ont lieu au centre, **le matin**, sur rendez-vous. " * 12
    text = "\n\n".join([paragraph] * 12)
    reply = Reply(text=text, buttons=(Button("Oui", "/affirm"), Button("Non", "/deny")))
    async with _bot(bot_api) as bot:
        await send_replies(bot, 3001, [reply], store)
    parts = bot_api.sent_messages(3001)
    assert len(parts) > 1
    assert all(utf16_len(part["text"]) <= 4096 for part in parts)
    assert all("reply_markup" not in part for part in parts[:-1])
    assert [b[0]["text"] for b in parts[-1]["reply_markup"]["inline_keyboard"]] == ["Oui", "Non"]
    assert "<b>le matin</b>" in parts[0]["text"]


async def test_a_scale_from_0_to_10_fits_in_two_rows_with_skip_below(
    bot_api: FakeBotAPI, store: ButtonStore
) -> None:
    scale = tuple(Button(str(n), f"/checkin:mood={n}") for n in range(11))
    reply = Reply(
        text="Your mood, 0 to 10?", buttons=(*scale, Button("Skip", "/checkin:mood=skip"))
    )
    async with _bot(bot_api) as bot:
        await send_replies(bot, 3002, [reply], store)
    (sent,) = bot_api.sent_messages(3002)
    rows = [[b["text"] for b in row] for row in sent["reply_markup"]["inline_keyboard"]]
    assert rows == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"], ["Skip"]]


async def test_markup_in_the_text_is_shown_not_obeyed(
    bot_api: FakeBotAPI, store: ButtonStore
) -> None:
    async with _bot(bot_api) as bot:
        await send_replies(bot, 3002, [Reply(text="Use <b> & </i> freely")], store)
    (sent,) = bot_api.sent_messages(3002)
    assert sent["text"] == "Use &lt;b&gt; &amp; &lt;/i&gt; freely"


async def test_a_payload_past_64_bytes_travels_under_a_short_key(
    bot_api: FakeBotAPI, store: ButtonStore
) -> None:
    payload = '/confirm_appointment{"appointment_id": 123456, "slot": "2026-12-01T09:30:00+01:00"}'
    reply = Reply(text="Confirm?", buttons=(Button("Yes", payload),))
    async with _bot(bot_api) as bot:
        await send_replies(bot, 3003, [reply], store)
    (sent,) = bot_api.sent_messages(3003)
    data = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    assert await store.payload(data) == payload


async def test_links_open_in_the_browser(bot_api: FakeBotAPI, store: ButtonStore) -> None:
    link = Button("Information sheet", url="https://example.org/sheet.pdf")
    async with _bot(bot_api) as bot:
        await send_replies(bot, 3004, [Reply(text="Read this", buttons=(link,))], store)
    (sent,) = bot_api.sent_messages(3004)
    button = sent["reply_markup"]["inline_keyboard"][0][0]
    assert button == {"text": "Information sheet", "url": "https://example.org/sheet.pdf"}


def test_a_failure_while_answering_is_logged_and_apologised_for(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.bot_api.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    gateway.telegram(message_update(3005, "bonjour", language_code="fr"))
    (apology,) = gateway.bot_api.sent_messages(3005)
    assert "problème est survenu" in apology["text"]
