#!/usr/bin/env python3
"""Writes the hashes of every pinned release into a requirements file, for pip's hash-checking
mode (`pip install --require-hashes`): an install then takes exactly the files that were
pinned, or stops.

    .venv/bin/python scripts/pin_hashes.py requirements/app.txt requirements/rasa.txt

Each `name==version` line gets the sha256 of every file of that release (all platforms, like
`pip-compile --generate-hashes`), read from PyPI's index (its JSON form, which lists each
file's hash, so nothing is downloaded), plus the files of that release in the local folders
pip is configured to look in (PIP_FIND_LINKS, e.g. PyTorch's CPU wheel on this machine's disk).
pip-compile cannot do it here: it asks PyPI's per-release pages, which this machine does not
reach, then downloads every file instead.

Comment lines are kept; a pin with no file found anywhere stops the script, naming it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

INDEX = "https://pypi.org/simple"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
WORKERS = 8


def release_of(filename: str) -> tuple[str, Version] | None:
    """(canonical name, version) of a wheel or sdist file name; None for anything else."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, version
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return name, version
    except (ValueError, InvalidVersion):
        return None
    return None


def index_hashes(index: str, name: str, version: Version) -> set[str]:
    """sha256 of the index's files of this release, as its JSON page lists them."""
    request = urllib.request.Request(  # noqa: S310 (an https index given by the operator)
        f"{index}/{canonicalize_name(name)}/", headers={"Accept": SIMPLE_JSON}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        page = json.load(response)
    hashes = set()
    for item in page.get("files", []):
        found = release_of(item["filename"])
        if found and found[1] == version and item.get("hashes", {}).get("sha256"):
            hashes.add(item["hashes"]["sha256"])
    return hashes


def local_hashes(folders: Iterable[Path], name: str, version: Version) -> set[str]:
    """sha256 of the files of this release lying in pip's local find-links folders."""
    hashes = set()
    for folder in folders:
        for path in folder.glob("*") if folder.is_dir() else ():
            found = release_of(path.name)
            if found and found == (canonicalize_name(name), version):
                hashes.add(hashlib.sha256(path.read_bytes()).hexdigest())
    return hashes


def pinned_lines(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The comment lines, and the pins in order (hashes already there are dropped)."""
    comments, pins = [], []
    for line in text.splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif match := PIN.match(line.strip()):
            pins.append((match.group(1), match.group(2)))
    return comments, pins


def hashed(index: str, folders: Sequence[Path], pins: Sequence[tuple[str, str]]) -> list[str]:
    def one(pin: tuple[str, str]) -> str:
        name, version = pin
        found = index_hashes(index, name, Version(version)) | local_hashes(
            folders, name, Version(version)
        )
        if not found:
            raise SystemExit(f"{name}=={version}: no file of this release on {index} nor in "
                             f"{', '.join(map(str, folders)) or 'no local folder'}")  # fmt: skip
        lines = [f"{name}=={version}"] + [f"--hash=sha256:{digest}" for digest in sorted(found)]
        return " \\\n    ".join(lines)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(one, pins))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="requirements files, rewritten")
    parser.add_argument("--index", default=INDEX, help="the simple index (default %(default)s)")
    args = parser.parse_args(argv)
    folders = [Path(item) for item in os.environ.get("PIP_FIND_LINKS", "").split() if item]
    for path in args.files:
        comments, pins = pinned_lines(path.read_text())
        lines = hashed(args.index.rstrip("/"), folders, pins)
        path.write_text("\n".join([*comments, *lines]) + "\n")
        print(f"{path}: {len(lines)} pins with their hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
