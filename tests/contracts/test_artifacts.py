"""The committed artifacts are exactly what the pinned compiler makes of contracts/."""

import pytest

from ledger.chain.compile import ARTIFACTS_DIR, DEPLOYABLE, PROJECT_ROOT, Artifact, compile_contracts


@pytest.fixture(scope="module")
def fresh() -> dict[str, Artifact]:
    return compile_contracts()


def test_committed_artifacts_reproduce_byte_for_byte_from_sources(fresh: dict[str, Artifact]) -> None:
    assert sorted(fresh) == sorted(DEPLOYABLE)
    for name, artifact in fresh.items():
        committed = (ARTIFACTS_DIR / f"{name}.json").read_text()
        assert artifact.to_json() == committed, f"{name}.json is stale: run scripts/compile"


def test_compiler_is_the_pinned_npm_solc(fresh: dict[str, Artifact]) -> None:
    import json

    pinned = json.loads((PROJECT_ROOT / "package.json").read_text())["dependencies"]["solc"]
    assert all(a.compiler.startswith(f"{pinned}+commit.") for a in fresh.values())
