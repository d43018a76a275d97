"""A refusal for a missing role names the role (FACTORY, AUDITOR, BUYER, DEFAULT_ADMIN), not its bytes32 hash; the
decoded arguments keep the hash as the contract gave it."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError
from ledger.domain.roles import ROLE_IDS, role_label
from ledger.domain.types import Role
from tests.ledger.builders import batch, direct, register


def test_a_factory_refusal_names_the_factory_role(embedded_ledger: Ledger) -> None:
    buyer = register(embedded_ledger, "buyer", site=3, roles=())
    with pytest.raises(ContractRevertError) as caught:
        embedded_ledger.record_batch(buyer, batch("B-1", 3))
    text = str(caught.value)
    assert caught.value.error_name == "AccessControlUnauthorizedAccount"
    assert "lacks the FACTORY role" in text and buyer.address in text
    assert keccak(text="FACTORY").hex() not in text
    assert caught.value.args_by_name["needed_role"] == "0x" + keccak(text="FACTORY").hex()


def test_an_admin_refusal_names_the_default_admin_role(embedded_ledger: Ledger) -> None:
    factory = register(embedded_ledger, "factory", site=4)
    with pytest.raises(ContractRevertError) as caught:
        direct(embedded_ledger, factory, "grantRole", keccak(text="AUDITOR"), factory.address)
    assert "lacks the DEFAULT_ADMIN role" in str(caught.value)
    assert "0x" + "00" * 32 not in str(caught.value)


@pytest.mark.parametrize(
    ("role", "label"),
    [(Role.FACTORY, "FACTORY"), (Role.AUDITOR, "AUDITOR"), (Role.BUYER, "BUYER"), (Role.ADMIN, "DEFAULT_ADMIN")],
)
def test_every_role_id_reads_back_as_its_name(role: Role, label: str) -> None:
    assert role_label(ROLE_IDS[role]) == role_label("0x" + ROLE_IDS[role].hex()) == label


def test_an_unknown_role_id_is_shown_as_it_is() -> None:
    assert role_label(keccak(text="MINTER")) == "0x" + keccak(text="MINTER").hex()
