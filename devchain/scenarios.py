"""Drive real transactions on a :class:`~devchain.deploy.Deployment`: moves a ledger must follow.

Each function sends the transaction(s) of one move from anvil's unlocked accounts, waits for
them, raises :class:`~devchain.deploy.TransactionFailed` on a revert and returns the receipt
(or, for moves of several transactions, the receipts in sending order, the main one last).
They are used by the tests, by the demo chain's story (``devchain.demochain``) and by the
benchmarks of the chain sync (:func:`build_many_sales`).

Addresses are plain 0x strings (checksummed or not); amounts are integers in wei or in the
token's smallest unit.

The logs each move emits, in order (PancakeSwap-like market, see the BSC facts page):

================  ==================================================================
mint              ERC-721 Transfer(0 -> to)
list_token        [Approval], ERC-721 Transfer(seller -> market), AskNew
update_ask        AskUpdate
cancel_ask        ERC-721 Transfer(market -> seller), AskCancel
buy_with_bnb      WBNB Deposit(market), WBNB Transfer(market -> seller, net),
                  ERC-721 Transfer(market -> buyer), Trade(withBNB=true)
buy_with_wbnb     [Deposit(buyer)], [Approval], WBNB Transfer(buyer -> market, price),
                  WBNB Transfer(market -> seller, net), ERC-721 Transfer, Trade(false)
claim_revenue     WBNB Transfer(market -> claimer, whole balance), RevenueClaim
================  ==================================================================
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxParams, TxReceipt, Wei

from devchain.deploy import DEFAULT_BATCH_GAS, Deployment, one_block, send, transact
from ledger.chain.decode import topic0_of

ZERO_ADDRESS = "0x" + "00" * 20
#: Element's marker for a price paid in native BNB.
NATIVE_TOKEN = Web3.to_checksum_address("0x" + "ee" * 20)
MAX_UINT256 = 2**256 - 1

#: An Element order fee: (recipient, amount in the payment token's smallest unit).
Fee = tuple[str, int]


def _tx(sender: str, value: int = 0) -> TxParams:
    tx: TxParams = {"from": sender}
    if value:
        tx["value"] = Wei(value)
    return tx


# ------------------------------------------------------------------ ERC-721 and the market


def mint(d: Deployment, token_id: int, to: str) -> TxReceipt:
    """The collection owner (the initiative) mints ERC-721 ``token_id`` to ``to``."""
    return transact(
        d.w3, d.collection721.functions.mint(to, token_id), _tx(d.accounts.initiative)
    )


def approve_market(d: Deployment, token_id: int, owner: str) -> TxReceipt:
    """``owner`` approves the market to take ``token_id`` (emits ERC-721 Approval)."""
    call = d.collection721.functions.approve(d.market.address, token_id)
    return transact(d.w3, call, _tx(owner))


def approve_all(d: Deployment, collection: Contract, owner: str, operator: str) -> TxReceipt:
    """``owner`` lets ``operator`` move all its tokens of ``collection`` (ApprovalForAll)."""
    call = collection.functions.setApprovalForAll(operator, True)
    return transact(d.w3, call, _tx(owner))


def create_ask(d: Deployment, token_id: int, seller: str, price: int) -> TxReceipt:
    """``createAskOrder``: ERC-721 Transfer(seller -> market), then AskNew. Needs an approval."""
    call = d.market.functions.createAskOrder(d.collection721.address, token_id, price)
    return transact(d.w3, call, _tx(seller))


def list_token(d: Deployment, token_id: int, seller: str, price: int) -> list[TxReceipt]:
    """Approve the market for ``token_id`` and list it; returns [approve, createAskOrder]."""
    return [approve_market(d, token_id, seller), create_ask(d, token_id, seller, price)]


def mint_and_list(d: Deployment, token_id: int, seller: str, price: int) -> list[TxReceipt]:
    """Mint ``token_id`` to ``seller``, who lists it; returns [mint, approve, createAskOrder]."""
    return [mint(d, token_id, seller), *list_token(d, token_id, seller, price)]


def update_ask(d: Deployment, token_id: int, seller: str, price: int) -> TxReceipt:
    """``modifyAskOrder``: AskUpdate with the new price."""
    call = d.market.functions.modifyAskOrder(d.collection721.address, token_id, price)
    return transact(d.w3, call, _tx(seller))


def cancel_ask(d: Deployment, token_id: int, seller: str) -> TxReceipt:
    """``cancelAskOrder``: ERC-721 Transfer(market -> seller), then AskCancel."""
    call = d.market.functions.cancelAskOrder(d.collection721.address, token_id)
    return transact(d.w3, call, _tx(seller))


def buy_with_bnb(d: Deployment, token_id: int, buyer: str, price: int) -> TxReceipt:
    """``buyTokenUsingBNB``: the market wraps the BNB and pays the seller in WBNB."""
    call = d.market.functions.buyTokenUsingBNB(d.collection721.address, token_id)
    return transact(d.w3, call, _tx(buyer, price))


def buy_with_wbnb(
    d: Deployment, token_id: int, buyer: str, price: int, *, wrap: bool = True
) -> list[TxReceipt]:
    """Wrap ``price`` BNB (unless ``wrap`` is false), approve the market, buy with WBNB.

    Returns [deposit, approve, buy] (without the deposit when ``wrap`` is false).
    """
    receipts = [wrap_bnb(d, buyer, price)] if wrap else []
    receipts.append(approve_erc20(d, d.wbnb, buyer, d.market.address, price))
    call = d.market.functions.buyTokenUsingWBNB(d.collection721.address, token_id, price)
    receipts.append(transact(d.w3, call, _tx(buyer)))
    return receipts


def resale(
    d: Deployment,
    token_id: int,
    holder: str,
    buyer: str,
    price: int,
    *,
    with_bnb: bool = True,
) -> list[TxReceipt]:
    """``holder`` lists a token it bought and ``buyer`` buys it.

    The collection's creator fee (the initiative's royalty) accrues in the market's
    ``pendingRevenue`` until :func:`claim_revenue`. Returns [approve, ask, ..., buy].
    """
    receipts = list_token(d, token_id, holder, price)
    if with_bnb:
        receipts.append(buy_with_bnb(d, token_id, buyer, price))
    else:
        receipts += buy_with_wbnb(d, token_id, buyer, price)
    return receipts


def claim_revenue(d: Deployment, claimer: str) -> TxReceipt:
    """``claimPendingRevenue``: WBNB Transfer(market -> claimer, whole balance), RevenueClaim."""
    return transact(d.w3, d.market.functions.claimPendingRevenue(), _tx(claimer))


def pending_revenue(d: Deployment, account: str) -> int:
    """The fees accrued to ``account`` in the market and not yet claimed (a read, no tx)."""
    return int(d.market.functions.pendingRevenue(account).call())


def modify_collection(
    d: Deployment, trading_fee_bps: int, creator_fee_bps: int, creator: str | None = None
) -> TxReceipt:
    """The market admin changes the collection's fees: CollectionUpdate."""
    creator = creator or (d.accounts.initiative if creator_fee_bps else ZERO_ADDRESS)
    call = d.market.functions.modifyCollection(
        d.collection721.address, creator, ZERO_ADDRESS, trading_fee_bps, creator_fee_bps
    )
    return transact(d.w3, call, _tx(d.accounts.deployer))


