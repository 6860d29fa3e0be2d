import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def root() -> Path:
    return ROOT
