"""Whether one reply did what a turn expects: read from the reply and from the stack's database.

The facts a check needs (the pre-screening questions' wording, the consent titles, the
emergency number) come from the knowledge folder the stack serves, so that a reworded file does
not break the benchmark. The reply's language is decided by counting French and English
function words: honest and simple, and silent when a reply has too few of them to tell.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.consent.texts import load_consents
from bot.knowledge.entries import load_faq
from bot.trials import read_catalogue, screenable

# Words that tell a language apart; words spelt alike in both ("a", "on", "me") are left out.
FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "une",
        "et",
        "est",
        "vous",
        "votre",
        "vos",
        "pour",
        "pas",
        "que",
        "qui",
        "dans",
        "sur",
        "avec",
        "au",
        "aux",
        "ce",
        "cette",
        "je",
        "il",
        "elle",
        "en",
        "ne",
        "se",
        "sont",
        "ou",
        "mais",
        "nous",
        "merci",
        "oui",
        "non",
        "être",
        "avez",
        "êtes",
        "suis",
        "très",
        "peut",
        "puis",
        "ici",
        "étude",
        "équipe",
        "réponse",
        "d",
        "l",
        "j",
        "qu",
        "n",
        "c",
    ]
)
ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "is",
        "you",
        "your",
        "for",
        "not",
        "that",
        "who",
        "with",
        "to",
        "at",
        "this",
        "it",
        "are",
        "or",
        "but",
        "we",
        "thank",
        "yes",
        "be",
        "have",
        "can",
        "will",
        "do",
        "does",
        "study",
        "team",
        "answer",
        "i",
        "my",
        "in",
        "here",
        "please",
    ]
)
MIN_WORDS = 3  # fewer function words than this: too short to tell
_FEEDBACK = re.compile(r'^/feedback\{"entry_id":\s*"([^"]+)"')
_PHONE = re.compile(r"(?:\+|\b00|\b0)\d(?:[ .\u00a0\u202f-]?\d){7,12}")
_LINK = re.compile(r"\]\([^)]*\)|https?://\S+")


@dataclass(frozen=True)
class Question:
    id: str
    sentences: tuple[str, ...]  # the first sentence of its text in each language, normalised
    options: tuple[frozenset[str], ...]  # a choice question's button titles, per language


@dataclass(frozen=True)
class Knowledge:
    questions: tuple[Question, ...]
    consent_titles: dict[str, tuple[str, ...]]
    entry_ids: frozenset[str]
    emergency_number: str

    def question_ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions)


def read_knowledge(knowledge_dir: Path, emergency_number: str) -> Knowledge:
    questions: dict[str, Question] = {}
    for trial in screenable(read_catalogue(knowledge_dir)).values():
        for q in trial.criteria.questions:
            # Its wording, and the plainer one it comes back in after an answer not understood.
            texts = [*q.text.values(), *q.simple.values()]
            sentences = {normal(_first_sentence(text)) for text in texts}
            options = {
                frozenset(normal(labels[lang]) for labels in q.options.values() if lang in labels)
                for lang in ("en", "fr")
            } - {frozenset()}
            known = questions.get(q.id)
            if known is not None:
                sentences |= set(known.sentences)
                options |= set(known.options)
            questions[q.id] = Question(q.id, tuple(sorted(sentences)), tuple(options))
    titles: dict[str, set[str]] = {}
    for text in load_consents(knowledge_dir).texts:
        titles.setdefault(text.id, set()).add(normal(text.title))
    return Knowledge(
        questions=tuple(questions.values()),
        consent_titles={key: tuple(sorted(value)) for key, value in titles.items()},
        entry_ids=frozenset(entry.id for entry in load_faq(knowledge_dir).entries),
        emergency_number=emergency_number,
    )


def normal(text: str) -> str:
    """Lower case, one kind of apostrophe and of space: for finding a text inside a reply."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text.replace("\u202f", " ")).strip().casefold()


def _first_sentence(text: str) -> str:
    end = text.find("?")
    return text[: end + 1] if end >= 0 else text


@dataclass(frozen=True)
class Reply:
    """What the assistant answered to one turn: its messages, as /api/chat returns them."""

    messages: tuple[dict[str, Any], ...]
    page_lang: str | None = None  # the language /api/chat says the page should show, if it says

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("text") or "") for m in self.messages)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    def answered(self) -> list[str]:
        """The entries whose vetted answer was given (their feedback buttons name them)."""
        found = [_FEEDBACK.match(b.get("payload", "")) for b in self.buttons]
        return list(dict.fromkeys(m.group(1) for m in found if m))

    def short(self, limit: int = 160) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class Observed:
    """What the stack's database says happened for this person during the turn."""

    safety: list[str] = field(default_factory=list)  # kinds of the events recorded
    outcome: str | None = None
    handoff_open: bool = False
    appointment: str | None = None


def language_of(text: str) -> str | None:
    """en or fr by the share of function words; None when there are too few to tell."""
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", _LINK.sub(" ", text.casefold()))
    french = sum(word in FRENCH for word in words)
    english = sum(word in ENGLISH for word in words)
    if french + english < MIN_WORDS:
        return None
    return "fr" if french > english else "en"