def close_collection(d: Deployment) -> TxReceipt:
    """The market admin closes the collection for trading and listing: CollectionClose."""
    call = d.market.functions.closeCollectionForTradingAndListing(d.collection721.address)
    return transact(d.w3, call, _tx(d.accounts.deployer))


# ---------------------------------------------------------------- BNB, WBNB and BEP-20 tokens


def send_bnb(d: Deployment, sender: str, recipient: str, amount: int) -> TxReceipt:
    """A plain native BNB transfer (no log: read the transaction itself)."""
    return send(d.w3, {"from": sender, "to": recipient, "value": Wei(amount)})


def wrap_bnb(d: Deployment, account: str, amount: int) -> TxReceipt:
    """Send BNB to WBNB's ``receive()``: WBNB Deposit(account, amount)."""
    return send(d.w3, {"from": account, "to": d.wbnb.address, "value": Wei(amount)})


def unwrap_wbnb(d: Deployment, account: str, amount: int) -> TxReceipt:
    """``WBNB.withdraw``: WBNB Withdrawal(account, amount) and native BNB back."""
    return transact(d.w3, d.wbnb.functions.withdraw(amount), _tx(account))


def erc20_transfer(
    d: Deployment, token: Contract, sender: str, recipient: str, amount: int
) -> TxReceipt:
    """A BEP-20 (WBNB, USDT, BUSD) ``transfer``: Transfer(sender -> recipient, amount)."""
    return transact(d.w3, token.functions.transfer(recipient, amount), _tx(sender))


