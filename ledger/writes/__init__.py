"""One write module per aggregate (batches, disclosures, admin, event commitments): each validates its input and
encodes the ledger calldata, and every path that writes uses it: `Ledger`, the API's relay, `ledger sign`,
`ledger.apiclient.signer`.

`check_calldata` applies the same rules to calldata signed anywhere (a wallet, another client): it decodes the call
back into domain values and runs the function that would have built it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledger.chain.calls import DecodedCall, decode_call
from ledger.writes import admin, batches, disclosures, events

CHECKS: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    **batches.CHECKS,
    **disclosures.CHECKS,
    **admin.CHECKS,
    **events.CHECKS,
}


def check_calldata(data: str | bytes, sender: str) -> DecodedCall:
    """The decoded call, once its arguments pass the rules of the write it is; `ValidationError` otherwise."""
    call = decode_call(data)
    check = CHECKS.get(call.name)
    if check is not None:
        check(call.args, sender)
    return call


__all__ = ["CHECKS", "admin", "batches", "check_calldata", "disclosures", "events"]
