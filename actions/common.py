"""What every action reads the same way: the language, the data cipher, the trial catalogue."""

from __future__ import annotations

import functools

from rasa_sdk import Tracker

from bot.crypto import Cipher
from bot.settings import get_settings
from bot.trials import Catalogue, named_in
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
    the conversation is about."""
    text = str(tracker.latest_message.get("text") or "")
    return named_in(trials().screenable(), text) or tracker.get_slot("trial")
