"""`ledger epcis capture` (record an EPCIS 2.0 document through the API, signed with one's own key) and
`ledger epcis verify` (prove events against the chain without the service)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ledger.cli.base import InvocationConsole, command_group, error_exit
from ledger.cli.sign import API, DEMO, KEY, TTL, _account

console = InvocationConsole(soft_wrap=True)


def register_commands(app: typer.Typer) -> None:
    """`ledger epcis capture` and `ledger epcis verify`."""
    epcis_app = command_group(help="GS1 EPCIS 2.0: capture documents, prove events against the chain.")
    epcis_app.command("capture")(capture_cmd)
    epcis_app.command("verify")(verify_cmd)
    app.add_typer(epcis_app, name="epcis")


def _read(path: Path) -> str:
    from ledger.epcis.document import MAX_DOCUMENT_BYTES

    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise typer.BadParameter(
            f"{path.name} is {path.stat().st_size:,} bytes; a capture takes at most "
            f"{MAX_DOCUMENT_BYTES:,} (split the document)"
        )
    return path.read_text(encoding="utf-8")


def _short(text: str | None, size: int = 22) -> str:
    if not text:
        return ""
    return text if len(text) <= size else text[: size - 1] + "…"


@error_exit(2)
def capture_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="EPCIS 2.0 document (JSON / JSON-LD)"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    ttl: int = TTL,
    receipt: Path | None = typer.Option(
        None,
        "--receipt",
        help="write the document with the proofs of its committed events here (for `ledger epcis verify`)",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and map only: show what would be written"),
    timeout: float = typer.Option(600.0, help="seconds to wait for the capture job"),
) -> None:
    """Validate the document against the EPCIS 2.0 JSON Schema, map it to ledger writes, sign them with your key and
    send them to the service, which relays them (and pays the gas). Exit 1 if an event was refused (with --dry-run:
    if an event would be)."""
    from ledger.apiclient.epcis import CaptureClient

    text = _read(file)
    with CaptureClient(api, _account(key, demo_participant)) as client:
        if dry_run:
            planned, _facts = client.plan(text)
            table = Table("event", "planned", "reason")
            for e in planned.events:
                table.add_row(str(e.position), e.status.value, e.reason or "")
            console.print(table)
            refused = sum(e.status.value == "refused" for e in planned.events)
            console.print(
                f"{len(planned.writes)} writes to sign: "
                + (", ".join(w.function for w in planned.writes) or "none")
                + (f"; {refused} of {len(planned.events)} events would be refused" if refused else "")
            )
            raise typer.Exit(1 if refused else 0)  # as the capture itself would end
        planned, job = client.capture(text, ttl=ttl)
        console.print(f"capture {job.id}: {len(planned.writes)} signed writes sent; waiting for the job")
        job = client.wait(job.id, timeout=timeout)
        if receipt is not None:
            receipt.write_text(json.dumps(client.receipt(text, job), indent=2))
    table = Table("event", "type", "status", "CBV 2.0 hash", "batches", "reason")
    for r in job.results:
        table.add_row(
            str(r.position),
            r.event_type or "",
            r.status.value,
            _short(r.event_hash, 30),
            str(len(r.produced)) if r.produced else "",
            r.reason or "",
        )
    console.print(table)
    console.print(
        f"{job.state.value}: "
        + ", ".join(f"{n} {s}" for s, n in sorted(job.counts().items()))
        + (f"; root {job.root} (tx {job.commit_tx})" if job.root else "")
        + (f"; {job.error}" if job.error else "")
    )
    if receipt is not None:
        console.print(f"receipt: {receipt}")
    refused = job.counts().get("refused", 0)
    raise typer.Exit(1 if refused or job.state.value == "failed" else 0)


@error_exit(2)
def verify_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="an EPCIS document or one event"),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="check on chain through this JSON-RPC node"),
    ledger_address: str | None = typer.Option(
        None, "--ledger", help="the ProvenanceLedger address (default: the one the proofs name)"
    ),
    proofs: Path | None = typer.Option(
        None,
        "--proofs",
        help="a document carrying the proofs (a receipt of `ledger epcis capture`, or an export of the service)",
    ),
) -> None:
    """Recompute each event's CBV 2.0 hash, check its proof leads to the committed root and, with --rpc-url, that
    the ledger contract holds the root (committer, time) and proves the hash under it. Exit 1 if any is not
    proven."""
    from ledger.epcis import verify
    from ledger.epcis.document import load_event_or_document

    text = _read(file)
    document = load_event_or_document(text)
    found = verify.proofs_in(text)
    if proofs is not None:
        found = verify.merge(found, verify.proofs_in(_read(proofs)))
    if not found.events:
        console.print(
            "[red]error:[/] no proofs: give a receipt of `ledger epcis capture --receipt`, an export of "
            "the service, or --proofs FILE"
        )
        raise typer.Exit(2)
    chain = None
    address = ledger_address or found.ledger
    if rpc_url is not None:
        from ledger.chain.connection import Chain

        if address is None:
            console.print("[red]error:[/] no ledger address: give --ledger")
            raise typer.Exit(2)
        if ledger_address is None:
            console.print(
                f"[yellow]checking against {address}, the ledger the proofs name: give --ledger to "
                "check against the consortium's own[/]"
            )
        chain = Chain.connect(rpc_url)
    checks = verify.check(document, found, chain, address)
    table = Table("event", "CBV 2.0 hash", "proven", "committed by", "at", "problem")
    for c in checks:
        state = "[green]yes[/]" if c.proven else "[red]no[/]"
        if c.proven and c.on_chain is None:
            state = "[yellow]off chain only[/]"
        table.add_row(
            str(c.position),
            _short(c.event_hash, 30),
            state,
            c.committer or "",
            c.committed_at.isoformat() if c.committed_at else "",
            c.problem or "",
        )
    console.print(table)
    proven = sum(c.proven for c in checks)
    console.print(
        f"{proven} of {len(checks)} events proven"
        + ("" if rpc_url else " (off chain: give --rpc-url to check the chain)")
    )
    raise typer.Exit(0 if proven == len(checks) else 1)
