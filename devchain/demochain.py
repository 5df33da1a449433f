"""The demo chain: a long-lived anvil in the background that keeps its state between runs.

    python -m devchain.demochain start  [--state-dir instance/demo-chain] [--port 8545] [--reset]
    python -m devchain.demochain stop   [--state-dir instance/demo-chain]
    python -m devchain.demochain status [--state-dir instance/demo-chain] [--port 8545]

``start`` runs anvil detached (chain id 56, ``--slots-in-an-epoch 1`` so ``finalized`` is
head - 2) with ``--state <dir>/state.json``: anvil reloads that file on start, dumps it on
SIGINT and every ``--state-interval`` seconds, so even a killed node leaves a recent state.
On a new state directory it deploys the test contracts (their addresses are the ones in
``ledger/demo/behind-the-door.toml``), plays the demo story (:func:`play_story`), mines until
every story transaction is finalized and records the story in ``<dir>/story.json``. With an
existing state it only reloads the chain: same blocks, same hashes, no story again.

A state directory that holds something but no readable state file (a node killed before its
first dump, a truncated file) is not replaced silently: ``start`` explains and needs
``--reset``, after which the ledger database must be rebuilt too (``make clean-demo``).

Files in the state directory: ``state.json`` (anvil's), ``story.json`` (what the story did),
``anvil.pid``, ``anvil.log``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxReceipt

from devchain import scenarios
from devchain.anvil import (
    ANVIL_BIN,
    CHAIN_ID,
    ROOT,
    SLOTS_IN_AN_EPOCH,
    AnvilError,
    anvil_problem,
    resolve_binary,
    rpc,
)
from devchain.deploy import Deployment, deploy_all, one_block
from ledger.catalogue import parse_catalogue
from ledger.demo.load import read_demo_catalogue_text

DEFAULT_STATE_DIR = Path("instance") / "demo-chain"
DEFAULT_PORT = 8545
STATE_INTERVAL_S = 5
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
#: Blocks mined after the story so that its last transaction is at or below ``finalized``.
SETTLING_BLOCKS = 3

STATE_FILE = "state.json"
STORY_FILE = "story.json"
PID_FILE = "anvil.pid"
LOG_FILE = "anvil.log"
STORY_FORMAT = 1

CLEAN_HINT = (
    "the ledger database was built from the old chain and must be rebuilt too "
    "(`make clean-demo` removes the demo database and the demo chain's state)"
)

BNB = 10**18

# anvil processes this Python process started, so that stop() can reap them (tests start and
# stop in one process; the CLI's `start` exits and leaves its node to init).
_children: dict[int, subprocess.Popen[bytes]] = {}


class DemoChainError(RuntimeError):
    """The demo chain cannot be started, stopped or read as asked; the message says why."""


# ---------------------------------------------------------------------------------- files


@dataclass(frozen=True)
class StateDir:
    """Where one demo chain keeps its files."""

    path: Path

    @property
    def state(self) -> Path:
        return self.path / STATE_FILE

    @property
    def story(self) -> Path:
        return self.path / STORY_FILE

    @property
    def pid(self) -> Path:
        return self.path / PID_FILE

    @property
    def log(self) -> Path:
        return self.path / LOG_FILE


@dataclass(frozen=True)
class SavedState:
    """What ``start`` needs from an anvil state file."""

    head: int
    genesis_timestamp: int


def read_state(path: Path) -> SavedState:
    """The head and genesis time recorded in an anvil state file; DemoChainError if unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        head = data["best_block_number"]
        headers = [block["header"] for block in data["blocks"]]
        (genesis,) = [h for h in headers if int(h["number"], 16) == 0]
        genesis_timestamp = int(genesis["timestamp"], 16)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DemoChainError(f"{path} is not a readable anvil state file ({exc!r})") from exc
    if not isinstance(head, int):
        raise DemoChainError(f"{path} is not a readable anvil state file (head {head!r})")
    return SavedState(head, genesis_timestamp)


