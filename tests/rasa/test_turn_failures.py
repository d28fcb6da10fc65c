"""A turn Rasa cannot keep fails whole, so that the gateway sends the message again: the tracker
store unreachable is an error, not a new conversation kept in memory
(rasa_addons.tracker_store.fail_whole_turns), and the gateway's channel answers such a turn 503,
not 200 with nothing (rasa_addons.gateway_channel)."""

from __future__ import annotations

import json

from tests.rasa.running import rasa_python

SNIPPET = """
import asyncio, json, socket, sys
import aiohttp
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic
from rasa_addons import tracker_store
from rasa_addons.gateway_channel import GatewayInput

STRICT = sys.argv[1] == "strict"
if STRICT:
    tracker_store.fail_whole_turns()

class Unreachable(InMemoryTrackerStore):
    async def retrieve(self, sender_id):
        raise ConnectionError("connection to server at 127.0.0.1 failed")
    async def save(self, tracker):
        raise ConnectionError("connection to server at 127.0.0.1 failed")

async def handle(message: UserMessage) -> None:
    await message.output_channel.send_text_message(message.sender_id, "half an answer")
    store = FailSafeTrackerStore(Unreachable(Domain.empty()))
    tracker = await store.retrieve(message.sender_id)
    if tracker is None:
        await message.output_channel.send_text_message(message.sender_id, "a new conversation")

async def main():
    channel = GatewayInput() if STRICT else RestInput()
    app = Sanic("turns")
    app.blueprint(channel.blueprint(handle), url_prefix="/webhooks/rest")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    body = {"sender": "someone", "message": "I am 52", "metadata": {"message_id": 7}}
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body) as answer:
            print(json.dumps({"status": answer.status, "body": await answer.json()}))
    server.close()
    await server.wait_closed()

asyncio.run(main())
"""


def _turn(mode: str) -> tuple[dict[str, object], str]:
    result = rasa_python("-c", SNIPPET, mode, log_level="WARNING", timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    answer: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer, result.stdout + result.stderr


def test_a_turn_whose_conversation_cannot_be_read_answers_503_and_says_nothing_of_it() -> None:
    answer, logged = _turn("strict")
    assert answer["status"] == 503
    assert "half an answer" not in json.dumps(answer)
    assert "a turn failed and was not kept (ConnectionError: connection to server" in logged
    assert "I am 52" not in logged


def test_rasa_alone_answers_it_as_a_new_conversation_with_200() -> None:
    """What the gateway would mark answered: the message and its step lost."""
    answer, _ = _turn("rasa")
    assert answer["status"] == 200
    said = answer["body"]
    assert isinstance(said, list)
    assert [item["text"] for item in said] == ["half an answer", "a new conversation"]
