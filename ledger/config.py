"""Settings of a ledger process, from `LEDGER_*` environment variables. Defaults give the embedded chain."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="forbid")

    home: Path = Field(default=Path(".ledger"), description="workspace: node state, manifests, index, relayer records")
    rpc_url: str | None = Field(default=None, description="JSON-RPC URL; None means the workspace's node")
    operator_key: SecretStr | None = Field(default=None, description="key that deploys, administers and relays")
    confirmations: int = Field(default=0, ge=0, description="blocks behind the head the index stays")
    log_window: int = Field(default=2_000, ge=1, le=100_000, description="blocks per eth_getLogs request")
    read_staleness: float = Field(default=0.1, ge=0, le=60, description="seconds a read may reuse the last index "
                                  "sync instead of asking the node (this process's own writes show at once)")
    node_port: int = Field(default=8545, ge=1, le=65535, description="port of the workspace's anvil node")
    node_timeout: float = Field(default=5.0, gt=0, le=300, description="seconds any one call to the node may take "
                                "before the request fails with 503 (no retries)")


@cache
def get_settings() -> LedgerSettings:
    return LedgerSettings()
