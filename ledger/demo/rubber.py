"""The demo's natural-rubber chain, for the EUDR: smallholder plots in Kedah (Malaysia) -> latex concentrate in Perak
-> examination gloves in Selangor -> an EU buyer in Mainz.

Two lots go the whole way:
- lot A (`gloves-a`) is compliant: every plot mapped (polygons for the larger plots, a point for one of 1.4 ha),
  deforestation-free evidence for each plot, land titles, production dates, the buyer's due diligence statement;
- lot B (`gloves-b`) fails: plot KD-BL-0207 covers 6.2 ha but its plot map gives only a point (EUDR-E3).
Malaysia is a standard-risk country (Implementing Regulation 2025/1093): the statement records the risk assessment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld, Progress, Seeder, _participant
from ledger.demo.documents import document
from ledger.domain.types import DocumentKind, Gln, Gtin, InputUse, NewBatch, Role

PARTICIPANTS = (
    _participant(
        "rubber-coop",
        "Kedah Smallholder Rubber Cooperative Bhd",
        "MY",
        (("9551234000010", "MY-02"),),
        (Role.FACTORY,),
        "SSM 202401000123",
    ),
    _participant(
        "latex",
        "Perak Latex Concentrate Sdn Bhd",
        "MY",
        (("9552234000017", "MY-08"),),
        (Role.FACTORY,),
        "SSM 199801004567",
    ),
    _participant(
        "gloves",
        "Selangor Medical Gloves Sdn Bhd",
        "MY",
        (("9553234000014", "MY-10"),),
        (Role.FACTORY,),
        "SSM 200501008899",
    ),
    _participant(
        "rubber-buyer",
        "Rhein Medical Supplies GmbH",
        "DE",
        (),
        (Role.BUYER,),
        "HRB 41234 Mainz",
        party_gln="4012345000016",
    ),
)
GTIN_FIELD_LATEX = Gtin("09551234000102")
GTIN_CONCENTRATE = Gtin("09552234000109")
GTIN_GLOVES = Gtin("09553234000106")


def seed_rubber(ledger: Ledger, world: DemoWorld, say: Progress) -> None:
    seeder = Seeder(ledger, world, say)
    seeder.register(PARTICIPANTS)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=100)
    titles = document("land-titles-ksrc-2026.pdf", DocumentKind.LEGALITY_PERMIT)
    for line, lot, concentrate, gloves, quantity in (
        ("a", "KSRC-26-A-0311", "PLC-26-A-088", "SMG-26-A-1501", 900),
        ("b", "KSRC-26-B-0312", "PLC-26-B-089", "SMG-26-B-1502", 880),
    ):
        seeder.record(
            f"field-latex-{line}",
            "rubber-coop",
            NewBatch(
                GTIN_FIELD_LATEX,
                lot,
                "400110",
                Decimal("20000"),
                "KGM",
                Gln("9551234000010"),
                start,
                documents=(
                    document(f"plots-ksrc-26-{line}.geojson", DocumentKind.PLOT_GEOLOCATION),
                    document(f"deforestation-evidence-ksrc-26-{line}.json", DocumentKind.DEFORESTATION_EVIDENCE),
                    titles,
                ),
                process_emissions_kg=Decimal("1800"),
            ),
        )
        seeder.hand_over(f"field-latex-{line}", "rubber-coop", "latex")
        seeder.record(
            f"concentrate-{line}",
            "latex",
            NewBatch(
                GTIN_CONCENTRATE,
                concentrate,
                "400110",
                Decimal("10000"),
                "KGM",
                Gln("9552234000017"),
                start + timedelta(days=6),
                inputs=(InputUse(world.batches[f"field-latex-{line}"], Decimal("20000")),),
                process_emissions_kg=Decimal("4200"),
            ),
        )
        seeder.hand_over(f"concentrate-{line}", "latex", "gloves")
        seeder.record(
            f"gloves-{line}",
            "gloves",
            NewBatch(
                GTIN_GLOVES,
                gloves,
                "401519",
                Decimal(quantity * 1000),
                "PR",
                Gln("9553234000014"),
                start + timedelta(days=20),
                inputs=(InputUse(world.batches[f"concentrate-{line}"], Decimal("8000")),),
                documents=(document(f"dds-smg-26-{line}.json", DocumentKind.DUE_DILIGENCE_STATEMENT),),
                process_emissions_kg=Decimal("26000"),
            ),
        )
        seeder.hand_over(f"gloves-{line}", "gloves", "rubber-buyer")
