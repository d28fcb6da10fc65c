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
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.crypto import Cipher
from bot.db.models import (
    Conversation,
    FollowUp,
    Handoff,
    HandoffMessage,
    InboundMessage,
    Screening,
    UnansweredQuestion,
)

# Every encrypted column: (model, attribute).
ENCRYPTED: tuple[tuple[Any, str], ...] = (
    (Conversation, "address"),
    (InboundMessage, "text"),
    (UnansweredQuestion, "text"),
    (Screening, "answers"),
    (FollowUp, "phone"),
    (Handoff, "summary"),
    (HandoffMessage, "text"),
)


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
    count = 0
    for model, attribute in ENCRYPTED:
        column = getattr(model, attribute)
        for row in session.scalars(select(model).where(column.is_not(None))):
            value = getattr(row, attribute)
            if value:
                setattr(row, attribute, cipher.rotate(value))
                count += 1
    return count