def asked(reply: Reply, knowledge: Knowledge) -> str | None:
    """The pre-screening question the reply asks last: by its wording, else by its buttons."""
    text = normal(reply.text)
    last: tuple[int, str] | None = None
    for question in knowledge.questions:
        for sentence in question.sentences:
            at = text.rfind(sentence)
            if at >= 0 and (last is None or at > last[0]):
                last = (at, question.id)
    if last is not None:
        return last[1]
    titles = {normal(b.get("title", "")) for b in reply.buttons}
    for question in knowledge.questions:
        if any(options and options <= titles for options in question.options):
            return question.id
    return None


def consents_asked(reply: Reply, knowledge: Knowledge) -> set[str]:
    text = normal(reply.text)
    return {
        consent
        for consent, titles in knowledge.consent_titles.items()
        if any(title in text for title in titles)
    }


def phones(text: str) -> set[str]:
    return {_phone_key(found) for found in _PHONE.findall(text)}


def _phone_key(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    return "33" + digits[1:] if digits.startswith("0") and len(digits) == 10 else digits


def check(
    expect: dict[str, Any], reply: Reply, observed: Observed, knowledge: Knowledge, lang: str
) -> list[str]:
    """What went wrong: one line per unmet expectation ("asks: expected age, got none")."""
    failures: list[str] = []
    for key, wanted in expect.items():
        problem = _CHECKS[key](wanted, reply, observed, knowledge)
        if problem:
            failures.append(f"{key}: {problem}")
    if "lang" not in expect and (problem := _lang(lang, reply, observed, knowledge)):
        failures.append(f"lang: {problem}")
    wanted = expect.get("lang", lang)
    if reply.page_lang and wanted != "any" and reply.page_lang != wanted:
        failures.append(
            f"page_lang: the page shows {reply.page_lang}, the conversation is {wanted}"
        )
    return failures


def _answer(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    wanted = wanted if isinstance(wanted, list) else [wanted]
    given = reply.answered()
    if any(entry in given for entry in wanted):
        return None
    got = ", ".join(given) or "no vetted answer"
    return f"expected {' or '.join(wanted)}, got {got}"


def _no_answer(_: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    given = reply.answered()
    return f"expected no vetted answer, got {', '.join(given)}" if given else None


def _offers(_: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    offered = [b for b in reply.buttons if not b.get("payload", "").startswith("/feedback")]
    return None if offered else "expected something offered next (a button), got none"


def _asks(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    got = asked(reply, knowledge)
    if (got or "none") == wanted:
        return None
    return f"expected {wanted}, got {got or 'no pre-screening question'}"


def _consent(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    got = consents_asked(reply, knowledge)
    if wanted == "none":
        return f"expected none, got {', '.join(sorted(got))}" if got else None
    return None if wanted in got else f"expected {wanted}, got {', '.join(sorted(got)) or 'none'}"


def _safety(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    got = observed.safety
    if wanted == "none":
        return f"expected no safety event, got {', '.join(got)}" if got else None
    return None if wanted in got else f"expected {wanted}, got {', '.join(got) or 'none'}"


def _emergency_number(_: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    number = re.escape(knowledge.emergency_number)
    if re.search(rf"(?<!\d){number}(?!\d)", reply.text):
        return None
    return f"expected {knowledge.emergency_number} in the reply"


def _phone(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    found = phones(reply.text)
    if _phone_key(str(wanted)) in found:
        return None
    return f"expected {wanted}, got {', '.join(sorted(found)) or 'no number'}"


def _lang(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    if wanted == "any":
        return None
    got = language_of(reply.text)
    return None if got in (None, wanted) else f"expected {wanted}, got {got}"


def _texts(wanted: Any) -> list[str]:
    return [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]


def _seen(reply: Reply) -> str:
    return normal(reply.text + "\n" + "\n".join(b.get("title", "") for b in reply.buttons))


def _contains(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    missing = [w for w in _texts(wanted) if normal(w) not in _seen(reply)]
    return f"missing {missing}" if missing else None


def _not_contains(
    wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge
) -> str | None:
    present = [w for w in _texts(wanted) if normal(w) in _seen(reply)]
    return f"present {present}" if present else None


def _outcome(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    got = observed.outcome
    return None if got == wanted else f"expected {wanted}, got {got or 'no pre-screening'}"


def _handoff(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    got = "open" if observed.handoff_open else "none"
    return None if got == wanted else f"expected {wanted}, got {got}"


def _appointment(wanted: Any, reply: Reply, observed: Observed, knowledge: Knowledge) -> str | None:
    got = observed.appointment
    return None if got == wanted else f"expected {wanted}, got {got or 'no appointment'}"


_CHECKS = {
    "answer": _answer,
    "no_answer": _no_answer,
    "offers": _offers,
    "asks": _asks,
    "consent": _consent,
    "safety": _safety,
    "emergency_number": _emergency_number,
    "phone": _phone,
    "lang": _lang,
    "contains": _contains,
    "not_contains": _not_contains,
    "outcome": _outcome,
    "handoff": _handoff,
    "appointment": _appointment,
}
