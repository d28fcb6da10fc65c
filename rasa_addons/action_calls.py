"""Rasa's calls to the action server, made cheaper: one kept session, a schema compiled once.

- Rasa (3.6) opens a new aiohttp session, and so a new connection, for every action call
  (EndpointConfig.request): here one session per endpoint and event loop is kept for the
  process, its connections reused. The stages the action server reports in its
  `Server-Timing` header are added to the turn's (rasa_addons/timing.py).
- Rasa checks each answer of the action server against the answer's JSON schema with
  `jsonschema.validate`, which first checks the schema itself against its meta-schema: about
  three quarters of an action call's time in Rasa, measured (py-spy) on a vetted answer. Here
  the schema is checked once, and each answer against it.
"""

from __future__ import annotations

from typing import Any

from rasa_addons import timing

_installed = False
_validator: Any = None  # the action answer's schema, checked and compiled once
_sessions: dict[tuple[int, int], Any] = {}
_rasa_request: Any = None  # EndpointConfig.request as Rasa has it


async def _kept_session_request(
    self: Any,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """Rasa's EndpointConfig.request, over a session kept per endpoint and event loop, and
    adding the stages the server reports in its `Server-Timing` header."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import ClientResponseError, concat_url

    given = kwargs.pop("headers", None) or {}
    if self.cafile:
        # Certificates of its own: Rasa's own way, a session per call.
        return await _rasa_request(
            self, method, subpath, content_type, compress, headers=given, **kwargs
        )
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(given)
    headers.update(self.headers or {})
    key = (id(self), id(asyncio.get_running_loop()))
    session = _sessions.get(key)
    if session is None or session.closed:
        session = _sessions[key] = self.session()
    async with session.request(
        method,
        concat_url(self.url, subpath),
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        **kwargs,
    ) as response:
        timing.reported(response.headers.get(timing.HEADER, ""), "action.")
        if response.status >= 400:
            raise ClientResponseError(
                response.status, response.reason, await response.content.read()
            )
        try:
            return await response.json()
        except aiohttp.ContentTypeError:
            return None


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the schema compiled once."""
    from jsonschema import ValidationError, validators
    from rasa.shared.constants import DOCS_BASE_URL

    global _validator
    if _validator is None:
        spec = self.action_response_format_spec()
        kind = validators.validator_for(spec)
        kind.check_schema(spec)
        _validator = kind(spec)
    try:
        _validator.validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            f"the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    """Once per process."""
    global _installed, _rasa_request
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    _rasa_request = EndpointConfig.request
    EndpointConfig.request = _kept_session_request  # type: ignore[method-assign]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _installed = True
