"""Error texts fit to log and store: no URL query, no password in a URL, no token, no secret.

An HTTP client's error names the URL it called, and a URL can carry a token (`?token=`, or a
Telegram bot token in its path); an error written to a log or to `last_error` must not.
"""

from __future__ import annotations

import re

HIDDEN = "[hidden]"

_QUERY = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s'\"?#]*)\?[^\s'\"#]*")
_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/@'\":]*):[^\s/@'\"]*@")
_BOT_TOKEN = re.compile(r"/bot\d+:[\w-]+")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[\w.~+/=-]+")


def redact(text: str, *secrets: str) -> str:
    """`text` with `secrets`, URL queries, URL passwords and bearer tokens hidden."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    text = _QUERY.sub(rf"\1?{HIDDEN}", text)
    text = _PASSWORD.sub(rf"\1:{HIDDEN}@", text)
    text = _BOT_TOKEN.sub(f"/bot{HIDDEN}", text)
    return _BEARER.sub(rf"\1 {HIDDEN}", text)
