"""Load a Beancount export with Beancount itself and read every balance back in our units."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from beancount import loader
from beancount.core import realization

from ledger.exports import commodity_name


def load_beancount_balances(
    path: Path, decimals: Mapping[str, int], operating_currency: str = "KZT"
) -> dict[tuple[str, str], int]:
    """Return every non-zero (account, asset code) balance from Beancount's realization.

    Fails the test when Beancount reports any error, or a balance that is not a whole number
    of the asset's smallest units.
    """
    entries, errors, options = loader.load_file(str(path))
    assert errors == [], errors
    assert options["operating_currency"] == [commodity_name(operating_currency)]
    code_of = {commodity_name(code): code for code in decimals}
    balances: dict[tuple[str, str], int] = {}
    for real_account in realization.iter_children(realization.realize(entries)):
        for position in real_account.balance:
            code = code_of[position.units.currency]
            units = position.units.number.scaleb(decimals[code])
            assert units == units.to_integral_value(), (real_account.account, units)
            if units:
                balances[(real_account.account, code)] = int(units)
    return balances
