"""What test modules import: the project's paths and a build through the CLI (fixtures are in conftest.py)."""

import os
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"
DATA = ROOT / "tests" / "data"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def build(recipe: Path, out: Path, *args: str) -> Path:
    """Run `corpusctl build` through the CLI and fail the test with its output if it fails."""
    from corpusctl.cli import app

    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output
    return out
