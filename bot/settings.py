"""One place for configuration: environment variables, then `.env`, then embedded defaults."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting of the assistant; see `.env.example` for what each one means."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "production"] = Field(
        default="development", alias="TRIALBOT_ENV"
    )
    var_dir: Path = Field(default=PROJECT_ROOT / "var", alias="TRIALBOT_VAR_DIR")
    knowledge_dir: Path = Field(default=PROJECT_ROOT / "knowledge", alias="TRIALBOT_KNOWLEDGE_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    tracker_store_url: str = Field(default="", alias="TRACKER_STORE_URL")
    redis_url: str = Field(default="", alias="REDIS_URL")

    gateway_host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    gateway_port: int = Field(default=8000, alias="GATEWAY_PORT")
    rasa_port: int = Field(default=5005, alias="RASA_PORT")
    actions_port: int = Field(default=5055, alias="ACTIONS_PORT")
    rasa_auth_token: SecretStr | None = Field(default=None, alias="RASA_AUTH_TOKEN")
    rasa_timeout: float = Field(default=15.0, alias="RASA_TIMEOUT_SECONDS", gt=0)
    rasa_model_dir: Path = Field(default=PROJECT_ROOT / "models", alias="RASA_MODEL_DIR")
    rasa_venv: Path = Field(default=PROJECT_ROOT / ".venv-rasa", alias="RASA_VENV")
    recovery_interval: float = Field(default=3.0, alias="RECOVERY_INTERVAL_SECONDS", gt=0)

    pseudonym_key: SecretStr | None = Field(default=None, alias="PSEUDONYM_KEY")
    default_language: Language = Field(default="en", alias="DEFAULT_LANGUAGE")
    emergency_number: str = Field(default="112", alias="EMERGENCY_NUMBER")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    @field_validator("var_dir", "knowledge_dir", "rasa_model_dir", "rasa_venv")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path if path.is_absolute() else (PROJECT_ROOT / path)

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.environment == "production":
            missing = [
                name
                for name, value in (
                    ("DATABASE_URL", self.database_url),
                    ("RASA_AUTH_TOKEN", self.rasa_auth_token),
                    ("PSEUDONYM_KEY", self.pseudonym_key),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"TRIALBOT_ENV=production needs these set: {', '.join(missing)}")
        return self

    @property
    def db_url(self) -> str:
        """The application database; an SQLite file under var/ unless DATABASE_URL is set."""
        return self.database_url or f"sqlite:///{self.var_dir / 'trialbot.db'}"

    @property
    def rasa_tracker_url(self) -> str:
        """Rasa's tracker store: its own SQLite file by default, else the application database."""
        if self.tracker_store_url:
            return self.tracker_store_url
        if self.database_url:
            # Rasa 3.6 uses SQLAlchemy 1.4 with psycopg2, which wants the plain dialect name.
            return self.database_url.replace("postgresql+psycopg://", "postgresql://")
        return f"sqlite:///{self.var_dir / 'rasa-tracker.db'}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    def rasa_token(self) -> str:
        """The Rasa HTTP API token: the setting, else one generated once and kept under var/."""
        if self.rasa_auth_token:
            return self.rasa_auth_token.get_secret_value()
        return _secret_file(self.var_dir / "secrets" / "rasa_auth_token")

    def pseudonym_secret(self) -> bytes:
        """The HMAC key for pseudonyms: the setting, else one generated once under var/."""
        if self.pseudonym_key:
            return self.pseudonym_key.get_secret_value().encode()
        return _secret_file(self.var_dir / "secrets" / "pseudonym_key").encode()


def _secret_file(path: Path) -> str:
    """Read a generated secret, creating it with owner-only permissions the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