def approve_erc20(
    d: Deployment, token: Contract, owner: str, spender: str, amount: int = MAX_UINT256
) -> TxReceipt:
    """``owner`` lets ``spender`` pull ``amount`` of ``token`` (BEP-20 Approval)."""
    return transact(d.w3, token.functions.approve(spender, amount), _tx(owner))


def mint_stablecoin(d: Deployment, token: Contract, to: str, amount: int) -> TxReceipt:
    """The deployer mints test USDT/BUSD to ``to``: Transfer(0 -> to, amount)."""
    return transact(d.w3, token.functions.mint(to, amount), _tx(d.accounts.deployer))


# ----------------------------------------------------------------------------- ERC-1155


def mint_1155(d: Deployment, to: str, token_id: int, amount: int) -> TxReceipt:
    """The initiative mints ``amount`` units of ERC-1155 ``token_id``: TransferSingle(0 -> to)."""
    call = d.collection1155.functions.mint(to, token_id, amount)
    return transact(d.w3, call, _tx(d.accounts.initiative))


def transfer_1155(
    d: Deployment, sender: str, recipient: str, token_id: int, amount: int
) -> TxReceipt:
    """``safeTransferFrom``: TransferSingle(operator = from = sender)."""
    call = d.collection1155.functions.safeTransferFrom(sender, recipient, token_id, amount, b"")
    return transact(d.w3, call, _tx(sender))


def transfer_1155_batch(
    d: Deployment,
    sender: str,
    recipient: str,
    token_ids: Sequence[int],
    amounts: Sequence[int],
) -> TxReceipt:
    """``safeBatchTransferFrom``: one TransferBatch log for all the ids."""
    call = d.collection1155.functions.safeBatchTransferFrom(
        sender, recipient, list(token_ids), list(amounts), b""
    )
    return transact(d.w3, call, _tx(sender))


# ------------------------------------------------------------------------ Element fills
#
# The emitter moves the NFT with safeTransferFrom (the holder must have approved the emitter,
# see approve_all) and the payment for real: native BNB from msg.value, an ERC-20 pulled with
# transferFrom (the payer must have approved the emitter, see approve_erc20). Each fill emits
# its event last, after the transfers.


def _price_tx(sender: str, payment_token: str, amount: int) -> TxParams:
    is_native = payment_token.lower() == NATIVE_TOKEN.lower()
    return _tx(sender, amount if is_native else 0)


