"""The web chat page on a phone, in Debian's Chromium driven by Playwright.

On the real stack: the page follows the conversation's language when the assistant switches it
from the person's words, and an emergency reply's number is a tap-to-call link. With the chat API
played by the test: what a message's text can hold (markup, numbers, paragraphs) is shown as
text, with its links built by the page. Screenshots go to var/screenshots/webchat-*.png.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Route, ViewportSize, expect

from bot.gateway.chat import ChatResponse
from bot.i18n import messages
from bot.settings import PROJECT_ROOT, Settings
from tests.e2e.conftest import Stack
from tests.staff.test_browser import chromium  # noqa: F401 (the fixture)

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
PHONE = ViewportSize(width=390, height=844)
PAGE = (PROJECT_ROOT / "bot" / "gateway" / "static" / "index.html").read_text("utf-8")
# An origin of its own for the page whose API the test plays; nothing leaves the machine.
PLAYED = "http://webchat.test"

FRENCH = {
    "title": "Assistant des essais",
    "placeholder": "Écrivez votre message…",
    "send": "Envoyer",
}


def _phone(browser: Browser) -> Page:
    """A phone-sized page in an English-speaking browser: the page starts in English."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    return context.new_page()


def _say(page: Page, text: str) -> None:
    """Type `text` and send it, then wait for the assistant's answer."""
    answers = page.locator(".msg-bot").count()
    page.fill("#input", text)
    page.click("#send")
    expect(page.locator(".msg-bot")).not_to_have_count(answers, timeout=60_000)
    expect(page.locator("#typing")).to_be_hidden(timeout=60_000)


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"webchat-{name}.png"))


def _expect_french(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text(FRENCH["title"])
    expect(page.locator("#input")).to_have_attribute("placeholder", FRENCH["placeholder"])
    expect(page.locator("#send")).to_have_text(FRENCH["send"])
    expect(page.locator("[data-lang=fr]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-lang=en]")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#emergency")).to_contain_text("En cas d’urgence")


# ---------------------------------------------------------------------------------------------
# On the real stack


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:  # noqa: F811 (the imported fixture)
    page = _phone(chromium)
    try:
        yield page
    finally:
        page.context.close()


@pytest.mark.e2e
def test_a_french_greeting_turns_the_page_french_and_112_is_a_link(
    stack: Stack, phone: Page
) -> None:
    phone.goto(stack.url)
    expect(phone.locator("h1")).to_have_text("Trial assistant")
    expect(phone.locator("[data-lang=en]")).to_have_attribute("aria-pressed", "true")

    _say(phone, "bonjour, je voudrais des infos")
    expect(phone.locator(".msg-bot").last).to_contain_text("Bonjour")
    _expect_french(phone)
    _shot(phone, "fr-greeting")
    # A reload keeps the language the conversation is in.
    phone.reload()
    _expect_french(phone)

    _say(phone, "jarrive pu a respirer")
    reply = phone.locator(".msg-bot .bubble").last
    expect(reply.locator('a[href="tel:112"]')).to_have_text("112")
    _shot(phone, "fr-emergency")


@pytest.mark.e2e
def test_asking_for_english_in_words_turns_the_page_back(stack: Stack, phone: Page) -> None:
    phone.goto(stack.url)
    _say(phone, "bonjour")
    _expect_french(phone)
    _say(phone, "in english please")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#send")).to_have_text("Send")
    expect(phone.locator("[data-lang=en]")).to_have_attribute("aria-pressed", "true")


@pytest.mark.e2e
def test_a_long_answer_fits_a_phone_in_paragraphs(stack: Stack, phone: Page) -> None:
    phone.goto(stack.url)
    _say(phone, "will i get paid for taking part")
    answer = phone.locator(".msg-bot .bubble").last
    # The answer, its source and "Was this helpful?" are paragraphs of their own.
    assert answer.locator("p").count() >= 3
    expect(answer.locator("a[target=_blank]")).to_have_count(1)
    assert "**" not in answer.inner_text()
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width} px)"
    _shot(phone, "en-long-answer")
    # Only the conversation scrolls, however long it grows: the page itself never does, or the
    # header (with the emergency number) and the input would scroll out of sight.
    _say(phone, "what happens at a study visit")
    height = phone.evaluate("document.scrollingElement.scrollHeight")
    assert height <= PHONE["height"], f"the page itself scrolls ({height} px)"


