"""The conversations of the benchmark: YAML files read, checked and split into two halves.

Each file under `bench/conversations/sets/` is one category:

```yaml
category: side_effects          # the file's category (defaults to the file's name)
conversations:
  - id: se-en-mixed-1            # unique across every file
    lang: en                     # the language the person starts in: en | fr
    locale: en-GB                # optional: the browser's locale the web page sends (default
                                 #   en-GB / fr-FR from `lang`)
    participant: demo-t2d-001    # optional: staff register the person first (`trialbot
                                 #   participants add`) with a visit in three days; `{link_code}`
                                 #   in a turn's text is their one-time link code
    turns:
      - say: "wat r the side efects"      # what the person types, or
      - press: "Yes, I agree"              #   the title of a button of the last reply, or
      - staff: "We can see you on Monday"  #   a staff member's answer to the open handoff
        # …then what must happen, one or more of:
        answer: risks            # a vetted answer from that entry (its feedback button names
                                 #   it); a list accepts any one (trial-specific variants)
        no_answer: true          # no vetted answer: declined, or not sure
        offers: true             # the reply offers something next (at least one button that is
                                 #   not a feedback one)
        asks: age                # the next pre-screening question asked is that one (its text
                                 #   in the trial's eligibility.yml, either language; or its
                                 #   choice buttons); `none`: no pre-screening question
        consent: prescreening    # that consent is asked (its title, either language); `none`:
                                 #   no consent asked
        safety: adverse_event    # a safety event of that kind was recorded for this person
                                 #   during this turn (emergency | adverse_event); `none`: none
        emergency_number: true   # the reply contains EMERGENCY_NUMBER
        phone: "+33 1 99 00 12 34"   # that number is in the reply (any spacing, +33 or 0)
        lang: fr                 # the reply's language (en | fr | any); by default the
                                 #   language of the last turn that said one, else `lang` above;
                                 #   the page's language too, when /api/chat says it (`lang`)
        contains: [placebo]      # case-insensitive substrings of the reply (sparingly)
        not_contains: ["nothing to withdraw"]
        outcome: likely_eligible # the person's latest pre-screening outcome
                                 #   (likely_eligible | not_eligible | needs_review | incomplete)
        handoff: open            # the person has an open request for the team (open | none)
        appointment: confirmed   # the participant's visit's status (scheduled | confirmed |
                                 #   reschedule_requested | cancelled)
        mixed: true              # the message carries a request and something else (a side
                                 #   effect and a question…): a failure here is a request lost
```

A turn's language is checked on every turn (`lang: any` skips it). Problems are reported as
`file:line: conversation id: message`. The conversations alternate, within each category and
language, between a tuning half (even places) and a held-out half (odd places).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

SETS = Path(__file__).resolve().parent / "sets"
# The issue's own failures, word for word: regression data, never counted in the figures.
REGRESSION = Path(__file__).resolve().parent / "regression"
# Conversations written after the tuning and never tuned on: played whole as the "fresh" part,
# their misses never listed, so that they stay unseen.
FRESH = Path(__file__).resolve().parent / "fresh"
LANGS = ("en", "fr")
ACTIONS = ("say", "press", "staff")
SAFETY = ("emergency", "adverse_event", "none")
CONSENTS = ("prescreening", "contact", "reminders", "none")
OUTCOMES = ("likely_eligible", "not_eligible", "needs_review", "incomplete")
HANDOFF = ("open", "none")
APPOINTMENT = ("scheduled", "confirmed", "reschedule_requested", "cancelled")
EXPECTATIONS = (
    "answer",
    "no_answer",
    "offers",
    "asks",
    "consent",
    "safety",
    "emergency_number",
    "phone",
    "lang",
    "contains",
    "not_contains",
    "outcome",
    "handoff",
    "appointment",
)
# Up to 12: a whole pre-screening, to its outcome and what follows it, takes about 11.
MIN_TURNS, MAX_TURNS = 3, 12
PARTS = ("tuning", "held-out")
FRESH_PART = "fresh"


class ScriptError(Exception):
    """A conversation file that cannot be played; the message says where and why."""


@dataclass(frozen=True)
class Turn:
    action: str  # say | press | staff
    text: str
    expect: dict[str, Any]
    mixed: bool
    line: int


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    lang: str
    locale: str
    turns: tuple[Turn, ...]
    path: Path
    line: int
    participant: str | None = None
    part: str = "tuning"

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass
class _Reader:
    path: Path
    problems: list[str] = field(default_factory=list)

    def fail(self, line: int, conversation: str, message: str) -> None:
        self.problems.append(f"{self.path.name}:{line}: {conversation}: {message}")

    def conversation(self, raw: Any, category: str) -> Conversation | None:
        line = _line(raw)
        if not isinstance(raw, dict):
            self.fail(line, "?", "a conversation is a mapping with id, lang and turns")
            return None
        ident = str(raw.get("id") or "?")
        unknown = set(raw) - {"id", "lang", "locale", "participant", "turns", "note", "__line__"}
        if unknown:
            self.fail(line, ident, f"unknown key(s) {sorted(unknown)}")
        lang = raw.get("lang")
        if ident == "?":
            self.fail(line, ident, "missing id")
        if lang not in LANGS:
            self.fail(line, ident, f"lang must be one of {LANGS}, not {lang!r}")
            return None
        turns_raw = raw.get("turns")
        if not isinstance(turns_raw, list) or not MIN_TURNS <= len(turns_raw) <= MAX_TURNS:
            count = len(turns_raw) if isinstance(turns_raw, list) else 0
            self.fail(line, ident, f"{MIN_TURNS} to {MAX_TURNS} turns are needed, not {count}")
            return None
        turns = [self.turn(item, ident) for item in turns_raw]
        if any(turn is None for turn in turns):
            return None
        if not any(t.action == "say" for t in turns if t is not None):
            self.fail(line, ident, "no turn says anything")
        participant = raw.get("participant")
        return Conversation(
            id=ident,
            category=category,
            lang=lang,
            locale=str(raw.get("locale") or ("fr-FR" if lang == "fr" else "en-GB")),
            turns=tuple(t for t in turns if t is not None),
            path=self.path,
            line=line,
            participant=str(participant) if participant else None,
        )

    def turn(self, raw: Any, conversation: str) -> Turn | None:
        line = _line(raw)
        if not isinstance(raw, dict):
            self.fail(line, conversation, "a turn is a mapping (say: …, then expectations)")
            return None
        actions = [key for key in ACTIONS if key in raw]
        if len(actions) != 1 or not isinstance(raw[actions[0]], str) or not raw[actions[0]]:
            self.fail(line, conversation, f"a turn has exactly one of {ACTIONS}, with text")
            return None
        expect = {key: value for key, value in raw.items() if key in EXPECTATIONS}
        unknown = set(raw) - {*ACTIONS, *EXPECTATIONS, "mixed", "__line__"}
        if unknown:
            self.fail(line, conversation, f"unknown key(s) {sorted(unknown)}")
        if not expect:
            self.fail(line, conversation, "a turn says what must happen (answer, asks, …)")
        for key, value in expect.items():
            if problem := _invalid(key, value):
                self.fail(line, conversation, f"{key}: {problem}")
        return Turn(actions[0], str(raw[actions[0]]), expect, bool(raw.get("mixed")), line)


def _invalid(key: str, value: Any) -> str | None:
    choices = {
        "safety": SAFETY,
        "consent": CONSENTS,
        "outcome": OUTCOMES,
        "handoff": HANDOFF,
        "appointment": APPOINTMENT,
        "lang": (*LANGS, "any"),
    }
    if key in choices:
        return None if value in choices[key] else f"one of {choices[key]}, not {value!r}"
    if key in ("no_answer", "offers", "emergency_number"):
        return None if value is True else "only `true` is meaningful"
    if key in ("answer", "contains", "not_contains"):
        values = value if isinstance(value, list) else [value]
        ok = values and all(isinstance(v, str) and v for v in values)
        return None if ok else "a text or a list of texts"
    if key in ("asks", "phone"):
        return None if isinstance(value, str) and value else "a text"
    return None


class _LineLoader(yaml.SafeLoader):
    """Mappings keep the line they start on, for messages that say where."""


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _line(raw: Any) -> int:
    return int(raw.get("__line__", 0)) if isinstance(raw, dict) else 0


def read_file(path: Path) -> tuple[list[Conversation], list[str]]:
    reader = _Reader(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as error:
        return [], [f"{path.name}: cannot be read: {error}"]
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        return [], [f"{path.name}:1: a file has `category` and a list of `conversations`"]
    category = str(data.get("category") or path.stem)
    found = []
    for raw in data["conversations"]:
        conversation = reader.conversation(raw, category)
        if conversation is not None:
            found.append(conversation)
    return found, reader.problems


def load(folder: Path = SETS) -> list[Conversation]:
    """Every conversation, checked, with its half; ScriptError lists every problem."""
    conversations: list[Conversation] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        found, trouble = read_file(path)
        conversations += found
        problems += trouble
    seen: dict[str, Conversation] = {}
    for conversation in conversations:
        if conversation.id in seen:
            problems.append(
                f"{conversation.where}: {conversation.id}: the id is used already at "
                f"{seen[conversation.id].where}"
            )
        seen[conversation.id] = conversation
    if problems:
        raise ScriptError("\n".join(problems))
    if folder == FRESH:
        return [replace(c, part=FRESH_PART) for c in conversations]
    return _split(conversations)


def _split(conversations: list[Conversation]) -> list[Conversation]:
    """Alternate within each category and language: even places tune, odd places are held out."""
    places: dict[tuple[str, str], int] = defaultdict(int)
    result = []
    for conversation in conversations:
        group = (conversation.category, conversation.lang)
        part = PARTS[places[group] % 2]
        places[group] += 1
        result.append(replace(conversation, part=part))
    return result


def select(
    conversations: list[Conversation],
    *,
    only: str | None = None,
    part: str = "all",
    category: str | None = None,
) -> list[Conversation]:
    return [
        c
        for c in conversations
        if (only is None or c.id == only)
        and (part == "all" or c.part == part)
        and (category is None or c.category == category)
    ]
