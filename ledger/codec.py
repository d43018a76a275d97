"""Conversions between domain values and their on-chain encodings (fixed-width bytes, integers in base units)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import event_abi_to_log_topic, keccak, to_checksum_address

from ledger.types import Address, BatchId, DisclosureId, DocumentKind, Gtin, NewBatch

MILLI = Decimal(1000)
DOCUMENT_KINDS = list(DocumentKind)


def text_to_bytes(text: str, size: int) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > size:
        raise ValueError(f"{text!r} is longer than {size} bytes")
    return raw.ljust(size, b"\0")


def bytes_to_text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def to_milli(value: Decimal) -> int:
    return int(value * MILLI)


def from_milli(value: int) -> Decimal:
    """Thousandths to a Decimal without trailing zeros or exponent (1500 -> 1.5, 1000000 -> 1000)."""
    return plain(Decimal(value) / MILLI)


def plain(value: Decimal) -> Decimal:
    """`value` without trailing fractional zeros and never in exponent form."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def from_hex(value: str) -> bytes:
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def to_timestamp(value: datetime) -> int:
    return int(value.timestamp())


def from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def gtin_from_int(value: int) -> Gtin:
    return Gtin(str(value).zfill(14))


def batch_record(batch: NewBatch) -> tuple[Any, ...]:
    """A validated `NewBatch` as the `IBatchLedger.BatchRecord` tuple."""
    emissions = batch.process_emissions_kg
    return (
        int(batch.gtin),
        text_to_bytes(batch.lot, 32),
        int(batch.hs_code),
        to_milli(batch.quantity),
        text_to_bytes(batch.unit, 3),
        int(batch.facility),
        to_timestamp(batch.produced_at),
        emissions is not None,
        to_milli(emissions) if emissions is not None else 0,
        [(from_hex(use.batch_id), to_milli(use.quantity)) for use in batch.inputs],
        [(from_hex(doc.hash), DOCUMENT_KINDS.index(doc.kind)) for doc in batch.documents],
    )


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


class EventDecoder:
    """Decodes raw logs of one contract by topic0, straight through eth_abi (much faster than web3's log processing)."""

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

    def decode(self, topics: list[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        spec = self._events.get(bytes(topics[0])) if topics else None
        if spec is None:
            return None
        name, indexed, fields, types = spec
        args: dict[str, Any] = {}
        for entry, topic in zip(indexed, topics[1:], strict=False):
            (value,) = abi_decode([entry["type"]], bytes(topic))
            args[entry["name"]] = _shape(entry, value)
        for entry, value in zip(fields, abi_decode(types, bytes(data)), strict=True):
            args[entry["name"]] = _shape(entry, value)
        return name, args


def checksum(value: str) -> Address:
    return Address(to_checksum_address(value))


def batch_id_of(producer: str, gtin: int | str, lot: str) -> BatchId:
    """The id the contract gives a batch (`batchIdOf`): keccak256(abi.encode(producer, gtin, lot))."""
    raw = abi_encode(["address", "uint64", "bytes32"], [to_checksum_address(producer), int(gtin),
                                                        text_to_bytes(lot, 32)])
    return BatchId(hex32(keccak(raw)))


def disclosure_id_of(participant: str, framework: str, period: str) -> DisclosureId:
    """The id the contract gives a disclosure (`disclosureIdOf`): keccak256(abi.encode(participant, framework,
    period))."""
    raw = abi_encode(["address", "bytes8", "bytes16"], [to_checksum_address(participant), text_to_bytes(framework, 8),
                                                        text_to_bytes(period, 16)])
    return DisclosureId(hex32(keccak(raw)))
