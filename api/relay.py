"""Relaying a signed write: check that it calls the function its route is for, then hand it to the ledger's relayer,
which sends it once per request and per `Idempotency-Key` (scoped to the signer)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from fastapi import Response

from api.schemas.writes import SignedRequestIn, WriteResult
from ledger import DecodedCall, Ledger, ValidationError, decode_call

IDEMPOTENCY_DESCRIPTION = (
    "Send the same key again with the same body to get the first answer without sending "
    "anything again, even after a restart of the service or while the first transaction is "
    "still pending; the same key with another body is refused (422). Keys are per signer."
)


def relay(
    ledger: Ledger,
    body: SignedRequestIn,
    *,
    route: str,
    functions: Collection[str],
    key: str | None,
    response: Response,
    check: Callable[[DecodedCall], None] | None = None,
) -> WriteResult:
    call = decode_call(body.request.data)
    if call.name not in functions:
        raise ValidationError(
            f"this route takes a signed call of {' or '.join(sorted(functions))}, not {call.name}", field="request.data"
        )
    if check is not None:
        check(call)
    written = ledger.relay_write(body.to_domain(), key=key, route=route)
    response.headers["Idempotent-Replayed"] = "true" if written.replayed else "false"
    tx = written.tx
    return WriteResult(
        function=written.function,
        signer=written.signer,
        tx_hash=tx.tx_hash,
        block_number=tx.block_number,
        gas_used=tx.gas_used,
        created=list(written.created),
    )


def same_id(argument: str, expected: str, what: str) -> Callable[[DecodedCall], None]:
    """A check that the call's `argument` is the id the route's path names."""

    def check(call: DecodedCall) -> None:
        if str(call.args[argument]).lower() != expected.lower():
            raise ValidationError(
                f"the signed call is about {what} {call.args[argument]}, not {expected} of the path",
                field="request.data",
            )

    return check
