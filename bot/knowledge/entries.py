"""Knowledge files as typed entries, and every problem in them as `path:line: message`.

An FAQ entry is `faq/<lang>/<id>.md`: YAML front matter between `---` lines, then the answer in
Markdown. Beside the entries, `faq/<lang>/out_of_scope.yml` lists questions the knowledge base
must not answer (a dose, a diagnosis, small talk): a question closer to them than to any entry is
declined. Problems are collected, never raised, so that one bad file never hides the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.files import Problem, as_date, read_front_matter, read_yaml_mapping
from bot.i18n.languages import LANGUAGES
from bot.knowledge.placeholders import mark_for_patients
from bot.wording import words

REQUIRED = (
    "id",
    "lang",
    "title",
    "questions",
    "source",
    "reviewed_by",
    "reviewed_on",
    "review_due",
)
OPTIONAL = ("trials", "topic", "also")
PLACEHOLDERS = frozenset({"emergency_number"})
OUT_OF_SCOPE = "out_of_scope.yml"
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Source:
    name: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One vetted answer in one language."""

    id: str
    lang: str
    title: str
    questions: tuple[str, ...]
    source: Source
    reviewed_by: str
    reviewed_on: dt.date
    review_due: dt.date
    body: str
    path: Path
    trials: tuple[str, ...] | None = None  # None: every trial
    topic: str | None = None  # the standard topic a trial-specific entry stands in for
    # Other standard topics a trial-specific entry's text answers too: the study's visits page
    # gives its length, and stands in for the general page on durations (`also: [duration]`).
    also: tuple[str, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        """The topic this entry answers: its own id, or the standard topic it specialises."""
        return self.topic or self.id

    @property
    def topics(self) -> tuple[str, ...]:
        """Every topic this entry answers: its own, then those it `also` answers."""
        return (self.key, *self.also)

    @property
    def content_hash(self) -> str:
        text = "\x1f".join([self.title, *self.questions, self.body])
        return hashlib.sha256(text.encode()).hexdigest()

    def servable(self, today: dt.date) -> bool:
        return today <= self.review_due

    def applies_to(self, trial: str | None) -> bool:
        return self.trials is None or (trial is not None and trial in self.trials)

    def render_body(self, emergency_number: str) -> str:
        """The answer as sent: lines unwrapped, gaps left for the site marked, numbers filled in."""
        shown = mark_for_patients(unwrap(self.body), self.lang)
        return shown.replace("{emergency_number}", emergency_number)


# A line that starts a block of its own in Markdown: a list item, a heading, a quote, a table row.
_BLOCK_START = re.compile(r"\s*(?:[-*+]\s|\d{1,3}[.)]\s|#{1,6}\s|>|\|)")


def unwrap(markdown: str) -> str:
    """Markdown as a chat shows it: each paragraph and list item one line.

    Staff wrap the answers' lines in their editor, and Markdown joins such lines; a chat does
    not, so the source's line breaks would show mid-sentence. Blank lines (paragraphs), list
    items and hard breaks (two trailing spaces or a backslash) are kept.
    """
    paragraphs = []
    for paragraph in re.split(r"\n[ \t]*\n", markdown.strip()):
        lines: list[str] = []
        hard_break = False
        for raw in paragraph.splitlines():
            line = raw.strip()
            breaks_after = raw.endswith("  ") or line.endswith("\\")
            line = line.removesuffix("\\").rstrip()
            if lines and not hard_break and not _BLOCK_START.match(raw):
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
            hard_break = breaks_after
        paragraphs.append("\n".join(lines))
    return "\n\n".join(p for p in paragraphs if p)


@dataclass
class Loaded:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Per language, the questions of faq/<lang>/out_of_scope.yml.
    declined: dict[str, list[str]] = field(default_factory=dict)


def load_faq(root: Path) -> Loaded:
    """Every FAQ entry under `root/faq/<lang>/`, and the problems of the files that are not."""
    result = Loaded()
    folder = root / "faq"
    if not folder.is_dir():
        result.problems.append(Problem(folder, 0, "no faq/ folder: the assistant has no answers"))
        return result
    for path in sorted(folder.glob("*/*.md")):
        entry, problems = parse_entry(path)
        result.problems.extend(problems)
        if entry is not None:
            result.entries.append(entry)
    for path in sorted(folder.glob(f"*/{OUT_OF_SCOPE}")):
        lines, problems = read_out_of_scope(path)
        answered = {
            words(text): entry
            for entry in result.entries
            if entry.lang == path.parent.name
            for text in (entry.title, *entry.questions)
        }
        kept = []
        for text, line in lines.items():
            if (entry := answered.get(words(text))) is None:
                kept.append(text)
                continue
            message = (
                f"{text!r} is also a question of faq/{entry.lang}/{entry.path.name}: "
                "a question cannot be both answered and declined"
            )
            problems.append(Problem(path, line, message))
        result.problems.extend(problems)
        result.declined[path.parent.name] = kept
    for path in sorted(folder.iterdir()):
        if path.is_dir() and path.name not in LANGUAGES:
            result.problems.append(Problem(path, 0, f"unknown language folder {path.name!r}"))
    return result


def read_out_of_scope(path: Path) -> tuple[dict[str, int], list[Problem]]:
    """The questions of an out_of_scope.yml (`questions:`, a list of texts) with their lines,
    and the file's problems."""
    read = read_yaml_mapping(path)
    if isinstance(read, Problem):
        return {}, [read]
    items = read.data.get("questions")
    if not isinstance(items, list) or not items:
        return {}, [Problem(path, 1, "needs `questions:`, a list of questions not to answer")]
    nodes: list[Any] = next(
        (value.value for key, value in read.node.value if key.value == "questions"), []
    )
    questions: dict[str, int] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for item, node in zip(items, nodes, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, str) or not item.strip():
            problems.append(Problem(path, line, "each question must be a non-empty text"))
        elif words(item) in seen:
            problems.append(Problem(path, line, f"{item.strip()!r} is listed twice"))
        else:
            seen.add(words(item))
            questions[item.strip()] = line
    return questions, problems


def parse_entry(path: Path) -> tuple[Entry | None, list[Problem]]:
    """The entry in `path`, or None with the reasons it is not one."""
    front, problems = read_front_matter(path)
    if front is None:
        return None, problems
    checker = _Checker(path, front.data, front.lines)
    entry = checker.entry(front.body.strip(), front.body_line)
    return (entry if not checker.problems else None), checker.problems


class _Checker:
    def __init__(self, path: Path, data: dict[str, Any], lines: dict[str, int]) -> None:
        self.path, self.data, self.lines = path, data, lines
        self.problems: list[Problem] = []

    def fail(self, key: str | None, message: str, line: int | None = None) -> None:
        where = line if line is not None else self.lines.get(key or "", 1)
        self.problems.append(Problem(self.path, where, message))

    def entry(self, body: str, body_line: int) -> Entry | None:
        for key in REQUIRED:
            if key not in self.data:
                self.fail(None, f"missing field {key!r}")
        for key in self.data:
            if key not in REQUIRED and key not in OPTIONAL:
                self.fail(key, f"unknown field {key!r}")
        entry_id = self.text("id")
        lang = self.text("lang")
        if entry_id and not _ID.fullmatch(entry_id):
            self.fail("id", "id must be lower-case letters, digits, '-' or '_'")
        if entry_id and entry_id != self.path.stem:
            self.fail("id", f"id {entry_id!r} does not match the file name {self.path.name!r}")
        if lang and lang != self.path.parent.name:
            self.fail(
                "lang", f"lang {lang!r} but the file is in the {self.path.parent.name}/ folder"
            )
        if lang and lang not in LANGUAGES:
            self.fail("lang", f"lang must be one of {', '.join(LANGUAGES)}")
        reviewed_on, review_due = self.date("reviewed_on"), self.date("review_due")
        if reviewed_on and review_due and review_due <= reviewed_on:
            self.fail("review_due", "review_due must come after reviewed_on")
        if not body:
            self.fail(None, "the answer is empty: write it after the front matter", body_line)
        for name in _PLACEHOLDER.findall(body):
            if name not in PLACEHOLDERS:
                self.fail(None, f"unknown placeholder {{{name}}} in the answer", body_line)
        entry = Entry(
            id=entry_id or "",
            lang=lang or "",
            title=self.text("title") or "",
            questions=self.questions(),
            source=self.source(),
            reviewed_by=self.text("reviewed_by") or "",
            reviewed_on=reviewed_on or dt.date.min,
            review_due=review_due or dt.date.min,
            body=body,
            path=self.path,
            trials=self.trials(),
            topic=self.optional_text("topic"),
            also=self.also(),
            lines={**self.lines, "body": body_line},
        )
        return entry if not self.problems else None

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if key not in self.data:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"{key} must be a non-empty text")
            return None
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if key in self.data else None

    def date(self, key: str) -> dt.date | None:
        if key not in self.data:
            return None
        value = self.data[key]
        parsed = as_date(value)
        if parsed is None:
            self.fail(key, f"{key} must be a date written YYYY-MM-DD, not {value!r}")
        return parsed

    def questions(self) -> tuple[str, ...]:
        value = self.data.get("questions")
        if "questions" not in self.data:
            return ()
        if not isinstance(value, list) or not value:
            self.fail("questions", "questions must be a list of example phrasings")
            return ()
        good = tuple(q.strip() for q in value if isinstance(q, str) and q.strip())
        if len(good) != len(value):
            self.fail("questions", "every question must be a non-empty text")
        return good

    def source(self) -> Source:
        value = self.data.get("source")
        if "source" not in self.data:
            return Source("", "")
        if not isinstance(value, dict):
            self.fail("source", "source must have a name and a url")
            return Source("", "")
        name, url = value.get("name"), value.get("url")
        if not isinstance(name, str) or not name.strip():
            self.fail("source", "source needs a name")
        if not isinstance(url, str) or not re.match(r"https?://\S+$", url.strip()):
            self.fail("source", "source needs a url starting with http:// or https://")
        return Source(str(name or "").strip(), str(url or "").strip())

    def also(self) -> tuple[str, ...]:
        return self.names("also", "standard topics (ids of general entries)") or ()

    def trials(self) -> tuple[str, ...] | None:
        return self.names("trials", "trial ids (leave it out for all trials)")

    def names(self, key: str, what: str) -> tuple[str, ...] | None:
        """A non-empty list of names under `key`, or None when it is absent or wrong."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
            self.fail(key, f"{key} must be a list of {what}")
            return None
        return tuple(value)
