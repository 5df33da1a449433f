"""Shared short-lived state for the web app: rendered pages and rate-limit counters.

In-process by default (one machine: each gunicorn worker keeps its own); Redis when
``[web] redis_url`` is set, so several app instances on several hosts share one cache and one
count. Everything stored here expires; nothing here is the ledger's record of anything.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Protocol

import redis


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: int) -> None: ...

    def add(self, key: str, value: bytes, ttl_s: int) -> bool:
        """Set ``key`` only if it is absent; return True if this call set it."""
        ...

    def count(self, key: str) -> int:
        """The counter ``incr`` keeps under ``key`` (0 when there is none)."""
        ...

    def incr(self, key: str, ttl_s: int) -> int:
        """Add one to a counter that expires ``ttl_s`` after its first increment."""
        ...


class MemoryStore:
    """A bounded, thread-safe store in this process (least recently used entries go first)."""

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, tuple[float, bytes | int]] = OrderedDict()
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> bytes | int | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def _put(self, key: str, value: bytes | int, expires: float) -> None:
        self._items[key] = (expires, value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._live(key, time.monotonic())
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        with self._lock:
            self._put(key, value, time.monotonic() + ttl_s)

    def add(self, key: str, value: bytes, ttl_s: int) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._live(key, now) is not None:
                return False
            self._put(key, value, now + ttl_s)
            return True

    def count(self, key: str) -> int:
        with self._lock:
            value = self._live(key, time.monotonic())
        return value if isinstance(value, int) else 0

    def incr(self, key: str, ttl_s: int) -> int:
        with self._lock:
            now = time.monotonic()
            item = self._items.get(key)
            current = self._live(key, now)
            count = (current if isinstance(current, int) else 0) + 1
            expires = item[0] if item is not None and current is not None else now + ttl_s
            self._put(key, count, expires)
            return count


class RedisStore:
    """The same operations on a Redis server shared by every app instance."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)

    def get(self, key: str) -> bytes | None:
        value = self.client.get(key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self.client.set(key, value, ex=ttl_s)

    def add(self, key: str, value: bytes, ttl_s: int) -> bool:
        return bool(self.client.set(key, value, ex=ttl_s, nx=True))

    def count(self, key: str) -> int:
        value = self.client.get(key)
        return int(value) if isinstance(value, bytes) and value.isdigit() else 0

    def incr(self, key: str, ttl_s: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl_s, nx=True)
        count, _ = pipe.execute()
        return int(count)


def make_store(redis_url: str) -> Store:
    """Redis at ``redis_url`` when one is configured, else a store in this process."""
    return RedisStore(redis_url) if redis_url else MemoryStore()
