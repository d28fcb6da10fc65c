"""`var/` and the SQLite databases are their owner's alone (0700 and 0600), whatever the umask.

They hold the secrets, the pseudonymised conversations and Rasa's tracker store: no other
account on the machine should read them. A database file is created before SQLite creates it,
since SQLite gives its -wal, -shm and -journal files the mode of the database file.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from bot.db.session import normalise_url, private_database
from bot.settings import Settings


def make_private(settings: Settings) -> None:
    """Tighten `var/` and every SQLite database the settings name, creating what is missing."""
    settings.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.var_dir.chmod(0o700)
    for url in (settings.db_url, settings.rasa_tracker_url):
        path = sqlite_file(url)
        if path is not None:
            private_database(path)


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL; None for another engine or a database in memory."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)
