"""Write the demo's documents to `ledger/demo/files/`: small real PDFs, GeoJSON plot maps and the JSON evidence
formats of `ledger.regimes.formats`. The demo records the SHA-256 of each file on chain and, given a workspace, puts
the files in its vault.

    .venv/bin/python scripts/demo_documents.py          # (re)write the files
    .venv/bin/python scripts/demo_documents.py --check  # exit 1 if a shipped file differs from what this writes

The output is deterministic (no dates of the run, no randomness), so the shipped files are reproducible byte for
byte. Legal names and GLNs repeat those of the demo modules; tests check they agree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger.regimes.geojson import ring_area  # noqa: E402

OUT = ROOT / "ledger" / "demo" / "files"


# -- formats ---------------------------------------------------------------------------------------------------


def pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with a title and lines of Helvetica text: catalog, pages, page, font, content stream and an
    info dictionary, with an exact cross-reference table."""

    def text(value: str) -> str:
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 15 Tf", "72 770 Td", f"({text(title)}) Tj", "/F1 10 Tf", "0 -26 Td", "14 TL"]
    ops += [f"({text(line)}) Tj T*" for line in lines]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + text(title).encode("latin-1") + b") /Producer (provenance-ledger demo) >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def as_json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def geojson(features: list[dict[str, Any]]) -> bytes:
    """GeoJSON with every coordinate written with exactly 6 decimals (json.dumps would drop trailing zeros)."""
    text = json.dumps({"type": "FeatureCollection", "features": features}, indent=2, ensure_ascii=False)
    text = re.sub(r'"__(-?[0-9.]+)__"', lambda m: f"{float(m.group(1)):.6f}", text)
    return (text + "\n").encode("utf-8")


def _mark(value: Any) -> Any:
    """Coordinates as placeholder strings, replaced by fixed 6-decimal numbers in `geojson`."""
    if isinstance(value, list):
        return [_mark(v) for v in value]
    return f"__{value!r}__"


def plot(
    plot_id: str,
    geometry: dict[str, Any],
    area: float | None,
    producer: str,
    country: str,
    place: str,
    start: str,
    end: str,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "PlotId": plot_id,
        "ProducerName": producer,
        "ProducerCountry": country,
        "ProductionPlace": place,
    }
    if area is not None:
        properties["Area"] = area
    properties["ProductionStartDate"] = start
    properties["ProductionEndDate"] = end
    return {
        "type": "Feature",
        "id": plot_id,
        "properties": properties,
        "geometry": {"type": geometry["type"], "coordinates": _mark(geometry["coordinates"])},
    }


def polygon(lon: float, lat: float, width_m: float, height_m: float) -> tuple[dict[str, Any], float]:
    """A five-sided field south-west corner at (lon, lat), about width x height metres; and its area in ha."""
    dlon = width_m / 111_320 / max(0.2, math.cos(math.radians(lat)))
    dlat = height_m / 110_574
    ring = [
        (lon, lat),
        (lon + dlon, lat),
        (lon + dlon * 1.08, lat + dlat * 0.55),
        (lon + dlon * 0.9, lat + dlat),
        (lon - dlon * 0.05, lat + dlat * 0.97),
    ]
    ring = [(round(x, 6), round(y, 6)) for x, y in ring]
    ring.append(ring[0])
    area = round(ring_area(ring) / 10_000, 2)
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}, area


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def profile(
    legal_name: str,
    address: str,
    email: str,
    registration: str,
    *,
    local_names: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    policy: tuple[str, str] | None = None,
) -> bytes:
    body: dict[str, Any] = {"format": "participant-profile/1", "legal_name": legal_name}
    if local_names:
        body["local_names"] = list(local_names)
    if aliases:
        body["aliases"] = list(aliases)
    body |= {"postal_address": address, "email": email, "registration_number": registration}
    if policy is not None:
        body["due_diligence_policy"] = {"document": policy[0], "verification_id": policy[1]}
    return as_json(body)


