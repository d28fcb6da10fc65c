"""The tracker store keeps a conversation's latest session in memory once read, and reads only
the rows written since (rasa_addons.tracker_store): what another Rasa server wrote is read in,
an erasure is seen at once, a new session starts afresh, and a long conversation's turn decrypts
only its new events."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet

from tests.rasa.running import rasa_python

SNIPPET = """
import asyncio, json, sys
import sqlalchemy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_addons import tracker_store
from rasa_addons.tracker_store import EncryptedSQLTrackerStore

tracker_store.adopt_keys_from_environment()
domain = Domain.from_yaml('''
version: "3.1"
intents: [greet]
slots:
  language: {type: text, mappings: [{type: custom}]}
responses:
  utter_greet: [{text: hi}]
''')
url = sys.argv[1]
one = EncryptedSQLTrackerStore(domain, dialect="sqlite", host="", db=url)
other = EncryptedSQLTrackerStore(domain, dialect="sqlite", host="", db=url)  # a second server
decrypted = []
original = one._decrypt
one._decrypt = lambda stored: decrypted.append(1) or original(stored)

def turn(n):
    return [UserUttered(f"message {n}", {"name": "greet"}), ActionExecuted("utter_greet"),
            BotUttered("hi"), ActionExecuted("action_listen")]

async def main():
    found = {}
    start = [ActionExecuted("action_session_start"), SessionStarted(), SlotSet("language", "fr"),
             ActionExecuted("action_listen")]
    earlier = [e for n in range(50) for e in turn(n)]
    tracker = DialogueStateTracker.from_events("p1", start + earlier)
    await one.save(tracker)
    read = await one.retrieve("p1")
    found["first_read"] = len(read.events)
    decrypted.clear()
    read.update_with_events(turn(50), None)
    await one.save(read)
    again = await one.retrieve("p1")
    found["decrypted_on_the_next_turn"] = len(decrypted)
    found["events_after_a_turn"] = len(again.events)
    found["language"] = again.get_slot("language")
    # Another server takes a turn of the same conversation.
    theirs = await other.retrieve("p1")
    theirs.update_with_events(turn(51), None)
    await other.save(theirs)
    mine = await one.retrieve("p1")
    found["their_turn_read_in"] = mine.events[-4].text
    found["events_after_their_turn"] = len(mine.events)
    # A new session: the latest one only, as Rasa's store reads it.
    mine.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                             ActionExecuted("action_listen")] + turn(52), None)
    await one.save(mine)
    found["new_session"] = len((await one.retrieve("p1")).events)
    # The person's data erased (bot.rights.erasure deletes the rows).
    with one.engine.begin() as connection:
        connection.execute(sqlalchemy.text("DELETE FROM events WHERE sender_id = 'p1'"))
    found["after_erasure"] = await one.retrieve("p1")
    print(json.dumps(found))

asyncio.run(main())
"""


def test_a_session_is_read_once_then_only_what_is_new(tmp_path: Path) -> None:
    result = rasa_python(
        "-c",
        SNIPPET,
        str(tmp_path / "tracker.db"),
        log_level="WARNING",
        timeout=300,
        env={"TRACKER_STORE_KEYS": Fernet.generate_key().decode()},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    # Rasa reads a session from its SessionStarted on (action_session_start came just before).
    assert found["first_read"] == 3 + 50 * 4
    assert found["decrypted_on_the_next_turn"] == 0  # its own turn: nothing read back
    assert found["events_after_a_turn"] == 3 + 51 * 4 and found["language"] == "fr"
    assert found["their_turn_read_in"] == "message 51"
    assert found["events_after_their_turn"] == 3 + 52 * 4
    assert found["new_session"] == 2 + 4
    assert found["after_erasure"] is None
