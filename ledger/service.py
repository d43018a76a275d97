"""`Service`: the composition root. The one place that builds what a ledger service runs on from `LedgerSettings`,
and closes it again: the workspace's node (when none answers), the `Ledger` with its index, the document vault, the
screening lists, the relayer with its outbox, and the EPCIS service with its event store.

    with Service.open(settings, say=print) as service:   # `ledger serve`
        app = create_app(api_settings, service=service)
    ledger = connect_ledger(settings, deploy_if_missing=False)   # a CLI command that only reads the chain

`close()` stops only what `open` started (a node it reused keeps running) and may be called more than once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

from ledger.chain.node import AnvilNode
from ledger.client import Ledger
from ledger.config import LedgerSettings
from ledger.documents.evidence import adopt as adopt_documents
from ledger.documents.vault import Vault
from ledger.epcis.capture import CaptureBounds
from ledger.epcis.service import EpcisService
from ledger.regimes.screening import ScreeningLists
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import Relayer
from ledger.workspace import open_lists, open_vault, open_workspace_node


class Say(Protocol):
    """Where `Service.open` tells what it found and did (the CLI prints it; a warning is worth a colour)."""

    def __call__(self, message: str, *, warning: bool = False) -> None: ...


def _quiet(message: str, *, warning: bool = False) -> None:
    return None


def node_url(settings: LedgerSettings) -> str:
    """The node to talk to: `LEDGER_RPC_URL`, else the workspace's node on `LEDGER_NODE_PORT`."""
    return settings.rpc_url or f"http://127.0.0.1:{settings.node_port}"


def connect_ledger(
    settings: LedgerSettings, url: str | None = None, *, deploy_if_missing: bool = True, redeploy: bool = False
) -> Ledger:
    """The workspace's deployment on `url` (default `node_url(settings)`) with every option the settings give: the
    one place a `Ledger` is opened from settings."""
    key = settings.operator_key.get_secret_value() if settings.operator_key else None
    return Ledger.connect(
        url or node_url(settings),
        settings.home,
        operator_key=key,
        confirmations=settings.confirmations,
        log_window=settings.log_window,
        read_staleness=settings.read_staleness,
        deploy_if_missing=deploy_if_missing,
        redeploy=redeploy,
        node_timeout=settings.node_timeout,
    )


def outbox_path(home: Path, ledger: Ledger) -> Path:
    """The relayer's outbox of this deployment in the workspace."""
    deployment = ledger.deployment
    return home / "relayer" / f"outbox-{deployment.chain_id}-{deployment.ledger.lower()}.sqlite"


def stop_node(node: AnvilNode, home: Path | None) -> None:
    """Stop a node `Service.open` started, and forget its pid file in the workspace (if it is still this node's)."""
    node.stop()
    if home is not None:
        pid_file = home / "node" / "anvil.pid"
        if pid_file.exists() and pid_file.read_text() == str(node.process.pid):
            os.remove(pid_file)


