"""Rasa's REST channel as the gateway needs it: a turn that fails is answered 503, not 200.

Rasa's own channel answers 200 with whatever the turn had said before it failed (often nothing):
the tracker store or the lock store unreachable, the turn's events never saved. The gateway
would mark the message answered and the person's words would be lost with the step they
belonged to. Here a failed turn answers 503 and says nothing of the person's words; the gateway
keeps the message and sends it again once Rasa can take it (its recovery loop), and Rasa reads
it again from the last turn it saved. The channel keeps the name `rest`, its URL and its input.

Configured in credentials.yml (`rasa_addons.gateway_channel.GatewayInput:`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.nlu.training_data.message import Message
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons import reading, timing

logger = logging.getLogger(__name__)

FAILED = {"error": "The turn failed and nothing of it was kept; send the message again."}


def reason(error: BaseException) -> str:
    """The error's kind and its driver's first line, never the statement's values."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).splitlines() or [""])[0][:200]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class GatewayInput(RestInput):
    """`/webhooks/rest/webhook`, answering 503 when the turn fails."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("gateway_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            collector = CollectingOutputChannel()
            text = self._extract_message(request)
            metadata = self.get_metadata(request)
            message = UserMessage(
                text,
                collector,
                await self._extract_sender(request),
                input_channel=self._extract_input_channel(request),
                metadata=metadata,
                parse_data=given_parse(request.json, text, metadata),
            )
            started = timing.begin()
            try:
                await on_new_message(message)
            except Exception as error:
                timing.end(started)
                logger.error("a turn failed and was not kept (%s)", reason(error))
                return response.json(FAILED, status=503)
            stages = timing.end(started)
            return response.json(collector.messages, headers={timing.HEADER: stages})

        return webhook


def given_parse(body: Any, text: str, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """The NLU's reading the gateway already has of this very text (`parse`: /model/parse's
    answer, taken for its safety check), with the gateway's reading of the words applied as the
    pipeline's last component would; None when there is none or it is of other words."""
    parse = body.get("parse") if isinstance(body, dict) else None
    if not isinstance(parse, dict) or parse.get("text") != text:
        return None
    intent, entities = parse.get("intent"), parse.get("entities")
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
        return None
    if not isinstance(entities, list):
        return None
    given = (metadata or {}).get(reading.READING)
    if not isinstance(given, dict):
        return dict(parse)
    message = Message(data=dict(parse))
    reading.apply(message, given)
    return {key: value for key, value in message.data.items() if value is not None}
