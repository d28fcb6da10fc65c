"""People who arrive, pre-screen, ask to be contacted and are enrolled, as the chat records them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import conversations
from bot.campaigns import parse_referral
from bot.consent import service
from bot.consent.texts import LoadedConsents
from bot.crypto import Cipher
from bot.db.models import (
    Appointment,
    Conversation,
    FollowUp,
    HandoffMessage,
    Reminder,
    ReminderStatus,
    Screening,
)
from bot.handoff import service as handoffs
from bot.reminders import participants, requests
from bot.safety import events
from bot.safety.detect import Finding, Kind
from bot.screening import store
from bot.screening.criteria import Answer
from bot.settings import Settings
from bot.trials import Screenable as Trial
from tests.handoff.factories import conversation
from tests.reminders.linking import TRIALS, linked_participant, schedule_visit

T2D = "demo-t2d-001"
ASTHMA = "demo-asthma-002"
ELIGIBLE: dict[str, Answer] = {
    "age": 52,
    "diabetes_type": "type_2",
    "diagnosed_6_months": True,
    "metformin": True,
    "insulin": False,
    "hba1c": 8.1,
    "dialysis": False,
    "sex": "male",
}
UP_TO_HBA1C = {k: v for k, v in ELIGIBLE.items() if k in ("age", "diabetes_type")} | {
    "diagnosed_6_months": True,
    "metformin": True,
    "insulin": False,
}
SPRING = f"camp_fb-spring__{T2D}"  # the campaign's links name the trial they advertise
IN_TEN_DAYS = (dt.date.today() + dt.timedelta(days=10)).isoformat() + "T09:00:00"


class People:
    """Conversations as the relay opens them, and what each person then does in the chat."""

    def __init__(
        self,
        session: Session,
        texts: LoadedConsents,
        trials: dict[str, Trial],
        cipher: Cipher,
    ) -> None:
        self.session, self.texts, self.trials, self.cipher = session, texts, trials, cipher

    def arrive(self, key: str, ref: str | None = None, *, days_ago: int = 0) -> Conversation:
        row = conversations.get_or_create(
            self.session, channel="web", sender_key=key, default_language="en"
        )
        referral = parse_referral(ref)
        row.campaign, row.trial = referral.campaign, referral.trial
        row.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        return row

    def agree(self, key: str, consent: str) -> None:
        shown = service.to_ask(self.session, self.texts, key, consent, "en")
        if shown is not None:  # None: agreed already
            service.decide(self.session, key, shown.reference, agreed=True)

    def screen(self, key: str, answers: dict[str, Answer], trial: str = T2D) -> str:
        """Agree to pre-screening and answer; the outcome."""
        self.agree(key, store.CONSENT)
        criteria = self.trials[trial].criteria
        started = store.start(self.session, self.cipher, self.texts, key, criteria)
        progress = store.answer(
            self.session, self.cipher, self.texts, started.screening_id, criteria, answers
        )
        return progress.result.outcome

    def ask_contact(self, key: str) -> None:
        """What `action_record_contact` records once the contact consent is given."""
        self.agree(key, "contact")
        screening = store.latest(self.session, key, T2D)
        assert screening is not None
        store.follow_up(
            self.session,
            self.cipher,
            screening,
            "contact",
            "en",
            preferred_time="morning",
            channel="chat",
        )

    def enrol(self, key: str, code: str, *, confirm: bool = False) -> None:
        """Staff enrol the person and book a visit; the person binds the chat and confirms."""
        added = participants.add(self.session, code, T2D, set(TRIALS))
        assert participants.bind(self.session, key, added.link_code) is not None
        schedule_visit(self.session, code, T2D, IN_TEN_DAYS)
        if confirm:
            appointment = self.session.scalars(
                select(Appointment).where(Appointment.participant_id == added.participant.id)
            ).one()
            assert requests.answer(self.session, key, appointment.id, "confirm", "en")


class Desk:
    """What lands in the staff inbox, each at a chosen moment (stored in UTC, as the chat does):
    safety events, requests for the team, follow-ups, undelivered reminders."""

    def __init__(self, session: Session, settings: Settings, cipher: Cipher) -> None:
        self.session, self.settings, self.cipher = session, settings, cipher

    def chat(self, key: str, language: str = "en") -> None:
        conversation(self.session, key, channel=service.channel_of(key), language=language)

    def participant(self, code: str, key: str, starts_at: str, trial: str = T2D) -> int:
        """A participant bound to the chat `key` with one visit (site time); the visit's id."""
        linked_participant(self.session, code, trial, key)
        schedule_visit(self.session, code, trial, starts_at)
        return self.session.scalars(
            select(Appointment.id).order_by(Appointment.id.desc()).limit(1)
        ).one()

    def safety(
        self,
        key: str,
        text: str,
        at: dt.datetime,
        *,
        trial: str | None = T2D,
        kind: Kind = "emergency",
        category: str = "chest_pain",
    ) -> int:
        event = events.record(
            self.session, self.settings, self.cipher, Finding(kind, category, text),
            sender_key=key, channel=service.channel_of(key), language="en", text=text,
            trial=trial,
        )  # fmt: skip
        event.created_at = at
        return event.id

    def handoff(
        self,
        key: str,
        text: str,
        at: dt.datetime,
        *,
        trial: str | None = T2D,
        then: str | None = None,
    ) -> int:
        """A request for the team (the chat must exist), opened at `at`; `then`: a message the
        person sent into it (at `at` too)."""
        opened = handoffs.open_for(
            self.session, self.cipher, self.settings, sender_key=key, reason="asked",
            summary=f"The person asked to talk to the study team.\nLast messages:\n- {text}",
            text=text, trial=trial,
        )  # fmt: skip
        assert opened is not None
        if then is not None:
            handoffs.note(self.session, self.cipher, key, then)
        opened.handoff.created_at = at
        for message in self.session.scalars(
            select(HandoffMessage).where(HandoffMessage.handoff_id == opened.handoff.id)
        ):
            message.created_at = at
        return opened.handoff.id

    def contact(self, key: str, at: dt.datetime, *, trial: str = T2D) -> int:
        """A request to be called back after a pre-screening for `trial`."""
        screening = Screening(sender_key=key, trial=trial, criteria_version=1, answers="")
        self.session.add(screening)
        self.session.flush()
        request = store.follow_up(
            self.session, self.cipher, screening, "contact", "en", preferred_time="morning",
            channel="phone", phone="+33 6 12 34 56 78",
        )  # fmt: skip
        request.created_at = at
        return request.id

    def reschedule(self, key: str, appointment_id: int, at: dt.datetime) -> int:
        assert requests.answer(self.session, key, appointment_id, "reschedule", "en")
        request = self.session.scalars(select(FollowUp).order_by(FollowUp.id.desc())).first()
        assert request is not None
        request.created_at = at
        return request.id

    def failed_reminder(self, appointment_id: int, at: dt.datetime) -> int:
        """The visit's first reminder, given up on at `at` (as the dispatcher leaves it)."""
        reminder = self.session.scalars(
            select(Reminder)
            .where(Reminder.appointment_id == appointment_id)
            .order_by(Reminder.due_at)
        ).first()
        assert reminder is not None
        reminder.status, reminder.due_at = ReminderStatus.FAILED, at
        reminder.attempts, reminder.last_error = 3, "no telegram channel is configured"
        self.session.flush()
        return reminder.id
