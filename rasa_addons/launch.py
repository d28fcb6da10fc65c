"""`python -m rasa_addons.launch rasa run …`: Rasa's own command line, without its secrets on it.

A process's arguments are visible to every user of the machine (`ps`), so the HTTP API's token
arrives in the environment (RASA_AUTH_TOKEN). It leaves the environment here and reaches Rasa's
argument parser inside this process, as the JWT secret the gateway signs its requests with (sent
in a header, never in a URL) and as the plain token. The tracker store's keys leave the
environment the same way, before any of Rasa's code runs. And Rasa's structured log events
(a REST request that timed out names the person's message in `text`) keep the words out.
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


# The event fields Rasa's own anonymiser would rewrite (rasa.utils.log_utils, a Rasa Pro hook
# that is empty here): what a person wrote, and the slots, events and states that hold it.
PERSONAL_FIELDS = frozenset(
    {
        "text", "response_text", "user_text", "slot_values", "parse_data_text",
        "parse_data_entities", "prediction_events", "tracker_latest_message", "prefilled_slots",
        "message", "response", "slot_candidates", "rasa_event", "rasa_events", "tracker_states",
        "current_states", "old_states", "successes", "current_entity", "next_entity", "states",
        "entity", "token_text", "user_message", "json_message",
    }
)  # fmt: skip


def _redact(_logger: object, _name: str, event: dict[str, object]) -> dict[str, object]:
    for field in PERSONAL_FIELDS & event.keys():
        event[field] = "[redacted]"
    return event


def keep_words_out_of_logs() -> None:
    """Put the redaction where Rasa's log configuration calls its anonymiser."""
    from rasa.utils import log_utils

    log_utils._anonymizer = _redact


def main() -> None:
    token = os.environ.pop(TOKEN_VARIABLE, "")
    keep_words_out_of_logs()
    # Imported here, not when Rasa reads endpoints.yml: Rasa falls back to a tracker store in
    # memory, losing every conversation at the next restart, when a store's module fails to load.
    from rasa_addons import tracker_store

    tracker_store.adopt_keys_from_environment()
    tracker_store.fail_whole_turns()  # a turn the store cannot keep fails, not forgotten
    if sys.argv[2:3] == ["run"]:
        from rasa_addons import eager_build

        eager_build.install()  # a server starts in half the time
        from rasa_addons import action_retry

        action_retry.install()  # an action call outlives its server's restart
        from rasa_addons import prediction

        prediction.install()  # from the recent turns; TED asked only when no rule decides
        from rasa_addons import timing

        timing.install()  # where a turn's time goes
        from rasa_addons import action_calls

        action_calls.install()  # a kept session, the answer's schema compiled once
        from rasa_addons import answers

        answers.install()  # "oui je veux bien…" answers the yes-or-no question just asked
    from rasa.__main__ import main as rasa_main

    sys.argv = rasa_arguments(sys.argv[1:], token)
    rasa_main()


if __name__ == "__main__":
    main()
