"""`ledger admin ...`: the consortium admin's operations over the API, signed with the admin key (like any write, an
EIP-712 ForwardRequest the service relays) and validated by `ledger.writes.admin` before anything is sent.

    ledger admin register --key $ADMIN_KEY --account 0x... --name "Lanna Latex Co Ltd" --country TH \\
        --site 8851234000014:TH-50 --party-gln 8851234000014 --role FACTORY
    ledger admin suspend --key $ADMIN_KEY --account 0x... --reason "audit findings open"
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer

from ledger.cli.base import command_group
from ledger.cli.sign import API, DEMO, _account
from ledger.domain.errors import ValidationError
from ledger.domain.types import Gln, Hash32, ParticipantProfile, Role, Site

ACCOUNT = typer.Option(..., "--account", help="the participant's address")
ROLE = typer.Option(..., "--role", help="FACTORY, AUDITOR or BUYER")
KEY = typer.Option(
    None,
    "--key",
    envvar="LEDGER_ADMIN_KEY",
    help="the consortium admin's private key (0x-hex): the key the contracts were deployed with "
    "(LEDGER_OPERATOR_KEY; for `ledger serve` without it, anvil's account 0: see the README)",
)


def _site(text: str) -> Site:
    gln, _, subdivision = text.partition(":")
    if not gln or not subdivision:
        raise ValidationError(f"site {text!r} must read GLN:SUBDIVISION, e.g. 8851234000014:TH-50", field="site")
    return Site(Gln(gln), subdivision)


def _post(key: str | None, demo: str | None, api: str, path: str, build: Callable[[Any], str]) -> None:
    """Sign in as the admin, build the calldata (with what the API says, if needed), sign, post, print the answer (a
    refusal, like any HTTP or ledger error, ends the command through the CLI's error boundary)."""
    from ledger.apiclient.signer import ApiSigner

    signer = ApiSigner(api, _account(key, demo))
    try:
        signer.login()
        data = build(signer)
        reply = signer.client.post(path, json=signer.body(data), headers=signer.headers)
        reply.raise_for_status()
    finally:
        signer.client.close()
    typer.echo(json.dumps(reply.json(), indent=2))


def register(
    account: str = ACCOUNT,
    name: str = typer.Option(..., "--name", help="registered legal name"),
    country: str = typer.Option(..., "--country", help="ISO 3166-1 alpha-2"),
    site: list[str] = typer.Option([], "--site", help="GLN:SUBDIVISION (repeat)"),
    party_gln: str | None = typer.Option(None, "--party-gln", help="the GLN naming the participant as a party"),
    organisation: str | None = typer.Option(None, "--organisation", help="organisation id (0x + 64 hex)"),
    role: list[Role] = typer.Option([], "--role", help="FACTORY, AUDITOR or BUYER (repeat)"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
) -> None:
    """Register a participant with its profile and roles (POST /admin/participants)."""
    from ledger.apiclient.signer import calldata

    def build(_: Any) -> str:
        profile = ParticipantProfile(
            name,
            country,
            tuple(_site(s) for s in site),
            Hash32(organisation) if organisation else None,
            None,
            Gln(party_gln) if party_gln else None,
        )
        return calldata.register_participant(account, profile, role)

    _post(key, demo_participant, api, "/admin/participants", build)


def add_site(
    account: str = ACCOUNT,
    site: str = typer.Option(..., "--site", help="GLN:SUBDIVISION"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
) -> None:
    """Add a site to a participant (POST /admin/participants/{address}/sites)."""
    from ledger.apiclient.signer import calldata

    def build(signer: Any) -> str:
        reply = signer.client.get(f"/participants/{account}", headers=signer.headers)
        reply.raise_for_status()
        return calldata.add_site(account, _site(site), reply.json()["country"])

    _post(key, demo_participant, api, f"/admin/participants/{account}/sites", build)


def grant(
    account: str = ACCOUNT,
    role: Role = ROLE,
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
) -> None:
    """Grant a role (POST /admin/participants/{address}/roles)."""
    from ledger.apiclient.signer import calldata

    _post(
        key, demo_participant, api, f"/admin/participants/{account}/roles", lambda _: calldata.grant_role(account, role)
    )


def revoke(
    account: str = ACCOUNT,
    role: Role = ROLE,
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
) -> None:
    """Revoke a role (POST /admin/participants/{address}/roles)."""
    from ledger.apiclient.signer import calldata

    _post(
        key,
        demo_participant,
        api,
        f"/admin/participants/{account}/roles",
        lambda _: calldata.revoke_role(account, role),
    )


def suspend(
    account: str = ACCOUNT,
    reason: str = typer.Option(..., "--reason", help="why (kept on chain)"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
) -> None:
    """Suspend a participant: it writes nothing and its tokens stop working (POST .../status)."""
    from ledger.apiclient.signer import calldata

    _post(
        key,
        demo_participant,
        api,
        f"/admin/participants/{account}/status",
        lambda _: calldata.set_suspended(account, True, reason),
    )


def reinstate(
    account: str = ACCOUNT,
    reason: str = typer.Option("", "--reason", help="why (optional: a suspension needs one, lifting it does not)"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
) -> None:
    """Reinstate a suspended participant (POST .../status)."""
    from ledger.apiclient.signer import calldata

    _post(
        key,
        demo_participant,
        api,
        f"/admin/participants/{account}/status",
        lambda _: calldata.set_suspended(account, False, reason),
    )


def register_commands(app: typer.Typer) -> None:
    """`ledger admin ...`."""
    admin_app = command_group(help="The consortium admin's operations (signed with the admin key, relayed by the API).")
    admin_app.command("register")(register)
    admin_app.command("add-site")(add_site)
    admin_app.command("grant")(grant)
    admin_app.command("revoke")(revoke)
    admin_app.command("suspend")(suspend)
    admin_app.command("reinstate")(reinstate)
    app.add_typer(admin_app, name="admin")
