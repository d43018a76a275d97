"""Compile `contracts/` with the pinned npm solc (through `scripts/solc-shim.js`) into `ledger/chain/artifacts/`.

py-solc-x drives the compiler; it never downloads one. Artifacts are committed so that using the ledger needs no
node; `tests/contracts/test_artifacts.py` proves they reproduce byte for byte. An installed package (a wheel) ships
the artifacts but not `contracts/`: compiling needs the source checkout, deploying does not.

`node_modules()` is the one place that says where the npm tools are (anvil, and the assets of `/docs`):
`$LEDGER_NODE_TOOLS` when set, else the checkout's `node_modules` (what `npm ci` makes).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

from ledger.domain.errors import ToolchainError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
SHIM = PROJECT_ROOT / "scripts" / "solc-shim.js"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEPLOYABLE = ("ProvenanceLedger", "ProvenanceForwarder")
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 20_000
#: Where an installed package (whose folder has no `node_modules` beside it) finds the npm tools.
NODE_TOOLS_ENV = "LEDGER_NODE_TOOLS"
NODE_TOOLS_HINT = (
    f"run `npm ci` in the project folder (scripts/setup does it), or set {NODE_TOOLS_ENV} to the "
    "`node_modules` folder it made"
)


def node_modules() -> Path:
    """The npm tools' folder: `$LEDGER_NODE_TOOLS` when set, else the source checkout's `node_modules`.

    Not checked here: each user says what it misses (anvil, the docs' assets), with `NODE_TOOLS_HINT`.
    """
    configured = os.environ.get(NODE_TOOLS_ENV, "").strip()
    return Path(configured).expanduser() if configured else PROJECT_ROOT / "node_modules"


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one deployable contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler: str

    def to_json(self) -> str:
        body = {
            "contractName": self.name,
            "compiler": self.compiler,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
        }
        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def standard_input() -> dict[str, Any]:
    sources = {
        f"contracts/{path.relative_to(CONTRACTS_DIR).as_posix()}": {"content": path.read_text()}
        for path in sorted(CONTRACTS_DIR.rglob("*.sol"))
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "viaIR": True,
            "evmVersion": EVM_VERSION,
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }


def compile_contracts() -> dict[str, Artifact]:
    """Compile every contract and return the deployable ones' artifacts."""
    if not CONTRACTS_DIR.is_dir() or not SHIM.is_file():
        raise ToolchainError(
            f"compiling needs the project's source checkout ({CONTRACTS_DIR.name}/ and "
            f"scripts/{SHIM.name} beside the package, not found under {PROJECT_ROOT}): an installed "
            "package ships the compiled artifacts instead"
        )
    if not (PROJECT_ROOT / "node_modules" / "solc").is_dir():
        raise ToolchainError("node_modules/solc is missing: run `npm ci` (scripts/setup does it)")
    output = solcx.compile_standard(standard_input(), solc_binary=str(SHIM), allow_empty=False)
    problems = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if problems:
        raise ToolchainError("\n".join(e.get("formattedMessage", e["message"]) for e in problems))
    compiler = compiler_version()
    artifacts: dict[str, Artifact] = {}
    for source, contracts in output["contracts"].items():
        for name, body in contracts.items():
            if name in DEPLOYABLE and source == f"contracts/{name}.sol":
                artifacts[name] = Artifact(
                    name=name,
                    abi=body["abi"],
                    bytecode="0x" + body["evm"]["bytecode"]["object"],
                    deployed_bytecode="0x" + body["evm"]["deployedBytecode"]["object"],
                    compiler=compiler,
                )
    return artifacts


def compiler_version() -> str:
    """The pinned compiler's full version, as the shim reports it."""
    out = subprocess.run([str(SHIM), "--version"], capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1].removeprefix("Version: ")


def write_artifacts(artifacts: dict[str, Artifact], directory: Path = ARTIFACTS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for artifact in artifacts.values():
        path = directory / f"{artifact.name}.json"
        path.write_text(artifact.to_json())
        written.append(path)
    return written


def load_artifact(name: str) -> Artifact:
    body = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    return Artifact(
        name=body["contractName"],
        abi=body["abi"],
        bytecode=body["bytecode"],
        deployed_bytecode=body["deployedBytecode"],
        compiler=body["compiler"],
    )
