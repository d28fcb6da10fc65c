"""The gateway's HTTP app: health, the web chat and its API."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any, Literal

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import text

from bot.channels import web
from bot.channels.base import Inbound
from bot.conversations import LanguageHints
from bot.db.session import create_db_engine, make_session_factory
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)


class ChatRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=4000)
    lang: Literal["en", "fr"] | None = None
    locale: str | None = Field(default=None, max_length=35)

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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.db_url)
        sessions = make_session_factory(engine)
        rasa = RasaClient(settings.rasa_url, settings.rasa_token(), settings.rasa_timeout)
        webchat = web.WebChannel(sessions)
        relay = Relay(settings=settings, sessions=sessions, rasa=rasa, channels={web.NAME: webchat})
        probe = httpx.AsyncClient(timeout=2.0)
        app.state.engine, app.state.rasa, app.state.relay = engine, rasa, relay
        app.state.webchat, app.state.probe = webchat, probe
        recovery = asyncio.create_task(relay.run_recovery(), name="recovery")
        try:
            yield
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            await relay.drain()
            await rasa.aclose()
            await probe.aclose()
            engine.dispose()

    app = FastAPI(title="Trial assistant gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    page = _chat_page(settings.emergency_number)

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """Whether Rasa, the action server and the database all answer."""
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
        healthy = all(value == "up" for value in parts.values())
        body = {"status": "ok" if healthy else "degraded", **parts}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.post("/api/chat", response_model=ChatResponse, response_model_exclude_none=True)
    async def chat(request: Request, body: ChatRequest) -> JSONResponse:
        """The web chat's message path: the same relay every channel uses."""
        inbound = Inbound(
            channel=web.NAME,
            user_id=body.sender,
            text=body.text,
            hints=LanguageHints(chosen=body.lang, locale=body.locale),
        )
        replies = await request.app.state.relay.handle(inbound)
        # Built from our own replies, so the response model documents it without re-checking it.
        return JSONResponse({"messages": [reply.to_json() for reply in replies]})

    @app.get("/api/chat/updates")
    async def chat_updates(
        request: Request,
        sender: Annotated[str, Query(min_length=1, max_length=128)],
        after: Annotated[int | None, Query(ge=0)] = None,
    ) -> dict[str, Any]:
        """Replies produced after the request that caused them (e.g. once Rasa came back)."""
        key = request.app.state.relay.sender_key(web.NAME, sender)
        result: dict[str, Any] = await request.app.state.webchat.updates(key, after)
        return result

    @app.get("/", response_class=HTMLResponse)
    async def chat_page() -> HTMLResponse:
        return HTMLResponse(page)

    return app


def _chat_page(emergency_number: str) -> str:
    source = resources.files("bot.gateway").joinpath("static/index.html").read_text("utf-8")
    return source.replace(
        'data-emergency="112"', f'data-emergency="{html.escape(emergency_number)}"'
    )


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
    except Exception:
        log.warning("database health check failed", exc_info=True)
        return False
