"""Settings of a ledger process, from `LEDGER_*` environment variables. Defaults give the embedded chain."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.documents.vault import DEFAULT_MAX_BYTES
from ledger.relay.relayer import RelayPolicy


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="forbid", hide_input_in_errors=True)

    home: Path = Field(default=Path(".ledger"), description="workspace: node state, manifests, index, relayer records")
    rpc_url: str | None = Field(default=None, description="JSON-RPC URL; None means the workspace's node")
    operator_key: SecretStr | None = Field(default=None, description="key that deploys, administers and relays")
    confirmations: int = Field(default=0, ge=0, description="blocks behind the head the index stays")
    log_window: int = Field(default=2_000, ge=1, le=100_000, description="blocks per eth_getLogs request")
    read_staleness: float = Field(
        default=0.1,
        ge=0,
        le=60,
        description="seconds a read may reuse the last index "
        "sync instead of asking the node (this process's own writes show at once)",
    )
    node_port: int = Field(default=8545, ge=1, le=65535, description="port of the workspace's anvil node")
    relay_max_gas: int = Field(
        default=12_000_000,
        ge=100_000,
        le=16_777_216,
        description="most gas the relayer gives one request (EIP-7825 caps a transaction at 16,777,216)",
    )
    relay_gas_budget: int | None = Field(
        default=50_000_000,
        ge=0,
        description="gas the relayer pays per participant "
        "per UTC day (about 1,200 batches in bulk); unset for no limit",
    )
    relay_rate: int | None = Field(
        default=120, ge=1, description="relayed requests per participant per minute; unset for no limit"
    )
    relay_stuck_after: float = Field(
        default=60.0,
        gt=0,
        description="seconds a relayed transaction may stay pending before it is re-sent with a higher fee",
    )
    node_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="seconds any one call to the node may take before the request fails with 503 (no retries)",
    )
    documents_dir: Path | None = Field(
        default=None,
        description="the document vault; default <home>/documents. "
        "Several instances may share one (a mounted volume): writes are atomic",
    )
    document_max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        ge=1_024,
        le=1_073_741_824,
        description="largest document the vault takes, in bytes (16 MiB)",
    )

    def documents_path(self) -> Path:
        return self.documents_dir if self.documents_dir is not None else self.home / "documents"

    def relay_policy(self) -> RelayPolicy:
        return RelayPolicy(
            max_gas_per_request=self.relay_max_gas,
            gas_budget_per_day=self.relay_gas_budget,
            requests_per_minute=self.relay_rate,
            stuck_after_seconds=self.relay_stuck_after,
        )


@cache
def get_settings() -> LedgerSettings:
    return LedgerSettings()
