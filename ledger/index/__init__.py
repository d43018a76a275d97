"""The index of the ledger's events: the read model behind lookups, traces, reports and exports.

The rest of the code reads through `IndexReader` (the protocol); `open_index` opens the SQLite adapter, which only
the `Ledger` (and the `Indexer` it drives) hold as such.
"""

from ledger.index.reader import IndexReader, IndexWriter, Upstream
from ledger.index.store import IndexStore, move_aside
from ledger.index.sync import Indexer, SyncStatus

__all__ = ["IndexReader", "IndexStore", "IndexWriter", "Indexer", "SyncStatus", "Upstream", "move_aside"]
