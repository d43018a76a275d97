"""Conversions between domain values and their on-chain encodings (fixed-width bytes, integers in base units)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eth_abi import encode as abi_encode
from eth_abi.codec import ABICodec
from eth_abi.decoding import StringDecoder
from eth_abi.registry import BaseEquals, registry
from eth_utils import event_abi_to_log_topic, keccak, to_checksum_address

from ledger.domain.errors import ValidationError
from ledger.domain.types import (
    Address,
    BatchId,
    DisclosureId,
    Document,
    DocumentKind,
    Gln,
    Gtin,
    Hash32,
    InputUse,
    NewBatch,
)
from ledger.domain.units import MILLI as MILLI  # the codec's scales, re-exported (ledger.domain.units is their home)
from ledger.domain.units import from_milli as from_milli
from ledger.domain.units import from_scaled as from_scaled
from ledger.domain.units import plain as plain
from ledger.domain.units import to_milli as to_milli

DOCUMENT_KINDS = list(DocumentKind)


def text_to_bytes(text: str, size: int) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > size:
        raise ValueError(f"{text!r} is longer than {size} bytes")
    return raw.ljust(size, b"\0")


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}


def bytes_to_text(raw: bytes) -> str:
    """Fixed-width ASCII from the chain, trailing zeros dropped; any other byte (and any control character) shown as
    `\\xNN`, so what anyone wrote reads back as what it is."""
    return raw.rstrip(b"\0").decode("ascii", errors="backslashreplace").translate(_CONTROL)


def ascii_text(raw: bytes | str, field: str) -> str:
    """Fixed-width ASCII (bytes or 0x-hex) as text, refusing anything else: for checking what is about to be
    written."""
    data = raw if isinstance(raw, bytes) else from_hex(raw)
    try:
        return data.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise ValidationError(f"{field} is not ASCII text", field=field) from None


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def from_hex(value: str) -> bytes:
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def to_timestamp(value: datetime) -> int:
    return int(value.timestamp())


def from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def calendar_time(value: int) -> datetime | None:
    """Unix seconds as a UTC time, or None when the calendar cannot hold them (after year 9999): the reader then
    shows the number itself."""
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def gtin_from_int(value: int) -> Gtin:
    return Gtin(str(value).zfill(14))


@dataclass(frozen=True)
class RecordField:
    """One attribute of a batch record and the member(s) of the contract's `IBatchLedger.BatchRecord` that hold it.

    `encode` turns the attribute's value (as `NewBatch` holds it) into the members' values, in member order;
    `decode(record, strict)` reads it back from a record as eth_abi or `ledger.chain.calls.decode_call` gives it
    (integers, bytes or 0x-hex). Strict decoding is for checking what is about to be written (it refuses what no
    `NewBatch` can be); lenient decoding is for reading what the chain holds, which anyone may have written (text keeps
    any byte as `\\xNN`, a time past the calendar is None)."""

    attribute: str
    members: tuple[str, ...]
    encode: Callable[[Any], tuple[Any, ...]]
    decode: Callable[[Mapping[str, Any], bool], Any]


def _text(member: str, size: int, attribute: str) -> RecordField:
    def decode(record: Mapping[str, Any], strict: bool) -> str:
        raw = record[member]
        if strict:
            return ascii_text(raw, attribute)
        return bytes_to_text(raw if isinstance(raw, bytes) else from_hex(raw))

    return RecordField(attribute, (member,), lambda value: (text_to_bytes(value, size),), decode)


def _digits(member: str, width: int, attribute: str, kind: Callable[[str], Any] = str) -> RecordField:
    return RecordField(
        attribute,
        (member,),
        lambda value: (int(value),),
        lambda record, strict: kind(str(int(record[member])).zfill(width)),
    )


def _milli(member: str, attribute: str) -> RecordField:
    return RecordField(
        attribute, (member,), lambda value: (to_milli(value),), lambda record, strict: from_milli(int(record[member]))
    )


def _produced_at(record: Mapping[str, Any], strict: bool) -> datetime | None:
    produced = calendar_time(int(record["producedAt"]))
    if produced is None and strict:
        raise ValidationError(f"produced_at {record['producedAt']} is outside the calendar", field="produced_at")
    return produced


def _emissions(record: Mapping[str, Any], strict: bool) -> Decimal | None:
    if strict and not record["emissionsReported"] and int(record["processEmissions"]) != 0:
        raise ValidationError("process emissions are given but not marked as reported", field="process_emissions_kg")
    return from_milli(int(record["processEmissions"])) if record["emissionsReported"] else None


def _inputs(record: Mapping[str, Any], strict: bool) -> tuple[InputUse, ...]:
    return tuple(InputUse(BatchId(_hex_of(u["batchId"])), from_milli(int(u["quantity"]))) for u in record["inputs"])


def _documents(record: Mapping[str, Any], strict: bool) -> tuple[Document, ...]:
    documents = []
    for item in record["documents"]:
        kind = int(item["kind"])
        if not 0 <= kind < len(DOCUMENT_KINDS):
            raise ValidationError(
                f"document kind {kind} is not one of the contract's {len(DOCUMENT_KINDS)}", field="documents.kind"
            )
        documents.append(Document(Hash32(_hex_of(item["hash"])), DOCUMENT_KINDS[kind]))
    return tuple(documents)


#: The one field map of a batch record: `IBatchLedger.BatchRecord`'s members, in the struct's order, to the
#: attributes of `NewBatch` (and of `Batch`, which adds what the index knows: id, producer, custody, ...). The
#: encoder, both decoders and the checks of every copy of a batch's fields (API, index, EPCIS, anchor bundles) read
#: this table; `tests/api/test_batch_fields.py` proves the members against the contract's ABI. Adding a field:
#: see docs/architecture.md.
BATCH_FIELDS: tuple[RecordField, ...] = (
    _digits("gtin", 14, "gtin", Gtin),
    _text("lot", 32, "lot"),
    _digits("hsCode", 6, "hs_code"),
    _milli("quantity", "quantity"),
    _text("unit", 3, "unit"),
    _digits("facility", 13, "facility", Gln),
    RecordField("produced_at", ("producedAt",), lambda value: (to_timestamp(value),), _produced_at),
    RecordField(
        "process_emissions_kg",
        ("emissionsReported", "processEmissions"),
        lambda value: (value is not None, to_milli(value) if value is not None else 0),
        _emissions,
    ),
    RecordField(
        "inputs",
        ("inputs",),
        lambda value: ([(from_hex(use.batch_id), to_milli(use.quantity)) for use in value],),
        _inputs,
    ),
    RecordField(
        "documents",
        ("documents",),
        lambda value: ([(from_hex(doc.hash), DOCUMENT_KINDS.index(doc.kind)) for doc in value],),
        _documents,
    ),
)


def record_members() -> tuple[str, ...]:
    """`BatchRecord`'s members in the order `BATCH_FIELDS` encodes them (the struct's order)."""
    return tuple(member for f in BATCH_FIELDS for member in f.members)


def batch_record(batch: NewBatch) -> tuple[Any, ...]:
    """A validated `NewBatch` as the `IBatchLedger.BatchRecord` tuple."""
    return tuple(value for f in BATCH_FIELDS for value in f.encode(getattr(batch, f.attribute)))


def new_batch_of(record: Mapping[str, Any]) -> NewBatch:
    """The `NewBatch` a `BatchRecord` encodes (as `ledger.chain.calls.decode_call` gives it: integers, bytes or
    0x-hex), so that calldata signed anywhere is checked by the same rules as a `NewBatch` built in Python. Raises
    `ValidationError` for what no `NewBatch` can be (a lot that is not ASCII, a time outside the calendar)."""
    return NewBatch(**{f.attribute: f.decode(record, True) for f in BATCH_FIELDS})


def recorded_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The domain values of a `BatchRecord` read from the chain (a `BatchRecorded` event's `record`), by attribute
    name of `Batch`, decoded leniently (see `RecordField`): what the index stores of a recorded batch. `produced_at`
    is None past the calendar, and `produced_at_unix` holds the recorded seconds whatever they are."""
    values = {f.attribute: f.decode(record, False) for f in BATCH_FIELDS}
    values["produced_at_unix"] = int(record["producedAt"])
    return values


