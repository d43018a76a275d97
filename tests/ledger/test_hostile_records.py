"""Whatever the contract accepts, every reader can read.

A participant can send any calldata straight to the contract, bypassing every Python check: here each write carries
the most hostile values the contract's types and bounds still allow (quantities and emissions at their bounds, a
production time at the edge of the clock-skew allowance, lots and units that are not ASCII, texts that are not UTF-8,
int256 metrics with 255 decimals, the most documents a record may carry), on a real anvil node. Then every read route
of the API answers, and the values come back exactly. What the contract must refuse (the values that once poisoned
the index) is refused with its custom error.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi import encode
from eth_account.signers.local import LocalAccount

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger.chain.calls import encode_call
from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError
from ledger.domain.rules import (
    MAX_DOCUMENTS,
    MAX_EMISSIONS_GRAMS,
    MAX_FUTURE_SECONDS,
    MAX_QUANTITY_MILLI,
    MAX_TEXT_BYTES,
)
from ledger.domain.types import Role
from tests.api.conftest import login
from tests.conftest import ChainUnderTest
from tests.ledger.builders import gln, register

NOT_UTF8 = b"\xff\xfe not utf-8 \xc3\x28 <script>alert(1)</script>"
LOT = b"\xfe\xed" + b"LOT" + b"\x80" * 15  # 20 bytes, not ASCII
GTIN = 10**14 - 1


def raw_call(name: str, types: list[str], values: list[Any]) -> str:
    """Calldata for `name` encoded with `types`: `bytes` where the ABI says `string`, so a text can be any bytes."""
    from ledger.chain.calls import _functions

    return "0x" + (_functions()[name].selector + encode(types, values)).hex()


RECORD = "(uint64,bytes32,uint32,uint64,bytes3,uint64,uint64,bool,uint64,(bytes32,uint64)[],(bytes32,uint8)[])"


def record(
    lot: bytes,
    *,
    quantity: int,
    produced_at: int,
    inputs: list[tuple[bytes, int]] = (),  # type: ignore[assignment]
    documents: int = 0,
    emissions: int = MAX_EMISSIONS_GRAMS,
) -> tuple[Any, ...]:
    return (
        GTIN,
        lot.ljust(32, b"\0"),
        999_999,
        quantity,
        b"\xff\x00\x01",
        int(gln(1)),
        produced_at,
        True,
        emissions,
        list(inputs),
        [(bytes([i]) * 32, 6) for i in range(documents)],
    )


@pytest.fixture
def anvil_ledger(anvil_chain: ChainUnderTest) -> Iterator[Ledger]:
    with anvil_chain.chain.isolated():
        instance = anvil_chain.ledger()
        yield instance
        instance.close()


def fund(ledger: Ledger, account: LocalAccount) -> None:
    ledger.chain.send({"to": account.address, "value": 10**18}, gas=21_000)  # type: ignore[typeddict-item]


def direct(ledger: Ledger, account: LocalAccount, data: str) -> None:
    """The participant's own transaction to the ledger: no forwarder, no Python validation."""
    ledger.chain.send({"to": ledger.deployment.ledger, "data": data}, account=account)  # type: ignore[typeddict-item]


