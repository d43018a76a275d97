"""The `ledger` Typer application; commands live in sibling modules, one per job."""

import typer

app = typer.Typer(
    name="ledger",
    help="Supply-chain provenance and ESG ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
