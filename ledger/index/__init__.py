"""SQLite index of the ledger's events: the read model behind lookups, traces, reports and exports."""

from ledger.index.store import IndexStore
from ledger.index.sync import Indexer, SyncStatus

__all__ = ["IndexStore", "Indexer", "SyncStatus"]
