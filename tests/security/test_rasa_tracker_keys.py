"""`trialbot keys rotate` reaches Rasa's tracker store: every event encrypted again with the
newest key, so that the old key can go without losing a conversation; a store left with an event
no key reads is left untouched, and the event named."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from bot.cli import app
from bot.crypto import Cipher
from bot.db.migrate import upgrade
from bot.settings import Settings, get_settings
from bot.tracker_keys import UnreadableEvent, reencrypt_tracker

# Rasa 3.6's `events` table, as its SQL tracker store creates it.
EVENTS = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
    " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),"
    " action_name VARCHAR(255), data TEXT)"
)
USER_EVENT = '{"event": "user", "text": "since the Zorblatt tablets I get a rash"}'


def _store(path: Path, values: list[str]) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute(EVENTS)
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, data) VALUES ('web-1', 'user', ?)",
            [(value,) for value in values],
        )
    return f"sqlite:///{path}"


def _data(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT data FROM events ORDER BY id")]


def test_every_event_is_readable_with_the_newest_key_alone(tmp_path: Path) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    path = tmp_path / "rasa-tracker.db"
    url = _store(path, [Cipher([old]).encrypt(USER_EVENT), USER_EVENT])  # one left in clear
    assert reencrypt_tracker(url, Cipher([new, old])) == 2
    assert [Cipher([new]).decrypt(value) for value in _data(path)] == [USER_EVENT, USER_EVENT]


def test_an_event_no_key_reads_is_named_and_nothing_changes(tmp_path: Path) -> None:
    lost, new = Fernet.generate_key(), Fernet.generate_key()
    path = tmp_path / "rasa-tracker.db"
    before = [Cipher([new]).encrypt(USER_EVENT), Cipher([lost]).encrypt(USER_EVENT)]
    url = _store(path, before)
    with pytest.raises(UnreadableEvent, match="event 2"):
        reencrypt_tracker(url, Cipher([new]))
    assert _data(path) == before


def test_a_store_rasa_has_not_created_yet_has_nothing_to_rotate(tmp_path: Path) -> None:
    assert (
        reencrypt_tracker(f"sqlite:///{tmp_path / 'none.db'}", Cipher([Fernet.generate_key()])) == 0
    )


def test_keys_rotate_reencrypts_rasas_events_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, tracker = tmp_path / "app.db", tmp_path / "rasa-tracker.db"
    upgrade(f"sqlite:///{database}")
    for name, value in {
        "TRIALBOT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{database}",
        "TRACKER_STORE_URL": f"sqlite:///{tracker}",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    get_settings.cache_clear()
    old = Cipher(get_settings().data_keys())  # the key file, made as the first start makes it
    _store(tracker, [old.encrypt(USER_EVENT)])
    rotated = CliRunner().invoke(app, ["keys", "rotate"])
    get_settings.cache_clear()
    assert rotated.exit_code == 0, rotated.output
    assert re.search(r"events\.data \(Rasa\) +1\n", rotated.stdout)
    newest = Settings(TRIALBOT_VAR_DIR=tmp_path / "var").data_keys()[:1]
    assert [Cipher(newest).decrypt(value) for value in _data(tracker)] == [USER_EVENT]
