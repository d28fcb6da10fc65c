"""A small client for the Rasa server: its REST channel for messages, its HTTP API for slots."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error; the message was not handled."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=2.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Rasa's replies to `text` from `sender`, as its REST channel returns them."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        replies = await self._call("POST", "/webhooks/rest/webhook", json=body)
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {type(replies).__name__}")
        return replies

    async def set_slot(self, sender: str, name: str, value: str) -> None:
        event = {"event": "slot", "name": name, "value": value}
        await self._call(
            "POST", f"/conversations/{sender}/tracker/events", json=event, params=self._auth
        )

    async def is_up(self) -> bool:
        """True once the server answers with a loaded model."""
        try:
            status = await self._call("GET", "/status", params=self._auth, timeout=2.0)
        except RasaUnavailable:
            return False
        return bool(isinstance(status, dict) and status.get("model_file"))

    @property
    def _auth(self) -> dict[str, str]:
        return {"token": self._token}

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(f"{type(error).__name__}: {error}") from error
