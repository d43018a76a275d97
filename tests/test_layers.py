"""The layers point one way: `api` uses only the public ledger API (never web3 and friends); `ledger` never imports
`api` or FastAPI."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("ledger", ("api", "fastapi", "starlette", "uvicorn")),
    ("api", ("web3", "eth_abi", "eth_utils", "hexbytes", "eth_account", "eth_tester")),
])
def test_a_layer_never_imports_what_it_must_not(package: str, forbidden: tuple[str, ...]) -> None:
    offending = [(path, module) for path, module in imported_modules(package)
                 if module.split(".")[0] in forbidden]
    assert offending == []


def test_the_public_ledger_api_resolves_every_name_it_lists() -> None:
    import ledger

    for name in ledger.__all__:
        assert getattr(ledger, name) is not None
