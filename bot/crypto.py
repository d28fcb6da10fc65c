"""Encryption of personal data at rest (Fernet): the newest key encrypts, every key decrypts."""

from __future__ import annotations

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
        except InvalidToken as error:
            raise DecryptionError("no configured key decrypts this value") from error

    def rotate(self, token: str) -> str:
        """The same value encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise DecryptionError("no configured key decrypts this value") from error
