"""`ledger sign ACTION`: build and sign the JSON body of an API write with a participant's key.

The domain and nonce come from the API (`--api`); the output is the body to POST, e.g.

    ledger sign custody --demo-participant garment --batch 0x… --to 0x… | \\
        curl -X POST -H 'Content-Type: application/json' -d @- http://127.0.0.1:8000/batches/0x…/custody
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import typer

from ledger.cli.base import InvocationConsole, command_group
from ledger.domain.errors import ValidationError
from ledger.domain.types import (
    AssuranceLevel,
    BatchId,
    Document,
    DocumentKind,
    FlagKind,
    Gln,
    Gtin,
    Hash32,
    InputUse,
    MetricValue,
    NewBatch,
    Opinion,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

console = InvocationConsole(stderr=True, soft_wrap=True)

KEY = typer.Option(None, "--key", envvar="LEDGER_SIGNER_KEY", help="the participant's private key (0x-hex)")
DEMO = typer.Option(None, "--demo-participant", help="use a demo participant's key (gin-gujarat, spinning, ...)")
API = typer.Option("http://127.0.0.1:8000", "--api", envvar="LEDGER_API_URL", help="the API's base URL")
NONCE = typer.Option(None, "--nonce", help="override the nonce (default: asked from the API)")
TTL = typer.Option(3600, "--ttl", help="seconds the signature stays valid")


def register_commands(app: typer.Typer) -> None:
    """`ledger sign ...`."""
    sign_app = command_group(help="Build and sign the JSON body of an API write (prints it to stdout).")
    sign_app.command("record-batch")(record_batch)
    sign_app.command("custody")(custody)
    sign_app.command("flag")(flag)
    sign_app.command("publish")(publish)
    sign_app.command("amend")(amend)
    sign_app.command("attest")(attest)
    sign_app.command("revoke")(revoke)
    app.add_typer(sign_app, name="sign")


def _account(key: str | None, demo: str | None) -> LocalAccount:
    if demo:
        from ledger.demo.apparel import demo_account

        return demo_account(demo)
    if not key:
        raise typer.BadParameter("give --key (or LEDGER_SIGNER_KEY) or --demo-participant")
    from eth_account import Account

    try:
        return Account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise typer.BadParameter(f"not a private key: {exc}") from None


def _emit(key: str | None, demo: str | None, api: str, nonce: int | None, ttl: int, build: object, route: str) -> None:
    from ledger.apiclient.signer import ApiSigner

    data = build() if callable(build) else str(build)
    signer = ApiSigner(api, _account(key, demo))
    try:
        body = signer.body(data, ttl=ttl, nonce=nonce)
    finally:
        signer.client.close()
    console.print(f"POST {api.rstrip('/')}{route}")
    typer.echo(json.dumps(body, indent=2))


def _decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{what}: {text!r} is not a number") from None


def record_batch(
    gtin: str = typer.Option(
        ...,
        help="GTIN-8/12/13/14, or GTIN and lot together as a GS1 Digital Link URI or a "
        "scanned element string ((01)...(10)...)",
    ),
    lot: str | None = typer.Option(None, help="GS1 AI(10) lot (unless --gtin carries it)"),
    hs_code: str = typer.Option(..., help="6-digit HS code"),
    quantity: str = typer.Option(..., help="quantity, at most 3 decimals"),
    unit: str = typer.Option(..., help="UN/ECE Rec 20 unit, e.g. KGM, MTR, H87"),
    facility: str = typer.Option(..., help="GLN of the producing site"),
    produced_at: datetime = typer.Option(..., help="ISO 8601 time with zone, e.g. 2025-06-01T08:00:00+00:00"),
    input_: list[str] = typer.Option([], "--input", help="BATCH_ID=QUANTITY consumed (repeat)"),
    document: list[str] = typer.Option([], "--document", help="KIND=HASH, e.g. certificate=0x… (repeat)"),
    emissions: str | None = typer.Option(None, help="process emissions of this step, kg CO2e"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Record one batch (POST /batches)."""
    from ledger.apiclient.signer import calldata

    def build() -> str:
        inputs = tuple(InputUse(BatchId(i.split("=", 1)[0]), _decimal(i.split("=", 1)[-1], "--input")) for i in input_)
        documents = []
        for d in document:
            kind, _, digest = d.partition("=")
            try:
                documents.append(Document(Hash32(digest), DocumentKind(kind)))
            except ValueError:
                raise ValidationError(
                    f"document kind {kind!r} is not one of {', '.join(k.value for k in DocumentKind)}", field="document"
                ) from None
        code, lot_code = Gtin(gtin), lot or ""
        if lot is None or not gtin.isdigit():  # a Digital Link or element string: read GTIN and lot from it
            from ledger.epcis.keys import gtin_and_lot

            code, lot_code = gtin_and_lot(gtin, lot)
        return calldata.record_batch(
            NewBatch(
                code,
                lot_code,
                hs_code,
                _decimal(quantity, "--quantity"),
                unit,
                Gln(facility),
                produced_at,
                inputs=inputs,
                documents=tuple(documents),
                process_emissions_kg=_decimal(emissions, "--emissions") if emissions is not None else None,
            )
        )

    _emit(key, demo_participant, api, nonce, ttl, build, "/batches")


