"""`/consent/{sha256}`: a consent text exactly as it was shown, by the hash the ledger records."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.consent import page as consent_page
from bot.db.models import StoredConsentText
from bot.gateway.hardening import page_headers


def router() -> APIRouter:
    api = APIRouter()

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
