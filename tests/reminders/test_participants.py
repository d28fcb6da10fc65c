"""Staff register participants; a one-time code binds a chat to them, once, before it expires."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.db.models import LinkCode, Participant
from bot.reminders import participants
from bot.settings import get_settings

TRIALS = {"demo-t2d-001", "demo-asthma-002"}


def test_a_code_binds_one_chat_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        added = participants.add(session, "P-001", "demo-t2d-001", TRIALS, timezone="Europe/Paris")
    code = added.link_code
    assert len(code) == 8 and set(code) <= set(participants.ALPHABET)
    assert participants.looks_like_code(f" {code[:4].lower()} {code[4:]} ") == code
    with sessions.begin() as session:
        stored = session.scalars(select(LinkCode.code_sha256)).all()
        assert code not in stored  # only its digest is kept
        bound = participants.bind(session, "telegram-abc", code)
        assert bound is not None and bound.code == "P-001" and bound.linked_at is not None
    with sessions.begin() as session:
        assert participants.bind(session, "telegram-other", code) is None  # single use
        (participant,) = session.scalars(select(Participant)).all()
        assert participant.sender_key == "telegram-abc"
        # Following one's own link again is recognised (the web page sends it with each message).
        assert participants.bound_to(session, code, "telegram-abc")
        assert not participants.bound_to(session, code, "telegram-other")


def test_an_expired_code_binds_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        added = participants.add(session, "P-002", "demo-asthma-002", TRIALS, language="fr")
        session.execute(
            update(LinkCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
    with sessions.begin() as session:
        assert participants.bind(session, "web-1", added.link_code) is None
        assert session.scalars(select(Participant.sender_key)).all() == [None]


@pytest.mark.parametrize(
    ("code", "trial", "options", "message"),
    [
        ("P 1", "demo-t2d-001", {}, "1 to 64 letters"),
        ("P-1", "demo-xyz", {}, "unknown trial 'demo-xyz' (known: demo-asthma-002, demo-t2d-001)"),
        ("P-1", "demo-t2d-001", {"language": "de"}, "language 'de': one of en, fr"),
        ("P-1", "demo-t2d-001", {"timezone": "Paris"}, "unknown time zone 'Paris'"),
    ],
)
def test_staff_are_told_what_is_wrong(
    sessions: sessionmaker[Session], code: str, trial: str, options: dict[str, str], message: str
) -> None:
    with (
        sessions.begin() as session,
        pytest.raises(participants.InvalidParticipant, match=re.escape(message)),
    ):
        participants.add(session, code, trial, TRIALS, **options)  # type: ignore[arg-type]


def test_typed_words_are_not_taken_for_codes() -> None:
    for text in ("HOSPITAL", "yes", "PATATRAS", "12345678", "my visit is on 12/03/2027",
                 "hba1c 7.5 since 2019", "room B12 floor 3"):  # fmt: skip
        assert participants.looks_like_code(text) is None


def test_a_code_inside_a_sentence_is_found() -> None:
    for text in ("hi my code is k7qf3mzp", "code reçu de l'hôpital : K7QF-3MZP",
                 "K7QF3MZP please"):  # fmt: skip
        assert participants.looks_like_code(text) == "K7QF3MZP"


def test_participants_add_prints_the_contract_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "demo_trials_bot")
    monkeypatch.setenv("MESSENGER_PAGE_NAME", "demotrials")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER", "15550100200")
    monkeypatch.setenv("PUBLIC_URL", "https://trials.example.org/")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        args = ["participants", "add", "S-042", "--trial", "demo-t2d-001", "--lang", "fr"]
        result = runner.invoke(app, [*args, "--timezone", "Europe/Paris", "--json"])
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        code = shown["link_code"]
        assert shown["participant_code"] == "S-042"
        assert shown["telegram_link"] == f"https://t.me/demo_trials_bot?start={code}"
        assert shown["messenger_link"] == f"https://m.me/demotrials?ref={code}"
        assert shown["whatsapp_link"] == f"https://wa.me/15550100200?text=START%20{code}"
        assert shown["web_link"] == f"https://trials.example.org/?ref={code}"
        again = runner.invoke(app, [*args, "--json"])
        assert again.exit_code == 1  # with --json the error is JSON too, on stdout
        assert json.loads(again.stdout) == {"error": "participant 'S-042' is already registered"}
    finally:
        get_settings.cache_clear()
