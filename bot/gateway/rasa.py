"""A small client for the Rasa server: its REST channel for messages, its HTTP API for slots
and for the NLU's reading of a message.

The HTTP API is called with a short-lived JWT in the `Authorization` header, signed with the
Rasa token (Rasa runs with it as `--jwt-secret`): a token in a URL would end up in error texts,
logs and `inbound_messages.last_error`. Error texts are redacted all the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from bot import timing
from bot.redact import redact

JWT_LIFETIME = 300.0  # seconds; a new one is signed when less than a minute is left


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error; the message was not handled."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered  # Rasa responded (with an error): retrying the same won't help


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._token = token
        self._jwt, self._jwt_expires = "", 0.0
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=2.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any],
        parse: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rasa's replies to `text` from `sender`, as its REST channel returns them.

        `parse`: the NLU's reading of this very text, already taken (`parse`): Rasa's channel
        (rasa_addons/gateway_channel.py) uses it instead of reading the text a second time.
        """
        body: dict[str, Any] = {"sender": sender, "message": text, "metadata": metadata}
        if parse is not None:
            body["parse"] = parse
        with timing.stage("rasa"):
            response = await self._request("POST", "/webhooks/rest/webhook", json=body)
        # Rasa's own stages (rasa_addons/timing.py), inside the gateway's "rasa".
        timing.reported(response.headers.get(timing.HEADER, ""), "rasa.")
        replies = self._json(response)
        if not isinstance(replies, list):
            raise RasaUnavailable(
                f"unexpected reply from Rasa: {type(replies).__name__}", answered=True
            )
        return replies

    async def parse(self, text: str, within: float) -> dict[str, Any]:
        """The NLU's reading of `text` (intent, confidence, entities…), touching no conversation."""
        result = await self._call("POST", "/model/parse", json={"text": text}, timeout=within)
        intent = result.get("intent") if isinstance(result, dict) else None
        if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
            raise RasaUnavailable(f"unexpected parse from Rasa: {result!r:.200}", answered=True)
        return dict(result)

    async def set_slots(self, sender: str, slots: dict[str, Any], *, new: bool = False) -> None:
        """Set slots; `new` starts the conversation's first session with them.

        Rasa stamps a session start it adds itself later than our event, and its SQL tracker
        store then drops our event as belonging to no session: a new conversation must
        begin with the session start in the same request.
        """
        events = [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
        if new:
            events[:0] = [
                {"event": "action", "name": "action_session_start"},
                {"event": "session_started"},
                {"event": "action", "name": "action_listen"},
            ]
        await self._call("POST", f"/conversations/{sender}/tracker/events", json=events)

    async def replies_to(self, sender: str, message_id: int) -> list[dict[str, Any]] | None:
        """What Rasa answered to our message `message_id`, or None if it never received it.

        A message that timed out may still have been handled; asking first avoids answering twice.
        """
        tracker = await self._call(
            "GET",
            f"/conversations/{sender}/tracker",
            params={"include_events": "ALL"},
        )
        events = (tracker.get("events") or []) if isinstance(tracker, dict) else []
        replies: list[dict[str, Any]] | None = None
        for event in events:
            kind = event.get("event")
            if kind == "user":
                if replies is not None:
                    break
                if (event.get("metadata") or {}).get("message_id") == message_id:
                    replies = []
            elif kind == "bot" and replies is not None:
                data = event.get("data") or {}
                extras = {key: data[key] for key in ("buttons", "image") if data.get(key)}
                replies.append({"text": event.get("text"), **extras})
        return replies

    async def is_up(self) -> bool:
        """True once the server answers with a loaded model."""
        try:
            status = await self._call("GET", "/status", timeout=2.0)
        except RasaUnavailable:
            return False
        return bool(isinstance(status, dict) and status.get("model_file"))

    def _authorization(self) -> dict[str, str]:
        now = time.time()
        if self._jwt_expires - now < 60:
            self._jwt, self._jwt_expires = (
                api_jwt(self._token, now + JWT_LIFETIME),
                now + JWT_LIFETIME,
            )
        return {"Authorization": f"Bearer {self._jwt}"}

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._json(await self._request(method, path, **kwargs))

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(
                method, path, headers=self._authorization(), **kwargs
            )
            response.raise_for_status()
            return response
        except httpx.HTTPStatusError as error:
            raise RasaUnavailable(self._describe(error), answered=True) from error
        except httpx.HTTPError as error:
            raise RasaUnavailable(self._describe(error)) from error

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise RasaUnavailable(self._describe(error), answered=True) from error

    def _describe(self, error: Exception) -> str:
        return redact(f"{type(error).__name__}: {error}", self._token, self._jwt)


def api_jwt(secret: str, expires: float) -> str:
    """A JWT that Rasa's HTTP API accepts (HS256, role `admin`) until `expires` (epoch seconds).

    Signed here in a few lines rather than with a JWT library: the format is fixed and small.
    """
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"user": {"username": "trialbot-gateway", "role": "admin"}, "exp": int(expires)}
    signed = b".".join(_base64url(json.dumps(part).encode()) for part in (header, claims))
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return (signed + b"." + _base64url(signature)).decode("ascii")


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")
