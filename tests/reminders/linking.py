"""What reminder tests start from: a participant linked to a chat, reminders agreed, a visit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.consent import service
from bot.consent.texts import load_consents
from bot.db.models import Conversation, LanguageSource, utcnow
from bot.reminders import appointments, participants
from bot.settings import PROJECT_ROOT
from bot.trials import read_catalogue

KNOWLEDGE = PROJECT_ROOT / "knowledge"
TRIALS = read_catalogue(KNOWLEDGE)


def linked_participant(
    session: Session,
    code: str,
    trial: str,
    sender_key: str,
    *,
    language: str = "en",
    address: str | None = None,
    last_seen: dt.datetime | None = None,
) -> None:
    """The chat (address already encrypted), the participant bound to it, reminders agreed to."""
    session.add(
        Conversation(
            channel=service.channel_of(sender_key), sender_key=sender_key, language=language,
            language_source=LanguageSource.CHOSEN, address=address,
            last_seen_at=last_seen or utcnow(),
        )
    )  # fmt: skip
    added = participants.add(session, code, trial, set(TRIALS), language=language)
    assert participants.bind(session, sender_key, added.link_code) is not None
    shown = service.to_ask(session, load_consents(KNOWLEDGE), sender_key, "reminders", language)
    assert shown is not None
    service.decide(session, sender_key, shown.reference, agreed=True)


def schedule_visit(
    session: Session,
    code: str,
    trial: str,
    starts_at: str,
    *,
    kind: str = "week 4",
    site: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """One appointment imported as staff would (Europe/Paris), with its reminders planned."""
    site = site or sorted(TRIALS[trial].sites)[0]
    csv = "participant_code,trial,site,starts_at,timezone,kind\n"
    csv += f"{code},{trial},{site},{starts_at},Europe/Paris,{kind}\n"
    assert appointments.import_csv(session, csv, TRIALS, now).rejected == []
