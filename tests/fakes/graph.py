"""A fake Facebook Graph API Send API for Messenger, plus builders of inbound webhook payloads."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Failure, FakeServer, Recorded

DEFAULT_PAGE_TOKEN = "TEST-PAGE-TOKEN"
DEFAULT_VERSION = "v21.0"
DEFAULT_PAGE_ID = "1234567890"

MAX_TEXT_LENGTH = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_TEMPLATE_BUTTONS = 3
MAX_BUTTON_TEMPLATE_TEXT = 640

_MESSAGES_PATH = re.compile(r"(?:me|\d+)/messages")
_MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}
_SENDER_ACTIONS = {"typing_on", "typing_off", "mark_seen"}
_RATE_LIMITED = "(#613) Calls to this api have exceeded the rate limit."
_TRANSIENT = "An unexpected error has occurred. Please retry your request later."
_BAD_TOKEN = "Invalid OAuth access token - Cannot parse access token"
_NO_TOKEN = "An active access token must be used to query information about the current user."
# status -> (code, message, error_subcode) for scripted failures without a special shape.
_FAILURES: dict[int, tuple[int, str, int | None]] = {
    400: (100, "(#100) Invalid parameter", None),
    401: (190, _BAD_TOKEN, None),
    403: (10, "(#10) This message is sent outside of allowed window.", 2018278),
    404: (100, "(#100) No matching user found", 2018001),
}


class FakeGraphAPI(FakeServer):
    """The Send API at POST {url}/{version}/me/messages."""

    def __init__(
        self, page_token: str = DEFAULT_PAGE_TOKEN, version: str = DEFAULT_VERSION
    ) -> None:
        super().__init__()
        self._page_token = page_token
        self._version = version

    @property
    def page_token(self) -> str:
        """The page access token the fake accepts."""
        return self._page_token

    @property
    def version(self) -> str:
        """The Graph API version in the path, such as v21.0."""
        return self._version

    @property
    def messages_url(self) -> str:
        """The Send API endpoint."""
        return f"{self.url}/{self._version}/me/messages"

    def sent(self, psid: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the messages sent successfully, to one person or all; not sender actions."""
        return [body for body in self._delivered(psid) if "message" in body]

    def sender_actions(self, psid: str | None = None) -> list[str]:
        """The sender actions sent successfully, in order."""
        return [body["sender_action"] for body in self._delivered(psid) if "sender_action" in body]

    def _delivered(self, psid: str | None) -> Iterator[dict[str, Any]]:
        for call in self.successful():
            if _MESSAGES_PATH.fullmatch(call.method) and psid in (None, _recipient_id(call.body)):
                yield call.body

    # Serving.

    def _method_name(self, path: str) -> str:
        _, _, method = path.lstrip("/").partition("/")
        return method

    async def _handle(self, call: Recorded) -> Response:
        send_api = _MESSAGES_PATH.fullmatch(call.method) is not None
        if not send_api or call.path != f"/{self._version}/{call.method}":
            return _error(400, f"Unknown path components: {call.path}", code=2500)
        if call.http_method != "POST":
            return _error(400, "(#100) Unsupported method for this endpoint", code=100)
        token = _access_token(call)
        if not token:
            return _error(400, _NO_TOKEN, code=2500)
        if token != self._page_token:
            return _error(400, _BAD_TOKEN, code=190)
        if problem := _invalid(call.body):
            return _error(400, problem, code=100)
        recipient_id = _recipient_id(call.body)
        if "sender_action" in call.body:
            return JSONResponse({"recipient_id": recipient_id})
        return JSONResponse({"recipient_id": recipient_id, "message_id": _mid()})

    def _failure_response(self, call: Recorded, failure: Failure) -> Response:
        retry_after = failure.retry_after
        headers = None if retry_after is None else {"Retry-After": str(retry_after)}
        if failure.status == 429:
            code, message, subcode = 613, _RATE_LIMITED, None
        elif failure.status >= 500:
            code, message, subcode = 2, _TRANSIENT, None
        else:
            code, message, subcode = _FAILURES.get(
                failure.status, (1, "An unknown error has occurred.", None)
            )
        return _error(
            failure.status,
            failure.description or message,
            code=code,
            subcode=subcode,
            transient=failure.status >= 500,
            headers=headers,
        )


def text_event(
    psid: str, text: str, *, page_id: str = DEFAULT_PAGE_ID, mid: str | None = None
) -> dict[str, Any]:
    """A webhook payload for a text message from a person."""
    return _payload(psid, page_id, {"message": {"mid": mid or _mid(), "text": text}})


def photo_event(
    psid: str, *, page_id: str = DEFAULT_PAGE_ID, mid: str | None = None
) -> dict[str, Any]:
    """A webhook payload for a photo sent by a person."""
    photo = {"type": "image", "payload": {"url": "https://scontent.example/photo.jpg"}}
    return _payload(psid, page_id, {"message": {"mid": mid or _mid(), "attachments": [photo]}})


