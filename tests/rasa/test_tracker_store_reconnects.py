"""After the database server drops its connections (a restart), the tracker store reads the
conversation on the next turn, instead of failing turns on the connections kept from before."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from tests.rasa.running import rasa_python

pytestmark = pytest.mark.postgres

SNIPPET = """
import asyncio, json, os, sys
import sqlalchemy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_addons import tracker_store

url, mode = sys.argv[1], sys.argv[2]
if mode == "rasa":  # Rasa's own engine, its pooled connections not tested before use
    tracker_store.EncryptedSQLTrackerStore._test_connections_before_use = lambda self: None

async def main():
    store = tracker_store.EncryptedSQLTrackerStore(
        Domain.empty(), dialect="postgresql", host=url, db=""
    )
    tracker = DialogueStateTracker("someone", [])
    tracker.update(UserUttered("hello"))
    await store.save(tracker)
    await store.retrieve("someone")  # its connection is kept in the pool
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
    admin.dispose()
    try:
        again = await store.retrieve("someone")
        outcome = [event.as_dict()["event"] for event in again.events]
    except Exception as error:
        outcome = f"failed: {type(error).__name__}"
    print(json.dumps(outcome))

asyncio.run(main())
"""


def _next_turn(postgres_url: str, mode: str) -> object:
    result = rasa_python(
        "-c", SNIPPET, postgres_url, mode, log_level="WARNING", timeout=180,
        env={"TRACKER_STORE_KEYS": Fernet.generate_key().decode()},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_conversation_is_read_on_a_new_connection(postgres_url: str) -> None:
    assert _next_turn(postgres_url, "addon") == ["user"]


def test_rasa_alone_fails_the_turn_on_a_dropped_connection(postgres_url: str) -> None:
    assert _next_turn(postgres_url, "rasa") == "failed: OperationalError"
