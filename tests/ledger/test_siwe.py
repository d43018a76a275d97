"""EIP-4361 messages (`ledger.siwe`): the EIP's own examples parse to their fields and render back byte for byte; every
line out of the grammar is refused naming what is wrong; the message is bounded; a malleated signature is refused;
and nothing the CLI or the service imports pulls in the `siwe` package or its grammar engine."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import siwe
from ledger.chain.compile import PROJECT_ROOT
from ledger.chain.signing import SECP256K1_N
from ledger.domain.errors import ValidationError

# ERC-4361's examples (implicit scheme; implicit scheme and explicit port; explicit scheme), verbatim.
EXAMPLE = """example.com wants you to sign in with your Ethereum account:
0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I accept the ExampleOrg Terms of Service: https://example.com/tos

URI: https://example.com/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2021-09-30T16:25:24Z
Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json"""
WITH_PORT = EXAMPLE.replace("example.com wants", "example.com:3388 wants", 1)
WITH_SCHEME = "https://" + EXAMPLE


@pytest.mark.parametrize(
    ("text", "scheme", "domain"),
    [(EXAMPLE, None, "example.com"), (WITH_PORT, None, "example.com:3388"), (WITH_SCHEME, "https", "example.com")],
)
def test_the_eips_examples_parse_to_their_fields_and_render_back(text: str, scheme: str | None, domain: str) -> None:
    message = siwe.parse(text)
    assert (message.scheme, message.domain) == (scheme, domain)
    assert message.address == "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert message.statement == "I accept the ExampleOrg Terms of Service: https://example.com/tos"
    assert (message.uri, message.version, message.chain_id, message.nonce) == (
        "https://example.com/login",
        "1",
        1,
        "32891756",
    )
    assert message.issued_at == datetime(2021, 9, 30, 16, 25, 24, tzinfo=UTC)
    assert message.expiration_time is None and message.not_before is None and message.request_id is None
    assert message.resources == (
        "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
        "https://example.com/my-web2-claim.json",
    )
    assert message.text == text


def test_every_optional_field_and_a_message_without_statement_follow_the_abnf() -> None:
    text = (
        "example.com wants you to sign in with your Ethereum account:\n"
        "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n\n\n"  # no statement: address LF LF LF
        "URI: https://example.com/login\nVersion: 1\nChain ID: 31337\nNonce: abcdef0123\n"
        "Issued At: 2021-09-30T16:25:24.5+02:00\nExpiration Time: 2021-09-30T16:30:24Z\n"
        "Not Before: 2021-09-30T16:20:24.123456789Z\nRequest ID: req-1:@x"
    )
    message = siwe.parse(text)
    assert message.statement is None and message.chain_id == 31337
    assert message.issued_at == datetime(2021, 9, 30, 14, 25, 24, 500_000, tzinfo=UTC)
    assert message.expiration_time == datetime(2021, 9, 30, 16, 30, 24, tzinfo=UTC)
    assert message.not_before == datetime(2021, 9, 30, 16, 20, 24, 123_456, tzinfo=UTC)
    assert message.request_id == "req-1:@x" and message.resources == ()


def test_build_makes_what_parse_reads() -> None:
    key = Account.create()
    issued = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = siwe.build(
        domain="127.0.0.1:8000",
        address=key.address.lower(),
        uri="http://127.0.0.1:8000",
        chain_id=31337,
        nonce="0123456789abcdef",
        issued_at=issued,
        statement="Sign in.",
        expiration_time=issued.replace(minute=9),
    )
    message = siwe.parse(text)
    assert message.address == key.address  # checksummed
    assert (message.statement, message.issued_at, message.expiration_time) == (
        "Sign in.",
        issued,
        issued.replace(minute=9),
    )
    assert siwe.recover(text, sign(key, text)) == key.address


def mutate(old: str, new: str) -> str:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "too short"),
        ("hello, let me in", "too short"),
        (mutate("wants you to sign in", "wants you to log in"), "first line"),
        (mutate("example.com wants", "exa mple.com wants"), "domain"),
        (mutate("example.com wants", "1http://example.com wants"), "scheme"),
        (mutate("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc"), "address"),
        (mutate("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xc02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"), "EIP-55"),
        (mutate("Cc2\n\n", "Cc2\nx\n"), "empty line"),
        (mutate("Service: https", 'Service: "https'), "statement"),
        (mutate("tos\n\nURI", "tos\nURI"), "empty line"),
        (mutate("URI: https://example.com/login", "URI: example.com login"), "URI"),
        (mutate("Version: 1", "Version: 2"), "Version"),
        (mutate("Chain ID: 1", "Chain ID: one"), "Chain ID"),
        (mutate("Nonce: 32891756", "Nonce: 3289"), "Nonce"),
        (mutate("Nonce: 32891756\n", ""), "Nonce"),
        (mutate("Issued At: 2021-09-30T16:25:24Z", "Issued At: yesterday"), "Issued At"),
        (mutate("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-02-30T16:25:24Z"), "valid date"),
        (mutate("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24Z\nColour: blue"), "unexpected"),
        (mutate("Resources:\n- ipfs", "Resources:\nipfs"), "resource"),
        (EXAMPLE + "\n", "resource"),
        (mutate("Chain ID: 1", "Chain ID: 1\r"), "printable ASCII"),
        (mutate("ExampleOrg", "ExampleÖrg"), "printable ASCII"),
    ],
)
def test_each_line_out_of_the_grammar_is_refused_naming_it(text: str, words: str) -> None:
    with pytest.raises(ValidationError, match="not a Sign-In with Ethereum message") as refused:
        siwe.parse(text)
    assert words in str(refused.value)


def test_a_message_longer_than_the_bound_is_refused_before_it_is_read() -> None:
    padded = mutate("Resources:\n", "Resources:\n" + "- https://example.com/x\n" * 100)
    with pytest.raises(ValidationError, match=f"longer than {siwe.MAX_MESSAGE_CHARS} characters"):
        siwe.parse(padded)
    with pytest.raises(ValidationError, match="longer than"):
        siwe.parse("a" * 1_000_000)


def sign(key: LocalAccount, text: str) -> str:
    return "0x" + bytes(key.sign_message(encode_defunct(text=text)).signature).hex()


def test_a_malleated_or_malformed_signature_is_refused() -> None:
    key = Account.create()
    text = EXAMPLE
    good = sign(key, text)
    raw = bytes.fromhex(good[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    malleated = "0x" + (r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])).hex()
    assert Account.recover_message(encode_defunct(text=text), signature=bytes.fromhex(malleated[2:])) == key.address
    with pytest.raises(ValidationError, match="canonical"):
        siwe.recover(text, malleated)
    with pytest.raises(ValidationError, match="malformed"):
        siwe.recover(text, "0x" + "00" * 65)


def test_nothing_the_cli_or_the_service_imports_pulls_in_the_siwe_package() -> None:
    code = (
        "import sys, api.app, api.cli, api.auth, ledger.apiclient.signer, ledger.cli.login; "
        "print(sorted(m for m in ('siwe', 'abnf', 'signinwithethereum') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


ALPHABET = "ab:/@%[]1.-\n " + "URI: Version Chain ID Nonce Issued At Resources"


@given(
    st.text(alphabet=ALPHABET, max_size=400) | st.text(max_size=200),
    st.integers(min_value=0, max_value=len(EXAMPLE)),
    st.integers(min_value=0, max_value=40),
)
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_message_or_a_validation_error(noise: str, at: int, cut: int) -> None:
    """Whatever a caller sends, parsing answers fields or `ValidationError`: never another exception."""
    for text in (noise, EXAMPLE[:at] + noise + EXAMPLE[at + cut :]):
        with contextlib.suppress(ValidationError):
            siwe.parse(text)


@given(
    st.from_regex(r"[a-z0-9]{1,20}(\.[a-z]{2,5})?(:[0-9]{1,5})?", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9 .,:/?#@!$&'()*+;=~_-]{0,80}", fullmatch=True) | st.none(),
    st.from_regex(r"[A-Za-z0-9]{8,32}", fullmatch=True),
    st.integers(min_value=1, max_value=2**64),
)
@settings(max_examples=100, deadline=None)
def test_what_build_makes_parse_reads_back(domain: str, statement: str | None, nonce: str, chain_id: int) -> None:
    issued = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = siwe.build(
        domain=domain,
        address="0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        uri=f"https://{domain}/x",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued,
        statement=statement,
    )
    message = siwe.parse(text)
    assert (message.domain, message.statement, message.nonce, message.chain_id) == (domain, statement, nonce, chain_id)
    assert message.text == text
