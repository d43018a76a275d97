"""Every custom error in the ABIs has a Python exception class and a caller-facing kind."""

import pytest

from ledger.chain.compile import load_artifact
from ledger.chain.revert import decode_revert, error_classes
from ledger.domain.errors import ContractRevertError

KINDS = {"not_found", "forbidden", "invalid", "conflict"}


def abi_errors() -> list[str]:
    names = set()
    for artifact in ("ProvenanceLedger", "ProvenanceForwarder"):
        names |= {e["name"] for e in load_artifact(artifact).abi if e["type"] == "error"}
    return sorted(names)


@pytest.mark.parametrize("name", abi_errors())
def test_every_abi_error_has_a_typed_exception_with_a_kind(name: str) -> None:
    cls = error_classes()[name]
    assert issubclass(cls, ContractRevertError)
    assert cls.error_name == name
    assert cls.kind in KINDS


def test_revert_data_decodes_to_the_named_error_with_its_arguments() -> None:
    from eth_abi import encode
    from eth_utils import function_signature_to_4byte_selector

    selector = function_signature_to_4byte_selector("BatchInsufficientQuantity(bytes32,bytes32,uint64,uint64)")
    data = selector + encode(["bytes32", "bytes32", "uint64", "uint64"], [b"\1" * 32, b"\2" * 32, 5, 3])
    error = decode_revert(data)
    assert type(error).__name__ == "BatchInsufficientQuantity"
    assert error.args_by_name == {
        "batch_id": "0x" + "01" * 32,
        "input_id": "0x" + "02" * 32,
        "requested": 5,
        "available": 3,
    }
