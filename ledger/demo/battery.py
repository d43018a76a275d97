"""The demo's battery chain, for the EU Battery Regulation: spodumene from Western Australia and cobalt ore from
Lualaba (DR Congo) -> lithium hydroxide and cobalt sulphate refined in Jiangxi -> cells in Debrecen -> industrial
battery packs (15 kWh) in Regensburg.

Two pack lots share the materials:
- line A (`packs-a`) declares its carbon footprint per kWh (62.4 kg CO2e/kWh by life-cycle stage), backed by an EU
  declaration of conformity with a notified body and a battery passport id: it passes;
- line B (`packs-b`) declares no carbon footprint: it fails BATTERY-B1 (and, from 18 Feb 2027, the passport rule).
The pack maker's profile names its due diligence policy, verified by a notified body (BATTERY-B4).
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
        "lithium-mine",
        "Goldfields Spodumene Mining Pty Ltd",
        "AU",
        (("9312345000012", "AU-WA"),),
        (Role.FACTORY,),
        "ABN 12 345 678 901",
    ),
    _participant(
        "cobalt-mine",
        "Lualaba Minerals SARL",
        "CD",
        (("6161234000014", "CD-LU"),),
        (Role.FACTORY,),
        "RCCM CD/KZI/2019-B-0123",
    ),
    _participant(
        "refiner",
        "Jiangxi Battery Materials Refining Co Ltd",
        "CN",
        (("6935123000016", "CN-JX"),),
        (Role.FACTORY,),
        "USCC 91360900JXBMR2026",
    ),
    _participant(
        "cell-maker",
        "Debrecen Cell Manufacturing Kft",
        "HU",
        (("5991234000018", "HU-HB"),),
        (Role.FACTORY,),
        "Cg. 09-09-123456",
    ),
    _participant(
        "pack-maker",
        "Bavaria Energy Storage GmbH",
        "DE",
        (("4002234000012", "DE-BY"),),
        (Role.FACTORY,),
        "HRB 17777 Regensburg",
    ),
)
PACK_PLANT = Gln("4002234000012")
GTIN_SPODUMENE = Gtin("09312345000104")
GTIN_COBALT_ORE = Gtin("06161234000106")
GTIN_LITHIUM_HYDROXIDE = Gtin("06935123000108")
GTIN_COBALT_SULPHATE = Gtin("06935123000207")
GTIN_CELL = Gtin("05991234000100")
GTIN_PACK = Gtin("04002234000104")


def seed_battery(ledger: Ledger, world: DemoWorld, say: Progress) -> None:
    seeder = Seeder(ledger, world, say)
    seeder.register(PARTICIPANTS)
    b = world.batches
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=90)
    seeder.record(
        "spodumene",
        "lithium-mine",
        NewBatch(
            GTIN_SPODUMENE,
            "GSM-26-0415",
            "253090",
            Decimal("30000"),
            "KGM",
            Gln("9312345000012"),
            start,
            process_emissions_kg=Decimal("9000"),
        ),
    )
    seeder.record(
        "cobalt-ore",
        "cobalt-mine",
        NewBatch(
            GTIN_COBALT_ORE,
            "LMS-26-0730",
            "260500",
            Decimal("12000"),
            "KGM",
            Gln("6161234000014"),
            start,
            process_emissions_kg=Decimal("7200"),
        ),
    )
    seeder.hand_over("spodumene", "lithium-mine", "refiner")
    seeder.hand_over("cobalt-ore", "cobalt-mine", "refiner")
    seeder.record(
        "lithium-hydroxide",
        "refiner",
        NewBatch(
            GTIN_LITHIUM_HYDROXIDE,
            "JBR-26-LIOH-21",
            "282520",
            Decimal("4000"),
            "KGM",
            Gln("6935123000016"),
            start + timedelta(days=20),
            inputs=(InputUse(b["spodumene"], Decimal("28000")),),
            process_emissions_kg=Decimal("60000"),
        ),
    )
    seeder.record(
        "cobalt-sulphate",
        "refiner",
        NewBatch(
            GTIN_COBALT_SULPHATE,
            "JBR-26-COSO4-22",
            "283329",
            Decimal("3000"),
            "KGM",
            Gln("6935123000016"),
            start + timedelta(days=21),
            inputs=(InputUse(b["cobalt-ore"], Decimal("11000")),),
            process_emissions_kg=Decimal("21000"),
        ),
    )
    seeder.hand_over("lithium-hydroxide", "refiner", "cell-maker")
    seeder.hand_over("cobalt-sulphate", "refiner", "cell-maker")
    for line, cells, packs in (("a", "DCM-26-A-301", "BES-26-A-0901"), ("b", "DCM-26-B-302", "BES-26-B-0902")):
        seeder.record(
            f"cells-{line}",
            "cell-maker",
            NewBatch(
                GTIN_CELL,
                cells,
                "850760",
                Decimal("4000"),
                "H87",
                Gln("5991234000018"),
                start + timedelta(days=40),
                inputs=(
                    InputUse(b["lithium-hydroxide"], Decimal("1500")),
                    InputUse(b["cobalt-sulphate"], Decimal("1200")),
                ),
                process_emissions_kg=Decimal("38000"),
            ),
        )
        seeder.hand_over(f"cells-{line}", "cell-maker", "pack-maker")
        documents = (
            (
                document("carbon-footprint-bes-nmc-15.json", DocumentKind.CARBON_FOOTPRINT_STUDY),
                document("carbon-footprint-study-bes-nmc-15.pdf", DocumentKind.CARBON_FOOTPRINT_STUDY),
                document("declaration-of-conformity-bes-nmc-15.json", DocumentKind.DECLARATION_OF_CONFORMITY),
            )
            if line == "a"
            else ()
        )
        seeder.record(
            f"packs-{line}",
            "pack-maker",
            NewBatch(
                GTIN_PACK,
                packs,
                "850760",
                Decimal("100"),
                "H87",
                PACK_PLANT,
                start + timedelta(days=55),
                inputs=(InputUse(b[f"cells-{line}"], Decimal("4000")),),
                documents=documents,
                process_emissions_kg=Decimal("12000"),
            ),
        )