def quick_reply_event(
    psid: str, title: str, payload: str, *, page_id: str = DEFAULT_PAGE_ID, mid: str | None = None
) -> dict[str, Any]:
    """A webhook payload for a tap on a quick reply."""
    message = {"mid": mid or _mid(), "text": title, "quick_reply": {"payload": payload}}
    return _payload(psid, page_id, {"message": message})


def postback_event(
    psid: str,
    title: str,
    payload: str,
    *,
    referral: dict[str, Any] | None = None,
    page_id: str = DEFAULT_PAGE_ID,
    mid: str | None = None,
) -> dict[str, Any]:
    """A webhook payload for a tap on a postback button, such as Get Started."""
    postback: dict[str, Any] = {"mid": mid or _mid(), "title": title, "payload": payload}
    if referral is not None:
        postback["referral"] = {"source": "SHORTLINK", "type": "OPEN_THREAD", **referral}
    return _payload(psid, page_id, {"postback": postback})


def referral_event(psid: str, ref: str, *, page_id: str = DEFAULT_PAGE_ID) -> dict[str, Any]:
    """A webhook payload for a person already in the thread following an m.me link."""
    referral = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
    return _payload(psid, page_id, {"referral": referral})


def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header Meta sends with a webhook body."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _payload(psid: str, page_id: str, event: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time() * 1000)
    messaging = {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": now, **event}
    return {"object": "page", "entry": [{"id": page_id, "time": now, "messaging": [messaging]}]}


def _mid() -> str:
    return f"m_{secrets.token_urlsafe(48)}"


def _error(
    status: int,
    message: str,
    *,
    code: int,
    subcode: int | None = None,
    transient: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException"}
    if transient:
        error["is_transient"] = True
    error["code"] = code
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = secrets.token_urlsafe(8)
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _access_token(call: Recorded) -> str | None:
    scheme, _, credentials = call.headers.get("authorization", "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else None
    token = call.query.get("access_token") or call.body.get("access_token") or bearer
    return str(token) if token else None


def _recipient_id(body: dict[str, Any]) -> str | None:
    recipient = body.get("recipient")
    return str(recipient["id"]) if isinstance(recipient, dict) and "id" in recipient else None


def _invalid(body: dict[str, Any]) -> str | None:
    """Why the Send API would refuse the body, or None."""
    if _recipient_id(body) is None:
        return "(#100) The parameter recipient is required"
    message, action = body.get("message"), body.get("sender_action")
    if message is None and action is None:
        return "(#100) Must send either message or state"
    if action is not None and action not in _SENDER_ACTIONS:
        return "(#100) Param sender_action must be one of {typing_on, typing_off, mark_seen}"
    if message is None:
        return None
    messaging_type = body.get("messaging_type")
    if messaging_type is None:
        return "(#100) The parameter messaging_type is required"
    if messaging_type not in _MESSAGING_TYPES:
        return "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"
    if messaging_type == "MESSAGE_TAG" and not body.get("tag"):
        return "(#100) The parameter tag is required for messaging_type MESSAGE_TAG"
    if not isinstance(message, dict):
        return "(#100) Param message must be a JSON object"
    return _invalid_message(message)


def _invalid_message(message: dict[str, Any]) -> str | None:
    text, attachment = message.get("text"), message.get("attachment")
    if (text is None) == (attachment is None):
        return "(#100) Param message must have exactly one of text or attachment"
    if text is not None and len(str(text)) > MAX_TEXT_LENGTH:
        return _too_long("message[text]", MAX_TEXT_LENGTH)
    quick_replies = message.get("quick_replies") or []
    if len(quick_replies) > MAX_QUICK_REPLIES:
        return _too_many("message[quick_replies]", MAX_QUICK_REPLIES)
    for index, reply in enumerate(quick_replies):
        if len(str(reply.get("title", ""))) > MAX_QUICK_REPLY_TITLE:
            return _too_long(f"message[quick_replies][{index}][title]", MAX_QUICK_REPLY_TITLE)
    if isinstance(attachment, dict) and attachment.get("type") == "template":
        return _invalid_template(attachment.get("payload") or {})
    return None


def _invalid_template(payload: dict[str, Any]) -> str | None:
    prefix = "message[attachment][payload]"
    text = str(payload.get("text", ""))
    if payload.get("template_type") == "button" and len(text) > MAX_BUTTON_TEMPLATE_TEXT:
        return _too_long(f"{prefix}[text]", MAX_BUTTON_TEMPLATE_TEXT)
    if len(payload.get("buttons") or []) > MAX_TEMPLATE_BUTTONS:
        return _too_many(f"{prefix}[buttons]", MAX_TEMPLATE_BUTTONS)
    for index, element in enumerate(payload.get("elements") or []):
        if len(element.get("buttons") or []) > MAX_TEMPLATE_BUTTONS:
            return _too_many(f"{prefix}[elements][{index}][buttons]", MAX_TEMPLATE_BUTTONS)
    return None


def _too_long(param: str, limit: int) -> str:
    return f"(#100) Length of param {param} must be less than or equal to {limit}"


def _too_many(param: str, limit: int) -> str:
    return f"(#100) Param {param} must be an array with at most {limit} elements"
