"""The Digital Link resolver held against the GS1-Conformant Resolver Standard 1.2 (ref.gs1.org/standards/resolver;
clause numbers of the standard, § the items of its conformance statement, section 5), one test per requirement:

- 2.2 §5.2: SHALL support HTTP GET, HEAD and OPTIONS. test_get_head_and_options_over_http
- 2.2 §5.4: SHALL support CORS. test_cors_on_every_answer_over_http
- 2.4.1 §5.7: SHALL syntactically validate the URI, errors reported with 400. test_a_uri_that_is_no_digital_link_is_400
- 2.4.1 §5.8: a valid URI with nothing known is 404. test_a_gtin_nothing_is_recorded_for_is_404
- 2.4.1 §5.9: SHALL NOT answer 200 with an error (the two tests above).
- 2.2 (3b): SHALL redirect to the default link unless the request asks for more; 2.2: SHOULD expose the linkset in a
  Link header, even when redirecting. test_without_link_type_the_default_link
- 2.2, 2.9: linkType=linkset, or Accept: application/linkset+json, SHALL return the linkset, no redirect; 2.3 §5.10:
  the linkset's subject is the (uncompressed) request URI; 2.10 §5.13: SHOULD link the linkset's JSON-LD context in
  a Link header. test_the_linkset_is_answered_not_redirected
- 2.5.3 §5.11: every link has its target, link type and title, media types are IANA's; 2.5.4: language tags, BCP 47
  in an array (SHOULD); 2.5.8 §5.14: exactly one default link, a title and nothing else; §5.12: it is also listed
  under its descriptive link type (gs1:pip). test_links_carry_title_type_and_language
- 2.5.5: a link's media type is what its target serves (gs1:epcis: JSON-LD). test_each_link_serves_the_type_it_declares
- 2.1, 2.5.9 §5.1, §5.16: every qualifier of the key supported, a default link at the entry level or higher for any
  URI (walking up the tree: a GTIN alone, a serial, an unknown lot). test_a_gtin_alone_a_serial_and_an_unknown_lot
- 2.6.2 §5.17: the requested link type, if available, SHALL be redirected to; 2.14 §5.24: the GS1 Web Vocabulary's
  namespace recognised (gs1: CURIE and its URIs). test_a_requested_link_type_redirects_to_it
- 2.6.2 §5.18: a requested link type not available is 404. test_a_link_type_not_available_is_404
- 2.12 §5.19: SHALL pass on the query string when redirecting. test_the_query_string_is_passed_on
- 3 §5.21: SHALL provide a resolver description file at /.well-known/gs1resolver. test_the_description_file_is_public
- 2.13 §5.25: SHOULD tolerate a trailing slash. test_a_trailing_slash_is_tolerated

Not claimed: §5.3 HTTPS (a deployment's TLS proxy terminates it), §5.5-5.6 compressed Digital Link URIs (the
description file names no compression), 2.8 pattern-based redirection (gs1:handledBy: none here).

And the service's own rule (attacker mindset): without API_PUBLIC_URL a forged Host header is written nowhere
(test_a_forged_host_is_written_nowhere); the access rules decide which links a caller gets.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings
from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_YARN, demo_account
from ledger.epcis.digital_link import GS1, LINKSET_CONTEXT
from tests.api.conftest import login
from tests.api.serve_process import ServeProcess
from tests.ledger.epcis.conftest import COTTON, YARN, World

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LINKSET_JSON = "application/linkset+json"
#: What `ApiSettings()` names the service when API_PUBLIC_URL is not set (its API_AUTH_DOMAIN).
OWN_BASE = "http://127.0.0.1:8000"


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(ApiSettings(), world.ledger)) as client:
        world.service.store.close()
        world.service = client.app.state.epcis  # type: ignore[attr-defined]
        yield client


def entry(reply: Any) -> dict[str, Any]:
    assert reply.status_code in (200, 300), reply.text
    assert reply.headers["content-type"].startswith(LINKSET_JSON)
    (found,) = reply.json()["linkset"]
    return found  # type: ignore[no-any-return]


def relations(found: dict[str, Any]) -> set[str]:
    return {key.removeprefix(GS1) for key in found if key != "anchor"}


def test_a_uri_that_is_no_digital_link_is_400(world: World, http: TestClient) -> None:
    world.record(COTTON, "A", "10")
    wrong_digit = COTTON[:-1] + str((int(COTTON[-1]) + 1) % 10)
    for path in (
        f"/01/{wrong_digit}/10/A",
        f"/01/{COTTON}/10/A/foo",
        f"/01/{COTTON}/21/S1/10/A",
        f"/01/{COTTON}/10/{'L' * 21}",
        f"/01/{COTTON}/17/271231",
        f"/01/{COTTON}?17=271399",
        f"/01/{COTTON}?10=A",
        f"/01/{COTTON}/10/A?10=X",
        f"/01/{COTTON}/10/A?01={COTTON}",
        f"/01/{COTTON}/10/A?linkType={'x' * 101}",
        "/01/0401234512345X",
        f"/01/{COTTON}/10/A?utm_source={'x' * 2_000}",
    ):  # a query string no label carries
        reply = http.get(path, follow_redirects=False)
        assert reply.status_code == 400, (path, reply.status_code, reply.text)
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert reply.json()["code"] == "digital_link_syntax" and reply.json()["detail"]
    assert "check digit" in http.get(f"/01/{wrong_digit}/10/A").json()["detail"]


def test_a_gtin_nothing_is_recorded_for_is_404(world: World, http: TestClient) -> None:
    world.record(COTTON, "A", "10")
    for path in (f"/01/{YARN}", f"/01/{YARN}/10/A"):
        reply = http.get(path, follow_redirects=False)
        assert reply.status_code == 404 and reply.json()["code"] == "not_found", reply.text


def test_without_link_type_the_default_link(world: World, http: TestClient) -> None:
    batch = world.record(COTTON, "A", "10")
    reply = http.get(f"/01/{COTTON}/10/A", follow_redirects=False)
    assert reply.status_code == 307 and reply.headers["location"] == f"/batches/{batch}/passport"
    assert reply.headers["link"].startswith(f'</01/{COTTON}/10/A?linkType=linkset>; rel="linkset"')


def test_the_linkset_is_answered_not_redirected(world: World, http: TestClient) -> None:
    world.record(COTTON, "A", "10")
    path = f"/01/{COTTON}/10/A"
    for reply in (
        http.get(path, params={"linkType": "linkset"}, follow_redirects=False),
        http.get(path, params={"linkType": "all"}, follow_redirects=False),
        http.get(path, headers={"Accept": LINKSET_JSON}, follow_redirects=False),
        http.get(path, headers={"Accept": "application/json"}, follow_redirects=False),
    ):
        assert reply.status_code == 200 and "location" not in reply.headers
        assert entry(reply)["anchor"] == f"{OWN_BASE}{path}"
        assert f'<{LINKSET_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"' in reply.headers["link"]
    assert http.get(path, headers={"Accept": "text/html"}, follow_redirects=False).status_code == 307


def test_links_carry_title_type_and_language(world: World, http: TestClient) -> None:
    batch = world.record(COTTON, "A", "10")
    for headers in ({}, login(http, world.factory.account)):
        found = entry(http.get(f"/01/{COTTON}/10/A", params={"linkType": "linkset"}, headers=headers))
        assert re.match(r"^https?://", found["anchor"])
        for relation in relations(found) - {"defaultLink"}:
            for link in found[GS1 + relation]:
                assert link["href"].startswith(OWN_BASE + "/") and link["title"]
                assert re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", link["type"]) and link["hreflang"] == ["en"]
        (default,) = found[GS1 + "defaultLink"]
        assert set(default) == {"href", "title"} and default["href"] == f"{OWN_BASE}/batches/{batch}/passport"
        assert default["href"] in [link["href"] for link in found[GS1 + "pip"]]
    assert relations(found) == {"pip", "masterData", "traceability", "epcis", "sustainabilityInfo", "defaultLink"}


def test_each_link_serves_the_type_it_declares(world: World, http: TestClient) -> None:
    world.record(COTTON, "A", "10")
    producer = login(http, world.factory.account)
    found = entry(http.get(f"/01/{COTTON}/10/A", params={"linkType": "linkset"}, headers=producer))
    assert found[GS1 + "epcis"][0]["type"] == "application/ld+json"
    for relation in relations(found) - {"defaultLink"}:
        (link,) = found[GS1 + relation]
        target = http.get(link["href"].removeprefix(OWN_BASE), headers={**producer, "Accept": link["type"]})
        assert target.status_code == 200, (relation, target.text)
        assert target.headers["content-type"].startswith(link["type"]), (relation, target.headers["content-type"])


def test_a_gtin_alone_a_serial_and_an_unknown_lot(world: World, http: TestClient) -> None:
    first = world.record(COTTON, "A", "10")
    alone = http.get(f"/01/{COTTON}", follow_redirects=False)  # one lot recorded: its passport
    assert alone.status_code == 307 and alone.headers["location"] == f"/batches/{first}/passport"
    assert http.get(f"/01/{COTTON[1:]}", follow_redirects=False).headers["location"] == alone.headers["location"]
    serial = http.get(f"/01/{COTTON}/10/A/21/ITEM-7", follow_redirects=False)  # a serial resolves as its lot
    assert serial.status_code == 307 and serial.headers["location"] == f"/batches/{first}/passport"
    assert serial.headers["link"].startswith(f"</01/{COTTON}/10/A?linkType=linkset>")
    second = world.record(COTTON, "B", "10")
    several = http.get(f"/01/{COTTON}", follow_redirects=False)  # two lots: the GTIN's linkset to choose from
    found = entry(several)
    assert several.status_code == 300 and found["anchor"] == f"{OWN_BASE}/01/{COTTON}"
    assert {link["href"] for link in found[GS1 + "pip"]} == {
        f"{OWN_BASE}/batches/{first}/passport",
        f"{OWN_BASE}/batches/{second}/passport",
    }
    assert all("(lot " in link["title"] for link in found[GS1 + "pip"])
    # a lot nobody recorded walks up to its GTIN, and is never sent to another lot's passport
    for path in (f"/01/{COTTON}/10/KL8G", f"/01/{COTTON}/21/ITEM-7", f"/01/{COTTON}/22/V1"):
        walked = http.get(path, follow_redirects=False)
        assert walked.status_code == 300 and "location" not in walked.headers, path
        assert entry(walked)["anchor"] == f"{OWN_BASE}/01/{COTTON}" and GS1 + "defaultLink" in entry(walked)


def test_a_requested_link_type_redirects_to_it(world: World, http: TestClient) -> None:
    batch = world.record(COTTON, "A", "10")
    producer = login(http, world.factory.account)
    for link_type in ("gs1:traceability", f"{GS1}traceability", "https://gs1.org/voc/traceability"):
        reply = http.get(f"/01/{COTTON}/10/A", params={"linkType": link_type}, headers=producer, follow_redirects=False)
        assert reply.status_code == 307, link_type
        assert reply.headers["location"].startswith(f"/batches/{batch}/trace?linkType="), link_type  # GS1 2.12
    epcis = http.get(f"/01/{COTTON}/10/A", params={"linkType": "gs1:epcis"}, headers=producer, follow_redirects=False)
    assert epcis.headers["location"].startswith(f"/batches/{batch}/epcis?")


def test_a_link_type_not_available_is_404(world: World, http: TestClient) -> None:
    world.record(COTTON, "A", "10")
    path = f"/01/{COTTON}/10/A"
    for headers, link_type in (
        ({}, "gs1:nosuchlt"),
        ({}, "gs1:traceability"),
        (login(http, world.other.account), "gs1:traceability"),
    ):
        reply = http.get(path, params={"linkType": link_type}, headers=headers, follow_redirects=False)
        assert reply.status_code == 404 and "location" not in reply.headers, (link_type, reply.text)
        assert "linkType=linkset" in reply.json()["detail"]
    # a member who may not see the batch cannot tell its member-only links from links that do not exist
    hidden = http.get(path, params={"linkType": "gs1:traceability"}, headers=login(http, world.other.account))
    assert hidden.json()["detail"] == http.get(path, params={"linkType": "gs1:nosuchlt"}).json()["detail"].replace(
        "nosuchlt", "traceability"
    )


def test_the_query_string_is_passed_on(world: World, http: TestClient) -> None:
    batch = world.record(COTTON, "A", "10")
    reply = http.get(f"/01/{COTTON}/10/A?17=271231&utm_source=label&utm_medium=qr", follow_redirects=False)
    assert reply.status_code == 307
    assert reply.headers["location"] == f"/batches/{batch}/passport?17=271231&utm_source=label&utm_medium=qr"
    assert http.get(reply.headers["location"]).status_code == 200  # the passport ignores what it does not read


def test_a_trailing_slash_is_tolerated(world: World, http: TestClient) -> None:
    world.record(COTTON, "A", "10")
    for path in (f"/01/{COTTON}/10/A", f"/01/{COTTON}"):
        plain, slashed = (http.get(p, follow_redirects=False) for p in (path, path + "/"))
        assert (slashed.status_code, slashed.headers["location"]) == (plain.status_code, plain.headers["location"])


def test_the_description_file_is_public(world: World, http: TestClient) -> None:
    reply = http.get("/.well-known/gs1resolver")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    described = reply.json()
    assert described["resolverRoot"] == OWN_BASE and described["supportedPrimaryKeys"] == ["01"]
    assert {"namespace": GS1, "prefix": "gs1:"} in described["supportedLinkType"]
    assert described["jsonLdContextLocation"] == LINKSET_CONTEXT and described["name"]
    spec = http.get("/openapi.json").json()["paths"]["/.well-known/gs1resolver"]["get"]
    assert "security" not in spec  # reads no token


def test_a_forged_host_is_written_nowhere(world: World) -> None:
    """Without API_PUBLIC_URL the service names itself by API_AUTH_DOMAIN, never by the request's Host."""
    batch = world.record(COTTON, "A", "10")
    settings = ApiSettings(auth_domain="ledger.example:8443")
    with TestClient(create_app(settings, world.ledger)) as client:
        forged = {"Host": "evil.example"}
        redirect = client.get(f"/01/{COTTON}/10/A", headers=forged, follow_redirects=False)
        linkset = client.get(f"/01/{COTTON}/10/A", params={"linkType": "linkset"}, headers=forged)
        described = client.get("/.well-known/gs1resolver", headers=forged)
        for reply in (redirect, linkset, described):
            assert "evil.example" not in reply.text and "evil.example" not in str(reply.headers), reply.url
        assert redirect.headers["location"] == f"/batches/{batch}/passport"
        assert entry(linkset)["anchor"] == f"http://ledger.example:8443/01/{COTTON}/10/A"
        assert described.json()["resolverRoot"] == "http://ledger.example:8443"
    with TestClient(create_app(ApiSettings(public_url="https://id.example.com"), world.ledger)) as client:
        reply = client.get(f"/01/{COTTON}/10/A?utm_source=x", headers={"Host": "evil.example"}, follow_redirects=False)
        assert reply.headers["location"] == f"https://id.example.com/batches/{batch}/passport?utm_source=x"
        assert reply.headers["link"].startswith(f"<https://id.example.com/01/{COTTON}/10/A?linkType=linkset>")