def element_sell_721(
    d: Deployment,
    seller: str,
    buyer: str,
    token_id: int,
    *,
    payment_token: str = NATIVE_TOKEN,
    amount: int,
    fees: Sequence[Fee] = (),
    order_hash: bytes = b"\x11" * 32,
    nonce: int = 0,
) -> TxReceipt:
    """The buyer fills the seller's ERC-721 sell order: ERC721SellOrderFilled (maker = seller).

    ``amount`` includes the fees; native BNB (the default) is sent as the value.
    """
    call = d.element.functions.fillERC721SellOrder(
        seller,
        d.collection721.address,
        token_id,
        payment_token,
        amount,
        list(fees),
        order_hash,
        nonce,
    )
    return transact(d.w3, call, _price_tx(buyer, payment_token, amount))


def element_buy_721(
    d: Deployment,
    buyer: str,
    seller: str,
    token_id: int,
    *,
    payment_token: str,
    amount: int,
    fees: Sequence[Fee] = (),
    order_hash: bytes = b"\x12" * 32,
    nonce: int = 0,
) -> TxReceipt:
    """The seller fills the buyer's ERC-721 buy order, paid in an ERC-20: ERC721BuyOrderFilled."""
    call = d.element.functions.fillERC721BuyOrder(
        buyer,
        d.collection721.address,
        token_id,
        payment_token,
        amount,
        list(fees),
        order_hash,
        nonce,
    )
    return transact(d.w3, call, _tx(seller))


def _fill_1155(
    d: Deployment,
    maker: str,
    token_id: int,
    quantity: int,
    payment_token: str,
    amount: int,
    order_hash: bytes,
    nonce: int,
) -> tuple[Any, ...]:
    return (
        maker,
        d.collection1155.address,
        token_id,
        quantity,
        payment_token,
        amount,
        order_hash,
        nonce,
    )


def element_sell_1155(
    d: Deployment,
    seller: str,
    buyer: str,
    token_id: int,
    quantity: int,
    *,
    payment_token: str = NATIVE_TOKEN,
    amount: int,
    fees: Sequence[Fee] = (),
    order_hash: bytes = b"\x13" * 32,
    nonce: int = 0,
) -> TxReceipt:
    """The buyer takes ``quantity`` units of the seller's ERC-1155 sell order."""
    fill = _fill_1155(d, seller, token_id, quantity, payment_token, amount, order_hash, nonce)
    call = d.element.functions.fillERC1155SellOrder(fill, list(fees))
    return transact(d.w3, call, _price_tx(buyer, payment_token, amount))


def element_buy_1155(
    d: Deployment,
    buyer: str,
    seller: str,
    token_id: int,
    quantity: int,
    *,
    payment_token: str,
    amount: int,
    fees: Sequence[Fee] = (),
    order_hash: bytes = b"\x14" * 32,
    nonce: int = 0,
) -> TxReceipt:
    """The seller fills ``quantity`` units of the buyer's ERC-1155 buy order, paid in an ERC-20."""
    fill = _fill_1155(d, buyer, token_id, quantity, payment_token, amount, order_hash, nonce)
    call = d.element.functions.fillERC1155BuyOrder(fill, list(fees))
    return transact(d.w3, call, _tx(seller))


# ------------------------------------------------------------------------ bulk for benchmarks

# Gas limits per transaction in bulk blocks: above the measured use (mint ~ 70k, list ~ 190k,
# buy ~ 170k), and small enough that anvil packs many per block.
_BULK_GAS = {"mint": 120_000, "ask": 300_000, "buy": 300_000}
_SEND_CHUNK = 500  # eth_sendTransaction calls per JSON-RPC batch request


@dataclass(frozen=True)
class BulkSales:
    """What :func:`build_many_sales` created (no receipts: fetch logs by block range)."""

    token_ids: range
    seller: str
    buyers: tuple[str, ...]
    price: int
    first_block: int
    last_block: int
    transactions: int
    seconds: float

    @property
    def sales(self) -> int:
        return len(self.token_ids)


def _endpoint(d: Deployment) -> str:
    uri = getattr(d.w3.provider, "endpoint_uri", None)
    if not uri:
        raise RuntimeError("build_many_sales needs an HTTP provider")
    return str(uri)


