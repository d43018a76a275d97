"""`ledger serve` stopped the way systemd, docker and `kill` stop it (SIGTERM) cleans up like Ctrl-C does: it stops
the anvil node it started, and leaves alone a node it found running."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from ledger.chain.node import free_port, rpc_alive, start_anvil
from tests.api.serve_process import ServeProcess


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def terminate(server: ServeProcess) -> int | None:
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    return server.process.wait(timeout=30)


def test_sigterm_stops_the_server_and_the_node_it_started(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / ".ledger", [], {"LEDGER_NODE_PORT": str(free_port())})
    try:
        assert "(started, state in" in server.start()
        pid_file = server.home / "node" / "anvil.pid"
        anvil = int(pid_file.read_text())
        assert running(anvil)
        assert terminate(server) == -signal.SIGTERM, server.log()  # it still dies of the signal, as it should
        assert "stopped (SIGTERM)" in server.log()
        assert not pid_file.exists()
        assert not running(anvil)
    finally:
        server.stop()


def test_sigterm_leaves_a_node_it_reused_running(tmp_path: Path) -> None:
    port = free_port()
    node = start_anvil(port, tmp_path / "node" / "state.json")
    try:
        server = ServeProcess(tmp_path / ".ledger", [], {"LEDGER_NODE_PORT": str(port)})
        try:
            assert "(reused)" in server.start()
            assert terminate(server) == -signal.SIGTERM, server.log()
        finally:
            server.stop()
        assert node.process.poll() is None and rpc_alive(node.url)
    finally:
        node.stop()
