"""Every event the ledger contract emits lands in the index (or is deliberately not needed)."""

from ledger.chain.compile import load_artifact
from ledger.index.events import HANDLERS

NOT_INDEXED = {"RoleAdminChanged"}  # role admins never change after deployment; nothing reads them


def test_every_contract_event_has_an_index_handler() -> None:
    events = {e["name"] for e in load_artifact("ProvenanceLedger").abi if e["type"] == "event"}
    assert events - NOT_INDEXED == set(HANDLERS)