def _rpc_batch(url: str, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
    """One HTTP request carrying many JSON-RPC calls; results in call order; raise on any error."""
    body = json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    ).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        replies = json.loads(response.read())
    by_id = {reply["id"]: reply for reply in replies}
    errors = [by_id[i]["error"] for i in range(len(calls)) if "error" in by_id[i]]
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(calls)} calls failed, first: {errors[0]}")
    return [by_id[i]["result"] for i in range(len(calls))]


def _selector(signature: str) -> str:
    """The 4-byte function selector: the first bytes of the same keccak as an event's topic0."""
    return topic0_of(signature)[:10]


_MINT = _selector("mint(address,uint256)")
_ASK = _selector("createAskOrder(address,uint256,uint256)")
_BUY_BNB = _selector("buyTokenUsingBNB(address,uint256)")
_BUY_WBNB = _selector("buyTokenUsingWBNB(address,uint256,uint256)")


def _calldata(selector: str, *args: int | str) -> str:
    """Calldata of a function whose parameters are all static words (address, uint256).

    Encoded by hand: web3's ABI encoder costs about a millisecond a call, which was more than
    half the time of building 20,000 sales.
    """
    words = [
        int(arg, 16).to_bytes(32, "big") if isinstance(arg, str) else arg.to_bytes(32, "big")
        for arg in args
    ]
    return selector + b"".join(words).hex()


