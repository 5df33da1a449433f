"""The one exception family of the ledger core.

Adapters (the CLI and the web app) map these to exit codes and HTTP responses in one place each.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


class ConfigError(LedgerError):
    """A setting is missing, unknown or invalid; the message names it."""


class UnbalancedEntryError(LedgerError):
    """An entry's postings do not sum to zero for every asset."""


class InvalidEntryError(LedgerError):
    """An entry is malformed (too few postings, zero amount, naive timestamp, unknown account)."""


class IdempotencyConflictError(LedgerError):
    """An idempotency key was posted before with different content."""


class AlreadyReversedError(LedgerError):
    """The entry has been reversed already (an entry is reversed at most once)."""


class NotFoundError(LedgerError):
    """A referenced record does not exist."""


class CatalogueError(LedgerError):
    """A catalogue file or catalogue change is invalid; the message names the place."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class AmountOutOfRangeError(LedgerError):
    """An amount does not fit the ledger's range (|amount| <= 2**256 - 1)."""


class LabelError(LedgerError):
    """Labels cannot be printed as asked: incomplete texts, or text that does not fit."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ExportError(LedgerError):
    """The journal cannot be written in the asked format (the message says why)."""


class RateError(LedgerError):
    """An exchange rate is malformed, unknown, or contradicts one recorded before."""


class AccessError(LedgerError):
    """A console user, password or second factor was refused."""
