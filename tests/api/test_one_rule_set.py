"""One set of rules per write: the same bad input sent through each path that writes (`Ledger`, the Python request
helper, `ledger sign`, and the API relaying calldata signed elsewhere, here built without any Python check) gets the
same refusal, naming the same field, before anything is sent."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.apiclient.signer import calldata
from ledger.chain.calls import encode_call
from ledger.chain.codec import batch_record
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.domain.errors import ValidationError
from ledger.domain.types import FlagKind, InputUse, NewBatch
from tests.api.conftest import Signer, TestClient, assert_problem
from tests.api.test_writes import lint

NEXT_YEAR = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
BAD_BATCHES: dict[str, tuple[dict[str, Any], str]] = {
    "produced next year": ({"produced_at": NEXT_YEAR}, "produced_at"),
    "ten trillion kg": ({"quantity": Decimal(10**13)}, "quantity"),
    "GTIN check digit": ({"gtin": "06901234000014"}, "gtin"),
    "lot of 21 characters": ({"lot": "L" * 21}, "lot"),
    "unit outside Rec 20": ({"unit": "XYZ"}, "unit"),
    "input of zero": ({"inputs": (InputUse("0x" + "ab" * 32, Decimal(0)),)}, "inputs.quantity"),  # type: ignore[arg-type]
    "a gigatonne and more": ({"process_emissions_kg": Decimal(10**12 + 1)}, "process_emissions_kg"),
}
BAD_FLAGS = {"empty reason": ("", "reason"), "reason over 1024 bytes": ("é" * 513, "reason")}


def first_clause(message: str) -> str:
    """The refusal without its parenthetical (the latest accepted time is computed at each refusal)."""
    return re.sub(r" \(latest accepted [^)]*\)", "", message.splitlines()[-1].removeprefix("error: ")).strip()


def refusal(fn: Any) -> tuple[str, str | None]:
    with pytest.raises(ValidationError) as caught:
        fn()
    return first_clause(str(caught.value)), caught.value.field


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["sign", *args, "--demo-participant", "gin-gujarat", "--api", "http://0.0.0.0:1"])
    assert result.exit_code == 1, result.output
    return first_clause(result.output)


@pytest.mark.parametrize("case", sorted(BAD_BATCHES))
def test_a_bad_batch_is_refused_alike_by_every_path(
    case: str, demo_ledger: Ledger, world: DemoWorld, client: TestClient, signer: Signer
) -> None:
    change, field = BAD_BATCHES[case]
    bad: NewBatch = dataclasses.replace(lint("RULES-1"), **change)
    gin = world.account("gin-gujarat")
    by_ledger = refusal(lambda: demo_ledger.record_batch(gin, bad))
    assert by_ledger[1] == field
    assert refusal(lambda: calldata.record_batch(bad)) == by_ledger
    assert refusal(lambda: calldata.record_batches([bad]))[1] == field
    unchecked = encode_call("recordBatch", batch_record(bad))  # what a wallet could sign: no Python check at all
    body = assert_problem(client.post("/batches", json=signer.body(gin, unchecked)), 422)
    assert (first_clause(body["detail"]), body["field"]) == by_ledger
    args = [
        "record-batch",
        "--gtin",
        bad.gtin,
        "--lot",
        bad.lot,
        "--hs-code",
        bad.hs_code,
        "--quantity",
        str(bad.quantity),
        "--unit",
        bad.unit,
        "--facility",
        bad.facility,
        "--produced-at",
        bad.produced_at.isoformat(),
    ]
    args += [f"--input={i.batch_id}={i.quantity}" for i in bad.inputs]
    if bad.process_emissions_kg is not None:
        args += ["--emissions", str(bad.process_emissions_kg)]
    assert cli(*args) == by_ledger[0]
    assert demo_ledger.nonce(gin.address) == signer.nonce(gin)  # nothing was sent by any path


@pytest.mark.parametrize("case", sorted(BAD_FLAGS))
def test_a_bad_flag_is_refused_alike_by_every_path(
    case: str, demo_ledger: Ledger, world: DemoWorld, client: TestClient, signer: Signer
) -> None:
    reason, field = BAD_FLAGS[case]
    weaving = world.account("weaving")
    fabric = world.batches["fabric-a"]
    by_ledger = refusal(lambda: demo_ledger.flag_batch(weaving, fabric, FlagKind.RECALL, reason))
    assert by_ledger[1] == field
    assert refusal(lambda: calldata.flag_batch(fabric, FlagKind.RECALL, reason)) == by_ledger
    unchecked = encode_call("flagBatch", bytes.fromhex(fabric[2:]), 0, reason)
    body = assert_problem(client.post(f"/batches/{fabric}/flags", json=signer.body(weaving, unchecked)), 422)
    assert (first_clause(body["detail"]), body["field"]) == by_ledger
    assert cli("flag", "--batch", fabric, "--kind", "recall", "--reason", reason) == by_ledger[0]
