"""The real stack for the security tests: the end-to-end one, started the way an unprepared host
would start it, with a umask that leaves new files readable by everybody, a `var/` folder open to
all, and channel and SMTP secrets in the environment (which must not reach Rasa)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.localstack import local_stack
from tests.e2e.conftest import Stack, talking_to
from tests.fakes.channels import channel_env
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.telegram import FakeBotAPI

SMTP_PASSWORD = "smtp-password-7d41c9"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("secure-stack") / "var"
    with FakeBotAPI() as bot_api, FakeGraphAPI() as graph_api:
        env = {
            **channel_env(bot_api, graph_api),
            "REMINDER_INTERVAL_SECONDS": "1",
            "SMTP_PASSWORD": SMTP_PASSWORD,
        }
        previous = os.umask(0)  # inherited by the stack's processes as they start
        try:
            var_dir.mkdir(mode=0o777)
            with local_stack(var_dir, env=env) as started:
                os.umask(previous)
                with talking_to(started, bot_api, graph_api) as stack:
                    yield stack
        except RuntimeError as error:
            pytest.fail(str(error))
        finally:
            os.umask(previous)