def custody(
    batch: str = typer.Option(..., help="batch id"),
    to: str = typer.Option(..., help="the new holder's address"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Hand custody of a batch to another participant (POST /batches/{id}/custody)."""
    from ledger.apiclient.signer import calldata

    _emit(
        key,
        demo_participant,
        api,
        nonce,
        ttl,
        lambda: calldata.transfer_custody(batch, to),
        f"/batches/{batch}/custody",
    )


def flag(
    batch: str = typer.Option(..., help="batch id"),
    kind: FlagKind = typer.Option(..., help="recall, quality_hold or release"),
    reason: str = typer.Option(..., help="why"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Flag a batch (POST /batches/{id}/flags)."""
    from ledger.apiclient.signer import calldata

    _emit(
        key,
        demo_participant,
        api,
        nonce,
        ttl,
        lambda: calldata.flag_batch(batch, kind, reason),
        f"/batches/{batch}/flags",
    )


def _metrics(values: list[str]) -> list[MetricValue]:
    metrics = []
    for item in values:
        code, _, rest = item.partition("=")
        value, _, unit = rest.partition(":")
        if not code or not value or not unit:
            raise ValidationError(
                f"metric {item!r} must read CODE=VALUE:UNIT, e.g. GHG_SCOPE1=410:tCO2e", field="metric"
            )
        metrics.append(MetricValue(code, _decimal(value, "--metric"), unit))
    return metrics


def publish(
    period: str = typer.Option(..., help="2025, 2025-H1 or 2025-Q3"),
    framework: str = typer.Option(..., help="GRI, ESRS or ISSB"),
    metric: list[str] = typer.Option(..., "--metric", help="CODE=VALUE:UNIT (repeat)"),
    document_hash: str = typer.Option(..., help="hash of the report document"),
    uri: str = typer.Option(..., help="where the report is published"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Publish a disclosure (POST /disclosures)."""
    from ledger.apiclient.signer import calldata

    _emit(
        key,
        demo_participant,
        api,
        nonce,
        ttl,
        lambda: calldata.publish_disclosure(period, framework, _metrics(metric), document_hash, uri),
        "/disclosures",
    )


def amend(
    disclosure: str = typer.Option(..., help="disclosure id"),
    metric: list[str] = typer.Option(..., "--metric", help="CODE=VALUE:UNIT (repeat)"),
    document_hash: str = typer.Option(...),
    uri: str = typer.Option(...),
    reason: str = typer.Option(..., help="why the disclosure is amended"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Amend one's disclosure (POST /disclosures)."""
    from ledger.apiclient.signer import calldata

    _emit(
        key,
        demo_participant,
        api,
        nonce,
        ttl,
        lambda: calldata.amend_disclosure(disclosure, _metrics(metric), document_hash, uri, reason),
        "/disclosures",
    )


def attest(
    disclosure: str = typer.Option(..., help="disclosure id"),
    version: int = typer.Option(..., min=1),
    level: AssuranceLevel = typer.Option(...),
    opinion: Opinion = typer.Option(...),
    report_hash: str = typer.Option(..., help="hash of the assurance report"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Attest a disclosure version, as an auditor (POST /disclosures/{id}/attestations)."""
    from ledger.apiclient.signer import calldata

    _emit(
        key,
        demo_participant,
        api,
        nonce,
        ttl,
        lambda: calldata.attest(disclosure, version, level, opinion, report_hash),
        f"/disclosures/{disclosure}/attestations",
    )


def revoke(
    disclosure: str = typer.Option(..., help="disclosure id"),
    version: int = typer.Option(..., min=1),
    reason: str = typer.Option(..., help="why the attestation is withdrawn"),
    key: str | None = KEY,
    demo_participant: str | None = DEMO,
    api: str = API,
    nonce: int | None = NONCE,
    ttl: int = TTL,
) -> None:
    """Revoke one's attestation (POST /disclosures/{id}/revocations)."""
    from ledger.apiclient.signer import calldata

    _emit(
        key,
        demo_participant,
        api,
        nonce,
        ttl,
        lambda: calldata.revoke_attestation(disclosure, version, reason),
        f"/disclosures/{disclosure}/revocations",
    )
