"""The demo catalogue's chain addresses are the ones a fresh demo chain deployment produces."""

import pytest

from devchain.anvil import Anvil
from devchain.deploy import deploy_all
from devchain.solidity import Build
from ledger.catalogue import parse_catalogue
from ledger.config import load_settings
from ledger.demo.load import read_demo_catalogue_text

pytestmark = pytest.mark.chain


def test_demo_catalogue_matches_a_fresh_deployment(anvil_node: Anvil, solc_build: Build) -> None:
    catalogue = parse_catalogue(read_demo_catalogue_text())
    with Anvil() as fresh:  # its own node: nonces start at 0, as on the demo chain
        deployment = deploy_all(fresh.web3(), solc_build)
    assets = {a.code: a.contract.lower() for a in catalogue.assets if a.contract}
    assert assets["WBNB"] == deployment.wbnb.address.lower()
    assert assets["USDT"] == deployment.usdt.address.lower()
    (collection,) = catalogue.collections
    assert collection.contract.lower() == deployment.collection721.address.lower()
    wallets = {w.role: w.address.lower() for w in catalogue.wallets}
    assert wallets["seller"] == deployment.accounts.initiative.lower()
    used = {deployment.accounts.deployer, deployment.accounts.treasury, deployment.accounts.seller, deployment.accounts.buyer}
    assert wallets["treasury"] not in {a.lower() for a in used}
    # The initiative's treasury and the beneficiaries' wallets are anvil's accounts 7, 5 and 6.
    others = [a.lower() for a in deployment.accounts.other]
    assert wallets["treasury"] == others[2]
    payouts = [w.address.lower() for b in catalogue.beneficiaries for w in b.wallets]
    assert payouts == [others[0], others[1]]
    # The embedded default configuration follows the demo chain's marketplaces and WBNB.
    chain = load_settings(environ={}).chain
    assert chain.pancake_market == deployment.market.address.lower()
    assert chain.element_market == deployment.element.address.lower()
    assert chain.wbnb == deployment.wbnb.address.lower()
