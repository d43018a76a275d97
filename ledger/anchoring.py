"""Merkle-anchored batch records: many records kept off chain, one root committed on chain.

The tree is OpenZeppelin-compatible (what `MerkleProof.verify` accepts):

- a leaf is `keccak256(keccak256(abi.encode(producer, record)))`, double-hashed like OpenZeppelin's
  `StandardMerkleTree`, so that a 64-byte leaf preimage can never pass for an inner node;
- an inner node is `keccak256(sorted(a, b))` (commutative pair hashing), so a proof is just the list of siblings.

An *anchor bundle* (JSON, see `AnchorBundle`) carries the root, the producer, every record and its proof: whoever
holds it can prove one record against the root anchored on chain (`ledger verify-batch`).

What an anchor proves is limited to what the contract can check of a record that is not on chain: a raw-material
record (no inputs), whose id is not recorded, within every bound of a batch at the time the root was anchored, at one
of the producer's sites (`verifyAnchoredBatch`). A record with inputs, or one that contradicts a recorded batch, is
proven by nothing until its producer brings it on chain (`claim_anchored`, contract `claimAnchoredBatch`): then the
contract checks its proof once and records it under every rule of a batch (inputs held, mass balance), and it is an
ordinary recorded batch. Anchored-only records never take part in any lineage: no batch can consume them.

Over 400 lines on purpose: the tree, the bundle format and the claim rules are one protocol whose checks must agree
(what a proof proves is decided by what the bundle carries); kept together so a reader sees all of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, NewType, Union, get_args, get_origin, get_type_hints

from eth_abi import encode as abi_encode
from eth_utils import keccak

from ledger.chain.codec import abi_type, batch_record, checksum, from_hex, hex32
from ledger.chain.codec import batch_id_of as _batch_id_of
from ledger.chain.compile import load_artifact
from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.jsonlimits import load_json
from ledger.domain.types import Address, BatchId, BatchRecording, Hash32, NewBatch, TxResult

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ledger.chain.connection import Chain
    from ledger.client import Ledger

BUNDLE_FORMAT = "provenance-ledger/anchor-bundle@1"


@cache
def record_abi_type() -> str:
    """The ABI type string of `IBatchLedger.BatchRecord`, taken from the compiled ABI (never hand-written)."""
    for entry in load_artifact("ProvenanceLedger").abi:
        if entry.get("type") == "function" and entry.get("name") == "verifyAnchoredBatch":
            return abi_type(entry["inputs"][2])
    raise LookupError("verifyAnchoredBatch not in the ProvenanceLedger ABI")  # pragma: no cover


# -- the tree -----------------------------------------------------------------------------------------------------


def leaf_hash(producer: str, record: tuple[Any, ...]) -> bytes:
    """The leaf of `record` (a `BatchRecord` tuple) by `producer`, as `verifyAnchoredBatch` computes it."""
    return keccak(keccak(abi_encode(["address", record_abi_type()], [checksum(producer), record])))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """OpenZeppelin's `MerkleProof.processProof`: fold the siblings into the root."""
    computed = leaf
    for sibling in proof:
        computed = hash_pair(computed, sibling)
    return computed


