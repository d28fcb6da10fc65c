"""Meta's Graph API, which Messenger and WhatsApp both speak: the signature of webhook events,
and sending with retries.

A send that Meta refuses for good (a user who cannot be reached, a malformed message) fails at
once as final; throttling, server errors and the error codes Meta marks as temporary are tried
again with back-off, never sooner than a Retry-After, and fail as not final (the outbox tries
again later).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Collection
from typing import Any

import httpx

from bot.channels.base import NotDelivered

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4
MAX_RETRY_WAIT = 30.0
# Error codes of the Graph API itself that say "try again later" (throttling, temporary faults).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80007})


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` (X-Hub-Signature-256) is the HMAC-SHA256 of the raw body."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower(), expected)


class SendFailed(NotDelivered):
    """The Graph API refused a message, or kept failing; `code` is Meta's error code."""

    def __init__(
        self,
        reason: str,
        *,
        final: bool = False,
        retry_after: float | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(reason, final=final, retry_after=retry_after)
        self.code = code


class GraphClient:
    """POSTs to one Graph API endpoint over httpx, retrying what Meta says is temporary."""

    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        platform: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        transient_codes: Collection[int] = (),
        retry_base: float = 0.5,
    ) -> None:
        self._path = path
        self._platform = platform
        self._params = params or {}
        self._transient = TRANSIENT_CODES | frozenset(transient_codes)
        self._retry_base = retry_base
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10.0)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST one body; the API's answer, or SendFailed."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            code: int | None = None
            try:
                response = await self._client.post(self._path, params=self._params, json=body)
            except httpx.TransportError as error:
                reason, wait = f"network error: {error!r}", None
            else:
                answer = json_of(response)
                if response.is_success:
                    return answer
                reason, code, transient = self._error(response.status_code, answer)
                if not transient:
                    raise SendFailed(reason, final=True, code=code)
                wait = _retry_after(response)
            if attempt == SEND_ATTEMPTS:
                raise SendFailed(
                    f"{reason} (after {attempt} attempts)", retry_after=wait, code=code
                )
            log.warning("%s: %s; retrying", self._platform, reason)
            await asyncio.sleep(wait if wait is not None else self._retry_base * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _error(self, status: int, answer: dict[str, Any]) -> tuple[str, int | None, bool]:
        error = answer.get("error")
        error = error if isinstance(error, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        transient = status == 429 or status >= 500 or bool(error.get("is_transient"))
        transient = transient or code in self._transient
        reason = f"HTTP {status}, code {code}: {error.get('message', 'no message')}"
        return reason, code, transient


def json_of(response: httpx.Response) -> dict[str, Any]:
    """A response's JSON object; {} when it is none."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers["Retry-After"]), MAX_RETRY_WAIT)
    except (KeyError, ValueError):
        return None