def sha256(content: bytes) -> str:
    return "0x" + hashlib.sha256(content).hexdigest()


# -- the demo's documents --------------------------------------------------------------------------------------


def apparel() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    people = {
        "gin-gujarat": (
            "Kutch Organic Cotton Ginning Pvt Ltd",
            "Survey 112, Anjar-Bhuj Road, Kutch 370110, Gujarat, India",
            "compliance@kutch-organic.example",
            "LEI 335800KUTCHGIN00001",
            (),
        ),
        "gin-xinjiang": (
            "Aksu Northwest Cotton Processing Co Ltd",
            "18 Wenhua Road, Aksu, Xinjiang 843000, China",
            "office@aksu-nw-cotton.example",
            "USCC 91652900AKSUCOTTON",
            ("阿克苏西北棉花加工有限公司",),
        ),
        "spinning": (
            "Saigon Premium Yarn Spinning JSC",
            "Lot C4, Tan Thuan EPZ, District 7, Ho Chi Minh City, Viet Nam",
            "sustainability@saigon-yarn.example",
            "LEI 529900SAIGONYARN001",
            (),
        ),
        "weaving": (
            "Pearl River Weaving & Dyeing Co Ltd",
            "88 Xingang Road, Panyu, Guangzhou 511400, Guangdong, China",
            "esg@pearl-river-weaving.example",
            "USCC 91440101PEARLRIVER",
            ("珠江织染有限公司",),
        ),
        "garment": (
            "Harbour Garment Manufacturing (Dongguan) Ltd",
            "3 Industrial Avenue, Humen, Dongguan 523900, Guangdong, China",
            "compliance@harbour-garment.example",
            "LEI 254900HARBOURGROUP1",
            (),
        ),
        "brand": (
            "Nordic Outdoor Brands AB",
            "Sveavägen 44, 111 34 Stockholm, Sweden",
            "sourcing@nordic-outdoor.example",
            "LEI 549300NORDICOUTDOOR",
            (),
        ),
        "auditor": (
            "Asia Pacific Assurance Partners Ltd",
            "Level 21, 8 Connaught Road, Central, Hong Kong",
            "assurance@apap.example",
            "LEI 254900APASSURANCE01",
            (),
        ),
    }
    for key, (name, address, email, registration, local) in people.items():
        files[f"profile-{key}.json"] = profile(name, address, email, registration, local_names=local)

    def certificate(name: str, title: str, *lines: str) -> None:
        files[name] = pdf(title, list(lines))

    certificate(
        "gots-scope-certificate-gj-2025-0412.pdf",
        "GOTS Scope Certificate GJ-2025-0412",
        "Certified organisation: Kutch Organic Cotton Ginning Pvt Ltd",
        "Standard: Global Organic Textile Standard 7.0",
        "Products: organic cotton lint (ginned)",
        "Valid: 2025-03-01 to 2026-02-28",
        "Certification body: demo certifier (illustrative document)",
    )
    kutch = []
    for n in (1, 2):
        shape, area = polygon(70.02 + n * 0.004, 23.25 + n * 0.002, 210, 190)
        kutch.append(
            plot(
                f"KUT-{n:03d}",
                shape,
                area,
                "Kutch Organic Farmers Group",
                "IN",
                "Anjar, Kutch",
                "2024-10-01",
                "2025-02-28",
            )
        )
    files["plots-kutch-2025.geojson"] = geojson(kutch)
    certificate(
        "invoice-koc-25-1188.pdf",
        "Invoice KOC-25-1188",
        "Seller: Kutch Organic Cotton Ginning Pvt Ltd",
        "Buyer: Saigon Premium Yarn Spinning JSC",
        "24,000 kg organic cotton lint, lot GJ25-LB-0412",
    )
    certificate(
        "invoice-anc-0977.pdf",
        "Invoice ANC-0977",
        "Seller: Aksu Northwest Cotton Processing Co Ltd",
        "Buyer: Saigon Premium Yarn Spinning JSC",
        "18,000 kg cotton lint, lot AKS-2025-0977",
    )
    certificate(
        "gots-transaction-certificate-spy-tc-031.pdf",
        "GOTS Transaction Certificate SPY-TC-031",
        "Seller: Saigon Premium Yarn Spinning JSC",
        "10,800 kg organic cotton yarn, lot SPY-25-A-031",
    )
    certificate("packing-list-spy-031.pdf", "Packing list SPY-031", "Lot SPY-25-A-031: 10,800 kg cotton yarn")
    certificate("packing-list-spy-032.pdf", "Packing list SPY-032", "Lot SPY-25-B-032: 14,400 kg cotton yarn")
    certificate(
        "oeko-tex-certificate-prw-77.pdf",
        "OEKO-TEX STANDARD 100 certificate PRW-77",
        "Pearl River Weaving & Dyeing Co Ltd",
        "Woven, dyed cotton fabric, lot PRW-2025-A-77",
    )
    certificate(
        "bill-of-lading-hkg-prw-77.pdf",
        "Bill of lading HKG-PRW-77",
        "52,000 m cotton fabric, lot PRW-2025-A-77, Guangzhou to Dongguan",
    )
    certificate(
        "bill-of-lading-hkg-prw-78.pdf",
        "Bill of lading HKG-PRW-78",
        "70,000 m cotton fabric, lot PRW-2025-B-78, Guangzhou to Dongguan",
    )
    closure = pdf(
        "Corrective action closure HG-2025-F2",
        [
            "Harbour Garment Manufacturing (Dongguan) Ltd",
            "Finding F2 (working hours): overtime capped, rosters and payroll checked for 3 months",
            "Closed 2025-10-20",
        ],
    )
    files["corrective-action-closure-hg-2025.pdf"] = closure
    files["social-audit-hg-2025.json"] = as_json(
        {
            "format": "social-audit/1",
            "standard": "amfori BSCI",
            "auditor": "Asia Pacific Assurance Partners Ltd",
            "audited_on": "2025-07-15",
            "site_gln": "6931234000013",
            "findings": [
                {"id": "F1", "issue": "health_safety", "severity": "minor", "status": "closed"},
                {
                    "id": "F2",
                    "issue": "working_hours",
                    "severity": "major",
                    "status": "closed",
                    "corrective_action_due": "2025-10-31",
                    "remediation_evidence": sha256(closure),
                },
            ],
        }
    )
    certificate("packing-list-hg-1201.pdf", "Packing list HG-1201", "Lot HG-DG-25-A-1201: 30,000 shirts")
    certificate("packing-list-hg-1202.pdf", "Packing list HG-1202", "Lot HG-DG-25-B-1202: 40,000 shirts")
    for key in ("gin-gujarat", "gin-xinjiang", "spinning", "weaving", "garment"):
        name = people[key][0]
        certificate(
            f"sustainability-report-{key}-2025.pdf",
            f"{name}: sustainability report 2025",
            "GHG emissions, energy, water and workforce for the reporting year 2025.",
        )
    certificate(
        "sustainability-report-weaving-2025-rev1.pdf",
        "Pearl River Weaving & Dyeing Co Ltd: sustainability report 2025, revision 1",
        "Scope 1 restated: boiler coal consumption under-reported in Q3.",
    )
    for code, name, level in (
        ("koc", "Kutch Organic Cotton Ginning Pvt Ltd", "limited"),
        ("spy", "Saigon Premium Yarn Spinning JSC", "limited"),
        ("hg", "Harbour Garment Manufacturing (Dongguan) Ltd", "reasonable"),
        ("prw", "Pearl River Weaving & Dyeing Co Ltd", "limited"),
        ("anc", "Aksu Northwest Cotton Processing Co Ltd", "limited"),
    ):
        certificate(
            f"assurance-report-{code}-2025.pdf",
            f"Independent assurance report: {name}",
            f"Asia Pacific Assurance Partners Ltd, {level} assurance (ISAE 3000 / ISAE 3410)",
            "Subject matter: the 2025 ESG disclosure recorded on the provenance ledger",
        )
    return files


