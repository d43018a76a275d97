"""The domain layer, below everything else: frozen value types, the error tree, the rules the contract shares, input
validation, roles, JSON limits and one write module per aggregate (`writes/`). It imports nothing else of `ledger`."""
