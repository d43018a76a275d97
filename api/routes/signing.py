"""What a client needs to sign a write: the EIP-712 domain."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LedgerDep
from api.problems import responses
from api.schemas.writes import Eip712DomainOut
from ledger import FORWARD_REQUEST_TYPES

router = APIRouter(tags=["signing"])


@router.get(
    "/eip712/domain",
    response_model=Eip712DomainOut,
    summary="EIP-712 domain of signed writes",
    responses=responses(503),
)
def get_domain(ledger: LedgerDep) -> Eip712DomainOut:
    """Sign an OpenZeppelin `ForwardRequest` under this domain; `ledger` is the `to` of every request. `ledger sign`
    and `ledger.apiclient.signer.ApiSigner` do it for you."""
    d = ledger.domain
    return Eip712DomainOut(
        name=d.name,
        version=d.version,
        chain_id=d.chain_id,
        verifying_contract=d.verifying_contract,
        ledger=ledger.deployment.ledger,
        types=FORWARD_REQUEST_TYPES,
    )
