"""The dependency audit that CI runs on both environments: it names its database, fails on a
fixable vulnerability in the app's environment, and never reports a check it could not make
as clean (pip-audit's PyPI service, out of reach here, prints "No known vulnerabilities found").

The audit runs as CI runs it, a script under the environment's interpreter, against a local
server playing PyPI's JSON API.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse, Response

from bot.localstack import free_port
from tests.fakes.server import Failure, FakeServer, Recorded

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "dependency_audit.py"
# Installed in .venv, so in the environment of the interpreter that runs the tests.
VULNERABLE = "jinja2"
ADVISORY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "details": "Template sandbox escape.",
    "fixed_in": ["99.0.0"],
    "withdrawn": None,
}


@dataclass
class Catalogue:
    """What the fake PyPI knows: per-release pages or only project pages, and its advisories."""

    per_release_pages: bool = True
    advisories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    newer: set[str] = field(default_factory=set)  # packages with a release after the installed
    broken: set[str] = field(default_factory=set)  # packages whose pages answer 503


class FakePyPI(FakeServer):
    """PyPI's JSON API: /pypi/NAME/json (the latest release) and /pypi/NAME/VERSION/json."""

    def __init__(self, catalogue: Catalogue) -> None:
        super().__init__()
        self.catalogue = catalogue

    def _method_name(self, path: str) -> str:
        return "release" if path.count("/") == 4 else "project"

    async def _handle(self, call: Recorded) -> Response:
        parts = call.path.strip("/").split("/")  # pypi, name, [version,] json
        name, version = parts[1], parts[2] if len(parts) == 4 else None
        if name in self.catalogue.broken:
            return JSONResponse({"message": "unavailable"}, status_code=503)
        if version is not None and not self.catalogue.per_release_pages:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        latest = "999.0" if name in self.catalogue.newer else _installed_version(name)
        body = {
            "info": {"name": name, "version": latest},
            "vulnerabilities": self.catalogue.advisories.get(name, []),
        }
        return JSONResponse(body)

    def _failure_response(self, call: Recorded, failure: Failure) -> Response:
        return JSONResponse({"message": failure.description}, status_code=failure.status)


def _installed_version(name: str) -> str:
    return _installed().get(name, "0")


@functools.cache
def _installed() -> dict[str, str]:
    """Canonical name to public version, of the environment the audited script runs in."""
    from importlib import metadata

    return {
        _canonical(dist.metadata["Name"]): dist.version.split("+", 1)[0]
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Run:
    status: int
    output: str
    results: dict[str, Any]


def run_audit(pypi: str, tmp_path: Path, *args: str) -> Run:
    """The audit as `make audit` runs it on the app's environment."""
    report = tmp_path / "audit.json"
    command = [sys.executable, str(SCRIPT), "--name", ".venv", "--pypi", pypi]
    done = subprocess.run(
        [*command, "--json", str(report), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = json.loads(report.read_text()) if report.exists() else {}
    return Run(done.returncode, done.stdout + done.stderr, results)


@pytest.fixture
def pypi() -> Iterator[FakePyPI]:
    with FakePyPI(Catalogue()) as server:
        yield server


def test_an_unreachable_database_is_reported_as_not_audited_never_as_clean(
    tmp_path: Path,
) -> None:
    run = run_audit(f"http://127.0.0.1:{free_port()}/pypi", tmp_path)
    assert run.status == 2, run.output
    assert "NOT AUDITED: PyPI's advisory data could not be read at all." in run.output
    assert "Audit complete" not in run.output
    assert "0 known vulnerabilities" not in run.output


def test_a_fixable_vulnerability_in_the_app_environment_fails_and_is_named(
    pypi: FakePyPI, tmp_path: Path
) -> None:
    pypi.catalogue.advisories[VULNERABLE] = [ADVISORY]
    run = run_audit(f"{pypi.url}/pypi", tmp_path)
    assert run.status == 1, run.output
    assert "PYSEC-2099-1, CVE-2099-0001 (fixed in 99.0.0)" in run.output
    assert f"FAILED: 1 fixable vulnerabilities ({VULNERABLE} " in run.output
    # The report says which database it read, and when.
    assert f"read from {pypi.url}/pypi at " in run.output


def test_rasa_environment_findings_are_listed_without_failing(
    pypi: FakePyPI, tmp_path: Path
) -> None:
    pypi.catalogue.advisories[VULNERABLE] = [ADVISORY]
    run = run_audit(f"{pypi.url}/pypi", tmp_path, "--fail-on", "never")
    assert run.status == 0, run.output
    assert "Known vulnerabilities of the installed releases: 1" in run.output


def test_a_withdrawn_advisory_does_not_count(pypi: FakePyPI, tmp_path: Path) -> None:
    pypi.catalogue.advisories[VULNERABLE] = [{**ADVISORY, "withdrawn": "2099-01-02T00:00:00"}]
    run = run_audit(f"{pypi.url}/pypi", tmp_path)
    assert run.status == 0, run.output
    assert "Known vulnerabilities of the installed releases: 0" in run.output


def test_without_per_release_pages_a_package_behind_its_latest_release_is_said_unknown(
    pypi: FakePyPI, tmp_path: Path
) -> None:
    """PyPI's project page lists only the latest release's advisories, as seen from CI."""
    pypi.catalogue.per_release_pages = False
    pypi.catalogue.newer.add(VULNERABLE)
    run = run_audit(f"{pypi.url}/pypi", tmp_path)
    assert run.status == 0, run.output
    assert "1 behind PyPI's latest release" in run.output
    assert "advisories fixed since are NOT known here: jinja2 " in run.output
    by_name = {result["name"]: result for result in run.results["results"]}
    assert by_name[VULNERABLE]["coverage"] == "behind"
    assert by_name["fastapi"]["coverage"] == "latest"


def test_without_per_release_pages_a_package_at_its_latest_release_is_checked(
    pypi: FakePyPI, tmp_path: Path
) -> None:
    pypi.catalogue.per_release_pages = False
    pypi.catalogue.advisories[VULNERABLE] = [ADVISORY]
    run = run_audit(f"{pypi.url}/pypi", tmp_path)
    assert run.status == 1, run.output
    assert "PYSEC-2099-1" in run.output


def test_a_package_that_could_not_be_looked_up_makes_the_audit_incomplete(
    pypi: FakePyPI, tmp_path: Path
) -> None:
    pypi.catalogue.broken.add("fastapi")
    run = run_audit(f"{pypi.url}/pypi", tmp_path)
    assert run.status == 2, run.output
    assert "NOT AUDITED: 1 package(s) could not be looked up." in run.output
    assert "fastapi" in run.output.split("NOT AUDITED, PyPI could not be read for:")[1]


def test_ci_audits_both_environments_and_fails_only_on_the_app_one() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make audit" in ci
    commands = subprocess.run(
        ["make", "-n", "--always-make", "audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    audits = [line for line in commands.splitlines() if "dependency_audit.py" in line]
    assert any(".venv/bin/python" in c and "--fail-on fixable" in c for c in audits), commands
    assert any(".venv-rasa/bin/python" in c and "--fail-on never" in c for c in audits), commands
