"""Solidity custom errors as Python exceptions, generated from the compiled ABIs.

Every `error` in the ledger's and the forwarder's ABI becomes a subclass of `ContractRevertError` whose attributes
are the decoded arguments. `decode_revert` turns raw revert data into one of them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from ledger.chain.codec import CHAIN_CODEC, abi_type, from_milli
from ledger.chain.compile import load_artifact
from ledger.domain.errors import ContractRevertError, SignatureExpiredError, SignatureInvalidError
from ledger.domain.roles import role_label

ErrorKind = Literal["not_found", "forbidden", "invalid", "conflict"]

#: How each refusal reads to a caller, for every error of both ABIs; the API answers 404, 403, 422 and 409. There is
#: no default: an error missing here fails `_specs` (and tests/contracts/test_every_error.py says which).
ERROR_KINDS: dict[str, ErrorKind] = {
    # not_found (404): the thing the call names does not exist
    "BatchNotFound": "not_found",
    "BatchAnchorNotFound": "not_found",
    "DisclosureNotFound": "not_found",
    "DisclosureVersionNotFound": "not_found",
    "DisclosureAttestationNotFound": "not_found",
    "EventsRootNotFound": "not_found",
    # forbidden (403): the caller may not do this (role, registration, suspension, ownership, signature)
    "AccessControlUnauthorizedAccount": "forbidden",
    "AccessControlBadConfirmation": "forbidden",
    "RegistryParticipantNotFound": "forbidden",
    "RegistryParticipantSuspended": "forbidden",
    "RegistryUnknownSite": "forbidden",
    "BatchNotProducer": "forbidden",
    "DisclosureNotOwner": "forbidden",
    "DisclosureOwnOrganisation": "forbidden",
    "ERC2771ForwarderInvalidSigner": "forbidden",
    "ERC2771ForwarderExpiredRequest": "forbidden",
    "ERC2771UntrustfulTarget": "forbidden",
    "InvalidAccountNonce": "forbidden",
    # invalid (422): a value of the call is malformed or out of bounds
    "BatchInvalidRecord": "invalid",
    "BatchTooManyItems": "invalid",
    "BatchProducedInFuture": "invalid",
    "BatchValueOutOfRange": "invalid",
    "BatchTextTooLong": "invalid",
    "BatchAnchorProofInvalid": "invalid",  # the proof does not prove the record: bad input
    "RegistryInvalidProfile": "invalid",
    "DisclosureInvalidMetrics": "invalid",
    "DisclosureTextTooLong": "invalid",
    "ERC2771ForwarderMismatchedValue": "invalid",
    "ERC2771ForwarderNoRefundReceiver": "invalid",
    "InvalidShortString": "invalid",
    "StringTooLong": "invalid",
    # conflict (409): a rule refuses the call in the ledger's current state
    "BatchAlreadyRecorded": "conflict",
    "BatchInputNotFound": "conflict",
    "BatchInputNotHeld": "conflict",
    "BatchInsufficientQuantity": "conflict",
    "BatchNotHolder": "conflict",
    "BatchSelfTransfer": "conflict",
    "BatchAnchorExists": "conflict",
    "EventsRootExists": "conflict",
    "RegistryAlreadyRegistered": "conflict",
    "RegistrySiteTaken": "conflict",
    "DisclosureAlreadyPublished": "conflict",
    "DisclosureAlreadyAttested": "conflict",
    "FailedCall": "conflict",
    "InsufficientBalance": "conflict",
}
#: Errors whose arguments count thousandths (of a batch's unit; of a kg for emissions): their message adds the
#: figures in units, where the user meets them.
THOUSANDTHS: dict[str, tuple[str, ...]] = {
    "BatchInsufficientQuantity": ("requested", "available"),
    "BatchValueOutOfRange": ("value", "max"),
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _kind(name: str) -> ErrorKind:
    try:
        return ERROR_KINDS[name]
    except KeyError:
        raise LookupError(
            f"contract error {name} has no entry in ledger.chain.revert.ERROR_KINDS: say whether "
            "a caller meets it as not_found, forbidden, invalid or conflict"
        ) from None


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
                "kind": _kind(self.name),
                "code": _snake(self.name),
                "__doc__": f"Solidity `{self.name}({', '.join(self.types)})`.",
                "__module__": __name__,
            },
        )

    def _in_units(self, args: dict[str, Any]) -> str | None:
        names = THOUSANDTHS.get(self.name)
        if not names or not all(isinstance(args.get(n), int) for n in names):
            return None
        unit = (
            "kg CO2e"
            if args.get("field") == "processEmissions"
            else "the input's unit"
            if self.name == "BatchInsufficientQuantity"
            else "the batch's unit"
        )
        figures = ", ".join(f"{n} {from_milli(args[n]):f}" for n in names)
        return (
            f"{self.name}({', '.join(f'{k}={v}' for k, v in args.items())}): in {unit}, {figures} (the "
            "contract counts thousandths)"
        )

    def _role_refusal(self, args: dict[str, Any]) -> str | None:
        """`AccessControlUnauthorizedAccount(account, neededRole)` names the role by its name, not its hash."""
        if "needed_role" not in args:
            return None
        role = role_label(args["needed_role"])
        rendered = ", ".join(f"{k}={role if k == 'needed_role' else v}" for k, v in args.items())
        return f"{self.name}({rendered}): {args.get('account', 'the account')} lacks the {role} role"

    def build(self, payload: bytes) -> ContractRevertError:
        try:
            values = CHAIN_CODEC.decode(self.types, payload) if self.types else ()
        except Exception:  # eth_abi raises several decoding errors: data with our selector but not our arguments
            return UnknownRevertError({"data": "0x" + (bytes.fromhex(self.selector.hex()) + payload).hex()})
        args = {n: _normalise(t, v) for n, t, v in zip(self.names, self.types, values, strict=True)}
        return self.exception(args, message=self._in_units(args) or self._role_refusal(args))


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
