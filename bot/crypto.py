"""Encryption of personal data at rest (Fernet): the newest key encrypts, every key decrypts.

Which columns hold encrypted values is said once, on the columns themselves
(`bot.db.models.encrypted`); rotation and the migrations read that registry.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import Settings


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


class Cipher:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one data encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> Cipher:
        return cls(settings.data_keys())

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError) as error:  # a value in clear is not ASCII
            raise DecryptionError("no configured key decrypts this value") from error

    def encrypt_json(self, value: Any) -> str:
        """A JSON value (a reply, a screening's reasons) as one token."""
        return self.encrypt(json.dumps(value, ensure_ascii=False))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))

    def rotate(self, token: str) -> str:
        """The same value encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as error:
            raise DecryptionError("no configured key decrypts this value") from error


def is_token(value: str) -> bool:
    """Whether `value` has the form of a Fernet token (whichever key made it).

    Lets a migration encrypt what is still in clear and leave alone what is not: a JSON text,
    a question id or a category never starts with the token's version byte (0x80).
    """
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    # version (1) + time (8) + IV (16) + at least one cipher block (16) + HMAC (32)
    return len(raw) >= 73 and raw[0] == 0x80
