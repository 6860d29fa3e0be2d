"""Shared fixtures. Tests mirror the package: tests/stages, tests/exports, tests/cli, and tests/e2e for
whole builds (marked `slow`: `pytest -m "not slow"` runs the rest in a minute or two; CI runs everything)."""

from pathlib import Path

import pytest
from helpers import ROOT, build
from hypothesis import settings

# Tests assert behaviour, never wall-clock time: no per-example deadline (a loaded machine broke one).
settings.register_profile("corpusctl", deadline=None)
settings.load_profile("corpusctl")

E2E = ROOT / "tests" / "e2e"
BUILDS = {"sample_out", "bands_out", "warned"}
"""Fixtures that run a whole build."""


def pytest_collection_modifyitems(items):
    """Whole builds are `slow`: everything in tests/e2e and every test using a build fixture."""
    for item in items:
        if E2E in Path(str(item.fspath)).parents or BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory) -> Path:
    """The bundled sample, built once per test session (2 workers)."""
    return build(ROOT / "recipes" / "sample.yaml", tmp_path_factory.mktemp("sample") / "out", "--workers", "2")
