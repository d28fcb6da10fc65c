"""Answers to screening questions as people type them, in English and French.

`45`, `45 ans`, `I'm 45`, `7,5`, `7.5 %`, `1m70`, `oui`, `nope`, `je ne sais pas`, `Type 2`, `2`...
Each becomes the value the evaluator expects, "don't know" (None), or a reason to ask again —
never a guess: an answer that could mean two things is asked again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.knowledge.analysis import fold
from bot.screening.criteria import Answer, Criteria, Question


@dataclass(frozen=True)
class Parsed:
    value: Answer  # None: "I don't know"


@dataclass(frozen=True)
class Unclear:
    """Not an answer to this question; `expected` says what would be, in the person's language."""

    expected: str


_DONT_KNOW = re.compile(
    r"\b(i\s*(do\s*n.?t|dunno)\s*know|dont\s*know|dunno|not\s*sure|no\s*idea|unsure|"
    r"i\s*(can.?t|cannot)\s*remember|no\s*clue|"
    r"(je\s*)?(ne\s*)?(sais|sait)\s*pas|j\s*sais\s*pas|jsp|aucune\s*idee|pas\s*sur|"
    r"je\s*ne\s*me\s*souviens\s*(plus|pas)|sais\s*plus|(ne\s*)?connais\s*pas|"
    r"i\s*(do\s*n.?t|dont)\s*remember)\b"
)
_YES = {
    "yes", "y", "yeah", "yep", "yup", "sure", "correct", "true", "right", "indeed", "absolutely",
    "oui", "ouais", "ouai", "si", "exact", "exactement", "bien sur", "tout a fait", "affirmatif",
    "i do", "i am", "i have", "je suis", "j en ai", "c est ca", "oui oui",
}  # fmt: skip
_NO = {
    "no", "n", "nope", "nah", "not", "never", "false", "none", "i don t", "i do not", "i am not",
    "i m not", "i haven t", "non", "nan", "pas", "jamais", "aucun", "aucune", "pas du tout",
    "non merci", "je ne suis pas", "je n en ai pas", "nope non",
}  # fmt: skip
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,4})(?:[.,](\d{1,3}))?(?![\w.,]*\d)")
_METRES = re.compile(r"\b(\d)\s*m\s*(\d{1,2})\b")  # 1m70
_MONTHS = {
    "jan": 1, "janv": 1, "january": 1, "janvier": 1, "feb": 2, "fev": 2, "february": 2,
    "fevrier": 2, "mar": 3, "march": 3, "mars": 3, "apr": 4, "avr": 4, "april": 4, "avril": 4,
    "may": 5, "mai": 5, "jun": 6, "june": 6, "juin": 6, "jul": 7, "july": 7, "juillet": 7,
    "aug": 8, "august": 8, "aout": 8, "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "octobre": 10, "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "decembre": 12,
}  # fmt: skip


@dataclass(frozen=True)
class Extracted:
    """What one message answered: the question asked and any other it clearly spoke of."""

    answers: dict[str, Answer]
    unclear: Unclear | None  # the asked question was not answered, and what would answer it


# Pieces of a message that may each answer a question: "I'm 45, and I don't smoke". A comma or
# a point between two digits is a decimal ("7,5"), not a break.
_CLAUSES = re.compile(
    r"(?<!\d)[.,]|[.,](?!\d)|[;!?\n]|\s(?:and|but|also|et|mais|aussi|puis)\s", re.IGNORECASE
)
_NEGATION = re.compile(
    r"\b(not|no|never|nope|don t|dont|doesn t|didn t|haven t|hasn t|isn t|aren t|wasn t|"
    r"quit|stopped|gave up|ne|n|pas|jamais|plus|non|aucun|aucune|arrete)\b"
)


def extract(
    criteria: Criteria,
    text: str,
    lang: str,
    asked: Question | None,
    answered: set[str],
) -> Extracted:
    """Read the answer to `asked`, and to other unanswered questions a part of `text` names.

    A part names a question when it holds one of the question's keywords (and, for a number,
    a number or "I don't know"). A part that names no question, or several, answers the one
    asked. Nothing is guessed: a part that cannot be read is left for its own question.
    """
    found: dict[str, Answer] = {}
    left: list[str] = []
    for clause in (piece.strip() for piece in _CLAUSES.split(text)):
        if not clause:
            continue
        words = _words(clause)
        named = [
            q
            for q in criteria.questions
            if q.id not in answered and q.id not in found and _names(q, words, clause, lang)
        ]
        if asked is not None and len(named) > 1 and asked in named:
            named = [asked]
        if len(named) != 1:
            left.append(clause)
            continue
        question = named[0]
        reading = _read(question, clause, words, lang)
        if isinstance(reading, Parsed):
            found[question.id] = reading.value
        elif question is asked:
            return Extracted(found, reading)
    if asked is None or asked.id in found:
        return Extracted(found, None)
    if not left:  # every part answered another question: the asked one simply comes next
        return Extracted(found, None)
    reading = parse(asked, " ".join(left), lang)
    if isinstance(reading, Parsed) and reading.value is None and found:
        # "I don't know my HbA1c, no idea": the "no idea" is about the HbA1c, not the age.
        return Extracted(found, None)
    if isinstance(reading, Parsed):
        return Extracted({**found, asked.id: reading.value}, None)
    return Extracted(found, reading)


