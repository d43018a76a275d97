"""`ledger demo`: record the demo supply chain and print a trace and an ESG summary."""
