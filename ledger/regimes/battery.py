"""BATTERY: the EU Battery Regulation (EU) 2023/1542.

In scope: batteries, HS 8506 (primary cells) and 8507 (accumulators). The carbon footprint declaration (Art. 7)
applies to rechargeable industrial batteries over 2 kWh from 18 Feb 2026 (EV batteries: the later of 18 Feb 2025 and
12 months after the methodology's delegated act, not adopted yet); the battery passport (Art. 77) from 18 Feb 2027;
supply-chain due diligence on the Annex X raw materials (cobalt, natural graphite, lithium, nickel; Arts. 47-52)
from 18 Aug 2027 (postponed by Regulation (EU) 2025/1561). The declaration and the EU declaration of conformity are
read from `battery-carbon-footprint/1` and `eu-declaration-of-conformity/1` documents on the battery's batch; the
due diligence policy from the producer's profile document.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.domain.types import DocumentKind, Hash32, Severity, TraceNode
from ledger.regimes import formats
from ledger.regimes.checks import Checked
from ledger.regimes.context import Context
from ledger.regimes.model import DocumentEvidence, Pack, ReferenceEvidence, Regime, Rule
from ledger.regimes.reference import annex_x

FOOTPRINT = date(2026, 2, 18)
PASSPORT = date(2027, 2, 18)
DUE_DILIGENCE = date(2027, 8, 18)
STAGE_TOLERANCE = Decimal("0.01")  # the stages must add up to the declared total within 1 %
F, R = Severity.FAIL, Severity.REVIEW

PACK = Pack(
    Regime.BATTERY,
    "EU Battery Regulation",
    "Regulation (EU) 2023/1542",
    "2025.07",
    (
        Rule(
            "BATTERY-B1",
            F,
            "Art. 7(1)",
            FOOTPRINT,
            "Carbon footprint declared",
            "The battery carries a carbon footprint declaration per kWh for its model and plant, its life-cycle stages "
            "adding up to the total, naming its EU declaration of conformity.",
        ),
        Rule(
            "BATTERY-B2",
            R,
            "Art. 7, Art. 17",
            FOOTPRINT,
            "Carbon footprint verified",
            "An EU declaration of conformity for the same model, naming the notified body, backs the declaration.",
        ),
        Rule(
            "BATTERY-B3",
            F,
            "Art. 48, Art. 49, Annex X",
            DUE_DILIGENCE,
            "Annex X materials traced",
            "Every cobalt, lithium, nickel or natural graphite material of the lineage is traced to the mine, with "
            "its country.",
        ),
        Rule(
            "BATTERY-B4",
            R,
            "Art. 48, Art. 51",
            DUE_DILIGENCE,
            "Due diligence policy",
            "The battery's producer has a supply-chain due diligence policy, verified by a notified body.",
        ),
        Rule(
            "BATTERY-B5",
            F,
            "Art. 77",
            PASSPORT,
            "Battery passport",
            "The battery has a battery passport with a unique identifier.",
        ),
    ),
)


def check(ctx: Context) -> Checked:
    out = Checked(PACK, ctx.as_of)
    annex = annex_x()
    out.uses(annex.meta)
    root = ctx.root
    if annex.batteries.group(root.batch.hs_code) is None:
        out.not_applicable(
            f"HS {root.batch.hs_code} is not a battery (HS 8506 or 8507): the Battery Regulation's "
            "product rules do not apply."
        )
        return out
    out.scope = f"HS {root.batch.hs_code} is a battery (HS 8506/8507): in scope."
    footprint = _footprint(ctx, out, root)
    declaration = _conformity(ctx, out, root, footprint)
    _materials(ctx, out)
    _policy(ctx, out, root)
    if declaration is None or not declaration.battery_passport_id:
        out.add(
            "BATTERY-B5",
            f"{_label(root)} has no battery passport identifier (in its EU declaration of conformity).",
            ctx.recorded(root.batch),
            node=root,
        )
    return out


def _label(node: TraceNode) -> str:
    b = node.batch
    return f"Battery batch {b.lot} (GTIN {b.gtin}) of {node.producer.profile.legal_name}"


def _footprint(ctx: Context, out: Checked, root: TraceNode) -> formats.CarbonFootprint | None:
    document, footprint, why = ctx.first_of(root, DocumentKind.CARBON_FOOTPRINT_STUDY, formats.carbon_footprint)
    if document is None:
        out.add(
            "BATTERY-B1",
            f"{_label(root)} carries no carbon footprint declaration.",
            ctx.recorded(root.batch),
            node=root,
        )
        return None
    cited = ctx.cited(document, "carbon footprint declaration")
    if footprint is None:
        out.add(
            "BATTERY-B1",
            f"{_label(root)}: its carbon footprint declaration {document.hash} is {why}.",
            cited,
            node=root,
        )
        return None
    if footprint.plant_gln != root.batch.facility:
        out.add(
            "BATTERY-B1",
            f"{_label(root)}: the declaration is for plant {footprint.plant_gln}, but the batch "
            f"was made at {root.batch.facility}.",
            cited,
            ctx.recorded(root.batch),
            node=root,
        )
    total = sum(footprint.stages.values(), Decimal(0))
    if footprint.per_kwh == 0 or abs(total - footprint.per_kwh) > footprint.per_kwh * STAGE_TOLERANCE:
        out.add(
            "BATTERY-B1",
            f"{_label(root)}: the life-cycle stages add up to {total} kg CO2e/kWh, not the "
            f"declared {footprint.per_kwh}.",
            cited,
            node=root,
        )
    return footprint


def _conformity(
    ctx: Context, out: Checked, root: TraceNode, footprint: formats.CarbonFootprint | None
) -> formats.DeclarationOfConformity | None:
    document, declaration, why = ctx.first_of(
        root, DocumentKind.DECLARATION_OF_CONFORMITY, formats.declaration_of_conformity
    )
    if document is None or declaration is None:
        out.add(
            "BATTERY-B2",
            f"{_label(root)}: "
            + (
                f"its EU declaration of conformity {document.hash} is {why}."
                if document is not None
                else "no EU declaration of conformity backs the carbon footprint."
            ),
            *(
                (ctx.cited(document, "EU declaration of conformity"),)
                if document is not None
                else (ctx.recorded(root.batch),)
            ),
            node=root,
        )
        return None
    cited = ctx.cited(document, "EU declaration of conformity")
    if footprint is not None and (
        declaration.model != footprint.model or declaration.id != footprint.declaration_of_conformity_id
    ):
        out.add(
            "BATTERY-B2",
            f"{_label(root)}: the declaration of conformity ({declaration.id}, model "
            f"{declaration.model}) is not the one the carbon footprint names "
            f"({footprint.declaration_of_conformity_id}, model {footprint.model}).",
            cited,
            node=root,
        )
    return declaration


def _materials(ctx: Context, out: Checked) -> None:
    annex = annex_x()
    materials = [(n, m) for n in ctx.nodes if (m := annex.material(n.batch.hs_code)) is not None]
    if not materials:
        root = ctx.root
        out.add(
            "BATTERY-B3",
            f"{_label(root)}: its lineage shows no cobalt, lithium, nickel or natural graphite "
            "material, so the Annex X raw materials are not traced.",
            ctx.recorded(root.batch),
            severity=Severity.REVIEW,
            node=root,
        )
        return
    for node, material in materials:
        for source in ctx.upstream(node.batch.id):
            if not source.batch.is_raw_material:
                if source.batch.id in ctx.cut:
                    out.add(
                        "BATTERY-B3",
                        f"The {material} of batch {node.batch.lot} is traced only to batch "
                        f"{source.batch.lot}: the lineage was cut there.",
                        ctx.recorded(source.batch),
                        node=source,
                    )
                continue
            if annex.mine.group(source.batch.hs_code) is None:
                out.add(
                    "BATTERY-B3",
                    f"The {material} of batch {node.batch.lot} is traced to batch "
                    f"{source.batch.lot} of {source.producer.profile.legal_name} (HS {source.batch.hs_code}), "
                    "which is not mined material: its mine and country are unknown.",
                    ctx.recorded(source.batch),
                    ReferenceEvidence(annex.meta.name, annex.meta.version, source.batch.hs_code),
                    node=source,
                )


def _policy(ctx: Context, out: Checked, root: TraceNode) -> None:
    producer = root.producer
    profile, evidence, why = ctx.profile(producer)
    name = producer.profile.legal_name
    cited = (evidence,) if evidence is not None else (ctx.registered(producer),)
    if profile is None:
        out.add("BATTERY-B4", f"{name} shows no due diligence policy: {why}.", *cited, node=root)
    elif profile.dd_policy_document is None or not profile.dd_policy_verification:
        out.add(
            "BATTERY-B4",
            f"{name}'s profile names no due diligence policy verified by a notified body.",
            *cited,
            node=root,
        )
    elif ctx.content_of(producer.address, profile.dd_policy_document) is None:
        out.add(
            "BATTERY-B4",
            f"{name}'s due diligence policy {profile.dd_policy_document} is not in the vault.",
            DocumentEvidence(Hash32(profile.dd_policy_document), None, False, f"{name}'s due diligence policy"),
            node=root,
        )
