"""A contract's refusal reaches the API caller with the status of its kind and the decoded error in the problem.

Each write here passes every Python check and is refused by the contract in the relay's dry run; the problem body
carries the Solidity error's name and arguments, and the status is the one `ledger.chain.revert.ERROR_KINDS` gives it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from api.problems import KIND_STATUS
from ledger.apiclient.signer import calldata
from ledger.chain.codec import batch_id_of
from ledger.chain.revert import ERROR_KINDS
from ledger.client import Ledger
from ledger.demo.apparel import GTIN_LINT, DemoWorld, doc
from ledger.domain import validation
from ledger.domain.types import AssuranceLevel, Gln, NewBatch, Opinion
from tests.api.conftest import Signer, TestClient, assert_problem
from tests.api.test_writes import lint

UNKNOWN_ROOT = "0x" + "cd" * 32


def refused(reply: Any, status: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The reply is the problem for contract error `name` with these arguments, with `status` (its kind's)."""
    assert KIND_STATUS[ERROR_KINDS[name]] == status
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    body = assert_problem(reply, status, code)
    assert body["error"] == {"name": name, "args": args}
    return body


def test_the_four_kinds_are_the_four_statuses() -> None:
    assert KIND_STATUS == {"not_found": 404, "forbidden": 403, "invalid": 422, "conflict": 409}
    assert set(ERROR_KINDS.values()) == KIND_STATUS.keys()


def test_contract_refusals_carry_their_status_and_decoded_error(
    client: TestClient, signer: Signer, world: DemoWorld, demo_ledger: Ledger
) -> None:
    gin, garment, auditor = world.account("gin-gujarat"), world.account("garment"), world.account("auditor")

    claim = calldata.claim_anchored_batch(UNKNOWN_ROOT, lint("CLAIM-1"), [])
    refused(client.post("/batches", json=signer.body(gin, claim)), 404, "BatchAnchorNotFound", {"root": UNKNOWN_ROOT})

    spinning_disclosure = world.disclosures["spinning"]
    attest = calldata.attest(spinning_disclosure, 9, AssuranceLevel.LIMITED, Opinion.UNMODIFIED, doc("v9"))
    refused(
        client.post(f"/disclosures/{spinning_disclosure}/attestations", json=signer.body(auditor, attest)),
        404,
        "DisclosureVersionNotFound",
        {"disclosure_id": spinning_disclosure, "version": 9},
    )

    fabric = world.batches["fabric-a"]  # held by the garment factory
    to_itself = calldata.transfer_custody(fabric, garment.address)
    refused(
        client.post(f"/batches/{fabric}/custody", json=signer.body(garment, to_itself)),
        409,
        "BatchSelfTransfer",
        {"batch_id": fabric},
    )

    gin_disclosure = world.disclosures["gin-gujarat"]  # attested by the auditor in the demo
    again = calldata.attest(gin_disclosure, 1, AssuranceLevel.REASONABLE, Opinion.UNMODIFIED, doc("again"))
    refused(
        client.post(f"/disclosures/{gin_disclosure}/attestations", json=signer.body(auditor, again)),
        409,
        "DisclosureAlreadyAttested",
        {"disclosure_id": gin_disclosure, "version": 1, "auditor": auditor.address},
    )

    spinning = world.account("spinning")
    demo_ledger.set_suspended(spinning.address, True, "certificate withdrawn")
    yarn = NewBatch(
        GTIN_LINT,
        "SUSPENDED-1",
        "520512",
        Decimal(5),
        "KGM",
        Gln("8931234000011"),
        datetime.now(UTC).replace(microsecond=0),
    )
    refused(
        client.post("/batches", json=signer.body(spinning, calldata.record_batch(yarn))),
        403,
        "RegistryParticipantSuspended",
        {"account": spinning.address},
    )


def test_a_production_time_the_service_accepts_but_the_chain_does_not_is_422(
    client: TestClient, signer: Signer, world: DemoWorld, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's clock runs hours ahead of the chain's: its own check lets the time pass, the contract (which
    allows an hour after the block's time) refuses it, and the caller still gets 422 with the contract's figures."""
    chain_now = int(demo_ledger.chain.w3.eth.get_block("latest")["timestamp"])
    produced = datetime.fromtimestamp(max(chain_now, int(time.time())), UTC) + timedelta(hours=2)
    monkeypatch.setattr(validation, "time", SimpleNamespace(time=lambda: time.time() + 4 * 3_600))
    gin = world.account("gin-gujarat")
    batch = NewBatch(GTIN_LINT, "SKEW-1", "520100", Decimal(5), "KGM", Gln("8901234000014"), produced)
    body = assert_problem(
        client.post("/batches", json=signer.body(gin, calldata.record_batch(batch))), 422, "batch_produced_in_future"
    )
    error = body["error"]
    assert error["name"] == "BatchProducedInFuture"
    args = error["args"]
    assert args["batch_id"] == batch_id_of(gin.address, GTIN_LINT, "SKEW-1")
    assert args["produced_at"] == int(produced.timestamp())
    assert chain_now + 3_600 <= args["latest_allowed"] < args["produced_at"]


def test_every_ledger_error_class_answers_the_status_of_its_most_specific_listed_class() -> None:
    """One table (`api.problems.STATUS`) answers for every error class: a subclass inherits its parent's status
    unless it is listed itself; only a failure of the service (toolchain, the bare base class) is left to 500."""
    from api.problems import STATUS, listed_class
    from ledger.domain import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.LedgerError)]
    unlisted = {c.__name__ for c in classes if listed_class(c) is None}
    assert unlisted == {"LedgerError", "ToolchainError"}
    status = {c.__name__: STATUS[listed] for c in classes if (listed := listed_class(c)) is not None}
    assert (status["DocumentMismatchError"], status["DocumentTooLargeError"], status["CaptureTooLargeError"]) == (
        422,
        413,
        413,
    )
    assert (status["ChainMismatchError"], status["StoreDamagedError"], status["UploadBudgetError"]) == (503, 503, 429)
