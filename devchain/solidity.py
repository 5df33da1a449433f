"""Compile the test contracts in ``contracts/`` with the npm ``solc`` and cache the result.

The compiler is solcjs from ``node_modules/solc`` (pinned in package-lock.json), driven through
its standard JSON interface by ``devchain/compile.mjs``; OpenZeppelin imports are read from
``node_modules``. The ABI and bytecode of every contract go to
``build/contracts/<key>/<Contract>.json`` where ``<key>`` hashes every input that can change the
output (the sources, the solc and OpenZeppelin versions, the settings, the driver script). A
second call with the same inputs reads those files and does not start ``node``.

Several pytest-xdist workers may ask at once: an exclusive lock on ``build/contracts/.lock``
lets one compile while the others wait and then read its output.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_DIR = ROOT / "contracts"
BUILD_DIR = ROOT / "build" / "contracts"
NODE_MODULES = ROOT / "node_modules"
COMPILE_SCRIPT = Path(__file__).with_name("compile.mjs")

EVM_VERSION = "cancun"
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": EVM_VERSION,
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
    },
}
MANIFEST = "manifest.json"
COMPILE_TIMEOUT_S = 300

# How many times this process started the compiler; tests use it to prove a cache hit.
node_invocations = 0


class CompileError(RuntimeError):
    """solc reported errors, or could not be run."""


@dataclass(frozen=True)
class CompiledContract:
    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, 0x-prefixed
    deployed_bytecode: str

    def events(self) -> list[dict[str, Any]]:
        return [item for item in self.abi if item.get("type") == "event"]


@dataclass(frozen=True)
class Build:
    key: str
    solc_version: str
    path: Path
    from_cache: bool
    contracts: dict[str, CompiledContract] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> CompiledContract:
        return self.contracts[name]


def toolchain_problem() -> str | None:
    """Why the compiler cannot run here, or None when node and the npm packages are present."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    for package in ("solc", "@openzeppelin/contracts"):
        if not (NODE_MODULES / package / "package.json").is_file():
            return f"node_modules/{package} is missing"
    return None


def _package_version(package: str) -> str:
    data = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
    return str(data["version"])


def solc_version() -> str:
    return _package_version("solc")


def _source_files(sources_dir: Path) -> list[Path]:
    files = sorted(sources_dir.glob("*.sol"))
    if not files:
        raise CompileError(f"no Solidity sources in {sources_dir}")
    return files


def cache_key(sources_dir: Path = CONTRACTS_DIR) -> str:
    """Hash of everything that determines the compiler output."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode())
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    add("solc", solc_version().encode())
    add("openzeppelin", _package_version("@openzeppelin/contracts").encode())
    add("settings", json.dumps(SETTINGS, sort_keys=True).encode())
    add("driver", COMPILE_SCRIPT.read_bytes())
    for path in _source_files(sources_dir):
        add(f"source:{path.name}", path.read_bytes())
    return digest.hexdigest()[:24]


def _standard_json_input(sources_dir: Path) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {
            f"contracts/{path.name}": {"content": path.read_text(encoding="utf-8")}
            for path in _source_files(sources_dir)
        },
        "settings": SETTINGS,
    }


def _run_solc(standard_input: dict[str, Any]) -> dict[str, Any]:
    """Run solcjs once through node; returns the standard JSON output."""
    global node_invocations
    node_invocations += 1
    node = shutil.which("node")
    if node is None:
        raise CompileError("node is not on PATH")
    proc = subprocess.run(
        [node, str(COMPILE_SCRIPT), str(ROOT)],
        input=json.dumps(standard_input),
        capture_output=True,
        text=True,
        timeout=COMPILE_TIMEOUT_S,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise CompileError(f"solcjs failed (exit {proc.returncode}): {proc.stderr.strip()}")
    try:
        output: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise CompileError(f"solcjs printed no JSON: {proc.stdout[:500]!r}") from exc
    return output


def _write_json(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


@contextmanager
def _locked(build_dir: Path) -> Iterator[None]:
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load(out_dir: Path, *, from_cache: bool) -> Build | None:
    manifest_path = out_dir / MANIFEST
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    contracts = {}
    for name in manifest["contracts"]:
        data = json.loads((out_dir / f"{name}.json").read_text(encoding="utf-8"))
        contracts[name] = CompiledContract(
            name=data["contractName"],
            source=data["sourceName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
        )
    return Build(
        key=manifest["key"],
        solc_version=manifest["solcVersion"],
        path=out_dir,
        from_cache=from_cache,
        contracts=contracts,
        warnings=tuple(manifest.get("warnings", ())),
    )


def compile_contracts(sources_dir: Path = CONTRACTS_DIR, build_dir: Path = BUILD_DIR) -> Build:
    """Return the build of ``sources_dir``, compiling only when the cache has no entry for it."""
    problem = toolchain_problem()
    if problem is not None:
        raise CompileError(f"{problem}; run `npm ci` in {ROOT}")
    key = cache_key(sources_dir)
    out_dir = build_dir / key
    cached = _load(out_dir, from_cache=True)
    if cached is not None:
        return cached

    with _locked(build_dir):
        cached = _load(out_dir, from_cache=True)  # another worker may have finished meanwhile
        if cached is not None:
            return cached

        output = _run_solc(_standard_json_input(sources_dir))
        diagnostics = output.get("errors", [])
        errors = [d["formattedMessage"] for d in diagnostics if d.get("severity") == "error"]
        if errors:
            raise CompileError("solc errors:\n" + "\n".join(errors))
        warnings = [d["formattedMessage"] for d in diagnostics if d.get("severity") != "error"]

        out_dir.mkdir(parents=True, exist_ok=True)
        names = []
        for source_name, units in sorted(output.get("contracts", {}).items()):
            if not source_name.startswith("contracts/"):
                continue  # OpenZeppelin and other imports
            for name, unit in sorted(units.items()):
                bytecode = unit["evm"]["bytecode"]["object"]
                if not bytecode:
                    continue  # interfaces and abstract contracts
                names.append(name)
                _write_json(
                    out_dir / f"{name}.json",
                    {
                        "contractName": name,
                        "sourceName": source_name,
                        "abi": unit["abi"],
                        "bytecode": "0x" + bytecode,
                        "deployedBytecode": "0x" + unit["evm"]["deployedBytecode"]["object"],
                    },
                )
        # The manifest is written last: its presence marks a complete cache entry.
        _write_json(
            out_dir / MANIFEST,
            {
                "key": key,
                "solcVersion": solc_version(),
                "settings": SETTINGS,
                "contracts": names,
                "warnings": warnings,
            },
        )
    build = _load(out_dir, from_cache=False)
    assert build is not None
    return build
