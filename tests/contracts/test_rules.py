"""The bounds Python checks before sending are the contract's own: each constant of `ledger.domain.rules` is read back
from the deployed contract's public constant."""

import pytest

from ledger.client import Ledger
from ledger.domain.rules import CONTRACT_CONSTANTS


@pytest.mark.parametrize("name", sorted(CONTRACT_CONSTANTS))
def test_each_python_bound_equals_the_contracts(embedded_ledger: Ledger, name: str) -> None:
    assert getattr(embedded_ledger.contract.functions, name)().call() == CONTRACT_CONSTANTS[name]
