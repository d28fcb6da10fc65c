"""WhatsApp through the gateway's webhook, with the Cloud API played by a local server that
speaks its wire format. Rasa is down here: each message gets the gateway's own apology, a real
reply through the channel's whole path (tests/e2e has the conversation with Rasa)."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.channels import registry
from bot.channels.base import Button, NotDelivered, Reply
from bot.channels.whatsapp import parse_events, render
from bot.db.models import (
    Appointment,
    Conversation,
    DeliveryReceipt,
    Participant,
    Reminder,
    ReminderStatus,
    utcnow,
)
from bot.reminders import report
from tests.channels.conftest import PERSON, Number
from tests.fakes.channels import WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN
from tests.fakes.graph import sign
from tests.fakes.whatsapp import (
    DEFAULT_PHONE_NUMBER_ID,
    button_reply,
    image,
    list_reply,
    location,
    status,
    template_button,
    text_message,
)


def _verify(number: Number, token: str) -> httpx.Response:
    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "2071361425"}
    return httpx.get(f"{number.url}/webhooks/whatsapp", params=params)


def test_the_subscription_handshake_echoes_the_challenge(number: Number) -> None:
    answer = _verify(number, WHATSAPP_VERIFY_TOKEN)
    assert answer.status_code == 200 and answer.text == "2071361425"
    assert _verify(number, "wrong").status_code == 403


def test_a_signed_message_is_marked_read_and_answered(number: Number) -> None:
    event = text_message(PERSON, "hello, I have a question")
    assert number.post(event).status_code == 200
    (answer,) = number.sent(1)
    assert answer["messaging_product"] == "whatsapp" and answer["to"] == PERSON
    assert answer["type"] == "text" and "112" in answer["text"]["body"]
    wamid = event["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert number.api.read_marks() == [wamid]
    # The Cloud API was called as Meta documents: the number's path, the bearer token.
    call = number.api.successful(number.api.messages_method)[-1]
    assert call.path == f"/v21.0/{DEFAULT_PHONE_NUMBER_ID}/messages"
    assert call.headers["authorization"] == f"Bearer {number.api.token}"


def test_forged_or_missing_signatures_are_refused_and_send_nothing(number: Number) -> None:
    payload = text_message(PERSON, "hello")
    assert number.post(payload, signature="sha256=" + "0" * 64).status_code == 403
    assert number.post(payload, signature="").status_code == 403
    assert number.api.requests == []
    assert number.received_texts() == []


def test_malformed_bodies_get_400(number: Number) -> None:
    bad = httpx.post(
        f"{number.url}/webhooks/whatsapp",
        content=b"{oops",
        headers={"X-Hub-Signature-256": sign(b"{oops", WHATSAPP_APP_SECRET)},
    )
    assert bad.status_code == 400
    assert number.post({"object": "page", "entry": []}).status_code == 400


def test_a_repeated_delivery_is_answered_once(number: Number) -> None:
    event = text_message(PERSON, "hello", message_id="wamid.same")
    assert number.post(event).status_code == 200
    number.sent(1)
    assert number.post(event).status_code == 200
    time.sleep(0.5)
    assert number.received_texts() in ([None], ["hello"])
    assert len(number.api.whatsapp_sent(PERSON)) == 1


def test_buttons_lists_and_template_replies_send_their_payloads(number: Number) -> None:
    number.post(button_reply(PERSON, "/affirm", "Yes"))
    number.post(list_reply(PERSON, '/choose_trial{"trial": "demo-t2d-001"}', "DMX-101"))
    number.post(template_button(PERSON, "Confirm", "/confirm_appointment"))
    number.sent(3)
    assert number.received_texts() == [
        "/affirm",
        '/choose_trial{"trial": "demo-t2d-001"}',
        "/confirm_appointment",
    ]


def test_photos_and_locations_get_a_polite_answer_and_are_not_kept(number: Number) -> None:
    number.post(image(PERSON))
    number.post(location(PERSON))
    first, second = number.sent(2)
    assert first["text"]["body"].startswith("Sorry, I can only read text messages")
    assert second == first
    assert number.received_texts() == [None, None]  # their ids, nothing of what they hold


def test_a_photo_delivered_again_is_answered_once(number: Number) -> None:
    """Meta delivers a webhook again when it is unsure of the first (a slow answer, a gateway
    restarted): the polite answer went out once per delivery."""
    photo = image(PERSON)
    number.post(photo)
    number.sent(1)
    number.post(photo)
    number.post(text_message(PERSON, "hello"))  # what comes after is answered as ever
    number.sent(2)
    time.sleep(0.5)
    bodies = [m["text"]["body"] for m in number.api.whatsapp_sent(PERSON)]
    assert sum(body.startswith("Sorry, I can only read text") for body in bodies) == 1


def test_a_wa_me_link_s_start_message_records_the_campaign(number: Number) -> None:
    number.post(text_message(PERSON, "START camp_autumn"))
    number.sent(1)
    with Session(number.engine) as session:
        assert session.scalars(select(Conversation.campaign)).all() == ["autumn"]
    assert number.received_texts()[0] == "/greet"


def test_events_for_another_number_of_the_account_are_not_answered(number: Number) -> None:
    number.post(text_message(PERSON, "hello", phone_number_id="555000111"))
    time.sleep(0.5)
    assert number.api.requests == [] and number.received_texts() == []


def test_delivered_read_and_failed_statuses_are_recorded(number: Number) -> None:
    number.post(status("wamid.one", "delivered", PERSON))
    number.post(status("wamid.one", "read", PERSON))
    number.post(status("wamid.one", "delivered", PERSON))  # late and out of order
    number.post(status("wamid.two", "failed", PERSON, error_code=131026))
    with Session(number.engine) as session:
        rows = {r.message_id: r for r in session.scalars(select(DeliveryReceipt))}
    assert rows["wamid.one"].status == "read" and rows["wamid.one"].delivered_at is not None
    assert rows["wamid.two"].status == "failed"
    assert rows["wamid.two"].error == "code 131026: Message undeliverable"
    assert number.api.requests == []  # a status is not a message: nothing is answered


def test_staff_see_whether_a_reminder_was_read(number: Number) -> None:
    with Session(number.engine) as session, session.begin():
        participant = Participant(code="W-1", trial="demo-t2d-001", sender_key="k")
        session.add(participant)
        session.flush()
        visit = Appointment(
            participant_id=participant.id,
            trial="demo-t2d-001",
            site="paris-nord",
            starts_at=utcnow() + timedelta(days=1),
            timezone="Europe/Paris",
            kind="screening visit",
        )
        session.add(visit)
        session.flush()
        for message_id in ("wamid.read", "wamid.lost"):
            session.add(
                Reminder(
                    appointment_id=visit.id,
                    due_at=utcnow(),
                    status=ReminderStatus.SENT,
                    channel="whatsapp",
                    message_id=message_id,
                )
            )
    number.post(status("wamid.read", "read", PERSON))
    number.post(status("wamid.lost", "failed", PERSON, error_code=131026))
    with Session(number.engine) as session:
        rows = report.reminders(session, "W-1")
    assert [(r["status"], r["delivery"]) for r in rows] == [("sent", "read"), ("sent", "failed")]
    assert rows[1]["delivery_error"] == "code 131026: Message undeliverable"


def test_throttling_and_server_errors_are_retried(number: Number) -> None:
    number.api.refuse_next(130429)
    number.api.refuse_next(131000)
    number.post(text_message(PERSON, "hello"))
    number.sent(1)
    time.sleep(0.5)  # a duplicate would have arrived by now
    assert len(number.api.whatsapp_sent(PERSON)) == 1
    failures = number.api.answered(number.api.messages_method, 429)
    assert len(failures) == 1 and len(number.api.answered(number.api.messages_method, 500)) == 1


async def test_past_the_24_hour_window_a_reminder_goes_as_its_template(number: Number) -> None:
    number.post(text_message(PERSON, "hello"))
    number.sent(1)
    conversation_id = _last_wrote_25_hours_ago(number)
    channel = number.own_channel()
    reminder = Reply(
        text="Reminder: your visit\n\non **Friday** at 09:30.",
        buttons=(Button("✅ Confirm", '/confirm{"id": 1}'), Button("Reschedule", "/move")),
    )
    with pytest.raises(NotDelivered, match="24 hours"):
        await channel.deliver(conversation_id, [reminder])  # a late reply: never past the window
    (wamid,) = await channel.deliver(conversation_id, [reminder], purpose="reminder")
    assert wamid.startswith("wamid.")
    template = number.api.whatsapp_sent(PERSON)[-1]["template"]
    assert template["name"] == "appointment_reminder" and template["language"] == {"code": "en"}
    body, confirm, move = template["components"]
    assert body["parameters"] == [
        {"type": "text", "text": "Reminder: your visit on Friday at 09:30."}
    ]
    assert confirm["sub_type"] == "quick_reply" and confirm["index"] == "0"
    assert confirm["parameters"] == [{"type": "payload", "payload": '/confirm{"id": 1}'}]
    assert move["index"] == "1"

    await channel.deliver(conversation_id, [Reply(text="The team says hi")], purpose="human_answer")
    template = number.api.whatsapp_sent(PERSON)[-1]["template"]
    assert template["name"] == "study_team_answer"
    await channel.stop()


async def test_a_person_who_cannot_be_reached_fails_for_good(number: Number) -> None:
    number.post(text_message(PERSON, "hello"))
    number.sent(1)
    with Session(number.engine) as session:
        conversation_id = session.scalars(select(Conversation.id)).one()
    channel = number.own_channel()
    number.api.refuse_next(131026)
    with pytest.raises(NotDelivered) as refused:
        await channel.deliver(conversation_id, [Reply(text="A reminder")], purpose="reminder")
    assert refused.value.final and "cannot receive" in str(refused.value)
    assert len(number.api.calls(number.api.messages_method)) == 3  # read mark, answer, one try
    await channel.stop()


def test_the_participant_link_is_a_wa_me_link_with_the_code(number: Number) -> None:
    links = registry.links(number.settings, "K7Q2M9XP")
    assert links["whatsapp_link"] == "https://wa.me/15550100200?text=START%20K7Q2M9XP"


def _last_wrote_25_hours_ago(number: Number) -> int:
    with Session(number.engine) as session, session.begin():
        session.execute(update(Conversation).values(last_seen_at=utcnow() - timedelta(hours=25)))
        return session.scalars(select(Conversation.id)).one()


# Rendering: what the Cloud API accepts, whatever the reply.


def test_up_to_three_choices_are_reply_buttons_and_more_are_a_list() -> None:
    three = Reply(text="Pick one", buttons=tuple(Button(f"Option {i}", f"/o{i}") for i in range(3)))
    (message,) = render(three, "en")
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == [
        "/o0",
        "/o1",
        "/o2",
    ]
    twelve = Reply(
        text="Which trial?",
        buttons=tuple(Button(f"A very long trial title number {i}", f"/t{i}") for i in range(12)),
    )
    first, second = render(twelve, "fr")
    rows = first["interactive"]["action"]["sections"][0]["rows"]
    assert first["interactive"]["type"] == "list" and len(rows) == 10
    # A title too long for a row goes on over the row's second line.
    assert (rows[0]["title"], rows[0]["description"]) == ("A very long trial title", "number 0")
    assert first["interactive"]["action"]["button"] == "Choisir"
    assert second["interactive"]["body"]["text"] == "Autres choix :"
    assert len(second["interactive"]["action"]["sections"][0]["rows"]) == 2


def test_choices_too_long_for_a_button_go_as_a_list_rather_than_cut() -> None:
    reply = Reply(text="Shall I?", buttons=(Button("Contact the study team", "/contact"),))
    (message,) = render(reply, "en")
    assert message["interactive"]["type"] == "list"
    (row,) = message["interactive"]["action"]["sections"][0]["rows"]
    assert row == {"id": "/contact", "title": "Contact the study team"}


def test_the_buttons_go_under_the_end_of_a_long_answer() -> None:
    answer = "\n\n".join(["A paragraph of the answer. " * 20] * 3 + ["Was this helpful?"])
    reply = Reply(text=answer, buttons=(Button("Yes", "/yes"), Button("No", "/no")))
    text, question = render(reply, "en")
    assert text["text"]["body"].startswith("A paragraph") and len(answer) > 1024
    assert question["interactive"]["body"]["text"].endswith("Was this helpful?")
    assert len(question["interactive"]["body"]["text"]) <= 1024


def test_a_long_answer_is_split_and_links_become_url_buttons() -> None:
    long = "word " * 1500
    reply = Reply(text=long, buttons=(Button("Open the form", url="https://example.org/f"),))
    messages = render(reply, "en")
    assert [m["type"] for m in messages] == ["text", "interactive"]
    assert all(len(m["text"]["body"]) <= 4096 for m in messages if m["type"] == "text")
    assert messages[-1]["interactive"]["type"] == "cta_url"


def test_parse_ignores_reactions_and_reads_templates_buttons() -> None:
    reaction = text_message(PERSON, "x")
    value = reaction["entry"][0]["changes"][0]["value"]
    value["messages"][0] = {"from": PERSON, "id": "wamid.r", "type": "reaction", "reaction": {}}
    assert parse_events(reaction, DEFAULT_PHONE_NUMBER_ID).messages == []
    tapped = parse_events(template_button(PERSON, "Confirm", "/yes"), DEFAULT_PHONE_NUMBER_ID)
    assert [e.text for e in tapped.messages] == ["/yes"]
