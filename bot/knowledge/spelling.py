"""A question as the entries are written: SMS spelling and the commonest typos spelt out.

Patients type "wat r the side efects", "c koi les effets secondaires qd on fait un essai". The
entries, and the sentence encoder that compares questions with them, know "what are the side
effects", "c'est quoi … quand". Each word here is one people type for one word of the entries'
language, never a word of its own in that language: "pas", "on", "or" are not touched, and a
number stays a number ("4 visits" is no "for visits").
"""

from __future__ import annotations

import re

from bot.wording import fold

_SAID = {
    "en": {
        "wat": "what", "wot": "what", "wut": "what", "whats": "what is", "wats": "what is",
        "r": "are", "u": "you", "ya": "you", "ur": "your", "y": "why", "cn": "can", "cud": "could",
        "wud": "would", "shud": "should", "hav": "have", "wen": "when", "wer": "where",
        "hw": "how", "abt": "about", "bout": "about", "b4": "before", "bc": "because",
        "coz": "because", "cos": "because", "cuz": "because", "bcoz": "because",
        "gonna": "going to", "wanna": "want to", "gotta": "have to", "im": "i am", "ive": "i have",
        "dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "cannot",
        "wont": "will not", "isnt": "is not", "arent": "are not", "pls": "please",
        "plz": "please", "thx": "thanks", "ppl": "people", "sumthing": "something",
        "smth": "something", "sth": "something", "fone": "phone", "nmbr": "number",
        "numbr": "number", "tho": "though", "n": "and", "w": "with",
        "appt": "appointment", "appts": "appointments", "meds": "medicines",
        "info": "information", "tmrw": "tomorrow", "tmr": "tomorrow", "efects": "effects",
        "efect": "effect", "payed": "paid", "recieve": "receive",
        "gettin": "getting", "nd": "and", "anythin": "anything", "somethin": "something",
        "tbh": "", "lol": "", "hiya": "hi", "docs": "doctors",
        "dr": "doctor", "drs": "doctors",
    },
    "fr": {
        "c": "c'est", "koi": "quoi", "kwa": "quoi", "kel": "quel", "kelle": "quelle",
        "qd": "quand", "kan": "quand", "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi",
        "pourkoi": "pourquoi", "pr": "pour", "ds": "dans", "tt": "tout", "tjs": "toujours",
        "tjrs": "toujours", "bcp": "beaucoup", "jai": "j'ai", "jpeux": "je peux",
        "jveux": "je veux", "jvoudrais": "je voudrais", "jsuis": "je suis", "chui": "je suis",
        "jsais": "je sais", "cb": "combien", "cmb": "combien", "cbm": "combien", "ke": "que",
        "ki": "qui", "dc": "donc", "bjr": "bonjour",
        "slt": "salut", "pa": "pas",
        "medoc": "médicament", "medocs": "médicaments", "num": "numéro",
        "exams": "examens", "svp": "s'il vous plaît", "stp": "s'il te plaît", "jme": "je me",
        "jte": "je te", "jle": "je le", "jla": "je la", "jen": "j'en", "ya": "il y a",
        "yaura": "il y aura", "ptet": "peut-être", "ptete": "peut-être", "dacc": "d'accord",
        "pcq": "parce que", "psk": "parce que", "tkt": "",
        "mdr": "", "lol": "", "qqch": "quelque chose", "qqn": "quelqu'un", "qlq": "quelques",
        "auj": "aujourd'hui", "ajd": "aujourd'hui", "cad": "c'est-à-dire",
        "hosto": "hôpital", "hostos": "hôpitaux", "toubib": "médecin", "toubibs": "médecins",
        "paperasse": "papiers", "fric": "argent", "thunes": "argent", "exam": "examen",
    },
}  # fmt: skip
_WORD = re.compile(r"[\w'’]+|[^\w'’]+")
_ELIDED = re.compile(r"((?:[ldjmstnc]|qu)['’])(\w+)", re.I)