@pytest.mark.e2e
def test_the_chat_api_says_the_conversation_s_language(stack: Stack) -> None:
    sender = f"webchat-{uuid.uuid4().hex[:8]}"
    browser = stack.client(sender)  # keeps the conversation's cookie
    response = browser.post(
        "/api/chat", json={"sender": sender, "text": "bonjour, je voudrais des infos"}
    )
    assert response.status_code == 200
    assert response.json()["lang"] == "fr"
    assert stack.updates(sender)["lang"] == "fr"
    english = browser.post("/api/chat", json={"sender": sender, "text": "hello", "lang": "en"})
    assert english.json()["lang"] == "en"


@pytest.mark.e2e
def test_an_answer_lost_on_the_way_comes_on_retry_and_is_not_answered_twice(
    stack: Stack, phone: Page
) -> None:
    """The gateway answered, and the connection dropped before the answer reached the phone
    (a gateway killed at that moment, a train going into a tunnel). Retry sends the message
    again with its id: the person gets the answer they were given, and Rasa read it once."""
    phone.goto(stack.url)
    _say(phone, "hello")
    question = "do i get paid for my time"
    lost: list[dict[str, Any]] = []

    def lose(route: Route) -> None:
        answered = route.fetch()  # the real gateway answers it...
        lost.append({"sent": json.loads(route.request.post_data or "{}"), "got": answered.json()})
        route.abort("connectionreset")  # ...and the answer never arrives

    phone.route("**/api/chat", lose)
    phone.fill("#input", question)
    phone.click("#send")
    retry = phone.locator(".msg-error button")
    expect(retry).to_have_text("Retry", timeout=60_000)
    phone.unroute("**/api/chat")
    resent: list[dict[str, Any]] = []

    def sent(request: Request) -> None:
        if request.url.endswith("/api/chat"):
            resent.append(json.loads(request.post_data or "{}"))

    phone.on("request", sent)
    answers = phone.locator(".msg-bot").count()
    retry.click()
    expect(phone.locator(".msg-bot")).to_have_count(answers + 1, timeout=60_000)
    expect(phone.locator(".msg-error")).to_have_count(0)
    (first,) = lost
    given = first["got"]["messages"][0]["text"]
    expect(phone.locator(".msg-bot .bubble").last).to_contain_text(given.split("\n")[0][:60])
    assert [sent["id"] for sent in resent] == [first["sent"]["id"]]
    # Rasa read the question once: one user turn in the conversation's tracker.
    with sqlite3.connect(stack.var_dir / "trialbot.db") as database:
        (key,) = database.execute(
            "SELECT c.sender_key FROM conversations c JOIN inbound_messages m"
            " ON m.conversation_id = c.id WHERE m.external_id = ?",
            ("web:" + first["sent"]["id"],),
        ).fetchone()
    token = Settings(TRIALBOT_VAR_DIR=stack.var_dir).rasa_token()
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{key}/tracker", params={"token": token}, timeout=30
    ).json()
    said = [event.get("text") for event in tracker["events"] if event["event"] == "user"]
    assert said.count(question) == 1
    _shot(phone, "answer-given-again")


# ---------------------------------------------------------------------------------------------
# With the chat API played by the test


class PlayedChat:
    """Serves the page, and answers each message with the next of `answers`.

    With `hold`, the next message waits unanswered in `held` until the test answers it.
    """

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.hold = False
        self.held: Route | None = None
        self.lang: str | None = None  # the conversation's, as the last answer said

    def route(self, route: Route) -> None:
        url = route.request.url
        if url.rstrip("/") == PLAYED:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)
        elif url.startswith(f"{PLAYED}/api/chat/updates"):
            updates = {"messages": [], "last_id": 0, "lang": self.lang}
            route.fulfill(status=200, json={k: v for k, v in updates.items() if v is not None})
        elif url == f"{PLAYED}/api/chat":
            self.sent.append(route.request.post_data_json or {})
            if self.hold:
                self.hold, self.held = False, route
            else:
                self.answer(route)
        else:
            route.fulfill(status=404, body="")

    def answer(self, route: Route) -> None:
        answer = self.answers.pop(0)
        if "status" in answer:  # a refusal, as the gateway words it
            route.fulfill(status=answer["status"], json=answer["body"], headers=answer["headers"])
            return
        # Through the gateway's response model: what it cannot say, the page is not shown.
        body = ChatResponse.model_validate(answer)
        self.lang = body.lang
        route.fulfill(status=200, json=json.loads(body.model_dump_json(exclude_none=True)))


