"""The project installs as a package: the wheel carries every file of the packages, data files included, and the
installed package works from outside the project folder, finding the npm tools through `LEDGER_NODE_TOOLS`.

The wheel is built offline (`pip wheel --no-deps --no-build-isolation --no-index`) from a copy of the sources in a
temporary folder, so no `build/` folder is left in the project and nothing stale from an earlier build gets in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "api")
#: What a build leaves out: Python's caches (and tools' caches, should one land inside a package).
CACHES = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
CACHE_SUFFIXES = {".pyc", ".pyo"}


def _kept(relative: Path) -> bool:
    return not CACHES.intersection(relative.parts) and relative.suffix not in CACHE_SUFFIXES


def source_files() -> set[str]:
    """Every file of the packages in the source tree, caches left out: what the wheel must carry."""
    return {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and _kept(path.relative_to(ROOT))
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.fail(
            f"setuptools {setuptools.__version__} cannot build this project (pyproject's `license` needs 77): "
            "run scripts/setup, or `pip install -e '.[dev]'`"
        )
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            source / package,
            ignore=shutil.ignore_patterns(*CACHES, *(f"*{suffix}" for suffix in CACHE_SUFFIXES)),
        )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=source,
    )
    [built] = out.glob("provenance_ledger-*.whl")
    return built


def test_the_wheel_carries_every_file_of_the_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        carried = {name for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")}
    expected = source_files()
    data = {name for name in expected if not name.endswith(".py")}
    assert data, "the packages have data files (artifacts, the index schema, demo files)"
    assert not expected - carried, (
        f"missing from the wheel: {sorted(expected - carried)} (a data file's pattern "
        "belongs in pyproject's [tool.setuptools.package-data]; a folder of modules "
        "needs an __init__.py)"
    )
    assert not carried - expected, f"in the wheel but not in the sources: {sorted(carried - expected)}"


def unpacked(wheel: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """The wheel unpacked as a site folder, a working folder outside the project, and an environment in which the
    project's Python imports the package from that site folder only (no PYTHONPATH of ours, no LEDGER_NODE_TOOLS,
    the default PATH)."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "LEDGER_NODE_TOOLS")}
    environment.update(PYTHONPATH=str(site), PATH=os.defpath, LEDGER_HOME=str(tmp_path / "home"))
    return site, elsewhere, environment


def console_script(site: Path, name: str) -> tuple[str, str]:
    """The module and attribute of one of the wheel's console scripts, from its entry points."""
    [entry_points] = site.glob("*.dist-info/entry_points.txt")
    for line in entry_points.read_text().splitlines():
        key, _, target = line.partition("=")
        if key.strip() == name:
            module, _, attribute = target.strip().partition(":")
            return module, attribute
    raise AssertionError(f"the wheel has no console script {name!r}")


def test_the_installed_ledger_command_runs_the_demo_from_outside_the_project(wheel: Path, tmp_path: Path) -> None:
    site, elsewhere, environment = unpacked(wheel, tmp_path)
    module, attribute = console_script(site, "ledger")
    code = (
        "import importlib, sys, ledger; print(ledger.__file__, file=sys.stderr); "
        f"sys.argv = ['ledger', 'demo']; sys.exit(getattr(importlib.import_module({module!r}), {attribute!r})())"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, cwd=elsewhere, env=environment
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert Path(done.stderr.splitlines()[0]).is_relative_to(site), "the package came from the wheel"
    assert "Recorded the demo on the embedded chain" in done.stdout
    assert "HG-DG-25-B-1202" in done.stdout


ANVIL_LOOKUP = """
from ledger.domain.errors import ToolchainError
from ledger.chain.node import anvil_binary
try:
    print(anvil_binary())
except ToolchainError as error:
    print("error:", error)
"""


def test_the_installed_package_finds_anvil_through_ledger_node_tools_and_says_so_when_absent(
    wheel: Path, tmp_path: Path
) -> None:
    _, elsewhere, environment = unpacked(wheel, tmp_path)

    def anvil(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-P", "-c", ANVIL_LOOKUP],
            capture_output=True,
            text=True,
            cwd=elsewhere,
            env={**environment, **env},
            check=True,
        )
        return done.stdout.strip()

    node_modules = ROOT / "node_modules"
    if not (node_modules / ".bin" / "anvil").exists():
        pytest.fail("the project's node_modules has no anvil: run scripts/setup (npm ci)")
    assert Path(anvil(LEDGER_NODE_TOOLS=str(node_modules))).is_relative_to(node_modules)
    if shutil.which("anvil", path=os.defpath) is None:
        absent = anvil()
        assert absent.startswith("error: anvil not found in ")
        assert "LEDGER_NODE_TOOLS" in absent and "npm ci" in absent
        assert "no-such-folder" in anvil(LEDGER_NODE_TOOLS=str(tmp_path / "no-such-folder"))
