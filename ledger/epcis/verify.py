"""Prove EPCIS events against the chain without trusting the service that served them.

For each event of a document (or a single event): its CBV 2.0 hash is recomputed from the event itself; the proof
the document carries for that hash (`ledger:proofs`, written by the service's exports and by `ledger epcis capture
--receipt`) must lead to its root; and, given a node, the ledger contract must say the root is committed
(`eventsRoot`: by whom, over how many events) and that the hash is under it (`verifyEvent`), and the
`EventsCommitted` log dates the commitment. An event changed after it was captured hashes to something no proof
names: it is reported as not proven, as is an event whose declared `ni:` eventID is not its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_abi import decode as abi_decode

from ledger.anchoring import process_proof
from ledger.chain.calls import encode_call
from ledger.chain.codec import EventDecoder, checksum, from_hex, hex32
from ledger.chain.compile import load_artifact
from ledger.domain.errors import ContractRevertError, ValidationError
from ledger.domain.jsonlimits import load_json
from ledger.epcis.document import MAX_DEPTH, EpcisDocument
from ledger.epcis.hashing import declared_id_problem, digest_of, event_hashes, leaf_of
from ledger.epcis.vocabulary import NAMESPACE, prefixes

MAX_PROOF = 64


@dataclass(frozen=True)
class Proofs:
    """What a document says about where its events' hashes are committed."""

    ledger: str | None
    chain_id: int | None
    events: dict[str, tuple[str, tuple[str, ...]]]  # CBV 2.0 hash -> (root, proof)


@dataclass(frozen=True)
class EventCheck:
    position: int
    event_hash: str | None
    root: str | None = None
    proof_leads_to_root: bool = False
    on_chain: bool | None = None  # None: not checked (no node given)
    committer: str | None = None
    count: int | None = None
    block_number: int | None = None
    committed_at: datetime | None = None
    problem: str | None = None

    @property
    def proven(self) -> bool:
        return self.problem is None and self.proof_leads_to_root and self.on_chain is not False


def proofs_in(text: str | bytes) -> Proofs:
    """The `ledger:proofs` of a document (under any prefix bound to the ledger's namespace, or the full IRI)."""
    body = load_json(text, limit=MAX_DEPTH)  # UTF-8, depth bounded, on the text it parses
    if not isinstance(body, dict):
        return Proofs(None, None, {})
    names = {NAMESPACE + "proofs", *(f"{p}:proofs" for p in prefixes(body.get("@context")))}
    found = next((body[n] for n in names if n in body), None)
    if not isinstance(found, dict):
        return Proofs(None, None, {})
    events: dict[str, tuple[str, tuple[str, ...]]] = {}
    for event_hash, entry in (found.get("events") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("root"), str) and isinstance(entry.get("proof"), list):
            events[str(event_hash)] = (entry["root"], tuple(str(p) for p in entry["proof"][: MAX_PROOF + 1]))
    chain_id = found.get("chainId")
    return Proofs(found.get("ledger"), int(chain_id) if isinstance(chain_id, int) else None, events)


def merge(*sources: Proofs) -> Proofs:
    events: dict[str, tuple[str, tuple[str, ...]]] = {}
    for source in sources:
        events.update(source.events)
    first = next((s for s in sources if s.ledger), sources[0] if sources else Proofs(None, None, {}))
    return Proofs(first.ledger, first.chain_id, events)


def check(
    document: EpcisDocument, proofs: Proofs, chain: Any = None, ledger_address: str | None = None
) -> list[EventCheck]:
    """Check every event of `document` (see the module's docstring); `chain` (a `ledger.chain.connection.Chain`) and the
    ledger's address for the on-chain part."""
    address = checksum(ledger_address) if ledger_address else None
    onchain = _OnChain(chain, address) if chain is not None and address is not None else None
    found = []
    for position, hashed in enumerate(event_hashes(document)):
        if hashed.value is None:
            found.append(EventCheck(position, None, problem=f"its CBV 2.0 hash cannot be computed: {hashed.problem}"))
            continue
        wrong_id = declared_id_problem(document.events[position], hashed)
        if wrong_id is not None:  # served under one hash while another is proven: a verifier must not pass it
            found.append(EventCheck(position, hashed.value, problem=wrong_id))
            continue
        entry = proofs.events.get(hashed.value)
        if entry is None:
            found.append(
                EventCheck(
                    position,
                    hashed.value,
                    problem="no proof for this event's hash: it was never "
                    "committed, or it was changed after it was captured",
                )
            )
            continue
        root, proof = entry
        try:
            leads = (
                hex32(process_proof(leaf_of(hashed.value), [from_hex(p) for p in proof])) == root.lower()
                and len(proof) <= MAX_PROOF
            )
        except ValueError:
            leads = False
        if not leads:
            found.append(EventCheck(position, hashed.value, root, problem="its proof does not lead to the root"))
            continue
        if onchain is None:
            found.append(EventCheck(position, hashed.value, root, True))
            continue
        found.append(onchain.check(position, hashed.value, root, proof))
    return found


class _OnChain:
    def __init__(self, chain: Any, address: str) -> None:
        self.chain = chain
        self.address = address
        self._roots: dict[str, tuple[str | None, int | None, int | None, datetime | None, str | None]] = {}
        self.decoder = EventDecoder(load_artifact("ProvenanceLedger").abi)

    def _call(self, name: str, *args: Any) -> bytes:
        return bytes(self.chain.call({"to": self.address, "data": encode_call(name, *args)}))

    def _root(self, root: str) -> tuple[str | None, int | None, int | None, datetime | None, str | None]:
        if root not in self._roots:
            try:
                committer, count = abi_decode(["address", "uint32"], self._call("eventsRoot", from_hex(root)))
            except ContractRevertError as exc:
                self._roots[root] = (None, None, None, None, f"the root is not committed on this chain ({exc})")
                return self._roots[root]
            topic = self.decoder.topics["EventsCommitted"]
            logs = self.chain._guard(
                lambda: self.chain.w3.eth.get_logs(
                    {"address": self.address, "topics": ["0x" + topic.hex(), root], "fromBlock": 0, "toBlock": "latest"}
                )
            )
            block = int(logs[0]["blockNumber"]) if logs else None
            when = None
            if block is not None:
                stamp = self.chain._guard(lambda: self.chain.w3.eth.get_block(block))["timestamp"]
                when = datetime.fromtimestamp(int(stamp), UTC)
            self._roots[root] = (checksum(committer), int(count), block, when, None)
        return self._roots[root]

    def check(self, position: int, event_hash: str, root: str, proof: tuple[str, ...]) -> EventCheck:
        committer, count, block, when, problem = self._root(root)
        if problem is not None:
            return EventCheck(position, event_hash, root, True, False, problem=problem)
        try:
            (ok,) = abi_decode(
                ["bool"],
                self._call(
                    "verifyEvent", from_hex(root), from_hex(digest_of(event_hash)), [from_hex(p) for p in proof]
                ),
            )
        except (ContractRevertError, ValidationError) as exc:
            return EventCheck(position, event_hash, root, True, False, problem=str(exc))
        return EventCheck(
            position,
            event_hash,
            root,
            True,
            bool(ok),
            committer,
            count,
            block,
            when,
            None if ok else "the contract does not prove the hash under the root",
        )
