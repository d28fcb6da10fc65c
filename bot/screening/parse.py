"""Answers to screening questions as people type them, in English and French.

`45`, `quarante-cinq ans`, `I'm 45`, `7,5`, `7.5 %`, `1m70`, `deux fois`, `oui, il y a plus de
12 mois`, `nope never`, `je ne sais pas`, `c'est le type 2`, `woman`, `en mars dernier`,
`depuis qu'elle est toute petite`, `dunno, maybe 7.5`, `oui, c'est grave ?`...
Each becomes the value the evaluator expects, "don't know" (None), or a reason to ask again —
never a guess: an answer that could mean two things is asked again. A number given with doubt
is the number; an answer followed by a question is the answer (the question is left aside).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from bot.screening.criteria import NUMERIC, Answer, Criteria, Question
from bot.screening.evaluate import holds
from bot.screening.words import digits, period_days, rate, span, without_times
from bot.wording import clauses, fold


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
    r"(je\s*)?(ne\s*)?(sais|sait)\s*pas|j\s*sais\s*pas|chais\s*pas|chai\s*pas|jsp|aucune\s*idee|"
    r"pas\s*sur|"
    r"je\s*ne\s*me\s*souviens\s*(plus|pas)|sais\s*plus|(ne\s*)?connais\s*pas|"
    r"i\s*(do\s*n.?t|dont)\s*remember)\b"
)
# Yes and no as people write them, with extra words: "oui, il y a plus de 12 mois", "nope never".
# Longest first; a no is read before a yes so that "I don't" is not taken for "I do".
_YES = (
    "yes", "yeah", "yea", "yah", "yep", "yup", "yess", "yh", "yeh", "sure", "of course", "ofc",
    "definitely", "absolutely", "certainly", "correct", "indeed", "true", "affirmative",
    "that s right", "i do", "i am", "i have", "i did", "i think so", "i guess so", "yes please",
    "oui", "ouais", "ouai", "ouii", "ouep", "ouaip", "oue", "ui", "wi", "voui", "bien sur",
    "bien sure",
    "evidemment", "carrement", "tout a fait", "exact", "exactement", "absolument",
    "certainement", "effectivement", "affirmatif", "c est ca", "c est bien ca", "je pense que oui",
    "je crois que oui", "je suis", "j en ai", "en effet",
)  # fmt: skip
_NO = (
    "no", "nope", "nah", "naw", "nop", "noo", "non", "nan", "nn", "never", "not", "none",
    "nothing", "not really", "not at all", "no way", "not anymore", "not any more", "no longer",
    "i don t", "i dont", "don t", "dont", "i do not", "i m not", "im not", "i am not",
    "i haven t", "i havent", "i have not", "i didn t", "i did not", "i quit", "i stopped",
    "used to", "i used to",
    "jamais", "jms", "jamai", "pas", "pas vraiment", "pas du tout", "absolument pas", "aucun",
    "aucune", "du tout", "plus maintenant", "j ai arrete", "je pense que non", "je crois pas",
    "je crois que non", "negatif", "ni",
)  # fmt: skip
_ALONE = {"y": True, "si": True, "right": True, "n": False}  # only as the whole answer
_FRENCH_NEGATION = re.compile(r"\b(ne|n)\b(\s+\w+){1,3}\s+(pas|plus|jamais|point)\b")
# Spoken French drops the "ne": "j'en prends plus" is "no longer", "j'en prends plus de 2" is not.
_NO_LONGER = re.compile(
    r"\b(prends?|prend|pren|prenais|utilise|utilisais|fume|fumais|ai|a) plus\b(?! (de|d|que|qu)\b)"
)
_UNSURE = re.compile(
    r"\b(maybe|perhaps|possibly|probably|sometimes|occasionally|rarely|kind of|sort of|"
    r"peut etre|ptet|ptetre|probablement|parfois|des fois|de temps en temps|rarement|"
    r"plus ou moins|a peu pres)\b"
)
# Someone else in the answer ("no but my brother yes"): a yes or no is only theirs when it
# opens the answer.
_SOMEONE_ELSE = re.compile(
    r"\b(my|mon|ma|mes)\s+(brother|sister|mother|mom|mum|dad|father|wife|husband|son|daughter|"
    r"partner|friend|kid|kids|child|children|grandma|grandmother|grandpa|grandfather|uncle|aunt|"
    r"cousin|family|frere|soeur|mere|pere|femme|mari|fils|fille|conjoint|conjointe|copain|"
    r"copine|ami|amie|enfant|enfants|grand mere|grand pere|oncle|tante|cousine|famille)\b|"
    r"\b(maman|papa)\b"
)
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,4})(?:[.,](\d{1,3}))?(?![\w.,]*\d)")
_METRES = re.compile(r"\b(\d)\s*m\s*(\d{1,2})\b")  # 1m70


@dataclass(frozen=True)
class Extracted:
    """What one message answered: the question asked and any other it clearly spoke of."""

    answers: dict[str, Answer]
    unclear: Unclear | None  # the asked question was not answered, and what would answer it


# Pieces of a message that may each answer a question: "I'm 45, and I don't smoke". A comma or
# a point between two digits is a decimal ("7,5"), not a break.
_CLAUSES = re.compile(
    r"(?<!\d)[.,]|[.,](?!\d)|[;!?\n]|\s(?:and|but|also|mais|aussi|puis)\s|"
    r"\s(?=ni\s)|"  # "ni insuline ni dialyse": "ni insuline", "ni dialyse"
    # "et" joins two answers, not the parts of "quarante et un", "soixante et onze".
    r"(?<!vingt)(?<!trente)(?<!quarante)(?<!cinquante)(?<!soixante)\set\s",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(not|no|never|nope|don t|dont|doesn t|didn t|haven t|hasn t|isn t|aren t|wasn t|"
    r"quit|stopped|gave up|ne|n|pas|jamais|plus(?! (?:de|d|que|qu)\b)|non|aucun|aucune|arrete)\b"
)


def extract(
    criteria: Criteria,
    text: str,
    lang: str,
    asked: Question | None,
    answered: set[str],
    today: dt.date | None = None,
) -> Extracted:
    """Read the answer to `asked`, and to other unanswered questions a part of `text` names.

    A part names a question when it holds one of the question's keywords (and, for a number,
    a number or "I don't know"). A part that names no question, or several, answers the one
    asked. Nothing is guessed: a part that cannot be read is left for its own question. A
    question that follows from an answer given here and asks when ("type 2, for 3 years":
    diagnosed at least 6 months ago?) takes the time said with it.
    """
    today = today or dt.date.today()
    clauses = [clause for clause in (piece.strip() for piece in _CLAUSES.split(text)) if clause]
    if asked is not None and _asked_back(asked, text, clauses):
        return Extracted({}, Unclear(expected(asked, lang)))
    found: dict[str, Answer] = {}
    said: dict[str, str] = {}  # the part each answer was read from
    left: list[str] = []
    unclear: Unclear | None = None
    set_aside = False  # a part that says yes again to a question answered before
    for clause in clauses:
        words, unnamed = _words(clause), _without_names(criteria, clause)
        named = [
            q
            for q in criteria.questions
            if q.id not in answered and q.id not in found and _names(q, words, unnamed, lang)
        ]
        if asked is not None and len(named) > 1 and asked in named:
            named = [asked]
        if not named and _about_an_earlier_yes(criteria, asked, answered, words, unnamed, lang):
            set_aside = True
            continue
        if len(named) != 1:
            left.append(clause)
            continue
        question = named[0]
        reading = _read(question, clause, words, lang, today)
        if isinstance(reading, Parsed):
            found[question.id], said[question.id] = reading.value, clause
        elif question is asked:
            unclear = reading
            break
    else:
        if asked is not None and left:
            unclear = _read_rest(asked, found, left, lang, today, doubtful=_doubtful(text))
            if unclear is None and asked.id in found:
                said.setdefault(asked.id, " ".join(left))
        elif asked is not None and set_aside and not found:
            unclear = Unclear(expected(asked, lang))
    found.update(_follow_ups(criteria, found, said, left, answered, today))
    return Extracted(found, unclear)


def _about_an_earlier_yes(
    criteria: Criteria,
    asked: Question | None,
    answered: set[str],
    words: str,
    clause: str,
    lang: str,
) -> bool:
    """Whether a part says yes about a yes/no question answered before, and nothing of the one
    asked: "yup metformin 850", typed under the insulin question by someone still answering the
    metformin one, is no yes to insulin. "no, just the metformin" still answers no."""
    if asked is None or asked.type != "yes_no" or _NEGATION.search(words):
        return False
    if _names(asked, words, clause, lang):
        return False
    return any(
        q.id in answered and q.type == "yes_no" and _names(q, words, clause, lang)
        for q in criteria.questions
    )


def _read_rest(
    asked: Question,
    found: dict[str, Answer],
    left: list[str],
    lang: str,
    today: dt.date,
    *,
    doubtful: bool,
) -> Unclear | None:
    """Read the asked question from the parts that named no question, into `found`.

    "Dunno my HbA1c, maybe 7.5": a number after a "don't know" is the answer. "Oui, c'est
    grave ?": an answer followed by a question is the answer, the question left aside.
    """
    if asked.id in found:
        if found[asked.id] is None and asked.type in NUMERIC:
            reading = parse(asked, " ".join(left), lang, today)
            if isinstance(reading, Parsed) and reading.value is not None:
                found[asked.id] = reading.value
        return None
    reading = parse(asked, " ".join(left), lang, today)
    # The question after the answer, when the whole cannot be read: "oui, c'est pas grave ?".
    for end in range(len(left) - 1, 0, -1) if doubtful else ():
        if isinstance(reading, Parsed):
            break
        reading = parse(asked, " ".join(left[:end]), lang, today)
    if isinstance(reading, Parsed) and reading.value is None and found:
        return None  # "I don't know my HbA1c, no idea": the "no idea" is about the HbA1c
    if isinstance(reading, Parsed):
        found[asked.id] = reading.value
        return None
    return reading


def _follow_ups(
    criteria: Criteria,
    found: dict[str, Answer],
    said: dict[str, str],
    left: list[str],
    answered: set[str],
    today: dt.date,
) -> dict[str, Answer]:
    """Questions about when, that follow from an answer just given, answered by the time said
    with it: "type 2 depuis 3 ans" also says type 2 was diagnosed at least 6 months ago."""
    more: dict[str, Answer] = {}
    for question in criteria.questions:
        condition = question.ask_if
        if question.type != "yes_no" or condition is None or question.id in answered:
            continue
        parent = criteria.question(condition.question)
        value = found.get(condition.question)
        if question.id in found or parent is None or value is None:
            continue
        if not holds(condition, parent, value):
            continue
        parts = [said.get(parent.id, ""), *(part for part in left if _about_then(part))]
        for part in dict.fromkeys(parts):
            within = _time_answer(question, _words(part), today) if part else None
            if within is not None:
                more[question.id] = within
                break
    return more


# A part that may date the answer before it: "depuis 2019", "diagnosed 2 years ago", "il y a
# 3 ans" — not "a heart attack 2 months ago", which dates something else.
_THEN = re.compile(
    r"\b(diagnos\w*|depuis|dpuis|since|for|found out|decouvert\w*|told|dit|had it|l ai|l a)\b"
)


def _about_then(part: str) -> bool:
    words = _words(part)
    return bool(_THEN.search(words)) or len(words.split()) <= 4


def _doubtful(text: str) -> bool:
    return text.rstrip().endswith("?")


def _asked_back(asked: Question, text: str, clauses: list[str]) -> bool:
    """A yes/no question asked back rather than answered: "c'est pas remboursé ?" holds a "pas"
    but asks; "je crois pas ?", where the no opens the message, answers with doubt."""
    if asked.type != "yes_no" or not _doubtful(text) or len(clauses) != 1:
        return False
    found = _yes_and_no(_words(text))
    return bool(found) and min(at for at, _ in found) > 0


def _without_names(criteria: Criteria, clause: str) -> str:
    """`clause` without the keywords that hold a number: the 2 of "type 2" is not an age."""
    folded = fold(clause)
    for question in criteria.questions:
        for keyword in (k for ks in question.keywords.values() for k in ks if re.search(r"\d", k)):
            folded = re.sub(rf"\b{re.escape(fold(keyword))}\b", " ", folded)
    return folded


def _names(question: Question, words: str, clause: str, lang: str) -> bool:
    keywords = question.keywords.get(lang, ()) + (
        question.keywords.get("en", ()) if lang != "en" else ()
    )
    if not any(_has_keyword(words, keyword) for keyword in keywords):
        return False
    if question.type in NUMERIC:
        # "diagnosed 3 years ago" says nothing of the age: times are left out.
        numbers = without_times(digits(fold(clause)))
        return bool(_NUMBER.search(numbers) or _METRES.search(numbers)) or _dont_know(words)
    return True


def _has_keyword(words: str, keyword: str) -> bool:
    """A keyword starts a word ("smok": smoker, smoking); one under 4 letters is a whole word."""
    folded = _words(keyword)
    last = folded.rsplit(" ", 1)[-1]
    end = "" if len(last) >= 4 else r"\b"
    return bool(folded) and re.search(rf"\b{re.escape(folded)}{end}", words) is not None


def _read(
    question: Question, clause: str, words: str, lang: str, today: dt.date | None
) -> Parsed | Unclear:
    """A part of a message that names `question`: "I don't smoke" is a no, "I smoke" a yes."""
    if question.type != "yes_no" or _dont_know(words):
        return parse(question, clause, lang, today)
    plain = parse(question, clause, lang, today)
    if isinstance(plain, Parsed):
        return plain
    return Parsed(not _NEGATION.search(words))


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _dont_know(words: str) -> bool:
    return bool(_DONT_KNOW.search(words)) or words in ("idk", "?", "nsp")


# How a question starts, in the middle of the questions. Stricter than a question in general
# (`bot.wording`): answers start with "peut-être", "quand j'étais petit", "when I was a kid".
_ASKING = re.compile(
    r"^(?:(?:and|so|but|ok|et|mais|alors|euh|ah|oh|um|wait|hang on|hold on|sorry|actually|"
    r"attends|attendez|pardon|au fait) )*(?:what|whats|wat|how|why|where|who|which|"
    r"is there|are there|is it|is this|is that|will i|will it|will there|will the|can i|can you|"
    r"could i|could you|do i|do you|does it|does the|should i|would i|what s|how s|"
    r"est ce|combien|comment|pourquoi|c quoi|c koi|c est quoi|cest quoi|qu est ce|quel|quelle|"
    r"quels|quelles|y a t il|ya t il|y a t|puis je|je peux|jpeux|on peut|peut on|pouvez vous|"
    r"dois je|faut il|a quoi|qui|ca sert|ca veut dire|"
    r"if (?:i|it|you|there|my)|et si|and if)\b"
)


# What puts an answer off until a question is answered.
_FIRST = re.compile(
    r"^(?:(?:ok|sorry|oh|um|euh|pardon|desole) )*(?:before (?:i|we) (?:answer|go on|carry on)|"
    r"wait|hang on|hold on|one (?:question|thing)|quick question|just (?:a question|wondering)|"
    r"avant de (?:repondre|continuer)|attend\w*|une question|petite question|juste une question|"
    # "sorry what?? what counts as a course": a first part that only asks to be told again.
    r"(?:what|wat|huh|eh|hein|quoi|pardon|sorry|comment|hmm|i dont get it|je comprends pas)$)"
)


def asks(text: str) -> bool | Literal["maybe"]:
    """Whether a message asks rather than answers: "is there a placebo?" does, "45?" does not,
    and "2 fois ?" may (an answer typed with doubt, if it reads as one)."""
    words = _words(text)
    parts = [part for part in clauses(text) if _words(part)]  # "what??" leaves a bare "?"
    if _ASKING.search(words) or (
        len(parts) > 1 and _FIRST.search(_words(parts[0])) and _ASKING.search(_words(parts[1]))
    ):
        return True  # "before I answer, what number can I ring?"
    if text.rstrip().endswith("?") and len(words.split()) > 2:
        return "maybe"
    return False


def parse(
    question: Question, text: str, lang: str, today: dt.date | None = None
) -> Parsed | Unclear:
    """The answer `text` gives to `question`, "don't know", or what is expected instead."""
    if question.type == "choice" and text.strip() in question.options:
        return Parsed(text.strip())  # a button's payload is the option's key
    words = _words(text)
    if _dont_know(words):
        return _hedged(question, text, lang)
    today = today or dt.date.today()
    if question.type == "yes_no":
        return _yes_no(question, words, lang, today)
    if question.type == "choice":
        return _choice(question, words, lang, today)
    if question.type == "date":
        return _date(fold(text), lang, today)
    return _number(question, fold(text), lang)


def _hedged(question: Question, text: str, lang: str) -> Parsed:
    """ "Not sure, maybe 7.5": a number given with doubt is still the number; a time ("I don't
    know, it was 3 months ago") is not one, and "I don't know" alone stays "don't know"."""
    if question.type in NUMERIC:
        reading = _number(
            question, without_times(digits(fold(text), articles=_counts(question))), lang
        )
        if isinstance(reading, Parsed):
            return reading
    return Parsed(None)


def expected(question: Question, lang: str) -> str:
    """What answers `question`, in a few words: "yes or no", "a number from 0 to 120"..."""
    if question.type == "yes_no":
        return "oui ou non" if lang == "fr" else "yes or no"
    if question.type == "choice":
        labels = [labels.get(lang, key) for key, labels in question.options.items()]
        return (" ; " if lang == "fr" else "; ").join(labels)
    if question.type == "date":
        return _DATE_EXPECTED[lang]
    return _range_text(question, lang)


def _yes_no(question: Question, words: str, lang: str, today: dt.date) -> Parsed | Unclear:
    said = _polarity(words)
    within = _time_answer(question, words, today)
    if within is not None and said is not False:
        return Parsed(within)  # "yes, 2 months ago" to "at least 6 months ago?" is a no
    if within is not None and said is False and within is False:
        return Parsed(False)
    if said is not None and within is None:
        return Parsed(said)
    return Unclear(expected(question, lang))


def polarity(text: str) -> bool | None:
    """Yes (True) or no (False) as people write them ("ouais", "nop", "nn", "not anymore"), for
    readers of other questions than the pre-screening's; None when neither, both or unsure."""
    return _polarity(_words(text))


def _polarity(words: str) -> bool | None:
    """True for a yes, False for a no, None when neither or both (or someone else's)."""
    words = re.sub(r"([a-z])\1{2,}", r"\1", words)  # "ouiii", "nooo"
    # "yes i never skip it": never missing it is a yes, not a no.
    words = re.sub(r"\b(?:never|jamais) (?:skip|miss|forget|oublie|rate|saute)\w*", "always", words)
    if words in _ALONE:
        return _ALONE[words]
    if not words or _UNSURE.search(words):
        return None
    found = _yes_and_no(words)
    meanings = {meaning for _, meaning in found}
    if len(meanings) != 1:
        return None
    if _SOMEONE_ELSE.search(words) and min(at for at, _ in found) > 0:
        return None  # "my brother yes": not about the person
    return meanings.pop()


def _yes_and_no(words: str) -> list[tuple[int, bool]]:
    """Each yes (True) and no (False) in `words`, with the index of the word it starts at."""
    found: list[tuple[int, bool]] = []
    rest = f" {words} "
    for phrases, meaning in ((_NO, False), (_YES, True)):
        for phrase in sorted(phrases, key=len, reverse=True):
            while f" {phrase} " in rest:
                at = rest.index(f" {phrase} ")
                found.append((len(rest[:at].split()), meaning))
                rest = rest[:at] + " " + "_ " * len(phrase.split()) + rest[at + len(phrase) + 1 :]
    for negation in (_FRENCH_NEGATION.search(words), _NO_LONGER.search(words)):
        if negation:
            found.append((len(words[: negation.start()].split()), False))
    return found


def _time_answer(question: Question, words: str, today: dt.date) -> bool | None:
    """For a question bound to a time ("at least 6 months ago?", "in the last 3 months?"):
    whether the time the answer gives is inside it; None if it gives none or straddles it."""
    window = _window(question, today)
    when = span(digits(words), today) if window is not None else None
    if window is None or when is None or (when.earliest is None and when.latest is None):
        return None
    low, high = when.months_ago(today)
    if low >= window[0] and high <= window[1]:
        return True
    if high < window[0] or low > window[1]:
        return False
    return None


def _window(question: Question, today: dt.date) -> tuple[float, float] | None:
    text = fold(question.text.get("en", ""))
    when = span(text, today)
    if when is None or (when.earliest is None and when.latest is None):
        return None
    return when.months_ago(today)


def _choice(question: Question, words: str, lang: str, today: dt.date) -> Parsed | Unclear:
    """The one option the answer points to: by its words, a distinctive word, its time, or a
    yes or no when one option alone says it; two clues that disagree are asked again."""
    words = _synonyms(digits(words))
    clues = [
        _by_label(question, words, lang),
        _by_word(question, words),
        _by_time(question, words, today),
        _by_polarity(question, words),
    ]
    found: set[str] | None = None
    for clue in clues:
        if clue:
            found = set(clue) if found is None else found & clue
    if found is not None and len(found) == 1:
        return Parsed(found.pop())
    return Unclear(expected(question, lang))


def _labels(question: Question, key: str, *, with_key: bool = True) -> list[str]:
    labels = (*question.options[key].values(), key.replace("_", " ") if with_key else "")
    return [_words(label) for label in labels if label]


def _by_label(question: Question, words: str, lang: str) -> set[str]:
    found = {
        key
        for key in question.options
        for label in _labels(question, key)
        if _contains(words, _synonyms(digits(label)))
    }
    return found if len(found) == 1 else set()


def _by_word(question: Question, words: str) -> set[str]:
    """Options with a word no other option has ("2" in "type 2", "woman"), typos allowed."""
    vocabulary = {
        key: {
            word
            for label in _labels(question, key, with_key=False)  # keys are not shown
            for word in _synonyms(digits(label)).split()
            if word not in _STOP_WORDS
        }
        for key in question.options
    }
    known = set().union(*vocabulary.values())
    given = [word for word in words.split() if word not in _STOP_WORDS]
    found = set()
    for key, own in vocabulary.items():
        others = set().union(*(v for k, v in vocabulary.items() if k != key))
        for word in own - others:
            # A typo is a word no option has: "mois" is not a typo for "moins".
            if any(
                typed == word or (typed not in known and _same_word(word, typed)) for typed in given
            ):
                found.add(key)
    return found


def _same_word(word: str, typed: str) -> bool:
    if word == typed:
        return True
    if len(word) < 5 or word.isdigit() or typed.isdigit():
        return False
    allowed = 1 if len(word) < 8 else 2
    return _distance(word, typed) <= allowed


def _distance(first: str, second: str) -> int:
    """Edits (insert, delete, replace, swap two letters) from one word to the other."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _by_time(question: Question, words: str, today: dt.date) -> set[str]:
    """The option whose time ("12 months ago or more") holds the time given ("depuis 2019")."""
    when = span(words, today)
    if when is None:
        return set()
    low, high = when.months_ago(today)
    found = set()
    for key, labels in question.options.items():
        window = span(digits(_words(labels.get("en", ""))), today)
        if window is None or (window.earliest is None and window.latest is None):
            continue
        first, last = window.months_ago(today)
        if low >= first and high <= last:
            found.add(key)
    return found if found else set()


def _by_polarity(question: Question, words: str) -> set[str]:
    """A plain yes or no, when the options open with yes or no ("Yes, 12 months ago or more")."""
    said = _polarity(words)
    if said is None:
        return set()
    return {
        key
        for key, labels in question.options.items()
        if _polarity(_words(labels.get("en", "")).split(" ")[0]) is said
    }


# Other ways to say an option's words: "t2" is "type 2", "woman" is "female".
_SYNONYMS = {
    "t2": "type 2", "t1": "type 1", "dt2": "type 2", "dt1": "type 1", "db2": "type 2",
    "db1": "type 1", "deuxieme": "2", "premier": "1",
    "woman": "female", "women": "female", "lady": "female", "girl": "female",
    "fille": "femme", "feminin": "femme", "nana": "femme",
    "man": "male", "men": "male", "guy": "male", "boy": "male",
    "garcon": "homme", "masculin": "homme", "mec": "homme",
}  # fmt: skip
_LETTERS = {"f": "female", "m": "male", "h": "homme"}  # as the whole answer only ("i m")
_STOP_WORDS = frozenset((
    "a", "an", "the", "of", "or", "and", "to", "i", "m", "im", "it", "is", "my", "de", "du", "des",
    "le", "la", "les", "l", "un", "une", "ou", "et", "ce", "c", "est", "j", "ai", "je", "il", "y",
))  # fmt: skip


def _synonyms(words: str) -> str:
    words = re.sub(r"\btype (ii|i)\b", lambda m: f"type {len(m[1])}", words)
    words = re.sub(r"\btype([12])\b", r"type \1", words)  # "type2"
    if words in _LETTERS:
        return _LETTERS[words]
    return " ".join(_SYNONYMS.get(word, word) for word in words.split())


def _contains(words: str, label: str) -> bool:
    """The label's words appear in the answer, or the answer is a distinctive part of the label."""
    if f" {label} " in f" {words} ":
        return True
    return len(words) >= 3 and f" {words} " in f" {label} " and not words.isdigit()


_ZERO = re.compile(
    r"\b(none|never|not once|not a single|zero|nil|no|nope|aucune?|jamais|pas une seule|"
    r"pas une fois|zero fois|non)\b"
)


_NOT_ONCE = re.compile(
    r"\b(pas une seule|pas une fois|pas 1 fois|not once|not a single|not even once)\b"
)


def _number(question: Question, text: str, lang: str) -> Parsed | Unclear:
    counted = _counts(question)
    if counted and _NOT_ONCE.search(_words(text)):
        return Parsed(0)
    # An article is a number only where the question counts: "a course" is 1 course, no age.
    text = digits(text, approximate=counted, articles=counted)
    value: float | None = None
    metres = _METRES.search(text)
    numbers = _NUMBER.findall(text)
    # Times are not the answer: "my last HbA1c, 3 months ago, was 7.5"; "since I was 5".
    untimed = _NUMBER.findall(without_times(text))
    if len(numbers) > 1 or not untimed:
        numbers = untimed
    if len(numbers) > 1:
        # "the last one was 8.2": a word read as a number that cannot be the answer is not it.
        numbers = [n for n in numbers if _within(question, float(f"{n[0]}.{n[1] or 0}"))]
    aged = _AGED.findall(text)
    if len(numbers) > 1 and len(aged) == 1 and _asks_age(question):
        numbers = aged  # "59 ans bientot 60": the age is the number said as years
    if metres:
        value = int(metres[1]) + int(metres[2]) / (100 if len(metres[2]) == 2 else 10)
    elif counted and (found := rate(text)) and (days := period_days(question.text["en"])):
        value = float(round(found.count * days / found.days))
    elif len(numbers) == 1:
        whole, fraction = numbers[0]
        value = float(f"{whole}.{fraction}" if fraction else whole)
    elif counted and not numbers and _ZERO.search(_words(text)):
        value = 0.0  # "none", "jamais", "pas une seule fois"
    expected = _range_text(question, lang)
    if value is None:
        return Unclear(expected)
    if question.type in ("integer", "scale"):
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


# A number said as an age: "59 ans", "45 years old", "63yo".
_AGED = re.compile(r"(\d+)(?:[.,](\d+))? ?(?:ans|years?(?: old)?|yrs?|yo|y/o)\b")


def _asks_age(question: Question) -> bool:
    asked = fold(" ".join(question.text.values()))
    return question.id == "age" or bool(re.search(r"\bage\b|\bold\b", asked))


def _within(question: Question, value: float) -> bool:
    return (question.min is None or value >= question.min) and (
        question.max is None or value <= question.max
    )


def _counts(question: Question) -> bool:
    """A question that counts ("how many times"), where "twice" and "none" are answers."""
    return question.type == "integer" and bool(
        re.search(r"\bhow many\b|\bcombien\b", fold(" ".join(question.text.values())))
    )


def _range_text(question: Question, lang: str) -> str:
    def shown(value: float) -> str:
        text = f"{value:g}"
        return text.replace(".", ",") if lang == "fr" else text

    if question.min is not None and question.max is not None:
        if lang == "fr":
            return f"un nombre entre {shown(question.min)} et {shown(question.max)}"
        return f"a number from {shown(question.min)} to {shown(question.max)}"
    return "un nombre" if lang == "fr" else "a number"


_DATE_EXPECTED = {
    "en": "a date, e.g. 14/03/2021 or March 2021",
    "fr": "une date, par exemple 14/03/2021 ou mars 2021",
}


def _date(text: str, lang: str, today: dt.date) -> Parsed | Unclear:
    """A day, or the first day of the month, season or year given ("last summer": 1 June)."""
    when = span(text, today)
    if when is None or when.earliest is None or when.latest is None:
        return Unclear(_DATE_EXPECTED[lang])
    if (when.latest - when.earliest).days > 366 or when.earliest > today:
        return Unclear(_DATE_EXPECTED[lang])
    return Parsed(when.earliest.isoformat())
