"""`create_app(settings, service=...)`: the FastAPI application over a `ledger.service.Service` (the composition root
that builds and closes the ledger, vault, screening lists, relayer and EPCIS service). Nothing happens at import
time."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import docs, openapi, problems
from api.auth import Authenticator
from api.evidence import UploadBudget
from api.limits import RequestLimits
from api.routes import (
    admin,
    anchors,
    batches,
    disclosures,
    documents,
    due_diligence,
    epcis,
    health,
    participants,
    passport,
    regimes,
    resolver,
    signing,
)
from api.routes import auth as auth_routes
from api.settings import ApiSettings, get_settings
from api.sign_in_guards import SignInRate, UsedNonces
from ledger import Ledger, LedgerError, ScreeningLists, Service, Vault

log = logging.getLogger("api")
DESCRIPTION = """
Supply-chain provenance and ESG due diligence over an on-chain ledger.

* **Buyers** search batches, trace their upstream lineage and ask for a due-diligence report against their policy
  (`POST /due-diligence`): a verdict, findings with on-chain evidence, and a cradle-to-gate footprint.
* **Factories and auditors** write by signing an EIP-712 `ForwardRequest` with their own key (see
  `GET /eip712/domain` and `GET /participants/{address}/nonce`, or let `ledger sign` build the body); the service
  relays it and pays the gas. The signature is the authentication. Writes take an `Idempotency-Key` header.
* Every error is RFC 9457 `application/problem+json` with `type, title, status, detail, code`.
* Requests are bounded: a body larger than its route's limit is refused with 413 (`body_too_large`), a JSON body
  that is not UTF-8 with 415 (`json_not_utf8`), JSON nested deeper than the service's limit with 422
  (`json_too_deep`), all before the body is parsed; a route for members refuses a missing or bad token (401) before
  reading the body.
"""
TAGS = [
    {"name": "batches", "description": "Search, inspect and trace batches; record batches, custody and flags."},
    {"name": "participants", "description": "Who is who: profiles, roles, disclosures, signing nonces."},
    {"name": "due diligence", "description": "Policy verdicts on a batch's lineage."},
    {"name": "disclosures", "description": "ESG disclosures, their history, attestations and exports."},
    {
        "name": "epcis",
        "description": "GS1 EPCIS 2.0: capture documents with signed writes, query events, a batch's "
        "lineage as EPCIS, and the GS1 Digital Link resolver (/01/{gtin}[/10/{lot}], "
        "/.well-known/gs1resolver).",
    },
    {"name": "documents", "description": "The files behind the document hashes records cite: upload, download."},
    {"name": "signing", "description": "What clients need to sign writes."},
    {"name": "health", "description": "Service and chain status."},
]


def create_app(
    settings: ApiSettings | None = None,
    ledger: Ledger | None = None,
    *,
    vault: Vault | None = None,
    lists: ScreeningLists | None = None,
    service: Service | None = None,
) -> FastAPI:
    """The API over `service` (built by `Service.open`, closed by its opener), or over `ledger` with its document
    `vault` and screening `lists` (`Service.around`); without either, an embedded service is opened at startup and
    closed at shutdown (for trying things out only). The vault and the lists feed due diligence and the document
    routes (without a vault those answer 501 and every cited document counts as not in the vault)."""
    settings = settings or get_settings()
    if service is None and ledger is not None:
        service = Service.around(ledger, vault=vault, lists=lists)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = None
        if app.state.service is None:
            owned = app.state.service = Service.embedded()
            app.state.ledger = owned.ledger
        running: Service = app.state.service
        app.state.authenticator = authenticator(settings, running.ledger, app.state.used_nonces)
        # resumes capture jobs a stop interrupted
        started = app.state.epcis = running.open_epcis(epcis.capture_bounds(settings))
        watcher = RelayerWatch(running.ledger, settings.relayer_watch_seconds)
        watcher.start()
        yield
        watcher.stop()
        current = app.state.epcis  # the EPCIS routes may have made another (`api.routes.epcis.get_epcis`)
        running.close_epcis(started)
        if current is not started:
            current.close()
        if owned is not None:
            owned.close()

    app = FastAPI(
        title=settings.title,
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    app.state.ledger = service.ledger if service is not None else None
    app.state.vault = service.vault if service is not None else None
    app.state.lists = service.lists if service is not None else None
    app.state.upload_budget = UploadBudget(settings.document_upload_bytes_per_day)
    app.state.used_nonces = UsedNonces(settings.auth_used_nonces or ":memory:")
    app.state.sign_in_rate = SignInRate(settings.sign_in_per_minute)
    if service is not None:
        app.state.authenticator = authenticator(settings, service.ledger, app.state.used_nonces)
    app.add_middleware(RequestLimits, settings=settings)
    problems.install(app)
    openapi.install(app, settings)
    docs.install(app)
    app.include_router(auth_routes.router)
    app.include_router(passport.router)
    app.include_router(admin.router)
    app.include_router(anchors.router)
    app.include_router(batches.router)
    app.include_router(participants.router)
    app.include_router(due_diligence.router)
    app.include_router(regimes.router)
    app.include_router(documents.router)
    app.include_router(disclosures.router)
    app.include_router(signing.router)
    app.include_router(health.router)
    app.include_router(epcis.router)
    resolver.install(app)  # the GS1 Digital Link resolver: its routes, CORS headers and 400s
    return app


def authenticator(settings: ApiSettings, ledger: Ledger, used_nonces: UsedNonces | None = None) -> Authenticator:
    """Sign-in for this app. Without a configured secret the tokens are signed with a random one: they then work on
    this process only, until it stops (`ledger serve` keeps a secret per workspace instead)."""
    if settings.auth_secret is not None:
        secret = settings.auth_secret.get_secret_value()
    else:
        log.warning("no API_AUTH_SECRET: sign-in tokens work on this process only, until it stops")
        secret = secrets.token_hex(32)
    return Authenticator(
        secret, domain=settings.auth_domain, ledger=ledger, token_ttl=settings.auth_token_ttl, used_nonces=used_nonces
    )


class RelayerWatch:
    """A thread that matches the relayer's open writes with the chain every few seconds: receipts recorded, lost
    transactions re-sent, stuck ones replaced with a higher fee, even when no request comes in."""

    def __init__(self, ledger: Ledger, seconds: float) -> None:
        self.ledger = ledger
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relayer-watch", daemon=True)

    def start(self) -> None:
        if self.seconds > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.ledger.relayer.reconcile()
            except LedgerError as exc:  # the node is down or replaced: /health says so; try again later
                log.warning("relayer watch: %s", exc)
