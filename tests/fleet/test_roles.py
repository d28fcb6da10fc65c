"""Each role of a fleet from its settings alone: where the gateway finds Rasa and Rasa the action
server, a process on a shared database refusing to start without the site's secrets, and a Rasa
server refusing to start without a trained model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import rasa_server
from bot.db.models import InboundMessage
from bot.settings import PROJECT_ROOT, Settings
from tests.staff.conftest import running_site

TRIALBOT = Path(sys.executable).parent / "trialbot"
# A database no one answers at: the refusals come before any connection.
SHARED = "postgresql://fleet@127.0.0.1:9/trialbot"
SECRETS = ("PSEUDONYM_KEY", "DATA_ENCRYPTION_KEY", "STAFF_API_TOKEN", "RASA_AUTH_TOKEN",
           "ACTION_SERVER_TOKEN")  # fmt: skip


def test_one_machine_by_default_and_the_balancer_when_set(tmp_path: Path) -> None:
    alone = Settings(TRIALBOT_VAR_DIR=tmp_path, RASA_PORT=5105, ACTIONS_PORT=5155)
    assert (alone.rasa_url, alone.actions_url) == ("http://127.0.0.1:5105", "http://127.0.0.1:5155")
    fleet = Settings(
        TRIALBOT_VAR_DIR=tmp_path, RASA_URL="http://10.0.0.5:8405/", ACTIONS_URL="http://lb:8455"
    )
    assert (fleet.rasa_url, fleet.actions_url) == ("http://10.0.0.5:8405", "http://lb:8455")
    # endpoints.yml reads where Rasa calls the actions from Rasa's environment.
    assert rasa_server.rasa_env(fleet)["ACTIONS_URL"] == "http://lb:8455"
    assert "${ACTIONS_URL}/webhook" in (PROJECT_ROOT / "endpoints.yml").read_text()


def test_a_rasa_url_with_a_path_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="RASA_URL"):
        Settings(TRIALBOT_VAR_DIR=tmp_path, RASA_URL="10.0.0.5:5005/webhooks")


def _trialbot(tmp_path: Path, command: str, **settings: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRIALBOT_", "DATABASE_", "RASA_", "TELEGRAM_"))
        and key not in SECRETS
    }
    environment |= {"TRIALBOT_VAR_DIR": str(tmp_path / "var"), **settings}
    return subprocess.run(
        [TRIALBOT, command], cwd=tmp_path, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["serve", "rasa", "actions", "dispatcher"])
def test_a_process_on_a_shared_database_will_not_make_secrets_of_its_own(
    tmp_path: Path, command: str
) -> None:
    done = _trialbot(tmp_path, command, DATABASE_URL=SHARED, PSEUDONYM_KEY="a-key-of-the-site")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert (
        "DATA_ENCRYPTION_KEY, STAFF_API_TOKEN, RASA_AUTH_TOKEN, ACTION_SERVER_TOKEN: not set"
        in (said)
    )
    assert "PSEUDONYM_KEY" not in said  # given: not asked for
    assert not (tmp_path / "var" / "secrets" / "data_key").exists()


def test_a_rasa_server_without_a_trained_model_says_how_to_make_one(tmp_path: Path) -> None:
    done = _trialbot(tmp_path, "rasa", RASA_MODEL_DIR=str(tmp_path / "models"))
    assert done.returncode == 1, done.stderr
    said = " ".join(done.stderr.split())
    assert "no trained model" in said and "run `trialbot train` first" in said


def test_a_web_message_sent_again_with_its_id_is_taken_in_once(
    tmp_path: Path, database_url: str
) -> None:
    """A gateway died with the request: the page (or bench/fleet) sends it again, through the
    balancer to another gateway, with the same id; it is not handled twice (Rasa is away here:
    the first send is kept for later, and the repeat is told the same)."""
    with running_site(tmp_path, database_url) as site:
        message = {"sender": "retry-1", "text": "how many visits are there?", "id": "7"}
        with httpx.Client(base_url=site.url, timeout=30) as client:
            first = client.post("/api/chat", json=message)
            again = client.post("/api/chat", json=message)
            other = client.post("/api/chat", json={**message, "id": "8"})
        with Session(site.engine) as session:
            taken = session.scalar(select(func.count()).select_from(InboundMessage))
    assert "I have kept your message" in first.json()["messages"][0]["text"]
    assert (again.status_code, again.json()["messages"]) == (200, first.json()["messages"])
    assert other.json()["messages"] != []  # a new id is a new message
    assert taken == 2
