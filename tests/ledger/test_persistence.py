"""What is recorded through the workspace's node survives the node being stopped (or killed) and restarted."""

import time
from pathlib import Path

import pytest

from ledger.chain.node import free_port, start_anvil
from ledger.cli.node import node_state_file
from ledger.client import Ledger
from tests.ledger.builders import GTIN, batch, register


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
def test_a_batch_survives_a_restart_of_the_workspace_node(workspace: Path, kill: bool) -> None:
    port = free_port()
    node = start_anvil(port, node_state_file(workspace))
    try:
        ledger = Ledger.connect(node.url, workspace)
        gin = register(ledger, "gin", site=1)
        batch_id, _ = ledger.record_batch(gin, batch("PERSIST-1", 1))
        deployment = ledger.deployment
        ledger.close()
        time.sleep(1.5)  # the node writes its state every second; a kill -9 loses at most that
    finally:
        node.stop(kill=kill)

    node = start_anvil(port, node_state_file(workspace))
    try:
        again = Ledger.connect(node.url, workspace)
        assert again.deployment == deployment  # reused from the manifest, not redeployed
        found = again.find_batch(GTIN, "PERSIST-1")
        assert found.id == batch_id
        assert found.producer == gin.address
        again.close()
        fresh_index = Ledger.connect(node.url, workspace / "other")  # a new workspace: deploys anew, sees nothing
        assert fresh_index.deployment.ledger != deployment.ledger
        fresh_index.close()
    finally:
        node.stop()
