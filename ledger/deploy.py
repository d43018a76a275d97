"""Deploy the forwarder and the ledger, and keep the deployment manifest."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from ledger.chain import Chain
from ledger.codec import checksum
from ledger.compile import load_artifact
from ledger.types import Deployment


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
        chain_id=chain.chain_id,
        ledger=checksum(str(ledger["contractAddress"])),
        forwarder=checksum(str(forwarder["contractAddress"])),
        block_number=int(forwarder["blockNumber"]),
        deployed_at=datetime.fromtimestamp(int(block["timestamp"]), UTC),
        compiler=ledger_artifact.compiler,
    )


def save_manifest(deployment: Deployment, path: Path) -> None:
    body = asdict(deployment) | {"deployed_at": deployment.deployed_at.isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n")


def load_manifest(path: Path) -> Deployment | None:
    if not path.exists():
        return None
    body = json.loads(path.read_text())
    return Deployment(**(body | {"deployed_at": datetime.fromisoformat(body["deployed_at"])}))