def read_story(state_dir: Path) -> dict[str, Any]:
    """The story record written by a fresh ``start``; DemoChainError if missing or unreadable."""
    path = StateDir(state_dir).story
    try:
        story: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoChainError(f"{path} is missing or unreadable ({exc})") from exc
    return story


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# ------------------------------------------------------------------------------ processes


def _is_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, or a child of ours that exited, counts as gone)."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        # "pid (comm) S ...": the state letter follows the closing parenthesis.
        if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _runs_this_state(pid: int, dirs: StateDir) -> bool:
    """Whether ``pid`` is an anvil serving this state file (guards against reused pids)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return sys.platform != "linux"  # no /proc to ask: trust the pid file
    return any(a.endswith(b"anvil") for a in args[:1]) and str(dirs.state).encode() in args


def _read_pid(dirs: StateDir) -> int | None:
    try:
        return int(dirs.pid.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running_pid(dirs: StateDir) -> int | None:
    """The pid of this state directory's anvil if it runs; removes a stale pid file."""
    pid = _read_pid(dirs)
    if pid is None:
        if dirs.pid.exists():
            dirs.pid.unlink()
        return None
    if _is_alive(pid) and _runs_this_state(pid, dirs):
        return pid
    dirs.pid.unlink(missing_ok=True)
    return None


def _answers(url: str) -> int | None:
    """The chain id of the node answering at ``url``, or None."""
    try:
        return int(rpc(url, "eth_chainId", timeout=2.0), 16)
    except (OSError, urllib.error.URLError, AnvilError, ValueError):
        return None


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _web3(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def _launch(dirs: StateDir, port: int, state_interval: int, genesis_timestamp: int) -> int:
    """Start anvil detached on ``port`` with ``dirs.state``; return its pid once it answers.

    anvil rebuilds the genesis block when it loads a state, stamped with the current time
    unless ``--timestamp`` says otherwise; block 1's parent hash would then no longer be the
    genesis hash. So every start of one chain passes the same genesis time.
    """
    problem = anvil_problem(ANVIL_BIN)
    if problem is not None:
        raise DemoChainError(f"{problem}; run `npm ci` in {ROOT}")
    args = [
        str(resolve_binary(ANVIL_BIN)),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(CHAIN_ID),
        "--slots-in-an-epoch",
        str(SLOTS_IN_AN_EPOCH),
        "--order",
        "fifo",
        "--state",
        str(dirs.state),
        "--state-interval",
        str(state_interval),
        # Keep the state of past blocks in the dump too, so that calls at a past block
        # (a balance at the finalized block) still answer after a restart.
        "--preserve-historical-states",
        "--timestamp",
        str(genesis_timestamp),
    ]
    with open(dirs.log, "ab") as log:
        offset = log.tell()
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(args)}\n".encode())
        log.flush()
        # Its own session: a Ctrl-C in the shell that ran `start` does not reach the node.
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    _children[process.pid] = process
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            del _children[process.pid]
            raise DemoChainError(
                f"anvil exited with {process.returncode}:\n{_log_since(dirs, offset)}"
            )
        if _answers(_url(port)) == CHAIN_ID:
            dirs.pid.write_text(f"{process.pid}\n", encoding="utf-8")
            return process.pid
        time.sleep(0.05)
    _signal_and_wait(process.pid, signal.SIGKILL, 5.0)
    raise DemoChainError(
        f"anvil did not answer within {STARTUP_TIMEOUT_S} s:\n{_log_since(dirs, offset)}"
    )


def _log_since(dirs: StateDir, offset: int, limit: int = 3000) -> str:
    with contextlib.suppress(OSError), open(dirs.log, "rb") as log:
        log.seek(offset)
        return log.read()[-limit:].decode(errors="replace")
    return ""