class MerkleTree:
    """A binary tree over leaves in the given order; an odd node at the end of a level moves up unchanged."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValidationError("a Merkle tree needs at least one leaf", field="batches")
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            above = [hash_pair(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            self.levels.append(above)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        siblings = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                siblings.append(level[sibling])
            index //= 2
        return siblings


# -- bundles ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchoredRecord:
    """One record of an anchor bundle with its proof."""

    batch_id: BatchId
    batch: NewBatch
    proof: tuple[Hash32, ...]


@dataclass(frozen=True)
class AnchorBundle:
    """What a factory keeps (and hands to auditors or buyers) after anchoring: root, records, proofs."""

    root: Hash32
    producer: Address
    records: tuple[AnchoredRecord, ...]
    uri: str = ""
    chain_id: int | None = None
    ledger: Address | None = None

    def record_by_lot(self, lot: str) -> AnchoredRecord:
        for item in self.records:
            if item.batch.lot == lot:
                return item
        raise NotFoundError(f"no record with lot {lot!r} in the bundle of root {self.root}")

    def record_by_id(self, batch_id: str) -> AnchoredRecord:
        for item in self.records:
            if item.batch_id.lower() == batch_id.lower():
                return item
        raise NotFoundError(f"no record {batch_id} in the bundle of root {self.root}")

    def to_json(self) -> str:
        body = {
            "format": BUNDLE_FORMAT,
            "chain_id": self.chain_id,
            "ledger": self.ledger,
            "root": self.root,
            "producer": self.producer,
            "uri": self.uri,
            "records": [
                {"batch_id": r.batch_id, "record": _batch_to_json(r.batch), "proof": list(r.proof)}
                for r in self.records
            ],
        }
        return json.dumps(body, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AnchorBundle:
        try:
            body = load_json(text)  # UTF-8, depth bounded, on the text it parses
            if body.get("format") != BUNDLE_FORMAT:
                raise ValidationError(f"not an anchor bundle (format {body.get('format')!r})", field="format")
            records = tuple(
                AnchoredRecord(
                    BatchId(r["batch_id"]), _batch_from_json(r["record"]), tuple(Hash32(p) for p in r["proof"])
                )
                for r in body["records"]
            )
            return cls(
                Hash32(body["root"]),
                checksum(body["producer"]),
                records,
                body.get("uri", ""),
                body.get("chain_id"),
                checksum(body["ledger"]) if body.get("ledger") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(f"malformed anchor bundle: {exc}", field="bundle") from None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())

    @classmethod
    def load(cls, path: Path) -> AnchorBundle:
        return cls.from_json(path.read_text())


def _to_json(value: Any) -> Any:
    """A record's value as the bundle writes it: decimals as strings, times as unix seconds, records as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in fields(value)}
    return str(value) if isinstance(value, StrEnum) else value


def _from_json(kind: Any, value: Any) -> Any:
    """`value` as the bundle wrote it, read back as `kind` (a type hint of `NewBatch` or of a record inside it)."""
    if get_origin(kind) is tuple:
        return tuple(_from_json(get_args(kind)[0], item) for item in value)
    if get_origin(kind) in (Union, UnionType):  # `X | None`
        return None if value is None else _from_json(next(a for a in get_args(kind) if a is not type(None)), value)
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromtimestamp(int(value), UTC)
    if is_dataclass(kind):
        return _record_from_json(kind, value)
    if kind is str or isinstance(kind, NewType):
        return value  # as written (a NewType of str is only a name)
    return kind(value)  # a StrEnum


@cache
def _hints(kind: Any) -> dict[str, Any]:
    return get_type_hints(kind)


def _record_from_json(kind: Any, body: dict[str, Any]) -> Any:
    """A dataclass from its JSON object: every field without a default is required, the others may be left out."""
    hints = _hints(kind)
    return kind(
        **{
            f.name: _from_json(hints[f.name], body[f.name])
            for f in fields(kind)
            if f.name in body or (f.default is MISSING and f.default_factory is MISSING)
        }
    )


def _batch_to_json(batch: NewBatch) -> dict[str, Any]:
    """A record as the bundle keeps it: one key per field of `NewBatch` (the codec's `BATCH_FIELDS`), by name."""
    body: dict[str, Any] = _to_json(batch)
    return body


def _batch_from_json(body: dict[str, Any]) -> NewBatch:
    batch: NewBatch = _record_from_json(NewBatch, body)
    return batch


def batch_id_of(producer: str, batch: NewBatch) -> BatchId:
    """The id the ledger gives `batch` by `producer` (the same whether recorded or anchored)."""
    return _batch_id_of(producer, batch.gtin, batch.lot)


def build_bundle(
    producer: str, batches: Sequence[NewBatch], *, uri: str = "", chain_id: int | None = None, ledger: str | None = None
) -> AnchorBundle:
    """Validate `batches`, build the tree and every proof. Lots must be unique within the bundle."""
    from ledger.writes.batches import validate_batch

    if not batches:
        raise ValidationError("no batches to anchor", field="batches")
    validated = [validate_batch(b) for b in batches]
    ids = [batch_id_of(producer, b) for b in validated]
    seen: dict[str, int] = {}
    for index, batch_id in enumerate(ids):
        if batch_id in seen:
            error = ValidationError(
                f"batch #{index} repeats batch #{seen[batch_id]} (GTIN {validated[index].gtin} "
                f"lot {validated[index].lot})",
                field="lot",
            )
            error.index = index  # type: ignore[attr-defined]
            raise error
        seen[batch_id] = index
    tree = MerkleTree([leaf_hash(producer, batch_record(b)) for b in validated])
    records = tuple(
        AnchoredRecord(ids[i], validated[i], tuple(Hash32(hex32(p)) for p in tree.proof(i)))
        for i in range(len(validated))
    )
    return AnchorBundle(
        Hash32(hex32(tree.root)), checksum(producer), records, uri, chain_id, checksum(ledger) if ledger else None
    )


