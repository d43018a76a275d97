"""Liveness, index lag and the relayer."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.deps import AdminDep, LedgerDep
from api.problems import responses
from api.schemas.common import Out
from ledger import Ledger

router = APIRouter(tags=["health"])


class RelayerOut(Out):
    address: str
    balance_wei: str = Field(
        description="what the relayer has left to pay gas with (a relayer out of funds stops writes, not reads)"
    )
    pending: int = Field(description="relayed transactions not yet mined")
    stuck: list[str] = Field(description="pending longer than LEDGER_RELAY_STUCK_AFTER: re-sent with a higher fee")
    failed: int = Field(description="relayed transactions that reverted after their dry run (paid; should stay 0)")


class UsageOut(Out):
    participant: str
    requests: int = Field(description="relayed requests today (UTC)")
    gas: int = Field(description="gas used, or reserved by pending requests, today (UTC)")


class RelayerUsageOut(RelayerOut):
    gas_budget_per_day: int | None = Field(description="per participant; null: no limit")
    requests_per_minute: int | None = Field(description="per participant; null: no limit")
    max_gas_per_request: int
    usage_today: list[UsageOut]


def relayer_out(ledger: Ledger) -> RelayerOut:
    s = ledger.relayer.status()
    return RelayerOut(
        address=s.relayer,
        balance_wei=str(s.balance_wei),
        pending=s.entries.get("pending", 0) + s.entries.get("prepared", 0),
        stuck=list(s.stuck),
        failed=s.entries.get("failed", 0),
    )


class HealthOut(Out):
    status: str = Field(examples=["ok"])
    chain_id: int
    chain_head: int = Field(description="latest block of the chain")
    indexed_block: int = Field(description="latest block in the read model")
    lag: int = Field(description="blocks the read model is behind")
    unreadable_events: int = Field(
        description="events kept in the read model that it could not interpret (see the "
        "log); anything else stays readable"
    )
    ledger: str
    forwarder: str
    relayer: RelayerOut = Field(description="the account that pays participants' gas, and its open writes")


@router.get("/health", response_model=HealthOut, summary="Service and chain status", responses=responses(503))
def health(ledger: LedgerDep) -> HealthOut:
    """`ok`, or `degraded` when the read model holds events it could not interpret. A node that is down, too slow,
    or no longer serves this deployment's chain (reset, replaced) answers 503 naming the cause."""
    status = ledger.sync()
    unreadable = ledger.store.unreadable_count()
    return HealthOut(
        status="degraded" if unreadable else "ok",
        chain_id=ledger.deployment.chain_id,
        chain_head=status.chain_head,
        indexed_block=status.indexed_block,
        lag=status.lag,
        unreadable_events=unreadable,
        ledger=ledger.deployment.ledger,
        forwarder=ledger.deployment.forwarder,
        relayer=relayer_out(ledger),
    )


@router.get(
    "/relayer",
    response_model=RelayerUsageOut,
    summary="The relayer: funds, open writes, use per participant",
    responses=responses(401, 403, 503),
)
def relayer(ledger: LedgerDep, viewer: AdminDep) -> RelayerUsageOut:
    """For the consortium's admin: what the relayer has left to pay with, its pending and stuck transactions, the
    policy, and each participant's relayed requests and gas today (UTC): what the budget and rate limits (429 with
    Retry-After) are counted on."""
    status = ledger.relayer.status()
    policy = ledger.relayer.policy
    return RelayerUsageOut(
        **relayer_out(ledger).model_dump(),
        gas_budget_per_day=policy.gas_budget_per_day,
        requests_per_minute=policy.requests_per_minute,
        max_gas_per_request=policy.max_gas_per_request,
        usage_today=[UsageOut(participant=p, requests=n, gas=g) for p, (n, g) in sorted(status.usage_today.items())],
    )
