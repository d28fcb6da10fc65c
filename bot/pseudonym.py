"""Channel user ids never leave the channel adapters: everything else sees an HMAC pseudonym."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(key: bytes, channel: str, user_id: str) -> str:
    """A stable, non-reversible id for `user_id` on `channel` (32 hex characters)."""
    digest = hmac.new(key, f"{channel}\x1f{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:32]}"
