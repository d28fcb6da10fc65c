"""A question about someone else, as the entries ask it: for oneself.

The entries' example questions are in the first person ("can I stop whenever I want?"). Relatives
and carers ask the same thing about the person they help: "can he stop the study whenever he
wants?", "she's 70, can she still take part at her age", "elle a 72 ans, c'est pas trop vieux
pour un essai ?". Both the encoder and the word scores read those further from the entry than
the person's own question. `for_oneself` gives the question as the person would ask it of
themselves; the search scores both readings and keeps each entry's better score, so that
nothing asked in the first person changes.

Only a question that is all about someone else is turned: one with a subject "he"/"she"
("il"/"elle") and no word of the asker's own ("I", "my", "je", "mon"…). "im my nan's carer, can
i do the paperwork for her" stays as it is: it is about acting for someone, which the carers'
entry answers. "they" is left alone: in these questions it is mostly the study team ("will they
pay me").
"""

from __future__ import annotations

import re

_EN_OWN = re.compile(r"\b(i|i'm|i’m|im|i've|ive|i'd|i'll|me|my|mine|myself|we|us|our)\b", re.I)
_FR_OWN = re.compile(r"(\b(je|moi|mon|ma|mes|nous|nos|notre)\b|\bj['’]|\bm['’])", re.I)

# Words after which "her" is "me", not "my": "for her to sign", "tell her if".
_LINKS = "to|for|about|if|and|or|in|on|at|with|by|from|that|the|a|an"
# Words that make a question about someone else: without one, nothing is turned.
_EN_ABOUT = re.compile(r"\b(?:he|she|him|his|her|himself|herself)\b", re.I)
# "my husband", "my mum's": the person asked about, not words of the asker's own.
_EN_RELATIVE = re.compile(
    r"\bmy (?:mum|mom|mother|dad|father|husband|wife|partner|son|daughter|child|kid|boy|girl|"
    r"nan|nana|gran|granny|grandma|grandmother|grandad|grandpa|grandfather|brother|sister|"
    r"friend|uncle|aunt|auntie|neighbour|neighbor|niece|nephew|boyfriend|girlfriend|cousin|"
    r"grandson|granddaughter|stepmum|stepmom|stepdad|stepson|stepdaughter|"
    r"(?:mother|father|son|daughter|brother|sister)[- ]in[- ]law)(?:'s|’s)?\b",
    re.I,
)
_FR_RELATIVE = re.compile(
    r"\b(?:mon|ma) (?:mère|maman|père|papa|mari|femme|épouse|époux|conjoint|conjointe|"
    r"compagnon|compagne|fils|fille|enfant|grand-mère|grand-père|mamie|papi|papy|frère|"
    r"sœur|soeur|ami|amie|oncle|tante|voisin|voisine|copain|copine|cousin|cousine|"
    r"belle-mère|beau-père|belle-fille|beau-fils|belle-sœur|belle-soeur|beau-frère|"
    r"petit-fils|petite-fille|marraine|parrain)\b",
    re.I,
)
# English, in this order: the subject with its verb first, then the subject alone, then the rest.
_EN_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:he|she)(?:'s|’s)\s+(?=\w+(?:ed|en|ing)\b)", re.I), "I've "),
    (re.compile(r"\b(?:he|she)(?:'s|’s)\b", re.I), "I'm"),
    (re.compile(r"\b(?:he|she) is\b", re.I), "I am"),
    (re.compile(r"\b(?:he|she) was\b", re.I), "I was"),
    (re.compile(r"\b(?:he|she) has\b", re.I), "I have"),
    (re.compile(r"\b(?:he|she) does\b", re.I), "I do"),
    (re.compile(r"\b(?:he|she) doesn(?:'|’)?t\b", re.I), "I don't"),
    (re.compile(r"\b(?:he|she) isn(?:'|’)?t\b", re.I), "I am not"),
    (re.compile(r"\b(?:he|she) hasn(?:'|’)?t\b", re.I), "I haven't"),
    (re.compile(r"\bis (?:he|she)\b", re.I), "am I"),
    (re.compile(r"\bisn(?:'|’)?t (?:he|she)\b", re.I), "am I not"),
    (re.compile(r"\bwas (?:he|she)\b", re.I), "was I"),
    (re.compile(r"\bhas (?:he|she)\b", re.I), "have I"),
    (re.compile(r"\bdoes (?:he|she)\b", re.I), "do I"),
    (re.compile(r"\b(?:he|she)\b", re.I), "I"),
    (re.compile(r"\b(?:himself|herself)\b", re.I), "myself"),
    (re.compile(r"\bhis\b", re.I), "my"),
    (re.compile(r"\bhim\b", re.I), "me"),
    # "her": "my" before a word it qualifies ("her age"), else "me" ("tell her", "for her?").
    (re.compile(rf"\bher\b(?=\s+(?!(?:{_LINKS})\b)[a-z])", re.I), "my"),
    (re.compile(r"\bher\b", re.I), "me"),
]  # fmt: skip
# After "I": "wants" → "want", "goes" → "go", "carries" → "carry"; "is"/"has"/"was" are above.
_EN_VERB = re.compile(r"\b(I) (\w+?)(ies|ches|shes|sses|xes|oes|s)\b")
_EN_NOT_VERBS = {"this", "always", "plus", "perhaps", "was", "is", "has", "does", "us", "less"}

