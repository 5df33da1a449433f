"""End to end on anvil: the demo's sales synced, routed and disbursed give totals equal to a
hand-computed fixture; ``ledger check`` and ``ledger report`` on the result."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from devchain import scenarios as sc
from devchain.anvil import Anvil
from devchain.deploy import CREATOR_FEE_BPS, TRADING_FEE_BPS, Deployment
from ledger.models import Disbursement, RoutingRecord, RoutingStatus
from ledger.reports.figures import get_total_figures, sum_flows
from ledger.reports.flows import iter_flows
from tests.beancount_check import load_beancount_balances
from tests.chain.conftest import SyncedLedger

pytestmark = pytest.mark.chain

PRICE = 10**18
CRISIS = "Liabilities:Payable:CrisisCentreAlmaty"
LEGAL = "Liabilities:Payable:LegalAidFund"


def fees(price: int) -> tuple[int, int, int]:
    trading = price * TRADING_FEE_BPS // 10_000
    creator = price * CREATOR_FEE_BPS // 10_000
    return trading, creator, price - trading - creator


def crisis_share(amount: int) -> int:
    return amount * 6000 // 10_000  # the demo rule: 60 % crisis centre, the rest legal aid


def test_demo_sales_synced_routed_and_disbursed_equal_the_hand_computed_totals(
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    d = deployed
    initiative, buyer, next_buyer = d.accounts.initiative, d.accounts.buyer, d.accounts.seller
    treasury, crisis = d.accounts.other[2], d.accounts.other[0]
    # Venera #101 for 1 BNB and #102 for 2 WBNB on PancakeSwap; #101 resold for 3; the
    # initiative claims the accrued creator fees; Alina #201 sold on Element for 1 BNB.
    sc.mint_and_list(d, 101, initiative, PRICE)
    sc.buy_with_bnb(d, 101, buyer, PRICE)
    sc.mint_and_list(d, 102, initiative, 2 * PRICE)
    sc.buy_with_wbnb(d, 102, buyer, 2 * PRICE)
    sc.resale(d, 101, buyer, next_buyer, 3 * PRICE)
    claim = sc.pending_revenue(d, initiative)
    sc.claim_revenue(d, initiative)
    sc.mint(d, 201, initiative)
    sc.approve_all(d, d.collection721, initiative, d.element.address)
    sc.element_sell_721(
        d, initiative, buyer, 201, amount=PRICE, fees=[(d.accounts.treasury, PRICE // 50)]
    )
    # The seller wallet moves WBNB to the treasury, which pays the crisis centre its share of
    # the first sale.
    _, c1, n1 = fees(PRICE)
    _, c2, n2 = fees(2 * PRICE)
    _, c3, _ = fees(3 * PRICE)
    assert claim == c1 + c2 + c3
    sc.erc20_transfer(d, d.wbnb, initiative, treasury, n1)
    paid = crisis_share(n1)
    sc.erc20_transfer(d, d.wbnb, treasury, crisis, paid)
    anvil_node.rpc("anvil_mine", ["0x3"])

    ledger = make_ledger(anvil_node.url)
    ledger.sync()

    # The hand-computed fixture.
    element_net = PRICE - PRICE // 50
    wbnb_receipts = [n1, n2, claim]
    expected_wbnb = {
        "pledged": 0,
        "received": n1 + n2 + claim,
        "routed": n1 + n2 + claim,
        "disbursed": paid,
        "outstanding": n1 + n2 + claim - paid,
    }
    expected_bnb = {
        "pledged": 0,
        "received": element_net,
        "routed": element_net,
        "disbursed": 0,
        "outstanding": element_net,
    }
    balances = ledger.balances()
    assert balances[(CRISIS, "WBNB")] == -(sum(crisis_share(a) for a in wbnb_receipts) - paid)
    assert balances[(LEGAL, "WBNB")] == -sum(a - crisis_share(a) for a in wbnb_receipts)
    assert balances[(CRISIS, "BNB")] == -crisis_share(element_net)
    with ledger.sessions() as session:
        totals = get_total_figures(session)
        assert totals["WBNB"].as_dict() == expected_wbnb
        assert totals["BNB"].as_dict() == expected_bnb
        flows = list(iter_flows(session))
        by_artwork = sum_flows(flows, lambda f: [f.attr.artwork_id])
        statuses = [r.status for r in session.scalars(select(RoutingRecord))]
        assert [d.amount for d in session.scalars(select(Disbursement))] == [paid]
    # Every WBNB amount is Venera's (its sales, and the claim settles her accrued fees);
    # the BNB is Alina's.
    assert len(by_artwork) == 2
    venera = next(f for f in by_artwork.values() if "WBNB" in f.by_asset)
    alina = next(f for f in by_artwork.values() if "BNB" in f.by_asset)
    assert venera.by_asset["WBNB"].as_dict() == expected_wbnb
    assert alina.by_asset["BNB"].as_dict() == expected_bnb
    assert statuses.count(RoutingStatus.ROUTED) == 4  # 2 sales, the claim, the Element sale

    # The CLI on the same database: the report, and a check with nothing open.
    monkeypatch.setenv("LEDGER_DATABASE_URL", ledger.url)
    monkeypatch.setenv("LEDGER_CHAIN_RPC_URLS", anvil_node.url)
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--by", "artwork", "--format", "json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = {(r["label"], r["asset"]): r for r in json.loads(result.output)["rows"]}
    assert rows[("Venera", "WBNB")]["received_units"] == str(n1 + n2 + claim)
    assert rows[("Alina", "BNB")]["routed_units"] == str(element_net)
    assert rows[("Venera", "WBNB")]["disbursed_units"] == str(paid)
    check = runner.invoke(main, ["check", "--chain"])
    assert check.exit_code == 0, check.output
    assert "no open discrepancies" in check.output
    beneficiaries = runner.invoke(main, ["report", "--by", "beneficiary", "--lang", "en"])
    assert "Almaty crisis centre (demo)" in beneficiaries.output

    # The exports of the synced journal: Beancount agrees with every balance, and every chain
    # entry in the CSV carries its explorer link.
    exported = tmp_path / "ledger.beancount"
    result = runner.invoke(main, ["export", "--format", "beancount", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    decimals = {"BNB": 18, "WBNB": 18, "USDT": 18, "KZT": 2, "USD": 2}
    assert load_beancount_balances(exported, decimals) == balances
    monkeypatch.setenv(
        "LEDGER_CHAIN_EXPLORER_TX_URL",
        f'{{ "{ledger.settings.chain.chain_id}" = "https://scan.test/tx/{{hash}}" }}',
    )
    csv_path = tmp_path / "ledger.csv"
    result = runner.invoke(main, ["export", "--format", "csv", "--out", str(csv_path)])
    assert result.exit_code == 0, result.output
    rows = list(
        csv.DictReader(
            line for line in csv_path.read_text().splitlines() if not line.startswith("# ")
        )
    )
    chain_rows = [r for r in rows if r["evidence_kind"] == "chain_log"]
    assert chain_rows
    assert all(r["explorer_url"] == f"https://scan.test/tx/{r['tx_hash']}" for r in chain_rows)


def test_check_reports_a_payout_in_an_asset_never_owed_and_a_wallet_that_diverges(
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = deployed
    treasury, shelter = d.accounts.other[2], d.accounts.other[1]
    sc.mint_stablecoin(d, d.usdt, d.accounts.buyer, 500)
    sc.erc20_transfer(d, d.usdt, d.accounts.buyer, treasury, 500)
    sc.erc20_transfer(d, d.usdt, treasury, shelter, 200)
    anvil_node.rpc("anvil_mine", ["0x3"])
    ledger = make_ledger(anvil_node.url)
    ledger.sync()
    # A transfer the ledger never saw: minted straight to the treasury after the sync read it.
    sc.mint_stablecoin(d, d.usdt, treasury, 42)
    anvil_node.rpc("anvil_mine", ["0x3"])
    monkeypatch.setenv("LEDGER_DATABASE_URL", ledger.url)
    monkeypatch.setenv("LEDGER_CHAIN_RPC_URLS", anvil_node.url)
    result = CliRunner().invoke(main, ["check", "--chain"])
    assert result.exit_code == 1
    assert "[never_owed] Liabilities:Payable:LegalAidFund USDT" in result.output
    assert (
        "[wallet] Assets:Wallet:Treasury:56-14dc7996 USDT: journal 300, chain 342" in result.output
    )
