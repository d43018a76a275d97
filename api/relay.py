"""Relaying a signed write: check that it calls the function its route is for, then hand it to the ledger once
per `Idempotency-Key`."""

from __future__ import annotations

from collections.abc import Callable, Collection

from fastapi import Response

from api.idempotency import IdempotencyStore, fingerprint
from api.schemas.writes import SignedRequestIn, WriteResult
from ledger.calls import DecodedCall, created_ids, decode_call
from ledger.client import Ledger
from ledger.errors import ValidationError

IDEMPOTENCY_DESCRIPTION = ("Send the same key again with the same body to get the first answer without sending "
                           "anything again; the same key with another body is refused (422).")


def relay(ledger: Ledger, body: SignedRequestIn, *, route: str, functions: Collection[str],
          idempotency: IdempotencyStore, key: str | None, response: Response,
          check: Callable[[DecodedCall], None] | None = None) -> WriteResult:
    call = decode_call(body.request.data)
    if call.name not in functions:
        raise ValidationError(f"this route takes a signed call of {' or '.join(sorted(functions))}, "
                              f"not {call.name}", field="request.data")
    if check is not None:
        check(call)
    signed = body.to_domain()

    def send() -> WriteResult:
        result = ledger.relay(signed)
        return WriteResult(function=call.name, signer=signed.request.from_address, tx_hash=result.tx_hash,
                           block_number=result.block_number, gas_used=result.gas_used,
                           created=list(created_ids(signed.request.from_address, signed.request.data)))

    answer, replayed = idempotency.run(key, fingerprint(route, body.model_dump(mode="json", by_alias=True)), send)
    response.headers["Idempotent-Replayed"] = "true" if replayed else "false"
    return answer


def same_id(argument: str, expected: str, what: str) -> Callable[[DecodedCall], None]:
    """A check that the call's `argument` is the id the route's path names."""

    def check(call: DecodedCall) -> None:
        if str(call.args[argument]).lower() != expected.lower():
            raise ValidationError(f"the signed call is about {what} {call.args[argument]}, not {expected} of the path",
                                  field="request.data")

    return check
