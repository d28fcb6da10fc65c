"""Telegram through the gateway's webhook, with the Bot API played by a local server."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Conversation, InboundMessage
from tests.channels.conftest import Gateway
from tests.fakes.channels import TELEGRAM_SECRET
from tests.fakes.telegram import callback_update, message_update


def test_the_webhook_is_registered_with_its_secret_and_the_menu_is_set(gateway: Gateway) -> None:
    (registration,) = gateway.bot_api.calls("setWebhook")
    assert registration.body["url"] == "https://trials.example.org/webhooks/telegram"
    assert registration.body["secret_token"] == TELEGRAM_SECRET
    menus = {
        c.body.get("language_code"): c.body["commands"]
        for c in gateway.bot_api.calls("setMyCommands")
    }
    assert [c["command"] for c in menus[None]] == ["start", "help", "language", "stop"]
    assert menus["fr"][1]["description"] == "Ce que je peux faire"


def test_a_message_is_answered_through_send_message(gateway: Gateway) -> None:
    response = gateway.telegram(
        message_update(1001, "bonjour, j'ai une question", language_code="fr")
    )
    assert response.status_code == 200
    (sent,) = gateway.bot_api.sent_messages(1001)
    # Rasa is down in these tests: the person is told so, in French, with the emergency number.
    assert "Désolé" in sent["text"] and "112" in sent["text"]
    assert sent["parse_mode"] == "HTML"
    assert gateway.bot_api.calls("sendChatAction")[0].body["action"] == "typing"


def test_forged_secrets_are_refused_and_send_nothing(gateway: Gateway) -> None:
    update = message_update(1002, "hello")
    assert gateway.telegram(update, secret=None).status_code == 403
    assert gateway.telegram(update, secret="guess").status_code == 403
    assert gateway.bot_api.sent_messages(1002) == []
    with Session(gateway.engine) as session:
        assert session.scalars(select(InboundMessage)).all() == []


def test_malformed_bodies_get_400(gateway: Gateway) -> None:
    assert gateway.telegram(None, raw=b"{not json").status_code == 400
    assert gateway.telegram({"message": {"text": "hi"}}).status_code == 400
    assert gateway.telegram([1, 2, 3]).status_code == 400
    assert gateway.telegram({"update_id": 5, "message": {"chat": "nope"}}).status_code == 400


def test_a_repeated_delivery_is_answered_once(gateway: Gateway) -> None:
    update = message_update(1003, "hello")
    assert gateway.telegram(update).status_code == 200
    assert gateway.telegram(update).status_code == 200
    assert len(gateway.bot_api.sent_messages(1003)) == 1


def test_a_group_chat_is_declined_and_left(gateway: Gateway) -> None:
    gateway.telegram(message_update(-500, "hello everyone", chat_type="group"))
    (sent,) = gateway.bot_api.sent_messages(-500)
    assert "private" in sent["text"] and "privée" in sent["text"]
    assert [c.body["chat_id"] for c in gateway.bot_api.calls("leaveChat")] == [-500]
    with Session(gateway.engine) as session:
        assert session.scalars(select(Conversation)).all() == []


def test_the_language_command_offers_both_languages_as_buttons(gateway: Gateway) -> None:
    gateway.telegram(message_update(1004, "/language"))
    (sent,) = gateway.bot_api.sent_messages(1004)
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["English", "Français"]
    assert keyboard[1][0]["callback_data"] == '/change_language{"language": "fr"}'


def test_a_button_tap_is_acknowledged_and_becomes_the_persons_turn(gateway: Gateway) -> None:
    gateway.telegram(callback_update(1005, '/change_language{"language": "fr"}'))
    assert len(gateway.bot_api.calls("answerCallbackQuery")) == 1
    assert gateway.bot_api.calls("editMessageReplyMarkup")  # the used keyboard is removed
    (sent,) = gateway.bot_api.sent_messages(1005)
    assert "112" in sent["text"]
    assert gateway.received_texts() in (['/change_language{"language": "fr"}'], [None])


def test_an_unknown_long_button_says_it_expired(gateway: Gateway) -> None:
    gateway.telegram(callback_update(1006, "#" + "0" * 32))
    (sent,) = gateway.bot_api.sent_messages(1006)
    assert "no longer available" in sent["text"]


def test_a_photo_gets_a_polite_text_only_answer(gateway: Gateway) -> None:
    update = message_update(1007, "x", language_code="fr")
    message = update["message"]
    del message["text"]
    message["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
    gateway.telegram(update)
    (sent,) = gateway.bot_api.sent_messages(1007)
    assert "messages écrits" in sent["text"]


def test_start_with_a_campaign_records_where_the_person_came_from(gateway: Gateway) -> None:
    gateway.telegram(message_update(1008, "/start camp_spring-fb"))
    gateway.telegram(message_update(1008, "/start camp_other"))  # the first campaign keeps it
    with Session(gateway.engine) as session:
        (conversation,) = session.scalars(select(Conversation)).all()
        assert conversation.campaign == "spring-fb"
    assert gateway.received_texts() in (["/greet", "/greet"], [None, None], ["/greet", None])


def test_when_the_bot_api_throttles_the_reply_still_arrives(gateway: Gateway) -> None:
    gateway.bot_api.fail_next("sendMessage", 429, retry_after=1)
    gateway.bot_api.fail_next("sendMessage", 502)
    gateway.telegram(message_update(1009, "hello"))
    sent = gateway.bot_api.sent_messages(1009)
    assert len(sent) == 1
    statuses = [c for c in gateway.bot_api.calls("sendMessage") if c.body["chat_id"] == 1009]
    assert len(statuses) == 3  # refused, failed, delivered