@pytest.fixture
def played(chromium: Browser) -> Iterator[tuple[Page, PlayedChat]]:  # noqa: F811
    page = _phone(chromium)
    chat = PlayedChat()
    page.route(f"{PLAYED}/**", chat.route)
    try:
        yield page, chat
    finally:
        page.context.close()


HOSTILE = (
    "Bonjour <img src=x onerror=\"document.title='pwned'\"> "
    "<script>document.title='pwned'</script>"
    "[tap](javascript:document.title='pwned') [away](//elsewhere.test/x) **<b>gras</b>**"
)


def test_a_message_s_markup_is_shown_as_text_and_never_runs(
    played: tuple[Page, PlayedChat],
) -> None:
    page, chat = played
    chat.answers.append({"messages": [{"text": HOSTILE}], "lang": "fr"})
    page.goto(PLAYED)
    _say(page, "salut")
    bubble = page.locator(".msg-bot .bubble").last
    expect(bubble).to_contain_text("<img src=x onerror=")
    expect(bubble).to_contain_text("<script>")
    assert bubble.locator("img, script, b").count() == 0
    assert bubble.locator("a").count() == 0  # neither javascript: nor another site's //
    expect(bubble.locator("strong")).to_have_text("<b>gras</b>")
    assert page.title() != "pwned"
    _shot(page, "markup-as-text")


def test_phone_numbers_are_tap_to_call_and_dates_and_examples_are_not(
    played: tuple[Page, PlayedChat],
) -> None:
    page, chat = played
    text = (
        "If this is an emergency, call 112 now.\n\n"
        "The study team: +33 1 99 00 12 34 (or 01 99 00 12 35), Monday to Friday, "
        "or write to demo-t2d@example.org.\n"
        "Your visit: 05.12.2026 09:30, reference DMX-112, dose 112,5 mg, 2026-10-01.\n"
        "Which number should they call? For example +33 6 12 34 56 78 (par exemple 06 12 34 56 78)."
    )
    chat.answers.append({"messages": [{"text": text}], "lang": "en"})
    page.goto(PLAYED)
    _say(page, "what is the team's number")
    bubble = page.locator(".msg-bot .bubble").last
    links = bubble.locator("a")
    expect(links).to_have_count(4)
    assert [links.nth(i).get_attribute("href") for i in range(4)] == [
        "tel:112",
        "tel:+33199001234",
        "tel:0199001235",
        "mailto:demo-t2d@example.org",
    ]
    expect(links.nth(1)).to_have_text("+33 1 99 00 12 34")
    # Two paragraphs, the second with its line break.
    paragraphs = bubble.locator("p")
    expect(paragraphs).to_have_count(2)
    assert paragraphs.nth(1).inner_text().count("\n") == 2
    _shot(page, "phone-links")


def test_a_list_reads_as_a_list_on_a_phone(played: tuple[Page, PlayedChat]) -> None:
    page, chat = played
    text = (
        "The study includes 9 visits:\n\n"
        "- a screening visit, to check that the study is right for you;\n"
        "- visits at weeks 4, 8, 12, 24, 36 and 52;\n"
        "- a follow-up visit 4 weeks after your last dose.\n\n"
        "Your next appointments:\n- Monday 7 December at 09:30"
    )
    chat.answers.append({"messages": [{"text": text}], "lang": "en"})
    page.goto(PLAYED)
    _say(page, "how many visits r there")
    bubble = page.locator(".msg-bot .bubble").last
    expect(bubble.locator("ul")).to_have_count(2)
    expect(bubble.locator("ul").first.locator("li")).to_have_count(3)
    expect(bubble.locator("li").first).to_have_text(
        "a screening visit, to check that the study is right for you;"
    )
    expect(bubble.locator("p")).to_have_text(
        ["The study includes 9 visits:", "Your next appointments:"]
    )
    # Space between paragraphs, none between a line and the list it introduces.
    margins = bubble.evaluate(
        "b => [...b.children].map(e => parseFloat(getComputedStyle(e).marginTop))"
    )
    assert [margin > 0 for margin in margins] == [False, True, True, False]
    _shot(page, "list")


