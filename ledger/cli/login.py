"""`ledger login`: sign in to the API with a participant's key (Sign-In with Ethereum) and print the bearer token.

TOKEN=$(ledger login --demo-participant brand --api http://127.0.0.1:8000)
curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/batches
"""

from __future__ import annotations

import typer

from ledger.cli.base import InvocationConsole
from ledger.cli.sign import API, DEMO, KEY, _account

console = InvocationConsole(stderr=True, soft_wrap=True)


def register_commands(app: typer.Typer) -> None:
    """`ledger login`."""
    app.command()(login)


def login(key: str | None = KEY, demo_participant: str | None = DEMO, api: str = API) -> None:
    """Sign in with your key; prints the token (valid for API_AUTH_TOKEN_TTL seconds) to stdout."""
    from ledger.apiclient.signer import ApiSigner

    signer = ApiSigner(api, _account(key, demo_participant))
    token = signer.login()
    console.print(f"signed in as {signer.account.address}")
    typer.echo(token)
