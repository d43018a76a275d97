"""Deploy the forwarder and the ledger, and keep the deployment manifest."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from web3.exceptions import BlockNotFound

from ledger.chain.codec import checksum
from ledger.chain.compile import load_artifact
from ledger.chain.connection import Chain
from ledger.domain.errors import LedgerError
from ledger.domain.types import Deployment


def deploy(chain: Chain) -> Deployment:
    """Deploy ProvenanceForwarder, then ProvenanceLedger trusting it, with the operator as consortium admin."""
    forwarder_artifact = load_artifact("ProvenanceForwarder")
    ledger_artifact = load_artifact("ProvenanceLedger")
    w3 = chain.w3
    forwarder_tx = w3.eth.contract(abi=forwarder_artifact.abi, bytecode=forwarder_artifact.bytecode).constructor()
    forwarder = chain.send({"data": forwarder_tx.data_in_transaction})
    ledger_tx = w3.eth.contract(abi=ledger_artifact.abi, bytecode=ledger_artifact.bytecode).constructor(
        chain.operator.address, forwarder["contractAddress"]
    )
    ledger = chain.send({"data": ledger_tx.data_in_transaction})
    block = w3.eth.get_block(ledger["blockNumber"])
    return Deployment(
        genesis_hash=genesis_hash(chain),
        chain_id=chain.chain_id,
        ledger=checksum(str(ledger["contractAddress"])),
        forwarder=checksum(str(forwarder["contractAddress"])),
        block_number=int(forwarder["blockNumber"]),
        deployed_at=datetime.fromtimestamp(int(block["timestamp"]), UTC),
        compiler=ledger_artifact.compiler,
    )


def deployment_problem(chain: Chain, deployment: Deployment) -> str | None:
    """Why `chain` does not hold `deployment` (the genesis block changed, or the contract code is gone), or None."""
    if deployment.chain_id != chain.chain_id:
        return f"the node serves chain {chain.chain_id}, not chain {deployment.chain_id} of this deployment"
    if deployment.genesis_hash is not None and genesis_hash(chain) != deployment.genesis_hash:
        return (
            "the node's chain has another genesis block than the one the contracts were deployed on (the chain "
            "was reset or replaced)"
        )
    for name, address in (("ledger", deployment.ledger), ("forwarder", deployment.forwarder)):
        if not chain._guard(lambda a=address: chain.w3.eth.get_code(a)):
            return f"the node's chain holds no contract code at the {name} address {address}"
    return None


def genesis_hash(chain: Chain) -> str:
    """The chain's genesis block, as its block 1 names it (its parent), else block 0's own hash while there is no
    block 1. On a sound node the two are one hash; a node that reloads its state with another block 0 (anvil keeps
    whichever genesis block of its state file it reads last, see `ledger.chain.node`) still names the one its chain was
    built on, while a reset or replaced chain names another."""
    try:
        first = chain._guard(lambda: chain.w3.eth.get_block(1))
    except BlockNotFound:
        return "0x" + bytes(chain._guard(lambda: chain.w3.eth.get_block(0))["hash"]).hex()
    return "0x" + bytes(first["parentHash"]).hex()


def save_manifest(deployment: Deployment, path: Path) -> None:
    body = asdict(deployment) | {"deployed_at": deployment.deployed_at.isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n")


def load_manifest(path: Path) -> Deployment | None:
    """The manifest at `path`, None if there is none; `LedgerError` naming the file if it cannot be read."""
    if not path.exists():
        return None
    try:
        body = json.loads(path.read_text())
        return Deployment(**(body | {"deployed_at": datetime.fromisoformat(body["deployed_at"])}))
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise LedgerError(
            f"the deployment manifest {path} cannot be read ({type(exc).__name__}): restore it from "
            "another instance of this deployment, or remove it to deploy afresh"
        ) from None
