"""The staff API: add, move and cancel appointments (their reminders follow), and answer the
people who asked for the study team (handoffs), with a token.

`Authorization: Bearer <STAFF_API_TOKEN>` (generated under var/secrets/ when unset). Errors are
400 with the reason, in words for staff, as the CSV import gives them. Every change is in the
staff audit log as done by `api-token`, from the client's address.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from bot.crypto import Cipher
from bot.db.models import Appointment, AppointmentStatus, as_utc
from bot.handoff import service as handoffs
from bot.handoff.delivery import HandoffDelivery, Outcome
from bot.handoff.service import HandoffError, NoSuchHandoff
from bot.reminders import appointments, report
from bot.settings import Settings
from bot.staff import audit
from bot.trials import Catalogue, Trial

ACTOR = "api-token"  # the API knows a shared token, not a person


class NewAppointment(BaseModel):
    participant_code: str = Field(max_length=64)
    trial: str = Field(max_length=64)
    site: str = Field(max_length=64)
    starts_at: str = Field(max_length=40, description="ISO-8601; without offset: local time")
    timezone: str = Field(max_length=64)
    kind: str = Field(max_length=64)


class Move(BaseModel):
    starts_at: str = Field(max_length=40, description="ISO-8601; without offset: local time")


class HandoffAnswer(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    close: bool = Field(default=False, description="Close the handoff with this answer.")


def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/api/staff")
    token = settings.staff_token().encode()
    trials = Catalogue(settings.knowledge_dir)
    cipher = Cipher.from_settings(settings)

    def allowed(authorization: str | None) -> None:
        given = (authorization or "").removeprefix("Bearer ").encode()
        if not authorization or not hmac.compare_digest(given, token):
            raise HTTPException(status_code=401, detail="a valid staff token is required")

    @api.get("/appointments")
    async def listed(
        request: Request, participant: str | None = None, authorization: str | None = Header(None)
    ) -> list[dict[str, Any]]:
        allowed(authorization)
        return await asyncio.to_thread(_list, _sessions(request), participant)

    @api.post("/appointments", status_code=201)
    async def added(
        body: NewAppointment, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        allowed(authorization)
        return await asyncio.to_thread(
            _add, _sessions(request), _address(request), trials.get(), body.model_dump()
        )

    @api.post("/appointments/{appointment_id}/move")
    async def moved(
        appointment_id: int, body: Move, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        allowed(authorization)
        return await asyncio.to_thread(
            _move,
            _sessions(request),
            _address(request),
            trials.get(),
            appointment_id,
            body.starts_at,
        )

    @api.post("/appointments/{appointment_id}/cancel")
    async def cancelled(
        appointment_id: int, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        allowed(authorization)
        return await asyncio.to_thread(
            _cancel, _sessions(request), _address(request), appointment_id
        )

    @api.get("/handoffs")
    async def handoffs_listed(
        request: Request,
        everything: bool = Query(False, alias="all"),
        authorization: str | None = Header(None),
    ) -> list[dict[str, Any]]:
        """The open requests for the study team (or all), newest first, with their messages."""
        allowed(authorization)
        return await asyncio.to_thread(_handoffs, _sessions(request), cipher, everything)

    @api.post("/handoffs/{handoff_id}/reply")
    async def handoff_answered(
        handoff_id: int,
        body: HandoffAnswer,
        request: Request,
        authorization: str | None = Header(None),
    ) -> dict[str, Any]:
        """Answer the person on their channel: at once, or retried until delivered."""
        allowed(authorization)
        delivery: HandoffDelivery = request.app.state.handoffs
        return await _handoff_call(
            request, handoff_id, "handoff.reply",
            delivery.answer(handoff_id, body.text, close=body.close),
            chars=len(body.text), close=body.close,
        )  # fmt: skip

    @api.post("/handoffs/{handoff_id}/close")
    async def handoff_closed(
        handoff_id: int, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        """Close the request; the person is told they are back with the assistant."""
        allowed(authorization)
        delivery: HandoffDelivery = request.app.state.handoffs
        return await _handoff_call(request, handoff_id, "handoff.close", delivery.close(handoff_id))

    return api


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _record(
    session: Session, address: str | None, action: str, subject: str, **detail: Any
) -> None:
    audit.record(session, ACTOR, action, subject=subject, address=address, **detail)


async def _handoff_call(
    request: Request, handoff_id: int, action: str, call: Awaitable[Outcome], **detail: Any
) -> dict[str, Any]:
    """The delivery keeps the message in transactions of its own: the audit record follows."""
    try:
        outcome = await call
    except NoSuchHandoff as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    except HandoffError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None

    await asyncio.to_thread(
        audit.handoff_delivered, _sessions(request), ACTOR, action, handoff_id,
        outcome.delivery, address=_address(request), **detail,
    )  # fmt: skip
    return outcome.to_json()


def _handoffs(
    sessions: sessionmaker[Session], cipher: Cipher, everything: bool
) -> list[dict[str, Any]]:
    with sessions() as session:
        return handoffs.listed(session, cipher, everything=everything)


def _list(sessions: sessionmaker[Session], participant: str | None) -> list[dict[str, Any]]:
    with sessions() as session:
        return report.appointments(session, participant)


def _one(session: Session, appointment_id: int) -> dict[str, Any]:
    session.flush()
    (shown,) = report.appointments(session, appointment_id=appointment_id)
    return shown


def _add(
    sessions: sessionmaker[Session],
    address: str | None,
    trials: dict[str, Trial],
    values: dict[str, Any],
) -> dict[str, Any]:
    with sessions.begin() as session:
        try:
            appointment, reminders = appointments.add(session, values, trials)
        except appointments.InvalidAppointment as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        shown = _one(session, appointment.id)
        _record(
            session, address, "appointment.add", f"appointment:{appointment.id}",
            participant=shown["participant_code"], kind=shown["kind"], at=shown["local_time"],
        )  # fmt: skip
        return {**shown, "reminders": reminders}


def _move(
    sessions: sessionmaker[Session],
    address: str | None,
    trials: dict[str, Trial],
    appointment_id: int,
    starts_at: str,
) -> dict[str, Any]:
    with sessions.begin() as session:
        appointment = _open(session, appointment_id)
        try:
            moment = appointments.parse_moment(starts_at, appointment.timezone)
            reminders = appointments.move(session, appointment, moment, trials[appointment.trial])
        except (appointments.InvalidAppointment, KeyError) as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        shown = _one(session, appointment.id)
        _record(
            session, address, "appointment.move", f"appointment:{appointment.id}",
            at=shown["local_time"],
        )  # fmt: skip
        return {**shown, "reminders": len(reminders)}


def _cancel(
    sessions: sessionmaker[Session], address: str | None, appointment_id: int
) -> dict[str, Any]:
    with sessions.begin() as session:
        appointment = _open(session, appointment_id)
        cancelled = appointments.cancel(session, appointment)
        _record(
            session, address, "appointment.cancel", f"appointment:{appointment.id}",
            reminders_cancelled=cancelled,
        )  # fmt: skip
        return {**_one(session, appointment.id), "reminders_cancelled": cancelled}


def _open(session: Session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise HTTPException(status_code=404, detail=f"no appointment {appointment_id}")
    if appointment.status == AppointmentStatus.CANCELLED:
        raise HTTPException(status_code=400, detail=f"appointment {appointment_id} is cancelled")
    if dt.datetime.now(dt.UTC) >= as_utc(appointment.starts_at):
        raise HTTPException(status_code=400, detail=f"appointment {appointment_id} has begun")
    return appointment