class _BulkSender:
    """Send prepared transactions in JSON-RPC batches, with nonces counted here.

    anvil may run the calls of one batch request concurrently, so nonces are set explicitly
    (a sender's transactions then execute in nonce order whatever order they arrive in), and
    transactions that must follow others go in a later request (see :meth:`send_and_mine`).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.nonces: dict[str, int] = {}
        self.sent = 0

    def tx(
        self, to: str, data: str, sender: str, gas: int, value: int = 0
    ) -> dict[str, Any]:
        if sender not in self.nonces:
            count = _rpc_batch(self.url, [("eth_getTransactionCount", [sender, "pending"])])[0]
            self.nonces[sender] = int(count, 16)
        tx = {
            "from": sender,
            "to": to,
            "data": data,
            "gas": hex(gas),
            "nonce": hex(self.nonces[sender]),
        }
        self.nonces[sender] += 1
        if value:
            tx["value"] = hex(value)
        return tx

    def send_and_mine(self, *groups: Sequence[dict[str, Any]]) -> None:
        """Send each group after the previous one was accepted, then mine until none is left."""
        for group in groups:
            for start in range(0, len(group), _SEND_CHUNK):
                chunk = group[start : start + _SEND_CHUNK]
                _rpc_batch(self.url, [("eth_sendTransaction", [tx]) for tx in chunk])
            self.sent += len(group)
        for _ in range(sum(len(g) for g in groups) + 1):
            status = _rpc_batch(self.url, [("txpool_status", [])])[0]
            if int(status["pending"], 16) == 0 and int(status["queued"], 16) == 0:
                return
            _rpc_batch(self.url, [("evm_mine", [])])
        raise RuntimeError("transactions were never mined")


def build_many_sales(
    d: Deployment,
    n_sales: int,
    *,
    per_block: int = 250,
    first_token_id: int = 1_000_000,
    price: int = 10**16,
    buyers: Sequence[str] | None = None,
) -> BulkSales:
    """Create ``n_sales`` primary sales on the market, ``per_block`` sales a block.

    The initiative mints every token to itself, lists and sells it; buyers take turns, the
    first paying native BNB and the second WBNB (wrapped and approved once up front). Every
    block holds ``per_block`` createAskOrder then ``per_block`` buys (list-then-buy in one
    block keeps the block count low). If a block's gas limit cannot hold that many, the node's
    block gas limit is raised (``evm_setBlockGasLimit``; a snapshot revert does not undo it).
    Raises RuntimeError unless exactly ``n_sales`` Trade logs result.
    """
    if n_sales <= 0 or per_block <= 0:
        raise ValueError("n_sales and per_block must be positive")
    started = time.perf_counter()
    url = _endpoint(d)
    acc, nft, market, wbnb = d.accounts, d.collection721, d.market, d.wbnb
    seller = acc.initiative
    buyers = tuple(buyers or (acc.buyer, acc.seller))
    token_ids = range(first_token_id, first_token_id + n_sales)

    # The block must hold a whole chunk of list + buy transactions (anvil fits by gas limit).
    needed = per_block * (_BULK_GAS["ask"] + _BULK_GAS["buy"]) + DEFAULT_BATCH_GAS
    limit = int(d.w3.eth.get_block("latest")["gasLimit"])
    if needed > limit:
        _rpc_batch(url, [("evm_setBlockGasLimit", [hex(needed)])])

    first_block = d.w3.eth.block_number + 1
    with one_block(d.w3) as setup:
        setup.transact(nft.functions.setApprovalForAll(market.address, True), {"from": seller})
        per_buyer = -(-n_sales // len(buyers)) * price
        for buyer in buyers[1::2]:  # every second buyer pays in WBNB
            setup.send({"from": buyer, "to": wbnb.address, "value": per_buyer})
            setup.transact(wbnb.functions.approve(market.address, MAX_UINT256), {"from": buyer})

    bulk = _BulkSender(url)
    _rpc_batch(url, [("evm_setAutomine", [False])])
    try:
        mints_per_block = 4 * per_block  # a mint costs about a third of a list + buy
        for start in range(0, n_sales, mints_per_block):
            chunk = token_ids[start : start + mints_per_block]
            bulk.send_and_mine(
                [
                    bulk.tx(nft.address, _calldata(_MINT, seller, t), seller, _BULK_GAS["mint"])
                    for t in chunk
                ]
            )
        for start in range(0, n_sales, per_block):
            chunk = token_ids[start : start + per_block]
            asks = [
                bulk.tx(
                    market.address, _calldata(_ASK, nft.address, t, price), seller, _BULK_GAS["ask"]
                )
                for t in chunk
            ]
            buys = []
            for i, token_id in enumerate(chunk, start):
                buyer = buyers[i % len(buyers)]
                if i % len(buyers) % 2 == 0:
                    data = _calldata(_BUY_BNB, nft.address, token_id)
                    buys.append(bulk.tx(market.address, data, buyer, _BULK_GAS["buy"], price))
                else:
                    data = _calldata(_BUY_WBNB, nft.address, token_id, price)
                    buys.append(bulk.tx(market.address, data, buyer, _BULK_GAS["buy"]))
            bulk.send_and_mine(asks, buys)  # the buys arrive after their asks
    except BaseException:
        _rpc_batch(url, [("anvil_dropAllTransactions", [])])
        raise
    finally:
        _rpc_batch(url, [("evm_setAutomine", [True])])

    last_block = d.w3.eth.block_number
    trade_topic = topic0_of("Trade(address,uint256,address,address,uint256,uint256,bool)")
    logs = _rpc_batch(
        url,
        [
            (
                "eth_getLogs",
                [
                    {
                        "fromBlock": hex(first_block),
                        "toBlock": hex(last_block),
                        "address": market.address,
                        "topics": [trade_topic],
                    }
                ],
            )
        ],
    )[0]
    if len(logs) != n_sales:
        raise RuntimeError(f"{len(logs)} Trade logs for {n_sales} sales (some reverted)")
    return BulkSales(
        token_ids=token_ids,
        seller=seller,
        buyers=buyers,
        price=price,
        first_block=first_block,
        last_block=last_block,
        transactions=len(setup.tx_hashes) + bulk.sent,
        seconds=time.perf_counter() - started,
    )

