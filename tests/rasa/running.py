"""Python code run in Rasa's own environment (`.venv-rasa`), as `trialbot run` runs Rasa."""

from __future__ import annotations

import subprocess

from bot import rasa_server
from bot.settings import PROJECT_ROOT, get_settings


def rasa_python(
    *arguments: str, log_level: str, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python ARGUMENTS…` in Rasa's environment, from the project's root; its output kept."""
    settings = get_settings()
    return subprocess.run(
        [str(settings.rasa_venv / "bin" / "python"), *arguments],
        cwd=PROJECT_ROOT,
        env={**rasa_server.rasa_env(settings), "LOG_LEVEL": log_level, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
