"""Staff count each campaign's conversations from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.campaigns import Referral, parse_referral
from bot.cli import app
from bot.db.migrate import upgrade
from bot.db.models import Conversation, LanguageSource
from bot.db.session import create_db_engine
from bot.settings import get_settings


@pytest.mark.parametrize(
    ("payload", "campaign", "link_code"),
    [
        ("camp_spring-fb", "spring-fb", None),
        ("Xk3-9aQ_z", None, "Xk3-9aQ_z"),
        ("camp_", None, "camp_"),
        ("", None, None),
        ("hello world", None, None),
        ("camp_" + "x" * 60, None, None),
    ],
)
def test_payloads_name_a_campaign_or_a_link_code(
    payload: str, campaign: str | None, link_code: str | None
) -> None:
    referral = parse_referral(payload)
    assert (referral.campaign, referral.link_code) == (campaign, link_code)
    assert referral.trial is None


@pytest.mark.parametrize(
    ("payload", "campaign", "trial"),
    [
        ("trial_demo-asthma-002", None, "demo-asthma-002"),
        ("camp_spring-fb__demo-t2d-001", "spring-fb", "demo-t2d-001"),
        ("camp_spring_fb__demo-t2d-001", "spring_fb", "demo-t2d-001"),
    ],
)
def test_a_link_may_name_the_trial_it_is_about(
    payload: str, campaign: str | None, trial: str
) -> None:
    assert parse_referral(payload) == Referral(campaign=campaign, trial=trial)


def test_campaigns_list_counts_conversations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    with Session(engine) as session, session.begin():
        for n, campaign in enumerate(["spring", "spring", "autumn", None]):
            session.add(
                Conversation(
                    channel="telegram",
                    sender_key=f"telegram-{n}",
                    language="en",
                    language_source=LanguageSource.DEFAULT,
                    campaign=campaign,
                )
            )
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["campaigns", "list", "--json"])
        table = CliRunner().invoke(app, ["campaigns", "list"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"campaign": "spring", "conversations": 2},
        {"campaign": "autumn", "conversations": 1},
    ]
    assert "spring" in table.output and "2" in table.output
