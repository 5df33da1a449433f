"""A day a person gives (the date on a receipt or a bank statement) as the instant the ledger
stores: noon in the initiative's time zone, so the day survives any offset it is shown in (at
midnight, Almaty's day would read as the day before in UTC). Every way in (the console, the
CLI, imported files) stamps days the same way, so the same payout typed twice is the same fact.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo


def instant_of_day(day: date, tz: tzinfo) -> datetime:
    """Noon of ``day`` in ``tz``."""
    return datetime.combine(day, time(12), tz)
