"""Checkpoint files: compressed, storing only what a stage changed, referencing the columns it carried."""

import json
import shutil

import pyarrow as pa
import pytest
from helpers import build

from corpusctl.executor import Columns, RowIds, apply, references
from corpusctl.io.workdir import (
    ArrowStreamWriter,
    StageCheckpoint,
    StageCounter,
    apply_references,
    owners,
    read_batches,
    split_bookkeeping,
)


def write(path, batches, refs=None):
    writer = ArrowStreamWriter(path, refs)
    for batch in batches:
        writer.write(batch)
    writer.close()


def stored_columns(path):
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_stream(source).schema.names


def run_stage(fn, source, target):
    """What the runner does for a per-record stage: rows numbered, rejects split off, references written."""
    refs = references(fn, source)
    row_ids = RowIds()
    writer = ArrowStreamWriter(target, refs)
    for batch in row_ids.strip(read_batches(source, 4, row_ids=refs is not None)):
        writer.write(split_bookkeeping("s", row_ids.restore(apply(fn, batch)), StageCounter(), lambda *a: None))
    writer.close()


def rows(path, batch_size=3):
    return pa.Table.from_batches(list(read_batches(path, batch_size))).to_pylist()


DOCS = [{"id": f"d{i}", "text": "文本" * i, "meta": json.dumps({"n": i})} for i in range(10)]


def first_stage(tmp_path):
    source = tmp_path / "ingest.arrow"
    table = pa.Table.from_pylist(DOCS)
    write(source, table.to_batches(max_chunksize=4))
    return source


def drop_odd_and_mark(batch):
    return {"text": [t + "。" for t in batch["text"]], "n": [len(t) for t in batch["text"]],
            "_reject": ["odd" if int(i[1:]) % 2 else "" for i in batch["id"]]}


def test_a_stage_stores_what_it_writes_and_reads_back_its_carried_columns(tmp_path):
    source = first_stage(tmp_path)
    target = tmp_path / "clean.arrow"
    run_stage(Columns(drop_odd_and_mark, ["id", "text"], ["text", "n", "_reject"]), source, target)
    assert rows(target) == [{"id": d["id"], "text": d["text"] + "。", "meta": d["meta"], "n": len(d["text"])}
                            for d in DOCS if int(d["id"][1:]) % 2 == 0]
    assert stored_columns(target) == ["text", "n", "_row0"]  # id and meta: row numbers into ingest.arrow


def stored_batch_rows(path):
    with pa.OSFile(str(path)) as source:
        return [batch.num_rows for batch in pa.ipc.open_stream(source)]


def test_a_writer_stores_few_large_batches_that_read_back_in_any_size(tmp_path, monkeypatch):
    """Stages hand over small batches; the file holds batches of at least `STORED_ROWS` (fewer, cheaper reads:
    issue 21), and reading gives the same rows in batches of any size."""
    import corpusctl.io.workdir as workdir

    monkeypatch.setattr(workdir, "STORED_ROWS", 6)
    table = pa.Table.from_pylist([{"id": f"d{i}", "n": i} for i in range(30)])
    path = tmp_path / "x.arrow"
    write(path, table.to_batches(max_chunksize=4))
    assert stored_batch_rows(path) == [8, 8, 8, 6]
    for batch_size in (1, 4, 5, 8, 100):
        got = list(read_batches(path, batch_size))
        assert [b.num_rows for b in got[:-1]] == [batch_size] * (len(got) - 1)
        assert pa.Table.from_batches(got).equals(table)


