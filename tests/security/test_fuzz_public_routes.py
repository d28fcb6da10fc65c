"""Every public route of the gateway, fuzzed: whatever arrives, the answer is never a 5xx or a
traceback. The staff routes (/staff, /api/staff) are left out: they sit behind a sign-in.

Two kinds of input: what the gateway's own OpenAPI says each route takes, as schemathesis
generates it (valid and invalid), and raw bodies for the webhooks, whose schema says nothing,
sent with the right secret or signature so that they reach the parsing behind the check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from starlette.responses import JSONResponse, Response

from bot.db.migrate import upgrade
from bot.gateway.app import create_app
from bot.settings import Settings
from tests.fakes.channels import APP_SECRET, TELEGRAM_SECRET, channel_env
from tests.fakes.graph import FakeGraphAPI
from tests.fakes.server import Failure, FakeServer, Recorded, serve
from tests.fakes.telegram import FakeBotAPI
from tests.knowledge.conftest import SHARED_CACHE

# Examples per route and kind of data: a few minutes at most for the whole file on 2 cores.
EXAMPLES = 100
RAW_EXAMPLES = 200
# One request that takes longer than this is a hang, not an answer.
REQUEST_TIMEOUT = 20.0
STAFF = re.compile(r"^/(api/)?staff(/|$)")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class FakeRasa(FakeServer):
    """Rasa and the action server on one port: a model is loaded, each message gets one reply."""

    def _method_name(self, path: str) -> str:
        return path

    async def _handle(self, call: Recorded) -> Response:
        if call.path == "/webhooks/rest/webhook":
            return JSONResponse([{"text": "Thank you for your message."}])
        if call.path == "/status":
            return JSONResponse({"model_file": "models/fuzz.tar.gz"})
        if call.path == "/model/parse":
            return JSONResponse({"intent": {"name": "greet", "confidence": 0.99}})
        if call.path.endswith("/tracker"):
            return JSONResponse({"events": []})
        return JSONResponse({"status": "ok"})  # /health, tracker events

    def _failure_response(self, call: Recorded, failure: Failure) -> Response:
        return JSONResponse({"error": failure.description}, status_code=failure.status)


@dataclass
class Gateway:
    url: str
    settings: Settings
    schema: Any


def _generous_rate_limits() -> dict[str, int]:
    """Every RATE_LIMIT_* setting the gateway has, set far beyond what the fuzz sends."""
    limits: dict[str, int] = {}
    for field in Settings.model_fields.values():
        alias = field.alias or ""
        if alias.startswith("RATE_LIMIT_") and field.annotation is int and "SECONDS" not in alias:
            limits[alias] = 1_000_000
    return limits


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """The gateway over real HTTP with Telegram and Messenger on, Rasa and both platforms faked."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with FakeRasa() as rasa, FakeBotAPI() as bot_api, FakeGraphAPI() as graph_api:
        port = int(rasa.url.rsplit(":", 1)[1])
        values: dict[str, Any] = {
            "TRIALBOT_VAR_DIR": folder / "var",
            "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
            "PSEUDONYM_KEY": "test-key",
            "RASA_PORT": port,
            "ACTIONS_PORT": port,
            "TRIALBOT_CACHE_DIR": SHARED_CACHE,
            "REMINDERS_IN_GATEWAY": False,
            **channel_env(bot_api, graph_api),
            **_generous_rate_limits(),
        }
        gateway_settings = Settings(**values)
        upgrade(gateway_settings.db_url)
        app = create_app(gateway_settings)
        schema = schemathesis.openapi.from_dict(app.openapi())
        with serve(app, lifespan=True) as url:
            _wait_until_telegram_is_ready(url)
            yield Gateway(url, gateway_settings, schema)


