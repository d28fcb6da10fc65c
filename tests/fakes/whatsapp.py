"""A fake WhatsApp Business Cloud API (the Messages API of one business number) on the fake Graph
API, where Messenger's Send API is too (they share GRAPH_API_BASE_URL), plus builders of the
webhook payloads Meta posts: messages of every kind and message statuses."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

from starlette.responses import JSONResponse, Response

from tests.fakes.graph import FakeGraphAPI
from tests.fakes.server import Failure, Recorded

DEFAULT_TOKEN = "TEST-WHATSAPP-TOKEN"
DEFAULT_VERSION = "v21.0"
DEFAULT_PHONE_NUMBER_ID = "109876543210"
DEFAULT_WABA_ID = "102030405060"
DISPLAY_NUMBER = "15550100200"

MAX_TEXT = 4096
MAX_BUTTONS = 3
MAX_BUTTON_BODY = 1024
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_LIST_BODY = 4096
MAX_ROW_TITLE = 24
MAX_ROW_ID = 200
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
_TYPES = {"text", "interactive", "template", "image", "audio", "video", "document", "sticker"}
# Cloud API errors the fake can be told to answer: code -> (HTTP status, title).
ERRORS: dict[int, tuple[int, str]] = {
    131026: (400, "Message undeliverable"),
    131047: (400, "Re-engagement message"),
    131030: (400, "Recipient phone number not in allowed list"),
    130429: (429, "Rate limit hit"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    131000: (500, "Something went wrong"),
    132001: (404, "Template name does not exist in the translation"),
    132000: (400, "Number of parameters does not match the expected number of params"),
}


class FakeCloudAPI(FakeGraphAPI):
    """POST {url}/{version}/{phone_number_id}/messages, with the number's approved templates:
    (name, language code) -> how many quick-reply buttons the template has; every other path is
    Messenger's (FakeGraphAPI)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        version: str = DEFAULT_VERSION,
        templates: dict[tuple[str, str], int] | None = None,
    ) -> None:
        super().__init__(version=version)
        self.token = token
        self.phone_number_id = phone_number_id
        self.templates = templates or {
            ("appointment_reminder", "en"): 3,
            ("appointment_reminder", "fr"): 3,
            ("study_team_answer", "en"): 0,
            ("study_team_answer", "fr"): 0,
        }

    @property
    def messages_method(self) -> str:
        return f"{self.phone_number_id}/messages"

    def whatsapp_sent(self, wa_id: str | None = None) -> list[dict[str, Any]]:
        """WhatsApp messages sent successfully, to one person or all (not the read marks)."""
        return [body for body in self._whatsapp(wa_id) if "type" in body]

    def read_marks(self) -> list[str]:
        """The wamids marked as read, in order."""
        return [body["message_id"] for body in self._whatsapp(None) if body.get("status")]

    def refuse_next(self, code: int, times: int = 1) -> None:
        """Answer the next `times` sends with Meta's error `code` (see ERRORS)."""
        status, _ = ERRORS[code]
        self.fail_next(self.messages_method, status, times=times, description=str(code))

    def _whatsapp(self, wa_id: str | None) -> Iterator[dict[str, Any]]:
        for call in self.successful(self.messages_method):
            if wa_id in (None, call.body.get("to")):
                yield call.body

    # Serving.

    async def _handle(self, call: Recorded) -> Response:
        if call.method != self.messages_method or "messaging_product" not in call.body:
            return await super()._handle(call)  # Messenger's Send API
        if call.path != f"/{self.version}/{call.method}":
            return _error(400, 2500, f"Unknown path components: {call.path}")
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if call.http_method != "POST":
            return _error(400, 100, "Unsupported method")
        if problem := self._invalid(call.body):
            code, message = problem
            return _error(400, code, message)
        if call.body.get("status") == "read":
            return JSONResponse({"success": True})
        to = str(call.body["to"])
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid()}],
        }
        if call.body["type"] == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return JSONResponse(answer)

    def _failure_response(self, call: Recorded, failure: Failure) -> Response:
        if call.method != self.messages_method:
            return super()._failure_response(call, failure)
        code = int(failure.description or 131000)
        status, title = ERRORS.get(code, (failure.status, "Something went wrong"))
        headers = None if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        return _error(status, code, title, headers=headers)

    def _invalid(self, body: dict[str, Any]) -> tuple[int, str] | None:
        """Why the Cloud API would refuse the body: (code, message), or None."""
        if body.get("messaging_product") != "whatsapp":
            return 100, "The parameter messaging_product is required."
        if body.get("status") == "read":
            return None if body.get("message_id") else (100, "message_id is required")
        if not body.get("to"):
            return 100, "The parameter to is required."
        kind = body.get("type")
        if kind not in _TYPES:
            return 100, f"Param type must be one of {sorted(_TYPES)}"
        content = body.get(kind)
        if not isinstance(content, dict):
            return 100, f"The parameter {kind} is required."
        if kind == "text":
            text = str(content.get("body") or "")
            if not text.strip():
                return 100, "Param text['body'] is required"
            return _too_long("text['body']", text, MAX_TEXT)
        if kind == "interactive":
            return _invalid_interactive(content)
        if kind == "template":
            return self._invalid_template(content)
        return None

    def _invalid_template(self, template: dict[str, Any]) -> tuple[int, str] | None:
        language = (template.get("language") or {}).get("code")
        key = (template.get("name"), language)
        if key not in self.templates:
            return 132001, "Template name does not exist in the translation"
        components = template.get("components") or []
        body = [c for c in components if c.get("type") == "body"]
        parameters = body[0].get("parameters", []) if body else []
        if len(parameters) != 1 or "\n" in str(parameters[0].get("text", "")):
            return 132000, "Number of parameters does not match the expected number of params"
        buttons = [c for c in components if c.get("type") == "button"]
        if len(buttons) > self.templates[key]:
            return 131009, "Parameter value is not valid: more buttons than the template has"
        return None


