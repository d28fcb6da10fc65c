"""Rasa's SQL tracker store, with the content of every event encrypted.

Rasa keeps each event as JSON in `events.data`: what the person wrote and what the assistant
answered, slots (a phone number, pre-screening answers), entities, metadata. This store encrypts
that JSON with the project's data keys (Fernet; newest first: the first encrypts and any
decrypts, so a key rotation goes on reading what older keys wrote). The columns left in clear
are the ones Rasa queries by, `sender_id` (a pseudonym), `type_name` and `timestamp`, and the
intent and action names, kept only when they are names of the domain.

Configured in endpoints.yml; the keys come in the environment (TRACKER_STORE_KEYS,
comma-separated), which `rasa_addons.launch` empties before Rasa starts. Events stored in clear
by Rasa's own store are encrypted when this one starts. An SQLite file is created readable by
its owner only (SQLite gives its journal the same mode).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import sqlalchemy
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine.url import make_url

logger = logging.getLogger(__name__)

KEYS_VARIABLE = "TRACKER_STORE_KEYS"
CLEAR_BATCH = 500  # events encrypted per transaction when older ones are found in clear

_keys: list[bytes] = []


class TrackerStoreKeyError(RasaException):
    """The data keys are missing, malformed, or do not decrypt what is stored."""


def adopt_keys_from_environment() -> None:
    """Take the keys out of the environment, for this process only (the launcher calls it)."""
    _keys[:] = _parse_keys(os.environ.pop(KEYS_VARIABLE, ""))


def fail_whole_turns() -> None:
    """A store that cannot be reached fails the turn, instead of Rasa's fall-back to memory.

    Rasa wraps every tracker store in a `FailSafeTrackerStore`, which reads a conversation it
    cannot reach as a new one and keeps the turn's events in memory, lost at the next restart:
    during a database restart, the person's answer goes to a conversation without its form and
    is answered out of context. Here the error goes up, the turn fails whole (the channel answers
    503, rasa_addons.gateway_channel), and the gateway sends the message again once it can.
    """
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(
        self: FailSafeTrackerStore, sender_id: str
    ) -> DialogueStateTracker | None:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]
    FailSafeTrackerStore.save = save  # type: ignore[method-assign]


def _parse_keys(value: str) -> list[bytes]:
    return [key.strip().encode() for key in value.split(",") if key.strip()]


def _cipher() -> MultiFernet:
    keys = _keys or _parse_keys(os.environ.get(KEYS_VARIABLE, ""))
    if not keys:
        raise TrackerStoreKeyError(
            f"{KEYS_VARIABLE} is not set: the tracker store encrypts every event with the data "
            "keys (`trialbot run` sets it from DATA_ENCRYPTION_KEY or var/secrets/data_key)"
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise TrackerStoreKeyError(f"{KEYS_VARIABLE} holds a malformed key ({error})") from None


def _make_private(url: str) -> None:
    """Create an SQLite database file readable by its owner only, whatever the umask."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in ("", "-journal", "-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.chmod(0o600)


# Conversations whose latest session's events are kept in memory, the most recent ones.
SESSIONS_KEPT = 2000


class _Session:
    """A conversation's latest session as read: its events, deserialised, and the rows."""

    def __init__(self, events: list[Event], last_id: int, rows: int, start: float | None):
        self.events = events
        self.last_id = last_id  # the id of the last row read or written
        self.rows = rows  # the conversation's rows up to last_id, every session
        self.start = start  # the session's start, as Rasa filters by it

    def read(self, rows: list[Any], data: list[dict[str, Any]]) -> None:
        """Rows written since, by anyone: those of this session are added."""
        for row, item in zip(rows, data, strict=True):
            if self.start is None or row.timestamp >= self.start:
                self.events.append(Event.from_parameters(item))
        self._advance([row.id for row in rows])

    def saved(self, events: list[Event], ids: list[int]) -> None:
        self.events.extend(events)
        self._advance(ids)

    def _advance(self, ids: list[int]) -> None:
        if ids:
            self.last_id = max(self.last_id, *ids)
            self.rows += len(ids)


