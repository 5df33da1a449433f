"""Deploy the test contracts to an anvil node with web3.py, and send transactions in bulk.

``deploy_all(w3)`` deploys WBNB, the PancakeSwap-like market, the Element-like emitter, the
demo ERC-721 and ERC-1155 collections and two BEP-20 stablecoins (USDT, BUSD) from anvil's
unlocked default accounts, registers the ERC-721 collection on the market and returns a
:class:`Deployment`.

``one_block(w3)`` packs many transactions into a single block: anvil slows down as blocks
accumulate (see the facts page), so big fixtures should not mine one block per transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import TxParams, TxReceipt

from devchain.solidity import Build, compile_contracts

# PancakeSwap-like market settings used by the fixtures (basis points / wei).
TRADING_FEE_BPS = 200  # 2 % to the market treasury
CREATOR_FEE_BPS = 300  # 3 % to the collection creator (the initiative)
MINIMUM_ASK_PRICE = 10**15  # 0.001 BNB
MAXIMUM_ASK_PRICE = 10**24
DEFAULT_BATCH_GAS = 1_000_000


class TransactionFailed(RuntimeError):
    def __init__(self, receipt: TxReceipt) -> None:
        super().__init__(f"transaction {receipt['transactionHash'].to_0x_hex()} reverted")
        self.receipt = receipt


@dataclass(frozen=True)
class Accounts:
    """Roles played by anvil's default, unlocked and funded accounts."""

    deployer: ChecksumAddress  # owner of the test contracts and admin of the market
    treasury: ChecksumAddress  # the market's treasury (receives trading fees)
    initiative: ChecksumAddress  # the art-for-charity initiative: collection owner and creator
    seller: ChecksumAddress
    buyer: ChecksumAddress
    other: tuple[ChecksumAddress, ...]

    @classmethod
    def from_node(cls, w3: Web3) -> Accounts:
        accounts = [Web3.to_checksum_address(a) for a in w3.eth.accounts]
        if len(accounts) < 5:
            raise RuntimeError(f"anvil has only {len(accounts)} unlocked accounts; need 5")
        return cls(
            deployer=accounts[0],
            treasury=accounts[1],
            initiative=accounts[2],
            seller=accounts[3],
            buyer=accounts[4],
            other=tuple(accounts[5:]),
        )


@dataclass(frozen=True)
class Deployment:
    w3: Web3
    build: Build
    accounts: Accounts
    wbnb: Contract
    market: Contract
    element: Contract
    collection721: Contract
    collection1155: Contract
    usdt: Contract
    busd: Contract
    trading_fee_bps: int
    creator_fee_bps: int
    deploy_block: int
    addresses: dict[str, ChecksumAddress] = field(default_factory=dict)


def transact(w3: Web3, call: Any, tx: TxParams) -> TxReceipt:
    """Send a contract function call (``contract.functions.f(...)``) and wait; raise on revert."""
    tx_hash = call.transact(tx)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
    if receipt["status"] != 1:
        raise TransactionFailed(receipt)
    return receipt


def send(w3: Web3, tx: TxParams) -> TxReceipt:
    """``eth_sendTransaction`` from an unlocked account and wait; raise on revert."""
    tx_hash = w3.eth.send_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
    if receipt["status"] != 1:
        raise TransactionFailed(receipt)
    return receipt


def deploy_contract(w3: Web3, build: Build, name: str, sender: str, *args: Any) -> Contract:
    compiled = build[name]
    factory = w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    tx_hash = factory.constructor(*args).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
    if receipt["status"] != 1 or receipt["contractAddress"] is None:
        raise TransactionFailed(receipt)
    return w3.eth.contract(address=receipt["contractAddress"], abi=compiled.abi)


