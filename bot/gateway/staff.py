"""The staff API: add, move and cancel appointments (their reminders follow), and answer the
people who asked for the study team (handoffs), with a token.

`Authorization: Bearer <STAFF_API_TOKEN>` (generated under var/secrets/ when unset). Errors are
400 with the reason, in words for staff, as the CSV import gives them.
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
    trials = appointments.Trials(settings.knowledge_dir)
    cipher = Cipher.from_settings(settings)

    def allowed(authorization: str | None) -> None:
        given = (authorization or "").removeprefix("Bearer ").encode()
        if not authorization or not hmac.compare_digest(given, token):
            raise HTTPException(status_code=401, detail="a valid staff token is required")

    def sessions(request: Request) -> sessionmaker[Session]:
        factory: sessionmaker[Session] = request.app.state.sessions
        return factory

    @api.get("/appointments")
    async def listed(
        request: Request, participant: str | None = None, authorization: str | None = Header(None)
    ) -> list[dict[str, Any]]:
        allowed(authorization)
        return await asyncio.to_thread(_list, sessions(request), participant)

    @api.post("/appointments", status_code=201)
    async def added(
        body: NewAppointment, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        allowed(authorization)
        return await asyncio.to_thread(_add, sessions(request), trials.get(), body.model_dump())

    @api.post("/appointments/{appointment_id}/move")
    async def moved(
        appointment_id: int, body: Move, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        allowed(authorization)
        return await asyncio.to_thread(
            _move, sessions(request), trials.get(), appointment_id, body.starts_at
        )

    @api.post("/appointments/{appointment_id}/cancel")
    async def cancelled(
        appointment_id: int, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        allowed(authorization)
        return await asyncio.to_thread(_cancel, sessions(request), appointment_id)

    @api.get("/handoffs")
    async def handoffs_listed(
        request: Request,
        everything: bool = Query(False, alias="all"),
        authorization: str | None = Header(None),
    ) -> list[dict[str, Any]]:
        """The open requests for the study team (or all), newest first, with their messages."""
        allowed(authorization)
        return await asyncio.to_thread(_handoffs, sessions(request), cipher, everything)

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
        return await _handoff_call(delivery.answer(handoff_id, body.text, close=body.close))

    @api.post("/handoffs/{handoff_id}/close")
    async def handoff_closed(
        handoff_id: int, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        """Close the request; the person is told they are back with the assistant."""
        allowed(authorization)
        delivery: HandoffDelivery = request.app.state.handoffs
        return await _handoff_call(delivery.close(handoff_id))

    return api


async def _handoff_call(call: Awaitable[Outcome]) -> dict[str, Any]:
    try:
        outcome = await call
    except NoSuchHandoff as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    except HandoffError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
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
    trials: dict[str, appointments.TrialSites],
    values: dict[str, Any],
) -> dict[str, Any]:
    with sessions.begin() as session:
        try:
            appointment, reminders = appointments.add(session, values, trials)
        except appointments.InvalidAppointment as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        return {**_one(session, appointment.id), "reminders": reminders}


def _move(
    sessions: sessionmaker[Session],
    trials: dict[str, appointments.TrialSites],
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
        return {**_one(session, appointment.id), "reminders": len(reminders)}


def _cancel(sessions: sessionmaker[Session], appointment_id: int) -> dict[str, Any]:
    with sessions.begin() as session:
        appointment = _open(session, appointment_id)
        cancelled = appointments.cancel(session, appointment)
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
