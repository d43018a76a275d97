"""`ledger export` (ESG disclosures as CSV, JSON or XLSX with a chain manifest) and `ledger verify-export` (check an
export against the chain alone, without trusting whoever produced it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ledger.cli.base import InvocationConsole, error_exit
from ledger.domain.errors import LedgerUnavailableError, ValidationError

if TYPE_CHECKING:
    from ledger.chain.connection import Chain
    from ledger.client import Ledger
    from ledger.config import LedgerSettings
    from ledger.esg.verify import VerificationReport

console = InvocationConsole()


def register_commands(app: typer.Typer) -> None:
    """`ledger export` and `ledger verify-export`."""
    app.command("export")(export_command)
    app.command("verify-export")(verify_export_command)


def workspace_url(settings: LedgerSettings, rpc_url: str | None) -> str:
    """The node to talk to: `--rpc-url`, else `LEDGER_RPC_URL`, else the workspace's node on `LEDGER_NODE_PORT`."""
    return rpc_url or settings.rpc_url or f"http://127.0.0.1:{settings.node_port}"


def open_ledger(rpc_url: str | None) -> Ledger:
    """The workspace's deployment on the node (never deploys: an export of nothing is a mistake)."""
    from ledger.config import get_settings
    from ledger.service import connect_ledger

    settings = get_settings()
    return connect_ledger(settings, workspace_url(settings, rpc_url), deploy_if_missing=False)


def open_demo_ledger() -> Ledger:
    """A fresh embedded chain with the demo supply chain and its disclosures recorded."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from ledger.client import Ledger
    from ledger.demo.apparel import seed_demo

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console.current, transient=True) as bar:
        task = bar.add_task("deploying the contracts on an embedded chain", total=None)
        ledger = Ledger.embedded()
        seed_demo(ledger, progress=lambda message: bar.update(task, description=message))
    return ledger


def open_chain(rpc_url: str | None) -> Chain:
    """A read-only view of the node (`verify-export` sends nothing)."""
    from ledger.chain.connection import Chain
    from ledger.config import get_settings

    return Chain.connect(workspace_url(get_settings(), rpc_url))


@error_exit(2)
def export_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write; its suffix gives the format by default")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="csv, json or xlsx")] = None,
    participant: Annotated[str | None, typer.Option(help="only this participant's disclosures (address)")] = None,
    period: Annotated[str | None, typer.Option(help="only this period: 2025, 2025-H1 or 2025-Q3")] = None,
    framework: Annotated[str | None, typer.Option(help="only this framework: GRI, ESRS or ISSB")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL; default: the workspace's node")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="export from a fresh embedded chain seeded with the demo")
    ] = False,
) -> None:
    """Write every metric value of the ESG disclosures, one row each, with a manifest anchoring them to the chain."""
    from ledger.config import get_settings
    from ledger.esg.export import build_export, format_of, render_export

    ledger: Ledger | None = None
    try:
        chosen = format_of(out, fmt)
        ledger = open_demo_ledger() if demo else open_ledger(rpc_url)
        export = build_export(ledger, participant=participant, period=period, framework=framework)
        data = render_export(export, chosen)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, out)
    finally:
        if ledger is not None:
            ledger.close()
    manifest = export.manifest
    where = "a fresh embedded demo chain" if demo else workspace_url(get_settings(), rpc_url)
    console.print(
        f"[green]wrote[/] {out} ({chosen}, {manifest.row_count} rows, "
        f"frameworks: {', '.join(export.frameworks) or 'none'})"
    )
    console.print(f"chain {manifest.chain_id} at block {manifest.block_number} ({where}), ledger {manifest.ledger}")
    console.print(f"data sha256 {manifest.data_sha256}")
    if demo:
        console.print("[yellow]note:[/] the demo chain lived in this process only; verify-export needs a node")


@error_exit(2)
def verify_export_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="an export written by `ledger export`")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="csv, json or xlsx (default: the suffix)")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL of a node of the export's chain")] = None,
    ledger_address: Annotated[
        str | None,
        typer.Option(
            "--ledger", help="the ledger contract address you trust; default: the manifest's, checked by its code"
        ),
    ] = None,
) -> None:
    """Re-read every row from the chain; exit 0 if the export matches, 1 with the mismatches if not."""
    from ledger.esg.export import read_export
    from ledger.esg.verify import verify_export

    try:
        export = read_export(file, fmt)
    except ValidationError as exc:  # a verdict, not a failure: the file is not a verifiable export
        console.print(f"[red]export unreadable:[/] {exc}")
        raise typer.Exit(1) from exc
    try:
        report = verify_export(open_chain(rpc_url), export, expected_ledger=ledger_address)
    except LedgerUnavailableError as exc:
        console.print(f"[red]cannot reach the chain:[/] {exc}")
        raise typer.Exit(2) from exc
    render_report(report, file)
    if not report.ok:
        raise typer.Exit(1)


def render_report(report: VerificationReport, file: Path) -> None:
    if report.ok:
        console.print(
            f"[green]✓ verified[/] {file}: {report.rows_checked} rows match chain {report.chain_id} "
            f"as of block {report.block_number}"
        )
        return
    table = Table(
        title=f"{file}: {len(report.mismatches)} mismatch(es) against chain {report.chain_id} "
        f"at block {report.block_number}"
    )
    table.add_column("row", justify="right")
    table.add_column("field")
    table.add_column("should be", overflow="fold")
    table.add_column("according to", overflow="fold")
    table.add_column("export says", overflow="fold")
    for mismatch in report.mismatches:
        table.add_row(
            str(mismatch.row) if mismatch.row else "manifest",
            mismatch.field,
            mismatch.expected,
            mismatch.basis,
            mismatch.found,
        )
    console.print(table)
    rows = sorted({m.row for m in report.mismatches if m.row})
    console.print(
        f"[red]✗ not verified[/]: {len(report.mismatches)} mismatch(es)"
        + (f" in row(s) {', '.join(map(str, rows))}" if rows else "")
    )
