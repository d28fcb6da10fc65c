"""The trials a person can be pre-screened for: `trial.yml` and a valid `eligibility.yml`.

Read again whenever a file changes. A trial whose criteria do not load is left out (and logged;
`trialbot kb lint` says what is wrong, with the line).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.analysis import fold
from bot.reloading import Reloading
from bot.screening.criteria import Criteria, load_criteria

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trial:
    id: str
    short_title: dict[str, str]
    condition: dict[str, str]
    keywords: tuple[str, ...]  # folded words that name the trial in a message, any language
    criteria: Criteria
    phone: str | None = None  # the study team's (contact: phone:), else the first site's
    hours: dict[str, str] = field(default_factory=dict)  # when the team answers, per language
    # The title as it reads inside a sentence ("participer à l'étude DMX-101"): `in_sentence`.
    in_sentence: dict[str, str] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.short_title.get(lang) or self.short_title.get("en") or self.id

    def named(self, lang: str) -> str:
        """The trial inside a sentence: "the DMX-101 study (…)", "l'étude DMX-101 (…)"."""
        return self.in_sentence.get(lang) or self.title(lang)


class Trials:
    def __init__(self, knowledge_dir: Path) -> None:
        folder = knowledge_dir / "trials"
        self._trials = Reloading(lambda: folder.glob("*/*.yml"), lambda: load_trials(folder))

    def get(self) -> dict[str, Trial]:
        return self._trials.get()


def load_trials(folder: Path) -> dict[str, Trial]:
    trials: dict[str, Trial] = {}
    for path in sorted(folder.glob("*/eligibility.yml")):
        criteria, problems = load_criteria(path)
        for problem in problems:
            log.error("criteria problem: %s", problem)
        described = _read(path.parent / "trial.yml")
        if criteria is None:
            continue
        keywords = tuple(_words(word) for word in _list(described.get("keywords")) if word)
        contact = described.get("contact")
        trials[criteria.trial] = Trial(
            id=criteria.trial,
            short_title=_texts(described.get("short_title") or described.get("title")),
            condition=_texts(described.get("condition")),
            keywords=keywords,
            criteria=criteria,
            phone=_phone(contact) or _site_phone(path.parent / "sites.yml"),
            hours=_texts(contact.get("hours")) if isinstance(contact, dict) else {},
            in_sentence=_texts(described.get("in_sentence")),
        )
    return trials


def named_in(trials: dict[str, Trial], text: str) -> str | None:
    """The one trial a message names ("can I join the asthma study?"), if exactly one."""
    words = f" {_words(text)} "
    found = {
        trial.id
        for trial in trials.values()
        if trial.id in text or any(f" {keyword}" in words for keyword in trial.keywords)
    }
    return found.pop() if len(found) == 1 else None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        log.error("%s: %s", path, error)
        return {}
    return data if isinstance(data, dict) else {}


def _texts(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _list(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(word) for words in value.values() for word in _list(words)]
    return [str(word) for word in value] if isinstance(value, list) else []


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _phone(contact: Any) -> str | None:
    phone = contact.get("phone") if isinstance(contact, dict) else None
    return str(phone) if phone else None


def _site_phone(path: Path) -> str | None:
    sites = _read(path).get("sites") if path.exists() else None
    phones = (
        [_phone(site) for site in sites if isinstance(site, dict)]
        if isinstance(sites, list)
        else []
    )
    return next((phone for phone in phones if phone), None)