def _wait_until_telegram_is_ready(url: str) -> None:
    """The webhook answers 503 while the bot starts; the fuzz is about what comes after."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = requests.get(f"{url}/healthz", timeout=REQUEST_TIMEOUT).json()
        if health.get("telegram") == "up":
            return
        time.sleep(0.1)
    raise AssertionError(f"the Telegram bot did not start: {health}")


def _public_operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if not STAFF.match(op.path)]


def assert_handled(response: requests.Response, what: str) -> None:
    """What an attacker would see of a crash: a 5xx, or a traceback in the answer."""
    assert response.status_code < 500, (
        f"{what} answered {response.status_code}: {response.text[:500]}"
    )
    assert not TRACEBACK.search(response.text), f"{what} shows a traceback: {response.text[:500]}"


def test_the_fuzz_covers_every_public_route_and_no_staff_route(gateway: Gateway) -> None:
    covered = {(op.method.upper(), op.path) for op in _public_operations(gateway.schema)}
    assert {
        ("GET", "/healthz"),
        ("POST", "/api/chat"),
        ("GET", "/api/chat/updates"),
        ("POST", "/webhooks/telegram"),
        ("GET", "/webhooks/messenger"),
        ("POST", "/webhooks/messenger"),
        ("GET", "/"),
        ("GET", "/consent/{sha256}"),
        ("GET", "/consent/copy/{token}"),
    } <= covered
    assert not [path for _, path in covered if "staff" in path]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_public_route_answers_a_server_error(gateway: Gateway, mode: GenerationMode) -> None:
    """Schemathesis's cases from the gateway's own OpenAPI, valid and invalid, route by route."""
    session = requests.Session()
    answered: dict[str, Counter[int]] = {}
    for operation in _public_operations(gateway.schema):
        what = f"{operation.method.upper()} {operation.path}"
        try:
            answered[what] = _fuzz(operation, mode, gateway.url, session)
        except Unsatisfiable:
            # A route whose only inputs are free strings (or none) has no invalid case.
            assert mode is GenerationMode.NEGATIVE, f"no case could be made for {what}"
    print(f"{mode.value} cases, statuses by route: {answered}")
    # The routes that read a client's input were fuzzed in both modes, and the fuzz reached
    # them: a fuzz answered only by the rate limiter would prove nothing.
    for what in ("POST /api/chat", "GET /api/chat/updates"):
        assert what in answered, f"{what} was not fuzzed with {mode.value} cases"
    assert all(set(statuses) != {429} for statuses in answered.values()), answered


def _fuzz(
    operation: Any, mode: GenerationMode, url: str, session: requests.Session
) -> Counter[int]:
    """Send one operation's generated cases; the statuses they were answered with."""
    what = f"{operation.method.upper()} {operation.path}"
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        response = case.call(base_url=url, session=session, timeout=REQUEST_TIMEOUT)
        statuses[response.status_code] += 1
        assert_handled(response, f"{what} ({mode.value} case {case.as_curl_command()})")

    fuzz()
    return statuses


# Anything a client can put in a JSON body, nested a little, and bytes that are not JSON.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
TELEGRAM_KEYS = st.sampled_from(
    ["update_id", "message", "edited_message", "callback_query", "my_chat_member", "from", "chat"]
)
TELEGRAM_LIKE = st.fixed_dictionaries(
    {"update_id": st.integers()}, optional={"message": JSON_VALUES}
) | st.dictionaries(TELEGRAM_KEYS, JSON_VALUES, max_size=4)
MESSENGER_LIKE = st.fixed_dictionaries(
    {"object": st.sampled_from(["page", "user", ""]), "entry": JSON_VALUES}
)


def _raw_bodies(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return (
        st.binary(max_size=300)
        | JSON_VALUES.map(lambda value: json.dumps(value).encode())
        | shaped.map(lambda value: json.dumps(value).encode())
    )


RAW = settings(FUZZ, max_examples=RAW_EXAMPLES)


@RAW
@given(body=_raw_bodies(TELEGRAM_LIKE))
def test_the_telegram_webhook_survives_any_body_with_the_right_secret(
    gateway: Gateway, body: bytes
) -> None:
    response = requests.post(
        f"{gateway.url}/webhooks/telegram",
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=REQUEST_TIMEOUT,
    )
    assert_handled(response, f"POST /webhooks/telegram with {body[:200]!r}")


@RAW
@given(body=_raw_bodies(MESSENGER_LIKE))
def test_the_messenger_webhook_survives_any_body_with_a_valid_signature(
    gateway: Gateway, body: bytes
) -> None:
    signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = requests.post(
        f"{gateway.url}/webhooks/messenger",
        data=body,
        headers={"X-Hub-Signature-256": f"sha256={signature}"},
        timeout=REQUEST_TIMEOUT,
    )
    assert_handled(response, f"POST /webhooks/messenger with {body[:200]!r}")


@RAW
@given(
    body=_raw_bodies(st.fixed_dictionaries({"sender": JSON_VALUES, "text": JSON_VALUES})),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]
    ),
)
def test_the_web_chat_survives_any_body(gateway: Gateway, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(
        f"{gateway.url}/api/chat", data=body, headers=headers, timeout=REQUEST_TIMEOUT
    )
    assert_handled(response, f"POST /api/chat ({content_type!r}) with {body[:200]!r}")
