"""Where a turn's time goes inside Rasa, sent back to the gateway in a `Server-Timing` header.

The gateway's channel (gateway_channel.py) times each turn it hands to Rasa: the tracker read
and written (`tracker`), the NLU (`nlu`), the policies' predictions (`policies`) and the
actions run (`actions`, the action server's calls included), with the stages the action server
reports for its own part (`action.db`, `action.retrieval`…: bot/timing.py over there). The
gateway adds them to its own header (`rasa.nlu`, …), and bench/latency prints the table.
Outside a timed turn nothing is collected. The header's format and the collection are
bot/timing.py's, written again here: Rasa's code imports nothing of `bot/` (another Python, other
packages).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

HEADER = "Server-Timing"
_STAGES: ContextVar[dict[str, float] | None] = ContextVar("rasa_timing_stages", default=None)
_ENTRY = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*;\s*dur=([0-9.]+)\s*$")
_installed = False

T = TypeVar("T")


def begin() -> Token[dict[str, float] | None]:
    """Start collecting the stages of this task's turn."""
    return _STAGES.set({})


def end(token: Token[dict[str, float] | None]) -> str:
    """Stop collecting; the header's value (`name;dur=ms, …`)."""
    stages = _STAGES.get() or {}
    _STAGES.reset(token)
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in stages.items())


def add(name: str, milliseconds: float) -> None:
    stages = _STAGES.get()
    if stages is not None:
        stages[name] = stages.get(name, 0.0) + milliseconds


@contextmanager
def stage(name: str) -> Iterator[None]:
    if _STAGES.get() is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        add(name, (time.perf_counter() - started) * 1000)


def reported(value: str, prefix: str) -> None:
    """Add the stages of another server's `Server-Timing` value, under `prefix`."""
    for entry in value.split(","):
        match = _ENTRY.match(entry)
        if match:
            add(prefix + match.group(1), float(match.group(2)))


def _timed(name: str, method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> T:
        with stage(name):
            return method(*args, **kwargs)

    return timed


def _timed_async(name: str, method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> T:
        with stage(name):
            return await method(*args, **kwargs)

    return timed


def install() -> None:
    """Time the processor's stages."""
    global _installed
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    MessageProcessor.parse_message = _timed_async("nlu", MessageProcessor.parse_message)  # type: ignore[method-assign]
    MessageProcessor._predict_next_with_tracker = _timed(  # type: ignore[method-assign]
        "policies", MessageProcessor._predict_next_with_tracker
    )
    MessageProcessor.get_tracker = _timed_async("tracker", MessageProcessor.get_tracker)  # type: ignore[method-assign]
    MessageProcessor.save_tracker = _timed_async("tracker", MessageProcessor.save_tracker)  # type: ignore[method-assign]
    RemoteAction.run = _timed_async("actions", RemoteAction.run)  # type: ignore[method-assign]
    _installed = True
