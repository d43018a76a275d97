"""Liveness and index lag."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.deps import LedgerDep
from api.problems import responses
from api.schemas.common import Out

router = APIRouter(tags=["health"])


class HealthOut(Out):
    status: str = Field(examples=["ok"])
    chain_id: int
    chain_head: int = Field(description="latest block of the chain")
    indexed_block: int = Field(description="latest block in the read model")
    lag: int = Field(description="blocks the read model is behind")
    unreadable_events: int = Field(description="events kept in the read model that it could not interpret (see the "
                                               "log); anything else stays readable")
    ledger: str
    forwarder: str


@router.get("/health", response_model=HealthOut, summary="Service and chain status", responses=responses(503))
def health(ledger: LedgerDep) -> HealthOut:
    """`ok`, or `degraded` when the read model holds events it could not interpret. A node that is down, too slow,
    or no longer serves this deployment's chain (reset, replaced) answers 503 naming the cause."""
    status = ledger.sync()
    unreadable = ledger.store.unreadable_count()
    return HealthOut(status="degraded" if unreadable else "ok", chain_id=ledger.deployment.chain_id,
                     chain_head=status.chain_head, indexed_block=status.indexed_block, lag=status.lag,
                     unreadable_events=unreadable, ledger=ledger.deployment.ledger,
                     forwarder=ledger.deployment.forwarder)
