"""Nothing a patient wrote is stored in clear, Rasa's tracker store included, on SQLite and on
PostgreSQL; the dialogue still goes on across a restart of Rasa; `var/` and the database files
are the owner's alone.

A whole conversation goes through the real stack (a pre-screening with a phone number given as
contact, a side effect, a question, a hand-off), with words and a number found nowhere else; then
every table and column of every database is searched for them.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.db.session import normalise_url
from bot.localstack import local_stack
from tests.e2e.conftest import Stack, talking_to, wait_until
from tests.e2e.test_screening import Patient
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI

pytestmark = pytest.mark.e2e

# Words and a number that appear nowhere but in what the patient writes.
SIDE_EFFECT = "since the Zorblatt tablets I get an itchy rash on my arms"
QUESTION = "does quinceberry juice interact with the study medicine?"
PHONE = "+33 6 47 19 28 53"
SECRETS_OF_THE_PATIENT = ("zorblatt", "quinceberry", "itchy rash")
PHONE_DIGITS = "647192853"

# Columns of the application database that the work on its own encryption has not reached yet
# (not Rasa's): each is a known gap to close, and goes from this list when it is closed.
KNOWN_APP_GAPS: set[str] = set()


def _converse(stack: Stack, sender: str, *, restart_rasa: bool = False) -> None:
    """The conversation, checked at each step so that a broken one cannot pass the search."""
    patient = Patient(stack, sender, "en")
    patient.says("can I join the diabetes study?")
    assert "How old are you?" in patient.agrees_to_consent()
    assert "Which type of diabetes" in patient.says("I'm 52")
    if restart_rasa:
        _restart_rasa(stack)  # what Rasa knew of the dialogue must come back from its store
    assert "you may be able to take part" in patient.answers_the_diabetes_questions_from_its_type()
    assert "Before we go on" in patient.presses("Yes, contact me")
    assert "When would you prefer" in patient.agrees_to_consent()
    assert "How would you like them" in patient.presses("Morning")
    assert "Which phone number" in patient.presses("By phone")
    assert "you asked for the morning, and they will try to" in patient.says(PHONE)
    assert "Thank you for telling us" in patient.says(SIDE_EFFECT)
    patient.says(QUESTION)
    assert "passed your question to the study team" in patient.says(
        "I'd like to talk to a real person"
    )


def _restart_rasa(stack: Stack) -> None:
    os.kill(stack.child_pid("rasa run"), signal.SIGKILL)
    wait_until(lambda: stack.health().status_code == 503, 30, "health to report Rasa down")
    wait_until(lambda: stack.health().status_code == 200, 300, "the supervisor to restart Rasa")


def _hits(table: str, column: str, value: Any) -> list[str]:
    """What of the patient's words and number `value` holds, as `table.column: word`."""
    if value is None:
        return []
    if isinstance(value, memoryview):
        value = value.tobytes()
    found = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    words = [word for word in SECRETS_OF_THE_PATIENT if word in found.lower()]
    if PHONE_DIGITS in "".join(ch for ch in found if ch.isdigit()):
        words.append(PHONE_DIGITS)
    return [f"{table}.{column}: {word}" for word in words]


def _sqlite_hits(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        hits: set[str] = set()
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    hits.update(_hits(f"{path.name}:{table}", column, value))
    return hits


def _databases(var_dir: Path) -> list[Path]:
    """Every SQLite database under `var_dir`, whatever its name."""
    return [
        path
        for path in var_dir.rglob("*")
        if path.is_file() and path.open("rb").read(16) == b"SQLite format 3\x00"
    ]


def _postgres_hits(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    hits: set[str] = set()
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                result = connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
                for row in result:
                    for column, value in row._mapping.items():
                        hits.update(_hits(table, column, value))
    finally:
        engine.dispose()
    return hits


def _not_known(hits: set[str]) -> set[str]:
    return {hit for hit in hits if hit.split(": ")[0].split(":")[-1] not in KNOWN_APP_GAPS}


def test_a_whole_conversation_leaves_no_patient_words_in_any_sqlite_database(
    stack: Stack,
) -> None:
    _converse(stack, "sec-tracker-sqlite", restart_rasa=True)
    databases = _databases(stack.var_dir)
    assert {path.name for path in databases} >= {"trialbot.db", "rasa-tracker.db"}
    hits = set().union(*(_sqlite_hits(path) for path in databases))
    assert _not_known(hits) == set()


def test_var_and_every_database_file_are_the_owners_alone(stack: Stack) -> None:
    """The stack was started with umask 0 and var/ open to all (tests/security/conftest.py)."""
    assert stat.S_IMODE(stack.var_dir.stat().st_mode) == 0o700
    suffixes = (".db", ".db-wal", ".db-shm", ".db-journal")
    files = [p for p in stack.var_dir.rglob("*") if p.is_file() and p.name.endswith(suffixes)]
    assert {p.name for p in files} >= {"trialbot.db", "rasa-tracker.db"}
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert modes == dict.fromkeys(modes, oct(0o600))


@pytest.fixture
def postgres_stack(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    """A stack of its own whose application database and tracker store are on PostgreSQL."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with (
        FakeBotAPI() as bot_api,
        FakeGraphAPI() as graph_api,
        local_stack(var_dir, env={"DATABASE_URL": postgres_url}) as started,
        talking_to(started, bot_api, graph_api) as stack,
    ):
        yield stack, postgres_url


@pytest.mark.postgres
def test_a_whole_conversation_leaves_no_patient_words_in_postgresql(
    postgres_stack: tuple[Stack, str],
) -> None:
    stack, url = postgres_stack
    _converse(stack, "sec-tracker-postgres")
    tables = _postgres_tables(url)
    assert {"events", "conversations", "screenings"} <= tables  # Rasa's and the app's, together
    assert _not_known(_postgres_hits(url)) == set()


def _postgres_tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
