"""What the packs read: the trace (as of the report's block) and the sources beside it (vault documents, the
producers' disclosures, other participants, screening lists), with the lineage and document helpers the rules share.

Nothing here comes from the service's memory: every fact is on chain (the trace, disclosures, participants) or in
a document whose SHA-256 a record on chain commits to (read from the vault, checked against its hash).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from ledger.documents.evidence import opens
from ledger.domain.errors import ValidationError
from ledger.domain.types import (
    Batch,
    BatchId,
    Disclosure,
    Document,
    DocumentKind,
    Participant,
    Trace,
    TraceEdge,
    TraceNode,
)
from ledger.lru import WeightedLru
from ledger.regimes import formats
from ledger.regimes.formats import WrongFormat
from ledger.regimes.geojson import PlotMap, read_plot_map
from ledger.regimes.model import DocumentEvidence, TxEvidence
from ledger.regimes.screening import ScreeningLists

T = TypeVar("T")

#: Mass units and their kilograms, for the quantity checks (other units cannot be compared across a step).
MASS_UNITS = {"KGM": Decimal(1), "GRM": Decimal("0.001"), "TNE": Decimal(1000), "LBR": Decimal("0.45359237")}


class DocumentSource(Protocol):
    def read(self, sha256: str) -> bytes | None:
        """The document's bytes, checked against the hash; None if not available."""

    def uploaders(self, sha256: str) -> AbstractSet[str]:
        """Who uploaded the document (lower-case addresses)."""


class NoDocuments:
    """No vault: every cited document counts as not available."""

    def read(self, sha256: str) -> bytes | None:
        return None

    def uploaders(self, sha256: str) -> AbstractSet[str]:
        return frozenset()


@dataclass(frozen=True)
class Sources:
    documents: DocumentSource = field(default_factory=NoDocuments)
    #: Each producer's disclosures as of the report's block, by address.
    disclosures: Mapping[str, Sequence[Disclosure]] = field(default_factory=dict)
    #: Participants the rules may need besides the producers (auditors of disclosures), by address.
    participants: Mapping[str, Participant] = field(default_factory=dict)
    lists: ScreeningLists | None = None


@dataclass(frozen=True)
class MassGain:
    """A step whose output weighs more than the inputs it consumed: material from outside the lineage."""

    node: TraceNode
    output_kg: Decimal
    input_kg: Decimal


