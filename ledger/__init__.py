"""Supply-chain provenance and ESG ledger: the domain API over the on-chain contracts."""
