"""`python -m rasa_addons.launch rasa run …`: Rasa's own command line, without its secrets on it.

A process's arguments are visible to every user of the machine (`ps`), so the HTTP API's token
arrives in the environment (RASA_AUTH_TOKEN). It leaves the environment here and reaches Rasa's
argument parser inside this process, as the JWT secret the gateway signs its requests with (sent
in a header, never in a URL) and as the plain token. The tracker store's keys leave the
environment the same way, before any of Rasa's code runs.
"""

from __future__ import annotations

import os
import sys

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"  # noqa: S105 (a name, not a value)
USAGE = "usage: python -m rasa_addons.launch rasa <command> [options]"


def rasa_arguments(argv: list[str], token: str) -> list[str]:
    """Rasa's argv: `argv` as given, with the token added to `rasa run`."""
    if argv[:1] != ["rasa"]:
        raise SystemExit(USAGE)
    if not token or argv[1:2] != ["run"]:
        return list(argv)
    # `--option=value`: a token may begin with "-", which argparse would take for an option.
    return [*argv, f"--auth-token={token}", f"--jwt-secret={token}", "--jwt-method", "HS256"]


def main() -> None:
    token = os.environ.pop(TOKEN_VARIABLE, "")
    # Imported here, not when Rasa reads endpoints.yml: Rasa falls back to a tracker store in
    # memory, losing every conversation at the next restart, when a store's module fails to load.
    from rasa_addons import tracker_store

    tracker_store.adopt_keys_from_environment()
    if sys.argv[2:3] == ["run"]:
        from rasa_addons import eager_build

        eager_build.install()  # a server starts in half the time
    from rasa.__main__ import main as rasa_main

    sys.argv = rasa_arguments(sys.argv[1:], token)
    rasa_main()


if __name__ == "__main__":
    main()
