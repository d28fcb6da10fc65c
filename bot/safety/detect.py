"""Emergencies and side-effect reports in a patient's message, in English and French.

Rules over the message, tuned for recall: a missed "I can't breathe" costs far more than a
needless emergency number. Before the rules run, the text is folded (lower case, no accents),
SMS spellings are read as words ("jarrive pa", "mal o coeur") and each word within one typing
slip of a word the rules know is read as that word, so "chest pian", "respirer" typed
"repsirer" and "breeth" are caught. A symptom named after a negation ("no chest pain", "pas de
douleur à la poitrine") is not reported; phrases that are themselves negative ("I can't
breathe", "je n'arrive plus à respirer") are part of their rule. An event told as long past
("a heart attack 10 years ago"), as a joke or as a figure of speech is not an emergency now;
thoughts of suicide always are. A condition had for years ("asthma since I was a kid",
"depuis toute petite") is medical history, not a side effect, unless the message ties it to
the study treatment; a side effect that also asks something is still one (the gateway answers
both).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from bot.safety import rules

Kind = Literal["emergency", "adverse_event"]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    category: str  # general, bleeding, chest_pain, … suicide; reported or after_treatment
    matched: str  # the words that matched, for the staff alert and the record


@dataclass(frozen=True)
class Intent:
    """The NLU's reading of a message: its top intent and how sure it is."""

    name: str
    confidence: float


# How sure the NLU must be before its reading alone raises a finding. Low on purpose: the
# rules have already passed over the message, and a needless safety notice costs little.
NLU_THRESHOLDS = {"emergency": 0.5, "report_side_effect": 0.5}


def assess(text: str, intent: Intent | None) -> Finding | None:
    """The rules' finding, else the NLU's when it read an emergency or a side effect."""
    finding = check(text)
    if finding is None and intent is not None and worth_reading(text):
        finding = from_nlu(text, intent)
    return finding


def worth_reading(text: str) -> bool:
    """Whether the NLU's reading of `text` may count: the person's own words, not a button's
    payload ("/confirm…") or nothing at all."""
    return bool(text.strip()) and not text.startswith("/")


def from_nlu(text: str, intent: Intent) -> Finding | None:
    """A finding from the NLU's reading alone, for a message the rules passed over.

    The NLU has learnt wordings the rules do not know; the rules know negations, past events,
    jokes, figures of speech and reassurance, which the NLU does not, so those keep its reading
    from raising an alarm. An emergency also needs a word of the body or of danger, and a side
    effect someone it happens to.
    """
    threshold = NLU_THRESHOLDS.get(intent.name)
    if threshold is None or intent.confidence < threshold:
        return None
    folded = corrected(fold(text))
    if _NEGATION.search(_NOT_A_NEGATION.sub(" ", folded)) or _NOT_NOW.search(folded):
        return None
    matched = f"NLU: {intent.name} ({intent.confidence:.2f})"
    if intent.name == "emergency":
        suicide = _SUICIDE_HINT.search(folded) is not None
        # "shes scared to use it now": afraid of the treatment, no danger and nothing acute.
        calm = _AFRAID_OF_THE_TREATMENT.sub(" ", folded)
        if (
            _FIGURES_OF_SPEECH.search(folded)
            or _REASSURED.search(folded)
            or _IN_CARE.search(folded)
            or not _DANGER_CUES.search(_MILD_MENTIONS.sub(" ", calm))
            or (not suicide and _ordinary(folded))
            or (not suicide and _asks(text, folded) and not _ACUTE.search(calm))
        ):
            return None
        return Finding("emergency", "suicide" if suicide else "general", matched)
    if not _SOMEONE.search(folded) or not _SYMPTOM.search(folded):
        return None  # a question about side effects in general, or nothing felt
    if _HISTORY.search(folded) and not _linked(folded):
        return None  # a condition had for years, with nothing tying it to the treatment
    if _ordinary(folded) or _REASSURED.search(folded) or _GOOD.search(folded):
        return None
    if _GENERAL_QUESTION.search(folded) or _OPENS_AS_QUESTION.search(folded):
        return None
    return Finding("adverse_event", "reported", matched)


def help_on_its_way(text: str) -> bool:
    """Whether the message tells that emergency help is coming or there ("ambulance on its way
    now", "les pompiers arrivent"). The rules' finding comes first: "the ambulance is coming but
    he cant breathe" is an emergency (`check`), whatever this says."""
    return bool(_HELP_ON_ITS_WAY.search(corrected(fold(text))))


_HELP_ON_ITS_WAY = re.compile(rf"\b{rules.HELP_ON_ITS_WAY}\b")


def _asks(text: str, folded: str) -> bool:
    """A question: a question mark, a question's first words ("is there a lift to the 3rd
    floor"), or one asked after what the message tells."""
    return (
        "?" in text
        or _OPENS_AS_QUESTION.search(folded) is not None
        or _IS_THERE.search(folded) is not None
        or _ASKED_AFTER.search(folded) is not None
    )


