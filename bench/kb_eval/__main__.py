"""Knowledge-base retrieval: accuracy, abstention, calibration and search latency.

    .venv/bin/python bench/kb_eval [--json] [--calibrate] [--latency-entries 1000] [--skip-latency]
                                   [--questions bench/kb_eval/fresh.yml [FILE …]]
                                   [--encoder DIR] [--hide-held-out]

The labelled paraphrases of questions.yml are split within each language and expected topic:
even positions calibrate, odd positions are held out. Every mode is scored through search() and
decide() themselves, with its own thresholds: the hybrid mode with index.CALIBRATION, the pure
modes (bm25, dense) with thresholds from the grid search of --calibrate, run on the calibration
half; the hybrid mode's grid also tries declining a question closer to one of the entries'
questions not to answer (faq/<lang>/out_of_scope.yml) than to the best entry. Several
--questions files are scored together, each split in halves the same way. The grid search
combines score vectors computed once per question; each evaluation also
counts the questions where that shortcut disagrees with search() and decide() (expected: none).
Latency: search() on an index of --latency-entries entries (real texts, cached vectors), and the
time the action server takes from start to its first vetted answer, with a warm embedding cache.
--encoder measures another sentence encoder (`trialbot kb tune` makes one); --hide-held-out keeps
the held-out half out of the output while a change is being tried.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from unittest import mock

import httpx
import numpy as np
import numpy.typing as npt
import yaml
from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bot.knowledge.index import Calibration, KnowledgeIndex, Mode, servable_mask
from bot.knowledge.service import KnowledgeBase, decide
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = Path(__file__).with_name("questions.yml")
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_T = TypeVar("_T")

MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
PURE_WEIGHTS: dict[Mode, float] = {"bm25": 0.0, "dense": 1.0}
# i / n is the double nearest the decimal, so a printed value pastes back as the same number.
WEIGHTS = tuple(i / 20 for i in range(21))
THRESHOLDS = tuple(i / 100 for i in range(20, 81))
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08)
# How much closer than the best entry a question not to answer must be to decline (None: unused).
DECLINED_MARGINS = (None, -0.1, -0.05, -0.02, 0.0, 0.02, 0.05)
# The targets of the calibration: at least 95 % of out-of-scope questions declined, at most 2 %
# of in-scope ones answered wrong (a wrong vetted answer misleads; a refusal offers the team).
MIN_OOS_ABSTENTION = 0.95
MAX_ANSWERED_WRONG = 0.02
HALVES = ("calibration", "held_out", "all")
HALF_NAMES = {"calibration": "calib.", "held_out": "held-out", "all": "all"}
WARM_UP, TIMED = 20, 300
READY_RUNS = 3
READY_TIMEOUT_S = 120
READY_QUESTION = "what is a clinical trial?"


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    expect: str | None  # the topic (Entry.key) that answers it; None: out of scope
    held_out: bool  # odd position within its language and expected topic


@dataclass(frozen=True)
class LanguageSet:
    """One language's questions and their scores against its entries, computed once."""

    lang: str
    questions: list[Question]
    keys: list[str]  # per entry: the topic it answers
    allowed: Bools  # per entry: servable without a trial, as search() decides
    dense: Floats  # questions x entries
    lexical: Floats  # BM25 and character n-grams, as the hybrid mode combines them
    words: Floats  # BM25 alone
    declined: Floats  # per question: its best cosine with a question not to answer

    def in_scope(self) -> Bools:
        return np.array([q.expect is not None for q in self.questions], dtype=bool)

    def halves(self) -> dict[str, Bools]:
        held_out = np.array([q.held_out for q in self.questions], dtype=bool)
        return dict(zip(HALVES, (~held_out, held_out, np.ones_like(held_out)), strict=True))


@dataclass(frozen=True)
class Figures:
    in_scope: int
    out_of_scope: int
    top1: float
    answered_correct: float
    answered_wrong: float
    abstained_in_scope: float
    oos_abstention: float
    # Not answered, but an entry offered beside "not sure" (Calibration.suggest_within): the
    # in-scope questions offered their right entry, or a wrong one; out-of-scope ones offered any.
    # Through search() and decide() only (nan in the grid search).
    suggested_right: float = float("nan")
    suggested_wrong: float = float("nan")
    oos_suggested: float = float("nan")


