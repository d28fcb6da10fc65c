"""A fake HTTP API served by uvicorn in a background thread, recording every request."""

from __future__ import annotations

import abc
import asyncio
import email.policy
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesParser
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

_HOST = "127.0.0.1"
_STARTUP_TIMEOUT = 30.0
_POLL_INTERVAL = 0.01
_HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# What a client's JSON encoding of a non-string value starts like (strings are sent as is).
_JSON_VALUE = re.compile(r"\s*[{\[]|-?\d+(\.\d+)?\Z|true\Z|false\Z")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    http_method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class Failure:
    """A scripted failure: the answer to one upcoming call of a method."""

    status: int
    retry_after: int | None
    description: str | None


@dataclass(slots=True)
class _Entry:
    call: Recorded
    status: int | None = None


@contextmanager
def serve(app: ASGIApp, *, lifespan: bool = False) -> Iterator[str]:
    """Serve any ASGI app on a free local port for the duration of the block; yields its URL."""
    thread = _ServerThread(app, lifespan=lifespan, name=type(app).__name__)
    try:
        yield thread.url
    finally:
        thread.stop()


class _ServerThread:
    """uvicorn serving one app in a daemon thread; started on construction."""

    def __init__(self, app: ASGIApp, *, lifespan: bool, name: str) -> None:
        # Binding first tells us the port without racing another process for it.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Connections accepted from it inherit this: without it, Nagle's algorithm and the
        # client's delayed acknowledgement hold every answer back 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            lifespan="on" if lifespan else "off",
            loop="asyncio",
            http="h11",
            ws="none",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"{name}:{port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            # A failed lifespan startup ends the thread (uvicorn calls sys.exit there).
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"{name} did not start on port {port}")
            time.sleep(0.005)
        self.url = f"http://{_HOST}:{port}"

    def stop(self) -> None:
        """Ask the server to finish and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=_STARTUP_TIMEOUT)


class FakeServer(abc.ABC):
    """Serves an ASGI app on a free local port in a thread and records what it receives."""

    # String-typed form fields: never JSON-decoded, even when they look like JSON.
    text_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: list[_Entry] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._thread: _ServerThread | None = None
        self.app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=_HTTP_METHODS)])

    # Subclasses say what a request is called and how it is answered.

    @abc.abstractmethod
    def _method_name(self, path: str) -> str:
        """The API method a request path calls."""

    @abc.abstractmethod
    async def _handle(self, call: Recorded) -> Response:
        """The normal answer to a call."""

    @abc.abstractmethod
    def _failure_response(self, call: Recorded, failure: Failure) -> Response:
        """A scripted failure in the API's own error shape."""

    # Lifecycle.

    def start(self) -> None:
        """Serve on a free port and return once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        self._thread = _ServerThread(self.app, lifespan=False, name=type(self).__name__)

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's root URL, such as http://127.0.0.1:PORT."""
        if self._thread is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._thread.url

    # What was received.

    @property
    def requests(self) -> list[Recorded]:
        """Every request received, in order, failures included."""
        with self._lock:
            return [entry.call for entry in self._log]

    def calls(self, method: str) -> list[Recorded]:
        """The requests that called one method."""
        with self._lock:
            return [entry.call for entry in self._log if entry.call.method == method]

    def successful(self, method: str | None = None) -> list[Recorded]:
        """The calls (of one method, or all) that were answered with a 2xx status."""
        with self._lock:
            return [
                entry.call
                for entry in self._log
                if method in (None, entry.call.method)
                and entry.status is not None
                and 200 <= entry.status < 300
            ]

    def answered(self, method: str, status: int) -> list[Recorded]:
        """The calls of one method that were answered with `status`."""
        with self._lock:
            return [
                entry.call
                for entry in self._log
                if entry.call.method == method and entry.status == status
            ]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Recorded]:
        """Block until at least count calls of method were received, and return them."""
        deadline = time.monotonic() + timeout
        while (found := self._enough(method, count, deadline, timeout)) is None:
            time.sleep(_POLL_INTERVAL)
        return found

    async def await_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Recorded]:
        """Like wait_for, but sleeps without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            if (found := self._enough(method, count, deadline, timeout)) is not None:
                return found
            await asyncio.sleep(_POLL_INTERVAL)

    def _enough(
        self, method: str, count: int, deadline: float, timeout: float
    ) -> list[Recorded] | None:
        found = self.calls(method)
        if len(found) >= count:
            return found
        if time.monotonic() < deadline:
            return None
        seen = ", ".join(call.method for call in self.requests) or "none"
        raise AssertionError(
            f"{type(self).__name__}: expected {count} {method} call(s) within {timeout:g} s, "
            f"got {len(found)}; calls seen in order: {seen}"
        )

    # Scripting.

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of method with an error, then serve normally again."""
        if status < 400 or times < 1:
            raise ValueError("a failure needs an error status (>= 400) and times >= 1")
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.extend([Failure(status, retry_after, description)] * times)

    def reset(self) -> None:
        """Forget the recorded requests and the scripted failures."""
        with self._lock:
            self._log = []
            self._failures.clear()

    # Serving.

    async def _endpoint(self, request: Request) -> Response:
        call = Recorded(
            method=self._method_name(request.url.path),
            http_method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            body=self._parse_body(request.headers.get("content-type", ""), await request.body()),
            headers=dict(request.headers),
        )
        entry = _Entry(call)
        with self._lock:
            self._log.append(entry)
            queue = self._failures.get(call.method)
            failure = queue.popleft() if queue else None
        response = self._failure_response(call, failure) if failure else await self._handle(call)
        with self._lock:
            entry.status = response.status_code
        return response

    def _parse_body(self, content_type: str, raw: bytes) -> dict[str, Any]:
        media_type = content_type.partition(";")[0].strip().lower()
        if not raw:
            return {}
        if media_type == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
        if media_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(raw.decode(), keep_blank_values=True)
            return {name: self._decode_field(name, value) for name, value in pairs}
        if media_type == "multipart/form-data":
            return self._parse_multipart(content_type, raw)
        return {}

    def _parse_multipart(self, content_type: str, raw: bytes) -> dict[str, Any]:
        # python-multipart is not installed; the standard library's MIME parser does the job.
        header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=email.policy.HTTP).parsebytes(header + raw)
        fields: dict[str, Any] = {}
        for part in message.walk():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is None:
                fields[name] = self._decode_field(name, content.decode())
            else:
                fields[name] = UploadedFile(filename, part.get_content_type(), content)
        return fields

    def _decode_field(self, name: str, value: str) -> Any:
        """A form value, JSON-decoded when it encodes an object, array, number or boolean."""
        if name in self.text_fields or not _JSON_VALUE.match(value):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value
