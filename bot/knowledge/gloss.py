"""A question read word for word in another language, for an encoder that knows only that one.

The shipped sentence encoder knows English, and `trialbot kb tune` adapts it to the English
entries; the French entries say the same things under the same file names. A French question
glossed word for word ("je garde ma metformine pendant l'étude ?" → "i keep my metformin during
the study") is understood by that encoder well enough to find the English entry it is about,
and the French entry of the same name takes part of that cosine (`index.PIVOTS`).

A glossary is a tab-separated file under `glossaries/`, one French form per line with its
likeliest English in a patient's questions about a trial: every word of the French entries,
and the everyday chat forms patients write ("jpeux", "qd", "toubib"). An empty translation
drops a word ("ne"). A word the glossary lacks is kept as written: names and medicines
("metformine") are often close enough in both languages.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bot.wording import fold

FOLDER = Path(__file__).with_name("glossaries")
# Words, with their inner hyphens ("peut-être", "avez-vous"); apostrophes part them ("l'étude").
_WORD = re.compile(r"\w+(?:-\w+)*")


class Glossary:
    def __init__(self, words: dict[str, str]) -> None:
        self._words = {word.lower(): english for word, english in words.items()}
        # Without accents too: patients often leave them out ("etude", "deja").
        self._folded: dict[str, str] = {}
        for word, english in self._words.items():
            self._folded.setdefault(fold(word), english)

    @classmethod
    def read(cls, path: Path) -> Glossary:
        words: dict[str, str] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            word, tab, english = line.partition("\t")
            if not tab:
                raise ValueError(f"{path}:{number}: expected a word, a tab and its translation")
            words.setdefault(word.strip(), english.strip())
        return cls(words)

    def gloss(self, text: str) -> str:
        """`text` word for word; a hyphenated form the glossary lacks is read by its parts."""
        return " ".join(
            english for word in self._words_of(text) if (english := self._translation(word))
        )

    def unknown(self, text: str) -> list[str]:
        """The words of `text` that `gloss` would keep as written."""
        return [word for word in self._words_of(text) if not self.knows(word)]

    def _words_of(self, text: str) -> list[str]:
        """The words `gloss` translates one by one."""
        words = _WORD.findall(text.lower().replace("’", "'"))
        return [
            part for word in words for part in ([word] if self.knows(word) else word.split("-"))
        ]

    def knows(self, word: str) -> bool:
        return word in self._words or fold(word) in self._folded

    def _translation(self, word: str) -> str:
        if word in self._words:
            return self._words[word]
        return self._folded.get(fold(word), word)


@cache
def glossary(source: str, target: str) -> Glossary | None:
    """The shipped glossary from `source` to `target`, if there is one."""
    path = FOLDER / f"{source}-{target}.tsv"
    return Glossary.read(path) if path.is_file() else None
