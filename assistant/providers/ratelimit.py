"""One rate-limit gate per provider, shared by every worker thread (issue 15 item 3).

A 429 tells the client when the endpoint will take requests again (Retry-After, or OpenAI's
retry-after-ms). Backing off thread by thread, each on its own exponential clock, leaves the
endpoint idle while threads sleep past the moment it frees up, and lets the threads that did
not see the 429 keep hitting it. Here one 429 pauses every thread until the time given, and
then they go again: the endpoint is driven at its limit, not below it.
"""

from __future__ import annotations

import threading
import time


class RateGate:
    """`wait()` before every request; `pause(seconds)` when the endpoint answers 429."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0  # time.monotonic() before which nobody sends
        self.pauses = 0  # 429s seen (for the bench and the tests)

    def wait(self) -> float:
        """Block until the endpoint takes requests again; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                delay = self._until - time.monotonic()
            if delay <= 0:
                return waited
            time.sleep(delay)
            waited += delay

    def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` from now (a later pause never shortens an earlier one)."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + max(seconds, 0.0))
            self.pauses += 1