def _names(question: Question, words: str, clause: str, lang: str) -> bool:
    keywords = question.keywords.get(lang, ()) + (
        question.keywords.get("en", ()) if lang != "en" else ()
    )
    if not any(_has_keyword(words, keyword) for keyword in keywords):
        return False
    if question.type in ("integer", "number"):
        return bool(_NUMBER.search(fold(clause)) or _METRES.search(fold(clause))) or _dont_know(
            words
        )
    return True


def _has_keyword(words: str, keyword: str) -> bool:
    """A keyword starts a word ("smok": smoker, smoking); one under 4 letters is a whole word."""
    folded = _words(keyword)
    last = folded.rsplit(" ", 1)[-1]
    end = "" if len(last) >= 4 else r"\b"
    return bool(folded) and re.search(rf"\b{re.escape(folded)}{end}", words) is not None


def _read(question: Question, clause: str, words: str, lang: str) -> Parsed | Unclear:
    """A part of a message that names `question`: "I don't smoke" is a no, "I smoke" a yes."""
    if question.type != "yes_no" or _dont_know(words):
        return parse(question, clause, lang)
    plain = parse(question, clause, lang)
    if isinstance(plain, Parsed):
        return plain
    return Parsed(not _NEGATION.search(words))


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _dont_know(words: str) -> bool:
    return bool(_DONT_KNOW.search(words)) or words in ("idk", "?", "nsp")


def parse(question: Question, text: str, lang: str) -> Parsed | Unclear:
    """The answer `text` gives to `question`, "don't know", or what is expected instead."""
    words = _words(text)
    if _dont_know(words):
        return Parsed(None)
    if question.type == "yes_no":
        return _yes_no(words, lang)
    if question.type == "choice":
        return _choice(question, words, lang)
    if question.type == "date":
        return _date(fold(text), lang)
    return _number(question, fold(text), lang)


def _yes_no(words: str, lang: str) -> Parsed | Unclear:
    if words in _YES or (words.split()[:1] and words.split()[0] in ("yes", "oui", "yeah", "ouais")):
        return Parsed(True)
    if words in _NO or (words.split()[:1] and words.split()[0] in ("no", "non", "nope", "nan")):
        return Parsed(False)
    return Unclear("oui ou non" if lang == "fr" else "yes or no")


def _choice(question: Question, words: str, lang: str) -> Parsed | Unclear:
    keys = list(question.options)
    if words.isdigit() and 1 <= int(words) <= len(keys):
        return Parsed(keys[int(words) - 1])  # the option's number, as listed
    found = {
        key
        for key, labels in question.options.items()
        for label in (labels.get(lang, ""), labels.get("en", ""), key.replace("_", " "))
        if label and _contains(words, " ".join(re.findall(r"[a-z0-9]+", fold(label))))
    }
    if len(found) == 1:
        return Parsed(found.pop())
    labels = [question.options[key].get(lang, key) for key in keys]
    return Unclear((" ; " if lang == "fr" else "; ").join(labels))


def _contains(words: str, label: str) -> bool:
    """The label's words appear in the answer, or the answer is a distinctive part of the label."""
    if f" {label} " in f" {words} ":
        return True
    return len(words) >= 3 and f" {words} " in f" {label} " and not words.isdigit()


def _number(question: Question, text: str, lang: str) -> Parsed | Unclear:
    value: float | None = None
    metres = _METRES.search(text)
    if metres:
        value = int(metres[1]) + int(metres[2]) / (100 if len(metres[2]) == 2 else 10)
    else:
        numbers = _NUMBER.findall(text)
        if len(numbers) == 1:
            whole, fraction = numbers[0]
            value = float(f"{whole}.{fraction}" if fraction else whole)
    expected = _range_text(question, lang)
    if value is None:
        return Unclear(expected)
    if question.type == "integer":
        if not value.is_integer():
            return Unclear(expected)
        number: int | float = int(value)
    else:
        number = value
    if (question.min is not None and number < question.min) or (
        question.max is not None and number > question.max
    ):
        return Unclear(expected)
    return Parsed(number)


def _range_text(question: Question, lang: str) -> str:
    def shown(value: float) -> str:
        text = f"{value:g}"
        return text.replace(".", ",") if lang == "fr" else text

    if question.min is not None and question.max is not None:
        if lang == "fr":
            return f"un nombre entre {shown(question.min)} et {shown(question.max)}"
        return f"a number from {shown(question.min)} to {shown(question.max)}"
    return "un nombre" if lang == "fr" else "a number"


def _date(text: str, lang: str) -> Parsed | Unclear:
    expected = "une date, par exemple 14/03/2021" if lang == "fr" else "a date, e.g. 14/03/2021"
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    numeric = re.search(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b", text)  # day first, as in FR/UK
    named = re.search(r"\b(?:(\d{1,2})\s+)?([a-z]+)\.?\s+(\d{4})\b", text)
    try:
        if iso:
            return Parsed(dt.date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat())
        if numeric:
            return Parsed(dt.date(int(numeric[3]), int(numeric[2]), int(numeric[1])).isoformat())
        if named and named[2] in _MONTHS:
            day = int(named[1]) if named[1] else 1
            return Parsed(dt.date(int(named[3]), _MONTHS[named[2]], day).isoformat())
    except ValueError:
        pass
    return Unclear(expected)
