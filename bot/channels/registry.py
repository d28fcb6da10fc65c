"""Every channel, found where it lives: a module of this package that declares a `CHANNEL`.

A channel is one module here: its adapter (a spec.Adapter) and `CHANNEL = ChannelSpec(...)`,
which says its name, when the settings switch it on, how it is built, its webhook routes and
its links. The gateway (bot.gateway.app) and the processes that only send
(bot.channels.outbound) take the channels from here, never by name; the reminder dispatcher and
the handoff delivery only deliver, with a purpose each adapter maps to its platform's rules. So
a new channel is a new module (and its settings), and no other file changes.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from collections.abc import Collection, Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import AcceptedT, Relaying
from bot.channels.spec import Adapter, ChannelSpec
from bot.settings import Settings

log = logging.getLogger(__name__)


@functools.cache
def specs() -> tuple[ChannelSpec, ...]:
    """Every channel of this package, in the order of their names."""
    package = importlib.import_module(__package__ or "bot.channels")
    found = []
    for module in pkgutil.iter_modules(package.__path__):
        spec = getattr(
            importlib.import_module(f"{package.__name__}.{module.name}"), "CHANNEL", None
        )
        if isinstance(spec, ChannelSpec):
            found.append(spec)
    return tuple(sorted(found, key=lambda spec: spec.name))


def build(
    settings: Settings,
    relay: Relaying[AcceptedT],
    sessions: sessionmaker[Session],
    *,
    only: Collection[str] | None = None,
) -> dict[str, Adapter]:
    """The adapters the settings switch on (of those named in `only`, when given)."""
    return {
        spec.name: spec.build(settings, relay, sessions)
        for spec in specs()
        if (only is None or spec.name in only) and spec.enabled(settings)
    }


def mount(app: FastAPI) -> None:
    """Every channel's webhook routes on the gateway's app."""
    for spec in specs():
        if spec.routes is not None:
            app.include_router(spec.routes)


def serve(app: FastAPI, adapters: Mapping[str, Adapter]) -> None:
    """Hand the running adapters to the webhook handlers (see `running`)."""
    app.state.channels = dict(adapters)


def running(request: Request, name: str) -> Adapter | None:
    """The adapter `name` that the gateway serving `request` runs; None when it runs none."""
    adapters: dict[str, Adapter] = getattr(request.app.state, "channels", None) or {}
    return adapters.get(name)


async def stop(adapters: Mapping[str, Adapter]) -> None:
    """Stop every adapter: one that fails to stop cleanly leaves the others to stop."""
    for adapter in adapters.values():
        try:
            await adapter.stop()
        except Exception:
            log.warning("the %s channel did not stop cleanly", adapter.name, exc_info=True)


def health(adapters: Mapping[str, Adapter]) -> dict[str, str]:
    """Each adapter's part of /healthz: a platform being down does not stop the others."""
    parts = {name: adapter.health() for name, adapter in adapters.items()}
    return {name: part for name, part in parts.items() if part is not None}


def title(name: str) -> str:
    """A channel as people call it ("WhatsApp", "Web chat"); the name itself when unknown."""
    return next((spec.title for spec in specs() if spec.name == name), name)


def links(settings: Settings, payload: str) -> dict[str, str | None]:
    """Each channel's link carrying `payload`, as `<name>_link` (see ChannelSpec.link)."""
    return {f"{spec.name}_link": spec.link.to(settings, payload) for spec in specs() if spec.link}


def staff_chat(adapters: Mapping[str, Adapter]) -> Adapter | None:
    """The running adapter of the platform the staff chat of safety alerts is on."""
    for spec in specs():
        if spec.staff_alerts and spec.name in adapters:
            return adapters[spec.name]
    return None


def callback_url(settings: Settings, path: str) -> str:
    """The address a platform posts a webhook to: PUBLIC_URL and the webhook's path."""
    return f"{settings.public_url.rstrip('/') or '<PUBLIC_URL>'}{path}"


def problem(status: int, detail: str) -> JSONResponse:
    """A webhook's refusal, in the gateway's JSON form."""
    return JSONResponse({"detail": detail}, status_code=status)
