"""A cross-process lock on the data directory for work that writes the embedded Chroma store.

Chroma's embedded store (PersistentClient) is not safe for two processes writing at once
(measured here: two bulk runs started together fail with "table collections already exists"
or "Error finding id"). Writers therefore take this lock; a second run waits for the first and
then reuses its drafts. With a Chroma server (`chroma.host`), no lock is needed.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_held: dict[str, list] = {}  # path → [file handle, depth]; re-entrant within a process
_guard = threading.RLock()


@contextmanager
def writer_lock(
    home: Path, *, enabled: bool = True, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the data directory's writer lock (re-entrant in this process)."""
    if not enabled:
        yield
        return
    path = str(Path(home) / ".writer.lock")
    with _guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
        else:
            Path(home).mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")  # noqa: SIM115 — held until the outermost release
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            _held[path] = [handle, 1]
    try:
        yield
    finally:
        with _guard:
            entry = _held[path]
            entry[1] -= 1
            if entry[1] == 0:
                fcntl.flock(entry[0], fcntl.LOCK_UN)
                entry[0].close()
                del _held[path]