@dataclass(frozen=True)
class Choice:
    """The grid search's pick on the calibration half."""

    calibration: Calibration
    figures: Figures
    feasible: bool  # meets the constraints on out-of-scope abstention and wrong answers
    ties: int  # settings as good as the pick (the first of them in grid order is taken)


@dataclass(frozen=True)
class Evaluation:
    mode: Mode
    lang: str
    calibration: Calibration
    origin: str
    figures: dict[str, Figures]  # per half
    mismatches: int  # questions where the vectorised rule disagrees with search() and decide()


@dataclass(frozen=True)
class Latency:
    entries: int
    queries: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Ready:
    runs: int
    ready_s: float  # `trialbot actions` started → its first vetted answer (median)
    slowest_s: float
    encoder: str  # what encoded the questions: onnx or sentence-transformers


@dataclass
class Report:
    modes: list[Evaluation]
    calibrated: list[Evaluation] | None = None  # with --calibrate
    latency: Latency | None = None  # without --skip-latency
    ready: Ready | None = None


# Questions and scores


def load_questions(path: Path) -> list[Question]:
    """The labelled questions, alternating between the halves within each expected topic."""
    questions: list[Question] = []
    for lang, items in yaml.safe_load(path.read_text(encoding="utf-8")).items():
        seen: Counter[str | None] = Counter()
        for item in items:
            expect = item["expect"]
            questions.append(Question(str(item["text"]), str(lang), expect, seen[expect] % 2 == 1))
            seen[expect] += 1
    return questions


def score_language(
    index: KnowledgeIndex, questions: list[Question], lang: str, progress: Progress
) -> LanguageSet:
    language = index._languages[lang]
    mine = [q for q in questions if q.lang == lang]
    asked = [language.readings(q.text) for q in mine]  # as search() reads them
    meanings = [
        index.meaning(readings, lang) for readings in progress.track(asked, description=lang)
    ]
    allowed = np.array(servable_mask(language.entries, None, dt.date.today()), dtype=bool)
    if not allowed.any():
        raise SystemExit(f"no servable {lang} entry: nothing to evaluate")
    return LanguageSet(
        lang,
        mine,
        [entry.key for entry in language.entries],
        allowed,
        np.stack([dense for dense, _ in meanings]),
        np.stack([_best(language.lexical, readings) for readings in asked]),
        np.stack([_best(language.words, readings) for readings in asked]),
        np.array([declined for _, declined in meanings]),
    )


def _best(score: Callable[[_T], Floats], readings: list[_T]) -> Floats:
    """Per entry, its best score over a question's readings, as search() keeps it."""
    return np.asarray(np.max([score(reading) for reading in readings], axis=0), dtype=np.float64)


def unknown_topics(data: LanguageSet) -> set[str]:
    """Expected topics that no servable general entry answers (they can never be right)."""
    known = {key for key, allowed in zip(data.keys, data.allowed, strict=True) if allowed}
    return {q.expect for q in data.questions if q.expect is not None} - known


# Decisions and figures


def _share(hits: Bools, among: Bools) -> float:
    count = int(among.sum())
    return float((hits & among).sum()) / count if count else float("nan")


def figures(
    data: LanguageSet,
    correct: Bools,
    answered: Bools,
    subset: Bools,
    offered: tuple[Bools, Bools] | None = None,
) -> Figures:
    """`offered`: per question, whether an entry was offered beside "not sure", and whether it
    was the right one."""
    inside = subset & data.in_scope()
    outside = subset & ~data.in_scope()
    suggested: dict[str, float] = {}
    if offered is not None:
        given, right = offered
        suggested = {
            "suggested_right": _share(given & right, inside),
            "suggested_wrong": _share(given & ~right, inside),
            "oos_suggested": _share(given, outside),
        }
    return Figures(
        in_scope=int(inside.sum()),
        out_of_scope=int(outside.sum()),
        top1=_share(correct, inside),
        answered_correct=_share(answered & correct, inside),
        answered_wrong=_share(answered & ~correct, inside),
        abstained_in_scope=_share(~answered, inside),
        oos_abstention=_share(~answered, outside),
        **suggested,
    )


