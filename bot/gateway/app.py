"""The gateway's HTTP app: its processes' lifetime (relay, channels, senders) and its routers.

The routes are in routers per resource, each in its module: health (`health`), the web chat
and its API (`chat`), consent texts (`consent_text`), the staff pages and API (`pages`,
`staff`), and each channel's webhooks beside its adapter (bot.channels, by the registry).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from bot.channels import registry, web
from bot.channels.base import Channel
from bot.db.session import create_db_engine, driver_reason, make_session_factory, unreachable
from bot.gateway import chat, consent_text, health, limits, pages, staff
from bot.gateway.hardening import BodyLimit
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.handoff.delivery import HandoffDelivery
from bot.i18n import messages
from bot.reminders.dispatcher import Dispatcher
from bot.safety import alerts
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)

# How often pending staff alerts are looked for (they are also tried at once when recorded).
ALERT_INTERVAL = 2.0
# Seconds a sender is asked to wait when the database cannot be reached or written.
DATABASE_RETRY_AFTER = 5


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.db_url)
        sessions = make_session_factory(engine)
        rasa = RasaClient(settings.rasa_url, settings.rasa_token(), settings.rasa_timeout)
        # The relay delivers late replies through the channels, which relay through it.
        channels: dict[str, Channel] = {}
        relay = Relay(
            settings=settings, sessions=sessions, rasa=rasa, channels=channels, limits=abuse
        )
        adapters = registry.build(settings, relay, sessions)
        channels.update(adapters)
        registry.serve(app, adapters)
        probe = httpx.AsyncClient(timeout=2.0)
        app.state.engine, app.state.rasa, app.state.relay = engine, rasa, relay
        app.state.sessions = sessions
        app.state.webchat, app.state.probe = adapters[web.NAME], probe
        background = [asyncio.create_task(relay.run_recovery(), name="recovery")]
        for spec in registry.specs():
            if spec.name in adapters:
                start = _keep_trying(spec.title, adapters[spec.name].start)
                background.append(asyncio.create_task(start, name=f"{spec.name} start"))
        # Staff alerts of safety events, retried until delivered; every gateway takes part.
        staff_chat = alerts.telegram_sender(settings, registry.staff_chat(adapters))
        sender = alerts.AlertSender(settings=settings, sessions=sessions, telegram=staff_chat)
        background.append(
            asyncio.create_task(sender.run_forever(ALERT_INTERVAL), name="staff alerts")
        )
        # The study team's answers to handoffs, on each person's channel, as often as alerts.
        answers = app.state.handoffs = HandoffDelivery(
            settings=settings, sessions=sessions, channels=channels
        )
        background.append(
            asyncio.create_task(answers.run_forever(ALERT_INTERVAL), name="handoff answers")
        )
        # Reminders go out from here, where the channels are; several gateways share the work.
        if settings.reminders_in_gateway:
            dispatcher = Dispatcher(settings=settings, sessions=sessions, channels=channels)
            rounds = dispatcher.run_forever(settings.reminder_interval)
            background.append(asyncio.create_task(rounds, name="reminders"))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*background)
            await registry.stop(adapters)
            await rasa.aclose()
            await probe.aclose()
            if abuse is not None:
                await abuse.aclose()
            engine.dispose()

    app = FastAPI(
        title="Trial assistant gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # A map of every route helps an attacker more than anyone in production.
        openapi_url=None if settings.environment == "production" else "/openapi.json",
    )
    app.add_exception_handler(RequestValidationError, _invalid_request)

    @app.exception_handler(DBAPIError)
    async def database_unreachable(request: Request, error: DBAPIError) -> Response:
        """503 while the database cannot be reached or written, so that the sender tries again:
        a messaging platform delivers the update again, the web chat offers to resend, and the
        message was not taken (nothing half-kept). One line in the log, not a traceback."""
        if not unreachable(error):
            raise error
        log.warning(
            "%s %s: the database is unreachable (%s)",
            request.method,
            request.url.path,
            driver_reason(error),
        )
        lang = getattr(request.state, "lang", None) or chat.language_of(request)
        apology = messages.text("error_apology", lang, emergency_number=settings.emergency_number)
        return JSONResponse(
            {"detail": apology, "messages": [{"text": apology}]},
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )

    app.include_router(staff.router(settings))
    pages.install(app, settings)
    abuse = limits.install(app, settings)  # 429s past RATE_LIMIT_*; the trusted proxies
    app.add_middleware(BodyLimit)
    app.include_router(health.router(settings))
    app.include_router(chat.router(settings))
    registry.mount(app)  # each channel's webhooks
    app.include_router(consent_text.router(settings))
    return app


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """422 naming what is wrong, without echoing the input back.

    FastAPI's own handler returns the input, which may be a patient's words, and fails with a
    500 on a body that is not UTF-8 (it decodes the bytes to put them in the answer).
    """
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    detail = [
        {"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", ""))}
        for item in errors
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _keep_trying(what: str, start: Callable[[], Awaitable[None]]) -> None:
    """Start a channel, retrying while its platform is unreachable; the rest keeps serving."""
    delay = 5.0
    while True:
        try:
            await start()
            return
        except Exception as error:
            log.error("%s could not start (%s); trying again in %.0f s", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 120.0)
