"""Solidity custom errors as Python exceptions, generated from the compiled ABIs.

Every `error` in the ledger's and the forwarder's ABI becomes a subclass of `ContractRevertError` whose attributes
are the decoded arguments. `decode_revert` turns raw revert data into one of them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from ledger.codec import CHAIN_CODEC, abi_type, from_milli
from ledger.compile import load_artifact
from ledger.errors import (
    ContractRevertError,
    SignatureExpiredError,
    SignatureInvalidError,
)

# How each refusal reads to a caller: not_found, forbidden, invalid or conflict (the default).
ERROR_KINDS: dict[str, str] = {
    "BatchNotFound": "not_found",
    "BatchInputNotFound": "conflict",
    "BatchAnchorNotFound": "not_found",
    "RegistryParticipantNotFound": "forbidden",
    "DisclosureNotFound": "not_found",
    "DisclosureVersionNotFound": "not_found",
    "DisclosureAttestationNotFound": "not_found",
    "AccessControlUnauthorizedAccount": "forbidden",
    "AccessControlBadConfirmation": "forbidden",
    "RegistryParticipantSuspended": "forbidden",
    "RegistryUnknownSite": "forbidden",
    "BatchNotProducer": "forbidden",
    "DisclosureNotOwner": "forbidden",
    "DisclosureOwnOrganisation": "forbidden",
    "ERC2771ForwarderInvalidSigner": "forbidden",
    "ERC2771ForwarderExpiredRequest": "forbidden",
    "ERC2771UntrustfulTarget": "forbidden",
    "BatchInvalidRecord": "invalid",
    "BatchTooManyItems": "invalid",
    "RegistryInvalidProfile": "invalid",
    "DisclosureInvalidMetrics": "invalid",
    "BatchProducedInFuture": "invalid",
    "BatchValueOutOfRange": "invalid",
    "BatchTextTooLong": "invalid",
    "DisclosureTextTooLong": "invalid",
}
_SIGNATURE_ERRORS: dict[str, type[ContractRevertError]] = {}
#: Errors whose arguments count thousandths (of a batch's unit; of a kg for emissions): their message adds the
#: figures in units, where the user meets them.
THOUSANDTHS: dict[str, tuple[str, ...]] = {
    "BatchInsufficientQuantity": ("requested", "available"),
    "BatchValueOutOfRange": ("value", "max"),
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _normalise(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


class _ErrorSpec:
    def __init__(self, entry: dict[str, Any]) -> None:
        self.name: str = entry["name"]
        self.types = [abi_type(i) for i in entry["inputs"]]
        self.names = [_snake(i["name"]) or f"arg{n}" for n, i in enumerate(entry["inputs"])]
        self.selector = function_signature_to_4byte_selector(f"{self.name}({','.join(self.types)})")
        base: type[ContractRevertError] = ContractRevertError
        if self.name == "ERC2771ForwarderExpiredRequest":
            base = type("_Expired", (ContractRevertError, SignatureExpiredError), {})
        elif self.name == "ERC2771ForwarderInvalidSigner":
            base = type("_Invalid", (ContractRevertError, SignatureInvalidError), {})
        self.exception: type[ContractRevertError] = type(
            self.name,
            (base,),
            {
                "error_name": self.name,
                "kind": ERROR_KINDS.get(self.name, "conflict"),
                "code": _snake(self.name),
                "__doc__": f"Solidity `{self.name}({', '.join(self.types)})`.",
                "__module__": __name__,
            },
        )

    def _in_units(self, args: dict[str, Any]) -> str | None:
        names = THOUSANDTHS.get(self.name)
        if not names or not all(isinstance(args.get(n), int) for n in names):
            return None
        unit = "kg CO2e" if args.get("field") == "processEmissions" else \
            "the input's unit" if self.name == "BatchInsufficientQuantity" else "the batch's unit"
        figures = ", ".join(f"{n} {from_milli(args[n]):f}" for n in names)
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in args.items())}): in {unit}, {figures} (the " \
               "contract counts thousandths)"

    def build(self, payload: bytes) -> ContractRevertError:
        try:
            values = CHAIN_CODEC.decode(self.types, payload) if self.types else ()
        except Exception:  # eth_abi raises several decoding errors: data with our selector but not our arguments
            return UnknownRevertError({"data": "0x" + (bytes.fromhex(self.selector.hex()) + payload).hex()})
        args = {n: _normalise(t, v) for n, t, v in zip(self.names, self.types, values, strict=True)}
        return self.exception(args, message=self._in_units(args))


@cache
def _specs() -> dict[bytes, _ErrorSpec]:
    specs: dict[bytes, _ErrorSpec] = {}
    for artifact in ("ProvenanceLedger", "ProvenanceForwarder"):
        for entry in load_artifact(artifact).abi:
            if entry["type"] == "error":
                spec = _ErrorSpec(entry)
                specs.setdefault(spec.selector, spec)
    return specs


def error_classes() -> dict[str, type[ContractRevertError]]:
    """Every contract error's exception class, by Solidity name."""
    return {spec.name: spec.exception for spec in _specs().values()}


def error_class(name: str) -> type[ContractRevertError]:
    return error_classes()[name]


class UnknownRevertError(ContractRevertError):
    """A revert whose data matches no error of our ABIs (a panic, a string reason or a failed inner call)."""

    error_name = "UnknownRevert"
    code = "unknown_revert"


def decode_revert(data: bytes | str | None) -> ContractRevertError:
    """Raw revert data (selector + ABI arguments) to the matching exception instance."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else (data or b"")
    spec = _specs().get(raw[:4])
    if spec is None:
        if raw[:4] == bytes.fromhex("08c379a0"):
            try:
                return UnknownRevertError({"reason": CHAIN_CODEC.decode(["string"], raw[4:])[0]})
            except Exception:  # a malformed Error(string)
                pass
        return UnknownRevertError({"data": "0x" + raw.hex()})
    return spec.build(raw[4:])
