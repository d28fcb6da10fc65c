"""Words for the lexical side of retrieval: accents folded, stop words dropped, stemmed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words that carry no topic; kept short on purpose ("not", "pas" are not in them).
_STOP = {
    "en": _words(
        """a an and are as at be been but by can could do does did for from had has have how i if in
        into is it its me my of on or our so than that the their them then there these they this
        to too us was we were what when where which who whom why will with would you your yours
        am im ive id ill just any about"""
    ),
    "fr": _words(
        """a au aux avec ce ces cet cette dans de des du elle en est et etre il ils je la le les
        leur leurs lui ma mais me mes mon ne nos notre nous on ou par pour qu que qui sa se ses son
        sur ta te tes toi ton tu un une vos votre vous y c d j l m n s t ca cela quoi suis es sont
        ai as avez ont fait faire peut peux puis"""
    ),
}
_STEMMER_NAMES = {"en": "english", "fr": "french"}


def fold(text: str) -> str:
    """Lower case without accents: "Ça coûte" and "ca coute" become the same words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str, lang: str) -> list[str]:
    stop = _STOP.get(lang, frozenset())
    stem = _stemmer(lang)
    return [stem(word) for word in _WORD.findall(fold(text)) if word not in stop and len(word) > 1]


@cache
def _stemmer(lang: str) -> Callable[[str], str]:
    name = _STEMMER_NAMES.get(lang, "english")
    stemmer = snowballstemmer.stemmer(name)

    @cache
    def stem(word: str) -> str:
        return str(stemmer.stemWord(word))

    return stem
