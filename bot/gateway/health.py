"""`/healthz`: whether Rasa, the action server and the database answer, the data folder has room,
and each channel's platform is reachable."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.channels import registry
from bot.db.session import driver_reason
from bot.settings import Settings

log = logging.getLogger(__name__)

# Below this much room in the data folder, /healthz says the disk is full: SQLite needs room for
# its write-ahead log, and the logs and exports share the folder.
DISK_FREE_MINIMUM = 32 * 2**20


def router(settings: Settings) -> APIRouter:
    api = APIRouter()

    @api.get("/healthz")
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

    return api


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
