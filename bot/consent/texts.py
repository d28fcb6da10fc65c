"""Consent texts: `knowledge/consent/<consent_id>.<lang>.md`, shown word for word.

Front matter `id`, `version`, `lang`, `title`, `effective`; the body is the exact text shown to
the person. What the ledger proves is the SHA-256 of that body (UTF-8, without the blank lines
around it), so a record can always be matched to the words the person saw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.files import Problem, as_date, read_front_matter
from bot.i18n.languages import LANGUAGES

# What each consent allows, as the assistant names it to the person; it asks for one before the
# first use that needs it.
# What each consent is for, as it follows "agreed to", "refused" or "votre accord pour" (French
# takes a noun phrase: "vous avez refusé la réception de rappels", never "refusé recevoir").
PURPOSES: dict[str, dict[str, str]] = {
    "prescreening": {
        "en": "processing your pre-screening answers",
        "fr": "le traitement de vos réponses de pré-sélection",
    },
    "contact": {
        "en": "being contacted by the study team",
        "fr": "la prise de contact par l'équipe de l'étude",
    },
    "reminders": {
        "en": "receiving appointment reminders",
        "fr": "la réception de rappels de rendez-vous",
    },
}
FIELDS = ("id", "version", "lang", "title", "effective")
_NAME = re.compile(r"(?P<id>[a-z0-9_-]+)\.(?P<lang>[a-z]{2})\.md")
# Split long texts at paragraphs into messages of about this many characters.
MESSAGE_CHARACTERS = 900


@dataclass(frozen=True)
class ConsentText:
    id: str
    version: int
    lang: str
    title: str
    effective: dt.date
    body: str
    path: Path | None = None

    @property
    def sha256(self) -> str:
        return body_hash(self.body)

    @property
    def reference(self) -> str:
        """What a Yes / No button carries: these words, at this version."""
        return f"{self.sha256}:{self.version}"

    def messages(self, limit: int = MESSAGE_CHARACTERS) -> list[str]:
        """The body in readable pieces: whole paragraphs, as few messages as fit `limit`."""
        pieces: list[str] = []
        for paragraph in re.split(r"\n\s*\n", self.body):
            paragraph = paragraph.strip()
            if not paragraph:
                continue
            if pieces and len(pieces[-1]) + 2 + len(paragraph) <= limit:
                pieces[-1] += "\n\n" + paragraph
            else:
                pieces.append(paragraph)
        return pieces


@dataclass
class LoadedConsents:
    texts: list[ConsentText] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def current(self, consent_id: str, lang: str, today: dt.date) -> ConsentText | None:
        """The newest version in effect today, in `lang`."""
        versions = [
            t for t in self.texts if t.id == consent_id and t.lang == lang and t.effective <= today
        ]
        return max(versions, key=lambda t: t.version, default=None)


def body_hash(body: str) -> str:
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()


def load_consents(root: Path) -> LoadedConsents:
    """Every consent text under `root/consent/`, and each problem as `path:line: message`."""
    result = LoadedConsents()
    folder = root / "consent"
    if not folder.is_dir():
        result.problems.append(Problem(folder, 0, "no consent/ folder: consent cannot be asked"))
        return result
    for path in sorted(folder.glob("*.md")):
        text, problems = parse_consent(path)
        result.problems.extend(problems)
        if text is not None:
            result.texts.append(text)
    result.problems.extend(_cross_checks(result.texts, folder))
    return result


def parse_consent(path: Path) -> tuple[ConsentText | None, list[Problem]]:
    name = _NAME.fullmatch(path.name)
    if name is None:
        return None, [Problem(path, 1, "a consent file is named <consent_id>.<lang>.md")]
    front, problems = read_front_matter(path)
    if front is None:
        return None, problems
    data, lines = front.data, front.lines

    def fail(key: str | None, message: str) -> None:
        problems.append(Problem(path, lines.get(key or "", 1), message))

    for key in FIELDS:
        if key not in data:
            fail(None, f"missing field {key!r}")
    for key in data:
        if key not in FIELDS:
            fail(key, f"unknown field {key!r}")
    consent_id, lang, title = data.get("id"), data.get("lang"), data.get("title")
    if "id" in data and consent_id != name["id"]:
        fail("id", f"id {consent_id!r} does not match the file name {path.name!r}")
    if "id" in data and consent_id not in PURPOSES:
        fail("id", f"unknown consent id {consent_id!r}: one of {', '.join(PURPOSES)}")
    if "lang" in data and lang != name["lang"]:
        fail("lang", f"lang {lang!r} does not match the file name {path.name!r}")
    if "lang" in data and lang not in LANGUAGES:
        fail("lang", f"lang must be one of {', '.join(LANGUAGES)}")
    if "title" in data and (not isinstance(title, str) or not title.strip()):
        fail("title", "title must be a non-empty text")
    version = data.get("version")
    if "version" in data and (not isinstance(version, int) or isinstance(version, bool)):
        fail("version", f"version must be a whole number, not {version!r}")
    elif isinstance(version, int) and version < 1:
        fail("version", "version starts at 1 and goes up with every change of the text")
    effective = as_date(data.get("effective"))
    if "effective" in data and effective is None:
        fail("effective", f"effective must be a date written YYYY-MM-DD, not {data['effective']!r}")
    body = front.body.strip()
    if not body:
        problems.append(Problem(path, front.body_line, "the consent text is empty"))
    if problems:
        return None, problems
    assert isinstance(version, int) and effective is not None
    return ConsentText(
        str(consent_id), version, str(lang), str(title).strip(), effective, body, path
    ), []


def _cross_checks(texts: list[ConsentText], folder: Path) -> list[Problem]:
    """Every consent in every language, at the same version."""
    problems = []
    for consent_id in sorted({t.id for t in texts} | set(PURPOSES)):
        found = {t.lang: t for t in texts if t.id == consent_id}
        for lang in LANGUAGES:
            if lang not in found:
                path = folder / f"{consent_id}.{lang}.md"
                problems.append(Problem(path, 0, f"the {consent_id!r} consent has no {lang} text"))
        if len({t.version for t in found.values()}) > 1:
            versions = ", ".join(f"{lang} v{t.version}" for lang, t in sorted(found.items()))
            for text in found.values():
                message = f"the languages of {consent_id!r} are at different versions ({versions})"
                problems.append(Problem(text.path or folder, 2, message))
    return problems
