"""`ledger demo`: record the demo supply chains, then print the finished-goods traces, an ESG summary and each line's
verdicts under the rule packs (EUDR, UFLPA, CSDDD, the Battery and Forced Labour Regulations)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.tree import Tree

from ledger.cli.base import InvocationConsole
from ledger.domain.types import BatchId, Trace, TraceNode

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.demo.apparel import DemoWorld
    from ledger.documents.vault import Vault
    from ledger.regimes import ScreeningLists

console = InvocationConsole()


def register_commands(app: typer.Typer) -> None:
    """`ledger demo`."""
    app.command()(demo)


def demo(
    rpc_url: str | None = typer.Option(None, help="JSON-RPC URL of a node; default: the embedded in-memory chain"),
    home: Path = typer.Option(Path(".ledger"), envvar="LEDGER_HOME", help="workspace (used with --rpc-url)"),
) -> None:
    """Record a four-tier apparel supply chain with disclosures and audits, a natural-rubber chain and a battery chain,
    and show what a buyer sees."""
    import tempfile

    from rich.progress import Progress, SpinnerColumn, TextColumn

    from ledger.client import Ledger
    from ledger.config import LedgerSettings
    from ledger.demo.apparel import ALL_CHAINS, seed_demo
    from ledger.documents.vault import Vault
    from ledger.regimes import ScreeningLists
    from ledger.workspace import open_lists, open_vault

    scratch = tempfile.TemporaryDirectory(prefix="ledger-demo-")  # in memory: documents in a scratch vault
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=console.current, transient=True
        ) as bar:
            task = bar.add_task("deploying the contracts", total=None)
            ledger = Ledger.connect(rpc_url, home) if rpc_url else Ledger.embedded()
            if rpc_url:
                vault, lists = open_vault(LedgerSettings(home=home)), open_lists(home)
            else:
                vault, lists = Vault(Path(scratch.name)), ScreeningLists()
            world = seed_demo(
                ledger,
                progress=lambda message: bar.update(task, description=message),
                chains=ALL_CHAINS,
                vault=vault,
                lists=lists,
            )
        where = rpc_url or "the embedded chain"
        console.print(
            f"[green]Recorded the demo on {where}[/] (chain {ledger.deployment.chain_id}, "
            f"ledger {ledger.deployment.ledger}, block {ledger.chain.head})"
        )
        for label, batch_id in (
            ("flagged line", world.flagged_batch),
            ("certified line", world.passing_batch),
            ("rubber gloves, lot B", world.batches["gloves-b"]),
            ("battery packs, line A", world.batches["packs-a"]),
        ):
            trace = ledger.trace(batch_id)
            console.print(render_trace(trace, label))
        console.print(esg_summary(ledger, world))
        console.print(regimes_summary(ledger, world, vault, lists))
    finally:
        scratch.cleanup()


def _label(node: TraceNode) -> str:
    from ledger.domain.validation import quantity_text

    batch = node.batch
    where = node.facility_subdivision or node.producer.profile.country
    flags = "".join(f" [red]⚑ {f.kind.value}: {f.reason}[/]" for f in batch.active_flags)
    docs = ", ".join(sorted({d.kind.value for d in batch.documents})) or "no documents"
    emissions = f", {batch.process_emissions_kg} kg CO2e" if batch.process_emissions_kg is not None else ""
    return (
        f"[bold]{batch.lot}[/] GTIN {batch.gtin} · {quantity_text(batch.quantity, batch.unit)} · "
        f"{node.producer.profile.legal_name} ({where}) · {docs}{emissions}{flags}"
    )


def render_trace(trace: Trace, label: str) -> Tree:
    from ledger.domain.validation import quantity_text

    nodes = {n.batch.id: n for n in trace.nodes}
    inputs: dict[BatchId, list[tuple[BatchId, Decimal]]] = {}
    for edge in trace.edges:
        inputs.setdefault(edge.output_id, []).append((edge.input_id, edge.quantity))
    root = nodes[trace.root]
    tree = Tree(
        f"[cyan]Trace of {label}[/] (tier 0 = finished goods, {trace.depth + 1} tiers, "
        f"as of block {trace.as_of_block})\n{_label(root)}"
    )

    def grow(branch: Tree, batch_id: BatchId, seen: frozenset[BatchId]) -> None:
        for input_id, quantity in inputs.get(batch_id, []):
            node = nodes.get(input_id)
            if node is None or input_id in seen:
                continue
            child = branch.add(
                f"tier {node.depth}: consumed {quantity_text(quantity, node.batch.unit)} of " + _label(node)
            )
            grow(child, input_id, seen | {input_id})

    grow(tree, trace.root, frozenset({trace.root}))
    return tree


def esg_summary(ledger: Ledger, world: DemoWorld) -> Table:
    table = Table(title="ESG disclosures per supplier (2025)")
    for column in ("supplier", "country", "framework", "version", "Scope 1 tCO2e", "Scope 2 tCO2e", "attestation"):
        table.add_column(column)
    for disclosure_id in world.disclosures.values():
        disclosure = ledger.disclosure(disclosure_id)
        participant = ledger.participant(disclosure.participant)
        figures = {m.code: m.value for m in disclosure.latest.metrics}
        status = "none"
        if disclosure.attestations:
            newest = disclosure.attestations[-1]
            status = f"{newest.level.value}, {newest.opinion.value} (v{newest.version})"
            if not newest.active:
                status = f"[red]revoked[/]: {newest.revoke_reason}"
            elif disclosure.amended_since_attestation:
                status += " [yellow]amended since attestation[/]"
        table.add_row(
            participant.profile.legal_name,
            participant.profile.country,
            disclosure.framework,
            str(disclosure.latest.version),
            str(figures.get("GHG_SCOPE1", "-")),
            str(figures.get("GHG_SCOPE2_LB", "-")),
            status,
        )
    return table


#: The demo's finished goods and the regimes each is designed for.
DESIGNED = (
    ("garments-a", ("UFLPA", "CSDDD", "EU_FLR")),
    ("garments-b", ("UFLPA", "CSDDD", "EU_FLR")),
    ("gloves-a", ("EUDR",)),
    ("gloves-b", ("EUDR",)),
    ("packs-a", ("BATTERY",)),
    ("packs-b", ("BATTERY",)),
)


def regimes_summary(ledger: Ledger, world: DemoWorld, vault: Vault, lists: ScreeningLists) -> Table:
    """Each finished good's verdict per regime at the chain's date, and once every rule applies (outlook)."""
    from ledger.diligence import due_diligence

    table = Table(title="Rule packs: verdict today (once every rule applies)")
    for column in ("finished good", "lot", "regime", "verdict", "outlook", "first finding"):
        table.add_column(column)
    colours = {"PASS": "green", "REVIEW": "yellow", "FAIL": "red"}
    for key, regimes in DESIGNED:
        report = due_diligence(ledger, world.batches[key], regimes=regimes, vault=vault, lists=lists)
        for section in report.regimes:
            worst = next((f for f in section.findings if f.severity.value != "info"), None)
            table.add_row(
                key,
                report.batch.lot,
                section.regime.value,
                f"[{colours.get(section.verdict.value, 'blue')}]{section.verdict.value}[/]",
                f"[{colours.get(section.outlook.value, 'blue')}]{section.outlook.value}[/]",
                f"{worst.rule.id}: {worst.message[:90]}" if worst else "",
            )
    return table
