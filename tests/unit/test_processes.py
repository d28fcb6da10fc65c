"""Who holds a port, as /proc tells it, while the processes change their descriptors."""

from __future__ import annotations

import os
import socket

import pytest

from bot import processes

pytestmark = pytest.mark.skipif(not processes.LINUX, reason="reads /proc (Linux only)")


def test_the_holder_of_a_port_is_found_while_another_of_its_descriptors_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that opens and closes pipes (Sanic's manager does, for its workers) must not drop
    out of the answer because one descriptor closed between listing and reading it."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        read, write = os.pipe()
        vanishing = f"/proc/{os.getpid()}/fd/{read}"
        real_readlink = os.readlink

        def readlink(path: str | os.PathLike[str]) -> str:
            if os.fspath(path) == vanishing:
                raise FileNotFoundError(path)  # closed after the directory was listed
            return real_readlink(path)

        monkeypatch.setattr(os, "readlink", readlink)
        try:
            holders = processes.listening_on(port)
        finally:
            os.close(read)
            os.close(write)
    assert [holder.pid for holder in holders] == [os.getpid()]
