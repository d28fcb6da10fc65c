"""`trialbot handoff list|reply|close` as staff run them, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from bot.channels.web import WebChannel
from bot.cli import app
from bot.crypto import Cipher
from bot.db.migrate import upgrade
from bot.db.session import create_db_engine
from bot.settings import Settings, get_settings
from tests.handoff.factories import conversation, handoff


@pytest.fixture
def database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[sessionmaker[Session], Cipher]]:
    """The CLI's database, with its settings in the environment (no Telegram, no Messenger)."""
    upgrade(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    for name in ("DATA_ENCRYPTION_KEY", "TELEGRAM_BOT_TOKEN", "MESSENGER_PAGE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()  # the CLI reads the settings of this test, not an earlier one
    engine = create_db_engine(database_url)
    try:
        cipher = Cipher.from_settings(Settings(TRIALBOT_VAR_DIR=tmp_path / "var"))
        yield sessionmaker(engine, expire_on_commit=False), cipher
    finally:
        engine.dispose()
        get_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["handoff", *args])


def _said(result: Result) -> str:
    return " ".join(result.output.split())  # Rich wraps lines at the terminal's width


def test_list_shows_the_open_requests_newest_first(
    database: tuple[sessionmaker[Session], Cipher],
) -> None:
    sessions, cipher = database
    assert "Nobody is waiting for the study team." in _run("list").output
    with sessions.begin() as session:
        conversation(session, "web-first")
        conversation(session, "telegram-second", channel="telegram", language="fr")
        first = handoff(session, cipher, "web-first", text="can a nurse call me?")
        handoff(session, cipher, "telegram-second", reason="misunderstood")
        session.flush()
    listed = _run("list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["participant"], r["reason"]) for r in rows] == [
        ("telegram-second", "misunderstood"),
        ("web-first", "asked"),
    ]
    assert set(rows[0]) >= {"id", "kind", "created_at", "participant", "channel", "text", "status"}
    assert {r["kind"] for r in rows} == {"handoff"} and {r["status"] for r in rows} == {"open"}
    assert "- can a nurse call me?" in rows[1]["text"]
    table = _run("list")
    assert table.exit_code == 0 and "nurse" in table.output
    assert str(first.id) in table.output and "telegram, fr" in table.output


def test_a_reply_reaches_the_web_chat_and_close_ends_the_handoff(
    database: tuple[sessionmaker[Session], Cipher],
) -> None:
    sessions, cipher = database
    with sessions.begin() as session:
        conversation(session, "web-answered")
        opened = handoff(session, cipher, "web-answered")
    replied = _run("reply", str(opened.id), "Hello, this is Anna from the study team.")
    assert replied.exit_code == 0, replied.output
    assert f"Answer to handoff {opened.id} was delivered on web." in _said(replied)
    outbox = WebChannel(sessions, cipher)._updates("web-answered", 0)["messages"]
    assert [m["text"] for m in outbox] == [
        "Message from the study team:\nHello, this is Anna from the study team."
    ]

    closed = _run("close", str(opened.id), "--json")
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.output)["delivery"] == "sent"
    assert _run("list", "--json").output.strip() == "[]"
    (row,) = json.loads(_run("list", "--all", "--json").output)
    assert (row["status"], row["closed_by"]) == ("closed", "staff")
    assert [m["author"] for m in row["messages"]] == ["staff", "assistant"]

    again = _run("reply", str(opened.id), "One more thing")
    assert again.exit_code == 1 and f"handoff {opened.id} is closed" in _said(again)
    unknown = _run("reply", "999", "Hello")
    assert unknown.exit_code == 1 and "there is no handoff 999" in _said(unknown)
    assert _run("close", "999").exit_code == 1


def test_a_reply_to_a_channel_not_set_up_here_is_queued_for_the_gateway(
    database: tuple[sessionmaker[Session], Cipher],
) -> None:
    sessions, cipher = database
    with sessions.begin() as session:
        conversation(session, "telegram-later", channel="telegram")
        opened = handoff(session, cipher, "telegram-later")
    replied = _run("reply", str(opened.id), "We will call you tomorrow.", "--close")
    assert replied.exit_code == 0, replied.output
    said = _said(replied)
    assert f"Answer to handoff {opened.id} is queued: not delivered yet" in said
    assert "no telegram channel is configured in this process" in said
    assert "tries again until it is" in said and f"Handoff {opened.id} is closed." in said
    (row,) = json.loads(_run("list", "--all", "--json").output)
    assert [m["delivery"] for m in row["messages"]] == ["pending", "pending"]