def deploy_all(
    w3: Web3,
    build: Build | None = None,
    *,
    trading_fee_bps: int = TRADING_FEE_BPS,
    creator_fee_bps: int = CREATOR_FEE_BPS,
) -> Deployment:
    """Deploy every test contract and list the ERC-721 collection on the market."""
    build = build or compile_contracts()
    accounts = Accounts.from_node(w3)
    owner = accounts.deployer

    wbnb = deploy_contract(w3, build, "WBNB", owner)
    market = deploy_contract(
        w3,
        build,
        "TestNFTMarket",
        owner,
        owner,
        accounts.treasury,
        wbnb.address,
        MINIMUM_ASK_PRICE,
        MAXIMUM_ASK_PRICE,
    )
    element = deploy_contract(w3, build, "ElementEmitter", owner)
    collection721 = deploy_contract(
        w3, build, "DemoCollection721", owner, "Charity Art", "CART", accounts.initiative
    )
    collection1155 = deploy_contract(
        w3, build, "DemoCollection1155", owner, "ipfs://charity/{id}.json", accounts.initiative
    )
    usdt = deploy_contract(w3, build, "TestStablecoin", owner, "Tether USD", "USDT", owner)
    busd = deploy_contract(w3, build, "TestStablecoin", owner, "BUSD Token", "BUSD", owner)

    # The initiative is the collection's creator, so creator fees accrue to it.
    creator = accounts.initiative if creator_fee_bps else "0x" + "00" * 20
    receipt = transact(
        w3,
        market.functions.addCollection(
            collection721.address, creator, "0x" + "00" * 20, trading_fee_bps, creator_fee_bps
        ),
        {"from": owner},
    )

    addresses = {
        "WBNB": wbnb.address,
        "TestNFTMarket": market.address,
        "ElementEmitter": element.address,
        "DemoCollection721": collection721.address,
        "DemoCollection1155": collection1155.address,
        "USDT": usdt.address,
        "BUSD": busd.address,
    }
    return Deployment(
        w3=w3,
        build=build,
        accounts=accounts,
        wbnb=wbnb,
        market=market,
        element=element,
        collection721=collection721,
        collection1155=collection1155,
        usdt=usdt,
        busd=busd,
        trading_fee_bps=trading_fee_bps,
        creator_fee_bps=creator_fee_bps,
        deploy_block=receipt["blockNumber"],
        addresses=addresses,
    )


# ---------------------------------------------------------------------- bulk sending


@dataclass
class Batch:
    """Transactions sent while automine is off; see :func:`one_block`.

    They go out as raw ``eth_sendTransaction`` calls: anvil fills nonce and fees itself, which
    costs one round trip per transaction instead of the five web3.py makes to fill defaults.
    """

    w3: Web3
    default_gas: int = DEFAULT_BATCH_GAS
    tx_hashes: list[HexBytes] = field(default_factory=list)
    receipts: list[TxReceipt] = field(default_factory=list)

    def send(self, tx: TxParams | dict[str, Any]) -> HexBytes:
        # Gas is not estimated: the estimate would run against the last mined block, where an
        # earlier transaction of the same batch (an approval, a mint) has not happened yet.
        params: dict[str, Any] = {"gas": self.default_gas, **tx}
        for key, value in params.items():
            if isinstance(value, int):
                params[key] = hex(value)
            elif isinstance(value, bytes):
                params[key] = "0x" + value.hex()
        tx_hash = HexBytes(_raw(self.w3, "eth_sendTransaction", [params]))
        self.tx_hashes.append(tx_hash)
        return tx_hash

    def transact(self, call: Any, tx: TxParams | dict[str, Any]) -> HexBytes:
        """Send ``contract.functions.f(...)`` with ``tx`` (``from``, maybe ``value``, ``gas``)."""
        data = call._encode_transaction_data()  # web3's own encoder for this bound call
        return self.send({**tx, "to": call.address, "data": data})


def _raw(w3: Web3, method: str, params: list[Any]) -> Any:
    reply = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in reply:
        raise RuntimeError(f"{method} failed: {reply['error']}")
    return reply.get("result")


@contextmanager
def one_block(
    w3: Web3, *, default_gas: int = DEFAULT_BATCH_GAS, allow_failures: bool = False
) -> Iterator[Batch]:
    """Turn automine off, let the caller send transactions, then mine them and turn it back on.

        with one_block(w3) as batch:
            for i in range(100):
                batch.transact(nft.functions.mint(owner, i), {"from": owner})
        receipts = batch.receipts

    The node runs with ``--order fifo``, so the block keeps the sending order. Everything
    normally lands in one block; if the batch exceeds the block gas limit, further blocks are
    mined until every transaction has a receipt. Reverted transactions raise
    :class:`TransactionFailed` unless ``allow_failures``. If the body raises, the transactions
    it sent are dropped from anvil's pool.
    """
    batch = Batch(w3, default_gas=default_gas)
    _raw(w3, "evm_setAutomine", [False])
    try:
        try:
            yield batch
        except BaseException:
            # Do not leave half a batch in the pool to be mined with someone else's block.
            _raw(w3, "anvil_dropAllTransactions", [])
            raise
        pending = set(batch.tx_hashes)
        receipts: dict[HexBytes, TxReceipt] = {}
        for _ in range(len(pending) + 1):
            if not pending:
                break
            _raw(w3, "evm_mine", [])
            for receipt in w3.eth.get_block_receipts("latest"):
                tx_hash = HexBytes(receipt["transactionHash"])
                if tx_hash in pending:
                    receipts[tx_hash] = receipt
                    pending.discard(tx_hash)
        if pending:
            raise RuntimeError(f"{len(pending)} transactions were never mined")
        batch.receipts = [receipts[h] for h in batch.tx_hashes]
    finally:
        _raw(w3, "evm_setAutomine", [True])
    if not allow_failures:
        for receipt in batch.receipts:
            if receipt["status"] != 1:
                raise TransactionFailed(receipt)
