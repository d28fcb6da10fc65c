"""Rasa's tracker store encrypted again with the newest data key, for `trialbot keys rotate`.

Rasa's store (rasa_addons/tracker_store.py) encrypts each event's `data` with the same keys and
the same format (Fernet) as the application's columns. Rotating them too lets an operator drop
an old key without losing the conversations it encrypted. Events still in clear (written before
the encrypted store) are encrypted on the way.
"""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from bot.crypto import Cipher, DecryptionError
from bot.db.session import normalise_url

BATCH = 1000


class UnreadableEvent(Exception):
    """An event no configured key decrypts: its key was removed before it was rotated."""

    def __init__(self, event_id: int) -> None:
        super().__init__(f"no configured key decrypts events.data of event {event_id}")
        self.event_id = event_id


def reencrypt_tracker(tracker_url: str, cipher: Cipher) -> int:
    """Encrypt every event again with the newest key, in one transaction; how many events.

    Raises `UnreadableEvent` at the first event no key decrypts, having changed nothing.
    """
    engine = create_engine(normalise_url(tracker_url))
    done = 0
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return 0
            last = -1
            while rows := connection.execute(
                text("SELECT id, data FROM events WHERE id > :last ORDER BY id LIMIT :batch"),
                {"last": last, "batch": BATCH},
            ).all():
                for event_id, data in rows:
                    connection.execute(
                        text("UPDATE events SET data = :data WHERE id = :id"),
                        {"data": _rotated(cipher, event_id, data), "id": event_id},
                    )
                done += len(rows)
                last = rows[-1][0]
    finally:
        engine.dispose()
    return done


def _rotated(cipher: Cipher, event_id: int, data: str) -> str:
    if data.startswith("{"):  # stored in clear by Rasa's own store
        return cipher.encrypt(data)
    try:
        return cipher.rotate(data)
    except DecryptionError:
        raise UnreadableEvent(event_id) from None