@dataclass
class Service:
    """What a ledger service runs on; built by `open` (a workspace), `embedded` (in memory) or `around` (a ledger
    someone else opened and closes)."""

    ledger: Ledger
    vault: Vault | None = None
    lists: ScreeningLists | None = None
    node: AnvilNode | None = None  # the node `open` started, stopped by `close`
    home: Path | None = None
    owns_ledger: bool = True
    _epcis: list[EpcisService] = field(default_factory=list)
    _closed: bool = False

    @property
    def relayer(self) -> Relayer:
        return self.ledger.relayer

    # -- building -----------------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings: LedgerSettings,
        *,
        redeploy: bool = False,
        say: Say = _quiet,
        before_relaying: Callable[[Service], None] | None = None,
    ) -> Service:
        """The service of the workspace `settings.home`: its node (`LEDGER_RPC_URL`, else the workspace's node, started
        if none answers on `LEDGER_NODE_PORT`), its deployment (deployed once), vault, screening lists, and the
        relayer with the workspace's outbox under the settings' policy (after `before_relaying`, e.g. seeding the
        demo, which no relay budget should limit). Whatever was opened is closed again if a later step fails."""
        home = settings.home
        node: AnvilNode | None = None
        url = settings.rpc_url
        if url is None:
            url, node = open_workspace_node(home, settings.node_port)
            say(f"node: {url} ({'started, state in ' + str(home / 'node') if node else 'reused'})")
        service: Service | None = None
        try:
            ledger = connect_ledger(settings, url, redeploy=redeploy)
            service = cls(ledger, node=node, home=home)
            if ledger.store.moved_aside is not None:
                say(f"index file was unusable: moved to {ledger.store.moved_aside.name}; rebuilding", warning=True)
            say(f"ledger {ledger.deployment.ledger} on chain {ledger.deployment.chain_id}")
            service.vault, service.lists = open_vault(settings), open_lists(home)
            if service.lists.moved_aside is not None:
                say(
                    f"screening lists were unreadable: moved to {service.lists.moved_aside.name}; load them again "
                    "(ledger regimes load-list)",
                    warning=True,
                )
            say(f"documents: {service.vault.root} (at most {service.vault.max_bytes:,} bytes each)")
            adopted = adopt_documents(ledger, service.vault)  # once, for a vault from before uploads were recorded
            if adopted:
                say(
                    f"{adopted} document(s) stored before uploads were recorded: each given to the participant "
                    "whose record cited it first",
                    warning=True,
                )
            if before_relaying is not None:
                before_relaying(service)
            synced = ledger.sync()
            say(f"index at block {synced.indexed_block} ({ledger.store.path})")
            outbox = Outbox(outbox_path(home, ledger))
            if outbox.moved_aside is not None:
                say(f"relayer outbox was unreadable: moved to {outbox.moved_aside.name}", warning=True)
            relayer = ledger.use_relayer(outbox, settings.relay_policy())
            open_writes = relayer.outbox.counts()
            say(
                f"relayer {relayer.chain.operator.address} (outbox: "
                + (", ".join(f"{n} {s}" for s, n in sorted(open_writes.items())) or "empty")
                + ")"
            )
        except BaseException:
            if service is not None:
                service.close()
            elif node is not None:
                stop_node(node, home)
            raise
        return service

    @classmethod
    def embedded(cls) -> Service:
        """A fresh in-memory chain with the contracts deployed, an in-memory index and relayer; no vault, no lists."""
        return cls(Ledger.embedded())

    @classmethod
    def around(cls, ledger: Ledger, *, vault: Vault | None = None, lists: ScreeningLists | None = None) -> Service:
        """A service over a ledger its caller opened (and closes): `close` leaves the ledger, vault and lists open."""
        return cls(ledger, vault=vault, lists=lists, owns_ledger=False)

    def open_epcis(self, bounds: CaptureBounds | None = None) -> EpcisService:
        """The EPCIS service over this ledger (its event store beside the index, its capture queue, resuming jobs a
        stop interrupted); closed by its caller or, at the latest, by `close`."""
        epcis = EpcisService(self.ledger, bounds=bounds)
        self._epcis.append(epcis)
        return epcis

    def close_epcis(self, epcis: EpcisService) -> None:
        if epcis in self._epcis:
            self._epcis.remove(epcis)
            epcis.close()

    # -- closing ------------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close what `open` opened, each part even when another fails; the node last, and only one it started."""
        if self._closed:
            return
        self._closed = True
        try:
            with contextlib.ExitStack() as stack:
                if self.node is not None:
                    stack.callback(stop_node, self.node, self.home)
                if self.owns_ledger:
                    if self.lists is not None:
                        stack.callback(self.lists.close)
                    stack.callback(self.ledger.relayer.outbox.close)
                    stack.callback(self.ledger.close)
                for epcis in reversed(self._epcis):
                    stack.callback(epcis.close)
                self._epcis.clear()
        finally:
            self.node = None

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
