"""A participant added by staff, linked over Telegram, reminded in French, confirms with one tap."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Stack, wait_until
from tests.fakes.telegram import callback_update, message_update

pytestmark = pytest.mark.e2e


def _button(message: dict[str, Any], title: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    (data,) = [b["callback_data"] for row in rows for b in row if b["text"] == title]
    return str(data)


def test_a_participant_is_reminded_and_confirms_with_one_tap(stack: Stack, tmp_path: Path) -> None:
    chat = 70777
    add = ["participants", "add", "E2E-007", "--trial", "demo-t2d-001", "--lang", "fr"]
    added = json.loads(stack.trialbot(*add, "--timezone", "Europe/Paris", "--json"))
    code = added["link_code"]
    assert added["telegram_link"] == f"https://t.me/demo_trials_bot?start={code}"

    # The link opened in Telegram: the chat is bound, in French, and reminders ask their consent.
    assert stack.telegram(message_update(chat, f"/start {code}")).status_code == 200
    said = stack.bot_api.sent_messages(chat)
    assert "cette conversation est maintenant reliée" in said[0]["text"]
    assert "participation à l'étude DMX-101 (démonstration fictive)" in said[0]["text"]
    question = said[-1]
    yes = _button(question, "Oui, j'accepte")
    stack.telegram(callback_update(chat, yes, language_code="fr"))
    assert (
        "Vos rappels de rendez-vous sont activés" in stack.bot_api.sent_messages(chat)[-1]["text"]
    )

    # Staff import a visit in an hour and a half: the reminders due before it go out once, now.
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90)
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "participant_code,trial,site,starts_at,timezone,kind\n"
        f"E2E-007,demo-t2d-001,paris-nord,{starts.isoformat(timespec='seconds')},"
        "Europe/Paris,visite de sélection\n"
    )
    # Counted first: the dispatcher may send it while the import command is still exiting.
    before = len(stack.bot_api.sent_messages(chat))
    stack.trialbot("appointments", "import", str(visits))
    wait_until(
        lambda: len(stack.bot_api.sent_messages(chat)) > before, 30, "the reminder on Telegram"
    )
    reminder = stack.bot_api.sent_messages(chat)[before]
    assert reminder["text"].startswith("Rappel : votre rendez-vous « visite de sélection »")
    assert "Hôpital de démonstration Paris-Nord" in reminder["text"]
    reminders = json.loads(
        stack.trialbot("reminders", "list", "--participant", "E2E-007", "--json")
    )
    assert [(r["status"], r["channel"]) for r in reminders] == [("sent", "telegram")]
    assert reminders[0]["attempts"] == 1

    # One tap on "Je confirme": the appointment is confirmed, and the participant told so.
    stack.telegram(callback_update(chat, _button(reminder, "✅ Je confirme"), language_code="fr"))
    assert "votre rendez-vous est confirmé" in stack.bot_api.sent_messages(chat)[-1]["text"]
    # Other tests' participants share this stack: this one's appointment.
    listed = stack.trialbot("appointments", "list", "--participant", "E2E-007", "--json")
    (appointment,) = json.loads(listed)
    assert appointment["status"] == "confirmed" and appointment["participant_code"] == "E2E-007"
    stack.telegram(
        message_update(chat, "c'est quand mon prochain rendez-vous ?", language_code="fr")
    )
    assert "visite de sélection" in stack.bot_api.sent_messages(chat)[-1]["text"]
    assert "(confirmé)" in stack.bot_api.sent_messages(chat)[-1]["text"]