def _sqlite_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose `events.data` is encrypted; the same table and queries.

    A conversation's latest session is kept in memory once read, so that a turn reads only the
    rows written since (Rasa's store reads, decrypts and parses the whole session on every
    turn: the 200th message of a conversation took five times as long as the 2nd). Each read
    checks that the rows read before are all still there, so an erasure is seen at once; rows
    another Rasa server wrote are read in, so several servers can share the store.
    """

    def __init__(self, *args: Any, host: str | None = None, **kwargs: Any) -> None:
        self._fernet = _cipher()  # before any connection: no keys, no store
        self._session_events: OrderedDict[str, _Session] = OrderedDict()
        if host and "://" in host:
            _make_private(host)
        self._named_domain: Any = None
        self._names: frozenset[str] = frozenset()
        super().__init__(*args, host=host, **kwargs)
        self._test_connections_before_use()
        self._encrypt_events_in_clear()

    def _test_connections_before_use(self) -> None:
        """Rasa's engine, with each pooled connection tested before use: after a restart of the
        database server, the connections kept from before are replaced, instead of failing the
        next turns one by one. On SQLite, its write-ahead log (as the gateway's database): a
        commit no longer waits for the disk twice, and a crash of the process loses nothing."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sqlalchemy.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        if self.engine.dialect.name == "sqlite":
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_write_ahead_log)
        self.sessionmaker.configure(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, each one's content encrypted."""
        await self.stream_events(tracker)
        known = self._session_events.get(tracker.sender_id)
        with self.session_scope() as session:
            if known is not None and len(known.events) <= len(tracker.events):
                new = list(itertools.islice(tracker.events, len(known.events), None))
            else:
                new = list(self._additional_events(session, tracker))
            rows = [self._row(tracker.sender_id, event) for event in new]
            session.add_all(rows)
            session.flush()
            ids = [row.id for row in rows]  # before the commit expires them: no read back
            session.commit()
        if any(isinstance(event, SessionStarted) for event in new):
            self._session_events.pop(tracker.sender_id, None)  # read from its start next time
        elif known is not None:
            known.saved(new, ids)

    def _row(self, sender_id: str, event: Event) -> Any:
        data = event.as_dict()
        intent = ((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY)
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=self._domain_name(intent),
            action_name=self._domain_name(data.get("name")),
            data=self._encrypt(data),
        )

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, True).all()
                events = deserialise_events([self._decrypt(row.data) for row in rows])
        else:
            events = self._current_session(sender_id)
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    def _current_session(self, sender_id: str) -> list[Event]:
        """The events of the conversation's latest session: those read before, kept with the
        id of the last one, and those written since (by this server or another); read again
        whole when a new session began or when rows read before are gone (an erasure)."""
        known = self._session_events.get(sender_id)
        with self.session_scope() as session:
            if known is not None:
                count, last = (
                    session.query(
                        sqlalchemy.func.count(self.SQLEvent.id),
                        sqlalchemy.func.max(self.SQLEvent.id),
                    )
                    .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id <= known.last_id)
                    .one()
                )
                newer = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > known.last_id)
                    .order_by(self.SQLEvent.id)
                    .all()
                )
                if (count, last) == (known.rows, known.last_id) and not any(
                    row.type_name == SessionStarted.type_name for row in newer
                ):
                    known.read(newer, [self._decrypt(row.data) for row in newer])
                    self._session_events.move_to_end(sender_id)
                    return list(known.events)
            rows = self._event_query(session, sender_id, False).all()
            every = (
                session.query(sqlalchemy.func.count(self.SQLEvent.id))
                .filter(
                    self.SQLEvent.sender_id == sender_id,
                    self.SQLEvent.id <= (rows[-1].id if rows else 0),
                )
                .scalar()
            )
            events = deserialise_events([self._decrypt(row.data) for row in rows])
        if rows:
            starts = [r.timestamp for r in rows if r.type_name == SessionStarted.type_name]
            start = max(starts, default=None)
            self._session_events[sender_id] = _Session(events, rows[-1].id, int(every), start)
            while len(self._session_events) > SESSIONS_KEPT:
                self._session_events.popitem(last=False)
        else:
            self._session_events.pop(sender_id, None)
        return events

    def _encrypt(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data).encode()).decode("ascii")

    def _decrypt(self, stored: str) -> dict[str, Any]:
        if stored.startswith("{"):  # stored in clear before this store, not yet encrypted
            return dict(json.loads(stored))
        try:
            return dict(json.loads(self._fernet.decrypt(stored.encode("ascii"))))
        except InvalidToken:
            raise TrackerStoreKeyError(
                "an event of a conversation cannot be decrypted with the configured data keys: "
                "was a key removed from DATA_ENCRYPTION_KEY while events it encrypted remain?"
            ) from None

    def _domain_name(self, name: Any) -> str | None:
        """`name` if the domain defines it (an intent, action, slot or form), else None.

        A message such as "/my words" can become an intent name: never one kept in clear.
        """
        if not isinstance(name, str):
            return None
        domain = self.domain
        if domain is not self._named_domain:
            slots = [slot.name for slot in domain.slots] if domain else []
            known = [*domain.intents, *domain.action_names_or_texts, *slots] if domain else []
            self._named_domain, self._names = domain, frozenset(known)
        return name if name in self._names else None

    def _encrypt_events_in_clear(self) -> None:
        """Encrypt events an unencrypted store left (an upgrade), a batch at a time."""
        encrypted = 0
        with self.session_scope() as session:
            while True:
                rows = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.data.like("{%"))
                    .order_by(self.SQLEvent.id)
                    .limit(CLEAR_BATCH)
                    .all()
                )
                if not rows:
                    break
                for row in rows:
                    row.data = self._encrypt(json.loads(row.data))
                session.commit()
                encrypted += len(rows)
        if encrypted:
            logger.info("encrypted %d event(s) an earlier tracker store kept in clear", encrypted)
