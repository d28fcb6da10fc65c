"""Consent through the web chat: given with the exact text, withdrawn, and the data erased."""

from __future__ import annotations

import hashlib
import io
import os
import re
import sqlite3
import subprocess
import sys
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from bot.consent.texts import load_consents
from bot.pseudonym import pseudonym
from bot.settings import PROJECT_ROOT, Settings
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def _rows(stack: Stack, database: str, query: str, *values: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(stack.var_dir / database) as connection:
        return connection.execute(query, values).fetchall()


def _trialbot(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TRIALBOT_VAR_DIR": str(stack.var_dir), "DATABASE_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT_ROOT,
        timeout=120,
    )


def _text(lang: str) -> str:
    (text,) = [
        t
        for t in load_consents(PROJECT_ROOT / "knowledge").texts
        if (t.id, t.lang) == ("prescreening", lang)
    ]
    return text.body


@pytest.mark.parametrize(
    ("lang", "ask", "recorded", "withdraw", "withdrawn", "erase", "erased"),
    [
        (
            "en",
            "can I take part in the diabetes trial?",
            "is recorded (version 1",
            "I want to withdraw my consent",
            "is withdrawn",
            "please delete my data",
            "I have erased",
        ),
        (
            "fr",
            "est-ce que je peux participer à l'essai sur l'asthme ?",
            "est enregistré (version 1",
            "je retire mon consentement",
            "est retiré",
            "supprimez mes données",
            "J'ai supprimé",
        ),
    ],
)
def test_a_patient_gives_withdraws_and_erases(
    stack: Stack,
    lang: str,
    ask: str,
    recorded: str,
    withdraw: str,
    withdrawn: str,
    erase: str,
    erased: str,
) -> None:
    sender = f"e2e-consent-{lang}"
    messages = stack.chat(sender, ask, lang=lang)
    shown = "\n\n".join(m.get("text", "") for m in messages[1:-1])
    # The exact text, in readable pieces, then an explicit question: nothing pre-selected.
    assert shown == _text(lang)
    assert all(len(m.get("text", "")) < 1000 for m in messages)
    question = messages[-1]
    assert [b["payload"].split('"decision":')[1] for b in question["buttons"]] == [
        '"yes"}',
        '"no"}',
    ]
    sha = hashlib.sha256(_text(lang).encode()).hexdigest()
    assert sha in question["buttons"][0]["payload"]
    assert f"/consent/{sha}" in question["text"]
    page = httpx.get(f"{stack.url}/consent/{sha}", timeout=10)
    assert page.status_code == 200 and "Version 1" in page.text

    reply = stack.chat(sender, question["buttons"][0]["payload"])
    assert recorded in reply[0]["text"]
    # Their copy of the decision, to keep: a PDF with the meaning and the exact words.
    agreed = _copy(stack, reply)
    assert ("Vous avez accepté" if lang == "fr" else "You agreed to") in agreed
    assert " ".join(_text(lang).split("\n\n")[-1].split()) in agreed
    records = _rows(
        stack,
        "trialbot.db",
        "SELECT consent_id, version, language, decision, text_sha256 FROM consent_ledger"
        " ORDER BY seq DESC LIMIT 1",
    )
    assert records == [("prescreening", 1, lang, "granted", sha)]

    confirm = stack.chat(sender, withdraw)
    assert len(confirm) == 1 and len(confirm[0]["buttons"]) == 2
    done = stack.chat(sender, confirm[0]["buttons"][0]["payload"])
    assert withdrawn in done[0]["text"]
    taken_back = _copy(stack, done)
    assert ("Vous avez retiré votre accord" if lang == "fr" else "You withdrew") in taken_back
    assert _rows(
        stack, "trialbot.db", "SELECT decision FROM consent_ledger ORDER BY seq DESC LIMIT 1"
    ) == [("withdrawn",)]
    key = pseudonym(Settings(TRIALBOT_VAR_DIR=stack.var_dir).pseudonym_secret(), "web", sender)
    query = "SELECT messages_stopped_at FROM conversations WHERE sender_key = ?"
    assert _rows(stack, "trialbot.db", query, key)[0][0] is not None  # no more messages
    events = "SELECT count(*) FROM events WHERE sender_id = ?"
    assert _rows(stack, "rasa-tracker.db", events, key) != [(0,)]

    confirm = stack.chat(sender, erase)
    assert len(confirm[0]["buttons"]) == 2
    done = stack.chat(sender, "oui" if lang == "fr" else "yes")
    assert erased in done[0]["text"]
    assert not any("trialbot_erase" in str(m) for m in done)
    # No trace of the person left: not in the app, not in Rasa's tracker store.
    assert _rows(stack, "rasa-tracker.db", events, key) == [(0,)]
    for table in ("conversations", "consent_subjects", "unanswered_questions", "answer_feedback"):
        assert _rows(stack, "trialbot.db", f"SELECT * FROM {table} WHERE sender_key = ?", key) == []  # noqa: S608
    verify = _trialbot(stack, "consent", "verify", "--json")
    assert verify.returncode == 0, verify.stderr
    assert '"ok": true' in verify.stdout
    last = _rows(
        stack,
        "trialbot.db",
        "SELECT consent_id, decision, text_sha256 FROM consent_ledger ORDER BY seq DESC LIMIT 1",
    )
    assert last == [("erasure", "erased", "")]


def _copy(stack: Stack, messages: list[dict[str, Any]]) -> str:
    """The text of the copy the assistant's messages link to, as a PDF reader extracts it."""
    # PUBLIC_URL is set: the link is absolute, to the site's public address.
    links = re.findall(r"\]\(https://[^/)]+(/consent/copy/[0-9]+-[0-9a-f]+)\)", str(messages))
    assert len(links) == 1, messages
    response = httpx.get(stack.url + links[0], timeout=30)
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)
