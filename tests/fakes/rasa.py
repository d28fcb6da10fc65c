"""A Rasa server that is up, for the relay's tests: it reads every message as a question for
the knowledge base; each test says what its `send` answers (or raises) and what its tracker
holds."""

from __future__ import annotations

from typing import Any

from bot.gateway.rasa import RasaClient


class UpRasa(RasaClient):
    """Up, its NLU reading every message as `faq`; nothing answered and nothing in its tracker
    unless a subclass says otherwise."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "token", timeout=2.0)

    async def is_up(self) -> bool:
        return True

    async def parse(self, text: str, within: float) -> dict[str, Any]:
        return {"text": text, "intent": {"name": "faq", "confidence": 0.9}, "entities": []}

    async def set_slots(self, sender: str, slots: dict[str, Any], *, new: bool = False) -> None:
        return None

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any],
        parse: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        return []

    async def replies_to(self, sender: str, message_id: int) -> list[dict[str, Any]] | None:
        return None
