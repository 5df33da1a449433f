"""``ledger sync`` against a real anvil: what the chain did is booked exactly once.

The demo catalogue's addresses are those of ``deploy_all`` on a fresh anvil, so every test loads
the demo catalogue into a fresh database and drives real transactions on the deployed contracts.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from devchain import scenarios as sc
from devchain.anvil import Anvil
from devchain.deploy import CREATOR_FEE_BPS, TRADING_FEE_BPS, Deployment
from ledger.accounts import (
    marketplace_fees_account,
    receivable_account,
    royalties_account,
    sales_account,
    suspense_account,
)
from ledger.models import ChainLog, Disbursement, EditionStatus, EvidenceKind, NftEdition
from tests.chain.conftest import SyncedLedger

pytestmark = pytest.mark.chain

PRICE = 10**18
SELLER_WALLET = "Assets:Wallet:Seller:56-3c44cddd"
TREASURY_WALLET = "Assets:Wallet:Treasury:56-14dc7996"
PANCAKE = "PancakeSwap"


def finalize(node: Anvil, blocks: int = 3) -> None:
    """Mine past the sale so it is at or below anvil's `finalized` (head - 2)."""
    node.rpc("anvil_mine", [hex(blocks)])


def fees(price: int) -> tuple[int, int, int]:
    trading = price * TRADING_FEE_BPS // 10_000
    creator = price * CREATOR_FEE_BPS // 10_000
    return trading, creator, price - trading - creator


def primary_sales(d: Deployment) -> None:
    """The initiative sells #101 for BNB and #102 for WBNB on the PancakeSwap-like market."""
    initiative, buyer = d.accounts.initiative, d.accounts.buyer
    sc.mint_and_list(d, 101, initiative, PRICE)
    sc.buy_with_bnb(d, 101, buyer, PRICE)
    sc.mint_and_list(d, 102, initiative, 2 * PRICE)
    sc.buy_with_wbnb(d, 102, buyer, 2 * PRICE)


