"""The Rasa side: which trained model matches the project files, training it, and running it.

Rasa runs through `rasa_addons.launch`, which takes its token from the environment rather than
from its command line (visible to every user in `ps`), and with an environment of its own: the
system's basics and what endpoints.yml reads, never the other services' secrets.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import PROJECT_ROOT, Settings

# What Rasa may see of the environment it is started from; the rest (channel tokens, SMTP
# password, database URL of the app…) is not its business.
INHERITED = (
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONUNBUFFERED",
    "OMP_NUM_THREADS", "LOG_LEVEL", "SANIC_WORKERS", "POSTGRESQL_SCHEMA", "SQL_POOL_SIZE",
    "SQL_MAX_OVERFLOW",
    # How long a Rasa server's hold on a conversation (its Redis lock store) outlives a server
    # killed while handling it: another waits that long for the conversation (default 60 s).
    "TICKET_LOCK_LIFETIME",
)  # fmt: skip
INHERITED_PREFIXES = ("LC_",)

# What the model is trained from; a change to any of these needs a new model.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "requirements/rasa.txt")
MODEL_PREFIX = "trialbot-"
MODELS_KEPT = 3


class RasaNotInstalled(RuntimeError):
    """`.venv-rasa` is missing; `make setup` builds it."""


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A hash of every training input, file names included."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(file.relative_to(root).as_posix().encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings, root: Path = PROJECT_ROOT) -> Path:
    return settings.rasa_model_dir / f"{MODEL_PREFIX}{fingerprint(root)}.tar.gz"


def rasa_executable(settings: Settings) -> Path:
    rasa = settings.rasa_venv / "bin" / "rasa"
    if not rasa.exists():
        raise RasaNotInstalled(f"{rasa} not found: run `make setup` to build the Rasa environment")
    return rasa


def train(settings: Settings, root: Path = PROJECT_ROOT, *, force: bool = False) -> Path:
    """Train the model unless one for the current files exists; returns its path."""
    target = model_path(settings, root)
    if target.exists() and not force:
        return target
    argv = [
        str(rasa_executable(settings)), "train",
        "--config", str(root / "config.yml"),
        "--domain", str(root / "domain.yml"),
        "--data", str(root / "data"),
        "--out", str(settings.rasa_model_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    subprocess.run(argv, cwd=root, env=rasa_env(settings), check=True)
    _prune_old_models(settings.rasa_model_dir, keep=target)
    return target


def _prune_old_models(folder: Path, keep: Path) -> None:
    models = sorted(folder.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in [m for m in models if m != keep][: max(0, len(models) - MODELS_KEPT)]:
        old.unlink(missing_ok=True)


def run_argv(settings: Settings, model: Path, root: Path = PROJECT_ROOT) -> list[str]:
    """`rasa run` with the HTTP API behind the token, which `run_env` holds, on RASA_HOST
    (loopback by default)."""
    rasa_executable(settings)  # the same message when the environment is missing
    return [
        str(settings.rasa_venv / "bin" / "python"), "-m", "rasa_addons.launch",
        "rasa", "run",
        "--enable-api",
        "--interface", settings.rasa_host,
        "--port", str(settings.rasa_port),
        "--model", str(model),
        "--endpoints", str(root / "endpoints.yml"),
        "--credentials", str(root / "credentials.yml"),
    ]  # fmt: skip


def run_env(settings: Settings, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """`rasa_env` and the secrets of a running Rasa: its API token, the action server's secret
    and the keys of the tracker store (the launcher takes them out of the environment)."""
    return {
        **rasa_env(settings, root),
        "RASA_AUTH_TOKEN": settings.rasa_token(),
        "ACTION_SERVER_TOKEN": settings.action_token(),
        "TRACKER_STORE_KEYS": ",".join(key.decode() for key in settings.data_keys()),
    }


def rasa_env(settings: Settings, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """The environment `endpoints.yml` is filled from, plus quieter TensorFlow and SQLAlchemy;
    no secret but the tracker store's database URL."""
    tracker = settings.rasa_tracker_url
    redis = urlsplit(settings.redis_url) if settings.redis_url else None
    env = {
        **{name: value for name, value in os.environ.items() if _inherited(name)},
        "PYTHONPATH": str(root),  # rasa_addons
        "ACTIONS_PORT": str(settings.actions_port),
        "ACTIONS_URL": settings.actions_url,  # endpoints.yml: where Rasa calls the actions
        "ACTION_RETRY_SECONDS": str(settings.action_retry),
        "TRACKER_STORE_DIALECT": tracker.split(":", 1)[0].split("+", 1)[0],
        "TRACKER_STORE_URL": tracker,
        "TRACKER_STORE_DB": "",
        "LOCK_STORE_TYPE": "redis" if redis else "in_memory",
        "LOCK_STORE_HOST": (redis.hostname or "localhost") if redis else "",
        "LOCK_STORE_PORT": str(redis.port or 6379) if redis else "",
        "LOCK_STORE_DB": (redis.path.strip("/") or "1") if redis else "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONWARNINGS": "ignore",
    }
    if settings.environment == "production" and env.get("LOG_LEVEL", "").upper() == "DEBUG":
        # At DEBUG Rasa logs every message people write and every slot: never in production.
        env["LOG_LEVEL"] = "INFO"
    settings.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def _inherited(name: str) -> bool:
    return name in INHERITED or name.startswith(INHERITED_PREFIXES)
