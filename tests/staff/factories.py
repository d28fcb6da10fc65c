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
from bot.db.models import Appointment, Conversation
from bot.reminders import participants, requests
from bot.screening import store
from bot.screening.criteria import Answer
from bot.trials import Screenable as Trial
from tests.reminders.linking import TRIALS, schedule_visit

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
