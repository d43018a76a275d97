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


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("ledger", ("api", "fastapi", "starlette", "uvicorn")),
        ("api", ("web3", "eth_abi", "eth_utils", "hexbytes", "eth_account", "eth_tester")),
    ],
)
def test_a_layer_never_imports_what_it_must_not(package: str, forbidden: tuple[str, ...]) -> None:
    offending = [(path, module) for path, module in imported_modules(package) if module.split(".")[0] in forbidden]
    assert offending == []


def test_the_public_ledger_api_resolves_every_name_it_lists() -> None:
    import ledger

    for name in ledger.__all__:
        assert getattr(ledger, name) is not None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(path: Path, known: set[str]) -> set[str]:
    """The ledger modules `path` imports when it is imported: statements at module level (inside a module-level `if`
    or `try` too), not those in functions or under `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.update(
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                    for alias in node.names
                )
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                    visit(block)

    visit(ast.parse(path.read_text()).body)
    return found & known


def test_no_import_circle_among_the_ledger_modules() -> None:
    paths = {module_name(path): path for path in (ROOT / "ledger").rglob("*.py")}
    known = set(paths)
    graph = {name: module_level_imports(path, known) - {name} for name, path in paths.items()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(name: str, trail: list[str]) -> None:
        state[name] = 1
        for imported in sorted(graph[name]):
            if state.get(imported) == 1:
                circles.append([*trail[trail.index(imported) :], imported])
            elif imported not in state:
                walk(imported, [*trail, imported])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert circles == []
    assert graph["ledger.client"], "the walk sees the client's imports"


def test_the_api_imports_the_ledger_facade_only() -> None:
    """`api` names what it uses from `ledger` itself (`from ledger import Ledger`), never from a module inside it."""
    offending = [
        (path, module)
        for path, module in imported_modules("api")
        if module.split(".")[0] == "ledger" and module != "ledger"
    ]
    assert offending == []


def test_the_public_ledger_api_lists_each_lazy_name_once() -> None:
    import ledger

    assert sorted(ledger.__all__) == sorted(ledger._EXPORTS)
    assert len(set(ledger.__all__)) == len(ledger.__all__)


def test_a_module_over_400_lines_says_why() -> None:
    """400 lines is a smell (STYLE.md): a longer module of `ledger` or `api` says in its docstring why it is whole."""
    unexplained = []
    for package in ("ledger", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            if text.count("\n") > 400 and "Over 400 lines on purpose" not in (ast.get_docstring(ast.parse(text)) or ""):
                unexplained.append(str(path.relative_to(ROOT)))
    assert unexplained == []