@pytest.fixture
def hostile(anvil_ledger: Ledger) -> dict[str, Any]:
    ledger = anvil_ledger
    factory = register(ledger, "hostile factory", 1)
    buyer = register(ledger, "hostile buyer", None, roles=())
    auditor = register(ledger, "hostile auditor", None, roles=(Role.AUDITOR,), organisation="another org")
    for who in (factory, buyer, auditor):
        fund(ledger, who)
    now = int(ledger.chain.w3.eth.get_block("latest")["timestamp"])
    edge = now + MAX_FUTURE_SECONDS - 300  # still inside the allowance when the next block is mined
    direct(
        ledger,
        factory,
        encode_call("recordBatch", record(LOT, quantity=MAX_QUANTITY_MILLI, produced_at=edge, documents=MAX_DOCUMENTS)),
    )
    raw_id = bytes.fromhex(_batch_id(factory.address, LOT)[2:])
    output_lot = b"OUT-\xff"
    direct(
        ledger,
        factory,
        encode_call(
            "recordBatch",
            record(output_lot, quantity=1, produced_at=0, inputs=[(raw_id, MAX_QUANTITY_MILLI)], emissions=0),
        ),
    )
    direct(ledger, factory, raw_call("flagBatch", ["bytes32", "uint8", "bytes"], [raw_id, 1, NOT_UTF8]))
    direct(ledger, factory, raw_call("flagBatch", ["bytes32", "uint8", "bytes"], [raw_id, 0, b"\xff" * MAX_TEXT_BYTES]))
    output_id = bytes.fromhex(_batch_id(factory.address, output_lot)[2:])
    direct(ledger, factory, encode_call("transferCustody", output_id, buyer.address))

    metrics = [
        (b"\xff" * 32, 2**255 - 1, 255, b"\xfe" * 16),
        (b"GHG_SCOPE1".ljust(32, b"\0"), -(2**255), 0, b"tCO2e".ljust(16, b"\0")),
    ]
    metric = "(bytes32,int256,uint8,bytes16)[]"
    period, framework = b"9999-Q9".ljust(16, b"\0"), b"\xff\xffX".ljust(8, b"\0")
    direct(
        ledger,
        factory,
        raw_call(
            "publishDisclosure",
            ["bytes16", "bytes8", metric, "bytes32", "bytes", "bool"],
            [period, framework, metrics, b"\1" * 32, NOT_UTF8, True],
        ),
    )
    disclosure = _disclosure_id(factory.address, framework, period)
    direct(
        ledger,
        factory,
        raw_call(
            "amendDisclosure",
            ["bytes32", metric, "bytes32", "bytes", "bytes", "bool"],
            [disclosure, metrics[:1], b"\2" * 32, b"", NOT_UTF8, False],
        ),
    )
    direct(ledger, auditor, encode_call("attestDisclosure", disclosure, 2, 1, 2, b"\3" * 32))
    direct(ledger, auditor, raw_call("revokeAttestation", ["bytes32", "uint32", "bytes"], [disclosure, 2, NOT_UTF8]))
    return {
        "ledger": ledger,
        "factory": factory,
        "buyer": buyer,
        "auditor": auditor,
        "raw": "0x" + raw_id.hex(),
        "output": "0x" + output_id.hex(),
        "disclosure": "0x" + disclosure.hex(),
    }


def _batch_id(producer: str, lot: bytes) -> str:
    from eth_utils import keccak

    return "0x" + keccak(encode(["address", "uint64", "bytes32"], [producer, GTIN, lot.ljust(32, b"\0")])).hex()


def _disclosure_id(participant: str, framework: bytes, period: bytes) -> bytes:
    from eth_utils import keccak

    return keccak(encode(["address", "bytes8", "bytes16"], [participant, framework, period]))


