"""Shared fixtures: the real compiler's artifacts on a real chain (embedded, and anvil where asked).

A chain is deployed once per session; each test runs inside a chain snapshot that is reverted afterwards and gets a
fresh in-memory index, so tests stay isolated and fast.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy
from ledger.chain.node import AnvilNode, free_port, start_anvil
from ledger.client import Ledger
from ledger.demo.apparel import ALL_CHAINS, DemoWorld, seed_demo
from ledger.documents.vault import Vault
from ledger.domain.types import Deployment
from ledger.index import IndexStore
from ledger.regimes import ScreeningLists
from tests.evidence import Harness

CHAINS = ["embedded", "anvil"]


@dataclass
class ChainUnderTest:
    chain: Chain
    deployment: Deployment

    def ledger(self) -> Ledger:
        return Ledger(self.chain, self.deployment, IndexStore(":memory:"))


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = start_anvil(log_file=tmp_path_factory.mktemp("anvil") / "anvil.log")
    yield node
    node.stop()


@pytest.fixture(scope="module")
def module_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """A fresh anvil node shared by one test file's tests (servers that take seconds to start serve them all)."""
    node = start_anvil(free_port(), log_file=tmp_path_factory.mktemp("anvil") / "anvil.log")
    yield node
    node.stop()


@pytest.fixture
def own_anvil(tmp_path: Path) -> Iterator[AnvilNode]:
    """A fresh anvil node for one test (that stops, restarts or replaces its node); resumed first if left stopped."""
    node = start_anvil(free_port(), log_file=tmp_path / "anvil.log")
    yield node
    with contextlib.suppress(ProcessLookupError):
        os.kill(node.process.pid, signal.SIGCONT)
    node.stop()


@pytest.fixture(scope="session")
def embedded_chain() -> ChainUnderTest:
    chain = Chain.embedded_chain()
    return ChainUnderTest(chain, deploy(chain))


@pytest.fixture(scope="session")
def anvil_chain(anvil_node: AnvilNode) -> ChainUnderTest:
    chain = Chain.connect(anvil_node.url)
    return ChainUnderTest(chain, deploy(chain))


@pytest.fixture(params=CHAINS)
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """A deployed, empty ledger on each chain kind, rolled back after the test."""
    under_test: ChainUnderTest = request.getfixturevalue(f"{request.param}_chain")
    with under_test.chain.isolated():
        instance = under_test.ledger()
        yield instance
        instance.close()


@pytest.fixture
def embedded_ledger(embedded_chain: ChainUnderTest) -> Iterator[Ledger]:
    """An empty ledger on the embedded chain only (for tests that need no second chain)."""
    with embedded_chain.chain.isolated():
        instance = embedded_chain.ledger()
        yield instance
        instance.close()


@dataclass
class DemoChain:
    under_test: ChainUnderTest
    world: DemoWorld
    index: Path  # an index file synced to the seeded chain, copied for each test (indexing the demo takes ~0.4 s; a
    #              copy, milliseconds)

    def ledger(self, directory: Path) -> Ledger:
        """A ledger over the demo chain with its own copy of the synced index, in `directory`."""
        index = directory / "demo-index.sqlite"
        shutil.copyfile(self.index, index)
        return Ledger(self.under_test.chain, self.under_test.deployment, IndexStore(index))


@pytest.fixture(scope="session")
def seeded_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """An anvil node of its own for the seeded demo chains: seeding them on anvil takes a fraction of the CPU py-evm
    needs, and every test on them rolls its changes back (`evm_snapshot` / `evm_revert`)."""
    node = start_anvil(log_file=tmp_path_factory.mktemp("seeded") / "anvil.log")
    yield node
    node.stop()


@pytest.fixture(scope="session")
def demo_chain(seeded_node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> DemoChain:
    """A contract set of its own with the demo supply chain recorded once."""
    chain = Chain.connect(seeded_node.url)
    under_test = ChainUnderTest(chain, deploy(chain))
    world = seed_demo(under_test.ledger())
    index = tmp_path_factory.mktemp("demo") / "index.sqlite"
    synced = Ledger(chain, under_test.deployment, IndexStore(index))
    synced.sync()
    synced.close()
    return DemoChain(under_test, world, index)


@pytest.fixture
def demo(demo_chain: DemoChain, tmp_path: Path) -> Iterator[tuple[Ledger, DemoWorld]]:
    """The demo ledger and what it recorded; changes made by a test are rolled back."""
    with demo_chain.under_test.chain.isolated():
        instance = demo_chain.ledger(tmp_path)
        yield instance, demo_chain.world
        instance.close()


@dataclass
class EvidenceChain:
    under_test: ChainUnderTest
    world: DemoWorld
    vault: Vault
    lists: ScreeningLists
    index: Path  # an index file synced to the seeded chain, copied for each test (indexing ~130 transactions takes
    #              a second; a copy, milliseconds)


@pytest.fixture(scope="session")
def evidence_chain(seeded_node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> EvidenceChain:
    """A contract set of its own with all three demo chains (apparel, rubber, battery), their documents in a vault and
    the sample UFLPA list loaded."""
    home = tmp_path_factory.mktemp("evidence")
    chain = Chain.connect(seeded_node.url)
    under_test = ChainUnderTest(chain, deploy(chain))
    vault, lists = Vault(home / "documents"), ScreeningLists(home / "lists.sqlite")
    world = seed_demo(under_test.ledger(), chains=ALL_CHAINS, vault=vault, lists=lists)
    index = home / "index.sqlite"
    synced = Ledger(chain, under_test.deployment, IndexStore(index))
    synced.sync()
    synced.close()
    return EvidenceChain(under_test, world, vault, lists, index)


@pytest.fixture
def evidence(evidence_chain: EvidenceChain, tmp_path: Path) -> Iterator[Harness]:
    """The evidence chain, its vault and lists; chain changes made by a test are rolled back (documents a test puts
    in the vault stay: content-addressed, they do not disturb other tests)."""
    under_test = evidence_chain.under_test
    with under_test.chain.isolated():
        index = tmp_path / "index.sqlite"
        shutil.copyfile(evidence_chain.index, index)
        instance = Ledger(under_test.chain, under_test.deployment, IndexStore(index))
        yield Harness(instance, evidence_chain.world, evidence_chain.vault, evidence_chain.lists)
        instance.close()


def account(label: str) -> LocalAccount:
    from eth_utils import keccak

    return Account.from_key(keccak(text=f"test account {label}"))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / ".ledger"
