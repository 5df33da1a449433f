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
    # The demo story (devchain.demochain) pays from anvil account 7 to accounts 5 and 6.
    acc = deployment.accounts
    assert wallets["treasury"] == acc.other[2].lower()
    payees = {b.key: [w.address.lower() for w in b.wallets] for b in catalogue.beneficiaries}
    assert payees == {
        "crisis-centre-almaty": [acc.other[0].lower()],
        "legal-aid-fund": [acc.other[1].lower()],
    }
    # The embedded default configuration follows the demo chain's marketplaces and WBNB.
    chain = load_settings(environ={}).chain
    assert chain.pancake_market == deployment.market.address.lower()
    assert chain.element_market == deployment.element.address.lower()
    assert chain.wbnb == deployment.wbnb.address.lower()
