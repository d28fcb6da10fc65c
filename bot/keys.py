"""Rotating the data encryption key: a new key encrypts, old ones only decrypt, values re-encrypted.

With the embedded default (`var/secrets/data_key`) `trialbot keys rotate` does all of it. With
DATA_ENCRYPTION_KEY set, the operator puts the new key first in that setting, restarts, and runs
`trialbot keys rotate --reencrypt-only`; the old key can leave the setting once that has run.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from bot.crypto import Cipher, DecryptionError
from bot.db.models import encrypted_columns

# Every encrypted column: (model, attribute), read from the columns' own mark
# (`bot.db.models.encrypted`), so that a new encrypted column is rotated with the others.
ENCRYPTED: tuple[tuple[Any, str], ...] = tuple(
    (column.model, column.attribute) for column in encrypted_columns()
)


class Unreadable(Exception):
    """A stored value that no configured key decrypts: rotation stops and changes nothing."""

    def __init__(self, column: str, row: object) -> None:
        super().__init__(f"{column} of row {row}")
        self.column, self.row = column, row


@dataclass(frozen=True)
class Rotated:
    values: int
    keys: int  # how many keys the cipher now holds (newest first)


def new_key() -> str:
    return Fernet.generate_key().decode()


def add_key_to_file(path: Path) -> int:
    """Put a new key first in the key file (older ones stay, to decrypt); how many keys now."""
    old = [k for k in path.read_text().split(",") if k.strip()] if path.exists() else []
    keys = [new_key(), *(k.strip() for k in old)]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(",".join(keys))
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return len(keys)


def reencrypt(session: Session, cipher: Cipher) -> int:
    """Encrypt every stored value again with the newest key; how many."""
    return sum(reencrypt_each(session, cipher).values())


def reencrypt_each(session: Session, cipher: Cipher) -> dict[str, int]:
    """Encrypt every stored value again with the newest key; how many, per "table.column".

    Raises `Unreadable` at the first value no key decrypts (the caller's transaction then
    changes nothing): a key was removed before the values it encrypted were rotated.
    """
    counts: dict[str, int] = {}
    for registered in encrypted_columns():
        model, attribute = registered.model, registered.attribute
        column = getattr(model, attribute)
        count = 0
        for row in session.scalars(select(model).where(column.is_not(None))):
            value = getattr(row, attribute)
            if value:
                try:
                    setattr(row, attribute, cipher.rotate(value))
                except DecryptionError:
                    raise Unreadable(registered.name, _key(row)) from None
                count += 1
        counts[registered.name] = count
    return counts


def _key(row: object) -> object:
    """The row's primary key, for the message (one column, or a tuple)."""
    identity = inspect(row).identity
    return identity[0] if identity and len(identity) == 1 else identity