def test_primary_sales_are_booked_once_with_fees_split(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    primary_sales(deployed)
    finalize(anvil_node)
    ledger = make_ledger(anvil_node.url)
    report = ledger.sync()
    assert report.booked_to == report.final

    t1, c1, n1 = fees(PRICE)
    t2, c2, n2 = fees(2 * PRICE)
    balances = ledger.balances()
    assert balances[(SELLER_WALLET, "WBNB")] == n1 + n2  # the WBNB transfer is not a 2nd inflow
    assert balances[(sales_account(PANCAKE), "WBNB")] == -(3 * PRICE)
    assert balances[(marketplace_fees_account(PANCAKE), "WBNB")] == t1 + t2
    assert balances[(receivable_account(PANCAKE), "WBNB")] == c1 + c2
    sales = [e for e in ledger.entries() if e.description.startswith("Sale of")]
    assert len(sales) == 2
    assert all(e.evidence_kind == EvidenceKind.CHAIN_LOG for e in sales)
    assert all(e.idempotency_key == f"chain:56:{e.block_hash}:{e.log_index}" for e in sales)

    with ledger.sessions() as session:
        editions = {
            e.token_id: e
            for e in session.scalars(select(NftEdition).where(NftEdition.token_id.in_([101, 102])))
        }
    assert editions[101].status == EditionStatus.SOLD
    assert editions[101].holder == deployed.accounts.buyer.lower()

    checksum = ledger.checksum()
    again = ledger.sync()
    assert again.entries_posted == 0 and again.logs_stored == 0
    replay = ledger.sync(from_block=0)  # re-running any range is a no-op
    assert replay.entries_posted == 0 and replay.logs_stored == 0
    assert ledger.checksum() == checksum


def test_resale_accrues_creator_fee_until_the_claim(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    d = deployed
    primary_sales(d)
    holder, next_buyer = d.accounts.buyer, d.accounts.seller
    sc.resale(d, 101, holder, next_buyer, 3 * PRICE)
    finalize(anvil_node)
    ledger = make_ledger(anvil_node.url)
    ledger.sync()
    _, c_resale, _ = fees(3 * PRICE)
    assert ledger.balances()[(royalties_account(PANCAKE), "WBNB")] == -c_resale
    accrued = ledger.balances()[(receivable_account(PANCAKE), "WBNB")]
    assert accrued == sc.pending_revenue(d, d.accounts.initiative)

    before = ledger.balances()[(SELLER_WALLET, "WBNB")]
    sc.claim_revenue(d, d.accounts.initiative)
    finalize(anvil_node)
    ledger.sync()
    balances = ledger.balances()
    assert (receivable_account(PANCAKE), "WBNB") not in balances  # fully claimed: zero
    assert balances[(SELLER_WALLET, "WBNB")] == before + accrued
    assert sc.pending_revenue(d, d.accounts.initiative) == 0


def test_transfers_between_wallets_to_beneficiaries_and_strangers(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    d = deployed
    primary_sales(d)
    treasury, crisis, shelter = d.accounts.other[2], d.accounts.other[0], d.accounts.other[1]
    _, _, n1 = fees(PRICE)
    sc.erc20_transfer(d, d.wbnb, d.accounts.initiative, treasury, n1)
    sc.erc20_transfer(d, d.wbnb, treasury, crisis, n1 // 2)
    sc.mint_stablecoin(d, d.usdt, d.accounts.buyer, 500)
    sc.erc20_transfer(d, d.usdt, d.accounts.buyer, treasury, 500)  # a stranger's gift
    sc.erc20_transfer(d, d.usdt, treasury, shelter, 200)
    sc.wrap_bnb(d, treasury, 7)
    finalize(anvil_node)
    ledger = make_ledger(anvil_node.url)
    ledger.sync()
    b = ledger.balances()
    assert b[(TREASURY_WALLET, "WBNB")] == n1 - n1 // 2 + 7
    assert b[(TREASURY_WALLET, "BNB")] == -7  # native BNB is only seen through logs/verify-tx
    assert b[(TREASURY_WALLET, "USDT")] == 300
    assert b[(suspense_account(), "USDT")] == -500
    # Payouts to the beneficiaries' wallets are matched as disbursements (Dr payable); the
    # payables also hold what routing allocated from the two sales (Cr payable).
    with ledger.sessions() as session:
        paid = sorted(d.amount for d in session.scalars(select(Disbursement)))
    assert paid == sorted([n1 // 2, 200])
    routed = {k: -v for k, v in b.items() if k[0].startswith("Liabilities:Payable")}
    assert b[("Equity:Routed", "WBNB")] == sum(fees(p)[2] for p in (PRICE, 2 * PRICE))
    assert routed[("Liabilities:Payable:LegalAidFund", "USDT")] == -200  # never owed USDT


def test_element_sale_with_native_bnb_and_a_royalty_fee(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    d = deployed
    initiative, buyer = d.accounts.initiative, d.accounts.buyer
    sc.mint(d, 103, initiative)
    sc.approve_all(d, d.collection721, initiative, d.element.address)
    market_fee = (d.accounts.treasury, PRICE // 50)
    sc.element_sell_721(d, initiative, buyer, 103, amount=PRICE, fees=[market_fee])
    # A resale by the buyer with a royalty to the initiative, paid in USDT.
    sc.approve_all(d, d.collection721, buyer, d.element.address)
    sc.mint_stablecoin(d, d.usdt, d.accounts.seller, 10_000)
    sc.approve_erc20(d, d.usdt, d.accounts.seller, d.element.address)
    sc.element_sell_721(
        d,
        buyer,
        d.accounts.seller,
        103,
        payment_token=d.usdt.address,
        amount=10_000,
        fees=[(initiative, 500)],
        order_hash=b"\x22" * 32,
    )
    finalize(anvil_node)
    ledger = make_ledger(anvil_node.url)
    ledger.sync()
    b = ledger.balances()
    assert b[(SELLER_WALLET, "BNB")] == PRICE - PRICE // 50
    assert b[(sales_account("Element"), "BNB")] == -PRICE
    assert b[(marketplace_fees_account("Element"), "BNB")] == PRICE // 50
    assert b[(SELLER_WALLET, "USDT")] == 500  # the USDT transfer is part of the fill
    assert b[(royalties_account("Element"), "USDT")] == -500


def test_blocks_above_final_are_pending_then_booked(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    primary_sales(deployed)  # the last sale is in the head block: not final yet
    ledger = make_ledger(anvil_node.url)
    first = ledger.sync()
    assert first.pending_logs > 0
    assert first.fetched_to == first.head > first.booked_to == first.final
    booked_sales = [e for e in ledger.entries() if e.description.startswith("Sale of")]
    finalize(anvil_node)
    second = ledger.sync()
    assert second.pending_logs == 0
    assert len([e for e in ledger.entries() if e.description.startswith("Sale of")]) == len(
        booked_sales
    ) + 1
    with ledger.sessions() as session:
        assert all(row.is_booked for row in session.scalars(select(ChainLog)))


def test_two_clean_rebuilds_give_identical_journals(
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    fresh_copy: Callable[[], SyncedLedger],
) -> None:
    d = deployed
    primary_sales(d)
    sc.resale(d, 101, d.accounts.buyer, d.accounts.seller, PRICE)
    sc.claim_revenue(d, d.accounts.initiative)
    finalize(anvil_node)
    first = make_ledger(anvil_node.url)
    first.sync()
    second = fresh_copy()  # another database, other range sizes
    second.sync()
    assert second.checksum() == first.checksum()


def test_erc1155_units_move_editions_one_by_one_and_a_sale_marks_those_it_moved(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    """Five editions are five units of one ERC-1155 token: a mint gives them to the wallet, an
    Element sale of two moves (and sells) the two lowest-numbered, a transfer and a batch move
    units on, and the editions left stay available with the wallet."""
    from ledger.models import Artwork, Collection, TokenStandard

    d, acc = deployed, deployed.accounts
    ledger = make_ledger(anvil_node.url)
    with ledger.sessions() as session:
        collection = Collection(
            key="bd-1155", name="Behind the Door (1155)", chain_id=56,
            contract=d.collection1155.address.lower(), standard=TokenStandard.ERC1155,
        )
        artwork = session.scalars(select(Artwork).where(Artwork.key == "venera")).one()
        session.add(collection)
        session.flush()
        for number in range(1, 6):
            session.add(NftEdition(artwork=artwork, collection_id=collection.id, token_id=7,
                                   edition_number=number, edition_size=5,
                                   status=EditionStatus.AVAILABLE))
        session.commit()
    seller, buyer, other = acc.seller, acc.buyer, acc.other[0]
    sc.mint_1155(d, seller, 7, 5)
    sc.approve_all(d, d.collection1155, seller, d.element.address)
    sc.element_sell_1155(d, seller, buyer, 7, 2, amount=2 * 10**16)
    sc.transfer_1155(d, buyer, other, 7, 1)
    sc.transfer_1155_batch(d, seller, other, [7], [1])
    finalize(anvil_node)
    ledger.sync()

    with ledger.sessions() as session:
        editions = {
            e.edition_number: (e.status, e.holder)
            for e in session.scalars(select(NftEdition).where(NftEdition.collection_id.in_(
                select(Collection.id).where(Collection.key == "bd-1155"))))
        }
    sold, available = EditionStatus.SOLD, EditionStatus.AVAILABLE
    assert editions == {
        1: (sold, other.lower()),  # sold to the buyer, who gave it on
        2: (sold, buyer.lower()),
        3: (available, other.lower()),  # given by the wallet in a batch: moved, not sold
        4: (available, seller.lower()),
        5: (available, seller.lower()),
    }
