"""Staff pages at a site's scale: their data functions and the pages themselves, timed.

    .venv/bin/python bench/staff_pages [--people 20000] [--questions 2000] [--repeat 7]
                                       [--postgres URL] [--no-http] [--json]

Builds a site's six months of data (`site.py`: conversations from 8 campaigns and direct, the
pre-screenings of the two trials in knowledge/trials with encrypted answers, contact requests,
participants with visits and reminders, safety events, handoffs, feedback, and unanswered
questions drawn from the 40 topics of `questions.yml` in English and French), inserts it into a
throw-away SQLite database (and a PostgreSQL one with `--postgres`), then times each function
the staff pages call, one session per call as a request has: one call to warm up, then
`--repeat` timed ones; median, p95 and the peak resident memory during the calls. The knowledge
gaps are timed cold (no question seen before; the model's load is timed apart) and warm (the
same questions again, as on the next visit of the page). Then the pages through the real app
(uvicorn, signed in as a coordinator), unless `--no-http`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the uvicorn helper and the signed-in client live with the tests

from cryptography.fernet import Fernet  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.staff_pages.site import (  # noqa: E402
    CAMPAIGNS,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    T2D,
    Scale,
    build,
    insert_site,
)
from bot.crypto import Cipher  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import utcnow  # noqa: E402
from bot.db.session import create_db_engine, scratch_database  # noqa: E402
from bot.gateway.app import create_app  # noqa: E402
from bot.localstack import free_port  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.staff import funnel, inbox, knowledge, participants  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.staff.conftest import StaffClient  # noqa: E402

PAGES = (
    "/staff",
    "/staff/knowledge",
    "/staff/funnel",
    f"/staff/funnel?trial={T2D}",
    "/staff/funnel.csv",
    "/staff/participants",
)


@dataclass(frozen=True)
class Timing:
    name: str
    seconds: list[float]
    peak_rss: int  # bytes, the most the process held during the calls
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else float("nan")

    @property
    def p95_ms(self) -> float:
        if len(self.seconds) < 2:
            return self.median_ms
        return statistics.quantiles(self.seconds, n=20, method="inclusive")[18] * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_ms": round(self.median_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
            "runs": len(self.seconds),
            "peak_rss_mib": round(self.peak_rss / 2**20, 1),
            "note": self.note,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help="conversations")
    parser.add_argument("--questions", type=int, default=2_000, help="unanswered questions")
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per function")
    parser.add_argument("--postgres", metavar="URL", help="also on a throw-away database there")
    parser.add_argument("--no-http", action="store_true", help="skip the pages through the app")
    parser.add_argument(
        "--cache-dir", type=Path, default=ROOT / "var" / "cache",
        help="where `make setup` put the model's ONNX export",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    key = Fernet.generate_key().decode()
    cipher = Cipher([key.encode()])
    scale = Scale(people=args.people, questions=args.questions)
    with tempfile.TemporaryDirectory() as var, ExitStack() as stack:
        databases = {"SQLite": f"sqlite:///{var}/site.db"}
        if args.postgres:
            databases["PostgreSQL"] = stack.enter_context(
                scratch_database(args.postgres, "trialbot_bench")
            )
        configured = {
            name: _settings(Path(var), url, key, args.cache_dir) for name, url in databases.items()
        }
        counts = _seed(console, scale, cipher, configured)
        encode = knowledge.lazy_encoder(next(iter(configured.values())))
        started = time.perf_counter()
        encode([])  # loads the model: once per process, whatever the page
        model_load = time.perf_counter() - started
        baseline = _Memory.current()
        results: dict[str, list[Timing]] = {}
        for name, settings in configured.items():
            console.print(f"timing on {name}…")
            results[name] = _time_functions(settings, cipher, encode, args.repeat)
            if not args.no_http:
                results[name] += _time_pages(settings, args.repeat)
    figures = {
        "scale": counts,
        "machine": _machine(),
        "model_load_ms": round(model_load * 1000, 1),
        "rss_before_timing_mib": round(baseline / 2**20, 1),
        "engines": {name: {t.name: t.as_dict() for t in ts} for name, ts in results.items()},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _show(Console(width=None if sys.stdout.isatty() else 120), figures, results)
    failed = [t for ts in results.values() for t in ts if t.note.startswith("HTTP")]
    return 1 if failed else 0


def _settings(var: Path, url: str, key: str, cache_dir: Path) -> Settings:
    return Settings(
        TRIALBOT_VAR_DIR=var, DATABASE_URL=url, DATA_ENCRYPTION_KEY=key,
        PSEUDONYM_KEY="bench-key", TRIALBOT_CACHE_DIR=cache_dir,
        RASA_PORT=free_port(), ACTIONS_PORT=free_port(),  # nothing there: pages need no Rasa
        REMINDERS_IN_GATEWAY=False, TELEGRAM_BOT_TOKEN="", MESSENGER_PAGE_TOKEN="",
    )  # fmt: skip


def _seed(
    console: Console, scale: Scale, cipher: Cipher, configured: dict[str, Settings]
) -> dict[str, int]:
    """The site's rows, built once and inserted into every database; rows per table."""
    first = next(iter(configured.values()))
    with Progress(console=console, transient=True) as progress:
        building = progress.add_task("building the site", total=scale.people)
        site = build(
            scale, cipher, first.knowledge_dir, utcnow(), partial(progress.advance, building)
        )
        entries = knowledge.load_entries(first.knowledge_dir)
        for name, settings in configured.items():
            upgrade(settings.db_url)
            engine = create_db_engine(settings.db_url)
            inserting = progress.add_task(f"inserting into {name}", total=site.total)
            try:
                insert_site(engine, site, cipher, entries, partial(progress.advance, inserting))
            finally:
                engine.dispose()
    counts = site.counts()
    del site
    gc.collect()  # what the pages hold, not the seeding, is measured after this
    return counts


