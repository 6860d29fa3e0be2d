import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def root() -> Path:
    return ROOT


def build(recipe: Path, out: Path, *args: str) -> Path:
    """Run `corpusctl build` through the CLI and fail the test with its output if it fails."""
    from corpusctl.cli import app

    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory) -> Path:
    """The bundled sample, built once per test session (2 workers)."""
    return build(ROOT / "recipes" / "sample.yaml", tmp_path_factory.mktemp("sample") / "out", "--workers", "2")
