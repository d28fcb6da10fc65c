"""The gateway's HTTP app: health, the web chat and its API."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot import timing
from bot.channels import registry, web
from bot.channels.base import Channel, Inbound
from bot.consent import page as consent_page
from bot.conversations import LanguageHints, as_language
from bot.db.models import StoredConsentText
from bot.db.session import create_db_engine, driver_reason, make_session_factory, unreachable
from bot.gateway import limits, pages, staff
from bot.gateway import webchat_identity as identity
from bot.gateway.hardening import BodyLimit, page_headers
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
# Below this much room in the data folder, /healthz says the disk is full: SQLite needs room for
# its write-ahead log, and the logs and exports share the folder.
DISK_FREE_MINIMUM = 32 * 2**20
CROSS_SITE = {
    "en": "This message was sent from another site.",
    "fr": "Ce message a été envoyé depuis un autre site.",
}


class ChatRequest(BaseModel):
    # A script's name for the conversation; without it, the token's own conversation.
    sender: str | None = Field(default=None, min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=4000)
    lang: Literal["en", "fr"] | None = None
    locale: str | None = Field(default=None, max_length=35)
    # The page's ?ref= (a campaign), sent with the first message.
    ref: str | None = Field(default=None, max_length=64)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value.strip()


class ChatButton(BaseModel):
    title: str
    payload: str


class ChatMessage(BaseModel):
    text: str | None = None
    buttons: list[ChatButton] = []
    image: str | None = None


class ChatResponse(BaseModel):
    messages: list[ChatMessage]
    # The conversation's language after this message: the page labels itself in it.
    lang: Literal["en", "fr"] | None = None
    # The token that owns the conversation (also set as a cookie): send it back in X-Chat-Token.
    conversation: str | None = None


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
            await relay.drain()
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
        lang = getattr(request.state, "lang", None) or _language_of(request)
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
    page = _chat_page(settings.emergency_number)
    chat_headers = page_headers(page, connect=True)
    signer = identity.TokenSigner(settings.pseudonym_secret())

    def secure(request: Request) -> bool:
        """Secure cookies over TLS, decided as for the staff pages' cookies."""
        staff_pages: pages.StaffPages = request.app.state.staff_pages
        return staff_pages.secure(request)

    def with_cookie(response: Response, request: Request, owner: identity.Owner) -> Response:
        identity.set_cookie(
            response, owner, secure=secure(request), days=settings.web_chat_cookie_days
        )
        return response

    def unknown_token(request: Request, lang: str) -> Response:
        """A token this deployment never signed: refused, and the browser's copy dropped."""
        response = _problem(401, identity.BAD_TOKEN[lang])
        identity.forget_cookie(response, secure=secure(request))
        return response

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """Whether Rasa, the action server and the database all answer, and the data folder
        has room to write."""
        state = request.app.state
        rasa, actions, database = await asyncio.gather(
            state.rasa.is_up(),
            answers_ok(state.probe, f"{settings.actions_url}/health"),
            asyncio.to_thread(_database_up, state.engine),
        )
        parts = {
            name: "up" if ok else "down"
            for name, ok in (("rasa", rasa), ("actions", actions), ("database", database))
        }
        free = _free_bytes(settings.var_dir)
        if free is not None and free < DISK_FREE_MINIMUM:
            parts["disk"] = "full"  # named only then: the healthy answer keeps CONTRACT's keys
        healthy = all(value == "up" for value in parts.values())
        # A messaging platform being unreachable does not stop the gateway serving the others.
        body = {
            "status": "ok" if healthy else "degraded",
            **parts,
            **registry.health(state.channels),
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.post("/api/chat", response_model=ChatResponse, response_model_exclude_none=True)
    async def chat(request: Request, body: ChatRequest) -> Response:
        """The web chat's message path: the same relay every channel uses.

        Only for the conversation's owner: the token presented (cookie or X-Chat-Token), or a
        new one issued now. A `sender` names a conversation of the owner's, bound to it when
        it is created; another owner's (or one from before tokens) is refused, not handled.
        """
        lang = _language_of(request, body.lang, body.locale)
        request.state.lang = lang  # for an answer when the database cannot be reached
        if pages.cross_site(request):
            return _problem(403, CROSS_SITE[lang])
        token = identity.presented(request)
        owner = signer.issue() if token is None else signer.read(token)
        if owner is None:
            return unknown_token(request, lang)
        relay, webchat = request.app.state.relay, request.app.state.webchat
        user_id = body.sender or owner.own_user_id
        key = relay.sender_key(web.NAME, user_id)
        if not await webchat.claim(key, owner.key, settings.default_language):
            return _problem(403, identity.NOT_YOURS[lang])
        inbound = Inbound(
            channel=web.NAME,
            user_id=user_id,
            text=body.text,
            hints=LanguageHints(chosen=body.lang, locale=body.locale),
            referral=body.ref,
        )
        started = time.perf_counter()
        # Stages are collected only to be sent: otherwise nothing on the path times itself.
        collecting: contextlib.AbstractContextManager[dict[str, float]] = (
            timing.timed_request() if settings.server_timing else contextlib.nullcontext({})
        )
        try:
            with collecting as stages:
                replies = await relay.handle(inbound)
        except limits.TooMany:
            await webchat.forget_if_unused(key)
            raise
        said = await webchat.language(key)
        # Built from our own replies, so the response model documents it without re-checking it.
        answer: dict[str, Any] = {"messages": [reply.to_json() for reply in replies]}
        if said is not None:
            answer["lang"] = said
        answer["conversation"] = owner.token
        reply = JSONResponse(answer)
        if settings.server_timing:
            stages["total"] = (time.perf_counter() - started) * 1000
            reply.headers[timing.HEADER] = timing.header(stages)
        return with_cookie(reply, request, owner)

    @app.post("/api/chat/new")
    async def new_chat(request: Request) -> Response:
        """A new conversation for this browser: a new token, so the last one is not continued."""
        if pages.cross_site(request):
            return _problem(403, CROSS_SITE[_language_of(request)])
        owner = signer.issue()
        return with_cookie(JSONResponse({"conversation": owner.token}), request, owner)

    @app.get("/api/chat/updates")
    async def chat_updates(
        request: Request,
        sender: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
        after: Annotated[int | None, Query(ge=0)] = None,
    ) -> Response:
        """Replies produced after the request that caused them (e.g. once Rasa came back).

        Only to the conversation's owner: a study team's answer waits here.
        """
        lang = _language_of(request)
        token = identity.presented(request)
        if token is None:
            return _problem(401, identity.NO_TOKEN[lang])
        owner = signer.read(token)
        if owner is None:
            return unknown_token(request, lang)
        key = request.app.state.relay.sender_key(web.NAME, sender or owner.own_user_id)
        if await request.app.state.webchat.owned_by(key, owner.key) is False:
            return _problem(403, identity.NOT_YOURS[lang])
        result: dict[str, Any] = await request.app.state.webchat.updates(key, after)
        return JSONResponse(result)

    registry.mount(app)  # each channel's webhooks

    @app.get("/", response_class=HTMLResponse)
    async def chat_page(request: Request) -> Response:
        """The page, with a conversation token for this browser if it holds none valid yet:
        its polling for late replies needs one (never cached: each browser gets its own)."""
        response = HTMLResponse(page, headers={**chat_headers, "Cache-Control": "no-store"})
        token = identity.presented(request)
        if token is None or signer.read(token) is None:
            with_cookie(response, request, signer.issue())
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        """Browsers ask for it on every page: no icon, and no error in their console."""
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/consent/{sha256}", response_class=HTMLResponse)
    async def consent_text(request: Request, sha256: str) -> HTMLResponse:
        """A consent text exactly as it was shown, by the hash the ledger records."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            return _page("Not a consent text.", status_code=404)
        stored = await asyncio.to_thread(_stored_text, request.app.state.engine, sha256)
        if stored is None:
            return _page("No consent text has this reference.", status_code=404)
        return _page(consent_page.render(stored))

    return app


def _chat_page(emergency_number: str) -> str:
    source = resources.files("bot.gateway").joinpath("static/index.html").read_text("utf-8")
    return source.replace(
        'data-emergency="112"', f'data-emergency="{html.escape(emergency_number)}"'
    )


def _page(html_text: str, status_code: int = 200) -> HTMLResponse:
    """A public page with the headers that keep it out of frames and run none but its own."""
    headers = page_headers(html_text)
    return HTMLResponse(html_text, status_code=status_code, headers=headers)


def _language_of(request: Request, *hints: str | None) -> str:
    """The language to refuse in: the message's, else the browser's, else English."""
    for hint in (*hints, request.headers.get("accept-language")):
        lang = as_language((hint or "").split(",")[0].split(";")[0])
        if lang is not None:
            return lang
    return "en"


def _stored_text(engine: Any, sha256: str) -> StoredConsentText | None:
    """The newest version shown with these words."""
    with Session(engine) as session:
        stored = session.scalars(
            select(StoredConsentText)
            .where(StoredConsentText.sha256 == sha256)
            .order_by(StoredConsentText.version.desc())
            .limit(1)
        ).first()
        if stored is not None:
            session.expunge(stored)
        return stored


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


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


async def answers_ok(client: httpx.AsyncClient, url: str) -> bool:
    """True when `url` answers 200."""
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


def _database_up(engine: Any) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except DBAPIError as error:
        log.warning("database health check failed: %s", driver_reason(error))
        return False
    except Exception:
        log.warning("database health check failed", exc_info=True)
        return False


def _free_bytes(folder: Path) -> int | None:
    """Room left on the file system of the data folder (the SQLite file, keys, logs)."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None
