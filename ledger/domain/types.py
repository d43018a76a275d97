"""Frozen domain objects that cross the ledger's boundary. No web3 types leave the package.

Hex identifiers are lower-case 0x-prefixed strings; addresses are EIP-55 checksummed strings. Quantities are
`Decimal` in the batch's unit with at most three decimals (stored on chain in thousandths).

Over 400 lines on purpose: every value type the layers exchange has one home here (STYLE.md: value types in types,
not in feature modules, so the read model never imports a feature); most of it is field declarations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NewType

Address = NewType("Address", str)
BatchId = NewType("BatchId", str)
DisclosureId = NewType("DisclosureId", str)
Gtin = NewType("Gtin", str)
Gln = NewType("Gln", str)
TxHash = NewType("TxHash", str)
Hash32 = NewType("Hash32", str)


class Role(StrEnum):
    FACTORY = "FACTORY"
    AUDITOR = "AUDITOR"
    BUYER = "BUYER"  # brands, importers, retailers: receive custody, run due diligence
    ADMIN = "ADMIN"  # the consortium operator (DEFAULT_ADMIN_ROLE)


class DocumentKind(StrEnum):
    """Order matches `IBatchLedger.DocumentKind`."""

    CERTIFICATE = "certificate"
    INVOICE = "invoice"
    BILL_OF_LADING = "bill_of_lading"
    PACKING_LIST = "packing_list"
    PLOT_GEOLOCATION = "plot_geolocation"
    AUDIT_REPORT = "audit_report"
    OTHER = "other"
    DEFORESTATION_EVIDENCE = "deforestation_evidence"  # satellite analysis or audit showing no deforestation
    LEGALITY_PERMIT = "legality_permit"  # permit, concession or land title (EUDR Art. 9(1)(h))
    DUE_DILIGENCE_STATEMENT = "due_diligence_statement"  # EUDR DDS reference and verification number
    CARBON_FOOTPRINT_STUDY = "carbon_footprint_study"  # e.g. EU Battery Regulation Art. 7 declaration and study
    DECLARATION_OF_CONFORMITY = "declaration_of_conformity"
    PURCHASE_ORDER = "purchase_order"
    PAYMENT_PROOF = "payment_proof"
    DESPATCH_ADVICE = "despatch_advice"


class FlagKind(StrEnum):
    """Order matches `IBatchLedger.FlagKind`. RELEASE lifts the holds raised before it."""

    RECALL = "recall"
    QUALITY_HOLD = "quality_hold"
    RELEASE = "release"


class AssuranceLevel(StrEnum):
    """Order matches `IDisclosureRegistry.AssuranceLevel`, weakest first: the one ranking of assurance levels."""

    LIMITED = "limited"
    REASONABLE = "reasonable"

    @property
    def rank(self) -> int:
        """1 for limited assurance, 2 for reasonable (0 is no assurance)."""
        return list(AssuranceLevel).index(self) + 1


class Opinion(StrEnum):
    """Order matches `IDisclosureRegistry.Opinion`."""

    UNMODIFIED = "unmodified"
    QUALIFIED = "qualified"
    ADVERSE = "adverse"
    DISCLAIMER = "disclaimer"


class Severity(StrEnum):
    """How much a finding of due diligence weighs: it fails the batch, needs a person to review it, or informs."""

    FAIL = "fail"
    REVIEW = "review"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the gravest (FAIL)."""
        return (Severity.FAIL, Severity.REVIEW, Severity.INFO).index(self)


class Verdict(StrEnum):
    """FAIL if any finding fails, REVIEW if any needs review, else PASS."""

    PASS = "PASS"
    REVIEW = "REVIEW"
    FAIL = "FAIL"

    @classmethod
    def worst(cls, verdicts: Iterable[str]) -> Verdict:
        """The gravest of `verdicts` (FAIL, then REVIEW, then PASS), so that no verdict hides a worse one: the one
        home of that rule for findings, rule outcomes, regimes and the report. Values that are no verdict on the
        product (a regime's UPCOMING or NOT_APPLICABLE, an INFO finding) count for nothing; case is ignored, so
        severities and outcomes (`fail`, `review`) read as the verdicts they call for. None at all is PASS."""
        found = {str(v).upper() for v in verdicts}
        return next((v for v in (cls.FAIL, cls.REVIEW) if v.value in found), cls.PASS)


@dataclass(frozen=True)
class TxRef:
    """Where a fact sits on chain: the transaction, its block and the block's time."""

    tx_hash: TxHash
    block_number: int
    block_time: datetime
    log_index: int = 0


@dataclass(frozen=True)
class BatchRecording:
    """How a batch id is on the ledger: recorded individually, or anchored under a Merkle root with a proof."""

    batch_id: BatchId
    kind: str  # "recorded" | "anchored"
    tx: TxRef
    root: Hash32 | None = None
    proof: tuple[Hash32, ...] = ()
    producer: Address | None = None


