"""Batch writes: record (one or in bulk), hand over custody, flag, anchor. Each function validates its input and
returns the ledger calldata; `CHECKS` re-checks calldata signed anywhere else by the same rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ledger.chain.calls import encode_call
from ledger.chain.codec import batch_record, from_hex, new_batch_of
from ledger.domain import rules
from ledger.domain import validation as v
from ledger.domain.errors import ValidationError
from ledger.domain.types import FlagKind, NewBatch

FLAG_KINDS = list(FlagKind)
#: Records per `recordBatches` call: about 41k gas each, so a bulk stays well inside one transaction's gas cap
#: (EIP-7825: 16,777,216) and the relayer's per-request gas budget.
MAX_BULK_RECORDS = 250


def validate_batch(batch: NewBatch, *, now: float | None = None) -> NewBatch:
    """The one set of rules for a batch record, whoever writes it: the same bounds the contract enforces (quantity,
    emissions, production time at most `rules.MAX_FUTURE_SECONDS` ahead of `now`), plus what the contract cannot
    check (GS1 check digits and lot characters, UN/ECE Rec 20 units). Returns the batch with a normalised GTIN and
    HS code."""
    gtin = v.gtin(batch.gtin)
    v.lot(batch.lot)
    hs_code = v.hs_code(batch.hs_code)
    v.quantity(batch.quantity)
    v.unit(batch.unit)
    v.gln(batch.facility)
    v.timestamp(batch.produced_at, now=now)
    if len(batch.inputs) > rules.MAX_INPUTS:
        raise ValidationError(f"at most {rules.MAX_INPUTS} inputs per batch, got {len(batch.inputs)}", field="inputs")
    if len(batch.documents) > rules.MAX_DOCUMENTS:
        raise ValidationError(
            f"at most {rules.MAX_DOCUMENTS} documents per batch, got {len(batch.documents)}", field="documents"
        )
    for use in batch.inputs:
        v.batch_id(use.batch_id)
        v.quantity(use.quantity, "inputs.quantity")
    for doc in batch.documents:
        v.hash32(doc.hash, "documents.hash")
    if batch.process_emissions_kg is not None:
        v.quantity(
            batch.process_emissions_kg, "process_emissions_kg", allow_zero=True, maximum_milli=rules.MAX_EMISSIONS_GRAMS
        )
    return replace(batch, gtin=gtin, hs_code=hs_code)  # every other field as given: a new field needs no line here


def validate_bulk(batches: Sequence[NewBatch], *, now: float | None = None) -> list[NewBatch]:
    """Every batch of a bulk, each error naming its position; no GTIN and lot twice (one producer signs the bulk, so
    that is one batch id twice); at most `MAX_BULK_RECORDS`."""
    if not batches:
        raise ValidationError("no batches to record", field="batches")
    if len(batches) > MAX_BULK_RECORDS:
        raise ValidationError(f"at most {MAX_BULK_RECORDS} batches per bulk, got {len(batches)}", field="batches")
    checked = []
    first: dict[tuple[str, str], int] = {}
    for index, batch in enumerate(batches):
        try:
            checked.append(validate_batch(batch, now=now))
        except ValidationError as exc:
            raise ValidationError(
                f"batch #{index} (lot {v.shown(batch.lot)}): {exc}", field=exc.field, index=index
            ) from None
        key = (checked[-1].gtin, batch.lot)
        if key in first:
            raise ValidationError(
                f"batch #{index} repeats batch #{first[key]} (GTIN {batch.gtin} lot {batch.lot})",
                field="lot",
                index=index,
            )
        first[key] = index
    return checked


def record_batch(batch: NewBatch) -> str:
    return encode_call("recordBatch", batch_record(validate_batch(batch)))


def record_batches(batches: Sequence[NewBatch], *, now: float | None = None) -> str:
    """`recordBatches`; `now` is the time production times are checked against (default: the wall clock)."""
    return encode_call("recordBatches", [batch_record(b) for b in validate_bulk(batches, now=now)])


def transfer_custody(batch_id: str, to: str) -> str:
    recipient = v.address(to, "to")
    if int(recipient, 16) == 0:
        raise ValidationError("custody cannot go to the zero address", field="to")
    return encode_call("transferCustody", from_hex(v.batch_id(batch_id)), recipient)


def flag_batch(batch_id: str, kind: FlagKind | str, reason: str) -> str:
    try:
        flag = FlagKind(kind)
    except ValueError:
        raise ValidationError(
            f"flag kind {v.shown(kind)} is not one of {', '.join(FLAG_KINDS)}", field="kind"
        ) from None
    v.text(reason, "reason", max_bytes=rules.MAX_TEXT_BYTES)
    return encode_call("flagBatch", from_hex(v.batch_id(batch_id)), FLAG_KINDS.index(flag), reason)


def anchor_batches(root: str, count: int, uri: str) -> str:
    raw = v.merkle_commitment(root, count, "records")
    v.text(uri, "uri", max_bytes=rules.MAX_URI_BYTES, required=False)
    return encode_call("anchorBatches", raw, count, uri)


def claim_anchored_batch(root: str, batch: NewBatch, proof: Sequence[str]) -> str:
    """Bring an anchored record on chain (`claimAnchoredBatch`): the record by every rule of a batch, the proof a
    list of 32-byte siblings (at most 64: a tree of 2**64 leaves)."""
    if len(proof) > 64:
        raise ValidationError(f"a proof has at most 64 hashes, got {len(proof)}", field="proof")
    return encode_call(
        "claimAnchoredBatch",
        from_hex(v.hash32(root, "root")),
        batch_record(validate_batch(batch)),
        [from_hex(v.hash32(p, "proof")) for p in proof],
    )


# -- the same rules for calldata signed elsewhere ---------------------------------------------------------------


def _check_record(args: Mapping[str, Any], sender: str) -> None:
    validate_batch(new_batch_of(args["record"]))


def _check_records(args: Mapping[str, Any], sender: str) -> None:
    records = args["records"]
    if len(records) > MAX_BULK_RECORDS:  # before decoding them all
        raise ValidationError(f"at most {MAX_BULK_RECORDS} batches per bulk, got {len(records)}", field="batches")
    batches = []
    for index, record in enumerate(records):
        try:
            batches.append(new_batch_of(record))
        except ValidationError as exc:
            raise ValidationError(f"batch #{index}: {exc}", field=exc.field, index=index) from None
    validate_bulk(batches)


def _check_claim(args: Mapping[str, Any], sender: str) -> None:
    claim_anchored_batch(args["root"], new_batch_of(args["record"]), args["proof"])


def _check_custody(args: Mapping[str, Any], sender: str) -> None:
    transfer_custody(args["batchId"], args["to"])


def _check_flag(args: Mapping[str, Any], sender: str) -> None:
    if not 0 <= int(args["kind"]) < len(FLAG_KINDS):
        raise ValidationError(f"flag kind {args['kind']} is not one of the contract's {len(FLAG_KINDS)}", field="kind")
    flag_batch(args["batchId"], FLAG_KINDS[int(args["kind"])], args["reason"])


def _check_anchor(args: Mapping[str, Any], sender: str) -> None:
    anchor_batches(args["root"], int(args["count"]), args["uri"])


CHECKS: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    "recordBatch": _check_record,
    "recordBatches": _check_records,
    "transferCustody": _check_custody,
    "flagBatch": _check_flag,
    "anchorBatches": _check_anchor,
    "claimAnchoredBatch": _check_claim,
}
