"""The committed artifacts are exactly what the pinned compiler makes of contracts/."""

from ledger.compile import ARTIFACTS_DIR, DEPLOYABLE, compile_contracts


def test_committed_artifacts_reproduce_byte_for_byte_from_sources() -> None:
    fresh = compile_contracts()
    assert sorted(fresh) == sorted(DEPLOYABLE)
    for name, artifact in fresh.items():
        committed = (ARTIFACTS_DIR / f"{name}.json").read_text()
        assert artifact.to_json() == committed, f"{name}.json is stale: run scripts/compile"


def test_compiler_is_the_pinned_npm_solc() -> None:
    artifact = next(iter(compile_contracts().values()))
    assert artifact.compiler.startswith("0.8.37+commit.")