@dataclass(frozen=True)
class TopTwo:
    """Per question, as search() ranks: is the best servable entry right, its score, its
    cosine alone, the next entry's score, and the cosine with the nearest question not to answer."""

    correct: Bools
    best: Floats
    best_dense: Floats
    runner_up: Floats
    declined: Floats


def top_two(data: LanguageSet, weight: float) -> TopTwo:
    scores = weight * data.dense + (1 - weight) * data.lexical
    order = np.argsort(-scores, axis=1, kind="stable")
    servable = order[data.allowed[order]].reshape(len(order), -1)
    rows = np.arange(len(order))
    best = scores[rows, servable[:, 0]]
    runner_up = scores[rows, servable[:, 1]] if servable.shape[1] > 1 else np.zeros(len(order))
    keys = [data.keys[i] for i in servable[:, 0]]
    correct = np.array([k == q.expect for k, q in zip(keys, data.questions, strict=True)])
    dense = data.dense[rows, servable[:, 0]]
    return TopTwo(correct.astype(bool), best, dense, runner_up, data.declined)


def answered(top: TopTwo, calibration: Calibration) -> Bools:
    """decide()'s rule: the best score reaches the threshold, no question not to answer is
    closer than the best entry by the margin, and it leads the runner-up enough."""
    said = (top.best >= calibration.threshold) & (top.best - top.runner_up >= calibration.margin)
    if calibration.declined_margin is not None:
        said &= ~(top.declined > top.best_dense + calibration.declined_margin)
    return said


def searched(
    index: KnowledgeIndex,
    data: LanguageSet,
    mode: Mode,
    calibration: Calibration,
    progress: Progress,
) -> tuple[Bools, Bools, tuple[Bools, Bools]]:
    """Per question, through search() and decide(): is the top candidate right, was it answered,
    and was an entry offered instead (and was it the right one)."""
    correct, said, given, right = [], [], [], []
    with mock.patch.dict(index.calibrations, {data.lang: calibration}):
        for q in progress.track(data.questions, description=f"{mode} {data.lang}"):
            candidates = index.search(q.text, data.lang, mode=mode)
            correct.append(bool(candidates) and candidates[0].entry.key == q.expect)
            decision = decide(candidates, calibration)
            said.append(decision.answered)
            given.append(decision.suggestion is not None)
            right.append(decision.suggestion is not None and decision.suggestion.key == q.expect)
    offered = (np.array(given, dtype=bool), np.array(right, dtype=bool))
    return np.array(correct, dtype=bool), np.array(said, dtype=bool), offered


def evaluate(
    index: KnowledgeIndex,
    data: LanguageSet,
    mode: Mode,
    calibration: Calibration,
    origin: str,
    progress: Progress,
) -> Evaluation:
    correct, said, offered = searched(index, data, mode, calibration, progress)
    top = top_two(data, calibration.dense_weight)
    mismatches = int(((correct != top.correct) | (said != answered(top, calibration))).sum())
    halves = {
        name: figures(data, correct, said, mask, offered) for name, mask in data.halves().items()
    }
    return Evaluation(mode, data.lang, calibration, origin, halves, mismatches)


# Calibration


def _rank(found: Figures) -> tuple[bool, float, float, float]:
    """Feasible first; then most right answers, most out-of-scope abstention, fewest wrong."""
    if found.oos_abstention >= MIN_OOS_ABSTENTION and found.answered_wrong <= MAX_ANSWERED_WRONG:
        return True, found.answered_correct, found.oos_abstention, -found.answered_wrong
    shortfall = max(0.0, MIN_OOS_ABSTENTION - found.oos_abstention) + max(
        0.0, found.answered_wrong - MAX_ANSWERED_WRONG
    )
    return False, -shortfall, found.oos_abstention, found.answered_correct


def grid_search(data: LanguageSet, weights: Iterable[float], *, declined: bool = True) -> Choice:
    """The best weight, threshold, margin and declined margin (with `declined`, when questions
    not to answer are listed) on the calibration half."""
    subset = data.halves()["calibration"]
    declined_margins = DECLINED_MARGINS if declined and data.declined.any() else (None,)
    ranked: list[tuple[tuple[bool, float, float, float], Calibration, Figures]] = []
    for weight in weights:
        top = top_two(data, weight)
        for threshold, margin, beyond in itertools.product(THRESHOLDS, MARGINS, declined_margins):
            calibration = Calibration(weight, threshold, margin, beyond)
            found = figures(data, top.correct, answered(top, calibration), subset)
            ranked.append((_rank(found), calibration, found))
    rank, calibration, found = max(ranked, key=lambda item: item[0])
    ties = sum(1 for other, _, _ in ranked if other == rank)
    return Choice(calibration, found, rank[0], ties)


