"""`/consent/{sha256}`: a consent text exactly as it was shown, by the hash the ledger records;
`/consent/copy/{token}`: a person's copy of their decision, as a PDF (bot.consent.copy)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels import registry
from bot.consent import copy
from bot.consent import page as consent_page
from bot.db.models import StoredConsentText
from bot.gateway.hardening import page_headers
from bot.settings import Settings


def router(settings: Settings) -> APIRouter:
    api = APIRouter()
    tokens = copy.Tokens(settings.pseudonym_secret())

    @api.get("/consent/copy/{token}", response_class=Response)
    async def consent_copy(request: Request, token: str) -> Response:
        """A person's copy of one consent decision, as a PDF."""
        pdf = await asyncio.to_thread(_copy, request.app.state.engine, tokens, token)
        if pdf is None:
            return _page("No copy has this link: ask in the chat for a new one.", status_code=404)
        name, body = pdf
        headers = {
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(body, media_type="application/pdf", headers=headers)

    @api.get("/consent/{sha256}", response_class=HTMLResponse)
    async def consent_text(request: Request, sha256: str) -> HTMLResponse:
        """A consent text exactly as it was shown, by the hash the ledger records."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            return _page("Not a consent text.", status_code=404)
        stored = await asyncio.to_thread(_stored_text, request.app.state.engine, sha256)
        if stored is None:
            return _page("No consent text has this reference.", status_code=404)
        return _page(consent_page.render(stored))

    return api


def _page(html_text: str, status_code: int = 200) -> HTMLResponse:
    """A public page with the headers that keep it out of frames and run none but its own."""
    headers = page_headers(html_text)
    return HTMLResponse(html_text, status_code=status_code, headers=headers)


def _copy(engine: Any, tokens: copy.Tokens, token: str) -> tuple[str, bytes] | None:
    with Session(engine) as session:
        record = tokens.record(session, token)
        if record is None:
            return None
        return copy.filename(record), copy.render(copy.of_record(session, record), registry.title)


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
