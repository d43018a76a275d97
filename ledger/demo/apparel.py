"""The demo supply chain: a four-tier apparel chain from cotton gin to garment factory, a brand buyer and an auditor.

Two finished-goods lines are recorded:
- line A (organic cotton from Gujarat, certified at every tier, audited disclosures) is the batch that passes;
- line B blends lint from a gin in Xinjiang (CN-XJ, a region under the US forced-labour import ban) without a
  certificate into the yarn, so due diligence on its garments flags it.
ESG disclosures are published under GRI and ESRS; one is amended after it was attested, one is attested with
reasonable assurance, one attestation is revoked.

Every document hash the demo records is the SHA-256 of a real file it ships (`ledger.demo.documents`): certificates,
invoices and reports as PDF, plot maps as GeoJSON, participant profiles and social audits as JSON. Given a vault
(`seed_demo(..., vault=...)`), each participant uploads the files its records cite; given screening lists, it loads
the sample UFLPA list.

Two more chains come with `chains=ALL_CHAINS` (what `ledger serve --demo` records): a natural-rubber chain for the
EUDR (`ledger.demo.rubber`) and a battery chain for the EU Battery Regulation (`ledger.demo.battery`).

Over 400 lines on purpose: the demo is a script of data (participants, sites, batches, hand-overs, disclosures) read
top to bottom as the story it tells; split, the story would be read across files.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ledger.client import Ledger
from ledger.demo.documents import document, file_hash, load_sample_lists, upload_documents
from ledger.documents.vault import Vault
from ledger.domain.types import (
    AssuranceLevel,
    BatchId,
    DisclosureId,
    DocumentKind,
    FlagKind,
    Gln,
    Gtin,
    Hash32,
    InputUse,
    MetricValue,
    NewBatch,
    Opinion,
    ParticipantProfile,
    Role,
    Site,
)
from ledger.regimes.screening import ScreeningLists

Progress = Callable[[str], None]


def demo_account(name: str) -> LocalAccount:
    """A deterministic demo key per participant name (never use these keys outside a demo)."""
    return Account.from_key(keccak(text=f"provenance-ledger demo key: {name}"))


def doc(label: str) -> Hash32:
    """A stand-in document hash made from a label, for tests and examples (the demo's own documents are real files,
    `ledger.demo.documents`)."""
    return Hash32("0x" + keccak(text=label).hex())


@dataclass(frozen=True)
class DemoParticipant:
    key: str
    account: LocalAccount
    profile: ParticipantProfile
    roles: tuple[Role, ...]


@dataclass
class DemoWorld:
    """What the demo recorded, for the CLI and tests to point at."""

    participants: dict[str, DemoParticipant]
    batches: dict[str, BatchId] = field(default_factory=dict)
    disclosures: dict[str, DisclosureId] = field(default_factory=dict)

    @property
    def passing_batch(self) -> BatchId:
        return self.batches["garments-a"]

    @property
    def flagged_batch(self) -> BatchId:
        return self.batches["garments-b"]

    def account(self, key: str) -> LocalAccount:
        return self.participants[key].account


def _participant(
    key: str,
    name: str,
    country: str,
    sites: tuple[tuple[str, str], ...],
    roles: tuple[Role, ...],
    organisation: str,
    party_gln: str | None = None,
) -> DemoParticipant:
    """A demo participant; a factory's party GLN is its (only) site's GLN unless another is given."""
    return DemoParticipant(
        key=key,
        account=demo_account(key),
        profile=ParticipantProfile(
            legal_name=name,
            country=country,
            sites=tuple(Site(Gln(g), s) for g, s in sites),
            organisation_id=Hash32("0x" + keccak(text=organisation).hex()),
            profile_hash=file_hash(f"profile-{key}.json"),
            party_gln=Gln(party_gln or sites[0][0]) if (party_gln or sites) else None,
        ),
        roles=roles,
    )


DEMO_PARTICIPANTS = (
    _participant(
        "gin-gujarat",
        "Kutch Organic Cotton Ginning Pvt Ltd",
        "IN",
        (("8901234000014", "IN-GJ"),),
        (Role.FACTORY,),
        "LEI 335800KUTCHGIN00001",
    ),
    _participant(
        "gin-xinjiang",
        "Aksu Northwest Cotton Processing Co Ltd",
        "CN",
        (("6901234000016", "CN-XJ"),),
        (Role.FACTORY,),
        "USCC 91652900AKSUCOTTON",
    ),
    _participant(
        "spinning",
        "Saigon Premium Yarn Spinning JSC",
        "VN",
        (("8931234000011", "VN-SG"),),
        (Role.FACTORY,),
        "LEI 529900SAIGONYARN001",
    ),
    _participant(
        "weaving",
        "Pearl River Weaving & Dyeing Co Ltd",
        "CN",
        (("6921234000014", "CN-GD"),),
        (Role.FACTORY,),
        "USCC 91440101PEARLRIVER",
    ),
    _participant(
        "garment",
        "Harbour Garment Manufacturing (Dongguan) Ltd",
        "CN",
        (("6931234000013", "CN-GD"),),
        (Role.FACTORY,),
        "LEI 254900HARBOURGROUP1",
    ),
    _participant(
        "brand",
        "Nordic Outdoor Brands AB",
        "SE",
        (),
        (Role.BUYER,),
        "LEI 549300NORDICOUTDOOR",
        party_gln="7312345000014",
    ),
    _participant(
        "auditor",
        "Asia Pacific Assurance Partners Ltd",
        "HK",
        (),
        (Role.AUDITOR,),
        "LEI 254900APASSURANCE01",
        party_gln="4891234000012",
    ),
)

# GS1 GTINs with valid check digits (GS1 company prefixes of the demo companies).
GTIN_LINT = Gtin("08901234000106")
GTIN_YARN = Gtin("08931234000103")
GTIN_FABRIC = Gtin("06921234000106")
GTIN_SHIRT = Gtin("06931234000105")


def _metrics(
    scope1: str, scope2: str, energy: str, renewable: str, water: str, employees: str
) -> tuple[MetricValue, ...]:
    return (
        MetricValue("GHG_SCOPE1", Decimal(scope1), "tCO2e"),
        MetricValue("GHG_SCOPE2_LB", Decimal(scope2), "tCO2e"),
        MetricValue("ENERGY_TOTAL", Decimal(energy), "MWh"),
        MetricValue("ENERGY_RENEWABLE_SHARE", Decimal(renewable), "%"),
        MetricValue("WATER_WITHDRAWAL", Decimal(water), "m3"),
        MetricValue("EMPLOYEES", Decimal(employees), "headcount"),
    )


#: Disclosures the demo's suppliers publish for anyone to read (the others: consortium members only).
PUBLIC_DISCLOSURES = frozenset({"gin-gujarat", "garment"})


APPAREL = "apparel"
RUBBER = "rubber"
BATTERY = "battery"
ALL_CHAINS = (APPAREL, RUBBER, BATTERY)


def seed_demo(
    ledger: Ledger,
    progress: Progress | None = None,
    *,
    chains: Collection[str] = (APPAREL,),
    vault: Vault | None = None,
    lists: ScreeningLists | None = None,
) -> DemoWorld:
    """Register the participants and record the demo chains (by default the apparel chain alone, about 40
    transactions; `ALL_CHAINS` adds the rubber and battery chains, about 50 more). With a vault, each participant
    uploads the files its records cite (`demo_evidence.upload_documents`); with screening lists, the sample UFLPA list
    is loaded."""
    say = progress or (lambda _message: None)
    unknown = set(chains) - set(ALL_CHAINS)
    if unknown:
        raise ValueError(f"unknown demo chain(s): {', '.join(sorted(unknown))}; known: {', '.join(ALL_CHAINS)}")
    world = DemoWorld({})
    if lists is not None:
        load_sample_lists(lists)
    if APPAREL in chains:
        _seed_apparel(ledger, world, say)
    if RUBBER in chains:
        from ledger.demo.rubber import seed_rubber

        seed_rubber(ledger, world, say)
    if BATTERY in chains:
        from ledger.demo.battery import seed_battery

        seed_battery(ledger, world, say)
    if vault is not None:
        say("each participant uploads its documents to the vault")
        upload_documents(ledger, vault)
    return world


class Seeder:
    """Records one demo chain into a world: participants, batches (by key) and custody hand-overs."""

    def __init__(self, ledger: Ledger, world: DemoWorld, say: Progress) -> None:
        self.ledger, self.world, self.say = ledger, world, say

    def register(self, participants: Collection[DemoParticipant]) -> None:
        for p in participants:
            self.say(f"registering {p.profile.legal_name}")
            self.ledger.register_participant(p.account.address, p.profile, p.roles)
            self.world.participants[p.key] = p

    def record(self, key: str, producer: str, batch: NewBatch) -> BatchId:
        self.say(
            f"recording {key} ({batch.quantity} {batch.unit}) at {self.world.participants[producer].profile.legal_name}"
        )
        batch_id, _ = self.ledger.record_batch(self.world.account(producer), batch)
        self.world.batches[key] = batch_id
        return batch_id

    def hand_over(self, key: str, giver: str, taker: str) -> None:
        self.say(f"custody of {key}: {giver} -> {taker}")
        self.ledger.transfer_custody(
            self.world.account(giver), self.world.batches[key], self.world.account(taker).address
        )


def register_participants(ledger: Ledger, say: Progress) -> DemoWorld:
    """Register the apparel chain's participants (the consortium operator's writes)."""
    world = DemoWorld({})
    Seeder(ledger, world, say).register(DEMO_PARTICIPANTS)
    return world


def _seed_apparel(ledger: Ledger, world: DemoWorld, say: Progress) -> None:
    seeder = Seeder(ledger, world, say)
    seeder.register(DEMO_PARTICIPANTS)
    a = world.account
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=120)
    record, hand_over = seeder.record, seeder.hand_over

    # Tier 4: raw cotton lint bales.
    record(
        "lint-gujarat",
        "gin-gujarat",
        NewBatch(
            GTIN_LINT,
            "GJ25-LB-0412",
            "520100",
            Decimal("24000"),
            "KGM",
            Gln("8901234000014"),
            start,
            documents=(
                document("gots-scope-certificate-gj-2025-0412.pdf", DocumentKind.CERTIFICATE),
                document("plots-kutch-2025.geojson", DocumentKind.PLOT_GEOLOCATION),
                document("invoice-koc-25-1188.pdf", DocumentKind.INVOICE),
            ),
            process_emissions_kg=Decimal("7200"),
        ),
    )
    record(
        "lint-xinjiang",
        "gin-xinjiang",
        NewBatch(
            GTIN_LINT,
            "AKS-2025-0977",
            "520100",
            Decimal("18000"),
            "KGM",
            Gln("6901234000016"),
            start,
            documents=(document("invoice-anc-0977.pdf", DocumentKind.INVOICE),),
        ),
    )
    hand_over("lint-gujarat", "gin-gujarat", "spinning")
    hand_over("lint-xinjiang", "gin-xinjiang", "spinning")

    # Tier 3: yarn.
    record(
        "yarn-a",
        "spinning",
        NewBatch(
            GTIN_YARN,
            "SPY-25-A-031",
            "520512",
            Decimal("10800"),
            "KGM",
            Gln("8931234000011"),
            start + timedelta(days=14),
            inputs=(InputUse(world.batches["lint-gujarat"], Decimal("12000")),),
            documents=(
                document("gots-transaction-certificate-spy-tc-031.pdf", DocumentKind.CERTIFICATE),
                document("packing-list-spy-031.pdf", DocumentKind.PACKING_LIST),
            ),
            process_emissions_kg=Decimal("21600"),
        ),
    )
    record(
        "yarn-b",
        "spinning",
        NewBatch(
            GTIN_YARN,
            "SPY-25-B-032",
            "520512",
            Decimal("14400"),
            "KGM",
            Gln("8931234000011"),
            start + timedelta(days=15),
            inputs=(
                InputUse(world.batches["lint-gujarat"], Decimal("6000")),
                InputUse(world.batches["lint-xinjiang"], Decimal("10000")),
            ),
            documents=(document("packing-list-spy-032.pdf", DocumentKind.PACKING_LIST),),
            process_emissions_kg=Decimal("28800"),
        ),
    )
    hand_over("yarn-a", "spinning", "weaving")
    hand_over("yarn-b", "spinning", "weaving")

    # Tier 2: woven, dyed fabric (metres).
    record(
        "fabric-a",
        "weaving",
        NewBatch(
            GTIN_FABRIC,
            "PRW-2025-A-77",
            "520852",
            Decimal("52000"),
            "MTR",
            Gln("6921234000014"),
            start + timedelta(days=30),
            inputs=(InputUse(world.batches["yarn-a"], Decimal("10400")),),
            documents=(
                document("oeko-tex-certificate-prw-77.pdf", DocumentKind.CERTIFICATE),
                document("bill-of-lading-hkg-prw-77.pdf", DocumentKind.BILL_OF_LADING),
            ),
            process_emissions_kg=Decimal("36400"),
        ),
    )
    record(
        "fabric-b",
        "weaving",
        NewBatch(
            GTIN_FABRIC,
            "PRW-2025-B-78",
            "520852",
            Decimal("70000"),
            "MTR",
            Gln("6921234000014"),
            start + timedelta(days=31),
            inputs=(InputUse(world.batches["yarn-b"], Decimal("14000")),),
            documents=(document("bill-of-lading-hkg-prw-78.pdf", DocumentKind.BILL_OF_LADING),),
            process_emissions_kg=Decimal("49000"),
        ),
    )
    hand_over("fabric-a", "weaving", "garment")
    hand_over("fabric-b", "weaving", "garment")

    # Tier 1: finished garments (pieces), shipped to the brand.
    record(
        "garments-a",
        "garment",
        NewBatch(
            GTIN_SHIRT,
            "HG-DG-25-A-1201",
            "620520",
            Decimal("30000"),
            "H87",
            Gln("6931234000013"),
            start + timedelta(days=45),
            inputs=(InputUse(world.batches["fabric-a"], Decimal("51000")),),
            documents=(
                document("social-audit-hg-2025.json", DocumentKind.AUDIT_REPORT),
                document("packing-list-hg-1201.pdf", DocumentKind.PACKING_LIST),
            ),
            process_emissions_kg=Decimal("15000"),
        ),
    )
    record(
        "garments-b",
        "garment",
        NewBatch(
            GTIN_SHIRT,
            "HG-DG-25-B-1202",
            "620520",
            Decimal("40000"),
            "H87",
            Gln("6931234000013"),
            start + timedelta(days=46),
            inputs=(InputUse(world.batches["fabric-b"], Decimal("68000")),),
            documents=(document("packing-list-hg-1202.pdf", DocumentKind.PACKING_LIST),),
            process_emissions_kg=Decimal("20000"),
        ),
    )
    hand_over("garments-a", "garment", "brand")
    hand_over("garments-b", "garment", "brand")
    say("quality hold on fabric-b after a colour-fastness failure")
    ledger.flag_batch(
        a("weaving"), world.batches["fabric-b"], FlagKind.QUALITY_HOLD, "colour fastness below ISO 105-C06"
    )

    seed_disclosures(ledger, world, say)


def seed_disclosures(ledger: Ledger, world: DemoWorld, say: Progress) -> None:
    """The suppliers' ESG disclosures, their attestations, an amendment and a revocation."""
    a = world.account
    auditor = a("auditor")
    plans = {
        "gin-gujarat": ("GRI", _metrics("410", "950", "2100", "38", "52000", "240")),
        "gin-xinjiang": ("GRI", _metrics("1900", "4100", "7600", "4", "240000", "610")),
        "spinning": ("GRI", _metrics("1200", "5400", "12800", "22", "98000", "1450")),
        "weaving": ("ESRS", _metrics("6800", "9100", "31000", "12", "1250000", "2100")),
        "garment": ("ESRS", _metrics("900", "3300", "8800", "30", "64000", "3800")),
    }
    for key, (framework, metrics) in plans.items():
        say(f"{world.participants[key].profile.legal_name} publishes its {framework} 2025 disclosure")
        disclosure_id, _ = ledger.publish_disclosure(
            a(key),
            "2025",
            framework,
            metrics,
            file_hash(f"sustainability-report-{key}-2025.pdf"),
            f"https://reports.example/{key}/2025.pdf",
            public=key in PUBLIC_DISCLOSURES,
        )
        world.disclosures[key] = disclosure_id

    say("the auditor attests the suppliers' disclosures")
    ledger.attest(
        auditor,
        world.disclosures["gin-gujarat"],
        1,
        AssuranceLevel.LIMITED,
        Opinion.UNMODIFIED,
        file_hash("assurance-report-koc-2025.pdf"),
    )
    ledger.attest(
        auditor,
        world.disclosures["spinning"],
        1,
        AssuranceLevel.LIMITED,
        Opinion.UNMODIFIED,
        file_hash("assurance-report-spy-2025.pdf"),
    )
    ledger.attest(
        auditor,
        world.disclosures["garment"],
        1,
        AssuranceLevel.REASONABLE,
        Opinion.UNMODIFIED,
        file_hash("assurance-report-hg-2025.pdf"),
    )
    ledger.attest(
        auditor,
        world.disclosures["weaving"],
        1,
        AssuranceLevel.LIMITED,
        Opinion.QUALIFIED,
        file_hash("assurance-report-prw-2025.pdf"),
    )

    say("the weaving mill amends its ESRS disclosure after attestation (Scope 1 restated)")
    ledger.amend_disclosure(
        a("weaving"),
        world.disclosures["weaving"],
        _metrics("7350", "9100", "31000", "12", "1250000", "2100"),
        file_hash("sustainability-report-weaving-2025-rev1.pdf"),
        "https://reports.example/weaving/2025-rev1.pdf",
        "Scope 1 restated: boiler coal consumption under-reported in Q3",
    )
    ledger.attest(
        auditor,
        world.disclosures["gin-xinjiang"],
        1,
        AssuranceLevel.LIMITED,
        Opinion.UNMODIFIED,
        file_hash("assurance-report-anc-2025.pdf"),
    )
    say("the auditor revokes its attestation of the Xinjiang gin (site access refused)")
    ledger.revoke_attestation(
        auditor, world.disclosures["gin-xinjiang"], 1, "site access for verification of labour data was refused"
    )
