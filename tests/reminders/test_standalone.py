"""`trialbot dispatcher` on its own: it finds a due reminder in the database and sends it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.consent import service
from bot.consent.texts import load_consents
from bot.crypto import Cipher
from bot.db.migrate import upgrade
from bot.db.models import Conversation, LanguageSource, Reminder, ReminderStatus
from bot.db.session import create_db_engine
from bot.reminders import appointments, participants
from bot.settings import PROJECT_ROOT, Settings
from tests.fakes.telegram import FakeBotAPI

CHAT = 4242
WHO = "telegram-standalone"


def _linked_participant_with_a_visit_soon(settings: Settings) -> None:
    upgrade(settings.db_url)
    engine = create_db_engine(settings.db_url)
    trials = appointments.read_trials(PROJECT_ROOT / "knowledge")
    try:
        with Session(engine) as session, session.begin():
            session.add(
                Conversation(
                    channel="telegram", sender_key=WHO, language="en",
                    language_source=LanguageSource.CHOSEN,
                    address=Cipher.from_settings(settings).encrypt(str(CHAT)),
                )
            )  # fmt: skip
            added = participants.add(session, "S-9", "demo-asthma-002", set(trials))
            participants.bind(session, WHO, added.link_code)
            texts = load_consents(PROJECT_ROOT / "knowledge")
            shown = service.to_ask(session, texts, WHO, "reminders", "en")
            assert shown is not None
            service.decide(session, WHO, shown.reference, agreed=True)
            site = sorted(trials["demo-asthma-002"].sites)[0]
            starts = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90)).isoformat()
            line = f"S-9,demo-asthma-002,{site},{starts},Europe/Paris,week 4\n"
            header = "participant_code,trial,site,starts_at,timezone,kind\n"
            assert appointments.import_csv(session, header + line, trials).rejected == []
    finally:
        engine.dispose()


def test_the_dispatcher_process_sends_a_due_reminder(
    settings: Settings, bot_api: FakeBotAPI
) -> None:
    _linked_participant_with_a_visit_soon(settings)
    environment = {
        **os.environ,
        "TRIALBOT_VAR_DIR": str(settings.var_dir),
        "DATABASE_URL": "",
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "REMINDER_INTERVAL_SECONDS": "0.5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "dispatcher"],
        cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not bot_api.sent_messages(CHAT) and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.2)
        (sent,) = bot_api.sent_messages(CHAT)
        assert sent["text"].startswith("Reminder: your week 4 appointment")
        assert [b["text"] for b in sent["reply_markup"]["inline_keyboard"][0]][:1] == ["✅ Confirm"]
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "reminder dispatcher up (channels: telegram, web)" in output
    engine = create_db_engine(settings.db_url)
    try:
        with Session(engine) as session:
            (reminder,) = session.scalars(select(Reminder)).all()
            assert reminder.status == ReminderStatus.SENT and reminder.channel == "telegram"
            assert reminder.message_id is not None
    finally:
        engine.dispose()