def verify_offchain(root: str, producer: str, batch: NewBatch, proof: Sequence[str]) -> bool:
    """Whether `proof` ties `batch` by `producer` to `root`, without a chain."""
    leaf = leaf_hash(producer, batch_record(batch))
    return process_proof(leaf, [from_hex(p) for p in proof]) == from_hex(root)


# -- on chain -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorReceipt:
    root: Hash32
    count: int
    tx: TxResult
    proofs: dict[BatchId, tuple[Hash32, ...]] = field(default_factory=dict)
    bundle: AnchorBundle | None = None


def anchor_batches(ledger: Ledger, signer: LocalAccount, batches: Sequence[NewBatch], uri: str) -> AnchorReceipt:
    """Commit a Merkle root over `batches` in one signed, relayed transaction; keep the bundle in the index."""
    bundle = build_bundle(
        signer.address, batches, uri=uri, chain_id=ledger.chain.chain_id, ledger=ledger.deployment.ledger
    )
    from ledger.writes.batches import anchor_batches as anchor_call

    signed = ledger.sign(signer, anchor_call(bundle.root, len(bundle.records), uri))
    ledger.sync()
    ledger.dry_run(signed)  # the contract's own refusals first (role, suspension, a root anchored already)
    _sort_records(ledger, bundle, ledger.chain_time())  # then what no anchor could prove, before anchoring it
    result = ledger.relay(signed)
    import_bundle(ledger, bundle)  # what the anchor proves, by the contract's rules for anchored records
    return AnchorReceipt(
        bundle.root, len(bundle.records), result, {r.batch_id: r.proof for r in bundle.records}, bundle
    )


def verify_on_chain(
    chain: Chain, ledger_address: str, root: str, producer: str, batch: NewBatch, proof: Sequence[str]
) -> bool:
    """`IBatchLedger.verifyAnchoredBatch` at `ledger_address` (raises `BatchAnchorNotFound` for an unknown root)."""
    contract = chain.w3.eth.contract(
        address=checksum(ledger_address),  # type: ignore[call-overload]
        abi=load_artifact("ProvenanceLedger").abi,
    )
    call = contract.functions.verifyAnchoredBatch(
        from_hex(root), checksum(producer), batch_record(batch), [from_hex(p) for p in proof]
    )
    raw = chain.call({"to": checksum(ledger_address), "data": call._encode_transaction_data()})
    return bool(int.from_bytes(raw[-32:], "big")) if raw else False


def why_not_proven(
    chain: Chain, ledger_address: str, root: str, producer: str, batch: NewBatch, proof: Sequence[str]
) -> str | None:
    """None if the chain proves the anchored record, else the reason in words (from the contract's own views)."""
    from ledger.domain.errors import ContractRevertError

    if not verify_offchain(root, producer, batch, proof):
        return "its proof does not lead to the root"
    if batch.inputs:
        return (
            "it consumes inputs: an anchored record with inputs counts only once its producer claims it "
            "(claimAnchoredBatch), when the contract checks custody and mass balance"
        )
    if verify_on_chain(chain, ledger_address, root, producer, batch, proof):
        return None
    address = checksum(ledger_address)
    contract = chain.w3.eth.contract(address=address, abi=load_artifact("ProvenanceLedger").abi)  # type: ignore[call-overload]
    try:
        chain.call(
            {
                "to": address,
                "data": contract.functions.batch(
                    from_hex(_batch_id_of(producer, batch.gtin, batch.lot))
                )._encode_transaction_data(),
            }
        )
        return "its batch id is recorded on chain: read it as a recorded batch"
    except ContractRevertError:
        pass
    anchored_at = int(chain._guard(lambda: contract.functions.anchor(from_hex(root)).call())[2])
    try:
        chain.call(
            {
                "to": address,
                "data": contract.functions.checkRecord(
                    checksum(producer), batch_record(batch), anchored_at
                )._encode_transaction_data(),
            }
        )
    except ContractRevertError as exc:
        return f"it breaks a rule of a batch as of the time it was anchored: {exc}"
    return "the root is another producer's"


