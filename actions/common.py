"""What every action reads the same way: the language, the data cipher, the trial catalogue."""

from __future__ import annotations

import functools
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.crypto import Cipher
from bot.settings import get_settings
from bot.trials import Catalogue, Screenable, named_in
from bot.trials import shared as shared_catalogue


def language(tracker: Tracker) -> str:
    """The conversation's language: French when the slot says so, else English."""
    return "fr" if tracker.get_slot("language") == "fr" else "en"


@functools.cache
def cipher() -> Cipher:
    """The data cipher, its keys read once per process (restart after `trialbot keys rotate`)."""
    return Cipher.from_settings(get_settings())


@functools.cache
def trials() -> Catalogue:
    """The trial catalogue, read again whenever its files change."""
    return shared_catalogue(get_settings().knowledge_dir)


def trial_spoken_of(tracker: Tracker) -> str | None:
    """The trial the latest message names ("how many visits in the asthma study?"), else the one
    one of the person's messages just before it named ("what's the asthma one about", then "is
    it paid?"), else the one the conversation is about."""
    screenable = trials().screenable()
    text = str(tracker.latest_message.get("text") or "")
    found = named_in(screenable, text) or named_lately(tracker, screenable)
    slot = tracker.get_slot("trial")
    return found or (str(slot) if slot else None)


def named_lately(tracker: Tracker, named: dict[str, Screenable], within: int = 3) -> str | None:
    """The trial of `named` the person's last few messages named, the latest first."""
    said = [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]
    for text in reversed(said[-within:]):
        if found := named_in(named, text):
            return found
    return None


def with_phone(
    dispatcher: CollectingDispatcher, response: str, phone: str | None, **values: Any
) -> None:
    """A response that gives the team's number, or its `_no_phone` twin when none is known."""
    if phone:
        dispatcher.utter_message(response=response, team_phone=phone, **values)
    else:
        dispatcher.utter_message(response=f"{response}_no_phone", **values)


def team_phone(tracker: Tracker, trial_id: str | None = None) -> str | None:
    """The number of the team of `trial_id` (by default the conversation's trial), with its
    hours, when it gives one."""
    trial = trials().screenable().get(str(trial_id or tracker.get_slot("trial") or ""))
    return trial.team_phone(language(tracker)) if trial else None