def test_a_consent_text_s_link_opens_on_this_site(played: tuple[Page, PlayedChat]) -> None:
    page, chat = played
    text = "[Read the whole text](/consent/ad5d55c1), to read again or keep."
    chat.answers.append({"messages": [{"text": text}], "lang": "en"})
    page.goto(PLAYED)
    _say(page, "yes i want to do the questions")
    link = page.locator(".msg-bot .bubble a")
    expect(link).to_have_text("Read the whole text")
    expect(link).to_have_attribute("href", "/consent/ad5d55c1")
    expect(link).to_have_attribute("target", "_blank")  # the chat stays open


def test_the_page_follows_the_language_unless_a_pick_waits(
    played: tuple[Page, PlayedChat],
) -> None:
    page, chat = played
    chat.answers.extend(
        [
            {"messages": [{"text": "Bonjour !"}], "lang": "fr"},
            {"messages": [{"text": "D'accord."}], "lang": "fr"},
            {"messages": [{"text": "Hello!"}], "lang": "en"},
            {"messages": [{"text": "Bien sûr."}], "lang": "fr"},
        ]
    )
    page.goto(PLAYED)
    _say(page, "bonjour")
    _expect_french(page)
    expect(page.locator(".msg-bot .bubble").last).to_have_attribute("lang", "fr")
    # English picked on the page while a message is on its way: that message's answer (still
    # French) does not undo the choice, which goes with the next message.
    chat.hold = True
    page.fill("#input", "ok")
    page.click("#send")
    expect(page.locator("#typing")).to_be_visible()
    page.click("[data-lang=en]")
    assert chat.held is not None
    chat.answer(chat.held)
    expect(page.locator(".msg-bot")).to_have_count(2)
    expect(page.locator("#send")).to_have_text("Send")
    expect(page.locator("[data-lang=en]")).to_have_attribute("aria-pressed", "true")
    _say(page, "hi")
    assert [message.get("lang") for message in chat.sent] == [None, None, "en"]
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Picked, then the page reloaded before a message: the choice stays, and goes with it.
    page.click("[data-lang=fr]")
    page.reload()
    page.wait_for_load_state("networkidle")
    _expect_french(page)
    _say(page, "ok")
    assert chat.sent[-1].get("lang") == "fr"


def test_a_message_the_server_could_not_take_is_explained_and_sent_again(
    played: tuple[Page, PlayedChat],
) -> None:
    """The database unreachable for a moment: the gateway's 503 says so in the conversation's
    language with the emergency number, and one tap sends the same message again."""
    page, chat = played
    apology = messages.text("error_apology", "fr", emergency_number="112")
    chat.answers.append({"messages": [{"text": "Bonjour ! Que puis-je faire ?"}], "lang": "fr"})
    chat.answers.append(
        {
            "status": 503,
            "body": {"detail": apology, "messages": [{"text": apology}]},
            "headers": {"Retry-After": "5"},
        }
    )
    chat.answers.append({"messages": [{"text": "Les visites sont gratuites."}], "lang": "fr"})
    page.goto(PLAYED)
    _say(page, "bonjour")
    page.fill("#input", "c gratuit les visites ?")
    page.click("#send")
    error = page.locator(".msg-error")
    expect(error.locator(".error-text")).to_have_text(apology)
    expect(error.locator("button")).to_have_text("Réessayer")
    _shot(page, "database-unreachable")
    error.locator("button").click()
    expect(page.locator(".msg-bot .bubble").last).to_have_text("Les visites sont gratuites.")
    assert [sent["text"] for sent in chat.sent][1:] == ["c gratuit les visites ?"] * 2
    expect(page.locator(".msg-error")).to_have_count(0)