@pytest.mark.anvil
def test_every_read_route_answers_for_the_most_hostile_records_the_contract_accepts(hostile: dict[str, Any]) -> None:
    ledger: Ledger = hostile["ledger"]
    raw, output, disclosure = hostile["raw"], hostile["output"], hostile["disclosure"]
    with TestClient(create_app(ApiSettings(), ledger)) as client:
        client.headers.update(login(client, ledger.chain.operator))  # as the admin

        def ok(path: str, **kwargs: Any) -> Any:
            reply = client.request(kwargs.pop("method", "GET"), path, **kwargs)
            assert reply.status_code == 200, (path, reply.text)
            return reply

        health = ok("/health").json()
        assert health["status"] == "ok" and health["unreadable_events"] == 0 and health["lag"] == 0
        detail = ok(f"/batches/{raw}").json()
        assert detail["quantity"] == "1000000000000" and detail["remaining"] == "0"
        assert detail["process_emissions_kg"] == "1000000000000" and len(detail["documents"]) == MAX_DOCUMENTS
        assert detail["lot"] == "\\xfe\\xedLOT" + "\\x80" * 15 and detail["unit"] == "\\xff\\x00\\x01"
        assert detail["hs_code"] == "999999" and detail["gtin"] == str(GTIN)
        assert detail["produced_at"] is not None and detail["index_problems"] == []
        assert detail["flags"][0]["reason"].startswith("\\xff\\xfe not utf-8")
        assert ok(f"/batches/{output}").json()["holder"] == hostile["buyer"].address
        assert ok("/batches", params={"producer": hostile["factory"].address}).json()["items"]
        for fmt in ("json", "mermaid", "dot"):
            ok(f"/batches/{output}/trace", params={"format": fmt})
        ok(f"/batches/{output}/recording")
        report = ok("/due-diligence", method="POST", json={"batch_id": output}).json()
        assert report["verdict"] == "FAIL"  # the input is under an active recall
        html = ok("/due-diligence", method="POST", json={"batch_id": output}, headers={"Accept": "text/html"}).text
        assert "<script>alert" not in html  # hostile text is escaped
        ok(f"/due-diligence/{output}", params={"format": "json"})
        ok(f"/participants/{hostile['factory'].address}")
        ok(f"/participants/{hostile['factory'].address}/nonce")
        shown = ok(f"/disclosures/{disclosure}").json()
        first = shown["versions"][0]["metrics"]
        assert first[0]["value"].startswith("5.789604461865809771178549250434395392663499233282028201972879200395656")
        assert first[1]["value"] == str(-(2**255))
        assert shown["audited"] is False  # the only attestation was revoked
        assert ok("/disclosures").json()["items"]
        for fmt in ("csv", "json", "xlsx"):
            ok("/disclosures/export", params={"format": fmt})
        ok("/eip712/domain")


@pytest.mark.anvil
@pytest.mark.parametrize(
    ("what", "error", "field"),
    [
        ("quantity", "BatchValueOutOfRange", "quantity"),
        ("produced_at", "BatchProducedInFuture", None),
        ("emissions", "BatchValueOutOfRange", "processEmissions"),
        ("lot", "BatchInvalidRecord", "lot"),
    ],
)
def test_the_values_that_once_poisoned_the_index_are_refused_by_the_contract(
    anvil_ledger: Ledger, what: str, error: str, field: str | None
) -> None:
    ledger = anvil_ledger
    factory = register(ledger, "poisoner", 1)
    fund(ledger, factory)
    values = {"quantity": 1000, "produced_at": 1_750_000_000, "emissions": 0, "lot": b"LOT-1"}
    values |= {
        "quantity": {"quantity": 2**63},
        "produced_at": {"produced_at": 10**12},
        "emissions": {"emissions": MAX_EMISSIONS_GRAMS + 1},
        "lot": {"lot": b"L" * 21},
    }[what]
    data = encode_call(
        "recordBatch",
        record(
            values["lot"], quantity=values["quantity"], produced_at=values["produced_at"], emissions=values["emissions"]
        ),
    )
    with pytest.raises(ContractRevertError) as refused:
        direct(ledger, factory, data)
    assert refused.value.error_name == error
    if field is not None:
        assert refused.value.args_by_name["field"] == field
    assert ledger.sync().indexed_block == ledger.chain.head  # nothing stops the index


@pytest.mark.anvil
def test_a_flag_reason_of_95_kb_is_refused_by_the_contract(anvil_ledger: Ledger) -> None:
    ledger = anvil_ledger
    factory = register(ledger, "verbose", 1)
    fund(ledger, factory)
    direct(ledger, factory, encode_call("recordBatch", record(b"LOT-1", quantity=1000, produced_at=1_750_000_000)))
    with pytest.raises(ContractRevertError) as refused:
        direct(
            ledger,
            factory,
            encode_call("flagBatch", bytes.fromhex(_batch_id(factory.address, b"LOT-1")[2:]), 0, "x" * 95_000),
        )
    assert refused.value.error_name == "BatchTextTooLong"
    assert refused.value.args_by_name == {"field": "reason", "length": 95_000, "max": MAX_TEXT_BYTES}