# French: "il/elle" with the verbs questions use most, then the possessives.
_FR_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bpeut-(?:il|elle)\b", re.I), "puis-je"),
    (re.compile(r"\bdoit-(?:il|elle)\b", re.I), "dois-je"),
    (re.compile(r"\bva-t-(?:il|elle)\b", re.I), "vais-je"),
    (re.compile(r"\bsera-t-(?:il|elle)\b", re.I), "serai-je"),
    (re.compile(r"\bqu['’](il|elle)\b", re.I), r"que \1"),
    (re.compile(r"(?<![-\w])(?:il|elle) a\b", re.I), "j'ai"),
    (re.compile(r"(?<![-\w])(?:il|elle) est\b", re.I), "je suis"),
    (re.compile(r"(?<![-\w])(?:il|elle) peut\b", re.I), "je peux"),
    (re.compile(r"(?<![-\w])(?:il|elle) doit\b", re.I), "je dois"),
    (re.compile(r"(?<![-\w])(?:il|elle) va\b", re.I), "je vais"),
    (re.compile(r"(?<![-\w])(?:il|elle) veut\b", re.I), "je veux"),
    (re.compile(r"(?<![-\w])(?:il|elle) fait\b", re.I), "je fais"),
    (re.compile(r"(?<![-\w])(?:il|elle) sait\b", re.I), "je sais"),
    (re.compile(r"(?<![-\w])(?:il|elle) prend\b", re.I), "je prends"),
    (re.compile(r"(?<![-\w])(?:il|elle) (\w+)ra\b", re.I), r"je \1rai"),
    (re.compile(r"(?<![-\w])(?:il|elle) (\w+)rait\b", re.I), r"je \1rais"),
    (re.compile(r"(?<![-\w])(?:il|elle) (?=\w)", re.I), "je "),
    (re.compile(r"\bson\b", re.I), "mon"),
    (re.compile(r"\bsa\b(?! place)", re.I), "ma"),
    (re.compile(r"\bses\b", re.I), "mes"),
]  # fmt: skip
_FR_SUBJECT = re.compile(r"\b(?:il|elle)\b|-(?:il|elle)\b", re.I)
# "il y a", "il faut": no one's subject; kept as they are.
_FR_IMPERSONAL = re.compile(r"(\bil (?:y|faut|fait|s['’]agit|vaut|reste|suffit|pleut)\b)", re.I)
_JE_VOWEL = re.compile(r"(?<!-)\bje (?=[aeiouyhéè])", re.I)


def for_oneself(text: str, lang: str) -> str | None:
    """The question asked of oneself, or None when it is not all about someone else."""
    if lang == "en":
        return _english(text)
    if lang == "fr":
        return _french(text)
    return None


def _english(text: str) -> str | None:
    if not _EN_ABOUT.search(text) or _EN_OWN.search(_EN_RELATIVE.sub("", text)):
        return None
    for pattern, replacement in _EN_WORDS:
        text = pattern.sub(replacement, text)
    return _EN_VERB.sub(_base_form, text)


def _base_form(match: re.Match[str]) -> str:
    subject, stem, ending = match.groups()
    word = stem + ending
    if word.lower() in _EN_NOT_VERBS:
        return match.group(0)
    base = {"ies": stem + "y", "s": stem}.get(ending, stem + ending[:-2])
    return f"{subject} {base}"


def _french(text: str) -> str | None:
    without = _FR_IMPERSONAL.sub("", text)
    if not _FR_SUBJECT.search(without) or _FR_OWN.search(_FR_RELATIVE.sub("", text)):
        return None
    parts = _FR_IMPERSONAL.split(text)
    turned = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            for pattern, replacement in _FR_WORDS:
                part = pattern.sub(replacement, part)
        turned.append(part)
    return _JE_VOWEL.sub("j'", "".join(turned))
