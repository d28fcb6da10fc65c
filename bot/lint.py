"""`trialbot kb lint`: everything wrong with the knowledge files, as `path:line: message`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.checkins.schedule import FILE as CHECKINS
from bot.checkins.schedule import load_schedule
from bot.consent.texts import load_consents
from bot.files import Problem
from bot.i18n.languages import LANGUAGES
from bot.knowledge.embeddings import Embedder
from bot.knowledge.entries import Entry, load_faq
from bot.knowledge.placeholders import find_placeholders
from bot.screening.criteria import load_criteria

EXPIRY_WARNING = dt.timedelta(days=30)
# Two example questions of different entries this close (cosine) will be confused by retrieval.
CONFUSABLE = 0.93


@dataclass
class Report:
    errors: list[Problem]
    warnings: list[Problem]
    entries: list[Entry]


def lint(
    root: Path,
    embedder: Embedder | None,
    today: dt.date | None = None,
    *,
    production: bool = False,
) -> Report:
    """Check every file; `embedder` None skips the check for confusable questions.

    In `production`, text left for the site to complete in what patients see is an error.
    """
    today = today or dt.date.today()
    loaded = load_faq(root)
    errors = list(loaded.problems)
    warnings: list[Problem] = []
    entries = loaded.entries
    trials = trial_ids(root, errors)
    errors += _missing_translations(entries)
    errors += _missing_topics(root, entries)
    errors += _unknown_references(entries, trials)
    for entry in entries:
        line = entry.lines.get("review_due", 1)
        if entry.review_due < today:
            message = f"expired on {entry.review_due}: not served until it is reviewed again"
            errors.append(Problem(entry.path, line, message))
        elif entry.review_due - today <= EXPIRY_WARNING:
            message = f"review due on {entry.review_due}, within {EXPIRY_WARNING.days} days"
            warnings.append(Problem(entry.path, line, message))
    for criteria_file in sorted((root / "trials").glob("*/eligibility.yml")):
        errors += load_criteria(criteria_file)[1]
    for checkins_file in sorted((root / "trials").glob(f"*/{CHECKINS}")):
        errors += load_schedule(checkins_file)[1]
    consents = load_consents(root)
    errors += consents.problems
    for text in consents.texts:
        if text.effective > today:
            message = f"version {text.version} takes effect on {text.effective}: not shown before"
            warnings.append(Problem(text.path or root, 1, message))
    gaps = [Problem(gap.path, gap.line, gap.message) for gap in find_placeholders(root)]
    # A patient must never see them in production; a demo may show them, marked as such.
    (errors if production else warnings).extend(gaps)
    if embedder is not None:
        errors += _confusable(entries, embedder)
    return Report(sorted(errors, key=_order), sorted(warnings, key=_order), entries)


def trial_ids(root: Path, problems: list[Problem] | None = None) -> set[str]:
    """The trials with a readable trial.yml whose id is its folder's name."""
    found: set[str] = set()
    folder = root / "trials"
    for path in sorted(folder.glob("*/*.yml")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            if problems is not None:
                problems.append(Problem(path, line, f"not valid YAML: {error}"))
            continue
        if path.name != "trial.yml":
            continue
        if isinstance(data, dict) and data.get("id") == path.parent.name:
            found.add(path.parent.name)
            if problems is not None:
                problems += _channel_options(path, text.splitlines(), data.get("channels"))
        elif problems is not None:
            problems.append(Problem(path, 1, f"id must be the folder's name, {path.parent.name!r}"))
    return found


def _channel_options(path: Path, lines: list[str], channels: Any) -> list[Problem]:
    """`channels:` of a trial.yml: each channel's options, words or a mapping of words
    (`whatsapp: {reminder_template: …, template_languages: {en: en_GB}}`)."""
    if channels is None:
        return []
    line = next((n for n, text in enumerate(lines, 1) if text.startswith("channels:")), 1)
    if not isinstance(channels, dict):
        return [Problem(path, line, "channels: must map each channel to its options")]
    problems = []
    for name, options in channels.items():
        where = next((n for n, text in enumerate(lines, 1) if text.strip() == f"{name}:"), line)
        if not isinstance(options, dict):
            message = f"channels: {name}: must map each option to its value"
            problems.append(Problem(path, where, message))
            continue
        for key, value in options.items():
            readable = isinstance(value, str) or (
                isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
            )
            if not readable:
                message = f"channels: {name}: {key}: must be a word, or a mapping of words"
                problems.append(Problem(path, where, message))
    return problems


def _missing_translations(entries: list[Entry]) -> list[Problem]:
    problems = []
    for entry in entries:
        for other in LANGUAGES:
            if (
                other != entry.lang
                and not (entry.path.parent.parent / other / entry.path.name).exists()
            ):
                message = f"no {other} version: add faq/{other}/{entry.id}.md"
                problems.append(Problem(entry.path, entry.lines.get("id", 1), message))
    return problems


def _missing_topics(root: Path, entries: list[Entry]) -> list[Problem]:
    """Every standard topic of topics.yml must have an entry in each language."""
    path = root / "topics.yml"
    if not path.exists():
        return []
    try:
        topics = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        return [Problem(path, 1, f"not valid YAML: {error}")]
    present = {(e.lang, e.id) for e in entries}
    lines = {line.split(":", 1)[0]: n for n, line in enumerate(path.read_text().splitlines(), 1)}
    return [
        Problem(path, lines.get(topic, 1), f"standard topic {topic!r} has no {lang} entry")
        for topic in topics
        for lang in LANGUAGES
        if (lang, topic) not in present and not (root / "faq" / lang / f"{topic}.md").exists()
    ]


def _unknown_references(entries: list[Entry], trials: set[str]) -> list[Problem]:
    general = {(e.lang, e.id) for e in entries if e.trials is None}
    problems = []
    for entry in entries:
        for trial in entry.trials or ():
            if trial not in trials:
                message = f"unknown trial {trial!r}: no trials/{trial}/trial.yml"
                problems.append(Problem(entry.path, entry.lines.get("trials", 1), message))
        if entry.topic and (entry.lang, entry.topic) not in general:
            message = f"topic {entry.topic!r} is not a general entry in {entry.lang}"
            problems.append(Problem(entry.path, entry.lines.get("topic", 1), message))
        if entry.topic and entry.trials is None:
            message = "topic is for trial-specific entries: add the trials they apply to"
            problems.append(Problem(entry.path, entry.lines.get("topic", 1), message))
        for topic in entry.also:
            if (entry.lang, topic) not in general:
                message = f"also: {topic!r} is not a general entry in {entry.lang}"
                problems.append(Problem(entry.path, entry.lines.get("also", 1), message))
        if entry.also and entry.trials is None:
            message = "also is for trial-specific entries: add the trials they apply to"
            problems.append(Problem(entry.path, entry.lines.get("also", 1), message))
    return problems


def _confusable(entries: list[Entry], embedder: Embedder) -> list[Problem]:
    problems = []
    for lang in LANGUAGES:
        pairs = [(e, q) for e in entries if e.lang == lang for q in e.questions]
        if len(pairs) < 2:
            continue
        vectors = embedder.encode([q for _, q in pairs])
        similar = np.triu(vectors @ vectors.T, k=1) >= CONFUSABLE
        for i, j in zip(*np.nonzero(similar), strict=True):
            (first, question), (second, other) = pairs[i], pairs[j]
            if first.key == second.key:
                continue  # a trial's version of a topic may share its general entry's questions
            message = (
                f"question {question!r} is too close to {other!r} of {second.id}: "
                "retrieval will confuse the two entries; reword or remove one"
            )
            problems.append(Problem(first.path, first.lines.get("questions", 1), message))
    return problems


def _order(problem: Problem) -> tuple[str, int]:
    return (str(problem.path), problem.line)
