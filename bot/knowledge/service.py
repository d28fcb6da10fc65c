"""The knowledge base as the assistant uses it: answer, offer choices, or say it does not know.

Files are re-read when they change (checked at most every few seconds, on use). An edit that
breaks a file keeps the last good index in service and logs each problem with file and line.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot import timing
from bot.files import Problem
from bot.knowledge.embeddings import Encoders, Progress
from bot.knowledge.entries import Entry, Loaded, load_faq
from bot.knowledge.index import Calibration, Candidate, KnowledgeIndex, Mode
from bot.knowledge.tuning import tuned_on
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """What to do with a question: answer with `entry`, or not, and why."""

    answered: bool
    entry: Entry | None = None
    score: float = 0.0
    reason: str | None = None  # low_confidence | out_of_scope | ambiguous | no_entries
    candidates: list[Candidate] = field(default_factory=list)
    # Not sure enough to answer, but this entry is close: offered beside "not sure".
    suggestion: Entry | None = None

    def to_json(self, emergency_number: str) -> dict[str, Any]:
        """The CONTRACT's `trialbot kb ask --json` object."""
        if self.answered and self.entry is not None:
            entry = self.entry
            return {
                "answered": True,
                "entry_id": entry.id,
                "lang": entry.lang,
                "score": round(self.score, 3),
                "answer": entry.render_body(emergency_number),
                "source": {"name": entry.source.name, "url": entry.source.url},
                "reviewed_on": entry.reviewed_on.isoformat(),
            }
        return {
            "answered": False,
            "reason": self.reason,
            "suggestion": self.suggestion.id if self.suggestion else None,
            "candidates": [
                {"entry_id": c.entry.id, "score": round(c.score, 3)} for c in self.candidates[:3]
            ],
        }


def decide(candidates: list[Candidate], calibration: Calibration) -> Decision:
    """Answer only a clear winner; two close good ones are offered; otherwise abstain."""
    if not candidates:
        return Decision(answered=False, reason="no_entries")
    best = candidates[0]
    margin = calibration.declined_margin
    declined = margin is not None and best.declined > best.dense + margin
    if best.score < calibration.threshold:
        close = not declined and best.score >= calibration.threshold - calibration.suggest_within
        return Decision(
            False,
            score=best.score,
            reason="low_confidence",
            candidates=candidates,
            suggestion=best.entry if close else None,
        )
    if declined:
        return Decision(False, score=best.score, reason="out_of_scope", candidates=candidates)
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if best.score - runner_up < calibration.margin:
        return Decision(False, score=best.score, reason="ambiguous", candidates=candidates)
    return Decision(True, entry=best.entry, score=best.score, candidates=candidates)


class KnowledgeBase:
    def __init__(self, settings: Settings, *, reload_every: float = 2.0) -> None:
        self.root = settings.knowledge_dir
        self.emergency_number = settings.emergency_number
        self.encoders = Encoders(
            settings.embedding_model, settings.tuned_encoder_dir, settings.cache_dir
        )
        self.problems: list[Problem] = []
        self._index: KnowledgeIndex | None = None
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._reload_every = reload_every
        self._checked = 0.0
        self._lock = threading.Lock()

    def load(self, progress: Progress | None = None) -> list[Problem]:
        """Read the files and build the index; the problems found (already logged)."""
        with self._lock:
            self._rebuild(progress, first=True)
            return list(self.problems)

    def ask(
        self, text: str, lang: str, *, trial: str | None = None, mode: Mode = "hybrid"
    ) -> Decision:
        with timing.stage("retrieval"):
            return self._ask(text, lang, trial, mode)

    def _ask(self, text: str, lang: str, trial: str | None, mode: Mode) -> Decision:
        index = self._current()
        calibration = index.calibration(lang)
        decision = decide(index.search(text, lang, trial=trial, mode=mode), calibration)
        if trial is None or decision.answered:
            return decision
        # The trial's own entries may crowd a question that general ones answer clearly (they
        # all share the trial's words): context never loses that answer, in the trial's text.
        general = decide(index.search(text, lang, mode=mode), calibration)
        if not general.answered or general.entry is None:
            return decision
        entry = self._stand_in(general.entry, trial) or general.entry
        return Decision(True, entry=entry, score=general.score, candidates=general.candidates)

    def _stand_in(self, entry: Entry, trial: str) -> Entry | None:
        """The trial's own servable entry on `entry`'s topic (or answering it too), if any."""
        today = dt.date.today()
        return next(
            (
                other
                for other in self._current().entries(entry.lang)
                if other.trials is not None
                and entry.key in other.topics
                and other.applies_to(trial)
                and other.servable(today)
            ),
            None,
        )

    def entry(self, entry_id: str, lang: str, *, trial: str | None = None) -> Entry | None:
        """A servable entry by id (when the person picked it from the offered choices)."""
        today = dt.date.today()
        for entry in self._current().entries(lang):
            if entry.id == entry_id and entry.servable(today) and entry.applies_to(trial):
                return entry
        return None

    def on_topic(self, topic: str, lang: str, *, trial: str | None = None) -> Entry | None:
        """The servable entry on a standard topic: the trial's own when it has one."""
        today = dt.date.today()
        found = [
            entry
            for entry in self._current().entries(lang)
            if topic in entry.topics and entry.servable(today) and entry.applies_to(trial)
        ]
        return min(found, key=lambda entry: entry.trials is None, default=None)

    def entries(self, lang: str) -> list[Entry]:
        return self._current().entries(lang)

    def _current(self) -> KnowledgeIndex:
        with self._lock:
            if self._index is None:
                self._rebuild(None, first=True)
            elif time.monotonic() - self._checked >= self._reload_every:
                self._checked = time.monotonic()
                if self._files_signature() != self._signature:
                    self._rebuild(None, first=False)
            assert self._index is not None
            return self._index

    def _rebuild(self, progress: Progress | None, *, first: bool) -> None:
        signature = self._files_signature()
        loaded: Loaded = load_faq(self.root)
        self.problems = loaded.problems
        for problem in loaded.problems:
            log.error("knowledge: %s", problem.render(self.root))
        self._signature, self._checked = signature, time.monotonic()
        if loaded.problems and not first and self._index is not None:
            log.error("knowledge: the last good version stays in service until this is fixed")
            return
        self._index = KnowledgeIndex.build(
            loaded.entries, self.encoders, progress, declined=loaded.declined
        )
        for lang in sorted({entry.lang for entry in loaded.entries}):
            folder = self.encoders.tuned_folder(lang)
            if folder is not None and not tuned_on(loaded.entries, folder, loaded.declined):
                log.warning(
                    "knowledge: the %s encoder was tuned on an earlier version of the entries' "
                    "questions; answers still work, and `trialbot kb tune` adapts it again",
                    lang,
                )
        log.info("knowledge: %d entries indexed from %s", len(loaded.entries), self.root)

    def _files_signature(self) -> tuple[tuple[str, int, int], ...]:
        folder = self.root / "faq"
        if not folder.is_dir():
            return ()
        return tuple(
            (str(path), stat.st_mtime_ns, stat.st_size)
            for path in sorted(folder.rglob("*"))
            if path.is_file() and (stat := path.stat())
        )
