"""Staff count each campaign's conversations from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.campaigns import Referral, link_payload, parse_referral
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


@pytest.mark.parametrize(
    ("campaign", "trial", "payload"),
    [
        ("spring-fb", None, "camp_spring-fb"),
        (None, "demo-t2d-001", "trial_demo-t2d-001"),
        ("spring_fb", "demo-t2d-001", "camp_spring_fb__demo-t2d-001"),
    ],
)
def test_a_post_s_links_carry_what_reads_back(
    campaign: str | None, trial: str | None, payload: str
) -> None:
    assert link_payload(campaign, trial) == payload
    said = parse_referral(payload)
    assert (said.campaign, said.trial) == (campaign, trial)


@pytest.mark.parametrize("campaign", ["spring fb", "a__b", "x" * 60, ""])
def test_a_campaign_name_the_links_cannot_carry_is_refused(campaign: str) -> None:
    with pytest.raises(ValueError, match=r"campaign|64 characters"):
        link_payload(campaign, None)


def test_campaigns_link_prints_every_channel_s_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "demo_trials_bot")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER", "15550100200")
    monkeypatch.setenv("PUBLIC_URL", "https://trials.example.org")
    monkeypatch.delenv("MESSENGER_PAGE_NAME", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        args = ["campaigns", "link", "spring-fb", "--trial", "demo-t2d-001", "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        links = json.loads(result.stdout)
        payload = "camp_spring-fb__demo-t2d-001"
        assert links == {
            "payload": payload,
            "messenger_link": None,
            "telegram_link": f"https://t.me/demo_trials_bot?start={payload}",
            "web_link": f"https://trials.example.org/?ref={payload}",
            "whatsapp_link": f"https://wa.me/15550100200?text=START%20{payload}",
        }
        plain = runner.invoke(app, ["campaigns", "link", "spring-fb"])
        assert "https://wa.me/15550100200?text=START%20camp_spring-fb\n" in plain.stdout
        assert "set MESSENGER_PAGE_NAME" in plain.stdout
        unknown = runner.invoke(app, ["campaigns", "link", "x", "--trial", "nope", "--json"])
        assert unknown.exit_code == 1
        assert json.loads(unknown.stdout) == {
            "error": "unknown trial 'nope': no trials/nope/trial.yml"
        }
    finally:
        get_settings.cache_clear()
