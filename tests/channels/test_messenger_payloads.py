"""Messenger's formats: what a page event means, and how a reply is laid out within the limits."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from bot.channels.base import Button, Reply
from bot.channels.graph import signature_ok
from bot.channels.messenger import (
    GREETING,
    InvalidPayload,
    parse_events,
    render,
)


def _page(*events: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": "42", "time": 1, "messaging": list(events)}]}


def _from(psid: str, **event: Any) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": "42"}, "timestamp": 1700000000, **event}


def test_text_quick_reply_postback_and_referral_become_turns() -> None:
    events = parse_events(
        _page(
            _from("1", message={"mid": "m1", "text": "hello"}),
            _from("1", message={"mid": "m2", "text": "Yes", "quick_reply": {"payload": "/affirm"}}),
            _from(
                "1",
                postback={
                    "mid": "m3",
                    "title": "Get Started",
                    "payload": "GET_STARTED",
                    "referral": {
                        "ref": "camp_spring",
                        "source": "SHORTLINK",
                        "type": "OPEN_THREAD",
                    },
                },
            ),
            _from(
                "1", referral={"ref": "camp_autumn", "source": "SHORTLINK", "type": "OPEN_THREAD"}
            ),
        )
    )
    assert [(e.text, e.referral) for e in events] == [
        ("hello", None),
        ("/affirm", None),
        (GREETING, "camp_spring"),
        (GREETING, "camp_autumn"),
    ]
    assert [e.external_id for e in events][:3] == ["m1", "m2", "m3"]


def test_echoes_reads_and_deliveries_are_not_answered() -> None:
    events = parse_events(
        _page(
            _from("1", message={"mid": "m1", "text": "our own words", "is_echo": True}),
            _from("1", read={"watermark": 1}),
            _from("1", delivery={"mids": ["m0"], "watermark": 1}),
        )
    )
    assert events == []


def test_a_photo_is_a_turn_without_text() -> None:
    photo = {"mid": "m9", "attachments": [{"type": "image", "payload": {"url": "https://x/y.jpg"}}]}
    (event,) = parse_events(_page(_from("7", message=photo)))
    assert event.text is None and event.psid == "7"


@pytest.mark.parametrize("body", [[], {"object": "user", "entry": []}, {"object": "page"}, "x"])
def test_what_is_not_a_page_event_is_refused(body: Any) -> None:
    with pytest.raises(InvalidPayload):
        parse_events(body)


def test_the_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"object":"page","entry":[]}'
    good = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert signature_ok(body, good, "app-secret")
    assert not signature_ok(body + b" ", good, "app-secret")
    assert not signature_ok(body, good, "other-secret")
    assert not signature_ok(body, None, "app-secret")
    assert not signature_ok(body, good.replace("sha256=", "sha1="), "app-secret")


def test_a_long_answer_is_split_at_2000_characters() -> None:
    text = "\n\n".join(["A sentence about the study visits. " * 20] * 6)
    bodies = render(Reply(text=text), "en")
    assert len(bodies) > 1
    assert all(len(body["text"]) <= 2000 for body in bodies)


def test_a_few_choices_are_quick_replies_under_the_last_part() -> None:
    buttons = tuple(Button(f"Option {n}", f'/choose{{"n": {n}}}') for n in range(13))
    (body,) = render(Reply(text="Pick one", buttons=buttons), "en")
    assert body["text"] == "Pick one"
    assert [q["payload"] for q in body["quick_replies"]] == [b.payload for b in buttons]


def test_past_13_choices_go_three_to_a_template_with_follow_ups() -> None:
    buttons = tuple(Button(f"Option {n}", f"/n{n}") for n in range(14))
    bodies = render(Reply(text="Pick one", buttons=buttons), "fr")
    templates = [b["attachment"]["payload"] for b in bodies]
    assert [len(t["buttons"]) for t in templates] == [3, 3, 3, 3, 2]
    assert templates[0]["text"] == "Pick one"
    assert templates[1]["text"] == "Autres choix :"
    payloads = [button["payload"] for t in templates for button in t["buttons"]]
    assert payloads == [b.payload for b in buttons]


def test_links_become_url_buttons_and_long_titles_are_shortened() -> None:
    reply = Reply(
        text="Read the information sheet",
        buttons=(
            Button("Participant information sheet", url="https://example.org/pis.pdf"),
            Button("Ask the team", "/request_human"),
        ),
    )
    (body,) = render(reply, "en")
    buttons = body["attachment"]["payload"]["buttons"]
    assert buttons[0] == {
        "type": "web_url",
        "url": "https://example.org/pis.pdf",
        "title": "Participant informa…",
    }
    assert buttons[1]["type"] == "postback" and len(buttons[1]["title"]) <= 20
