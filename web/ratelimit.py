"""Rate limits for forms that must resist guessing (a receipt code, a console password or
code), without keeping any visitor's address, in the store every app instance shares.

A visitor is counted under an HMAC of their address whose key is random, drawn for each window
and stored only in the shared store with the window's lifetime: once the window is over, the
counter and the key are gone and the hash cannot be tested against any address. Nothing is
written to a log or the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from web.store import Store


@dataclass(frozen=True)
class RateLimit:
    store: Store
    name: str  # what is limited, part of every key ("receipt")
    limit: int  # attempts allowed per window
    window_s: int

    def is_allowed(self, client: str) -> bool:
        """Count one attempt by ``client`` (an address) and say whether it is within the limit."""
        return self.record(client) <= self.limit

    def record(self, client: str) -> int:
        """Count one attempt by ``client``; return how many it has made in this window."""
        prefix = self._prefix()
        counter = self._counter(prefix, self._window_key(prefix), client)
        return self.store.incr(counter, self.window_s)

    def is_exhausted(self, client: str) -> bool:
        """Whether ``client`` has made ``limit`` attempts in this window (counts nothing: for
        limits on failures, which ``record`` counts once they have failed)."""
        prefix = self._prefix()
        key = self.store.get(f"{prefix}:key")
        if key is None:
            return False  # nobody has been counted in this window
        return self.store.count(self._counter(prefix, key, client)) >= self.limit

    def _prefix(self) -> str:
        return f"ratelimit:{self.name}:{int(time.time() // self.window_s)}"

    @staticmethod
    def _counter(prefix: str, key: bytes, client: str) -> str:
        tag = hmac.new(key, client.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        return f"{prefix}:{tag}"

    def _window_key(self, prefix: str) -> bytes:
        # The first instance to need this window's key draws it; the others read the same one.
        self.store.add(f"{prefix}:key", secrets.token_bytes(32), self.window_s)
        key = self.store.get(f"{prefix}:key")
        return key if key is not None else secrets.token_bytes(32)
