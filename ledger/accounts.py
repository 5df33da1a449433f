"""The chart of accounts: one function per kind of account, so a name is built in one place.

Names follow Beancount (``Type:Component:...``, each component starting with a capital letter or
a digit), which keeps the Beancount export a straight copy. See docs/accounts.md.
"""

from __future__ import annotations

import functools
import re

from ledger.models import Wallet


@functools.lru_cache(maxsize=4096)  # pure, and the sync names the same few accounts per entry
def component(text: str) -> str:
    """Turn a key or label (``crisis-centre``) into an account component (``CrisisCentre``)."""
    words = re.split(r"[^A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words if w)
    if not name:
        raise ValueError(f"{text!r} has no letters or digits for an account name")
    return name if name[0].isupper() or name[0].isdigit() else "X" + name


def wallet_account(wallet: Wallet) -> str:
    """What the initiative holds in one of its wallets (``Assets:Wallet:Treasury:56-5fbdb231``)."""
    return f"Assets:Wallet:{component(wallet.role.value)}:{wallet.chain_id}-{wallet.address[2:10]}"


def bank_account(name: str = "Operating") -> str:
    return f"Assets:Bank:{component(name)}"


def cash_account(name: str = "Exhibition") -> str:
    return f"Assets:Cash:{component(name)}"


def exchange_account(name: str = "Binance") -> str:
    """What the initiative holds on a custodial exchange account (Binance NFT proceeds)."""
    return f"Assets:Exchange:{component(name)}"


def receivable_account(channel: str) -> str:
    """Proceeds pledged or accrued but not yet received (e.g. creator fees held by a market)."""
    return f"Assets:Receivable:{component(channel)}"


def sales_account(channel: str) -> str:
    """Gross sales revenue per channel (PancakeSwap, Element, Binance, Exhibition)."""
    return f"Income:Sales:{component(channel)}"


def royalties_account(channel: str) -> str:
    return f"Income:Royalties:{component(channel)}"


def marketplace_fees_account(channel: str) -> str:
    return f"Expenses:MarketplaceFees:{component(channel)}"


def payable_account(beneficiary_key: str) -> str:
    """Proceeds routed to a beneficiary and not yet paid out."""
    return f"Liabilities:Payable:{component(beneficiary_key)}"


def artist_payable_account(artist_key: str) -> str:
    """An artist's agreed share of received proceeds, not yet paid out."""
    return f"Liabilities:Payable:Artist:{component(artist_key)}"


# Where received money is held: the initiative's wallets, bank and cash, and exchange accounts.
HOLDING_PREFIXES = ("Assets:Wallet:", "Assets:Bank:", "Assets:Cash:", "Assets:Exchange:")
# Accounts whose net credit in an entry is what the entry received: income, receivables
# (accrued, then settled) and the marketplace fees kept from a gross sale.
PROCEEDS_PREFIXES = ("Income:", "Assets:Receivable:", "Expenses:MarketplaceFees:")
PAYABLE_PREFIX = "Liabilities:Payable:"
RECEIVABLE_PREFIX = "Assets:Receivable:"


def is_holding_account(name: str) -> bool:
    return name.startswith(HOLDING_PREFIXES)


def is_proceeds_account(name: str) -> bool:
    return name.startswith(PROCEEDS_PREFIXES)


def suspense_account(source: str = "Chain") -> str:
    """Money that moved into or out of the initiative's wallets for a reason not yet known
    (an unmatched transfer); reconciliation reclassifies it."""
    return f"Liabilities:Suspense:{component(source)}"


def conversions_account() -> str:
    """Counterpart of one asset turned into another (BNB wrapped into WBNB), as in Beancount:
    each asset balances on its own, so the conversion passes through equity."""
    return "Equity:Conversions"


def routed_account() -> str:
    """Equity moved out of the initiative's hands when proceeds are allocated."""
    return "Equity:Routed"


def opening_account() -> str:
    return "Equity:OpeningBalances"
