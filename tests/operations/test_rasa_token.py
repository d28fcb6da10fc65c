"""Rasa is given its API token whatever the token's first character: a generated token (URL-safe
base64) begins with "-" once in 64, which Rasa's argument parser took for an option, and Rasa
refused to start on that site for good."""

from __future__ import annotations

import subprocess

from bot.settings import PROJECT_ROOT

PARSE = """
from rasa.__main__ import create_argument_parser
from rasa_addons.launch import rasa_arguments
argv = rasa_arguments(["rasa", "run", "--enable-api"], "-Xy_token-that-starts-with-a-dash")
parsed = create_argument_parser().parse_args(argv[1:])
print(parsed.auth_token, parsed.jwt_secret)
"""


def test_a_token_that_begins_with_a_dash_reaches_rasa() -> None:
    done = subprocess.run(
        [str(PROJECT_ROOT / ".venv-rasa" / "bin" / "python"), "-c", PARSE],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-1500:]
    token = "-Xy_token-that-starts-with-a-dash"
    assert done.stdout.split() == [token, token]