def _hex_of(value: bytes | str) -> str:
    return ("0x" + value.hex()) if isinstance(value, bytes) else value.lower()


def abi_type(entry: dict[str, Any]) -> str:
    """The canonical ABI type string of an ABI input entry, tuples spelled out: `(uint64,bytes32,...)[]`."""
    if entry["type"].startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in entry["components"]) + ")" + entry["type"][5:]
    return str(entry["type"])


def _shape(entry: dict[str, Any], value: Any) -> Any:
    """Nested tuples from eth_abi into dicts keyed by component name; addresses checksummed."""
    kind = entry["type"]
    if kind.startswith("tuple"):
        components = entry["components"]
        if kind.endswith("[]"):
            names = [c["name"] for c in components]
            return [
                dict(zip(names, (_shape(c, v) for c, v in zip(components, item, strict=True)), strict=True))
                for item in value
            ]
        return {c["name"]: _shape(c, v) for c, v in zip(components, value, strict=True)}
    if kind == "address":
        return to_checksum_address(value)
    if kind == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


class _LenientStringDecoder(StringDecoder):
    """A Solidity `string` is any bytes: a participant can write invalid UTF-8. Readers keep the text readable and
    lossless (`\\xff` for a stray byte) instead of failing on it."""

    @classmethod
    def from_type_str(cls, abi_type: str, registry: Any) -> _LenientStringDecoder:  # type: ignore[override]
        return cls(handle_string_errors="backslashreplace")


