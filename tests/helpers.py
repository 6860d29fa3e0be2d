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


def disk_blobs(path: Path) -> list[bytes]:
    """What a search for a string in a file on disk must look at: its bytes, and the same data decompressed
    (a .spacy DocBin is zlib; checkpoint .arrow streams are compressed Arrow: their stored columns,
    written out again without compression)."""
    import zlib

    import pyarrow as pa

    data = path.read_bytes()
    if path.suffix == ".spacy":
        return [data, zlib.decompress(data)]
    if path.suffix == ".arrow" and data[:4] == b"\xff\xff\xff\xff":  # an Arrow stream (not a datasets file)
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return [data, sink.getvalue().to_pybytes()]
    return [data]
