"""Sign-In with Ethereum (EIP-4361) messages: the one home of their format, built by `ledger login` and
`ledger.apiclient.signer.ApiSigner.login`, parsed and checked by the API's sign-in.

Our own module rather than the `siwe` package: that package pins `web3<8` and `eth-account<0.14` (so it cannot be
installed beside ours), parses with a general ABNF grammar engine whose cost grows faster than the message (seconds of
CPU for a few KB of junk), and costs seconds of import time. An EIP-4361 message is a fixed sequence of lines, so it is
parsed here line by line, each line with an anchored pattern free of nested repetition: linear in the message, which
is bounded anyway (`MAX_MESSAGE_CHARS`).

The grammar (EIP-4361's ABNF, in lines): `[scheme "://"] domain " wants you to sign in with your Ethereum account:"`,
the address, an empty line, an optional statement followed by an empty line, an empty line, then `URI: `,
`Version: 1`, `Chain ID: `, `Nonce: `, `Issued At: `, optionally `Expiration Time: `, `Not Before: `, `Request ID: `
in that order, optionally `Resources:` and one `- <uri>` line per resource; no trailing line break. The address must
be in its EIP-55 checksummed form (the form every wallet shows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.domain.errors import ValidationError
from ledger.domain.types import Address

#: The longest message accepted, in characters: EIP-4361 messages are a few hundred; ours about 400.
MAX_MESSAGE_CHARS = 2_000
HEADER = " wants you to sign in with your Ethereum account:"

# RFC 3986 character classes, as the ABNF uses them (no nested repetition: every pattern matches in linear time).
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_USERINFO = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*")
_REG_NAME = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})+")
_IP_LITERAL = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_PORT = re.compile(r"(?::[0-9]*)?")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_STATEMENT = re.compile(rf"[{_UNRESERVED}{_SUB_DELIMS}:/?#\[\]@ ]*")
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:(?:[{_UNRESERVED}{_SUB_DELIMS}:/?#\[\]@]|{_PCT})*")
_CHAIN_ID = re.compile(r"[0-9]{1,78}")
_NONCE = re.compile(r"[A-Za-z0-9]{8,}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+\-][0-9]{2}:[0-9]{2})"
)
_REQUEST_ID = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})*")
_PRINTABLE = re.compile(r"[\x20-\x7e\n]*")


@dataclass(frozen=True)
class SiweMessage:
    """The fields of an EIP-4361 message; `text` is the message itself, as signed."""

    domain: str
    address: Address
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    statement: str | None = None
    scheme: str | None = None
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = ()
    version: str = "1"

    @property
    def text(self) -> str:
        lines = [f"{self.scheme + '://' if self.scheme else ''}{self.domain}{HEADER}", self.address, ""]
        if self.statement is not None:
            lines.append(self.statement)
        lines += [
            "",
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {_format_time(self.issued_at)}",
        ]
        if self.expiration_time is not None:
            lines.append(f"Expiration Time: {_format_time(self.expiration_time)}")
        if self.not_before is not None:
            lines.append(f"Not Before: {_format_time(self.not_before)}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines += ["Resources:", *(f"- {r}" for r in self.resources)]
        return "\n".join(lines)


def build(
    *,
    domain: str,
    address: str,
    uri: str,
    chain_id: int,
    nonce: str,
    issued_at: datetime,
    expiration_time: datetime | None = None,
    statement: str | None = None,
) -> str:
    """A message as `parse` accepts it (checked by parsing it back, so a bad field fails here, at the signer)."""
    from ledger.chain.codec import checksum

    text = SiweMessage(
        domain=domain,
        address=checksum(address),
        uri=uri,
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued_at,
        statement=statement,
        expiration_time=expiration_time,
    ).text
    parse(text)
    return text


def parse(text: str) -> SiweMessage:
    """The fields of an EIP-4361 message, or `ValidationError` saying which line is wrong. Linear in the message,
    which may be at most `MAX_MESSAGE_CHARS` long (checked first)."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise _bad(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
    if not _PRINTABLE.fullmatch(text):
        raise _bad("the message may hold printable ASCII characters and line feeds only")
    lines = text.split("\n")
    if len(lines) < 9:
        raise _bad("the message is too short for EIP-4361")
    first = lines[0]
    if not first.endswith(HEADER):
        raise _bad(f"the first line must end with {HEADER.strip()!r}")
    origin = first[: -len(HEADER)]
    scheme, _, domain = origin.rpartition("://") if "://" in origin else (None, "", origin)
    if scheme is not None and not _SCHEME.fullmatch(scheme):
        raise _bad("the scheme before the domain is malformed")
    if not _is_authority(domain):
        raise _bad("the domain is not an RFC 3986 authority")
    address = lines[1]
    if not _ADDRESS.fullmatch(address):
        raise _bad("the second line must be the 0x-prefixed address")
    from ledger.chain.codec import checksum

    if checksum(address) != address:
        raise _bad("the address must be in its EIP-55 checksummed form")
    if lines[2] != "":
        raise _bad("an empty line must follow the address")
    statement: str | None = None
    at = 4
    if lines[4] == "":  # a statement, then the empty line before the fields
        statement = lines[3]
        if not _STATEMENT.fullmatch(statement):
            raise _bad("the statement holds a character EIP-4361 does not allow")
        at = 5
    elif lines[3] != "":
        raise _bad("an empty line must come before the fields (after the statement, if any)")
    fields = lines[at:]
    required = [
        ("URI", _URI),
        ("Version", re.compile("1")),
        ("Chain ID", _CHAIN_ID),
        ("Nonce", _NONCE),
        ("Issued At", _DATE_TIME),
    ]
    if len(fields) < len(required):
        raise _bad("the message lacks a required field (URI, Version, Chain ID, Nonce, Issued At)")
    values = [_field(line, name, pattern) for line, (name, pattern) in zip(fields, required, strict=False)]
    optional: dict[str, str] = {}
    rest = fields[len(required) :]
    for name, pattern in (("Expiration Time", _DATE_TIME), ("Not Before", _DATE_TIME), ("Request ID", _REQUEST_ID)):
        if rest and rest[0].startswith(f"{name}: "):
            optional[name] = _field(rest[0], name, pattern)
            rest = rest[1:]
    resources: list[str] = []
    if rest:
        if rest[0] != "Resources:":
            raise _bad(f"unexpected line {rest[0][:40]!r} (fields come in EIP-4361's order)")
        for line in rest[1:]:
            if not line.startswith("- ") or not _URI.fullmatch(line[2:]):
                raise _bad("each resource is a line '- <uri>'")
            resources.append(line[2:])
    return SiweMessage(
        domain=domain,
        address=Address(address),
        statement=statement,
        scheme=scheme,
        uri=values[0],
        version=values[1],
        chain_id=int(values[2]),
        nonce=values[3],
        issued_at=_time(values[4]),
        expiration_time=_time(optional["Expiration Time"]) if "Expiration Time" in optional else None,
        not_before=_time(optional["Not Before"]) if "Not Before" in optional else None,
        request_id=optional.get("Request ID"),
        resources=tuple(resources),
    )


