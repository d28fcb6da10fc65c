"""Whatever arrives at the webhooks, the gateway answers 200 or 400 and keeps serving."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.conftest import Gateway, Number
from tests.fakes.whatsapp import DEFAULT_PHONE_NUMBER_ID as PHONE_NUMBER_ID

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right shape, sometimes anything at all."""
    return st.one_of(strategy, strategy, anything)


users = st.fixed_dictionaries(
    {
        "id": _maybe(st.integers(1, 2**40)),
        "is_bot": _maybe(st.booleans()),
        "first_name": _maybe(st.text(max_size=10)),
    },
    optional={"language_code": _maybe(st.sampled_from(["en", "fr", "fr-CA", "de"]))},
)
chats = st.fixed_dictionaries(
    {
        "id": _maybe(st.integers(-(2**40), 2**40)),
        "type": _maybe(st.sampled_from(["private", "group", "supergroup", "channel"])),
    }
)
messages = st.fixed_dictionaries(
    {
        "message_id": _maybe(st.integers(1, 10**6)),
        "date": _maybe(st.integers(0, 2**31)),
        "chat": _maybe(chats),
    },
    optional={"from": _maybe(users), "text": _maybe(st.text(max_size=200)), "entities": anything},
)
telegram_updates = st.fixed_dictionaries(
    {"update_id": _maybe(st.integers(0, 2**31))},
    optional={
        "message": _maybe(messages),
        "callback_query": _maybe(
            st.fixed_dictionaries(
                {
                    "id": _maybe(st.text(min_size=1, max_size=10)),
                    "from": _maybe(users),
                    "chat_instance": _maybe(st.text(max_size=5)),
                },
                optional={"data": _maybe(st.text(max_size=80)), "message": _maybe(messages)},
            )
        ),
    },
)
messenger_events = st.fixed_dictionaries(
    {"sender": _maybe(st.fixed_dictionaries({"id": _maybe(st.text(min_size=1, max_size=12))}))},
    optional={
        "timestamp": anything,
        "message": _maybe(
            st.fixed_dictionaries(
                {"mid": _maybe(st.text(max_size=12))},
                optional={
                    "text": _maybe(st.text(max_size=200)),
                    "quick_reply": anything,
                    "is_echo": anything,
                    "attachments": anything,
                },
            )
        ),
        "postback": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "payload": anything,
                    "title": anything,
                    "referral": anything,
                    "mid": anything,
                },
            )
        ),
        "referral": anything,
    },
)
messenger_bodies = st.fixed_dictionaries(
    {
        "object": _maybe(st.just("page")),
        "entry": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": anything,
                        "time": anything,
                        "messaging": _maybe(st.lists(messenger_events, max_size=3)),
                    }
                ),
                max_size=2,
            )
        ),
    }
)


@FUZZ
@given(update=telegram_updates)
def test_telegram_updates_never_get_a_server_error(gateway: Gateway, update: Any) -> None:
    assert gateway.telegram(update).status_code in (200, 400)


@FUZZ
@given(body=messenger_bodies)
def test_messenger_events_never_get_a_server_error(gateway: Gateway, body: Any) -> None:
    assert gateway.messenger(body).status_code in (200, 400)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300) | anything.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bytes_are_refused_cleanly(gateway: Gateway, raw: bytes) -> None:
    assert gateway.telegram(None, raw=raw).status_code in (200, 400)
    assert gateway.messenger(None, raw=raw).status_code in (200, 400)
    assert httpx.get(f"{gateway.url}/healthz").status_code in (200, 503)


whatsapp_messages = st.fixed_dictionaries(
    {
        "from": _maybe(st.text(min_size=1, max_size=15)),
        "id": _maybe(st.text(min_size=1, max_size=20)),
        "type": _maybe(
            st.sampled_from(
                ["text", "interactive", "button", "image", "location", "reaction", "order"]
            )
        ),
    },
    optional={
        "timestamp": anything,
        "text": _maybe(st.fixed_dictionaries({"body": _maybe(st.text(max_size=200))})),
        "interactive": anything,
        "button": anything,
        "referral": anything,
    },
)
whatsapp_statuses = st.fixed_dictionaries(
    {
        "id": _maybe(st.text(min_size=1, max_size=20)),
        "status": _maybe(st.sampled_from(["sent", "delivered", "read", "failed", "deleted"])),
    },
    optional={"timestamp": anything, "recipient_id": anything, "errors": anything},
)
whatsapp_bodies = st.fixed_dictionaries(
    {
        "object": _maybe(st.just("whatsapp_business_account")),
        "entry": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": anything,
                        "changes": _maybe(
                            st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "field": _maybe(st.just("messages")),
                                        "value": _maybe(
                                            st.fixed_dictionaries(
                                                {
                                                    "metadata": _maybe(
                                                        st.just(
                                                            {"phone_number_id": PHONE_NUMBER_ID}
                                                        )
                                                    )
                                                },
                                                optional={
                                                    "messages": _maybe(
                                                        st.lists(whatsapp_messages, max_size=3)
                                                    ),
                                                    "statuses": _maybe(
                                                        st.lists(whatsapp_statuses, max_size=3)
                                                    ),
                                                },
                                            )
                                        ),
                                    }
                                ),
                                max_size=2,
                            )
                        ),
                    }
                ),
                max_size=2,
            )
        ),
    }
)


@FUZZ
@given(body=whatsapp_bodies)
def test_whatsapp_events_never_get_a_server_error(number: Number, body: Any) -> None:
    assert number.post(body).status_code in (200, 400)