def _invalid_interactive(content: dict[str, Any]) -> tuple[int, str] | None:
    kind, body = content.get("type"), str((content.get("body") or {}).get("text") or "")
    action = content.get("action") or {}
    if not body.strip():
        return 100, "Param interactive['body']['text'] is required"
    if kind == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            return 131009, f"Parameter value is not valid: buttons count must be 1 to {MAX_BUTTONS}"
        ids = [str(b.get("reply", {}).get("id", "")) for b in buttons]
        if len(set(ids)) != len(ids):
            return 131009, "Parameter value is not valid: buttons must have unique ids"
        for b in buttons:
            reply = b.get("reply") or {}
            if problem := _too_long("button title", str(reply.get("title", "")), MAX_BUTTON_TITLE):
                return problem
            if problem := _too_long("button id", str(reply.get("id", "")), MAX_BUTTON_ID):
                return problem
        return _too_long("interactive['body']['text']", body, MAX_BUTTON_BODY)
    if kind == "list":
        rows = [row for section in action.get("sections") or [] for row in section.get("rows", [])]
        if not 1 <= len(rows) <= MAX_ROWS:
            return 131009, f"Parameter value is not valid: rows count must be 1 to {MAX_ROWS}"
        for row in rows:
            for name, limit in (
                ("title", MAX_ROW_TITLE),
                ("id", MAX_ROW_ID),
                ("description", MAX_ROW_DESCRIPTION),
            ):
                if problem := _too_long(f"row {name}", str(row.get(name, "")), limit):
                    return problem
        if problem := _too_long("list button", str(action.get("button", "")), MAX_LIST_BUTTON):
            return problem
        return _too_long("interactive['body']['text']", body, MAX_LIST_BODY)
    if kind == "cta_url":
        parameters = action.get("parameters") or {}
        if not parameters.get("url"):
            return 100, "Param interactive['action']['parameters']['url'] is required"
        return _too_long("display_text", str(parameters.get("display_text", "")), MAX_BUTTON_TITLE)
    return 100, f"Unsupported interactive type {kind!r}"


def _too_long(param: str, value: str, limit: int) -> tuple[int, str] | None:
    if len(value) > limit:
        return 131009, f"Parameter value is not valid: {param} is longer than {limit} characters"
    return None


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": secrets.token_urlsafe(8),
    }
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def wamid() -> str:
    return "wamid." + secrets.token_urlsafe(42)


# Webhook payloads, as Meta posts them.


def text_message(wa_id: str, text: str, **options: Any) -> dict[str, Any]:
    return message(wa_id, "text", {"text": {"body": text}}, **options)


def button_reply(wa_id: str, button_id: str, title: str, **options: Any) -> dict[str, Any]:
    chosen = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return message(wa_id, "interactive", {"interactive": chosen}, **options)


def list_reply(wa_id: str, row_id: str, title: str, **options: Any) -> dict[str, Any]:
    chosen = {"type": "list_reply", "list_reply": {"id": row_id, "title": title}}
    return message(wa_id, "interactive", {"interactive": chosen}, **options)


def template_button(wa_id: str, text: str, payload: str, **options: Any) -> dict[str, Any]:
    """A tap on a template's quick-reply button."""
    return message(wa_id, "button", {"button": {"text": text, "payload": payload}}, **options)


def location(wa_id: str, **options: Any) -> dict[str, Any]:
    place = {"latitude": 48.8566, "longitude": 2.3522, "name": "Somewhere", "address": "Paris"}
    return message(wa_id, "location", {"location": place}, **options)


def image(wa_id: str, **options: Any) -> dict[str, Any]:
    media = {"mime_type": "image/jpeg", "sha256": "0" * 64, "id": "1234567890123456"}
    return message(wa_id, "image", {"image": media}, **options)


def message(
    wa_id: str,
    kind: str,
    content: dict[str, Any],
    *,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A webhook payload for one message of type `kind` from a person."""
    item = {
        "from": wa_id,
        "id": message_id or wamid(),
        "timestamp": str(int(time.time())),
        "type": kind,
        **content,
    }
    value = {
        "contacts": [{"profile": {"name": "Test Person"}, "wa_id": wa_id}],
        "messages": [item],
    }
    return _payload(phone_number_id, value)


def status(
    message_id: str,
    state: str,
    wa_id: str,
    *,
    error_code: int | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A webhook payload for a status of a message the business sent."""
    item: dict[str, Any] = {
        "id": message_id,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": wa_id,
    }
    if error_code is not None:
        title = ERRORS.get(error_code, (400, "Error"))[1]
        item["errors"] = [{"code": error_code, "title": title, "message": title}]
    return _payload(phone_number_id, {"statuses": [item]})


def _payload(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
        **value,
    }
    change = {"value": value, "field": "messages"}
    entry = {"id": DEFAULT_WABA_ID, "changes": [change]}
    return {"object": "whatsapp_business_account", "entry": [entry]}