def recover(text: str, signature: str) -> Address:
    """The address whose key signed `text` (EIP-191 `personal_sign`), for a 65-byte signature in canonical form
    (low `s`, `v` 27 or 28: a malleated copy is refused); else `ValidationError`."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    from ledger.chain.codec import checksum
    from ledger.chain.signing import check_canonical
    from ledger.domain.errors import SignatureInvalidError

    try:
        check_canonical(signature)
        signer = Account.recover_message(encode_defunct(text=text), signature=bytes.fromhex(signature[2:]))
    except (SignatureInvalidError, ValueError) as exc:
        raise ValidationError(f"the signature is malformed: {exc}", field="signature") from None
    return checksum(signer)


def _is_authority(value: str) -> bool:
    """RFC 3986 `[ userinfo "@" ] host [ ":" port ]`, split at its delimiters first: one pattern for the whole would
    backtrack between userinfo and host (quadratic in the line)."""
    userinfo, at, hostport = value.partition("@")
    if not at:
        userinfo, hostport = "", value
    if not _USERINFO.fullmatch(userinfo):
        return False
    if hostport.startswith("["):
        host, bracket, port = hostport.partition("]")
        host += bracket
        return bool(_IP_LITERAL.fullmatch(host)) and bool(_PORT.fullmatch(port))
    host, colon, port = hostport.partition(":")
    return bool(_REG_NAME.fullmatch(host)) and bool(_PORT.fullmatch(colon + port))


def _field(line: str, name: str, pattern: re.Pattern[str]) -> str:
    prefix = f"{name}: "
    if not line.startswith(prefix):
        raise _bad(f"expected the line {prefix.strip()!r}, found {line[:40]!r}")
    value = line[len(prefix) :]
    if not pattern.fullmatch(value):
        raise _bad(f"the {name} is malformed")
    return value


def _time(value: str) -> datetime:
    """An RFC 3339 date-time (one `_DATE_TIME` matched), timezone-aware, in UTC."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise _bad(f"{value[:40]!r} is not an RFC 3339 date and time")
    fraction, zone = match.group(1) or "", match.group(2)
    text = value[:10] + "T" + value[11:19] + fraction[:7].ljust(7, "0")[: 7 if fraction else 0]
    try:
        parsed = datetime.fromisoformat(text + ("+00:00" if zone in ("Z", "z") else zone))
    except ValueError:
        raise _bad(f"{value[:40]!r} is not a valid date and time") from None
    return parsed.astimezone(UTC)


def _format_time(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bad(message: str) -> ValidationError:
    return ValidationError(f"not a Sign-In with Ethereum message: {message}", field="message")
