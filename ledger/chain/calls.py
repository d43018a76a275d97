"""Ledger calldata without a chain: encode a call to a `ProvenanceLedger` function, or tell which function a
calldata calls and with what arguments. Built from the compiled ABI (never from hand-written selectors).

Used by `ledger.writes` to build what a participant signs and to decode what was signed elsewhere, and by the
API to check that a signed request calls the function its route is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from ledger.chain.codec import abi_type, batch_id_of, bytes_to_text, disclosure_id_of, from_hex
from ledger.chain.compile import load_artifact
from ledger.domain.errors import ValidationError
from ledger.domain.types import Address


@dataclass(frozen=True)
class _Function:
    name: str
    types: tuple[str, ...]
    inputs: tuple[dict[str, Any], ...]
    selector: bytes


@dataclass(frozen=True)
class DecodedCall:
    """A ledger function call: its name and arguments by ABI name (bytes as 0x-hex, addresses checksummed,
    structs as dicts)."""

    name: str
    args: dict[str, Any]


@cache
def _functions() -> dict[str, _Function]:
    found: dict[str, _Function] = {}
    for entry in load_artifact("ProvenanceLedger").abi:
        if entry["type"] != "function":
            continue
        types = tuple(abi_type(i) for i in entry["inputs"])
        selector = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})")
        found[entry["name"]] = _Function(entry["name"], types, tuple(entry["inputs"]), selector)
    return found


@cache
def _by_selector() -> dict[bytes, _Function]:
    return {f.selector: f for f in _functions().values()}


def _raw(data: str | bytes) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        return from_hex(data)
    except ValueError:
        raise ValidationError("calldata must be 0x-prefixed hex", field="data") from None


def function_name(data: str | bytes) -> str:
    """The name of the ledger function `data` calls; `ValidationError` if it calls none."""
    raw = _raw(data)
    function = _by_selector().get(raw[:4]) if len(raw) >= 4 else None
    if function is None:
        raise ValidationError(f"calldata selector 0x{raw[:4].hex()} is no ProvenanceLedger function", field="data")
    return function.name


def encode_call(name: str, *args: Any) -> str:
    """0x-hex calldata for `name(*args)`, arguments in their ABI (Python) form."""
    function = _functions()[name]
    return "0x" + (function.selector + abi_encode(list(function.types), list(args))).hex()


def decode_call(data: str | bytes) -> DecodedCall:
    """The function and arguments of ledger calldata; `ValidationError` if the arguments do not decode."""
    raw = _raw(data)
    function = _by_selector()[_functions()[function_name(raw)].selector]
    try:
        values = abi_decode(list(function.types), raw[4:])
    except Exception as exc:  # eth_abi raises several decoding errors
        raise ValidationError(f"calldata arguments of {function.name} do not decode: {exc}", field="data") from None
    return DecodedCall(function.name, {i["name"]: _shape(i, v) for i, v in zip(function.inputs, values, strict=True)})


def _shape(entry: dict[str, Any], value: Any) -> Any:
    kind = entry["type"]
    if kind.startswith("tuple"):
        components = entry["components"]
        if kind.endswith("[]"):
            return [_shape({**entry, "type": kind[:-2]}, item) for item in value]
        return {c["name"]: _shape(c, v) for c, v in zip(components, value, strict=True)}
    if kind == "address":
        return to_checksum_address(value)
    if kind.endswith("[]"):
        return [_shape({**entry, "type": kind[:-2]}, item) for item in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def created_ids(sender: Address | str, data: str | bytes) -> tuple[str, ...]:
    """Ids of what the call creates when `sender` makes it: batch ids for recordBatch(es), the disclosure id for
    publishDisclosure, else nothing."""
    call = decode_call(data)
    if call.name in ("recordBatch", "claimAnchoredBatch"):
        records = [call.args["record"]]
    elif call.name == "recordBatches":
        records = call.args["records"]
    elif call.name == "publishDisclosure":
        return (
            disclosure_id_of(
                sender, bytes_to_text(from_hex(call.args["framework"])), bytes_to_text(from_hex(call.args["period"]))
            ),
        )
    else:
        return ()
    return tuple(batch_id_of(sender, r["gtin"], bytes_to_text(from_hex(r["lot"]))) for r in records)
