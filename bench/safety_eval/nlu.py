"""The NLU's reading of the labelled messages, from the trained Rasa model behind its HTTP API."""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.localstack import free_port
from bot.processes import stop
from bot.rasa_server import model_path, rasa_env, rasa_executable, train
from bot.safety.detect import Intent
from bot.settings import Settings

START_TIMEOUT = 600.0  # a busy machine takes minutes to load the model


@contextmanager
def rasa_api(settings: Settings) -> Iterator[tuple[str, str]]:
    """`rasa run --enable-api` with the model for the current files (trained first if missing);
    its URL and token. Only the NLU is used: no tracker store, no action server."""
    model = model_path(settings)
    if not model.exists():
        print(
            f"no model for the current training files: training {model.name} (about 3 min)",
            file=sys.stderr,
        )
        train(settings)
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        str(rasa_executable(settings)), "run", "--enable-api", "--auth-token", token,
        "--interface", "127.0.0.1", "--port", str(port), "--model", str(model),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "rasa.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                argv, env=rasa_env(settings), cwd=folder, stdout=output, stderr=subprocess.STDOUT
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_loaded(url, token, process, log)
            yield url, token
        finally:
            stop(process, timeout=30)


def readings(url: str, token: str, texts: Iterable[str]) -> dict[str, Intent]:
    """The NLU's top intent for each text, as the gateway's safety check asks for it."""
    found: dict[str, Intent] = {}
    with httpx.Client(base_url=url, params={"token": token}, timeout=30) as client:
        for text in texts:
            if text in found:
                continue
            response = client.post("/model/parse", json={"text": text})
            response.raise_for_status()
            intent = response.json()["intent"]
            found[text] = Intent(intent["name"], float(intent["confidence"]))
    return found


def _wait_loaded(url: str, token: str, process: subprocess.Popen[bytes], log: Path) -> None:
    print("starting Rasa to read the messages with the NLU (about 40 s)", file=sys.stderr)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rasa exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            status = httpx.get(f"{url}/status", params={"token": token}, timeout=2).json()
            if status.get("model_file"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"rasa did not load its model in {START_TIMEOUT:.0f} s")