# -- over HTTP, against the real server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    home: Path = tmp_path_factory.mktemp("resolver") / ".ledger"
    serve = ServeProcess(home, ["--demo"], {"LEDGER_NODE_PORT": str(free_port()), "LEDGER_READ_STALENESS": "0"})
    serve.start()
    yield serve
    serve.stop()


LABEL = f"/01/{GTIN_YARN}/10/SPY-25-A-031"


@pytest.mark.anvil
def test_get_head_and_options_over_http(server: ServeProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        got = client.get(LABEL)
        head = client.head(LABEL)
        assert got.status_code == head.status_code == 307 and head.content == b""
        assert head.headers["location"] == got.headers["location"] and head.headers["link"] == got.headers["link"]
        linkset_head = client.head(LABEL, params={"linkType": "linkset"})
        assert linkset_head.status_code == 200 and linkset_head.content == b""
        for path in (LABEL, "/.well-known/gs1resolver"):
            options = client.options(path)
            assert options.status_code == 204, (path, options.text)
            assert set(options.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
        described = client.head("/.well-known/gs1resolver")
        assert described.status_code == 200 and described.content == b""


@pytest.mark.anvil
def test_cors_on_every_answer_over_http(server: ServeProcess) -> None:
    origin = {"Origin": "https://scanner.example"}
    with httpx.Client(base_url=server.url, timeout=60) as client:
        preflight = client.options(
            LABEL,
            headers={
                **origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert {"GET", "HEAD", "OPTIONS"} <= set(
            preflight.headers["access-control-allow-methods"].replace(" ", "").split(",")
        )
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        brand = server.login(demo_account("brand"))
        answers = (
            client.get(LABEL, headers=origin),
            client.get(LABEL, params={"linkType": "linkset"}, headers={**origin, **brand}),
            client.get(f"/01/{GTIN_YARN}/10/NO-SUCH-LOT/21/x/y", headers=origin),  # 400
            client.get(LABEL, params={"linkType": "gs1:nosuchlt"}, headers=origin),  # 404
            client.get("/.well-known/gs1resolver", headers=origin),
        )
        assert [reply.status_code for reply in answers] == [307, 200, 400, 404, 200]
        for reply in answers:
            assert reply.headers["access-control-allow-origin"] == "*", reply.url
            assert {"Link", "Location"} <= set(
                reply.headers["access-control-expose-headers"].replace(" ", "").split(",")
            )
        assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
