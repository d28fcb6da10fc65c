"""Settings: embedded defaults that work, secrets that stay secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_defaults_use_sqlite_under_var(tmp_path: Path) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path, DATABASE_URL="")
    assert settings.db_url == f"sqlite:///{tmp_path / 'trialbot.db'}"
    assert settings.rasa_tracker_url == f"sqlite:///{tmp_path / 'rasa-tracker.db'}"


def test_postgres_url_is_shared_with_rasa_in_its_driver_form(tmp_path: Path) -> None:
    url = "postgresql+psycopg://app@db:5432/trials"
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path, DATABASE_URL=url)
    assert settings.rasa_tracker_url == "postgresql://app@db:5432/trials"


def test_generated_secrets_are_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path, RASA_AUTH_TOKEN=None)
    token = settings.rasa_token()
    path = tmp_path / "secrets" / "rasa_auth_token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 32
    assert Settings(TRIALBOT_VAR_DIR=tmp_path, RASA_AUTH_TOKEN=None).rasa_token() == token


def test_secrets_do_not_show_in_the_settings_text(tmp_path: Path) -> None:
    settings = Settings(TRIALBOT_VAR_DIR=tmp_path, RASA_AUTH_TOKEN="s3cret-token")
    assert "s3cret-token" not in repr(settings)
    assert settings.rasa_token() == "s3cret-token"


def test_production_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="RASA_AUTH_TOKEN"):
        Settings(TRIALBOT_ENV="production", TRIALBOT_VAR_DIR=tmp_path, DATABASE_URL="sqlite://")


def test_the_generated_data_key_is_a_private_fernet_key(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    (key,) = Settings(TRIALBOT_VAR_DIR=tmp_path, DATA_ENCRYPTION_KEY=None).data_keys()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
    assert stat.S_IMODE((tmp_path / "secrets" / "data_key").stat().st_mode) == 0o600


def test_messenger_without_its_app_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="MESSENGER_APP_SECRET"):
        Settings(TRIALBOT_VAR_DIR=tmp_path, MESSENGER_PAGE_TOKEN="page", MESSENGER_APP_SECRET=None)


def test_telegram_uses_a_webhook_when_the_gateway_has_a_public_address(tmp_path: Path) -> None:
    assert not Settings(TRIALBOT_VAR_DIR=tmp_path, PUBLIC_URL="").telegram_webhook
    assert Settings(TRIALBOT_VAR_DIR=tmp_path, PUBLIC_URL="https://x.org").telegram_webhook
    polling = Settings(
        TRIALBOT_VAR_DIR=tmp_path, PUBLIC_URL="https://x.org", TELEGRAM_MODE="polling"
    )
    assert not polling.telegram_webhook


def test_an_empty_setting_is_not_set(tmp_path: Path) -> None:
    settings = Settings(
        TRIALBOT_VAR_DIR=tmp_path, MESSENGER_PAGE_TOKEN="", TELEGRAM_BOT_TOKEN=" ", TELEGRAM_MODE=""
    )
    assert not settings.messenger_enabled and not settings.telegram_enabled
    assert settings.telegram_mode is None
