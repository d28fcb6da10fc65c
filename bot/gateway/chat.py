"""The web chat: its page, and its API (`/api/chat`, `/api/chat/new`, `/api/chat/updates`).

Every message takes the relay's path, as on every channel; a conversation belongs to the browser
the gateway gave its token to (bot.gateway.webchat_identity).
"""

from __future__ import annotations

import contextlib
import html
import time
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, field_validator

from bot import timing
from bot.channels import web
from bot.channels.base import Inbound
from bot.conversations import LanguageHints, as_language
from bot.gateway import limits, pages
from bot.gateway import webchat_identity as identity
from bot.gateway.hardening import page_headers
from bot.settings import Settings

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
    # The client's own id for this message, unique in the conversation: a request sent again
    # with it (its answer never came: a gateway died with it) is not handled twice. The repeat
    # is answered with no messages; the answer comes through /api/chat/updates.
    id: str | None = Field(default=None, min_length=1, max_length=64)

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


def router(settings: Settings) -> APIRouter:
    api = APIRouter()
    page = _page_text(settings.emergency_number)
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
        response = problem(401, identity.BAD_TOKEN[lang])
        identity.forget_cookie(response, secure=secure(request))
        return response

    @api.post("/api/chat", response_model=ChatResponse, response_model_exclude_none=True)
    async def chat(request: Request, body: ChatRequest) -> Response:
        """The web chat's message path: the same relay every channel uses.

        Only for the conversation's owner: the token presented (cookie or X-Chat-Token), or a
        new one issued now. A `sender` names a conversation of the owner's, bound to it when
        it is created; another owner's (or one from before tokens) is refused, not handled.
        """
        lang = language_of(request, body.lang, body.locale)
        request.state.lang = lang  # for an answer when the database cannot be reached
        if pages.cross_site(request):
            return problem(403, CROSS_SITE[lang])
        token = identity.presented(request)
        owner = signer.issue() if token is None else signer.read(token)
        if owner is None:
            return unknown_token(request, lang)
        relay, webchat = request.app.state.relay, request.app.state.webchat
        user_id = body.sender or owner.own_user_id
        key = relay.sender_key(web.NAME, user_id)
        if not await webchat.claim(key, owner.key, settings.default_language):
            return problem(403, identity.NOT_YOURS[lang])
        inbound = Inbound(
            channel=web.NAME,
            user_id=user_id,
            text=body.text,
            hints=LanguageHints(chosen=body.lang, locale=body.locale),
            referral=body.ref,
            external_id=f"web:{body.id}" if body.id else None,
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

    @api.post("/api/chat/new")
    async def new_chat(request: Request) -> Response:
        """A new conversation for this browser: a new token, so the last one is not continued."""
        if pages.cross_site(request):
            return problem(403, CROSS_SITE[language_of(request)])
        owner = signer.issue()
        return with_cookie(JSONResponse({"conversation": owner.token}), request, owner)

    @api.get("/api/chat/updates")
    async def chat_updates(
        request: Request,
        sender: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
        after: Annotated[int | None, Query(ge=0)] = None,
    ) -> Response:
        """Replies produced after the request that caused them (e.g. once Rasa came back).

        Only to the conversation's owner: a study team's answer waits here.
        """
        lang = language_of(request)
        token = identity.presented(request)
        if token is None:
            return problem(401, identity.NO_TOKEN[lang])
        owner = signer.read(token)
        if owner is None:
            return unknown_token(request, lang)
        key = request.app.state.relay.sender_key(web.NAME, sender or owner.own_user_id)
        if await request.app.state.webchat.owned_by(key, owner.key) is False:
            return problem(403, identity.NOT_YOURS[lang])
        result: dict[str, Any] = await request.app.state.webchat.updates(key, after)
        return JSONResponse(result)

    @api.get("/", response_class=HTMLResponse)
    async def chat_page(request: Request) -> Response:
        """The page, with a conversation token for this browser if it holds none valid yet:
        its polling for late replies needs one (never cached: each browser gets its own)."""
        response = HTMLResponse(page, headers={**chat_headers, "Cache-Control": "no-store"})
        token = identity.presented(request)
        if token is None or signer.read(token) is None:
            with_cookie(response, request, signer.issue())
        return response

    @api.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        """Browsers ask for it on every page: no icon, and no error in their console."""
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    return api


def _page_text(emergency_number: str) -> str:
    source = resources.files("bot.gateway").joinpath("static/index.html").read_text("utf-8")
    return source.replace(
        'data-emergency="112"', f'data-emergency="{html.escape(emergency_number)}"'
    )


def language_of(request: Request, *hints: str | None) -> str:
    """The language to refuse in: the message's, else the browser's, else English."""
    for hint in (*hints, request.headers.get("accept-language")):
        lang = as_language((hint or "").split(",")[0].split(";")[0])
        if lang is not None:
            return lang
    return "en"


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
