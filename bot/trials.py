"""The trial catalogue: what staff wrote about each trial, read by one reader.

Each trial is a folder of `knowledge/trials/`: `trial.yml` (titles, keywords, contact, reminder
times, what to bring), `sites.yml` (where the visits happen) and `eligibility.yml` (the
pre-screening's criteria). Pre-screening, reminders, appointments, the gateway's reading of a
message and the staff pages all read them here; `Catalogue` reads them again whenever a file
changes. A trial whose criteria do not load is not offered for pre-screening (the problem is
logged; `trialbot kb lint` says what is wrong, with the line) but keeps its sites and texts.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.checkins.schedule import FILE, Schedule, load_schedule
from bot.reloading import Reloading
from bot.screening.criteria import Criteria, load_criteria
from bot.wording import fold

log = logging.getLogger(__name__)

# Reminders before a visit, unless the trial's `reminder_hours` says otherwise.
DEFAULT_OFFSETS = (dt.timedelta(hours=72), dt.timedelta(hours=24), dt.timedelta(hours=2))


# A study treatment's code in a title: letters, a dash or not, digits ("DMX-101").
_CODE = re.compile(r"\b[A-Za-z]{2,4}-?\d{2,4}\b")


@dataclass(frozen=True)
class Trial:
    id: str
    criteria: Criteria | None  # None when eligibility.yml is missing or does not load
    short_title: dict[str, str] = field(default_factory=dict)  # per language
    condition: dict[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()  # folded words that name the trial in a message, any language
    phone: str | None = None  # the study team's (contact: phone:), else the first site's
    hours: dict[str, str] = field(default_factory=dict)  # when the team answers, per language
    # The title as it reads inside a sentence ("participer à l'étude DMX-101"): `in_sentence`.
    in_sentence: dict[str, str] = field(default_factory=dict)
    bring: dict[str, str] = field(default_factory=dict)  # what to bring to a visit
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → sites.yml entry
    offsets: tuple[dt.timedelta, ...] = DEFAULT_OFFSETS  # reminders before a visit
    # Each channel's own options for this trial (`channels: whatsapp: reminder_template: …`).
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkins: Schedule | None = None  # checkins.yml, when there is one and it loads

    def title(self, lang: str) -> str:
        return self.short_title.get(lang) or self.short_title.get("en") or self.id

    @property
    def products(self) -> tuple[str, ...]:
        """The study treatments' codes its titles name ("DMX-101", "AZ-202"): how participants
        call what they take ("since I started the dmx")."""
        found = (m.upper() for t in self.short_title.values() for m in _CODE.findall(t))
        return tuple(dict.fromkeys(found))

    def named(self, lang: str) -> str:
        """The trial inside a sentence: "the DMX-101 study (…)", "l'étude DMX-101 (…)"."""
        return self.in_sentence.get(lang) or self.title(lang)

    def team_phone(self, lang: str) -> str | None:
        """The number the study team answers, with its hours: "+33 1 99 00 12 34 (Monday…)"."""
        if not self.phone:
            return None
        hours = self.hours.get(lang)
        if hours and lang == "fr":
            hours = hours[:1].lower() + hours[1:]  # mid-sentence: "(du lundi…)"; English keeps its
        return f"{self.phone} ({hours})" if hours else self.phone


@dataclass(frozen=True)
class Screenable(Trial):
    """A trial a person can be pre-screened for: its criteria loaded."""

    criteria: Criteria


class Catalogue:
    """Every trial of `knowledge_dir`, read again whenever one of its files changes."""

    def __init__(self, knowledge_dir: Path) -> None:
        self._trials = Reloading(
            lambda: (knowledge_dir / "trials").glob("*/*.yml"),
            lambda: read_catalogue(knowledge_dir),
        )

    def get(self) -> dict[str, Trial]:
        return self._trials.get()

    def screenable(self) -> dict[str, Screenable]:
        return screenable(self.get())


@functools.lru_cache(maxsize=4)
def shared(knowledge_dir: Path) -> Catalogue:
    """The catalogue of `knowledge_dir` that every part of this process reads: parsed once, and
    again only when a file changes."""
    return Catalogue(knowledge_dir)


def screenable(trials: dict[str, Trial]) -> dict[str, Screenable]:
    """The trials whose criteria loaded, by id."""
    return {tid: trial for tid, trial in trials.items() if isinstance(trial, Screenable)}


def read_catalogue(knowledge_dir: Path) -> dict[str, Trial]:
    """Each trial folder's files, by trial id (the folder's name, or the criteria's `trial`)."""
    found: dict[str, Trial] = {}
    for folder in sorted((knowledge_dir / "trials").glob("*/")):
        trial = _read_trial(folder)
        found[trial.id] = trial
    return found


