"""Every gateway of a site shares one set of secrets, none of them empty or short.

In production each secret the gateways must agree on is set explicitly (a generated one would
differ from gateway to gateway); anywhere, a secret that is set is long enough; a generated one
is written whole before any process reads it; and a Telegram webhook call without the secret
header is refused whatever the configuration.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import InboundMessage
from bot.db.session import create_db_engine
from bot.gateway.app import create_app
from bot.settings import Settings
from tests.channels.conftest import gateway_settings
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.server import serve
from tests.fakes.telegram import FakeBotAPI, message_update

LONG = "x" * 40
FERNET = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
PRODUCTION: dict[str, Any] = {
    "TRIALBOT_ENV": "production",
    "DATABASE_URL": "postgresql://app@db.site.example/trials",
    "RASA_AUTH_TOKEN": LONG,
    "ACTION_SERVER_TOKEN": LONG,
    "PSEUDONYM_KEY": LONG,
    "DATA_ENCRYPTION_KEY": FERNET,
    "STAFF_API_TOKEN": "s" * 32,
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "TELEGRAM_WEBHOOK_SECRET": "t" * 32,
    "PUBLIC_URL": "https://trials.example.org",
}
SHARED = [
    "STAFF_API_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DATA_ENCRYPTION_KEY",
    "ACTION_SERVER_TOKEN",
]


def _production(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(**{"TRIALBOT_VAR_DIR": tmp_path / "var", **PRODUCTION, **changes})


def test_production_with_every_shared_secret_starts(tmp_path: Path) -> None:
    settings = _production(tmp_path)
    assert settings.staff_token() == "s" * 32 and settings.telegram_secret() == "t" * 32
    assert not (tmp_path / "var" / "secrets").exists()  # nothing generated


@pytest.mark.parametrize("name", SHARED)
@pytest.mark.parametrize("unset", [None, ""])
def test_production_without_a_shared_secret_names_it(
    tmp_path: Path, name: str, unset: str | None
) -> None:
    with pytest.raises(ValidationError, match=f"production needs these set: {name}"):
        _production(tmp_path, **{name: unset})


def test_production_without_telegram_needs_no_webhook_secret(tmp_path: Path) -> None:
    settings = _production(tmp_path, TELEGRAM_BOT_TOKEN=None, TELEGRAM_WEBHOOK_SECRET=None)
    assert not settings.telegram_enabled


def test_telegram_in_polling_mode_in_production_still_needs_the_shared_secret(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        _production(tmp_path, TELEGRAM_MODE="polling", TELEGRAM_WEBHOOK_SECRET=None)


@pytest.mark.parametrize(
    "name", ["STAFF_API_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ACTION_SERVER_TOKEN"]
)
@pytest.mark.parametrize("environment", ["development", "production"])
def test_a_short_secret_is_refused_with_its_name_and_the_minimum(
    tmp_path: Path, name: str, environment: str
) -> None:
    with pytest.raises(ValidationError, match=f"{name} is too short: at least 16 characters"):
        _production(tmp_path, TRIALBOT_ENV=environment, **{name: "hunter2"})


def test_a_webhook_secret_telegram_would_refuse_is_refused_here(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET may only hold"):
        _production(tmp_path, TELEGRAM_WEBHOOK_SECRET="a long secret with spaces!")


def test_an_empty_generated_secret_file_is_refused_not_used(tmp_path: Path) -> None:
    # What a process killed between creating and writing the file used to leave behind.
    secrets = tmp_path / "var" / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "telegram_webhook_secret").touch(mode=0o600)
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path / "var", TELEGRAM_WEBHOOK_SECRET=None)
    with pytest.raises(ValueError, match="telegram_webhook_secret is empty or damaged"):
        settings.telegram_secret()


def _generate(folder: str, rounds: int, barrier: Any, results: Any) -> None:
    """One process of many: at each round, all at once, ask for a secret not yet generated."""
    for number in range(rounds):
        var = Path(folder) / f"round-{number}"
        barrier.wait()
        results.put((number, Settings(TRIALBOT_VAR_DIR=var, STAFF_API_TOKEN=None).staff_token()))


def test_processes_generating_one_secret_at_once_all_read_the_same_whole_value(
    tmp_path: Path,
) -> None:
    processes, rounds = 4, 150
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_generate, args=(str(tmp_path), rounds, barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    seen: dict[int, set[str]] = {}
    for _ in range(processes * rounds):
        number, value = results.get(timeout=120)
        seen.setdefault(number, set()).add(value)
    for worker in workers:
        worker.join(30)
    disagreements = {n: values for n, values in seen.items() if len(values) != 1}
    assert disagreements == {}
    assert all(len(next(iter(values))) >= 32 for values in seen.values())
    leftovers = [p.name for p in tmp_path.glob("round-*/secrets/*") if p.name != "staff_api_token"]
    assert leftovers == []


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"STAFF_API_TOKEN": "short"}, "STAFF_API_TOKEN is too short: at least 16 characters"),
        ({}, "TRIALBOT_ENV=production needs these set: DATABASE_URL, RASA_AUTH_TOKEN"),
    ],
)
def test_a_bad_setting_stops_the_cli_with_one_line_and_exit_code_2(
    tmp_path: Path, changes: dict[str, str], said: str
) -> None:
    trialbot = Path(sys.executable).parent / "trialbot"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRIALBOT_", "TELEGRAM_", "STAFF_", "DATABASE_", "RASA_"))
    }
    environment |= {"TRIALBOT_ENV": "production", "TRIALBOT_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [trialbot, "run"], cwd=tmp_path, env=environment | changes, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert said in done.stderr


@pytest.mark.parametrize("command", ["serve", "actions", "dispatcher"])
def test_a_damaged_secret_file_stops_a_process_in_one_line_naming_it(
    tmp_path: Path, command: str
) -> None:
    secrets = tmp_path / "var" / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "pseudonym_key").touch(mode=0o600)  # what a full disk can leave behind
    trialbot = Path(sys.executable).parent / "trialbot"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRIALBOT_", "PSEUDONYM_", "DATABASE_"))
    }
    environment |= {"TRIALBOT_VAR_DIR": str(tmp_path / "var"), "GATEWAY_PORT": "1"}
    done = subprocess.run(
        [trialbot, command], cwd=tmp_path, env=environment, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "pseudonym_key is empty or damaged: set PSEUDONYM_KEY" in done.stderr


@pytest.fixture
def no_header_gateway(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    bot_api: FakeBotAPI,
    graph_api: FakeGraphAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, Settings]]:
    configurations: dict[str, dict[str, Any]] = {
        "explicit": {},
        "generated": {"TELEGRAM_WEBHOOK_SECRET": None},
        "polling": {"TELEGRAM_MODE": "polling", "PUBLIC_URL": ""},
        "empty": {},
    }
    settings = gateway_settings(tmp_path, bot_api, graph_api, **configurations[request.param])
    if request.param == "empty":
        # However a secret came to be empty, the route must not take "no header" for it.
        monkeypatch.setattr(Settings, "telegram_secret", lambda self: "")
    with serve(create_app(settings), lifespan=True) as url:
        yield url, settings


@pytest.mark.parametrize(
    "no_header_gateway", ["explicit", "generated", "polling", "empty"], indirect=True
)
def test_a_telegram_webhook_call_without_the_secret_header_is_refused(
    no_header_gateway: tuple[str, Settings],
) -> None:
    url, settings = no_header_gateway
    body = message_update(7001, "hello")
    bare = httpx.post(f"{url}/webhooks/telegram", json=body)
    blank = httpx.post(
        f"{url}/webhooks/telegram", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": ""}
    )
    assert (bare.status_code, blank.status_code) == (403, 403)
    engine = create_db_engine(settings.db_url)
    with Session(engine) as session:
        assert session.scalars(select(InboundMessage)).all() == []
    engine.dispose()