RUBBER_PRODUCTION = ("2026-05-01", "2026-07-31")


def rubber() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    files["profile-rubber-coop.json"] = profile(
        "Kedah Smallholder Rubber Cooperative Bhd",
        "Lot 27, Jalan Baling, 09100 Baling, Kedah, Malaysia",
        "koperasi@kedah-rubber.example",
        "SSM 202401000123",
    )
    files["profile-latex.json"] = profile(
        "Perak Latex Concentrate Sdn Bhd",
        "Kawasan Perindustrian Kamunting, 34600 Taiping, Perak, Malaysia",
        "quality@perak-latex.example",
        "SSM 199801004567",
    )
    files["profile-gloves.json"] = profile(
        "Selangor Medical Gloves Sdn Bhd",
        "Jalan Sungai Kapar Indah, 42200 Klang, Selangor, Malaysia",
        "compliance@selangor-gloves.example",
        "SSM 200501008899",
    )
    files["profile-rubber-buyer.json"] = profile(
        "Rhein Medical Supplies GmbH",
        "Rheinallee 12, 55116 Mainz, Germany",
        "eudr@rhein-medical.example",
        "HRB 41234 Mainz",
    )
    producer, start, end = "Kedah Smallholder Rubber Cooperative Bhd", *RUBBER_PRODUCTION

    def field(plot_id: str, lon: float, lat: float, width: float, height: float) -> dict[str, Any]:
        shape, area = polygon(lon, lat, width, height)
        return plot(plot_id, shape, area, producer, "MY", "Baling, Kedah", start, end)

    lot_a = [
        field("KD-BL-0101", 100.912345, 5.676543, 190, 170),
        field("KD-BL-0102", 100.921876, 5.681234, 260, 220),
        plot("KD-BL-0103", point(100.905432, 5.669876), 1.4, producer, "MY", "Baling, Kedah", start, end),
    ]
    # Lot B: plot KD-BL-0207 covers 6.2 ha but is declared as a point, where the regulation wants a polygon.
    lot_b = [
        field("KD-BL-0201", 100.934567, 5.688765, 200, 180),
        plot("KD-BL-0207", point(100.941234, 5.694321), 6.2, producer, "MY", "Baling, Kedah", start, end),
    ]
    files["plots-ksrc-26-a.geojson"] = geojson(lot_a)
    files["plots-ksrc-26-b.geojson"] = geojson(lot_b)
    for lot, plots in (("a", lot_a), ("b", lot_b)):
        files[f"deforestation-evidence-ksrc-26-{lot}.json"] = as_json(
            {
                "format": "deforestation-evidence/1",
                "method": "Sentinel-2 and Landsat forest-cover change analysis",
                "baseline_date": "2020-12-31",
                "assessed_on": "2026-08-05",
                "deforestation_free": True,
                "plots": [p["properties"]["PlotId"] for p in plots],
            }
        )
    files["land-titles-ksrc-2026.pdf"] = pdf(
        "Land titles and rubber licences, Baling smallholders",
        [
            "Kedah Smallholder Rubber Cooperative Bhd",
            "Geran titles for plots KD-BL-0101 to KD-BL-0207",
            "RISDA smallholder registration and MRB dealer licence (illustrative document)",
        ],
    )
    for lot, reference in (("a", "26MYKD4F7Q2X81"), ("b", "26MYKD9H3L5V20")):
        files[f"dds-smg-26-{lot}.json"] = as_json(
            {
                "format": "eudr-dds/1",
                "reference_number": reference,
                "verification_number": f"V{reference[-6:]}",
                "operator": "Rhein Medical Supplies GmbH",
                "risk_assessment": "negligible",
            }
        )
    return files