@pytest.mark.parametrize("stored_rows", [1, 3, 2048])
def test_references_follow_rows_through_drops_and_repeats_to_the_files_holding_them(tmp_path, monkeypatch,
                                                                                      stored_rows):
    """Whatever the stored batches (rows taken within one of them or across several)."""
    import corpusctl.io.workdir as workdir

    monkeypatch.setattr(workdir, "STORED_ROWS", stored_rows)
    source = first_stage(tmp_path)
    clean = tmp_path / "clean.arrow"
    run_stage(Columns(drop_odd_and_mark, ["id", "text"], ["text", "n", "_reject"]), source, clean)
    # a global step's apply: every row repeated (in order) with a copy number, over batches of 4
    mixed = tmp_path / "mix.arrow"
    refs = apply_references(clean)
    write(mixed, [batch.take(pa.array([i // 2 for i in range(2 * batch.num_rows)]))
                  .append_column("_copy", pa.array([i % 2 for i in range(2 * batch.num_rows)], pa.int32()))
                  for batch in read_batches(clean, 4, row_ids=True)], refs)
    # and a stage adding a column, over the mix's rows
    segment = tmp_path / "segment.arrow"
    run_stage(Columns(lambda b: {"len": [len(t) for t in b["text"]]}, ["text"], ["len"]), mixed, segment)
    expected = [{**row, "_copy": copy, "len": len(row["text"])} for row in rows(clean) for copy in (0, 1)]
    for batch_size in (1, 3, 100):
        assert rows(segment, batch_size) == expected
    assert stored_columns(mixed) == ["_copy", "_row0", "_row1"]  # rows of clean.arrow and of ingest.arrow
    assert stored_columns(segment) == ["len", "_row0", "_row1", "_row2"]  # mix, clean and ingest


def test_reading_some_columns_opens_only_the_files_holding_them(tmp_path, monkeypatch):
    """`read_batches(columns=...)` gives what a full read gives for those columns (in the checkpoint's order),
    without decoding the others nor opening a referenced file that holds none of them (issue 21)."""
    import corpusctl.io.workdir as workdir

    source = first_stage(tmp_path)
    clean = tmp_path / "clean.arrow"
    run_stage(Columns(drop_odd_and_mark, ["id", "text"], ["text", "n", "_reject"]), source, clean)
    opened = []
    monkeypatch.setattr(workdir, "_Rows", lambda file, columns, _rows=workdir._Rows: (
        opened.append((file.name, list(columns))), _rows(file, columns))[1])
    for columns, files in ((["n", "text"], []), (["n", "id"], [("ingest.arrow", ["id"])]),
                           (["meta"], [("ingest.arrow", ["meta"])])):
        for batch_size in (1, 3, 100):
            whole = pa.Table.from_batches(list(read_batches(clean, batch_size)))
            opened.clear()
            some = pa.Table.from_batches(list(read_batches(clean, batch_size, columns=columns)))
            assert some.column_names == [c for c in whole.column_names if c in columns]
            assert some.equals(whole.select(some.column_names)), columns
            assert opened == files, columns


def test_a_stage_without_carried_columns_stores_everything(tmp_path):
    source = first_stage(tmp_path)
    fn = Columns(lambda b: {"id": b["id"] * 2}, ["id"], carries=[])
    assert references(fn, source) is None
    target = tmp_path / "format.arrow"
    run_stage(fn, source, target)
    assert stored_columns(target) == ["id"] and len(rows(target)) == 20


def test_a_checkpoint_whose_referenced_file_was_rewritten_is_stale(tmp_path):
    work = tmp_path / "work"
    first = StageCheckpoint(work, "ingest", "f1")
    first.reset()
    write(first.data, pa.Table.from_pylist(DOCS).to_batches())
    first.finish({})
    second = StageCheckpoint(work, "clean", "f2")
    second.reset()
    run_stage(Columns(drop_odd_and_mark, ["id", "text"], ["text", "n", "_reject"]), first.data, second.data)
    second.finish({"docs_out": 5})
    assert StageCheckpoint(work, "clean", "f2").load() == {"docs_out": 5}

    shutil.copy(first.data, tmp_path / "copy.arrow")  # the same rows, written again
    shutil.move(tmp_path / "copy.arrow", first.data)
    again = StageCheckpoint(work, "clean", "f2")
    assert again.load() is None and again.changed_parts() == ["references"]
    shutil.rmtree(first.dir)
    assert StageCheckpoint(work, "clean", "f2").load() is None


@pytest.mark.slow
def test_resume_recomputes_the_stages_referencing_a_deleted_checkpoint(tmp_path):
    from e2e.test_scale import tiny_recipe

    recipe = tiny_recipe(tmp_path)
    out = build(recipe, tmp_path / "out", "--keep-work", "--workers", "1")
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pretrain").rglob("*") if p.is_file()}
    shutil.rmtree(tmp_path / ".out.work" / "normalize")
    build(recipe, out, "--resume", "--keep-work", "--workers", "1")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # clean stores the text it changed and references the ingest's columns and the normalized title
    assert manifest["recomputed_stages"]["clean"] == "a checkpoint it references was deleted or rewritten"
    assert "ingest" in manifest["resumed_stages"] and "normalize" not in manifest["resumed_stages"]
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pretrain").rglob("*") if p.is_file()}
    assert after == before


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_export_files_are_moved_into_the_output_and_rewritten_on_resume_after_a_late_failure(tmp_path, monkeypatch):
    """Without --keep-work the exports' files are moved, not copied (the work folder goes anyway); a build
    that fails after the move has no reusable export checkpoint, so --resume writes them again."""
    from e2e.test_scale import tiny_recipe
    from typer.testing import CliRunner

    import corpusctl.pipeline
    from corpusctl.cli import app

    recipe = tiny_recipe(tmp_path)
    kept = build(recipe, tmp_path / "kept", "--keep-work", "--workers", "1")
    export_files = tmp_path / ".kept.work" / "ner-export" / "files"
    assert _tree(export_files)  # --keep-work: copies, the checkpoint keeps its files
    assert _tree(export_files / "ner") == _tree(kept / "ner")

    def disk_gone(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(corpusctl.pipeline, "publish", disk_gone)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(out), "--quiet", "--workers", "1"])
    assert result.exit_code != 0 and not out.exists()
    work = tmp_path / ".out.work"
    assert not (work / "ner-export" / "done.json").exists()  # its files went into the staged output
    assert _tree(work / "final" / "ner") == _tree(kept / "ner")

    monkeypatch.undo()
    build(recipe, out, "--resume", "--workers", "1")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "ner-export" not in manifest["resumed_stages"] and "segment" in manifest["resumed_stages"]
    for folder in ("ner", "classification"):
        assert _tree(out / folder) == _tree(kept / folder), folder


def test_the_ner_labels_are_a_branch_that_labels_as_the_export_does_on_its_own(tmp_path):
    """The `ner-label` stage labels every example in the workers (issue 21): the build's ner/ is what the
    export writes labelling the segmented rows itself, span counts included; tokenize reads on from `segment`,
    and a change to the labelling rules labels again without segmenting or tokenizing again."""
    import yaml
    from e2e.test_scale import tiny_recipe

    from corpusctl.exports.ner import export_ner, iter_rows
    from corpusctl.recipe import load_recipe

    recipe = tiny_recipe(tmp_path)
    out = build(recipe, tmp_path / "out", "--keep-work", "--workers", "2")
    work = tmp_path / ".out.work"
    loaded = load_recipe(recipe)
    columns = ["id", "title", "text", "terms", "title_terms", "sentences", "words", "title_words"]
    stats = export_ner(iter_rows(work / "segment" / "data.arrow", columns), tmp_path / "inline" / "ner", loaded.ner,
                       loaded.seed, ontology_dir=loaded.ontology.dir)
    assert _tree(tmp_path / "inline" / "ner") == _tree(out / "ner")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ner"]["spans"] == stats["spans"] and stats["spans"]["dropped_generic"] > 0
    assert "ner-label" not in {p.parent.name for p, _ in owners(work / "tokenize" / "data.arrow")}

    settings = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    settings["ner"] = {"stop_entities": ["隐患"]}
    recipe.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    build(recipe, out, "--resume", "--keep-work", "--workers", "1")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"segment", "tokenize"} <= set(manifest["resumed_stages"])
    assert "ner-label" not in manifest["resumed_stages"] and "ner-label" in manifest["recomputed_stages"]