_IS_THERE = re.compile(r"^(?:is|are|was|were|has|have) (?:there|it|this|that)\b")


def _ordinary(folded: str) -> bool:
    """Whether what the message tells has an everyday reading: a question about the trial, a
    minor mishap, or effort or a long-standing condition with nothing acute now."""
    if _ASKS_ABOUT_TRIAL.search(folded) or _MINOR.search(folded):
        return True
    explained = _HISTORY.search(folded) or _EXERTION.search(folded)
    return bool(explained) and not _ACUTE.search(folded)


def check(text: str, language: str | None = None) -> Finding | None:
    """The most serious finding in `text` (an emergency before a side effect), or None.

    Both languages' rules run whatever `language` says: a patient may switch mid-sentence.
    """
    return _check(text, _compiled())


def check_participant(text: str) -> Finding | None:
    """What `text` reports when a participant of a trial says it, beyond `check`'s findings:
    they are in the trial, which the message need not say (`rules.PARTICIPANT_RULES`)."""
    return _check(text, _compiled_for_participants())


def _check(text: str, compiled: tuple[_Rule, ...]) -> Finding | None:
    folded = corrected(fold(text))
    again = _HAPPENING_NOW.search(folded) and not _REASSURED.search(folded)
    not_now = _NOT_NOW.search(folded) is not None and not again
    linkable = _without_history(folded)
    general = bool(_GENERAL_QUESTION.search(folded) or _OPENS_AS_QUESTION.search(folded))
    explained = bool(_HISTORY.search(folded) or _EXERTION.search(folded)) and not _ACUTE.search(
        folded
    )  # the same reading as _ordinary's, for the rules that allow for it
    for kind in ("emergency", "adverse_event"):
        for rule in compiled:
            if rule.kind != kind or (rule.also is not None and not rule.also.search(linkable)):
                continue
            if general and kind == "adverse_event":
                continue  # a question about side effects in general
            if explained and rule.ordinary_cause:
                continue  # out of breath on the stairs, as always
            for match in rule.pattern.finditer(folded):
                if rule.negatable and _negated(folded, match, rule.category == "suicide"):
                    continue
                if not_now and kind == "emergency" and rule.category != "suicide":
                    continue
                return Finding(kind, rule.category, match.group(0))
    return None


def fold(text: str) -> str:
    """Lower case, accents, ligatures and curly apostrophes gone, one space between words."""
    ligatures = text.lower().replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", ligatures)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", stripped).split())


def corrected(folded: str) -> str:
    """Each word one slip away from a word (or word start) the rules know, read as that word."""
    return " ".join(_correct(rules.SMS.get(word, word)) for word in folded.split(" "))


@dataclass(frozen=True)
class _Rule:
    kind: Kind
    category: str
    pattern: re.Pattern[str]
    negatable: bool
    also: re.Pattern[str] | None
    ordinary_cause: bool


@cache
def _compiled() -> tuple[_Rule, ...]:
    return _compile(rules.RULES)


@cache
def _compiled_for_participants() -> tuple[_Rule, ...]:
    return _compile(rules.PARTICIPANT_RULES)


def _compile(given: tuple[rules.Rule, ...]) -> tuple[_Rule, ...]:
    return tuple(
        _Rule(
            rule.kind,
            rule.category,
            re.compile(rf"\b(?:{rule.pattern})\b"),
            rule.negatable,
            re.compile(rf"\b(?:{rule.also})\b") if rule.also else None,
            rule.ordinary_cause,
        )
        for rule in given
    )


@cache
def _vocabulary() -> tuple[frozenset[str], tuple[str, ...]]:
    words: set[str] = set(rules.VOCABULARY) | set(rules.SOUNDS_LIKE)
    for rule in rules.RULES:
        words.update(re.findall(r"[a-z]{5,}", f"{rule.pattern} {rule.also or ''}"))
    # The longest stem first, then in alphabetical order: the same reading in every process
    # (a set's order changes with each process's string hashing).
    ordered = tuple(sorted(words, key=lambda word: (-len(word), word)))
    return frozenset(words), ordered


