"""`ledger documents put FILE` (store a document in the workspace's vault) and `ledger verify-document FILE` (which
records on chain cite it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.base import InvocationConsole, command_group, error_exit
from ledger.domain.types import CitationKind

console = InvocationConsole(soft_wrap=True)  # hashes are never cut


def register_commands(app: typer.Typer) -> None:
    """`ledger documents put` and `ledger verify-document`."""
    documents_app = command_group(help="The document vault: the files behind the hashes recorded on chain.")
    documents_app.command("put")(put)
    app.add_typer(documents_app, name="documents")
    app.command("verify-document")(verify_document)


def put(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="documents to store")],
    home: Annotated[
        Path | None,
        typer.Option(envvar="LEDGER_HOME", help="workspace (vault: <home>/documents, or LEDGER_DOCUMENTS_DIR)"),
    ] = None,
    expect: Annotated[
        str | None, typer.Option(help="refuse the file unless its SHA-256 is this (one file only)")
    ] = None,
    uploader: Annotated[
        str | None,
        typer.Option(help="the member (0x address) the files are stored for: its records citing them open them"),
    ] = None,
) -> None:
    """Store documents, content-addressed and write-once, under the SHA-256 of their bytes (what records cite), as
    uploads of `--uploader` (a citation opens a document only for its uploaders' records; without `--uploader` the
    files are kept but opened by no record until their member uploads them)."""
    from ledger.config import LedgerSettings, get_settings
    from ledger.workspace import open_vault

    settings = get_settings() if home is None else LedgerSettings(home=home)
    if expect is not None and len(files) != 1:
        raise typer.BadParameter("--expect takes one file")
    vault = open_vault(settings)
    for path in files:
        stored = vault.put_file(path, expect, uploader=uploader)
        state = "stored" if stored.created else "already uploaded by it" if uploader else "already in the vault"
        console.print(f"{stored.hash}  {stored.size:>10,} B  {stored.media_type:<24} {path.name} ({state})")
    if uploader is None:
        console.print("[yellow]no --uploader: no record opens these files until their member uploads them[/]")


@error_exit(2)
def verify_document(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the document")],
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL; default: the workspace's node")] = None,
) -> None:
    """Say which records on chain cite this document (its SHA-256): batches, disclosure versions, attestations and
    participant profiles. Exit code 1 if none does."""
    from ledger.cli.export import open_ledger
    from ledger.documents.evidence import citations
    from ledger.documents.vault import sha256_of

    digest = sha256_of(file.read_bytes())
    console.print(f"{file.name}: SHA-256 {digest}")
    ledger = open_ledger(rpc_url)
    try:
        found = citations(ledger, digest)
        names = {p.address: p.profile.legal_name for p in ledger.participants()}
    finally:
        ledger.close()
    if not found:
        console.print("[red]no record on chain cites it[/]")
        raise typer.Exit(1)
    console.print(f"{len(found)} record(s) on chain cite it:")
    for c in found:
        what = {
            CitationKind.BATCH: c.document_kind.value if c.document_kind else "document",
            CitationKind.DISCLOSURE: f"report of version {c.version}",
            CitationKind.ATTESTATION: f"assurance report on version {c.version}",
            CitationKind.PARTICIPANT: "profile document",
        }[c.kind]
        console.print(
            f"  {c.kind.value} {c.record_id} as {what}, by {names.get(c.participant, c.participant)}, "
            f"block {c.tx.block_number}, tx {c.tx.tx_hash}"
        )