def _origin(choice: Choice) -> str:
    feasible = "" if choice.feasible else ", NO setting meets the constraints"
    return f"grid ({choice.ties} tied){feasible}"


def compare_modes(
    index: KnowledgeIndex, data: dict[str, LanguageSet], progress: Progress
) -> list[Evaluation]:
    results = []
    for mode, language in itertools.product(MODES, data.values()):
        if mode == "hybrid":
            calibration = index.calibration(language.lang)
            if index.pivoted(language.lang):
                origin = "index.PIVOT_CALIBRATION"
            elif index.tuned(language.lang):
                origin = "index.TUNED_CALIBRATION"
            else:
                origin = "index.CALIBRATION"
        else:
            if mode == "bm25":
                language = dataclasses.replace(language, lexical=language.words)
            # One signal each: the questions not to answer, compared by cosine, stay out.
            choice = grid_search(language, [PURE_WEIGHTS[mode]], declined=False)
            calibration, origin = choice.calibration, _origin(choice)
        results.append(evaluate(index, language, mode, calibration, origin, progress))
    return results


def calibrate(
    index: KnowledgeIndex, data: dict[str, LanguageSet], progress: Progress
) -> list[Evaluation]:
    results = []
    for language in data.values():
        choice = grid_search(language, WEIGHTS)
        origin = _origin(choice)
        results.append(evaluate(index, language, "hybrid", choice.calibration, origin, progress))
    return results


# Latency


def _percentiles(entries: int, timings: list[float]) -> Latency:
    p50, p95, p99 = (float(np.percentile(timings, p)) * 1000 for p in (50, 95, 99))
    return Latency(entries, len(timings), round(p50, 2), round(p95, 2), round(p99, 2))


def search_latency(
    knowledge: KnowledgeBase, questions: list[Question], count: int, progress: Progress
) -> Latency:
    """search() timed on an index of `count` entries: the real ones again and again, new ids."""
    real = [
        entry for lang in sorted({q.lang for q in questions}) for entry in knowledge.entries(lang)
    ]
    cycled = zip(range(count), itertools.cycle(real))
    entries = [dataclasses.replace(entry, id=f"{entry.id}-{n}") for n, entry in cycled]
    with tracked(progress, f"index of {count}") as callback:
        index = KnowledgeIndex.build(entries, knowledge.encoders, callback)
    sample = random.Random(0).sample(questions, WARM_UP + TIMED)
    for q in sample[:WARM_UP]:
        index.search(q.text, q.lang)
    timings = []
    for q in progress.track(sample[WARM_UP:], description=f"search x{TIMED}"):
        started = time.perf_counter()
        index.search(q.text, q.lang)
        timings.append(time.perf_counter() - started)
    return _percentiles(len(entries), timings)


def ready_time(progress: Progress) -> Ready:
    """The action server, started afresh with a warm cache, until it answers a first question.

    Readiness is what a patient sees: action_answer_question called on the server's webhook, as
    Rasa calls it, returning the vetted answer. Median of a few starts.
    """
    knowledge = KnowledgeBase(Settings())
    knowledge.load()  # warms the cache and the ONNX export, as `make setup` does
    embedders = [knowledge.encoders.for_language(lang) for lang in ("en", "fr")]
    for embedder in embedders:
        embedder.load()
    runs = [_ready_once() for _ in progress.track(range(READY_RUNS), description="action server")]
    return Ready(
        READY_RUNS,
        round(statistics.median(runs), 2),
        round(max(runs), 2),
        "/".join(sorted({embedder.backend for embedder in embedders})),
    )