class Context:
    def __init__(self, trace: Trace, sources: Sources, as_of: date) -> None:
        self.trace = trace
        self.sources = sources
        self.as_of = as_of
        self.root = trace.node(trace.root)
        self.nodes = trace.nodes
        self._by_id = {n.batch.id: n for n in trace.nodes}
        self.edges = tuple(e for e in trace.edges if e.input_id in self._by_id and e.output_id in self._by_id)
        self.inputs: dict[BatchId, list[TraceEdge]] = {}
        for edge in self.edges:
            self.inputs.setdefault(edge.output_id, []).append(edge)
        self.cut = frozenset(trace.continue_from)
        self._content: dict[str, bytes | None] = {}
        self._uploaders: dict[str, AbstractSet[str]] = {}
        self._parsed: dict[tuple[str, str], tuple[object | None, str | None]] = {}

    # -- lineage -------------------------------------------------------------------------------------------------

    def node(self, batch_id: str) -> TraceNode:
        return self._by_id[BatchId(batch_id)]

    def leaves(self) -> list[TraceNode]:
        """The raw-material batches of the lineage (recorded without inputs)."""
        return [n for n in self.nodes if n.batch.is_raw_material]

    def upstream(self, batch_id: str) -> list[TraceNode]:
        """The batch and every traced batch upstream of it."""
        seen = {BatchId(batch_id)}
        order = [BatchId(batch_id)]
        for current in order:
            for edge in self.inputs.get(current, ()):
                if edge.input_id not in seen:
                    seen.add(edge.input_id)
                    order.append(edge.input_id)
        return [self._by_id[b] for b in order]

    def producers(self) -> dict[str, Participant]:
        found: dict[str, Participant] = {}
        for n in self.nodes:
            found.setdefault(n.producer.address, n.producer)
        return found

    @staticmethod
    def country_of(node: TraceNode) -> str:
        """Where the batch was made: the facility's country, else the producer's."""
        return (node.facility_subdivision or "").split("-")[0] or node.producer.profile.country

    def mass_gains(self, tolerance: Decimal = Decimal("0.001")) -> list[MassGain]:
        """Steps weighing more than their inputs (all in mass units), beyond `tolerance` (a share)."""
        found = []
        for node in self.nodes:
            edges = self.inputs.get(node.batch.id)
            if not edges or node.batch.unit not in MASS_UNITS:
                continue
            units = [self._by_id[e.input_id].batch.unit for e in edges]
            if len(edges) != len(node.batch.inputs) or any(u not in MASS_UNITS for u in units):
                continue  # an input left out of the trace, or not weighed: not comparable
            used = sum((e.quantity * MASS_UNITS[u] for e, u in zip(edges, units, strict=True)), Decimal(0))
            made = node.batch.quantity * MASS_UNITS[node.batch.unit]
            if made > used * (1 + tolerance):
                found.append(MassGain(node, made, used))
        return found

    def parties(self) -> list[Participant]:
        """The producers of the lineage, then whoever holds the traced batch now (its buyer), when known."""
        found = self.producers()
        batch = self.root.batch
        holder = self.sources.participants.get(batch.custody[-1].to_address if batch.custody else batch.producer)
        if holder is not None:
            found.setdefault(holder.address, holder)
        return list(found.values())

    @staticmethod
    def recorded(batch: Batch, what: str = "") -> TxEvidence:
        return TxEvidence(batch.recorded, what or f"batch {batch.lot} (GTIN {batch.gtin}) recorded")

    @staticmethod
    def registered(participant: Participant) -> TxEvidence:
        return TxEvidence(participant.registered, f"{participant.profile.legal_name} registered")

    # -- documents -----------------------------------------------------------------------------------------------

    def documents(self, node: TraceNode, *kinds: DocumentKind) -> tuple[Document, ...]:
        """The batch's documents of these kinds that may be evidence for it: those its producer uploaded (the rule
        of `ledger.documents.evidence.opens`), and those nobody uploaded (cited, not in the vault). A document only
        others uploaded is not evidence for this batch: a hash is public, anyone may cite it."""
        return tuple(
            d
            for d in node.batch.documents
            if d.kind in kinds and (not self.uploaders(d.hash) or self.opens(node.batch.producer, d.hash))
        )

    def uploaders(self, sha256: str) -> AbstractSet[str]:
        if sha256 not in self._uploaders:
            self._uploaders[sha256] = self.sources.documents.uploaders(sha256)
        return self._uploaders[sha256]

    def opens(self, owner: str, sha256: str) -> bool:
        """Whether a record of `owner` opens the document (its owner uploaded it)."""
        return opens(owner, self.uploaders(sha256))

    def content(self, sha256: str) -> bytes | None:
        """The document's bytes if a member uploaded them (a file in the vault nobody uploaded is no evidence)."""
        if sha256 not in self._content:
            self._content[sha256] = self.sources.documents.read(sha256) if self.uploaders(sha256) else None
        return self._content[sha256]

    def content_of(self, owner: str, sha256: str) -> bytes | None:
        """The bytes of a document that one of `owner`'s documents names by its hash (a profile's due-diligence
        policy, an audit's remediation evidence): evidence only as `owner`'s own upload, like a cited document."""
        return self.content(sha256) if self.opens(owner, sha256) else None

    def cited(self, document: Document, what: str) -> DocumentEvidence:
        return DocumentEvidence(document.hash, document.kind, self.content(document.hash) is not None, what)

    def plot_map(self, sha256: str) -> PlotMap | None:
        """The plot map read and checked; None if the vault does not hold the document."""
        value, _ = self._parse(sha256, "geojson", read_plot_map)
        return value if isinstance(value, PlotMap) else None

    def read(self, sha256: str, parser: Callable[[bytes], T]) -> tuple[T | None, str | None]:
        """A structured document read by `parser` (a `formats` function): (value, None), or (None, why not): not in
        the vault, of another format, or invalid."""
        value, problem = self._parse(sha256, parser.__name__, parser)
        return value, problem  # type: ignore[return-value]

    def _parse(self, sha256: str, key: str, parser: Callable[[bytes], object]) -> tuple[object | None, str | None]:
        cached = self._parsed.get((sha256, key))
        if cached is None:
            content = self.content(sha256)
            cached = (None, "not in the vault") if content is None else _parsed(sha256, key, parser, content)
            self._parsed[(sha256, key)] = cached
        return cached

    def first_of(
        self, node: TraceNode, kind: DocumentKind, parser: Callable[[bytes], T]
    ) -> tuple[Document | None, T | None, str | None]:
        """The first document of `kind` on the batch that `parser` reads; else the first of the kind with why it
        could not be read; else (None, None, None)."""
        problem: tuple[Document, str] | None = None
        for document in self.documents(node, kind):
            value, why = self.read(document.hash, parser)
            if value is not None:
                return document, value, None
            if problem is None:
                problem = (document, why or "unreadable")
        if problem is not None:
            return problem[0], None, problem[1]
        return None, None, None

    def profile(self, participant: Participant) -> tuple[formats.ProfileDocument | None, DocumentEvidence | None, str]:
        """The participant's profile document (its on-chain `profile_hash`): the profile, its evidence, and why it
        could not be read when it could not."""
        digest = participant.profile.profile_hash
        if digest is None:
            return None, None, "registered without a profile document"
        value: formats.ProfileDocument | None = None
        why: str | None = "not in the vault as the participant's own upload"
        held = False
        if not self.uploaders(digest) or self.opens(participant.address, digest):
            value, why = self.read(digest, formats.profile)
            held = self.content(digest) is not None
        evidence = DocumentEvidence(digest, None, held, f"profile document of {participant.profile.legal_name}")
        return value, evidence, "" if value is not None else f"its profile document is {why}"

    def identity_problem(
        self, participant: Participant, *, need_email: bool
    ) -> tuple[str, tuple[DocumentEvidence | TxEvidence, ...]] | None:
        """What is missing to identify `participant` as a supplier or customer beyond its name (None if nothing):
        a profile document in the vault with a postal address (and an email, when `need_email`). Shared by the
        EUDR's counterparty rule and the forced-labour regulation's supplier identification."""
        name = participant.profile.legal_name
        profile, evidence, why = self.profile(participant)
        cited: tuple[DocumentEvidence | TxEvidence, ...] = (
            (evidence, self.registered(participant)) if evidence is not None else (self.registered(participant),)
        )
        if profile is None:
            return f"{name} cannot be identified beyond its name: {why}.", cited
        missing = [
            label
            for label, value in (
                ("postal address", profile.postal_address),
                ("email", profile.email if need_email else "-"),
            )
            if not value
        ]
        if missing:
            return f"{name}'s profile document gives no {' and no '.join(missing)}.", cited
        return None


#: What documents read by parsers may weigh, kept across reports (their size in bytes stands for what parsing them
#: makes): a bound on memory, whatever documents members cite. Larger ones (over a sixteenth) are parsed again for each
#: report.
PARSED_CACHE_BYTES = 32 * 1024 * 1024
PARSED: WeightedLru[tuple[str, str], tuple[object | None, str | None]] = WeightedLru(PARSED_CACHE_BYTES)


def _parsed(
    sha256: str,
    key: str,
    parser: Callable[[bytes], object],
    content: bytes,
    kept: WeightedLru[tuple[str, str], tuple[object | None, str | None]] = PARSED,
) -> tuple[object | None, str | None]:
    """A document read by a parser, kept across reports in `kept`: the bytes behind a hash never change, so neither
    does what a parser makes of them (the values are frozen dataclasses)."""
    cached = kept.get((sha256, key))
    if cached is not None:
        return cached
    try:
        found: tuple[object | None, str | None] = (parser(content), None)
    except WrongFormat as exc:
        found = (None, str(exc))
    except ValidationError as exc:
        found = (None, f"invalid: {exc}")
    kept.put((sha256, key), found, len(content))
    return found
