"""The sync's progress display: one updating line on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ledger.chain.sync import Progress


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class ProgressPrinter:
    """Callable given to the Syncer; prints at most every ``interval_s`` seconds off a tty."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.is_tty = self.stream.isatty()
        self.interval_s = interval_s if not self.is_tty else 0.2
        self._last = 0.0
        self._line_open = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        finished = p.at_block >= p.to_block
        if not finished and now - self._last < self.interval_s:
            return
        self._last = now
        done = p.at_block - p.from_block + 1
        total = max(p.to_block - p.from_block + 1, 1)
        text = (
            f"{p.phase}: block {p.at_block:,} of {p.to_block:,} ({100 * done / total:.1f} %), "
            f"{p.blocks_per_s:,.0f} blocks/s, {p.events_per_s:,.0f} events/s, "
            f"{p.logs:,} logs, {p.entries:,} entries, ETA {_duration(p.eta_s)}"
        )
        if self.is_tty:
            self.stream.write("\r\x1b[2K" + text)
            self._line_open = not finished
            if finished:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False
