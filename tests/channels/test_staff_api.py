"""Staff add, move and cancel appointments, and answer handoffs, over HTTP with a token."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import InboundMessage, MessageStatus, Reminder, ReminderStatus
from bot.pseudonym import pseudonym
from bot.reminders import participants
from tests.channels.conftest import Gateway
from tests.fakes.telegram import message_update
from tests.handoff.factories import handoff


def test_staff_add_move_and_cancel_an_appointment(gateway: Gateway) -> None:
    with Session(gateway.engine) as session, session.begin():
        participants.add(session, "API-1", "demo-t2d-001", {"demo-t2d-001"})
    api = f"{gateway.url}/api/staff/appointments"
    auth = {"Authorization": f"Bearer {gateway.settings.staff_token()}"}
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0)
    body = {
        "participant_code": "API-1", "trial": "demo-t2d-001", "site": "paris-nord",
        "starts_at": starts.isoformat(), "timezone": "Europe/Paris", "kind": "week 12",
    }  # fmt: skip

    assert httpx.post(api, json=body).status_code == 401
    assert httpx.post(api, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    added = httpx.post(api, json=body, headers=auth)
    assert added.status_code == 201, added.text
    appointment = added.json()
    assert appointment["status"] == "scheduled" and appointment["reminders"] == 3
    again = httpx.post(api, json=body, headers=auth)
    assert again.status_code == 400
    assert again.json()["detail"] == "duplicate: API-1 already has this week 12"

    later = f"{api}/{appointment['id']}/move"
    moved = httpx.post(later, json={"starts_at": "2099-01-05T10:00:00"}, headers=auth)
    assert moved.status_code == 200, moved.text
    assert moved.json()["local_time"] == "2099-01-05T10:00:00+01:00"
    past = httpx.post(later, json={"starts_at": "2001-01-01T10:00:00"}, headers=auth)
    assert past.status_code == 400 and "past" in past.json()["detail"]

    cancelled = httpx.post(f"{api}/{appointment['id']}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["reminders_cancelled"] == 3
    listed = httpx.get(api, params={"participant": "API-1"}, headers=auth).json()
    assert [a["status"] for a in listed] == ["cancelled"]
    assert httpx.post(f"{api}/999/cancel", headers=auth).status_code == 404
    with Session(gateway.engine) as session:
        statuses = session.scalars(select(Reminder.status)).all()
        assert statuses.count(ReminderStatus.CANCELLED) == 6  # 3 moved away, 3 cancelled
        assert ReminderStatus.SCHEDULED not in statuses


def test_staff_answer_a_handoff_and_the_answer_reaches_telegram(gateway: Gateway) -> None:
    chat = 5501
    gateway.telegram(message_update(chat, "hello, a question about my visit"))
    key = pseudonym(gateway.settings.pseudonym_secret(), "telegram", str(chat))
    with Session(gateway.engine) as session, session.begin():
        session.execute(update(InboundMessage).values(status=MessageStatus.DONE))  # as if answered
        handoff_id = handoff(session, Cipher.from_settings(gateway.settings), key).id
    gateway.telegram(message_update(chat, "can I bring my daughter?"))
    waiting = gateway.bot_api.sent_messages(chat)[-1]
    assert waiting["text"].startswith("Your question is with the study team")
    (row,) = waiting["reply_markup"]["inline_keyboard"]
    assert row == [{"text": "Back to the assistant", "callback_data": "/back_to_assistant"}]

    api = f"{gateway.url}/api/staff/handoffs"
    auth = {"Authorization": f"Bearer {gateway.settings.staff_token()}"}
    assert httpx.get(api).status_code == 401
    (listed,) = httpx.get(api, headers=auth).json()
    assert listed["id"] == handoff_id and listed["channel"] == "telegram"
    assert [m["text"] for m in listed["messages"]] == ["can I bring my daughter?"]

    answer = {"text": "Yes, of course. See you on Monday!", "close": True}
    replied = httpx.post(f"{api}/{handoff_id}/reply", json=answer, headers=auth)
    assert replied.status_code == 200, replied.text
    assert replied.json() == {
        "handoff_id": handoff_id, "channel": "telegram", "delivery": "sent", "error": None,
    }  # fmt: skip
    said, notice = gateway.bot_api.sent_messages(chat)[-2:]
    assert said["text"] == "Message from the study team:\nYes, of course. See you on Monday!"
    assert notice["text"].startswith("The study team has closed your request.")
    assert httpx.get(api, headers=auth).json() == []
    again = httpx.post(f"{api}/{handoff_id}/reply", json=answer, headers=auth)
    assert again.status_code == 400 and again.json()["detail"] == f"handoff {handoff_id} is closed"
    assert httpx.post(f"{api}/999/close", headers=auth).status_code == 404