def _lenient_codec() -> ABICodec:
    lenient = registry.copy()
    lenient.unregister_decoder("string")
    lenient.register_decoder(BaseEquals("string"), _LenientStringDecoder, label="string")
    return ABICodec(lenient)


#: eth_abi with lenient strings: for everything read from the chain (events, revert data), which anyone may write.
CHAIN_CODEC = _lenient_codec()


class EventDecoder:
    """Decodes raw logs of one contract by topic0, straight through eth_abi (much faster than web3's log processing).
    Strings are decoded leniently (`CHAIN_CODEC`): an event is never unreadable for its text."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self._events: dict[bytes, tuple[str, list[dict[str, Any]], list[dict[str, Any]], list[str]]] = {}
        self.topics: dict[str, bytes] = {}
        for entry in abi:
            if entry["type"] != "event" or entry.get("anonymous"):
                continue
            topic = bytes(event_abi_to_log_topic(entry))  # type: ignore[arg-type]
            indexed = [i for i in entry["inputs"] if i["indexed"]]
            data = [i for i in entry["inputs"] if not i["indexed"]]
            self._events[topic] = (entry["name"], indexed, data, [abi_type(i) for i in data])
            self.topics[entry["name"]] = topic

    def name_of(self, topics: list[bytes]) -> str | None:
        spec = self._events.get(bytes(topics[0])) if topics else None
        return spec[0] if spec is not None else None

    def decode(self, topics: list[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        """The event's name and arguments; None for a log of no event of this ABI. Raises (eth_abi's errors) for a
        log of one of its events whose data does not decode."""
        spec = self._events.get(bytes(topics[0])) if topics else None
        if spec is None:
            return None
        name, indexed, fields, types = spec
        args: dict[str, Any] = {}
        for entry, topic in zip(indexed, topics[1:], strict=False):
            (value,) = CHAIN_CODEC.decode([entry["type"]], bytes(topic))
            args[entry["name"]] = _shape(entry, value)
        for entry, value in zip(fields, CHAIN_CODEC.decode(types, bytes(data)), strict=True):
            args[entry["name"]] = _shape(entry, value)
        return name, args


def checksum(value: str) -> Address:
    return Address(to_checksum_address(value))


def batch_id_of(producer: str, gtin: int | str, lot: str) -> BatchId:
    """The id the contract gives a batch (`batchIdOf`): keccak256(abi.encode(producer, gtin, lot))."""
    raw = abi_encode(
        ["address", "uint64", "bytes32"], [to_checksum_address(producer), int(gtin), text_to_bytes(lot, 32)]
    )
    return BatchId(hex32(keccak(raw)))


def disclosure_id_of(participant: str, framework: str, period: str) -> DisclosureId:
    """The id the contract gives a disclosure (`disclosureIdOf`): keccak256(abi.encode(participant, framework,
    period))."""
    raw = abi_encode(
        ["address", "bytes8", "bytes16"],
        [to_checksum_address(participant), text_to_bytes(framework, 8), text_to_bytes(period, 16)],
    )
    return DisclosureId(hex32(keccak(raw)))
