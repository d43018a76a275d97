"""The composition root (`ledger.service.Service`): what it opens it closes, once, on a real anvil node started in
the workspace; a node it only reused keeps running."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from ledger.chain.node import AnvilNode, free_port, rpc_alive
from ledger.config import LedgerSettings
from ledger.domain.errors import ChainMismatchError
from ledger.service import Service


def settings_for(home: Path, port: int) -> LedgerSettings:
    return LedgerSettings(home=home, node_port=port, rpc_url=None, operator_key=None)


def test_closing_stops_the_node_it_started_and_closing_twice_is_harmless(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    said: list[str] = []
    service = Service.open(settings_for(home, port), say=lambda message, warning=False: said.append(message))
    url = f"http://127.0.0.1:{port}"
    assert service.node is not None and rpc_alive(url)
    assert (home / "node" / "anvil.pid").exists()
    assert service.vault is not None and service.lists is not None
    assert service.relayer.outbox.path != ":memory:"  # the workspace's outbox
    assert any(line.startswith("relayer ") for line in said), said
    deployed = service.ledger.deployment.ledger
    service.close()
    assert not rpc_alive(url) and not (home / "node" / "anvil.pid").exists()
    service.close()  # nothing left to close

    with Service.open(settings_for(home, port)) as again:  # the node's state file kept the deployment
        assert again.ledger.deployment.ledger == deployed
    assert not rpc_alive(url)


def test_a_node_it_reused_keeps_running(own_anvil: AnvilNode, tmp_path: Path) -> None:
    port = int(own_anvil.url.rsplit(":", 1)[1])
    with Service.open(settings_for(tmp_path / "home", port)) as service:
        assert service.node is None
    assert rpc_alive(own_anvil.url)


def test_a_failed_open_stops_the_node_it_started(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    Service.open(settings_for(home, port)).close()
    shutil.rmtree(home / "node")  # the chain is gone; the workspace's manifest still names its contracts
    with pytest.raises(ChainMismatchError):
        Service.open(settings_for(home, port))
    assert not rpc_alive(f"http://127.0.0.1:{port}")


def test_an_embedded_service_closes_its_ledger_and_epcis_service() -> None:
    service = Service.embedded()
    epcis = service.open_epcis()
    service.close()
    service.close()
    with pytest.raises(sqlite3.ProgrammingError):  # its event store is closed
        epcis.store.unfinished_jobs()


def test_the_relayer_knows_the_forwarder_checks_not_the_ledger_client() -> None:
    """No loop between the client and the relayer: the relayer imports `ledger.chain.forwarding`, never
    `ledger.client`."""
    import ast

    import ledger.relay.relayer

    tree = ast.parse(Path(ledger.relay.relayer.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "ledger.chain.forwarding" in imported and "ledger.client" not in imported
