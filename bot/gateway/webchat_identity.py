"""Who a web conversation belongs to: a token the server issues, never a name the client picks.

A token is a random owner id (192 bits) and its HMAC signature, `<owner>.<signature>`. The key
is derived from the pseudonym secret, which every gateway shares (production requires it), under
a label of its own: any gateway accepts what another issued, and a token proves nothing about
pseudonyms. The browser keeps it in an HttpOnly cookie; a script without a cookie jar sends it
back in the `X-Chat-Token` header (`POST /api/chat` also returns it, as `"conversation"`).

The database keeps only a keyed hash of the owner id (`Conversation.web_owner`): reading the
table gives no token to present.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

COOKIE = "trialbot_chat"
HEADER = "X-Chat-Token"
_SIGNING_LABEL = b"trialbot web chat token v1"
_OWNER_LABEL = b"trialbot web chat owner v1"
_OWNER_BYTES = 24
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}")

# What a refused person reads, in the page's language.
NOT_YOURS = {
    "en": "This conversation belongs to someone else. Start a new conversation.",
    "fr": "Cette conversation appartient à quelqu’un d’autre. Commencez une nouvelle conversation.",
}
NO_TOKEN = {
    "en": "No conversation of yours was found. Send a message to start one.",
    "fr": "Aucune conversation à vous n’a été trouvée. Envoyez un message pour en commencer une.",
}
BAD_TOKEN = {
    "en": "This conversation could not be resumed. Send your message again to start a new one.",
    "fr": "Cette conversation n’a pas pu être reprise. Renvoyez votre message pour en "
    "commencer une nouvelle.",
}


@dataclass(frozen=True)
class Owner:
    """The holder of one token: the browser or script that received it."""

    id: str
    token: str
    key: str  # the keyed hash stored as `Conversation.web_owner`

    @property
    def own_user_id(self) -> str:
        """The user id of the owner's own conversation (when it names no sender)."""
        return f"~{self.id}"


class TokenSigner:
    """Issues tokens and reads them back; one per gateway, from the shared secret."""

    def __init__(self, secret: bytes) -> None:
        self._signing = hmac.new(secret, _SIGNING_LABEL, hashlib.sha256).digest()
        self._hashing = hmac.new(secret, _OWNER_LABEL, hashlib.sha256).digest()

    def issue(self) -> Owner:
        return self._owner(secrets.token_urlsafe(_OWNER_BYTES))

    def read(self, token: str) -> Owner | None:
        """The owner of a token this deployment signed; None for anything else."""
        if not _SHAPE.fullmatch(token):
            return None
        owner_id, signature = token.split(".")
        if not hmac.compare_digest(signature, self._sign(owner_id)):
            return None
        return self._owner(owner_id)

    def _owner(self, owner_id: str) -> Owner:
        key = hmac.new(self._hashing, owner_id.encode(), hashlib.sha256).hexdigest()
        return Owner(id=owner_id, token=f"{owner_id}.{self._sign(owner_id)}", key=key)

    def _sign(self, owner_id: str) -> str:
        digest = hmac.new(self._signing, owner_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def presented(request: Request) -> str | None:
    """The token the request carries: the header (scripts) first, else the cookie (the page)."""
    return request.headers.get(HEADER) or request.cookies.get(COOKIE) or None


def set_cookie(response: Response, owner: Owner, *, secure: bool, days: int) -> None:
    """The browser keeps the token where its scripts cannot read it (HttpOnly), sends it only
    with requests from this site (SameSite=Lax: a link from a campaign still opens the same
    conversation), and only over TLS when the page came over TLS."""
    response.set_cookie(
        COOKIE,
        owner.token,
        max_age=days * 86400 if days > 0 else None,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def forget_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
