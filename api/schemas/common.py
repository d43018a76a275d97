"""Shared field types and small models."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ledger import GS1_LOT, Participant, TxRef, ValidationError

BatchIdStr = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
Hash32Str = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
AddressStr = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
HexStr = Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2})*$", max_length=200_000)]

#: A GS1 lot (AI 10: 1-20 characters of the GS1 set 82) as the ledger checks it (`ledger.domain.validation.GS1_LOT`),
#: written for JSON Schema (ECMA 262 has no `\"` escape). Documented on lot inputs; the ledger's check answers 422.
LOT_PATTERN = GS1_LOT.pattern.replace('\\"', '"')
LOT_DESCRIPTION = "GS1 lot (AI 10): 1-20 characters of letters, digits and !\"%&'()*+,-./:;<=>?_"

EXAMPLE_BATCH_ID = "0x18898817876631a09687937b68ba1364acd3a08524fc26ccfef089151b05d371"
EXAMPLE_ADDRESS = "0x38552454f9404F66FeD6b59f93AD45d329c691D0"
EXAMPLE_TX = "0x548b4bf65afda22eeb121e418046201b1c1409ebe76eb751814f073ca8af62a8"

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TxRefOut(Out):
    """Where a fact sits on chain."""

    tx_hash: str = Field(examples=[EXAMPLE_TX])
    block_number: int = Field(examples=[31])
    block_time: datetime

    @classmethod
    def of(cls, ref: TxRef) -> TxRefOut:
        return cls(tx_hash=ref.tx_hash, block_number=ref.block_number, block_time=ref.block_time)


class ParticipantRef(Out):
    address: str = Field(examples=[EXAMPLE_ADDRESS])
    legal_name: str = Field(examples=["Kutch Organic Cotton Ginning Pvt Ltd"])
    country: str = Field(examples=["IN"])

    @classmethod
    def of(cls, p: Participant) -> ParticipantRef:
        return cls(address=p.address, legal_name=p.profile.legal_name, country=p.profile.country)


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page. A "
        "filtered page may hold fewer than `limit` items: go on while this "
        "is not null"
    )


def encode_cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int] | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        block, log = text.split(":")
        position = int(block), int(log)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("cursor is not one this API handed out", field="cursor") from None
    if not (0 <= position[0] < 2**63 and 0 <= position[1] < 2**63):  # what SQLite's INTEGER can compare
        raise ValidationError("cursor is not one this API handed out", field="cursor")
    return position
