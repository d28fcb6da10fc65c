"""Values read from files that staff edit, read again whenever one of the files changes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class Reloading(Generic[T]):
    """`get()` returns `load()`'s value, loaded again when a file of `files()` changes.

    `accept(new, old)` may keep the old value (say, when every new file is broken).
    """

    def __init__(
        self,
        files: Callable[[], Iterable[Path]],
        load: Callable[[], T],
        accept: Callable[[T, T | None], bool] = lambda new, old: True,
    ) -> None:
        self._files = files
        self._load = load
        self._accept = accept
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._value: T | None = None

    def get(self) -> T:
        signature = tuple(
            (str(path), path.stat().st_mtime_ns, path.stat().st_size)
            for path in sorted(self._files())
            if path.exists()
        )
        with self._lock:
            if self._value is None or signature != self._signature:
                value = self._load()
                if self._value is None or self._accept(value, self._value):
                    self._value = value
                self._signature = signature
            return self._value