PACK_PLANT_GLN = "4002234000012"


def battery() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    policy = pdf(
        "Supply-chain due diligence policy 2026",
        [
            "Bavaria Energy Storage GmbH",
            "Cobalt, lithium, nickel and natural graphite: OECD five-step framework",
            "Verified by notified body 2812 (illustrative document)",
        ],
    )
    files["due-diligence-policy-bes-2026.pdf"] = policy
    people = {
        "lithium-mine": (
            "Goldfields Spodumene Mining Pty Ltd",
            "Mine Road, Kalgoorlie WA 6430, Australia",
            "safety@goldfields-spodumene.example",
            "ABN 12 345 678 901",
        ),
        "cobalt-mine": (
            "Lualaba Minerals SARL",
            "Avenue de la Mine 7, Kolwezi, Lualaba, DR Congo",
            "compliance@lualaba-minerals.example",
            "RCCM CD/KZI/2019-B-0123",
        ),
        "refiner": (
            "Jiangxi Battery Materials Refining Co Ltd",
            "6 Lithium Valley Road, Yichun, Jiangxi, China",
            "esg@jiangxi-bmr.example",
            "USCC 91360900JXBMR2026",
        ),
        "cell-maker": (
            "Debrecen Cell Manufacturing Kft",
            "Déli Ipari Park 3, 4031 Debrecen, Hungary",
            "compliance@debrecen-cells.example",
            "Cg. 09-09-123456",
        ),
    }
    for key, (name, address, email, registration) in people.items():
        files[f"profile-{key}.json"] = profile(name, address, email, registration)
    files["profile-pack-maker.json"] = profile(
        "Bavaria Energy Storage GmbH",
        "Industriestraße 9, 93055 Regensburg, Germany",
        "compliance@bes.example",
        "HRB 17777 Regensburg",
        policy=(sha256(policy), "NB 2812 DDP-2026-044"),
    )
    stages = {
        "raw_material_acquisition": "38.1",
        "main_production": "19.6",
        "distribution": "1.2",
        "end_of_life": "3.5",
    }
    files["carbon-footprint-bes-nmc-15.json"] = as_json(
        {
            "format": "battery-carbon-footprint/1",
            "manufacturer": "Bavaria Energy Storage GmbH",
            "model": "BES-NMC-15",
            "plant_gln": PACK_PLANT_GLN,
            "category": "industrial",
            "capacity_kwh": "15.0",
            "carbon_footprint_kg_co2e_per_kwh": "62.4",
            "stages": stages,
            "declaration_of_conformity_id": "DoC-BES-NMC-15-2026",
            "study_uri": "https://bes.example/carbon-footprint/BES-NMC-15",
        }
    )
    files["carbon-footprint-study-bes-nmc-15.pdf"] = pdf(
        "Carbon footprint study BES-NMC-15",
        [
            "Industrial battery, 15 kWh, plant Regensburg (GLN 4002234000012)",
            "62.4 kg CO2e per kWh over the service life: raw materials 38.1, production 19.6, distribution 1.2, "
            "end of life 3.5",
        ],
    )
    files["declaration-of-conformity-bes-nmc-15.json"] = as_json(
        {
            "format": "eu-declaration-of-conformity/1",
            "id": "DoC-BES-NMC-15-2026",
            "model": "BES-NMC-15",
            "manufacturer": "Bavaria Energy Storage GmbH",
            "notified_body": {"number": "2812", "name": "demo notified body"},
            "battery_passport_id": "https://id.bes.example/01/04002234000104/21/BES-NMC-15",
        }
    )
    return files


def documents() -> dict[str, bytes]:
    found = apparel() | rubber() | battery()
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    wanted = documents()
    if args.check:
        shipped = {p.name: p.read_bytes() for p in OUT.iterdir() if p.is_file()} if OUT.exists() else {}
        differ = sorted(n for n in wanted.keys() | shipped.keys() if wanted.get(n) != shipped.get(n))
        for name in differ:
            print(f"differs: {name}", file=sys.stderr)
        return 1 if differ else 0
    OUT.mkdir(exist_ok=True)
    for stale in OUT.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for name, content in wanted.items():
        (OUT / name).write_bytes(content)
    print(f"wrote {len(wanted)} documents to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