def verify_anchored_batch(ledger: Ledger, root: str, producer: str, batch: NewBatch, proof: Sequence[str]) -> bool:
    """Whether the chain proves `batch` by `producer` against the anchored `root` (see the module's docstring)."""
    return verify_on_chain(ledger.chain, ledger.deployment.ledger, root, producer, batch, proof)


def claim_anchored(
    ledger: Ledger, signer: LocalAccount, bundle: AnchorBundle, batch_id: str
) -> tuple[BatchId, TxResult]:
    """Bring one anchored record of `bundle` on chain as its producer: checked once by the contract, then an ordinary
    batch (consumable, transferable, in lineages)."""
    from ledger.writes.batches import claim_anchored_batch

    item = bundle.record_by_id(batch_id)
    result = ledger.relay(ledger.sign(signer, claim_anchored_batch(bundle.root, item.batch, item.proof)))
    return item.batch_id, result


@dataclass(frozen=True)
class BundleImport:
    """What an instance learnt from a bundle: records it now shows as anchored (proven), and those that prove
    nothing until claimed (they consume inputs) or that are recorded already (read as recorded batches)."""

    proven: int
    needs_claim: tuple[BatchId, ...]
    recorded: tuple[BatchId, ...]


def import_bundle(ledger: Ledger, bundle: AnchorBundle) -> BundleImport:
    """Check a bundle against the root anchored on chain (every proof, off chain) and remember the records the anchor
    proves, by the contract's own rules for anchored records read from the index (see the module's docstring); a
    record that breaks a bound or names another producer's site refuses the whole bundle (`ValidationError`)."""
    ledger.sync()
    anchor = ledger.store.anchor(bundle.root.lower())
    if anchor is None or anchor["producer"] != bundle.producer:
        raise NotFoundError(f"root {bundle.root} is not anchored on chain by {bundle.producer}")
    anchored_at = ledger.store.block_timestamp(int(anchor["block_number"]))
    result, rows = _sort_records(ledger, bundle, anchored_at)
    ledger.store.add_anchored_records(bundle.root, bundle.producer, rows)
    return result


def _sort_records(
    ledger: Ledger, bundle: AnchorBundle, anchored_at: float | None
) -> tuple[BundleImport, list[tuple[str, str, str, list[str]]]]:
    """The records an anchor at `anchored_at` proves (as index rows), and those it cannot (recorded already, or
    consuming inputs); `ValidationError` for a record no anchor could prove (a bound, another producer's site)."""
    from ledger.writes.batches import validate_batch

    rows: list[tuple[str, str, str, list[str]]] = []
    needs_claim: list[BatchId] = []
    recorded: list[BatchId] = []
    for item in bundle.records:
        if batch_id_of(bundle.producer, item.batch) != item.batch_id.lower():
            raise ValidationError(f"record {item.batch_id} does not match its GTIN and lot", field="batch_id")
        if not verify_offchain(bundle.root, bundle.producer, item.batch, item.proof):
            raise ValidationError(f"proof of {item.batch_id} does not lead to root {bundle.root}", field="proof")
        if ledger.store.batch(item.batch_id.lower()) is not None:
            recorded.append(item.batch_id)
            continue
        if item.batch.inputs:
            needs_claim.append(item.batch_id)
            continue
        try:
            validate_batch(item.batch, now=anchored_at)
        except ValidationError as exc:
            raise ValidationError(f"record {item.batch_id}: {exc}", field=exc.field) from None
        if ledger.store.site_owner(item.batch.facility) != bundle.producer:
            raise ValidationError(
                f"record {item.batch_id} names site {item.batch.facility}, not one of {bundle.producer}'s",
                field="facility",
            )
        rows.append((str(item.batch_id), str(item.batch.gtin), item.batch.lot, [str(p) for p in item.proof]))
    return BundleImport(len(rows), tuple(needs_claim), tuple(recorded)), rows


def batch_recording(ledger: Ledger, batch_id: str) -> BatchRecording:
    """Read from the index: recorded (its own `BatchRecorded` event) or anchored (a root indexed from the chain and
    a proof known to this instance from a bundle). Raises `NotFoundError` for neither."""
    ledger.sync()
    found = ledger.store.recording(batch_id.lower())
    if found is None:
        raise not_recorded(batch_id)
    return found


def not_recorded(batch_id: str) -> NotFoundError:
    """The answer for a batch id nobody recorded nor anchored, and (by the access rules) for one the caller may not
    see: the same words, so ids cannot be probed."""
    return NotFoundError(f"batch {batch_id} is neither recorded nor anchored in a known bundle")
