"""Who sees what, against a real `ledger serve --demo`: every read route, with each kind of caller.

The target is the demo's yarn of line A: spun by the spinning mill, held by the weaving mill, woven into fabric A,
sewn into garments A which the brand handed on to a retailer. So the spinning mill (producer), the weaving mill
(holder), the garment factory, the brand (an earlier holder downstream) and the retailer (holding downstream) see it;
the gin whose lint went into it (upstream), an unrelated gin and the auditor do not (404, as for an id that does not
exist); anonymous callers must sign in (401), except for the product passport and public disclosures; a suspended
member's token stops working (401); the admin sees everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from eth_account import Account

from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.codec import batch_id_of
from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_SHIRT, GTIN_YARN, demo_account
from ledger.domain.types import ParticipantProfile, Role
from tests.api.serve_process import ServeProcess
from tests.conftest import account

pytestmark = pytest.mark.anvil
CALLERS = (
    "anonymous",
    "unrelated factory",
    "upstream supplier",
    "producer",
    "holder",
    "downstream factory",
    "earlier holder downstream",
    "holder downstream",
    "auditor",
    "admin",
    "suspended member",
)
SEES = {"producer", "holder", "downstream factory", "earlier holder downstream", "holder downstream", "admin"}


@dataclass
class World:
    server: ServeProcess
    headers: dict[str, dict[str, str]]
    yarn: str
    disclosures: dict[str, str]

    def get(self, caller: str, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.server.url + path, headers=self.headers[caller], timeout=60, **kwargs)  # type: ignore[arg-type]

    def post(self, caller: str, path: str, body: object) -> httpx.Response:
        return httpx.post(self.server.url + path, json=body, headers=self.headers[caller], timeout=60)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("access") / ".ledger"
    server = ServeProcess(home, ["--demo"], {"LEDGER_NODE_PORT": str(free_port()), "LEDGER_READ_STALENESS": "0"})
    server.start()
    admin = Account.from_key(ANVIL_OPERATOR_KEY)
    retailer, outcast = account("access retailer"), account("access outcast")
    with httpx.Client(base_url=server.url, timeout=60) as http:
        signer = ApiSigner(server.url, admin, client=http)
        signer.login()
        for who, name in ((retailer, "Access Retail AB"), (outcast, "Outcast Trading Ltd")):
            registered = http.post(
                "/admin/participants",
                headers=signer.headers,
                json=signer.body(
                    calldata.register_participant(who.address, ParticipantProfile(name, "SE"), [Role.BUYER])
                ),
            )
            assert registered.status_code == 201, registered.text
        garments = batch_id_of(demo_account("garment").address, GTIN_SHIRT, "HG-DG-25-A-1201")
        brand = ApiSigner(server.url, demo_account("brand"), client=http)
        handed = http.post(
            f"/batches/{garments}/custody", json=brand.body(calldata.transfer_custody(garments, retailer.address))
        )
        assert handed.status_code == 201, handed.text
        headers = {"anonymous": {}, "admin": signer.headers}
        for caller, key in (
            ("unrelated factory", "gin-xinjiang"),
            ("upstream supplier", "gin-gujarat"),
            ("producer", "spinning"),
            ("holder", "weaving"),
            ("downstream factory", "garment"),
            ("earlier holder downstream", "brand"),
            ("auditor", "auditor"),
        ):
            headers[caller] = server.login(demo_account(key))
        headers["holder downstream"] = server.login(retailer)
        headers["suspended member"] = server.login(outcast)  # signed in while a member, then suspended
        suspended = http.post(
            f"/admin/participants/{outcast.address}/status",
            headers=signer.headers,
            json=signer.body(calldata.set_suspended(outcast.address, True, "screening hit")),
        )
        assert suspended.status_code == 201, suspended.text
        disclosures = {
            d["participant"]: d["id"]
            for d in http.get("/disclosures", headers=signer.headers, params={"limit": 50}).json()["items"]
        }
    yarn = batch_id_of(demo_account("spinning").address, GTIN_YARN, "SPY-25-A-031")
    yield World(server, headers, yarn, disclosures)
    server.stop()


#: The GET routes anyone may call; every other route is for signed-in members.
PUBLIC_GETS = {
    "/auth/nonce",
    "/health",
    "/eip712/domain",
    "/participants/{address}/nonce",
    "/batches/{batch_id}/passport",
    "/disclosures",
    "/disclosures/export",
    "/disclosures/{disclosure_id}",
    "/01/{gtin}",
    "/01/{gtin}/{qualifiers}",
    "/.well-known/gs1resolver",
    "/regimes",
    # for whoever may see a record citing the document; to anyone else unknown (404)
    "/documents/{sha256}",
    "/documents/{sha256}/citations",
}


def test_every_read_route_but_the_public_ones_asks_anonymous_callers_to_sign_in(world: World) -> None:
    """A route added without its access rule fails here: each GET route of the OpenAPI document is called without a
    token (path parameters filled with well-formed values)."""
    values = {
        "batch_id": world.yarn,
        "address": demo_account("spinning").address,
        "gtin": GTIN_YARN,
        "lot": "SPY-25-A-031",
        "disclosure_id": next(iter(world.disclosures.values())),
        "capture_id": "0" * 32,
        "sha256": "ab" * 32,
        "qualifiers": "10/SPY-25-A-031",
    }
    paths = world.get("admin", "/openapi.json").json()["paths"]
    answered = {
        path: world.get("anonymous", path.format(**values), follow_redirects=False).status_code
        for path, operations in paths.items()
        if "get" in operations
    }
    assert {path for path, status in answered.items() if status != 401} == PUBLIC_GETS, answered


def expected(caller: str) -> int:
    if caller == "anonymous" or caller == "suspended member":
        return 401
    return 200 if caller in SEES else 404


@pytest.mark.parametrize("caller", CALLERS)
def test_a_batch_its_lineage_and_its_report_are_seen_by_those_it_concerns_only(world: World, caller: str) -> None:
    y = world.yarn
    replies = {
        "batch": world.get(caller, f"/batches/{y}"),
        "trace json": world.get(caller, f"/batches/{y}/trace"),
        "trace mermaid": world.get(caller, f"/batches/{y}/trace", params={"format": "mermaid"}),
        "trace dot": world.get(caller, f"/batches/{y}/trace", params={"format": "dot"}),
        "report": world.post(caller, "/due-diligence", {"batch_id": y}),
        "report by label": world.post(caller, "/due-diligence", {"gtin": GTIN_YARN, "lot": "SPY-25-A-031"}),
        "printable report": world.get(caller, f"/due-diligence/{y}", params={"format": "json"}),
        "recording": world.get(caller, f"/batches/{y}/recording"),
        "epcis lineage": world.get(caller, f"/batches/{y}/epcis"),
    }
    assert {name: r.status_code for name, r in replies.items()} == dict.fromkeys(replies, expected(caller))
    nowhere = world.get(caller, "/batches/0x" + "ab" * 32)
    if expected(caller) == 404:  # indistinguishable from a batch that does not exist
        assert replies["batch"].json()["detail"].replace(y, "?") == nowhere.json()["detail"].replace(
            "0x" + "ab" * 32, "?"
        )
        hidden_recording = replies["recording"].json()["detail"].replace(y, "?")
        assert hidden_recording == world.get(caller, f"/batches/0x{'ab' * 32}/recording").json()["detail"].replace(
            "0x" + "ab" * 32, "?"
        )
    if expected(caller) == 401:
        assert replies["batch"].headers["WWW-Authenticate"].startswith("Bearer")
    label = world.get(
        caller, f"/01/{GTIN_YARN}/10/SPY-25-A-031", params={"linkType": "gs1:traceability"}, follow_redirects=False
    )  # a scanned label: the trace for who may see it, else no such link
    # a revoked token is refused anywhere
    assert label.status_code == (401 if caller == "suspended member" else 307 if caller in SEES else 404)
    if label.status_code == 307:
        assert label.headers["location"].startswith(f"/batches/{y}/trace?")
    passport = world.get(caller, f"/batches/{y}/passport")
    assert passport.status_code == 200 and "legal_name" not in passport.text  # anyone: no names, sites, addresses
    assert passport.json()["producer_country"] == "VN"


@pytest.mark.parametrize("caller", CALLERS)
def test_search_shows_only_the_batches_a_caller_may_see(world: World, caller: str) -> None:
    reply = world.get(caller, "/batches", params={"gtin": GTIN_YARN, "limit": 50})
    if expected(caller) == 401:
        assert reply.status_code == 401
        return
    lots = {b["lot"] for b in reply.json()["items"]}
    assert ("SPY-25-A-031" in lots) == (caller in SEES)


@pytest.mark.parametrize("caller", CALLERS)
def test_the_directory_is_for_members_and_details_for_those_who_see_a_batch(world: World, caller: str) -> None:
    spinning = demo_account("spinning").address
    directory = world.get(caller, "/participants")
    page = world.get(caller, f"/participants/{spinning}")
    if expected(caller) == 401:
        assert (directory.status_code, page.status_code) == (401, 401)
        return
    assert directory.status_code == 200
    assert {"legal_name", "country", "roles", "party_gln"} <= directory.json()[0].keys()
    assert all("sites" not in p for p in directory.json())
    assert page.status_code == 200
    assert (page.json()["details"] is not None) == (caller in SEES), page.json()


@pytest.mark.parametrize("caller", CALLERS)
def test_disclosures_are_for_members_and_public_ones_for_everyone(world: World, caller: str) -> None:
    garment = world.disclosures[demo_account("garment").address]  # public in the demo
    weaving = world.disclosures[demo_account("weaving").address]  # members only
    listing = world.get(caller, "/disclosures", params={"limit": 50})
    export = world.get(caller, "/disclosures/export", params={"format": "json"})
    if caller == "suspended member":
        assert {listing.status_code, export.status_code} == {401}
        return
    assert world.get(caller, f"/disclosures/{garment}").status_code == 200
    members = caller != "anonymous"
    assert world.get(caller, f"/disclosures/{weaving}").status_code == (200 if members else 404)
    assert len(listing.json()["items"]) == (5 if members else 2)
    participants = {row["participant"] for row in export.json()["rows"]}
    assert (demo_account("weaving").address in participants) == members


def test_a_member_sees_what_it_holds_and_what_is_left(world: World) -> None:
    held = world.get("holder", "/participants/me/batches").json()["items"]
    assert {b["lot"] for b in held} >= {"SPY-25-A-031", "SPY-25-B-032"}
    assert all(float(b["remaining"]) >= 0 for b in held)
    assert world.get("anonymous", "/participants/me/batches").status_code == 401


def test_only_the_admin_reads_the_relayer_usage(world: World) -> None:
    assert world.get("admin", "/relayer").status_code == 200
    assert world.get("producer", "/relayer").status_code == 403
    assert world.get("anonymous", "/relayer").status_code == 401
