"""Where conversations come from: the payload of a link (Telegram's /start, m.me's and the web
chat's ?ref=, wa.me's START), and the payloads of the links staff post."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import Conversation

# Telegram allows A-Z, a-z, 0-9, _ and - in a deep-link payload, up to 64 characters.
# camp_<campaign>, trial_<trial>, or both: camp_<campaign>__<trial>.
_CAMPAIGN = re.compile(r"camp_([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*?)(?:__([a-z0-9-]+))?")
_TRIAL = re.compile(r"trial_([a-z0-9-]{1,58})")
_LINK_CODE = re.compile(r"[A-Za-z0-9_-]{4,64}")


@dataclass(frozen=True)
class Referral:
    campaign: str | None = None  # e.g. "spring-fb" from camp_spring-fb
    link_code: str | None = None  # a participant's one-time code, bound by the participant registry
    trial: str | None = None  # the trial the link is about, e.g. demo-t2d-001


def parse_referral(payload: str | None) -> Referral:
    """What a /start or ?ref= payload says; anything unrecognised says nothing."""
    value = (payload or "").strip()
    if len(value) > 64:  # Telegram's limit for a deep-link payload: not one of ours
        return Referral()
    if match := _CAMPAIGN.fullmatch(value):
        return Referral(campaign=match.group(1), trial=match.group(2))
    if match := _TRIAL.fullmatch(value):
        return Referral(trial=match.group(1))
    if _LINK_CODE.fullmatch(value):
        return Referral(link_code=value)
    return Referral()


_NAME = re.compile(r"[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*")


def link_payload(campaign: str | None, trial: str | None) -> str:
    """The payload of a recruitment post's links: camp_<campaign>, trial_<trial>, or both.

    ValueError, saying what to change, when the links could not carry it.
    """
    if not campaign and not trial:
        raise ValueError("name a campaign, a trial (--trial), or both")
    if campaign and not _NAME.fullmatch(campaign):
        raise ValueError(
            f"campaign {campaign!r}: use letters, digits and '-' (a single '_' between words)"
        )
    if campaign and "__" in campaign:
        raise ValueError(f"campaign {campaign!r}: '__' separates the campaign from the trial")
    payload = f"camp_{campaign}" if campaign else f"trial_{trial}"
    if campaign and trial:
        payload += f"__{trial}"
    said = parse_referral(payload)
    if len(payload) > 64 or (said.campaign, said.trial) != (campaign or None, trial or None):
        raise ValueError(
            f"{payload!r} is too long or not readable back: links carry 64 characters at most "
            "(letters, digits, '_' and '-'); shorten the campaign's name"
        )
    return payload


@dataclass(frozen=True)
class CampaignCount:
    campaign: str
    conversations: int


def campaign_counts(session: Session) -> list[CampaignCount]:
    """How many conversations each campaign brought, most first."""
    rows = session.execute(
        select(Conversation.campaign, func.count())
        .where(Conversation.campaign.is_not(None))
        .group_by(Conversation.campaign)
        .order_by(func.count().desc(), Conversation.campaign)
    )
    return [CampaignCount(campaign=str(name), conversations=int(count)) for name, count in rows]
