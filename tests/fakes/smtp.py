"""A local SMTP server (RFC 5321; RFC 3207 STARTTLS, or TLS from the first byte as on port 465,
when given a certificate) that records the messages it accepts and the commands it read."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
from email.message import EmailMessage
from types import TracebackType
from typing import Self


class FakeSMTP:
    """Serves SMTP on a free local port in a thread; `messages` holds what was delivered."""

    def __init__(
        self, port: int = 0, *, tls: ssl.SSLContext | None = None, implicit: bool = False
    ) -> None:
        """`tls`: offer STARTTLS with it, or with `implicit`, speak TLS from the first byte."""
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        # Each command read, with whether it came over TLS.
        self.commands: list[tuple[bool, str]] = []
        self._tls = tls
        self._implicit = implicit
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
            asyncio.start_server(
                self._session,
                "127.0.0.1",
                self._wanted_port,
                ssl=self._tls if self._implicit else None,
            )
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def clear_commands(self) -> list[str]:
        """The commands that came in clear, in order."""
        return [verb for tls, verb in self.commands if not tls]

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._converse(reader, writer)
        except (ssl.SSLError, ConnectionError):
            pass  # the client refused our certificate: what some tests expect
        finally:
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = self._implicit

        async def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        await say("220 localhost fake SMTP ready")
        recipients: list[str] = []
        while line := (await reader.readline()).decode(errors="replace").rstrip("\r\n"):
            verb = line[:8].upper().split(" ")[0]
            self.commands.append((tls, verb))
            if verb in ("EHLO", "HELO"):
                await say("250-localhost")
                if self._tls is not None and not tls:
                    await say("250-STARTTLS")
                await say("250 8BITMIME")
            elif verb == "STARTTLS" and self._tls is not None and not tls:
                await say("220 Ready to start TLS")
                await writer.start_tls(self._tls)
                tls = True
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
