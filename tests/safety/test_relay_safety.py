"""Every message is checked before Rasa: emergencies and side effects answered, recorded, listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from bot.channels.base import Inbound
from bot.cli import app
from bot.db.models import InboundMessage, MessageStatus, SafetyEvent
from bot.db.session import make_session_factory
from bot.settings import Settings, get_settings
from tests.gateway.test_relay_offline import _relay  # Rasa down: the answer must not need it


async def test_an_emergency_gets_the_number_at_once_in_french_and_is_recorded(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    (reply,) = await relay.handle(Inbound("web", "p-fr", "j'arrive plus a respirer, aidez moi"))
    assert reply.text is not None and "Appelez le 112" in reply.text
    assert "Désolé" not in reply.text  # not the apology for Rasa being down
    with make_session_factory(migrated_engine)() as session:
        (event,) = session.scalars(select(SafetyEvent)).all()
        assert (event.kind, event.language) == ("emergency", "fr")
        assert relay.cipher.decrypt(event.category) == "breathing"
        assert event.status == "open" and event.text != "j'arrive plus a respirer, aidez moi"
        (message,) = session.scalars(select(InboundMessage)).all()
        assert message.status == MessageStatus.DONE  # answered by the gateway, not sent to Rasa


async def test_thoughts_of_suicide_get_the_crisis_line(
    migrated_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path / "var", PSEUDONYM_KEY="k", CRISIS_LINE="3114")
    (reply,) = await _relay(migrated_engine, settings).handle(
        Inbound("web", "p-en", "I just want to end it all")
    )
    assert reply.text is not None and "3114" in reply.text and "112" in reply.text


async def test_a_side_effect_is_acknowledged_with_advice_and_recorded(
    migrated_engine: Engine, settings: Settings
) -> None:
    relay = _relay(migrated_engine, settings)
    text = "since the new tablets I get bad headaches every afternoon"
    reply, follow_up = await relay.handle(Inbound("web", "p-ae", text))
    assert reply.text is not None
    assert "passed this on to the study team" in reply.text
    assert follow_up.text is not None and "When did it start?" in follow_up.text
    assert "do not stop or change your study treatment" in reply.text.lower()
    with make_session_factory(migrated_engine)() as session:
        (event,) = session.scalars(select(SafetyEvent)).all()
        assert event.kind == "adverse_event" and event.created_at is not None


async def test_ordinary_messages_go_on_to_rasa(migrated_engine: Engine, settings: Settings) -> None:
    relay = _relay(migrated_engine, settings)
    (reply,) = await relay.handle(Inbound("web", "p-ok", "no chest pain, where do I park?"))
    assert reply.text is not None and "Sorry, I can't answer right now" in reply.text
    with make_session_factory(migrated_engine)() as session:
        assert session.scalars(select(SafetyEvent)).all() == []


async def test_staff_list_and_acknowledge_events(
    migrated_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = _relay(migrated_engine, settings)
    await relay.handle(Inbound("web", "p-1", "my husband collapsed and wont wake up"))
    await relay.handle(Inbound("web", "p-2", "depuis la piqure j'ai des boutons partout"))
    url = migrated_engine.url.render_as_string(hide_password=False)
    env = {"TRIALBOT_VAR_DIR": str(settings.var_dir), "DATABASE_URL": url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # the CLI reads the settings of this test, not an earlier one
    try:
        _list_and_acknowledge(CliRunner())
    finally:
        get_settings.cache_clear()


def _list_and_acknowledge(runner: CliRunner) -> None:
    listed = runner.invoke(app, ["safety", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("adverse_event", "open"),  # newest first
        ("emergency", "open"),
    ]
    assert rows[1]["text"] == "my husband collapsed and wont wake up"
    assert set(rows[0]) >= {"id", "kind", "created_at", "participant", "channel", "text", "status"}
    acked = runner.invoke(app, ["safety", "ack", str(rows[1]["id"])])
    assert acked.exit_code == 0 and "acknowledged" in acked.output
    still = json.loads(runner.invoke(app, ["safety", "list", "--json"]).output)
    assert [r["kind"] for r in still] == ["adverse_event"]
    everything = runner.invoke(app, ["safety", "list", "--all", "--json"])
    assert [r["status"] for r in json.loads(everything.output)] == ["open", "acknowledged"]
    missing = runner.invoke(app, ["safety", "ack", "999"])
    assert missing.exit_code == 1 and "no safety event 999" in missing.output
