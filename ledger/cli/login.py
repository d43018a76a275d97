"""`ledger login`: sign in to the API with a participant's key (Sign-In with Ethereum) and print the bearer token.

    TOKEN=$(ledger login --demo-participant brand --api http://127.0.0.1:8000)
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/batches
"""

from __future__ import annotations

import typer
from rich.console import Console

from ledger.cli.app import app
from ledger.cli.sign import API, DEMO, KEY, _account

console = Console(stderr=True, soft_wrap=True)


@app.command()
def login(key: str | None = KEY, demo_participant: str | None = DEMO, api: str = API) -> None:
    """Sign in with your key; prints the token (valid for API_AUTH_TOKEN_TTL seconds) to stdout."""
    import httpx

    from ledger.requests import ApiSigner

    signer = ApiSigner(api, _account(key, demo_participant))
    try:
        token = signer.login()
    except httpx.HTTPStatusError as exc:
        try:
            detail = exc.response.json().get("detail", exc.response.text)
        except ValueError:
            detail = exc.response.text
        console.print(f"[red]sign-in refused ({exc.response.status_code}):[/] {detail}")
        raise typer.Exit(1) from None
    except httpx.TransportError as exc:
        console.print(f"[red]cannot reach {api}:[/] {type(exc).__name__}")
        raise typer.Exit(1) from None
    console.print(f"signed in as {signer.account.address}")
    typer.echo(token)