# Timing -----------------------------------------------------------------------------------------


def _time_functions(
    settings: Settings, cipher: Cipher, encode: knowledge.Encode, repeat: int
) -> list[Timing]:
    folder = settings.knowledge_dir
    campaign = CAMPAIGNS[0][0]
    entries = knowledge.load_entries(folder)
    calls: list[tuple[str, Callable[[Session], object]]] = [
        ("inbox.items", lambda s: inbox.items(s, cipher)),
        ("funnel.funnel (all)", lambda s: funnel.funnel(s)),
        ("funnel.funnel (one trial)", lambda s: funnel.funnel(s, trial=T2D)),
        ("funnel.funnel (one campaign)", lambda s: funnel.funnel(s, campaign=campaign)),
        ("funnel.by_campaign", lambda s: funnel.by_campaign(s)),
        (
            "funnel.question_drop_off (one trial)",
            lambda s: funnel.question_drop_off(s, cipher, folder, trial=T2D),
        ),
        ("funnel.to_csv (all trials)", lambda s: funnel.to_csv(s, cipher, folder)),
        ("participants.search (no query)", lambda s: participants.search(s, None)),
        ("participants.search ('01')", lambda s: participants.search(s, "01")),
        ("knowledge.load_entries", lambda s: knowledge.load_entries(folder)),
        ("knowledge.feedback", lambda s: knowledge.feedback(s, entries=entries)),
    ]
    engine = create_db_engine(settings.db_url)
    try:
        timings = [
            _measure(name, partial(_in_session, engine, call), repeat) for name, call in calls
        ]
        return timings + _time_gaps(
            engine, lambda s: knowledge.gap_groups(s, cipher, encode, entries=entries), repeat
        )
    finally:
        engine.dispose()


def _time_gaps(engine: Engine, gaps: Callable[[Session], object], repeat: int) -> list[Timing]:
    """Cold: no question encoded yet in the process (its vectors forgotten before each call);
    warm: the same questions again, as on the page's next visit."""
    return [
        _measure(
            "knowledge.gap_groups cold",
            lambda: _in_session(engine, gaps),
            repeat,
            warm_up=False,
            before_each=knowledge.question_vectors.clear,
        ),
        _measure("knowledge.gap_groups warm", lambda: _in_session(engine, gaps), repeat),
    ]


def _time_pages(settings: Settings, repeat: int) -> list[Timing]:
    """Each page through the app, as a signed-in coordinator's browser asks for it."""
    timings = []
    with (
        serve(create_app(settings), lifespan=True) as url,
        StaffClient(base_url=url, follow_redirects=False, timeout=300) as browser,
    ):
        signed = browser.sign_in(STAFF_EMAIL, STAFF_PASSWORD)
        if signed.status_code != 303:
            return [Timing("GET /staff/login", [], 0, f"HTTP {signed.status_code}")]
        for page in PAGES:
            answer = browser.get(page)
            if answer.status_code != 200:
                timings.append(Timing(f"GET {page}", [], 0, f"HTTP {answer.status_code}"))
                continue
            timings.append(_measure(f"GET {page}", partial(browser.get, page), repeat))
    return timings


def _in_session(engine: Engine, call: Callable[[Session], object]) -> object:
    with Session(engine) as session:
        return call(session)


def _measure(
    name: str,
    call: Callable[[], object],
    repeat: int,
    *,
    warm_up: bool = True,
    before_each: Callable[[], None] = lambda: None,
) -> Timing:
    if warm_up:
        call()
    _Memory.reset_peak()
    seconds = []
    for _ in range(repeat):
        before_each()
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return Timing(name, seconds, _Memory.peak())


class _Memory:
    """The process's resident memory (Linux): its peak since the last reset, and now."""

    @staticmethod
    def reset_peak() -> None:
        # Resets VmHWM (Linux ≥ 4.0); elsewhere the peak is the process's, since it started.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")

    @staticmethod
    def peak() -> int:
        return _Memory._status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    @staticmethod
    def current() -> int:
        return _Memory._status("VmRSS")

    @staticmethod
    def _status(field: str) -> int:
        try:
            found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
        except OSError:
            return 0
        return int(found.group(1)) * 1024 if found else 0


# Output -----------------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    model = ""
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpu, re.M)
        model = found.group(1).strip() if found else ""
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
    }


def _show(console: Console, figures: dict[str, Any], results: dict[str, list[Timing]]) -> None:
    scale = figures["scale"]
    console.print("Site: " + ", ".join(f"{count:,} {table}" for table, count in scale.items()))
    machine = figures["machine"]
    console.print(
        f"Machine: {machine['cores']} cores, {machine['cpu']}, Python {machine['python']}; "
        f"model load {figures['model_load_ms']:.0f} ms (once per process, not in the figures); "
        f"RSS before timing {figures['rss_before_timing_mib']:.0f} MiB"
    )
    table = Table(title="Staff pages: ms per call (median, p95) and peak RSS during the calls")
    table.add_column("call")
    for name in results:
        table.add_column(f"{name} median", justify="right")
        table.add_column("p95", justify="right")
        table.add_column("RSS MiB", justify="right")
    names = list(dict.fromkeys(t.name for ts in results.values() for t in ts))
    for name in names:
        row = [name]
        for timings in results.values():
            found = next((t for t in timings if t.name == name), None)
            if found is None or not found.seconds:
                row += [found.note if found else "", "", ""]
            else:
                row += [
                    f"{found.median_ms:,.1f}",
                    f"{found.p95_ms:,.1f}",
                    f"{found.peak_rss / 2**20:,.0f}",
                ]
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
