"""Admin writes (the consortium operator): register a participant, add a site, grant or revoke a role, suspend or
reinstate. Each function validates its input and returns the ledger calldata; `CHECKS` re-checks calldata built
elsewhere by the same rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ledger.chain.calls import encode_call
from ledger.chain.codec import ascii_text, from_hex, hex32, text_to_bytes
from ledger.domain import rules
from ledger.domain import validation as v
from ledger.domain.errors import ValidationError
from ledger.domain.roles import ROLE_IDS
from ledger.domain.types import Gln, ParticipantProfile, Role, Site

#: The roles an admin grants and revokes (the admin role itself is not granted through these writes).
ROLE_HASHES: dict[Role, bytes] = {r: h for r, h in ROLE_IDS.items() if r is not Role.ADMIN}
ROLES_BY_HASH: dict[str, Role] = {hex32(h): r for r, h in ROLE_HASHES.items()}
NO_HASH = b"\0" * 32


def _role(role: Role | str) -> bytes:
    try:
        return ROLE_HASHES[Role(role)]
    except (ValueError, KeyError):
        raise ValidationError(f"role {v.shown(role)} is not one of {', '.join(ROLE_HASHES)}", field="roles") from None


def _site(site: Site, country: str) -> tuple[int, bytes]:
    subdivision = v.subdivision(site.subdivision)
    if not subdivision.startswith(country + "-"):
        raise ValidationError(f"site {site.gln} subdivision {subdivision} is not in {country}", field="subdivision")
    return int(v.gln(site.gln)), text_to_bytes(subdivision, 6)


def register_participant(account: str, profile: ParticipantProfile, roles: Sequence[Role | str] = ()) -> str:
    address = v.address(account)
    if int(address, 16) == 0:
        raise ValidationError("the zero address cannot be a participant", field="account")
    country = v.country(profile.country)
    v.text(profile.legal_name, "legal_name", max_bytes=rules.MAX_NAME_BYTES)
    sites = [_site(s, country) for s in profile.sites]
    organisation = (
        from_hex(v.hash32(profile.organisation_id, "organisation_id")) if profile.organisation_id else NO_HASH
    )
    profile_hash = from_hex(v.hash32(profile.profile_hash, "profile_hash")) if profile.profile_hash else NO_HASH
    party = int(v.gln(profile.party_gln)) if profile.party_gln else 0
    return encode_call(
        "registerParticipant",
        address,
        (profile.legal_name, country.encode(), organisation, profile_hash, party, sites),
        [_role(r) for r in roles],
    )


def add_site(account: str, site: Site, country: str) -> str:
    return encode_call("addSite", v.address(account), _site(site, v.country(country)))


def grant_role(account: str, role: Role | str) -> str:
    return encode_call("grantRole", _role(role), v.address(account))


def revoke_role(account: str, role: Role | str) -> str:
    return encode_call("revokeRole", _role(role), v.address(account))


def set_suspended(account: str, suspended: bool, reason: str) -> str:
    """A suspension needs a reason (it stops a participant's writes and sign-ins); a reinstatement may give one."""
    v.text(reason, "reason", max_bytes=rules.MAX_REASON_BYTES, required=bool(suspended))
    return encode_call("setSuspended", v.address(account), bool(suspended), reason)


# -- the same rules for calldata built elsewhere ----------------------------------------------------------------


def _check_register(args: Mapping[str, Any], sender: str) -> None:
    p = args["profile"]
    country = ascii_text(p["country"], "country")
    sites = tuple(Site(Gln(str(s["gln"]).zfill(13)), ascii_text(s["subdivision"], "subdivision")) for s in p["sites"])
    roles = [ROLES_BY_HASH.get(str(r).lower(), str(r)) for r in args["roles"]]
    organisation = p["organisationId"] if int(p["organisationId"], 16) else None
    profile_hash = p["profileHash"] if int(p["profileHash"], 16) else None
    party = Gln(str(p["partyGln"]).zfill(13)) if p["partyGln"] else None
    register_participant(
        args["account"], ParticipantProfile(p["legalName"], country, sites, organisation, profile_hash, party), roles
    )


def _check_role(args: Mapping[str, Any], sender: str) -> None:
    _role(ROLES_BY_HASH.get(str(args["role"]).lower(), str(args["role"])))
    v.address(args["account"])


def _check_suspend(args: Mapping[str, Any], sender: str) -> None:
    set_suspended(args["account"], args["suspended"], args["reason"])


CHECKS: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    "registerParticipant": _check_register,
    "grantRole": _check_role,
    "revokeRole": _check_role,
    "setSuspended": _check_suspend,
}