def _ready_once() -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "ACTIONS_PORT": str(port), "LOG_LEVEL": "WARNING"}
    trialbot = Path(sys.executable).with_name("trialbot")
    call = {
        "next_action": "action_answer_question",
        "sender_id": "bench",
        "tracker": {
            "sender_id": "bench",
            "slots": {"language": "en"},
            "latest_message": {"text": READY_QUESTION, "intent": {"name": "faq"}, "entities": []},
            "events": [],
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }
    # The action server answers only Rasa, which sends the shared token (bot/action_server.py).
    headers = {"Authorization": f"Bearer {Settings().action_token()}"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(trialbot), "actions"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while time.perf_counter() - started < READY_TIMEOUT_S:
            if server.poll() is not None:
                assert server.stderr is not None
                raise SystemExit(f"the action server stopped:\n{server.stderr.read().decode()}")
            try:
                reply = httpx.post(
                    f"http://127.0.0.1:{port}/webhook", json=call, headers=headers, timeout=30
                )
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            said = [r.get("response") for r in reply.json().get("responses", [])]
            if "utter_kb_answer" not in said:
                raise SystemExit(f"the action server did not answer {READY_QUESTION!r}: {said}")
            return time.perf_counter() - started
        raise SystemExit(f"the action server was not ready within {READY_TIMEOUT_S} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


# Running


@contextmanager
def tracked(progress: Progress, description: str) -> Iterator[Callable[[int, int], None]]:
    """A (done, total) callback for Embedder.encode; (0, 0) means everything was cached."""
    task = progress.add_task(description, total=None)

    def callback(done: int, total: int) -> None:
        progress.update(task, completed=done if total else 1, total=total or 1)

    yield callback
    progress.update(task, completed=1, total=1)


def load_index(progress: Progress) -> tuple[KnowledgeBase, KnowledgeIndex]:
    knowledge = KnowledgeBase(Settings())
    with tracked(progress, "embedding the entries") as callback:
        problems = knowledge.load(callback)
    if problems:
        raise SystemExit(f"the knowledge files have {len(problems)} problem(s): fix them first")
    return knowledge, knowledge._current()


def run(args: argparse.Namespace, console: Console) -> Report:
    questions = [q for path in args.questions for q in load_questions(path)]
    with Progress(console=Console(stderr=True), transient=True) as progress:
        knowledge, index = load_index(progress)
        langs = sorted({q.lang for q in questions})
        data = {lang: score_language(index, questions, lang, progress) for lang in langs}
        for language in data.values():
            if unknown := unknown_topics(language):
                console.print(f"[yellow]{language.lang}: no entry for {sorted(unknown)}[/]")
        report = Report(compare_modes(index, data, progress))
        if args.calibrate:
            report.calibrated = calibrate(index, data, progress)
        if args.hide_held_out:
            report.modes = _calibration_half(report.modes)
            report.calibrated = report.calibrated and _calibration_half(report.calibrated)
        if not args.skip_latency:
            report.latency = search_latency(knowledge, questions, args.latency_entries, progress)
            report.ready = ready_time(progress)
    return report


def _calibration_half(evaluations: list[Evaluation]) -> list[Evaluation]:
    """The figures of the calibration half alone: trying a change leaves the held-out unread."""
    return [
        dataclasses.replace(e, figures={"calibration": e.figures["calibration"]})
        for e in evaluations
    ]


# Output


def _calibration_code(calibration: Calibration) -> str:
    c = calibration
    declined = f", declined_margin={c.declined_margin}" if c.declined_margin is not None else ""
    return (
        f"Calibration(dense_weight={c.dense_weight}, threshold={c.threshold}, margin={c.margin}"
        f"{declined})"
    )


ACCURACY_CAPTION = (
    "n: questions in scope / out of scope; right, wrong, abst.: answered right, answered wrong,"
    " abstained, as shares of the in-scope ones;"
    " oos abst.: share of the out-of-scope ones not answered; sugg. right, sugg. wrong: not"
    " answered, their right or a wrong entry offered beside 'not sure', as shares of the in-scope"
    " ones; oos sugg.: share of the out-of-scope ones offered an entry; diff: questions where"
    " the vectorised rule of the grid search disagrees with search() and decide()."
)


def _table(title: str, columns: dict[str, str], caption: str | None = None) -> Table:
    """A compact table; `columns` maps each heading to its justification."""
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, collapse_padding=True)
    for heading, justify in columns.items():
        table.add_column(heading, justify="right" if justify == "r" else "left")
    return table


def _cells(f: Figures) -> list[str]:
    shares = (
        f.top1,
        f.answered_correct,
        f.answered_wrong,
        f.abstained_in_scope,
        f.oos_abstention,
        f.suggested_right,
        f.suggested_wrong,
        f.oos_suggested,
    )
    return [f"{f.in_scope}/{f.out_of_scope}", *(f"{share:.1%}" for share in shares)]


def evaluation_table(title: str, evaluations: list[Evaluation], halves: tuple[str, ...]) -> Table:
    headings = (
        *("mode", "lang", "half", "n", "top1", "right", "wrong", "abst.", "oos abst."),
        *("sugg. right", "sugg. wrong", "oos sugg."),
    )
    columns = {h: "l" if h in ("mode", "lang", "half") else "r" for h in (*headings, "diff")}
    table = _table(title, columns, ACCURACY_CAPTION)
    for e in evaluations:
        for half in (half for half in halves if half in e.figures):
            table.add_row(
                e.mode, e.lang, HALF_NAMES[half], *_cells(e.figures[half]), str(e.mismatches)
            )
    return table


def calibration_table(title: str, evaluations: list[Evaluation]) -> Table:
    columns = {"mode": "l", "lang": "l", "dense_weight": "r", "threshold": "r", "margin": "r"}
    columns["declined"] = "r"
    caption = (
        "grid: the grid search's best on the calibration half (see --calibrate); declined: the"
        " declined margin (a question this much closer to one of out_of_scope.yml than to the"
        " best entry is declined; None: not consulted)"
    )
    table = _table(title, {**columns, "from": "l"}, caption)
    for e in evaluations:
        values = (str(v) for v in dataclasses.astuple(e.calibration))
        table.add_row(e.mode, e.lang, *values, e.origin)
    return table


def latency_tables(latency: Latency, ready: Ready) -> list[Table]:
    title = "search() latency: hybrid, no trial, after warm-up"
    search = _table(title, dict.fromkeys(("entries", "queries", "p50 ms", "p95 ms", "p99 ms"), "r"))
    search.add_row(*(str(v) for v in dataclasses.astuple(latency)))
    columns = {"starts": "r", "ready s (median)": "r", "slowest s": "r", "encoder": "l"}
    fresh = _table("The action server, warm embedding cache", columns)
    fresh.caption = "ready: `trialbot actions` started → its first vetted answer on /webhook"
    fresh.add_row(*(str(v) for v in dataclasses.astuple(ready)))
    return [search, fresh]


def suggestion(evaluations: list[Evaluation]) -> str:
    lines = [f'    "{e.lang}": {_calibration_code(e.calibration)},' for e in evaluations]
    return "\n".join(["CALIBRATION: dict[str, Calibration] = {", *lines, "}"])


def show(report: Report, console: Console) -> None:
    console.print(calibration_table("Thresholds per mode", report.modes))
    shown = HALVES[1:] if "held_out" in report.modes[0].figures else HALVES[:1]
    console.print(evaluation_table("Accuracy and abstention", report.modes, shown))
    if report.calibrated is not None:
        console.print(calibration_table("Suggested hybrid calibration", report.calibrated))
        console.print(evaluation_table("Suggested hybrid calibration", report.calibrated, HALVES))
        console.print("For bot/knowledge/index.py:\n" + suggestion(report.calibrated), markup=False)
    if report.latency is not None and report.ready is not None:
        for table in latency_tables(report.latency, report.ready):
            console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object, no tables")
    parser.add_argument("--calibrate", action="store_true", help="grid-search the hybrid mode")
    parser.add_argument("--latency-entries", type=int, default=1000, help="entries to search")
    parser.add_argument("--skip-latency", action="store_true", help="accuracy figures only")
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[QUESTIONS],
        help="labelled questions, one file or several scored together (each split in halves)",
    )
    parser.add_argument(
        "--encoder",
        help="another sentence-transformers folder to embed with (`trialbot kb tune` makes one)",
    )
    parser.add_argument(
        "--hide-held-out",
        action="store_true",
        help="show the calibration half only (while trying a change: the held-out stays unread)",
    )
    args = parser.parse_args()
    if args.encoder:
        os.environ["EMBEDDING_MODEL"] = str(Path(args.encoder).resolve())
    # model.encode shows tqdm bars when its logger is at INFO or DEBUG.
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    console = Console(stderr=args.json)
    report = run(args, console)
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        show(report, console)


if __name__ == "__main__":
    main()
