#!/usr/bin/env python3
"""Known vulnerabilities in the Python environment that runs this script, from PyPI's own
advisory data (the Python Packaging Advisory Database, as osv.dev publishes it).

Run it with each environment's interpreter (`make audit` does both):

    .venv/bin/python scripts/dependency_audit.py --name .venv --fail-on fixable
    .venv-rasa/bin/python scripts/dependency_audit.py --name .venv-rasa --fail-on never

Why not pip-audit: its two services are out of reach from the project's machines and CI, which
reach PyPI's index and project pages but not osv.dev nor PyPI's per-release pages. There,
`pip-audit -s pypi` skips every package and still prints "No known vulnerabilities found".
This script reads the per-release page when PyPI serves it (exact), else the project page,
whose advisories are those of the latest release: exact for a package at its latest release,
and only "open in the latest release too" for one behind it, which is said as such. It says
which source it used and when; a package it could not look up is listed as NOT audited, and
an audit that reached nothing fails: it never reports a clean result it did not check.

PyPI gives no severity: every advisory with a fixed release counts as fixable and high.

Standard library only, Python 3.10 and later: it runs in Rasa's environment as it is.
Exit status: 0 passed, 1 fixable findings (with --fail-on fixable), 2 NOT audited (PyPI
could not be read for some package).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

DEFAULT_PYPI = "https://pypi.org/pypi"
TIMEOUT = 20.0
ATTEMPTS = 3
WORKERS = 8
# This project itself: installed editable, not a PyPI package (a PyPI project of the same
# name would be someone else's).
OWN_PROJECTS = frozenset({"trialbot"})

# How much of its own release a package was checked against.
EXACT = "exact"  # PyPI's advisories for the installed release
LATEST = "latest"  # the installed release is PyPI's latest: its advisories are this one's
BEHIND = "behind"  # only the latest release's advisories were readable
NOT_ON_PYPI = "not on PyPI"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str

    @property
    def fixable(self) -> bool:
        return bool(self.fixed_in)


@dataclass
class Result:
    name: str
    version: str
    coverage: str
    latest: str = ""
    advisories: list[Advisory] = field(default_factory=list)
    error: str = ""

    @property
    def audited(self) -> bool:
        return self.coverage in (EXACT, LATEST, BEHIND)


class Unreachable(Exception):
    """PyPI did not answer (network, DNS, time-out or a server error)."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def public_version(version: str) -> str:
    """`2.13.0+cpu` is PyPI's 2.13.0: a local label marks a build, not another release."""
    return version.split("+", 1)[0]


def installed() -> list[tuple[str, str]]:
    """(canonical name, version) of every distribution in this interpreter's environment."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in OWN_PROJECTS:
            found.setdefault(canonical(name), dist.version)
    return sorted(found.items())


def fetch(url: str) -> dict[str, Any] | None:
    """The JSON at `url`; None for a 404; Unreachable when PyPI could not be read."""
    last = ""
    for attempt in range(ATTEMPTS):
        try:
            # The root is checked to be http(s) in main(): no file: or custom scheme here.
            request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                data = json.load(response)
            if not isinstance(data, dict):
                raise Unreachable(f"{url}: not a JSON object")
            return data
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            last = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError, ValueError) as error:
            last = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
        time.sleep(0.5 * (attempt + 1))
    raise Unreachable(last)


def advisories(data: dict[str, Any]) -> list[Advisory]:
    """The advisories a PyPI JSON page lists, withdrawn ones left out."""
    found = []
    for item in data.get("vulnerabilities") or []:
        if item.get("withdrawn"):
            continue
        found.append(
            Advisory(
                id=str(item.get("id", "?")),
                aliases=tuple(sorted(item.get("aliases") or ())),
                fixed_in=tuple(item.get("fixed_in") or ()),
                summary=" ".join(str(item.get("summary") or item.get("details") or "").split()),
            )
        )
    return found


def audit_one(pypi: str, name: str, version: str) -> Result:
    """One package's advisories, and how completely they could be read."""
    release = public_version(version)
    try:
        exact = fetch(f"{pypi}/{name}/{release}/json")
        if exact is not None:
            latest = str(exact.get("info", {}).get("version", ""))
            return Result(name, version, EXACT, latest, advisories(exact))
        project = fetch(f"{pypi}/{name}/json")
    except Unreachable as error:
        return Result(name, version, UNREACHABLE, error=str(error))
    if project is None:
        return Result(name, version, NOT_ON_PYPI)
    latest = str(project.get("info", {}).get("version", ""))
    coverage = LATEST if latest == release else BEHIND
    return Result(name, version, coverage, latest, advisories(project))


def audit(pypi: str, packages: Iterable[tuple[str, str]]) -> list[Result]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda item: audit_one(pypi, *item), packages))


def findings(results: Sequence[Result]) -> list[tuple[Result, Advisory]]:
    """Advisories known to affect the installed release."""
    return [
        (result, advisory)
        for result in results
        if result.coverage in (EXACT, LATEST)
        for advisory in result.advisories
    ]


def describe(advisory: Advisory) -> str:
    names = ", ".join((advisory.id, *advisory.aliases))
    fix = f"fixed in {', '.join(advisory.fixed_in)}" if advisory.fixable else "no fixed release"
    summary = f": {advisory.summary[:160]}" if advisory.summary else ""
    return f"{names} ({fix}){summary}"


