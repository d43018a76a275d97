"""Settings of the API process, from `API_*` environment variables."""

from __future__ import annotations

from functools import cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger import TRACE_MAX_NODES as MAX_NODES
from ledger import TRACE_MIN_NODES as MIN_NODES


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="API_", extra="forbid", hide_input_in_errors=True)

    @field_validator("auth_secret")
    @classmethod
    def _real_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_secret(value.get_secret_value())
        return value

    title: str = Field(default="Provenance Ledger: due-diligence API", description="OpenAPI title")
    default_page_size: int = Field(default=20, ge=1, le=1_000, description="page size when `limit` is not given")
    max_page_size: int = Field(default=100, ge=1, le=1_000, description="largest `limit` a list route accepts")
    max_trace_depth: int = Field(default=64, ge=1, le=256, description="largest `max_depth` of traces and reports")
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1_024,
        description="largest request body in bytes (1 MiB); "
        "larger is refused with 413, before it is read when Content-Length says so",
    )
    max_bundle_body_bytes: int = Field(
        default=33_554_432,
        ge=1_024,
        description="largest body of POST /anchors/bundles in bytes (32 MiB); post a bigger bundle in parts",
    )
    max_capture_body_bytes: int = Field(
        default=33_554_432,
        ge=1_024,
        description="largest body of POST /capture "
        "and POST /capture/facts in bytes (32 MiB): an EPCIS document of up to 8 MiB "
        "and its signed writes",
    )
    max_capture_events: int = Field(
        default=1_000,
        ge=1,
        le=10_000,
        description="most events one EPCIS document "
        "may hold in POST /capture/facts and POST /capture (reading and mapping them is "
        "the cost of the request): more is refused with 413; send the document in parts",
    )
    max_capture_requests: int = Field(
        default=2_001,
        ge=1,
        le=20_001,
        description="most signed requests one POST "
        "/capture may carry (a signature check each): more is refused with 413",
    )
    max_capture_jobs: int = Field(
        default=4,
        ge=1,
        le=1_000,
        description="capture jobs one member may have queued "
        "or running: 429 with Retry-After past it (each member's jobs run in a lane of "
        "their own, so one member's backlog never delays another's)",
    )
    max_document_body_bytes: int = Field(
        default=16_842_752,
        ge=1_024,
        description="largest body of a document "
        "upload (PUT /documents/{sha256}, POST /documents) in bytes: 16 MiB plus "
        "64 KiB of multipart framing; keep it above LEDGER_DOCUMENT_MAX_BYTES",
    )
    document_upload_bytes_per_day: int = Field(
        default=1_073_741_824,
        ge=1_024,
        description="bytes of documents one "
        "participant may upload per UTC day (1 GiB), per API process: 429 "
        "with Retry-After once spent",
    )
    max_json_depth: int = Field(
        default=32,
        ge=2,
        le=256,
        description="deepest nesting of arrays and objects in a "
        "JSON body or the `policy` query; deeper is refused with 422 before parsing",
    )
    max_trace_nodes: int = Field(
        default=MAX_NODES,
        ge=MIN_NODES,
        le=200_000,
        description="most batches one trace or report follows (default and cap of "
        "`max_nodes`); a larger lineage answers a truncated trace with `continue_from`",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        description="key that signs sign-in tokens (32+ characters, "
        "no placeholder); instances sharing it accept each other's tokens. "
        "`ledger serve` makes one per workspace if unset",
    )
    auth_domain: str = Field(
        default="127.0.0.1:8000",
        min_length=1,
        max_length=253,
        description="the service's host[:port] as sign-in messages must name it (EIP-4361 domain)",
    )
    public_url: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="the service's public base URL, for the links it gives (Digital Link "
        "redirects and linksets); default: the request's own (its Host)",
    )
    auth_token_ttl: int = Field(default=900, ge=60, le=86_400, description="seconds a sign-in token is valid")
    auth_used_nonces: str | None = Field(
        default=None,
        max_length=1_000,
        description="SQLite file of the sign-in "
        "nonces used (until they expire), so a used sign-in message stays used "
        "after a restart; `ledger serve` keeps <home>/auth/used-nonces.sqlite; "
        "unset: in memory",
    )
    sign_in_per_minute: int = Field(
        default=30,
        ge=1,
        le=100_000,
        description="sign-in attempts (POST /auth/login) "
        "one client address may make a minute: 429 with Retry-After past it",
    )
    relayer_watch_seconds: float = Field(
        default=5.0,
        ge=0,
        le=3_600,
        description="how often open relayed writes "
        "are matched with the chain (receipts, lost and stuck transactions); 0: never",
    )


PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "password", "test", "example", "default"})


def check_secret(value: str) -> str:
    """A signing secret worth the name: 32+ characters, not a placeholder, not one character repeated."""
    text = value.strip()
    if (
        len(text) < 32
        or text.lower() in PLACEHOLDER_SECRETS
        or len(set(text)) < 8
        or any(p in text.lower() for p in ("changeme", "change-me", "placeholder", "example"))
    ):
        raise ValueError(
            "API_AUTH_SECRET must be a random value of at least 32 characters (e.g. `openssl rand -hex "
            "32`), not a placeholder"
        )
    return text


@cache
def get_settings() -> ApiSettings:
    return ApiSettings()
