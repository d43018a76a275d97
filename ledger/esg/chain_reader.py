"""Disclosures read straight from the chain, with no index: contract views at a block, one `eth_getLogs` sweep of
the events a verifier needs, and transaction receipts. Everything it needs is a `Chain` and the contract addresses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from ledger.chain.codec import EventDecoder, bytes_to_text, checksum, from_hex, from_timestamp, hex32, plain
from ledger.chain.compile import load_artifact
from ledger.chain.connection import Chain, as_revert
from ledger.domain.errors import LedgerError, LedgerUnavailableError
from ledger.domain.types import (
    Address,
    AssuranceLevel,
    Attestation,
    Deployment,
    DisclosureId,
    Hash32,
    Opinion,
    TxHash,
    TxRef,
)
from ledger.esg.model import Manifest

T = TypeVar("T")
LEVELS = list(AssuranceLevel)
OPINIONS = list(Opinion)
METRICS_TYPE = "(bytes32,int256,uint8,bytes16)[]"
SWEPT_EVENTS = ("DisclosurePublished", "DisclosureAttested", "AttestationRevoked", "ParticipantRegistered")


@dataclass(frozen=True)
class PublishedVersion:
    """A `DisclosurePublished` log as the chain holds it."""

    disclosure_id: str
    participant: str
    version: int
    period: str
    framework: str
    metrics: tuple[tuple[bytes, int, int, bytes], ...]  # (code, scaled value, decimals, unit) as on chain
    document_hash: str
    uri: str
    content_hash: str
    tx_hash: str
    block_number: int
    log_index: int

    def metric(self, index: int) -> tuple[str, Decimal, str]:
        code, value, decimals, unit = self.metrics[index]
        return bytes_to_text(code), plain(Decimal(value).scaleb(-decimals)), bytes_to_text(unit)

    def recomputed_content_hash(self) -> str:
        """keccak256(abi.encode(metrics, documentHash, uri)), as `IDisclosureRegistry` defines the content hash."""
        return hex32(
            keccak(
                encode(
                    [METRICS_TYPE, "bytes32", "string"], [list(self.metrics), from_hex(self.document_hash), self.uri]
                )
            )
        )


class ChainReader:
    """Reads disclosures straight from a chain: contract views at a block, logs and receipts. No index."""

    def __init__(self, chain: Chain, deployment: Deployment, *, log_window: int = 50_000) -> None:
        self.chain = chain
        self.deployment = deployment
        self.log_window = log_window
        abi = load_artifact("ProvenanceLedger").abi
        self.contract = chain.w3.eth.contract(address=to_checksum_address(deployment.ledger), abi=abi)
        self.decoder = EventDecoder(abi)
        self._times: dict[int, datetime] = {}
        self._events: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        self._swept_to: int | None = None
        self._memos: dict[tuple[Any, ...], Any] = {}

    @classmethod
    def from_manifest(cls, chain: Chain, manifest: Manifest) -> ChainReader:
        deployment = Deployment(
            chain_id=manifest.chain_id,
            ledger=checksum(manifest.ledger),
            forwarder=checksum(manifest.forwarder),
            block_number=manifest.deployment_block,
            deployed_at=from_timestamp(0),
            compiler="",
        )
        return cls(chain, deployment)

    # -- views -----------------------------------------------------------------------------------------------------

    def _view(self, fn: Any, block: int) -> Any:
        """A contract view at `block`; None if it reverts."""
        try:
            return self.chain._guard(lambda: fn.call(block_identifier=block))
        except LedgerUnavailableError:
            raise
        except Exception as exc:
            if as_revert(exc) is None:
                raise LedgerError(
                    f"the node cannot read the ledger's state at block {block} ({exc}); "
                    "verify against a node that keeps historical state (an archive node)"
                ) from exc
            return None

    def existed_at(self, block: int) -> bool | None:
        """Whether the ledger had code at `block`; None if the node cannot say (no archive state)."""
        w3 = self.chain.w3
        address = to_checksum_address(self.deployment.ledger)
        try:
            return bool(self.chain._guard(lambda: w3.eth.get_code(address, block_identifier=block)))
        except LedgerUnavailableError:
            raise
        except Exception:
            return None

    def sweep_from(self, block: int) -> None:
        """Read logs from `block` on (the deployment block, once it is confirmed)."""
        self.deployment = replace(self.deployment, block_number=block)
        self._swept_to = None

    def code_problem(self, block: int) -> str | None:
        """Why the code at the ledger address is not the compiled ProvenanceLedger trusting the forwarder, or None."""
        w3 = self.chain.w3
        code = bytes(
            self.chain._guard(
                lambda: w3.eth.get_code(to_checksum_address(self.deployment.ledger), block_identifier=block)
            )
        )
        if not code:
            return "no contract"
        expected = from_hex(load_artifact("ProvenanceLedger").deployed_bytecode)
        forwarder_word = bytes(12) + from_hex(self.deployment.forwarder)
        if code.replace(forwarder_word, bytes(32)) != expected:
            return "code differs from the compiled ProvenanceLedger with this forwarder"
        return None

    def block(self, number: int) -> tuple[str, datetime] | None:
        try:
            found = self.chain._guard(lambda: self.chain.w3.eth.get_block(number))
        except LedgerUnavailableError:
            raise
        except Exception:
            return None
        self._times[number] = from_timestamp(int(found["timestamp"]))
        return "0x" + bytes(found["hash"]).hex(), self._times[number]

    def block_time(self, number: int) -> datetime | None:
        if number not in self._times and self.block(number) is None:
            return None
        return self._times[number]

    def _memo(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        if key not in self._memos:
            self._memos[key] = load()
        return self._memos[key]  # type: ignore[no-any-return]

    def disclosure_state(self, disclosure_id: str, block: int) -> tuple[str, int] | None:
        def load() -> tuple[str, int] | None:
            found = self._view(self.contract.functions.disclosure(from_hex(disclosure_id)), block)
            return None if found is None else (checksum(found[0]), int(found[1]))

        return self._memo(("state", disclosure_id.lower(), block), load)

    def content_hash(self, disclosure_id: str, version: int, block: int) -> str | None:
        def load() -> str | None:
            call = self.contract.functions.disclosureContentHash(from_hex(disclosure_id), version)
            found = self._view(call, block)
            return None if found is None else hex32(bytes(found))

        return self._memo(("content", disclosure_id.lower(), version, block), load)

    def is_attested(self, disclosure_id: str, version: int, auditor: str, block: int) -> bool:
        call = self.contract.functions.isAttested(from_hex(disclosure_id), version, to_checksum_address(auditor))
        return self._memo(
            ("attested", disclosure_id.lower(), version, auditor.lower(), block), lambda: bool(self._view(call, block))
        )

    # -- logs --------------------------------------------------------------------------------------------------

    def _logs(self, event: str, to_block: int) -> list[tuple[dict[str, Any], Any]]:
        """Decoded logs of `event` up to `to_block`, in chain order. One `eth_getLogs` sweep serves every event the
        verifier reads (disclosures, attestations, revocations, registrations)."""
        if self._swept_to != to_block:
            self._events = self._sweep(to_block)
            self._swept_to = to_block
        return self._events.get(event, [])

    def _sweep(self, to_block: int) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        w3 = self.chain.w3
        topics = [hex32(self.decoder.topics[name]) for name in SWEPT_EVENTS]
        found: dict[str, list[tuple[dict[str, Any], Any]]] = defaultdict(list)
        start = self.deployment.block_number
        while start <= to_block:
            end = min(start + self.log_window - 1, to_block)
            params: Any = {"address": self.deployment.ledger, "fromBlock": start, "toBlock": end, "topics": [topics]}
            for log in self.chain._guard(lambda p=params: w3.eth.get_logs(p)):
                decoded = self.decoder.decode(list(log["topics"]), bytes(log["data"]))
                if decoded is not None:
                    found[decoded[0]].append((decoded[1], log))
            start = end + 1
        for logs in found.values():
            logs.sort(key=lambda item: (int(item[1]["blockNumber"]), int(item[1]["logIndex"])))
        return found

    def _published(self, args: dict[str, Any], log: Any) -> PublishedVersion:
        return PublishedVersion(
            disclosure_id=hex32(args["disclosureId"]),
            participant=checksum(args["participant"]),
            version=int(args["version"]),
            period=bytes_to_text(args["period"]),
            framework=bytes_to_text(args["framework"]),
            metrics=tuple(
                (bytes(m["code"]), int(m["value"]), int(m["decimals"]), bytes(m["unit"])) for m in args["metrics"]
            ),
            document_hash=hex32(args["documentHash"]),
            uri=args["uri"],
            content_hash=hex32(args["contentHash"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            block_number=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
        )

    def published(self, to_block: int, participant: str | None = None) -> dict[tuple[str, int], PublishedVersion]:
        """Every disclosure version published up to `to_block` (optionally by one participant), by (id, version)."""
        return {
            (p.disclosure_id, p.version): p
            for p in (self._published(a, log) for a, log in self._logs("DisclosurePublished", to_block))
            if participant is None or p.participant.lower() == participant.lower()
        }

    def published_in(self, tx_hash: str) -> list[PublishedVersion]:
        """The disclosure versions a transaction published, from its receipt ([] if there is no such transaction)."""
        return self._memo(("receipt", tx_hash.lower()), lambda: self._published_in(tx_hash))

    def _published_in(self, tx_hash: str) -> list[PublishedVersion]:
        try:
            receipt = self.chain._guard(lambda: self.chain.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except LedgerUnavailableError:
            raise
        except Exception:
            return []
        found = []
        for log in receipt["logs"]:
            if checksum(log["address"]) != self.deployment.ledger:
                continue
            decoded = self.decoder.decode(list(log["topics"]), bytes(log["data"]))
            if decoded is not None and decoded[0] == "DisclosurePublished":
                found.append(self._published(decoded[1], log))
        return found

    def attestations(self, to_block: int) -> dict[str, list[Attestation]]:
        """Every attestation up to `to_block`, by disclosure id, in chain order, with its revocation if any."""
        revocations: dict[tuple[str, int, str], list[tuple[tuple[int, int], TxRef, str]]] = defaultdict(list)
        for args, log in self._logs("AttestationRevoked", to_block):
            key = (hex32(args["disclosureId"]), int(args["version"]), checksum(args["auditor"]))
            revocations[key].append(((int(log["blockNumber"]), int(log["logIndex"])), self._ref(log), args["reason"]))
        found: dict[str, list[Attestation]] = defaultdict(list)
        for args, log in self._logs("DisclosureAttested", to_block):
            disclosure_id, version, auditor = (
                hex32(args["disclosureId"]),
                int(args["version"]),
                checksum(args["auditor"]),
            )
            at = (int(log["blockNumber"]), int(log["logIndex"]))
            revoked = next((r for r in revocations[(disclosure_id, version, auditor)] if r[0] > at), None)
            found[disclosure_id].append(
                Attestation(
                    disclosure_id=DisclosureId(disclosure_id),
                    version=version,
                    auditor=Address(auditor),
                    level=LEVELS[int(args["level"])],
                    opinion=OPINIONS[int(args["opinion"])],
                    report_hash=Hash32(hex32(args["reportHash"])),
                    tx=self._ref(log),
                    revoked=revoked[1] if revoked else None,
                    revoke_reason=revoked[2] if revoked else None,
                )
            )
        return found

    def _ref(self, log: Any) -> TxRef:
        number = int(log["blockNumber"])
        return TxRef(
            TxHash("0x" + bytes(log["transactionHash"]).hex()),
            number,
            self.block_time(number) or from_timestamp(0),
            int(log["logIndex"]),
        )

    def profile(self, account: str, to_block: int) -> tuple[str, str] | None:
        """Registered legal name and country of `account`, or None if it never registered."""
        return self._memo(("profile", account.lower(), to_block), lambda: self._profile(account, to_block))

    def _profile(self, account: str, to_block: int) -> tuple[str, str] | None:
        logs = [
            (a, log)
            for a, log in self._logs("ParticipantRegistered", to_block)
            if a["account"].lower() == account.lower()
        ]
        if not logs:
            return None
        profile = logs[-1][0]["profile"]
        return str(profile["legalName"]), bytes(profile["country"]).decode("ascii", errors="replace")