# What a person says around a question and no entry asks: a greeting before it ("helo do i get
# payed", "bonjour, je voudrais savoir…") and a word of manner after it ("…for me honestly",
# "…franchement"). Left in, they pull the question away from the entry's own wording.
_AROUND = {
    "en": (
        r"^(?:(?:hi|hello|helo|hey|hiya|heya|hallo|hullo|good (?:morning|afternoon|evening))"
        r"(?: there| team| all)?\b[\s,!.:-]*)+",
        r"(?:[\s,]+(?:honestly|seriously|thanks|thank you|cheers|please|lol))+(?=\W*$)",
    ),
    "fr": (
        r"^(?:(?:bonjour|bonsoir|salut|coucou|allo|allô)(?: à (?:tous|vous)| l'équipe)?\b"
        r"[\s,!.:-]*)+",
        r"(?:[\s,]+(?:franchement|honnêtement|sérieux|svp|s'il vous plaît|s'il te plaît|merci"
        r"(?: d'avance)?|lol))+(?=\W*$)",
    ),
}


def plain(text: str, lang: str) -> str:
    """`text` with its SMS words spelt out for `lang`, and without the greeting before it or the
    word of manner after it (the rest as it was)."""
    said = _SAID.get(lang)
    if not said:
        return text
    parts = []
    for part in _WORD.findall(text):
        found = said.get(part.lower())
        if found is None and (elided := _ELIDED.fullmatch(part)) and len(elided[2]) > 2:
            # "l'hosto": the word after an elided article or pronoun
            word = said.get(elided[2].lower())
            found = None if word is None else elided[1] + word
        parts.append(part if found is None else found)
    spelt = re.sub(r"\s{2,}", " ", "".join(parts)).strip()
    before, after = _AROUND[lang]
    bare = re.sub(after, "", re.sub(before, "", spelt, flags=re.I), flags=re.I).strip()
    return bare or spelt


class Vocabulary:
    """The words of one language's entries, to mend a typed word one slip away from one of them:
    a letter left out ("clinicl"), one typed twice ("quitt") or two swapped ("reuslts").

    A slip of one other letter for another is left alone ("sweets" is no misspelt "sheets"), and
    so is a letter more that is not a double ("course" is no misspelt "cours").
    Short words (under 5 letters) are left alone too, and so is any word the entries use.
    """

    def __init__(self, texts: list[str]) -> None:
        self._counts: dict[str, int] = {}
        for text in texts:
            for word in _LETTERS.findall(fold(text)):
                self._counts[word] = self._counts.get(word, 0) + 1
        # Each word by its spellings with one letter left out: finds all three slips at once.
        self._by_deletion: dict[str, set[str]] = {}
        for word in self._counts:
            for shorter in _deletions(word):
                self._by_deletion.setdefault(shorter, set()).add(word)

    def mend(self, text: str) -> str:
        """`text` with each word one slip away from a word of the entries spelt as they do."""
        return _LETTERS.sub(lambda m: self._mended(m[0]), text)

    def _mended(self, typed: str) -> str:
        word = fold(typed)
        if len(word) < 5 or word in self._counts:
            return typed
        near: set[str] = {
            *self._by_deletion.get(word, ()),  # one letter left out
            *(w for w in _undoubled(word) if w in self._counts),  # a letter typed twice
            *(
                w
                for shorter in _deletions(word)
                for w in self._by_deletion.get(shorter, ())
                if _swapped(word, w)
            ),  # two swapped
        }
        near = {w for w in near if not _inflected(word, w)}
        if not near:
            return typed
        best: str = max(sorted(near), key=lambda w: self._counts[w])  # the commonest, then A-Z
        return best


_LETTERS = re.compile(r"[^\W\d_]+")


def _inflected(first: str, second: str) -> bool:
    """Whether one word is the other with an ending of gender or number ("remunere",
    "remuneree"; "investigateur", "investigateurs"): another form, not a slip."""
    short, long = sorted((first, second), key=len)
    return long[len(short) :] in ("s", "e", "x") and long.startswith(short)


def _undoubled(word: str) -> set[str]:
    """`word` with one of its doubled letters typed once ("quitt" → "quit")."""
    return {word[:i] + word[i + 1 :] for i in range(1, len(word)) if word[i] == word[i - 1]}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _swapped(first: str, second: str) -> bool:
    """Whether the two words differ by two neighbouring letters swapped."""
    if len(first) != len(second):
        return False
    differ = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and first[differ[0]] == second[differ[1]]
        and first[differ[1]] == second[differ[0]]
    )
