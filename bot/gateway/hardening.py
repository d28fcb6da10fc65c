"""What every public route and page holds to: bodies capped before anything parses them, and
pages that tell the browser to run their own script only and never to show them in a frame."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No message, webhook delivery or form of this gateway comes near it (a chat message is at
# most 4,000 characters, a Telegram update a few KB).
MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES // 1024} KB."

# As the staff pages' (`pages._HEADERS`); no referrer at all, since a chat link may carry a
# participant's link code or a campaign that another site has no business seeing.
_PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_INLINE = {tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.S) for tag in ("script", "style")}


class BodyLimit:
    """Refuses (413) a request whose body passes MAX_BODY_BYTES, counting what arrives.

    The header alone is not enough: a chunked body says no length. So the body is read here,
    at most MAX_BODY_BYTES of it, before the app sees the request, then replayed to it.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """The body read here, as one message, then whatever the client sends next (a disconnect)."""
    first: list[Message] = (
        [pending] if pending else [{"type": "http.request", "body": b"".join(chunks)}]
    )

    async def replayed() -> Message:
        return first.pop() if first else await receive()

    return replayed


async def _too_large(send: Send) -> None:
    body = json.dumps({"detail": TOO_LARGE}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def page_headers(html: str, *, connect: bool = False) -> dict[str, str]:
    """Headers for a public page: its own inline script and style, by their hashes, and
    nothing else; no framing; no referrer. `connect`: the page talks to this site's API."""
    policy = [
        "default-src 'none'",
        _directive("script-src", html, "script"),
        _directive("style-src", html, "style"),
        "img-src 'self' data:",
        "connect-src 'self'" if connect else "connect-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
    return {**_PAGE_HEADERS, "Content-Security-Policy": "; ".join(policy)}


def _directive(name: str, html: str, tag: str) -> str:
    hashes = [f"'sha256-{_digest(block)}'" for block in _INLINE[tag].findall(html)]
    return " ".join([name, *hashes]) if hashes else f"{name} 'none'"


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
