"""Words for the lexical side of retrieval: accents folded, stop words dropped, stemmed."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt
import snowballstemmer

from bot.wording import fold

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


class CharacterGrams:
    """TF-IDF cosine over the 3- to 5-character pieces of each word (folded, padded by spaces).

    Words that share most of their pieces match even when a stemmer would not make them one:
    "plasebo" and "placebo", "rdv" inside "rdv?", "hospitalisation" and "hôpital". The index
    is inverted, so a question only touches the documents that share a piece with it.
    """

    SIZES = (3, 4, 5)

    def __init__(self, documents: list[str]) -> None:
        self._count = len(documents)
        counted = [Counter(_pieces(document)) for document in documents]
        frequency = Counter(piece for pieces in counted for piece in pieces)
        self._idf = {
            piece: math.log((1 + self._count) / (1 + seen)) + 1.0
            for piece, seen in frequency.items()
        }
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for number, pieces in enumerate(counted):
            weights = self._weights(pieces)
            for piece, weight in weights.items():
                documents_of, weights_of = postings[piece]
                documents_of.append(number)
                weights_of.append(weight)
        self._postings = {
            piece: (np.array(numbers, dtype=np.int64), np.array(weights, dtype=np.float64))
            for piece, (numbers, weights) in postings.items()
        }

    def similarity(self, text: str) -> npt.NDArray[np.float64]:
        """Per document, the cosine with `text` (pieces no document has are left out)."""
        scores = np.zeros(self._count)
        query = self._weights(Counter(p for p in _pieces(text) if p in self._idf))
        for piece, weight in query.items():
            numbers, weights = self._postings[piece]
            scores[numbers] += weight * weights
        return scores

    def _weights(self, pieces: Counter[str]) -> dict[str, float]:
        """Sublinear TF times IDF, normalised to length 1."""
        raw = {p: (1.0 + math.log(n)) * self._idf[p] for p, n in pieces.items() if p in self._idf}
        norm = math.sqrt(sum(w * w for w in raw.values()))
        return {p: w / norm for p, w in raw.items()} if norm else {}


def _pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for word in _WORD.findall(fold(text)):
        padded = f" {word} "
        for size in CharacterGrams.SIZES:
            pieces.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return pieces