def _signal_and_wait(pid: int, sig: signal.Signals, timeout: float) -> bool:
    """Send ``sig`` to ``pid`` and wait until it is gone; False if it outlived ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_alive(pid):
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------------------ the story


@dataclass(frozen=True)
class StoryStep:
    """One transaction of the demo story."""

    label: str
    tx_hash: str
    block_number: int
    block_hash: str


def play_story(d: Deployment) -> list[StoryStep]:
    """Play the demo's sales, royalties and disbursements on a fresh deployment.

    The initiative (account 2) mints and lists editions of the demo collection; two collectors
    (accounts 4 and 8) buy some with BNB and some with WBNB; one ask is repriced and one
    withdrawn; a collector resells an edition (the creator fee accrues to the initiative), the
    initiative claims its fees and moves its WBNB to the treasury (account 7); edition 202,
    withdrawn from PancakeSwap, sells on Element for test USDT, which also goes to the treasury;
    the treasury pays the beneficiaries (accounts 5 and 6, 60/40 as the demo's split rule) in
    WBNB, USDT and native BNB. Returns the story's transactions in order.
    """
    acc = d.accounts
    initiative = acc.initiative
    crisis_centre, legal_aid, treasury = acc.other[0], acc.other[1], acc.other[2]
    collector_a, collector_b = acc.buyer, acc.other[3]
    steps: list[StoryStep] = []

    def record(label: str, *receipts: TxReceipt) -> None:
        for receipt in receipts:
            steps.append(
                StoryStep(
                    label,
                    receipt["transactionHash"].to_0x_hex(),
                    receipt["blockNumber"],
                    receipt["blockHash"].to_0x_hex(),
                )
            )

    prices = {
        101: BNB // 2,
        102: BNB // 2,
        103: 6 * BNB // 10,
        201: 8 * BNB // 10,
        202: 8 * BNB // 10,
        301: 12 * BNB // 10,
        401: 3 * BNB // 4,
        501: 2 * BNB,
    }
    nft, market = d.collection721, d.market

    # Mint day: the editions in one block, then the listings in the next.
    with one_block(d.w3) as minting:
        for token_id in prices:
            minting.transact(nft.functions.mint(initiative, token_id), {"from": initiative})
    record("mint editions", *minting.receipts)
    record("approve market", scenarios.approve_all(d, nft, initiative, market.address))
    with one_block(d.w3) as listing:
        for token_id, price in prices.items():
            call = market.functions.createAskOrder(nft.address, token_id, price)
            listing.transact(call, {"from": initiative})
    record("list editions", *listing.receipts)

    # Primary sales; the seller is paid in WBNB in each sale.
    record("sale 101 (BNB)", scenarios.buy_with_bnb(d, 101, collector_a, prices[101]))
    record("sale 102 (WBNB)", *scenarios.buy_with_wbnb(d, 102, collector_b, prices[102]))
    record("sale 201 (BNB)", scenarios.buy_with_bnb(d, 201, collector_b, prices[201]))
    record("reprice 501", scenarios.update_ask(d, 501, initiative, 3 * BNB // 2))
    record("sale 301 (WBNB)", *scenarios.buy_with_wbnb(d, 301, collector_a, prices[301]))
    record("withdraw 202", scenarios.cancel_ask(d, 202, initiative))
    record("sale 401 (BNB)", scenarios.buy_with_bnb(d, 401, collector_a, prices[401]))
    record("to treasury", scenarios.erc20_transfer(d, d.wbnb, initiative, treasury, 2 * BNB))

    # A resale: the initiative's creator fee accrues in the market until it claims.
    record("resale 101", *scenarios.resale(d, 101, collector_a, collector_b, BNB))
    record("claim creator fees", scenarios.claim_revenue(d, initiative))
    rest = int(d.wbnb.functions.balanceOf(initiative).call())
    record("to treasury", scenarios.erc20_transfer(d, d.wbnb, initiative, treasury, rest))

    # Edition 202, withdrawn from PancakeSwap, sells on Element for 3,000 USDT (collector B
    # pays in the stablecoin); the initiative moves the USDT to the treasury.
    usdt = 3_000 * 10**18
    record("USDT to collector", scenarios.mint_stablecoin(d, d.usdt, collector_b, usdt))
    record(
        "approve USDT",
        scenarios.approve_erc20(d, d.usdt, collector_b, d.element.address, usdt),
    )
    record("approve Element", scenarios.approve_all(d, nft, initiative, d.element.address))
    record(
        "sale 202 on Element (USDT)",
        scenarios.element_sell_721(
            d, initiative, collector_b, 202, payment_token=d.usdt.address, amount=usdt
        ),
    )
    record("USDT to treasury", scenarios.erc20_transfer(d, d.usdt, initiative, treasury, usdt))

    # The treasury pays out what was routed: WBNB and USDT 60/40, and some native BNB.
    wbnb = int(d.wbnb.functions.balanceOf(treasury).call())
    wbnb_crisis = wbnb * 6_000 // 10_000
    record(
        "WBNB payout",
        scenarios.erc20_transfer(d, d.wbnb, treasury, crisis_centre, wbnb_crisis),
    )
    record(
        "WBNB payout",
        scenarios.erc20_transfer(d, d.wbnb, treasury, legal_aid, wbnb - wbnb_crisis),
    )
    usdt_crisis = usdt * 6_000 // 10_000
    record("USDT payout", scenarios.erc20_transfer(d, d.usdt, treasury, crisis_centre, usdt_crisis))
    record(
        "USDT payout",
        scenarios.erc20_transfer(d, d.usdt, treasury, legal_aid, usdt - usdt_crisis),
    )
    record("BNB payout", scenarios.send_bnb(d, treasury, crisis_centre, BNB // 10))
    return steps


def _check_demo_addresses(d: Deployment) -> None:
    """The deployment's addresses must be the demo catalogue's (ledger's demo data names them)."""
    catalogue = parse_catalogue(read_demo_catalogue_text())
    expected = {a.code: (a.contract or "").lower() for a in catalogue.assets if a.contract}
    expected.update({c.key: c.contract.lower() for c in catalogue.collections})
    actual = {
        "WBNB": d.wbnb.address.lower(),
        "USDT": d.usdt.address.lower(),
        **{c.key: d.collection721.address.lower() for c in catalogue.collections},
    }
    wrong = {k: (expected.get(k), v) for k, v in actual.items() if expected.get(k) != v}
    if wrong:
        raise DemoChainError(
            f"the fresh deployment's addresses differ from the demo catalogue's: {wrong}"
        )


def _wait_for_dump(dirs: StateDir, head: int, timeout: float) -> None:
    """Wait until anvil's periodic dump holds block ``head``, so a kill cannot lose the story."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(DemoChainError):
            if read_state(dirs.state).head >= head:
                return
        time.sleep(0.2)
    raise DemoChainError(f"anvil did not write block {head} to {dirs.state} within {timeout} s")


def _set_up(dirs: StateDir, url: str, state_interval: int, say: Callable[[str], None]) -> None:
    """Deploy, play the story, settle it below ``finalized`` and record it."""
    w3 = _web3(url)
    d = deploy_all(w3)
    _check_demo_addresses(d)
    say(f"deployed the demo contracts (WBNB {d.wbnb.address}, market {d.market.address})")
    steps = play_story(d)
    rpc(url, "anvil_mine", [hex(SETTLING_BLOCKS)])
    head = w3.eth.get_block("latest")
    finalized = w3.eth.get_block("finalized")["number"]
    if steps[-1].block_number > finalized:
        raise DemoChainError("the story's last block is not finalized after settling")
    story = {
        "format": STORY_FORMAT,
        "chain_id": CHAIN_ID,
        "addresses": dict(d.addresses),
        "deploy_block": d.deploy_block,
        "genesis_hash": w3.eth.get_block(0)["hash"].to_0x_hex(),
        "head": head["number"],
        "head_hash": head["hash"].to_0x_hex(),
        "steps": [asdict(step) for step in steps],
    }
    _wait_for_dump(dirs, head["number"], timeout=state_interval + 15.0)
    _write_json(dirs.story, story)  # last: its presence marks a finished story
    say(f"played the demo story: {len(steps)} transactions, head {head['number']}")


# ---------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Started:
    url: str
    pid: int | None  # None when a node was already answering on the port
    is_fresh: bool  # deployed and played the story this time


def _check_state(dirs: StateDir) -> bool:
    """Whether the state directory is new; DemoChainError if it holds no usable state."""
    has_state, has_story = dirs.state.exists(), dirs.story.exists()
    if not has_state and not has_story:
        leftovers = sorted(p.name for p in dirs.path.iterdir()) if dirs.path.is_dir() else []
        if not leftovers:
            return True
        # E.g. a node killed before its first dump: a ledger may have read a chain that is gone.
        raise DemoChainError(
            f"{dirs.path} exists ({', '.join(leftovers)}) but has no state file {STATE_FILE}"
        )
    if not has_state:
        raise DemoChainError(f"the state file {dirs.state} is missing")
    read_state(dirs.state)  # raises when corrupt
    if not has_story:
        raise DemoChainError(
            f"{dirs.state} exists but {STORY_FILE} does not: the demo story never finished"
        )
    return False


def _reset(dirs: StateDir, say: Callable[[str], None]) -> None:
    for path in (dirs.state, dirs.story):
        if path.exists():
            path.unlink()
            say(f"removed {path}")


def start(
    state_dir: Path = DEFAULT_STATE_DIR,
    port: int = DEFAULT_PORT,
    *,
    reset: bool = False,
    state_interval: int = STATE_INTERVAL_S,
    say: Callable[[str], None] = print,
) -> Started:
    """Start the demo chain (deploying and playing the story on a new state) unless it runs.

    Raises DemoChainError when the port is taken by another node, when this state directory's
    node already runs on another port, or when the state directory holds no usable state and
    ``reset`` is false.
    """
    dirs = StateDir(Path(state_dir).resolve())
    url = _url(port)
    pid = _running_pid(dirs)
    chain_id = _answers(url)
    if chain_id is not None:
        if reset:
            raise DemoChainError(f"a node answers on port {port}: stop it before --reset")
        if not _is_demo_chain(url, chain_id):
            raise DemoChainError(
                f"port {port} is taken by a node that is not a demo chain (chain id {chain_id}); "
                "stop it or choose another --port"
            )
        whose = f"pid {pid}" if pid is not None else f"not started from {dirs.path}"
        say(f"a demo chain is already running on port {port} ({whose})")
        say(f"RPC URL: {url}")
        return Started(url, None, is_fresh=False)
    if pid is not None:
        raise DemoChainError(
            f"the demo chain of {dirs.path} already runs (pid {pid}) but not on port {port}; "
            "run `stop` first"
        )

    if reset:
        _reset(dirs, say)
        is_fresh = True
    else:
        try:
            is_fresh = _check_state(dirs)
        except DemoChainError as exc:
            raise DemoChainError(
                f"{exc}.\nTo start a new demo chain run `start --reset`; {CLEAN_HINT}."
            ) from exc
    dirs.path.mkdir(parents=True, exist_ok=True)
    genesis_timestamp = int(time.time()) if is_fresh else read_state(dirs.state).genesis_timestamp
    pid = _launch(dirs, port, state_interval, genesis_timestamp)
    try:
        if is_fresh:
            _set_up(dirs, url, state_interval, say)
            if reset:
                say(f"note: {CLEAN_HINT}")
        else:
            _check_reloaded(dirs, url, say)
    except BaseException:
        _stop_pid(pid, dirs, say)
        if is_fresh:
            _reset(dirs, say)  # a half-played story must not be reloaded as the demo
        raise
    say(f"demo chain running (pid {pid}, state {dirs.state}, log {dirs.log})")
    say(f"RPC URL: {url}")
    return Started(url, pid, is_fresh=is_fresh)


def _is_demo_chain(url: str, chain_id: int) -> bool:
    """Whether the node at ``url`` has the demo contracts (the catalogue's WBNB has code)."""
    if chain_id != CHAIN_ID:
        return False
    catalogue = parse_catalogue(read_demo_catalogue_text())
    wbnb = next(a.contract for a in catalogue.assets if a.code == "WBNB")
    try:
        code = rpc(url, "eth_getCode", [wbnb, "latest"], timeout=5.0)
    except (OSError, urllib.error.URLError, AnvilError):
        return False
    return isinstance(code, str) and len(code) > 2


def _check_reloaded(dirs: StateDir, url: str, say: Callable[[str], None]) -> None:
    """The reloaded chain must hold the recorded story's blocks, hash for hash."""
    story = read_story(dirs.path)
    w3 = _web3(url)
    recorded = int(story["head"])
    head = w3.eth.block_number
    if head < recorded:
        raise DemoChainError(f"reloaded head {head} is below the recorded head {recorded}")
    for number, key in ((0, "genesis_hash"), (recorded, "head_hash")):
        block_hash = w3.eth.get_block(number)["hash"].to_0x_hex()
        if block_hash != story.get(key, block_hash):
            raise DemoChainError(
                f"block {number} has hash {block_hash}, the story recorded {story[key]}"
            )
    say(f"reloaded the demo chain from {dirs.state}: head {head} (story not replayed)")


def _stop_pid(pid: int, dirs: StateDir, say: Callable[[str], None]) -> None:
    # SIGINT makes anvil dump its state before it exits.
    if not _signal_and_wait(pid, signal.SIGINT, STOP_TIMEOUT_S):
        say(f"anvil (pid {pid}) ignored SIGINT for {STOP_TIMEOUT_S} s; killing it")
        _signal_and_wait(pid, signal.SIGKILL, 5.0)
        say("state after its last periodic dump is lost")
    dirs.pid.unlink(missing_ok=True)


def stop(state_dir: Path = DEFAULT_STATE_DIR, *, say: Callable[[str], None] = print) -> bool:
    """Stop the demo chain cleanly (SIGINT: anvil saves its state); False if it was not running."""
    dirs = StateDir(Path(state_dir).resolve())
    pid = _running_pid(dirs)
    if pid is None:
        say(f"no demo chain is running from {dirs.path}")
        return False
    _stop_pid(pid, dirs, say)
    say(f"stopped the demo chain (pid {pid}); state saved in {dirs.state}")
    return True


@dataclass(frozen=True)
class Status:
    state_dir: Path
    pid: int | None
    url: str
    is_answering: bool
    head: int | None
    finalized: int | None
    has_state: bool
    has_story: bool

    @property
    def is_running(self) -> bool:
        return self.pid is not None and self.is_answering


def get_status(state_dir: Path = DEFAULT_STATE_DIR, port: int = DEFAULT_PORT) -> Status:
    """What runs from ``state_dir`` and what answers on ``port``."""
    dirs = StateDir(Path(state_dir).resolve())
    url = _url(port)
    pid = _running_pid(dirs)
    head = finalized = None
    is_answering = _answers(url) == CHAIN_ID
    if is_answering:
        with contextlib.suppress(OSError, urllib.error.URLError, AnvilError):
            head = int(rpc(url, "eth_blockNumber"), 16)
            finalized = int(rpc(url, "eth_getBlockByNumber", ["finalized", False])["number"], 16)
    return Status(
        dirs.path,
        pid,
        url,
        is_answering,
        head,
        finalized,
        dirs.state.exists(),
        dirs.story.exists(),
    )


def _print_status(status: Status, say: Callable[[str], None]) -> None:
    dirs = StateDir(status.state_dir)
    say(f"state dir: {status.state_dir}")
    say(f"state file: {'present' if status.has_state else 'missing'} ({dirs.state})")
    say(f"story: {'recorded' if status.has_story else 'not recorded'} ({dirs.story})")
    say(f"process: {f'pid {status.pid}' if status.pid else 'not running'}")
    if status.is_answering:
        say(f"RPC URL: {status.url} (head {status.head}, finalized {status.finalized})")
    else:
        say(f"nothing answers on {status.url}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devchain.demochain", description="Run the demo chain (anvil) for the demo."
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="start: discard an unusable state and start a new chain",
    )
    parser.add_argument(
        "--state-interval",
        type=int,
        default=STATE_INTERVAL_S,
        help="start: seconds between anvil's state dumps",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            start(args.state_dir, args.port, reset=args.reset, state_interval=args.state_interval)
            return 0
        if args.command == "stop":
            stop(args.state_dir)
            return 0
        status = get_status(args.state_dir, args.port)
        _print_status(status, print)
        return 0 if status.is_running else 3
    except DemoChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
