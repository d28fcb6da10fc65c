"""`make setup` on a machine without Python 3.10 stops and says how to get it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT


def test_missing_python_310_is_explained(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    for tool in ("bash", "dirname", "sort", "ls", "cat", "printf"):
        (empty_bin / tool).symlink_to(
            f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else f"/bin/{tool}"
        )
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "setup.sh"), "rasa"],
        env={"PATH": str(empty_bin), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Python 3.10 is needed" in result.stderr
    assert "pyenv install 3.10" in result.stderr
