"""Start and stop a real anvil (npm ``@foundry-rs/anvil``) for tests.

    with Anvil() as node:
        w3 = node.web3()

The node runs BSC's chain id 56 with ``--slots-in-an-epoch 1``, so its ``finalized`` block is
head - 2 like BSC's fast finality, and ``--order fifo``, so transactions sent while automine is
off are mined in the order they were sent. Each node listens on a free port of 127.0.0.1;
one per pytest-xdist worker is fine.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

ROOT = Path(__file__).resolve().parents[1]
ANVIL_BIN = ROOT / "node_modules" / ".bin" / "anvil"
CHAIN_ID = 56
SLOTS_IN_AN_EPOCH = 1
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_START_ATTEMPTS = 3


class AnvilError(RuntimeError):
    """anvil could not be started or did not answer."""


def anvil_problem(binary: Path = ANVIL_BIN) -> str | None:
    """Why anvil cannot be started here, or None."""
    if not binary.exists():
        return f"{binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary} is missing"
    return None


def resolve_binary(wrapper: Path = ANVIL_BIN) -> Path:
    """The anvil executable behind the npm wrapper ``node_modules/.bin/anvil``.

    The wrapper is a node script that spawns the platform package's binary, forwards SIGTERM
    and exits at once without waiting for anvil, so a caller could neither wait for a clean
    shutdown nor reap the process. Running the same binary directly (the path the wrapper
    itself picks) avoids that; the wrapper is the fallback when the layout is unknown.
    """
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        os.uname().machine.lower(), ""
    )
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform, "")
    if arch and system:
        direct = wrapper.parents[1] / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
        if direct.is_file() and os.access(direct, os.X_OK):
            return direct
    return wrapper


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM the child if the test process dies without stopping it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            pr_set_pdeathsig = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 10.0) -> Any:
    """One raw JSON-RPC call; returns ``result`` or raises AnvilError with the error body."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise AnvilError(f"{method} failed: {reply['error']}")
    return reply["result"]


class Anvil:
    """A running anvil process; a context manager that starts it on enter and stops it on exit."""

    def __init__(
        self,
        *,
        chain_id: int = CHAIN_ID,
        slots_in_an_epoch: int = SLOTS_IN_AN_EPOCH,
        extra_args: tuple[str, ...] = (),
        binary: Path = ANVIL_BIN,
    ) -> None:
        self.chain_id = chain_id
        self.slots_in_an_epoch = slots_in_an_epoch
        self.extra_args = extra_args
        self.binary = binary
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self.port is None:
            raise AnvilError("anvil is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Anvil:
        problem = anvil_problem(self.binary)
        if problem is not None:
            raise AnvilError(f"{problem}; run `npm ci` in {ROOT}")
        last_error = ""
        for _ in range(_START_ATTEMPTS):  # a free port can be taken before anvil binds it
            try:
                self._start_once(free_port())
                return self
            except AnvilError as exc:
                last_error = str(exc)
                self.stop()
        raise AnvilError(last_error)

    def _start_once(self, port: int) -> None:
        self.port = port
        self._log = tempfile.TemporaryFile(prefix="anvil-")
        args = [
            str(resolve_binary(self.binary)),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(self.chain_id),
            "--slots-in-an-epoch",
            str(self.slots_in_an_epoch),
            "--order",
            "fifo",
            *self.extra_args,
        ]
        # A new session gives anvil its own process group, which stop() signals as a whole
        # (needed when the npm wrapper is used) without touching anything it did not start.
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        listening = f"Listening on 127.0.0.1:{port}".encode()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AnvilError(f"anvil exited with {self.process.returncode}: {self.log_text()}")
            # Only our own anvil prints this line for this port, so we never talk to another
            # worker's node that happened to take the same port.
            if listening in self._read_log():
                try:
                    chain_id = int(rpc(self.url, "eth_chainId", timeout=2.0), 16)
                except (OSError, urllib.error.URLError, AnvilError):
                    time.sleep(0.05)
                    continue
                if chain_id != self.chain_id:
                    raise AnvilError(f"anvil answered chain id {chain_id}, not {self.chain_id}")
                return
            time.sleep(0.05)
        raise AnvilError(f"anvil did not answer within {STARTUP_TIMEOUT_S} s: {self.log_text()}")

    def _read_log(self) -> bytes:
        if self._log is None:
            return b""
        self._log.flush()
        self._log.seek(0)
        data: bytes = self._log.read()
        return data

    def log_text(self, limit: int = 4000) -> str:
        return self._read_log()[-limit:].decode(errors="replace")

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers, and wait for it."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
        if process is not None:
            # Only matters for the npm wrapper, which exits before the anvil it started.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.port = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        return rpc(self.url, method, params)

    def web3(self, timeout: float = 30.0) -> Web3:
        """A web3.py client for this node, with the POA middleware BSC needs at layer 0."""
        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": timeout}))
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return w3
