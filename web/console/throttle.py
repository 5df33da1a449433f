"""Per-client limits on login attempts, without writing an address anywhere.

The client is known only by a keyed hash of its address (the key is random per process and
never stored), kept in memory with the times of its recent attempts. Nothing reaches a log, a
file or the database. The per-account lockout in ``ledger.users`` works behind this.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque


class AttemptLimiter:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._key = secrets.token_bytes(32)
        self._seen: dict[bytes, deque[float]] = {}
        self._lock = threading.Lock()

    def _client(self, address: str) -> bytes:
        return hmac.new(self._key, address.encode(), hashlib.sha256).digest()[:16]

    def _recent(self, client: bytes, now: float) -> deque[float]:
        times = self._seen.setdefault(client, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def is_blocked(self, address: str, *, now: float | None = None) -> bool:
        """True when the client failed ``limit`` times within the last window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return len(self._recent(self._client(address), now)) >= self.limit

    def record_failure(self, address: str, *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 100_000:  # forget the idle, so memory stays bounded
                since = now - self.window_s
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > since}
            self._recent(self._client(address), now).append(now)
