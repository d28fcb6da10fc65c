"""A local SMTP server (RFC 5321, plain, no TLS) that records the messages it accepts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage
from types import TracebackType
from typing import Self


class FakeSMTP:
    """Serves SMTP on a free local port in a thread; `messages` holds what was delivered."""

    def __init__(self, port: int = 0) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._wanted_port = port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="FakeSMTP", daemon=True)
        self.port = 0

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake SMTP server did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", self._wanted_port)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        await say("220 localhost fake SMTP ready")
        recipients: list[str] = []
        while line := (await reader.readline()).decode(errors="replace").rstrip("\r\n"):
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                await say("250-localhost")
                await say("250 8BITMIME")
            elif verb == "MAIL":
                recipients = []
                await say("250 OK")
            elif verb == "RCPT":
                recipients.append(line.partition(":")[2].strip(" <>"))
                await say("250 OK")
            elif verb == "DATA":
                await say("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (raw := await reader.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(raw[1:] if raw.startswith(b"..") else raw)
                parsed = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                assert isinstance(parsed, EmailMessage)
                self.messages.append(parsed)
                self.recipients.append(recipients)
                await say("250 OK: queued")
            elif verb == "QUIT":
                await say("221 Bye")
                break
            else:
                await say("250 OK")
        writer.close()
