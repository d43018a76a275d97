"""Sign-in's bad input (issue 10): every malformed, forged, foreign, replayed or stale sign-in message or token is
401 with a problem body and `WWW-Authenticate`, and a suspended member's token stops working at its next request."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from eth_account.signers.local import LocalAccount

from api.app import create_app
from api.settings import ApiSettings
from ledger.apiclient.signer import sign_in, siwe_message
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from tests.api.conftest import TEST_SECRET, TestClient, assert_problem
from tests.conftest import account

ME = "/auth/me"


def nonce(client: TestClient) -> dict[str, Any]:
    reply = client.get("/auth/nonce")
    assert reply.status_code == 200
    return reply.json()  # type: ignore[no-any-return]


def login(client: TestClient, who: LocalAccount, message: str | None = None, **overrides: Any) -> Any:
    issued = nonce(client)
    text = message if message is not None else siwe_message(who.address, {**issued, **overrides})
    return client.post("/auth/login", json=sign_in(who, text))


def refused(reply: Any, words: str) -> None:
    body = assert_problem(reply, 401)
    assert words in body["detail"], body
    assert reply.headers["www-authenticate"].startswith("Bearer")


def test_a_member_signs_in_and_its_token_says_who_it_is(anonymous: TestClient, world: DemoWorld) -> None:
    brand = world.account("brand")
    reply = login(anonymous, brand)
    assert reply.status_code == 200, reply.text
    me = anonymous.get(ME, headers={"Authorization": f"Bearer {reply.json()['token']}"})
    assert me.json()["address"] == brand.address and me.json()["roles"] == ["BUYER"]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (None, "sign in first"),
        ("Basic YWxhZGRpbjpvcGVu", "use `Authorization: Bearer <token>`"),
        ("Bearer ", "use `Authorization: Bearer <token>`"),
        ("Bearer not.a.token", "not one this service issued"),
    ],
)
def test_a_missing_or_malformed_token_is_401(anonymous: TestClient, header: str | None, words: str) -> None:
    refused(anonymous.get(ME, headers={"Authorization": header} if header else {}), words)


def claims(ledger: Ledger, who: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    d = ledger.deployment
    return {
        "sub": who,
        "iss": "provenance-ledger",
        "aud": f"{d.chain_id}:{d.ledger.lower()}",
        "iat": now,
        "exp": now + 600,
        "jti": "t",
        **changes,
    }


@pytest.mark.parametrize(
    ("secret", "changes", "words"),
    [
        ("another-instance-secret-0123456789abcdef", {}, "not one this service issued"),  # forged / another secret
        (TEST_SECRET, {"exp": int(time.time()) - 10}, "expired"),
        (TEST_SECRET, {"aud": "1:0x0000000000000000000000000000000000000000"}, "not one this service issued"),
        (TEST_SECRET, {"iss": "someone-else"}, "not one this service issued"),
    ],
)
def test_a_forged_foreign_or_expired_token_is_401(
    anonymous: TestClient, demo_ledger: Ledger, world: DemoWorld, secret: str, changes: dict[str, Any], words: str
) -> None:
    token = jwt.encode(claims(demo_ledger, world.account("brand").address, **changes), secret, algorithm="HS256")
    refused(anonymous.get(ME, headers={"Authorization": f"Bearer {token}"}), words)


def test_a_token_of_an_instance_with_another_secret_is_401(
    demo_ledger: Ledger, world: DemoWorld, anonymous: TestClient
) -> None:
    other = ApiSettings(auth_secret="another-instance-secret-0123456789abcdef", auth_domain="testserver")
    with TestClient(create_app(other, demo_ledger)) as elsewhere:
        token = login(elsewhere, world.account("brand")).json()["token"]
        assert elsewhere.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    refused(anonymous.get(ME, headers={"Authorization": f"Bearer {token}"}), "not one this service issued")


def test_a_tampered_token_is_401(anonymous: TestClient, world: DemoWorld) -> None:
    token = login(anonymous, world.account("brand")).json()["token"]
    head, body, signature = token.split(".")
    forged = ".".join((head, body, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")))
    refused(anonymous.get(ME, headers={"Authorization": f"Bearer {forged}"}), "not one this service issued")


def test_sign_in_messages_for_another_domain_or_chain_are_401(anonymous: TestClient, world: DemoWorld) -> None:
    brand = world.account("brand")
    refused(login(anonymous, brand, domain="evil.example"), "is for 'evil.example'")
    refused(login(anonymous, brand, chain_id=1), "names chain 1")


def test_a_sign_in_message_used_twice_is_401(anonymous: TestClient, world: DemoWorld) -> None:
    brand = world.account("brand")
    message = siwe_message(brand.address, nonce(anonymous))
    assert anonymous.post("/auth/login", json=sign_in(brand, message)).status_code == 200
    refused(anonymous.post("/auth/login", json=sign_in(brand, message)), "already used")


def test_a_nonce_this_service_did_not_issue_is_401(anonymous: TestClient, world: DemoWorld) -> None:
    refused(login(anonymous, world.account("brand"), nonce="abcdef0123456789abcdef0123"), "not issued by this service")


def test_a_message_issued_in_the_future_or_already_expired_is_401(anonymous: TestClient, world: DemoWorld) -> None:
    brand = world.account("brand")
    future = siwe_message(brand.address, nonce(anonymous), now=datetime.now(UTC) + timedelta(hours=1))
    refused(login(anonymous, brand, message=future), "issued-at time is missing or in the future")
    stale = siwe_message(brand.address, nonce(anonymous), now=datetime.now(UTC) - timedelta(hours=1))
    refused(login(anonymous, brand, message=stale), "sign-in refused")


def test_a_signature_by_another_key_or_a_garbled_message_is_401(anonymous: TestClient, world: DemoWorld) -> None:
    brand = world.account("brand")
    message = siwe_message(brand.address, nonce(anonymous))
    refused(anonymous.post("/auth/login", json=sign_in(world.account("garment"), message)), "sign-in refused")
    refused(anonymous.post("/auth/login", json=sign_in(brand, "hello, let me in")), "not a Sign-In with Ethereum")


def test_a_key_that_is_no_member_cannot_sign_in(anonymous: TestClient) -> None:
    refused(login(anonymous, account("not a member")), "is not a participant of this consortium")


def test_a_suspended_members_token_stops_working_at_its_next_request(
    anonymous: TestClient, demo_ledger: Ledger, world: DemoWorld
) -> None:
    garment = world.account("garment")
    headers = {"Authorization": f"Bearer {login(anonymous, garment).json()['token']}"}
    assert anonymous.get(ME, headers=headers).status_code == 200
    demo_ledger.set_suspended(garment.address, True, "screening hit")
    refused(anonymous.get(ME, headers=headers), "is suspended")
    refused(login(anonymous, garment), "is suspended")


# -- issue 16: bounded, cheap-first, rate-limited sign-in; the message's URI; a member with no role left -------------


def test_a_message_longer_than_any_sign_in_message_is_refused_unread(anonymous: TestClient, world: DemoWorld) -> None:
    brand = world.account("brand")
    message = siwe_message(brand.address, nonce(anonymous)) + "\nResources:" + "\n- https://example.com/x" * 100
    body = assert_problem(anonymous.post("/auth/login", json=sign_in(brand, message)), 422)
    assert "2000" in body["detail"] or "2,000" in body["detail"] or body["errors"][0]["loc"][-1] == "message", body


def test_cheap_checks_come_before_the_signature(anonymous: TestClient, world: DemoWorld) -> None:
    """A foreign nonce, domain or chain is refused for what it is even when the signature is by another key: nothing
    is recovered from a signature for a message the service would refuse anyway."""
    brand, garment = world.account("brand"), world.account("garment")
    foreign = siwe_message(brand.address, {**nonce(anonymous), "nonce": "abcdef0123456789abcdef0123"})
    refused(anonymous.post("/auth/login", json=sign_in(garment, foreign)), "not issued by this service")
    used = siwe_message(brand.address, nonce(anonymous))
    assert anonymous.post("/auth/login", json=sign_in(brand, used)).status_code == 200
    refused(anonymous.post("/auth/login", json=sign_in(garment, used)), "already used")


def test_sign_in_is_rate_limited_per_client_address(demo_ledger: Ledger, world: DemoWorld) -> None:
    app = create_app(ApiSettings(auth_secret=TEST_SECRET, auth_domain="testserver", sign_in_per_minute=3), demo_ledger)
    first, second = TestClient(app, client=("10.0.0.1", 4000)), TestClient(app, client=("10.0.0.2", 4000))
    brand = world.account("brand")
    for _ in range(3):  # good or bad, each attempt counts
        assert first.post("/auth/login", json=sign_in(brand, "junk")).status_code == 401
    body = assert_problem(first.post("/auth/login", json=sign_in(brand, "junk")), 429, "sign_in_rate_exceeded")
    assert "3 sign-in attempts a minute" in body["detail"]
    retry = first.post("/auth/login", json=sign_in(brand, siwe_message(brand.address, nonce(first))))
    assert retry.status_code == 429 and 1 <= int(retry.headers["retry-after"]) <= 60
    assert login(second, brand).status_code == 200  # another client is not held back
    assert first.get("/auth/nonce").status_code == 200  # asking for a nonce costs nothing


def test_a_message_for_another_uri_is_401_whatever_host_the_request_names(
    anonymous: TestClient, world: DemoWorld
) -> None:
    brand = world.account("brand")
    assert nonce(anonymous)["uri"] == "http://testserver"  # API_PUBLIC_URL unset: the scheme and API_AUTH_DOMAIN
    refused(login(anonymous, brand, uri="https://evil.example/login"), "URI")
    refused(login(anonymous, brand, uri="http://testserver.evil.example"), "URI")
    assert login(anonymous, brand, uri="http://testserver/login").status_code == 200  # a page of this service
    signed_elsewhere = siwe_message(brand.address, {**nonce(anonymous), "uri": "http://evil.example"})
    forged_host = anonymous.post("/auth/login", json=sign_in(brand, signed_elsewhere), headers={"Host": "evil.example"})
    refused(forged_host, "URI")  # the Host header is the caller's word, not the service's address


def test_with_a_public_url_the_message_names_it(demo_ledger: Ledger, world: DemoWorld) -> None:
    settings = ApiSettings(auth_secret=TEST_SECRET, auth_domain="testserver", public_url="https://ledger.example/api")
    with TestClient(create_app(settings, demo_ledger)) as behind_a_proxy:
        brand = world.account("brand")
        assert nonce(behind_a_proxy)["uri"] == "https://ledger.example/api"
        refused(login(behind_a_proxy, brand, uri="http://testserver"), "URI")
        assert login(behind_a_proxy, brand).status_code == 200


def test_a_member_whose_roles_were_all_revoked_loses_access_at_its_next_request(
    anonymous: TestClient, demo_ledger: Ledger, world: DemoWorld
) -> None:
    garment = world.account("garment")
    headers = {"Authorization": f"Bearer {login(anonymous, garment).json()['token']}"}
    assert anonymous.get(ME, headers=headers).status_code == 200
    roles = demo_ledger.store.participant(garment.address).roles  # type: ignore[union-attr]
    assert roles
    for role in roles:
        demo_ledger.revoke_role(garment.address, role)
    refused(anonymous.get(ME, headers=headers), "has no role")
    refused(anonymous.get("/participants/me/batches", headers=headers), "has no role")
    refused(login(anonymous, garment), "has no role")
    brand = {"Authorization": f"Bearer {login(anonymous, world.account('brand')).json()['token']}"}
    listed = [entry["address"] for entry in anonymous.get("/participants", headers=brand).json()]
    assert garment.address not in listed and world.account("weaving").address in listed  # no member in the directory
    demo_ledger.grant_role(garment.address, next(iter(roles)))  # a role again: a member again
    assert anonymous.get(ME, headers=headers).status_code == 200
