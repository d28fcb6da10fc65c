"""A child's output line longer than the supervisor reads at once (Rasa logging a whole tracker
an action server sent back, say) is left out, and what follows is still shown: the pump that
reads the child's output goes on, so the child never blocks on a full pipe."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from bot.supervisor import Child, ChildSpec
from tests.unit.test_supervisor import _wait_for

TALKER = """
print("x" * 200_000, flush=True)
print("after the long line", flush=True)
"""


async def _always() -> bool:
    return True


async def test_a_line_too_long_is_left_out_and_the_output_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    with log.open("w") as output:
        child = Child(
            ChildSpec("rasa", [sys.executable, "-c", TALKER], _always), Console(file=output)
        )
        await child.start()
        assert child.process is not None
        await child.process.wait()
        await _wait_for(lambda: "after the long line" in log.read_text(), timeout=10)
    said = log.read_text()
    assert "a line too long to show was left out" in said
    assert "after the long line" in said
