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

from bot.crypto import Cipher
from bot.db.migrate import upgrade
from bot.db.models import Reminder, ReminderStatus
from bot.db.session import create_db_engine
from bot.settings import PROJECT_ROOT, Settings
from tests.fakes.telegram import FakeBotAPI
from tests.reminders.linking import linked_participant, schedule_visit

CHAT = 4242
WHO = "telegram-standalone"


def _linked_participant_with_a_visit_soon(settings: Settings) -> None:
    upgrade(settings.db_url)
    engine = create_db_engine(settings.db_url)
    address = Cipher.from_settings(settings).encrypt(str(CHAT))
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90)).isoformat()
    try:
        with Session(engine) as session, session.begin():
            linked_participant(session, "S-9", "demo-asthma-002", WHO, address=address)
            schedule_visit(session, "S-9", "demo-asthma-002", starts)
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
