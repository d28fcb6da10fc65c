"""The action server: rasa_sdk's Sanic app, answering only Rasa, which proves it with a secret.

Rasa sends `Authorization: Bearer <ACTION_SERVER_TOKEN>` with every action call (endpoints.yml).
Without the check, anything that reaches the port (beyond loopback once a load balancer is put in
front of it) could post a tracker of its own making and run the consent, contact or erasure
actions for any conversation. `/health` stays open, for probes.

When an action fails, rasa_sdk answers with the whole tracker it was sent (everything the person
wrote), which Rasa then logs in one line: the answer says only that the action failed. When it
failed because the database could not be reached (a restart, a full disk), the answer is 503 and
the log one line: Rasa calls again while the database comes back (rasa_addons.action_retry).

rasa_sdk's own runner is followed step by step, with this app factory in place of its own: Sanic
builds the app again in each worker process, so the check must be part of the factory.
"""

from __future__ import annotations

import hmac
import logging
import multiprocessing
import os
import socket
import time
from functools import partial
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import DEFAULT_ENDPOINTS_PATH
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse
from sanic.worker.loader import AppLoader
from sqlalchemy.exc import DBAPIError

from bot import processes, timing
from bot.db.session import driver_reason, unreachable

OPEN_PATHS = frozenset({"/health"})
NO_DATABASE_STATUS = 503
REFUSED = {"error": "This action server answers only the Rasa server of this assistant."}
FAILED = {"error": "The action failed; the action server's log says why."}
NO_DATABASE = {"error": "The database cannot be reached; call again in a moment."}

log = logging.getLogger(__name__)


def create_app(
    actions_package: str, token: str, endpoints: str = DEFAULT_ENDPOINTS_PATH
) -> Sanic[Any, Any]:
    """rasa_sdk's app for `actions_package`, refusing (401) requests without `token`."""
    if multiprocessing.parent_process() is not None:
        # A Sanic worker: it must not live on, answering on the port, once its parent is gone.
        processes.die_with_parent()
    executor = ActionExecutor()
    executor.register_package(actions_package)
    app: Sanic[Any, Any] = create_app_for_serve(executor, cors_origins=None, endpoints=endpoints)
    expected = f"Bearer {token}".encode()

    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, expected):
            return None
        return response.json(REFUSED, status=401)

    async def nothing_of_the_request(_: Request, answer: BaseHTTPResponse) -> HTTPResponse | None:
        if answer.status >= 500 and answer.status != NO_DATABASE_STATUS:
            return response.json(FAILED, status=answer.status)
        return None

    async def start_timing(request: Request) -> None:
        request.ctx.timing = (timing.begin(), time.perf_counter())

    async def where_the_time_went(request: Request, answer: BaseHTTPResponse) -> None:
        # For Rasa (rasa_addons/timing.py): the action's database and retrieval time.
        started = getattr(request.ctx, "timing", None)
        if started is not None:
            stages = timing.finish(started[0])
            stages["total"] = (time.perf_counter() - started[1]) * 1000
            answer.headers[timing.HEADER] = timing.header(stages)

    async def no_database(request: Request, error: Exception) -> HTTPResponse:
        if not unreachable(error):
            return app.error_handler.default(request, error)
        reason = driver_reason(error)
        log.warning("an action could not reach the database (%s); Rasa will call again", reason)
        return response.json(NO_DATABASE, status=NO_DATABASE_STATUS)

    app.register_middleware(only_rasa, "request")
    app.register_middleware(start_timing, "request")
    app.register_middleware(nothing_of_the_request, "response")
    app.register_middleware(where_the_time_went, "response")
    app.error_handler.add(DBAPIError, no_database)
    return app


def run(actions_package: str, token: str, port: int, log_level: str) -> None:
    """Serve the actions on 127.0.0.1 (SANIC_HOST to change it) until stopped."""
    if not token:
        raise ValueError("the action server needs ACTION_SERVER_TOKEN, the secret Rasa sends")
    utils.configure_colored_logging(log_level)
    utils.update_sanic_log_level()
    loader = AppLoader(factory=partial(create_app, actions_package, token))
    app = loader.load()
    workers = utils.number_of_sanic_workers()
    # The socket `trialbot run` keeps open across restarts, when it hands one over.
    listening = os.environ.pop(processes.LISTEN_FD_VARIABLE, "")
    app.prepare(
        host=os.environ.get("SANIC_HOST", "127.0.0.1"),
        port=port,
        workers=workers,
        single_process=workers == 1,
        sock=socket.socket(fileno=int(listening)) if listening and workers == 1 else None,
    )
    if workers == 1:
        # One process, which serves: with Sanic's manager in front of a single worker, the
        # worker's death left a process holding the port and answering no one, which Sanic does
        # not start again. It also halves the memory.
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)
