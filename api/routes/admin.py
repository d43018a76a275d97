"""The consortium's admin over the API: register participants, add sites, grant and revoke roles, suspend and
reinstate, each signed with the admin key (an EIP-712 ForwardRequest, like any write) and relayed. The contract only
takes them from the admin; `ledger admin ...` builds and sends them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response, status

from api.deps import LedgerDep
from api.problems import responses
from api.relay import IDEMPOTENCY_DESCRIPTION, relay, same_id
from api.schemas.common import EXAMPLE_ADDRESS
from api.schemas.writes import SignedRequestIn, WriteResult

router = APIRouter(prefix="/admin/participants", tags=["admin"])
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", examples=[EXAMPLE_ADDRESS])]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=255, description=IDEMPOTENCY_DESCRIPTION)
]
WRITE_ERRORS = responses(400, 403, 404, 409, 422, 429, 503, 504)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Register a participant (signed by the admin)",
    responses=WRITE_ERRORS,
)
def register(
    ledger: LedgerDep, body: SignedRequestIn, response: Response, idempotency_key: IdempotencyKey = None
) -> WriteResult:
    """`registerParticipant`: profile (legal name, country, organisation, sites, party GLN) and roles."""
    return relay(
        ledger,
        body,
        route="POST /admin/participants",
        functions={"registerParticipant"},
        key=idempotency_key,
        response=response,
    )


@router.post(
    "/{address}/sites",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Add a site (signed by the admin)",
    responses=WRITE_ERRORS,
)
def add_site(
    ledger: LedgerDep,
    address: AddressPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    return relay(
        ledger,
        body,
        route=f"POST /admin/participants/{address}/sites",
        functions={"addSite"},
        key=idempotency_key,
        response=response,
        check=same_id("account", address, "participant"),
    )


@router.post(
    "/{address}/roles",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Grant or revoke a role (signed by the admin)",
    responses=WRITE_ERRORS,
)
def change_role(
    ledger: LedgerDep,
    address: AddressPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    """`grantRole` or `revokeRole` (FACTORY, AUDITOR, BUYER). A revoked role stops the participant's tokens from
    counting it at once."""
    return relay(
        ledger,
        body,
        route=f"POST /admin/participants/{address}/roles",
        functions={"grantRole", "revokeRole"},
        key=idempotency_key,
        response=response,
        check=same_id("account", address, "participant"),
    )


@router.post(
    "/{address}/status",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Suspend or reinstate (signed by the admin)",
    responses=WRITE_ERRORS,
)
def set_status(
    ledger: LedgerDep,
    address: AddressPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    """`setSuspended`: a suspended participant writes nothing and its tokens stop working at its next request."""
    return relay(
        ledger,
        body,
        route=f"POST /admin/participants/{address}/status",
        functions={"setSuspended"},
        key=idempotency_key,
        response=response,
        check=same_id("account", address, "participant"),
    )