def report(name: str, pypi: str, results: Sequence[Result], started: datetime) -> list[str]:
    """The lines an operator reads: what was checked against what, and what was found."""
    by: dict[str, list[Result]] = {}
    for result in results:
        by.setdefault(result.coverage, []).append(result)
    lines = [
        f"Dependency audit of {name}: Python {platform.python_version()}, "
        f"{len(results)} distributions",
        f"Database: PyPI's advisory data (Python Packaging Advisory Database via osv.dev), "
        f"read from {pypi} at {started:%Y-%m-%d %H:%M} UTC; PyPI gives no severity",
        f"Coverage: {len(by.get(EXACT, [])) + len(by.get(LATEST, []))} checked against their "
        f"own release, {len(by.get(BEHIND, []))} behind PyPI's latest release (checked against "
        f"that release's open advisories only), {len(by.get(NOT_ON_PYPI, []))} not on PyPI, "
        f"{len(by.get(UNREACHABLE, []))} unreachable",
    ]
    known = findings(results)
    lines.append(f"Known vulnerabilities of the installed releases: {len(known)}")
    lines += [f"  {r.name} {r.version}: {describe(a)}" for r, a in known]
    behind = [result for result in by.get(BEHIND, []) if result.advisories]
    if behind:
        lines.append("Open in the latest release too (so probably in the installed one):")
        lines += [
            f"  {r.name} {r.version} (latest {r.latest}): {describe(a)}"
            for r in behind
            for a in r.advisories
        ]
    if by.get(BEHIND):
        lines.append(
            "Behind the latest release, advisories fixed since are NOT known here: "
            + ", ".join(f"{r.name} {r.version} (latest {r.latest})" for r in by[BEHIND])
        )
    if by.get(NOT_ON_PYPI):
        lines.append(
            "NOT audited, not on PyPI: "
            + ", ".join(f"{r.name} {r.version}" for r in by[NOT_ON_PYPI])
        )
    if by.get(UNREACHABLE):
        lines.append("NOT AUDITED, PyPI could not be read for:")
        lines += [f"  {r.name} {r.version}: {r.error}" for r in by[UNREACHABLE]]
    return lines


def verdict(results: Sequence[Result], fail_on: str) -> tuple[int, str]:
    """The exit status and the closing line."""
    unreachable = [r for r in results if r.coverage == UNREACHABLE]
    if unreachable and len(unreachable) == len(results):
        return 2, "NOT AUDITED: PyPI's advisory data could not be read at all."
    if unreachable:
        return 2, f"NOT AUDITED: {len(unreachable)} package(s) could not be looked up."
    fixable = [(r, a) for r, a in findings(results) if a.fixable]
    if fixable and fail_on == "fixable":
        names = ", ".join(sorted({f"{r.name} {r.version}" for r, _ in fixable}))
        return 1, f"FAILED: {len(fixable)} fixable vulnerabilities ({names}): upgrade the pins."
    known = len(findings(results))
    likely = sum(1 for r in results if r.coverage == BEHIND and r.advisories)
    also = (
        f", and {likely} package(s) with advisories still open in their latest release"
        if likely
        else ""
    )
    return (
        0,
        f"Audit complete: {known} known vulnerabilities in the installed releases{also}"
        " (listed above).",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default=sys.prefix, help="the environment's name in the report")
    parser.add_argument(
        "--fail-on",
        choices=("fixable", "never"),
        default="fixable",
        help="fail (exit 1) on advisories with a fixed release, or only list them",
    )
    parser.add_argument(
        "--pypi",
        default=os.environ.get("AUDIT_PYPI_URL", DEFAULT_PYPI),
        help="PyPI's JSON API root (default %(default)s, or AUDIT_PYPI_URL)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if not re.match(r"https?://", args.pypi):
        parser.error(f"--pypi / AUDIT_PYPI_URL must be an http(s) address, not {args.pypi!r}")
    started = datetime.now(timezone.utc)  # noqa: UP017 (runs on Python 3.10)
    clock = time.monotonic()
    pypi = args.pypi.rstrip("/")
    try:
        # One look first: when PyPI cannot be read at all, say so at once.
        fetch(f"{pypi}/pip/json")
    except Unreachable as error:
        print(f"Dependency audit of {args.name}: PyPI's advisory data at {pypi}: {error}")
        results = [
            Result(name, version, UNREACHABLE, error=str(error)) for name, version in installed()
        ]
    else:
        results = audit(pypi, installed())
        for line in report(args.name, pypi, results, started):
            print(line)
    status, closing = verdict(results, args.fail_on)
    print(f"{closing} ({time.monotonic() - clock:.1f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "environment": args.name,
                    "database": args.pypi,
                    "read_at": started.isoformat(),
                    "status": status,
                    "results": [_as_json(result) for result in results],
                },
                out,
                indent=1,
            )
    return status


def _as_json(result: Result) -> dict[str, Any]:
    return {
        "name": result.name,
        "version": result.version,
        "coverage": result.coverage,
        "latest": result.latest,
        "error": result.error,
        "advisories": [
            {"id": a.id, "aliases": a.aliases, "fixed_in": a.fixed_in, "summary": a.summary}
            for a in result.advisories
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
