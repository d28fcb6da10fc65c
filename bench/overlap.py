"""Evaluation texts that repeat what the system learns from or matches against.

An evaluation set measures wording the system has not met. A question of `bench/kb_eval` that
is also an entry's example question, or a safety message that is also an NLU example, is
answered from memory and inflates the figure it is counted in. This module finds such pairs:

- texts are compared after `normalise` (case, accents, punctuation and spacing ignored), so
  "Placebo ?" and "placebo?" are one text;
- two texts are "nearly equal" when `similarity` (difflib's ratio of the normalised texts) is at
  least NEAR. See NEAR for the pairs it was measured on.

`python bench/overlap.py` lists every overlap it finds; tests/test_eval_overlap.py fails on any.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

from bot.files import read_front_matter
from bot.knowledge.entries import OUT_OF_SCOPE, read_out_of_scope

ROOT = Path(__file__).resolve().parents[1]
KB_EVAL = ROOT / "bench" / "kb_eval"

# difflib's ratio 2·M / (|a| + |b|) of the normalised texts (M: characters in matching blocks),
# measured on pairs of this project's files:
#   1.00  "placebo?" / "placebo ?"                                         same words
#   0.98  "Est-ce que je serai payé ?" / "Est-ce que je serai payée ?"     one letter
#   0.93  "whats a clinical trail" / "what's a clinical trial"             a typo
#   0.89  "is this study approved by anyone" / "Has this study been approved by anyone?"
#   0.88  "can I quit the study whenever I want?" / "can i leave the study whenever i want"
#   0.87  "who makes sure the trial is safe" / "Who makes sure the study is safe?"
#   0.85  "tout le monde serait mieux sans moi franchement" / "tout le monde serait mieux sans moi"
#   0.83  "how long is the study?" / "how long is the diabetes study"     (a word that matters)
#   0.81  "what is a placebo exactly" / "what is a placebo"
#   0.74  "can i stop the study whenever i want" / "can i stop the study at any time"
#   0.69  "how many visits are there" / "how many visits will i have"     (fresh wording)
# From 0.85 up, the pairs are one sentence with a typo, a synonym swapped or a word added: a
# retriever that has the one has as good as seen the other. Below, pairs start to differ in the
# words that carry the question, which is what an evaluation of unseen wording should hold; the
# 0.80-0.85 band still has a few close pairs (a word added at the end), so 0.85 is the highest
# threshold that catches every pair of the first kind found in the project's sets.
NEAR = 0.85

_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation and spacing folded to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.replace("œ", "oe").replace("æ", "ae")).strip()


def similarity(first: str, second: str) -> float:
    """difflib's ratio of two normalised texts: 1.0 when they are the same."""
    if first == second:
        return 1.0
    return SequenceMatcher(None, first, second, autojunk=False).ratio()


@dataclass(frozen=True)
class Text:
    """A text and where it comes from (file and a short label)."""

    text: str
    origin: str

    @property
    def key(self) -> str:
        return normalise(self.text)


@dataclass(frozen=True)
class Overlap:
    evaluation: Text
    reference: Text
    ratio: float

    def render(self) -> str:
        kind = "equals" if self.ratio >= 1.0 else f"nearly equals ({self.ratio:.2f})"
        return (
            f"{self.evaluation.origin}: {self.evaluation.text!r} {kind} "
            f"{self.reference.text!r} ({self.reference.origin})"
        )


def overlaps(
    evaluation: Iterable[Text], references: Iterable[Text], near: float = NEAR
) -> list[Overlap]:
    """Each evaluation text equal or nearly equal to a reference text, with its closest one."""
    items = list(evaluation)
    refs = list({ref.key: ref for ref in references if ref.key}.values())
    if not items or not refs:
        return []
    keys, ref_keys = [item.key for item in items], [ref.key for ref in refs]
    found = []
    for row, candidates in enumerate(_candidates(keys, ref_keys, near)):
        scored = [(similarity(keys[row], ref_keys[col]), col) for col in candidates]
        best = max(scored, default=(0.0, -1))
        if best[0] >= near:
            found.append(Overlap(items[row], refs[best[1]], best[0]))
    return found


def _candidates(keys: list[str], ref_keys: list[str], near: float) -> Iterator[list[int]]:
    """Per text, the references whose ratio could reach `near`.

    difflib's ratio never exceeds 2·(characters the two texts have in common, as multisets)
    divided by their total length (its quick_ratio): computed for every pair at once, it leaves
    the slow ratio to a few pairs.
    """
    first, second = _counts(keys), _counts(ref_keys)
    lengths = first.sum(axis=1)[:, None] + second.sum(axis=1)[None, :]
    for start in range(0, len(keys), _CHUNK):
        rows = first[start : start + _CHUNK]
        common = np.minimum(rows[:, None, :], second[None, :, :]).sum(axis=2)
        bound = 2 * common >= near * lengths[start : start + _CHUNK]
        yield from (np.flatnonzero(row).tolist() for row in bound)


_ALPHABET = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz0123456789 ")}
_CHUNK = 32


def _counts(texts: list[str]) -> npt.NDArray[np.int32]:
    """Per normalised text, how many times each character occurs."""
    counts = np.zeros((len(texts), len(_ALPHABET) + 1), dtype=np.int32)
    for row, text in enumerate(texts):
        for char in text:
            counts[row, _ALPHABET.get(char, len(_ALPHABET))] += 1
    return counts


# What the system learns from or matches against