@dataclass(frozen=True)
class TxResult:
    """Outcome of a write: the transaction and the gas it used."""

    tx_hash: TxHash
    block_number: int
    gas_used: int


@dataclass(frozen=True)
class RelayedWrite:
    """A relayed, mined write: the ledger function, its signer, the ids it created, the transaction, and whether this
    answer is an earlier one given again (same idempotency key, or the same signed request sent twice)."""

    function: str
    signer: Address
    created: tuple[str, ...]
    tx: TxResult
    replayed: bool = False


@dataclass(frozen=True)
class Site:
    gln: Gln
    subdivision: str  # ISO 3166-2, e.g. "CN-GD"


@dataclass(frozen=True)
class ParticipantProfile:
    legal_name: str
    country: str  # ISO 3166-1 alpha-2
    sites: tuple[Site, ...] = ()
    organisation_id: Hash32 | None = None
    profile_hash: Hash32 | None = None
    party_gln: Gln | None = None  # the GLN that names the participant as a party (EPCIS source/destination)


@dataclass(frozen=True)
class Participant:
    address: Address
    index: int
    profile: ParticipantProfile
    roles: frozenset[Role]
    suspended: bool
    registered: TxRef


@dataclass(frozen=True)
class Document:
    hash: Hash32
    kind: DocumentKind


class CitationKind(StrEnum):
    """Which kind of record on chain commits to a document's hash."""

    BATCH = "batch"  # one of a batch's documents (with its kind)
    DISCLOSURE = "disclosure"  # the report behind a version of an ESG disclosure
    ATTESTATION = "attestation"  # an auditor's assurance report on a disclosure version
    PARTICIPANT = "participant"  # a participant's profile document (legal and local names, aliases, address)


@dataclass(frozen=True)
class Citation:
    """A record on chain that commits to a document: the document is the evidence behind that record.

    `record_id` is the batch id, the disclosure id, or the participant's address; `participant` is who recorded it
    (the producer, the discloser, the auditor, or the participant registered). `version` is the disclosure version
    for disclosure and attestation citations; `document_kind` the kind a batch gave the document."""

    kind: CitationKind
    record_id: str
    participant: Address
    tx: TxRef
    document_kind: DocumentKind | None = None
    version: int | None = None


@dataclass(frozen=True)
class InputUse:
    """An input batch and the quantity of it consumed (in the input's unit)."""

    batch_id: BatchId
    quantity: Decimal


@dataclass(frozen=True)
class NewBatch:
    """What a factory records. The batch id follows from the producer, GTIN and lot."""

    gtin: Gtin
    lot: str
    hs_code: str
    quantity: Decimal
    unit: str
    facility: Gln
    produced_at: datetime
    inputs: tuple[InputUse, ...] = ()
    documents: tuple[Document, ...] = ()
    process_emissions_kg: Decimal | None = None  # kg CO2e of this production step


@dataclass(frozen=True)
class CustodyTransfer:
    from_address: Address
    to_address: Address
    remaining: Decimal
    tx: TxRef


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    reason: str
    tx: TxRef


@dataclass(frozen=True)
class Batch:
    """A recorded batch as the index reads it. `produced_at` is None when the recorded time lies outside the calendar
    (`produced_at_unix` always holds what was recorded); `index_problems` names events about the batch that this
    index could not read (normally none)."""

    id: BatchId
    producer: Address
    gtin: Gtin
    lot: str
    hs_code: str
    quantity: Decimal
    unit: str
    facility: Gln
    produced_at: datetime | None
    produced_at_unix: int
    inputs: tuple[InputUse, ...]
    documents: tuple[Document, ...]
    process_emissions_kg: Decimal | None
    holder: Address
    remaining: Decimal
    recorded: TxRef
    custody: tuple[CustodyTransfer, ...] = ()
    flags: tuple[Flag, ...] = ()
    index_problems: tuple[str, ...] = ()

    @property
    def active_flags(self) -> tuple[Flag, ...]:
        """Flags raised since the last release."""
        active: list[Flag] = []
        for flag in self.flags:
            if flag.kind is FlagKind.RELEASE:
                active.clear()
            else:
                active.append(flag)
        return tuple(active)

    @property
    def is_raw_material(self) -> bool:
        return not self.inputs


@dataclass(frozen=True)
class TraceNode:
    """One batch in an upstream trace, with its producer and the tier (0 = the traced batch)."""

    batch: Batch
    producer: Participant
    depth: int
    facility_subdivision: str | None


@dataclass(frozen=True)
class TraceEdge:
    """`input_id` was consumed (in `quantity` of its unit) to make `output_id`."""

    input_id: BatchId
    output_id: BatchId
    quantity: Decimal


