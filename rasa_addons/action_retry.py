"""Action calls that outlive a restart of the action server, or a break in its database.

Rasa gives a custom action one call. When the action server dies during it (killed, the
connection dropped) or answers 503 (its database unreachable for a moment), Rasa logs "Bot will
continue, but the actions events are lost" and goes on as if the action had not run: the
pre-screening answer the person just gave is lost and the dialogue goes astray. Here the same call
is made again, after a short pause growing to 2 s, for up to ACTION_RETRY_SECONDS (7.5 by default,
half the gateway's wait for Rasa): `trialbot run` keeps the action server's socket open while it
starts the server again, so a call made meanwhile waits for the new server instead of being
refused.

A call is made again only when the action server gave no answer, or said it could not reach its
database; an action that failed for any other reason fails as before. An action that had finished
its work when its server died runs twice, so what actions record is idempotent: answers are merged
by question, a consent decision already in force and a follow-up already open are not recorded
again, a request to the team joins the one already open.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

RETRY_VARIABLE = "ACTION_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 7.5
FIRST_PAUSE, LONGEST_PAUSE = 0.25, 2.0
UNAVAILABLE = 503  # the action server's answer when its database cannot be reached

_installed = False


def retry_seconds() -> float:
    """How long a call is made again, from the environment (0 turns retrying off)."""
    try:
        return max(0.0, float(os.environ.get(RETRY_VARIABLE, DEFAULT_RETRY_SECONDS)))
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def worth_again(error: BaseException) -> str | None:
    """Why the call that raised `error` may be made again, or None when it may not."""
    import aiohttp
    from rasa.utils.endpoints import ClientResponseError

    cause = error.__cause__ or error.__context__
    if isinstance(cause, ClientResponseError):
        return "its database is unavailable" if cause.status == UNAVAILABLE else None
    if isinstance(cause, aiohttp.ClientConnectionError):
        return "no answer from the action server"
    return None


def install() -> None:
    """Make `RemoteAction.run` call again on the failures above (once per process)."""
    global _installed
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.exceptions import RasaException

    original = RemoteAction.run

    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry_seconds()
        pause = FIRST_PAUSE
        while True:
            try:
                return await original(self, *args, **kwargs)
            except RasaException as error:
                reason = worth_again(error)
                if reason is None or loop.time() + pause > deadline:
                    raise
                logger.warning("action %s: %s; calling it again", self.name(), reason)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    RemoteAction.run = run  # type: ignore[method-assign]
    _installed = True