def _read_trial(folder: Path) -> Trial:
    criteria = None
    if (folder / "eligibility.yml").exists():
        criteria, problems = load_criteria(folder / "eligibility.yml")
        for problem in problems:
            log.error("criteria problem: %s", problem)
    checkins = None
    if (folder / FILE).exists():
        checkins, problems = load_schedule(folder / FILE)
        for problem in problems:
            log.error("check-ins problem: %s", problem)
    described = _read(folder / "trial.yml")
    sites = _read(folder / "sites.yml").get("sites")
    sites = sites if isinstance(sites, list) else []
    contact = described.get("contact")
    hours = described.get("reminder_hours")
    values: dict[str, Any] = {
        "short_title": _texts(described.get("short_title") or described.get("title")),
        "condition": _texts(described.get("condition")),
        "keywords": tuple(_words(word) for word in _list(described.get("keywords")) if word),
        "phone": _phone(contact) or next(filter(None, map(_phone, sites)), None),
        "hours": _texts(contact.get("hours")) if isinstance(contact, dict) else {},
        "in_sentence": _texts(described.get("in_sentence")),
        "bring": _texts(described.get("bring")),
        "sites": {str(s["id"]): s for s in sites if isinstance(s, dict) and s.get("id")},
        "channels": {
            str(name): options
            for name, options in (_mapping(described.get("channels"))).items()
            if isinstance(options, dict)
        },
        "offsets": (
            tuple(dt.timedelta(hours=float(h)) for h in hours)
            if isinstance(hours, list) and hours and all(isinstance(h, int | float) for h in hours)
            else DEFAULT_OFFSETS
        ),
        "checkins": checkins,
    }
    if criteria is None:
        return Trial(id=folder.name, criteria=None, **values)
    return Screenable(id=criteria.trial, criteria=criteria, **values)


def named_in(trials: dict[str, Screenable], text: str) -> str | None:
    """The one trial a message names ("can I join the asthma study?"), if exactly one."""
    words = f" {_words(text)} "
    found = {
        trial.id
        for trial in trials.values()
        if trial.id in text or any(f" {keyword}" in words for keyword in trial.keywords)
    }
    return found.pop() if len(found) == 1 else None


def without_name(trial: Screenable, text: str) -> str:
    """The message without the words that name `trial`: "start to finish how many months does
    the diabetes one run" → "start to finish how many months does run". A trial's own entries
    all share its name's words, which can outweigh those of the question itself."""
    names = [_spelt_any_way(keyword) for keyword in trial.keywords] + [re.escape(trial.id)]
    pattern = re.compile(
        r"(?:\b(?:pour|dans|de|du|sur|in|for|on|of|about|with|to) )?"
        r"(?P<the>\b(?:the|this|that|le|la|ce|cet|cette) |\bl['’] ?)?"
        r"(?P<study>\b(?:study|trial|etude|étude|essai) )?"
        rf"\b(?:{'|'.join(names)})(?:[- ]?\d+)?\b"
        r"(?P<after> (?:study|trial|one|etude|étude|essai|thing|studies))?",
        re.IGNORECASE,
    )

    def named(match: re.Match[str]) -> str:
        # "the diabetes study", "l'essai asthme" name it; "je suis diabétique" tells a condition.
        return " " if match.group("the", "study", "after") != (None, None, None) else match[0]

    return re.sub(r"\s{2,}", " ", pattern.sub(named, text)).strip(" ,")


_ACCENTED = {"a": "[aàâä]", "e": "[eéèêë]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]"}


def _spelt_any_way(keyword: str) -> str:
    """A folded keyword ("diabete", "az 202") as a pattern for it as typed ("diabète", "AZ-202")."""
    return "".join(
        _ACCENTED.get(char, r"[- ]?" if char == " " else re.escape(char)) for char in keyword
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        log.error("%s: %s", path, error)
        return {}
    return data if isinstance(data, dict) else {}


def _texts(value: Any) -> dict[str, str]:
    return {str(k): str(v).strip() for k, v in value.items()} if isinstance(value, dict) else {}


def _list(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(word) for words in value.values() for word in _list(words)]
    return [str(word) for word in value] if isinstance(value, list) else []


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _phone(contact: Any) -> str | None:
    phone = contact.get("phone") if isinstance(contact, dict) else None
    return str(phone) if phone else None