class TraceLimit(StrEnum):
    """Which bound cut an upstream trace short."""

    MAX_DEPTH = "max_depth"  # batches `max_depth` tiers up have inputs that were not followed
    MAX_NODES = "max_nodes"  # following the next batch's inputs would have passed the node cap


@dataclass(frozen=True)
class Trace:
    """An upstream trace. Edges run only between its nodes, and only into batches whose inputs were followed.

    When a bound cut the walk, `truncated_by` says which one and `continue_from` lists the traced batches whose inputs
    were not followed (in node order): tracing each of them continues the lineage where this trace stopped.
    """

    root: BatchId
    nodes: tuple[TraceNode, ...]
    edges: tuple[TraceEdge, ...]
    as_of_block: int
    truncated_by: TraceLimit | None = None
    continue_from: tuple[BatchId, ...] = ()

    @property
    def truncated(self) -> bool:
        """The lineage continues beyond this trace."""
        return self.truncated_by is not None

    def node(self, batch_id: BatchId) -> TraceNode:
        for node in self.nodes:
            if node.batch.id == batch_id:
                return node
        raise KeyError(batch_id)

    @property
    def depth(self) -> int:
        return max((n.depth for n in self.nodes), default=0)


@dataclass(frozen=True)
class MetricValue:
    """One reported figure: catalogue code, fixed-point value and unit."""

    code: str
    value: Decimal
    unit: str


@dataclass(frozen=True)
class DisclosureVersion:
    version: int
    metrics: tuple[MetricValue, ...]
    document_hash: Hash32
    uri: str
    supersedes: int  # 0 for the first version
    reason: str
    content_hash: Hash32
    signer: Address
    tx: TxRef
    public: bool = False  # the discloser lets anyone read this version


@dataclass(frozen=True)
class Attestation:
    disclosure_id: DisclosureId
    version: int
    auditor: Address
    level: AssuranceLevel
    opinion: Opinion
    report_hash: Hash32
    tx: TxRef
    revoked: TxRef | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked is None

    @property
    def gives_assurance(self) -> bool:
        """Active, with an opinion that assures the figures: unmodified or qualified. An adverse opinion (the figures
        are materially misstated) or a disclaimer (no opinion could be formed) assures nothing."""
        return self.active and self.opinion in (Opinion.UNMODIFIED, Opinion.QUALIFIED)


@dataclass(frozen=True)
class Disclosure:
    id: DisclosureId
    participant: Address
    period: str
    framework: str
    versions: tuple[DisclosureVersion, ...]
    attestations: tuple[Attestation, ...] = field(default=())

    @property
    def latest(self) -> DisclosureVersion:
        return self.versions[-1]

    @property
    def active_attestations(self) -> tuple[Attestation, ...]:
        return tuple(a for a in self.attestations if a.active)

    @property
    def attested_version(self) -> int | None:
        """Newest version with an active attestation."""
        versions = [a.version for a in self.active_attestations]
        return max(versions) if versions else None

    @property
    def amended_since_attestation(self) -> bool:
        """An earlier version is attested, the latest is not: the figures that count were never attested."""
        attested = self.attested_version
        return attested is not None and attested < self.latest.version

    @property
    def assurance(self) -> Attestation | None:
        """The strongest attestation that assures the latest version (see `Attestation.gives_assurance`), if any;
        of equal levels the newest."""
        best: Attestation | None = None
        for a in self.attestations:
            if (
                a.version == self.latest.version
                and a.gives_assurance
                and (best is None or a.level.rank >= best.level.rank)
            ):
                best = a
        return best

    @property
    def public(self) -> bool:
        """Whether anyone may read it: its latest version is marked public by the discloser."""
        return self.latest.public

    @property
    def audited(self) -> bool:
        """The one meaning of "audited" everywhere (API, exports, due diligence): the latest version carries an
        attestation that gives assurance."""
        return self.assurance is not None


@dataclass(frozen=True)
class Deployment:
    """Deployment manifest: where the contracts live on which chain."""

    chain_id: int
    ledger: Address
    forwarder: Address
    block_number: int
    deployed_at: datetime
    compiler: str
    genesis_hash: str | None = None  # block 0 of the chain deployed on: tells a reset or replaced chain apart


@dataclass(frozen=True)
class Eip712Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: Address


@dataclass(frozen=True)
class ForwardRequest:
    """An EIP-712 `ForwardRequest` as OpenZeppelin's ERC2771Forwarder defines it."""

    from_address: Address
    to: Address
    value: int
    gas: int
    nonce: int
    deadline: int
    data: str  # 0x-hex calldata for the ledger


@dataclass(frozen=True)
class SignedRequest:
    request: ForwardRequest
    signature: str  # 0x-hex, 65 bytes
