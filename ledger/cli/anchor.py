"""`ledger verify-batch`: prove one record of an anchor bundle against its Merkle root (off chain, and on chain)."""

from __future__ import annotations

from pathlib import Path

import typer

from ledger.cli.base import InvocationConsole, error_exit

console = InvocationConsole()


def register_commands(app: typer.Typer) -> None:
    """`ledger verify-batch`."""
    app.command("verify-batch")(verify_batch)


@error_exit(2)
def verify_batch(
    bundle_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="anchor bundle JSON"),
    batch_lot: str = typer.Option(..., "--batch-lot", help="lot of the record to prove"),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="also verify on chain through this JSON-RPC node"),
) -> None:
    """Prove that a batch record is anchored: its proof leads to the bundle's root (and, with --rpc-url, the
    ledger contract on chain accepts it against the anchored root). Exit code 1 if it does not."""
    from ledger.anchoring import AnchorBundle, verify_offchain, why_not_proven
    from ledger.domain.errors import LedgerError

    bundle = AnchorBundle.load(bundle_file)
    item = bundle.record_by_lot(batch_lot)
    console.print(f"batch {item.batch_id} (GTIN {item.batch.gtin}, lot {item.batch.lot})")
    console.print(f"root  {bundle.root} by {bundle.producer}, proof of {len(item.proof)} hashes")
    ok = verify_offchain(bundle.root, bundle.producer, item.batch, item.proof)
    console.print(f"off chain: {'[green]the proof leads to the root[/green]' if ok else '[red]NOT proven[/red]'}")
    if ok and item.batch.inputs:
        console.print(
            "[red]NOT proven[/red]: the record consumes inputs; an anchored record with inputs counts only "
            "once its producer claims it (claimAnchoredBatch)"
        )
        ok = False
    if rpc_url is not None:
        from ledger.chain.connection import Chain

        if bundle.ledger is None:
            console.print("[red]error:[/red] the bundle names no ledger contract to verify against")
            raise typer.Exit(2)
        try:
            reason = why_not_proven(
                Chain.connect(rpc_url), bundle.ledger, bundle.root, bundle.producer, item.batch, item.proof
            )
        except LedgerError as exc:
            console.print(f"on chain: [red]refused[/red]: {exc}")
            raise typer.Exit(1) from None
        console.print(
            f"on chain ({bundle.ledger}): "
            + ("[green]proven[/green]" if reason is None else f"[red]NOT proven[/red]: {reason}")
        )
        ok = ok and reason is None
    raise typer.Exit(0 if ok else 1)
