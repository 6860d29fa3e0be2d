"""Scale (issue #8): identical shards for any number of workers, resume after SIGKILL, Ray equals local."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, build
from typer.testing import CliRunner

from corpusctl.cli import app

SAMPLE = ROOT / "recipes" / "sample.yaml"


def shard_digests(out: Path) -> dict[str, str]:
    """sha256 of every Arrow shard of the pre-training and masked sets, by path."""
    shards = sorted(out.glob("pretrain/*.arrow")) + sorted(out.glob("masked/*/*.arrow"))
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in shards}


def assert_same_shards(out: Path, reference: Path) -> None:
    digests = shard_digests(out)
    assert any(p.startswith("pretrain/") for p in digests) and any(p.startswith("masked/") for p in digests)
    assert digests == shard_digests(reference)


def _tree_digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_output(recipe: Path, out: Path, *args: str) -> str:
    """Run `corpusctl build` (not quiet) and return what it printed."""
    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_one_and_two_workers_give_identical_shards(sample_out, tmp_path):
    out = build(SAMPLE, tmp_path / "out", "--workers", "1")  # sample_out is built with 2 workers
    assert_same_shards(out, sample_out)


def test_build_killed_midway_resumes_to_identical_shards(sample_out, tmp_path):
    out, work = tmp_path / "out", tmp_path / ".out.work"
    process = subprocess.Popen(
        [sys.executable, "-m", "corpusctl", "build", str(SAMPLE), "--output", str(out), "--quiet", "--workers", "2"],
        cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        while not (work / "segment" / "done.json").exists():
            assert process.poll() is None, "the build ended before it could be killed"
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the build and its worker processes, mid-way
        process.wait()
    assert not out.exists()
    finished = {d.name for d in work.iterdir() if (d / "done.json").is_file()}
    assert {"ingest", "clean", "dedup", "ontology", "format", "segment"} <= finished
    assert "mask-epoch-1" not in finished

    printed = build_output(SAMPLE, out, "--resume", "--workers", "1", "--keep-work")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["resumed_stages"]) == finished  # every finished stage, nothing half-written
    assert manifest["recomputed_stages"] == {}
    assert printed.count("reused checkpoint") == len(finished)
    assert_same_shards(out, sample_out)

    # A changed mask setting recomputes the masks only, and says so.
    recipe = tmp_path / "recipe.yaml"
    text = SAMPLE.read_text(encoding="utf-8").replace("../", f"{ROOT / 'recipes'}/../")  # same resolved paths
    assert "term_share: 0.7" in text
    recipe.write_text(text.replace("term_share: 0.7", "term_share: 0.4"), encoding="utf-8")
    printed = build_output(recipe, out, "--resume")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["recomputed_stages"] == {"mask-epoch-0": "its recipe settings changed",
                                             "mask-epoch-1": "its recipe settings changed"}
    assert {"ingest", "dedup", "ontology", "segment", "vocab", "tokenize"} <= set(manifest["resumed_stages"])
    assert not any(name.startswith("mask") for name in manifest["resumed_stages"])
    # the exports read nothing that changed: reused, and their files are the fresh build's
    assert {"ner-export", "classification-export"} <= set(manifest["resumed_stages"])
    for folder in ("ner", "classification"):
        assert _tree_digests(out / folder) == _tree_digests(sample_out / folder), folder
    assert "mask-epoch-0: checkpoint is stale (its recipe settings changed); recomputing" in " ".join(printed.split())
    changed = shard_digests(out)
    reference = shard_digests(sample_out)
    assert {p: d for p, d in changed.items() if p.startswith("pretrain/")} == \
        {p: d for p, d in reference.items() if p.startswith("pretrain/")}
    assert {p: d for p, d in changed.items() if p.startswith("masked/")} != \
        {p: d for p, d in reference.items() if p.startswith("masked/")}


def tiny_recipe(tmp_path: Path) -> Path:
    """Forty inspection reports and a private copy of the industrial lexicon."""
    lines = (ROOT / "sample_data" / "industrial" / "inspection_reports.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "docs.jsonl").write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    lexicon = tmp_path / "terms.txt"
    lexicon.write_text((ROOT / "lexicons" / "industrial_terms.txt").read_text(encoding="utf-8"), encoding="utf-8")
    recipe = {
        "name": "tiny", "output": "out",
        "sources": [{"name": "reports", "path": "docs.jsonl", "format": "jsonl", "text_field": "content",
                     "title_field": "title", "id_field": "id", "label_field": "category",
                     "domain": "industrial", "kind": "inspection_report"}],
        "mix": {"shares": {"inspection_report": 1.0}},
        "segment": {"backend": "rjieba", "lexicons": [str(lexicon)]},
        "vocab": {"size": 2000}, "mask": {"epochs": 1}, "report": {"enabled": False},
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    return path


def test_edited_lexicon_invalidates_its_stages_even_with_same_size_and_mtime(tmp_path):
    recipe = tiny_recipe(tmp_path)
    out = build(recipe, tmp_path / "out", "--keep-work")
    lexicon = tmp_path / "terms.txt"
    stat = lexicon.stat()
    lines = lexicon.read_text(encoding="utf-8").splitlines()
    words = [i for i, line in enumerate(lines) if line and not line.startswith("#")]
    first, last = words[0], words[-1]
    lines[first], lines[last] = lines[last], lines[first]  # same bytes, other order: same size
    lexicon.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(lexicon, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert lexicon.stat().st_size == stat.st_size

    build(recipe, out, "--resume")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["recomputed_stages"]["ontology"] == "a lexicon or ontology file it reads changed"
    assert manifest["recomputed_stages"]["segment"].startswith("a lexicon or ontology file it reads changed; ")
    assert manifest["recomputed_stages"]["tokenize"] == "its input changed (an earlier stage was recomputed)"
    assert {"ingest", "normalize", "clean", "dedup"} <= set(manifest["resumed_stages"])
    assert "ontology" not in manifest["resumed_stages"] and "tokenize" not in manifest["resumed_stages"]


def test_a_stage_that_crashed_is_recomputed(tmp_path, monkeypatch):
    """A stage that died before writing done.json leaves a partial file that --resume never reuses."""
    from corpusctl.stages import format as format_stage

    recipe = tiny_recipe(tmp_path)
    out = tmp_path / "out"

    def crash(self, batch):
        raise RuntimeError("killed")

    monkeypatch.setattr(format_stage.FormatStage, "__call__", crash)
    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(out), "--quiet", "--workers", "1"])
    assert result.exit_code != 0
    format_dir = tmp_path / ".out.work" / "format"
    assert format_dir.is_dir() and not (format_dir / "done.json").exists()
    monkeypatch.undo()

    build(recipe, out, "--resume", "--workers", "1")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "mix" in manifest["resumed_stages"] and "format" not in manifest["resumed_stages"]
    assert manifest["stages"]["format"]["docs_out"] > 0
    fresh = build(recipe, tmp_path / "fresh", "--workers", "1")
    assert_same_shards(out, fresh)


def _tag(batch: dict) -> dict:
    return {"id": batch["id"], "text": [t + "!" for t in batch["text"]], "n": [len(t) for t in batch["text"]]}


def test_columns_send_only_what_a_stage_reads_and_carry_the_rest():
    import pyarrow as pa

    from corpusctl.executor import Columns, LocalExecutor

    def batches():
        for start in range(0, 300, 64):
            ids = [str(i) for i in range(start, min(300, start + 64))]
            yield pa.RecordBatch.from_pydict({"id": ids, "text": [f"字{i}" for i in ids],
                                              "meta": [{"k": i} for i in ids]})

    stage = Columns(_tag, ["id", "text"], returns=["text", "n"])
    one = pa.Table.from_batches(list(LocalExecutor(1).map(stage, batches())))
    two = pa.Table.from_batches(list(LocalExecutor(2).map(stage, batches())))
    assert one.equals(two)
    assert one.schema.names == ["id", "text", "meta", "n"]  # input order, the new column last
    assert one.column("text").to_pylist()[:2] == ["字0!", "字1!"]
    assert one.column("meta").to_pylist()[299] == {"k": "299"}  # carried without a round trip
    dropped = Columns(_tag, ["id", "text"], carries=["id"])
    assert pa.Table.from_batches(list(LocalExecutor(1).map(dropped, batches()))).schema.names == ["id", "text", "n"]
    with pytest.raises(KeyError, match="no column label"):
        list(LocalExecutor(1).map(Columns(_tag, ["id", "label"]), batches()))


def _fail(message: str) -> None:
    from corpusctl.errors import CorpusctlError

    raise CorpusctlError(message)


def test_background_steps_return_values_and_raise_errors():
    from corpusctl.errors import CorpusctlError
    from corpusctl.executor import Background

    for inline in (False, True):
        job = Background(sorted, [3, 1, 2], inline=inline)
        assert job.result() == [1, 2, 3] and job.seconds is not None
        with pytest.raises(CorpusctlError, match="no rows"):
            Background(_fail, "no rows", inline=inline).result()
