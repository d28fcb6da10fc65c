"""Both environments install only the files that were pinned: every release in the
requirements files carries its hashes, and set-up installs them in pip's hash-checking mode
(a file that differs from the pinned one stops the install)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = ["requirements/app.txt", "requirements/rasa.txt"]
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
# PyTorch's CPU build: the wheel on this machine's disk, never resolved from an index.
TORCH_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")


def requirements(path: str) -> dict[str, list[str]]:
    """Each requirement line (continuations joined) and the hashes it carries."""
    joined = (ROOT / path).read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines()]
    return {
        line.split()[0]: HASH.findall(line) for line in lines if line and not line.startswith("#")
    }


@pytest.mark.parametrize("path", FILES)
def test_every_release_is_pinned_with_its_hashes(path: str) -> None:
    pins = requirements(path)
    assert len(pins) > 100, f"{path} should list the whole environment"
    assert not [name for name in pins if "==" not in name], f"{path}: unpinned requirements"
    assert not [name for name, hashes in pins.items() if not hashes], f"{path}: pins without hash"


def test_set_up_installs_both_files_in_hash_checking_mode_without_resolving() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text().replace("\\\n", " ")
    installs = [line for line in setup.splitlines() if "pip install" in line and "-r" in line]
    for path in FILES:
        line = next((c for c in installs if path in c), "")
        assert "--require-hashes" in line and "--no-deps" in line, f"{path}: {line!r}"


def test_torch_is_the_cpu_wheel_on_this_disk() -> None:
    pins = requirements("requirements/app.txt")
    assert "torch==2.13.0+cpu" in pins
    if not TORCH_WHEEL.exists():
        pytest.skip(f"{TORCH_WHEEL} is not on this machine")
    digest = hashlib.sha256(TORCH_WHEEL.read_bytes()).hexdigest()
    assert digest in pins["torch==2.13.0+cpu"]
