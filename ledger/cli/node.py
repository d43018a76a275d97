"""`ledger node`: run the workspace's anvil node."""
