"""The contract's role ids (bytes32) and the roles they stand for: the one home of that mapping. Admin writes encode
roles with it; the index and refusals (`AccessControlUnauthorizedAccount(account, neededRole)`) read ids back with
it, so a person reads "FACTORY", never `0x3b4c…`."""

from __future__ import annotations

from eth_utils import keccak

from ledger.domain.types import Role

#: `keccak256("FACTORY")` etc., as `ParticipantRegistry` declares them; the admin is OpenZeppelin's
#: `DEFAULT_ADMIN_ROLE` (zero).
ROLE_IDS: dict[Role, bytes] = {
    Role.FACTORY: keccak(text="FACTORY"),
    Role.AUDITOR: keccak(text="AUDITOR"),
    Role.BUYER: keccak(text="BUYER"),
    Role.ADMIN: b"\0" * 32,
}
_BY_ID: dict[bytes, Role] = {v: k for k, v in ROLE_IDS.items()}


def role_of(role_id: bytes | str) -> Role | None:
    """The role a bytes32 id (raw or 0x-hex) stands for; None for an id the ledger does not define."""
    if isinstance(role_id, str):
        try:
            role_id = bytes.fromhex(role_id.removeprefix("0x").removeprefix("0X"))
        except ValueError:
            return None
    return _BY_ID.get(bytes(role_id))


def role_label(role_id: bytes | str) -> str:
    """How a role id reads to a person: FACTORY, AUDITOR, BUYER or DEFAULT_ADMIN (the contract's name for the
    consortium admin's role); an id the ledger does not define, as 0x-hex."""
    role = role_of(role_id)
    if role is Role.ADMIN:
        return "DEFAULT_ADMIN"
    if role is not None:
        return role.value
    return role_id if isinstance(role_id, str) else "0x" + bytes(role_id).hex()