def knowledge_texts(root: Path = ROOT / "knowledge") -> Iterator[Text]:
    """Every FAQ entry's title and example questions, and the questions not to answer."""
    for path in sorted((root / "faq").glob(f"*/{OUT_OF_SCOPE}")):
        questions, _ = read_out_of_scope(path)
        for question in questions:
            yield Text(question, f"{path.relative_to(root.parent)} questions")
    for path in sorted((root / "faq").glob("*/*.md")):
        front, _ = read_front_matter(path)
        data = front.data if front is not None else {}
        label = path.relative_to(root.parent)
        if isinstance(data.get("title"), str):
            yield Text(data["title"], f"{label} title")
        for question in data.get("questions") or []:
            if isinstance(question, str):
                yield Text(question, f"{label} questions")


def nlu_texts(folder: Path = ROOT / "data" / "nlu") -> Iterator[Text]:
    """Every NLU example (entity markup removed), synonym and lookup entry."""
    for path in sorted(folder.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        label = path.relative_to(folder.parents[1])
        for block in data.get("nlu") or []:
            name = next((block[k] for k in ("intent", "synonym", "lookup") if k in block), "")
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield Text(_ENTITY.sub(r"\1", line[2:]), f"{label} {name}")


# Evaluation sets


def kb_eval_texts(path: Path = KB_EVAL / "questions.yml") -> Iterator[Text]:
    """The questions of a kb_eval file ({lang: [{text, expect}]})."""
    yield from _labelled(path)


def safety_eval_texts(folder: Path = ROOT / "bench" / "safety_eval") -> Iterator[Text]:
    """The messages of the safety sets: messages.yml, then fresh, unseen, final and sealed when
    present."""
    for name in ("messages.yml", "fresh.yml", "unseen.yml", "final.yml", "sealed.yml"):
        if (folder / name).exists():
            yield from _labelled(folder / name)


def followup_eval_texts(folder: Path = ROOT / "bench" / "safety_followup") -> Iterator[Text]:
    """The side-effect reports of bench/safety_followup that give figures on wording the
    extractor had not met when they were scored (reports.yml, and fresh.yml, sealed.yml,
    sealed3.yml, sealed4.yml and sealed5.yml when present), and the answers typed after them of
    more than one word. tuning2.yml and tuning3.yml are not among them: they were written to be
    tuned on."""
    for name in (
        "reports.yml", "fresh.yml", "sealed.yml", "sealed3.yml", "sealed4.yml", "sealed5.yml"
    ):  # fmt: skip
        if (folder / name).exists():
            yield from _followup_texts(folder / name)


def followup_tuning_texts(folder: Path = ROOT / "bench" / "safety_followup") -> Iterator[Text]:
    """The reports the extractor was tuned on after their first scoring (tuning2.yml,
    tuning3.yml, and sealed3.yml once its two scorings were given), which the sets still sealed
    must not repeat."""
    for name in ("tuning2.yml", "tuning3.yml", "sealed3.yml"):
        if (folder / name).exists():
            yield from _followup_texts(folder / name)


def _followup_texts(path: Path) -> Iterator[Text]:
    """One set's reports and answers; not the one-word answers: "no", "oui" or "nah" is every
    yes-or-no question's answer, and no set of such answers can avoid the NLU's examples of
    affirm and deny."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for language in ("en", "fr"):
        for index, item in enumerate(data.get(language) or []):
            origin = f"{path.relative_to(ROOT)} {language}[{index}]"
            yield Text(item["report"], origin)
            for step, typed in (item.get("answers") or {}).items():
                if len(str(typed).split()) > 1:
                    yield Text(str(typed), f"{origin} {step}")


def conversation_texts(folder: Path = ROOT / "bench" / "conversations") -> Iterator[Text]:
    """What the person types in the conversation benchmark's files, when there are some.

    The `regression/` subset is left out: it replays, word for word, the messages a bug report
    quoted, to show each is mended; the benchmark's figures never count it.
    """
    paths = sorted(folder.rglob("*.yml")) if folder.is_dir() else []
    for path in paths:
        if "regression" in path.relative_to(folder).parts:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for text in _user_turns(data):
            yield Text(text, str(label))


def _labelled(path: Path) -> Iterator[Text]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for lang, items in data.items():
        for number, item in enumerate(items or []):
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                yield Text(item["text"], f"{label} {lang}[{number}]")


# The key of a turn that holds what the person types (bench/conversations/script.py).
_USER_KEYS = ("say",)


def _user_turns(data: object) -> Iterator[str]:
    """Texts under a user-turn key anywhere in the structure."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _USER_KEYS and isinstance(value, str):
                yield value
            else:
                yield from _user_turns(value)
    elif isinstance(data, list):
        for item in data:
            yield from _user_turns(item)


def report() -> list[Overlap]:
    """Every overlap of the project's evaluation sets with what the system learns from."""
    knowledge, nlu = list(knowledge_texts()), list(nlu_texts())
    questions = [*kb_eval_texts(KB_EVAL / "questions.yml")]
    for name in ("fresh.yml", "unseen.yml"):
        if (KB_EVAL / name).exists():
            questions += kb_eval_texts(KB_EVAL / name)
    return [
        *overlaps(questions, [*knowledge, *nlu]),
        *overlaps(safety_eval_texts(), nlu),
        *overlaps(followup_eval_texts(), [*knowledge, *nlu]),
        *overlaps(conversation_texts(), [*knowledge, *nlu]),
    ]


if __name__ == "__main__":
    found = report()
    for overlap in found:
        print(overlap.render())
    print(f"{len(found)} overlap(s)", file=sys.stderr)
    sys.exit(1 if found else 0)