@lru_cache(maxsize=65_536)  # bounded: people write words without end
def _correct(word: str) -> str:
    known, stems = _vocabulary()
    if word in rules.REAL_WORDS:
        return word
    if 4 <= len(word) <= 6 and word not in known and word.isalpha():
        # A doubled letter typed once ("dizy", "swolen"): the commonest slip on a phone.
        doubled = (word[: i + 1] + word[i:] for i in range(1, len(word)))
        found = next((w for w in doubled if w in known), None)
        if found is not None:
            return found
    if len(word) == 4 and word not in known:  # short words: two letters swapped only
        return next((w for w in rules.SHORT_WORDS if sorted(w) == sorted(word)
                     and _one_slip(word, w)), word)  # fmt: skip
    if len(word) < 5 or word in known or word in rules.REAL_WORDS or not word.isalpha():
        return word
    for stem in stems:
        # Slips are rare on the first letter; and a short stem is only read as a whole word
        # (else "maintenant" would start like "faint").
        if stem[0] != word[0] or len(stem) > len(word) + 1:
            continue
        if len(stem) < 6 and len(word) > len(stem) + 1:
            continue
        if stem == f"{word}s":
            return word  # a singular is no slip
        head = word[: len(stem)]
        if head == stem:
            return word
        if _one_slip(head, stem):
            return stem + word[len(stem) :]
        if len(word) >= len(stem) and _one_slip(word[: len(stem) + 1], stem):  # a letter extra
            return stem + word[len(stem) + 1 :]
        if len(word) + 1 == len(stem) and _one_slip(word, stem):  # a letter missing, at the end
            return stem
    return next((w for w in rules.SOUNDS_LIKE if _one_letter_changed(word, w)), word)


def _one_letter_changed(a: str, b: str) -> bool:
    """The same length and one letter other, past the first."""
    return len(a) == len(b) and a[0] == b[0] and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _one_slip(a: str, b: str) -> bool:
    """One letter added or dropped, or two neighbours swapped (and not identical).

    Not a letter changed for another: that turns real words into others ("couter", to cost,
    would read "couper", to cut).
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _without_history(folded: str) -> str:
    """`folded` with what tells of a long-standing condition cut out, so that its "since" or
    "depuis" ("depuis 10 ans, le traitement…") links no symptom to the study treatment."""
    return _HISTORY.sub(" ; ", folded)


def _linked(folded: str) -> bool:
    """Whether the message ties something to the study treatment, history aside."""
    return _TREATMENT_LINK.search(_without_history(folded)) is not None


def _negated(folded: str, match: re.Match[str], fear_counts: bool = False) -> bool:
    """A negation among the few words before the match, or within it.

    With `fear_counts`, being afraid of it is saying it (thoughts of self-harm).
    """
    words = folded[: match.start()].split()
    before = " ".join(words[-5:])
    if _LISTED.search(before):  # "no chest pain or shortness of breath": one negation for all
        before = " ".join(words[-9:])
    near = _NOT_A_NEGATION.sub(" ", f"{before} {match.group(0)}")
    if fear_counts:
        near = _FEAR.sub(" ", near)
    return _NEGATION.search(near) is not None


_NEGATION = re.compile(rules.NEGATION)
_NOT_A_NEGATION = re.compile(rules.NOT_A_NEGATION)
_FEAR = re.compile(rules.FEAR)
_LISTED = re.compile(r"\b(?:or|nor|neither|ni|ou)\b")
_NOT_NOW = re.compile(rules.NOT_NOW)
_SUICIDE_HINT = re.compile(rules.SUICIDE_HINT)
_FIGURES_OF_SPEECH = re.compile(rules.FIGURES_OF_SPEECH)
_SOMEONE = re.compile(rules.SOMEONE)
_REASSURED = re.compile(rules.REASSURED)
_IN_CARE = re.compile(rules.IN_CARE)
_AFRAID_OF_THE_TREATMENT = re.compile(
    r"\b(?:scared|afraid|frightened|nervous|worried|peur|inquiete?|angoisse\w*) (?:to|of|about|"
    r"de|d'|a l'idee de) (?:use|using|take|taking|keep|keeping|continue|continuing|prendre|"
    r"utiliser|continuer|reprendre|the|la|le|les|l')\w*\b(?: (?:it|them|using|taking|inhaler|"
    r"tablets?|pills?|injections?|treatment|le|la|les))*"
)
_DANGER_CUES = re.compile(rules.DANGER_CUES)
_MILD_MENTIONS = re.compile(rules.MILD_MENTIONS)
_HISTORY = re.compile(rules.HISTORY)
_GENERAL_QUESTION = re.compile(rules.GENERAL_QUESTION)
_EXERTION = re.compile(rules.EXERTION)
_ACUTE = re.compile(rules.ACUTE)
_SYMPTOM = re.compile(rf"\b(?:{rules.SYMPTOM})\b")
_GOOD = re.compile(rules.GOOD)
_ASKS_ABOUT_TRIAL = re.compile(rules.ASKS_ABOUT_TRIAL)
_MINOR = re.compile(rules.MINOR)
_OPENS_AS_QUESTION = re.compile(rules.OPENS_AS_QUESTION)
_ASKED_AFTER = re.compile(rules.ASKED_AFTER)
_HAPPENING_NOW = re.compile(rules.HAPPENING_NOW)
_TREATMENT_LINK = re.compile(rf"\b(?:{rules.TREATMENT_LINK})\b")
