"""An action call outlives its action server's death and a break in its database
(rasa_addons.action_retry): the action's events reach the conversation, not "lost"."""

from __future__ import annotations

import json

from tests.rasa.running import rasa_python

# A local action server that takes the first call and dies without answering (its connection
# closed, as when its process is killed), answers the second 503 (its database unavailable),
# and the third with the action's events; then Rasa's RemoteAction runs against it.
SNIPPET = """
import asyncio, json, sys
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

INSTALL = sys.argv[1] == "retry"
ANSWERED = json.dumps({"events": [{"event": "slot", "name": "age", "value": 52}], "responses": []})
calls = []

async def serve(reader, writer):
    head = await reader.readuntil(b"\\r\\n\\r\\n")
    length = [int(line.split(b":")[1]) for line in head.split(b"\\r\\n")
              if line.lower().startswith(b"content-length")]
    await reader.readexactly(length[0] if length else 0)
    calls.append(1)
    if len(calls) == 1:
        writer.close()
        return
    status, body = ("503 Service Unavailable", "{}") if len(calls) == 2 else ("200 OK", ANSWERED)
    writer.write(f"HTTP/1.1 {status}\\r\\nContent-Type: application/json\\r\\n"
                 f"Content-Length: {len(body)}\\r\\nConnection: close\\r\\n\\r\\n{body}".encode())
    await writer.drain()
    writer.close()

async def main():
    if INSTALL:
        from rasa_addons import action_retry
        action_retry.install()
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    action = RemoteAction("action_screening_answer", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    try:
        events = await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
                                  DialogueStateTracker("someone", []), Domain.empty())
        outcome = [event.as_dict()["event"] for event in events]
    except Exception as error:
        outcome = f"failed: {error}"
    print(json.dumps({"calls": len(calls), "outcome": outcome}))

asyncio.run(main())
"""


def _run(mode: str) -> dict[str, object]:
    result = rasa_python("-c", SNIPPET, mode, log_level="WARNING", timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


def test_an_action_call_is_made_again_until_the_action_server_answers() -> None:
    assert _run("retry") == {"calls": 3, "outcome": ["slot"]}


def test_without_it_rasa_gives_the_action_one_call() -> None:
    """What Rasa does alone, which the test above would fall back to if the install broke."""
    outcome = _run("plain")
    assert outcome["calls"] == 1 and str(outcome["outcome"]).startswith("failed")
