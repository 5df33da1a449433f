"""Rate limits for public forms that must resist guessing (a receipt code), without keeping
any visitor's address.

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
        window = int(time.time() // self.window_s)
        prefix = f"ratelimit:{self.name}:{window}"
        key = self._window_key(prefix)
        tag = hmac.new(key, client.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        return self.store.incr(f"{prefix}:{tag}", self.window_s) <= self.limit

    def _window_key(self, prefix: str) -> bytes:
        # The first instance to need this window's key draws it; the others read the same one.
        self.store.add(f"{prefix}:key", secrets.token_bytes(32), self.window_s)
        key = self.store.get(f"{prefix}:key")
        return key if key is not None else secrets.token_bytes(32)
