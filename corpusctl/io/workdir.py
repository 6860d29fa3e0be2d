"""The build's work folder: one checkpoint per stage, written atomically, reused by `--resume`.

A stage's checkpoint is its Arrow stream file, its rejects and a `done.json` that records the stage's
fingerprint (its recipe sections and its input's fingerprint) and statistics. A checkpoint whose
fingerprint differs from the current build's is stale and is recomputed.

Checkpoint files are compressed (zstd) and hold only what their stage changed or added: the columns it took
over unchanged are references to the files that hold them (see `References`), so a stage that adds a column
writes that column, and one that drops or repeats rows writes row numbers. `read_batches` puts the rows
back together; readers never see the difference.
"""

from __future__ import annotations

import json
import os
import shutil
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusctl.io.columns import COLUMN_TYPES

COMPRESSION = "zstd"
"""Of checkpoint files. On a 10 MB generated corpus (full build, --keep-work, one worker, medians of 3
interleaved runs) the checkpoints held 31 MB with zstd and 53 MB with LZ4, for 6 % more CPU (49.7 vs 46.5
CPU-s; `bench/compression.py`): zstd keeps a build's work-folder writes under 5 bytes per input byte
(bench/pipeline.py)."""


def write_json(path: Path, data) -> None:
    """Write JSON atomically (temp file + rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


PARTS = "parts"
"""A checkpoint written by a cluster's workers: `parts/part-NNNNN.arrow` (Arrow streams, in order), each with
its `part-NNNNN.json` (its statistics, written last) and its rejects `part-NNNNN.rejects.jsonl`."""


def part_files(data: Path) -> list[Path]:
    """The part files of a checkpoint written by workers, in order (none for a single `data.arrow`)."""
    folder = data.parent / PARTS
    return sorted(folder.glob("part-*.arrow")) if folder.is_dir() else []


def data_files(data: Path) -> list[Path]:
    """The files holding a checkpoint's rows, in order: `data.arrow`, or the part files of a cluster run."""
    if data.exists() or not (data.parent / PARTS).is_dir():
        return [data]
    return part_files(data)


def read_batches(path: Path, batch_size: int, row_ids: bool = False,
                 columns: Iterable[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Record batches of exactly `batch_size` rows (the last may be shorter) from an Arrow stream file, or
    from the part files of a checkpoint written by a cluster's workers (read in order, as one stream).
    Columns a file references are read from the files holding them. `row_ids` (a single file only): each
    row also gets its row number in every file holding its columns (`_row0` in `path` itself, `_row1`... in
    the files of `owners(path)`), which a stage writing references keeps with its rows. `columns` (not with
    `row_ids`): only these of the checkpoint's columns, in its order, the others not decoded (issue 21).

    Fixed batch boundaries make every stage's output independent of how its input was chunked. The file is
    read, not memory-mapped: mapped pages stay resident, so a pass over a large checkpoint would grow the
    process by the checkpoint's size.
    """
    buffer: list[pa.RecordBatch] = []
    buffered = 0
    schema: pa.Schema | None = None
    files = data_files(path)
    if row_ids and len(files) != 1:
        raise ValueError(f"row numbers are those of one file; {path} has {len(files)}")
    if row_ids and columns is not None:
        raise ValueError("row numbers are those of all columns")
    wanted = None if columns is None else set(columns)
    for file in files:
        for batch in _file_batches(file, row_ids, wanted):
            if not batch.num_rows:
                continue
            if schema is None:
                schema = batch.schema
            elif batch.schema != schema:  # (parts written apart may type an all-null column apart)
                batch = pa.Table.from_batches([batch]).select(schema.names).cast(schema).to_batches()[0]
            buffer.append(batch)
            buffered += batch.num_rows
            while buffered >= batch_size:
                whole = buffer[0] if len(buffer) == 1 else _concat(buffer)  # (the files' batches are mostly
                yield whole.slice(0, batch_size)                             # of the size read: no copy)
                buffer = [whole.slice(batch_size)] if buffered > batch_size else []
                buffered -= batch_size
    if buffered:
        yield buffer[0] if len(buffer) == 1 else _concat(buffer)


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


# -- references: columns taken over from the files of earlier checkpoints --------------------------------

LAYOUT = b"corpusctl.layout"
"""Schema metadata of a file that references columns: `{"columns": [every column, in order], "refs": [{"file":
path relative to the file's folder, "size", "mtime_ns": of that file when referenced, "columns": [...],
"rows": the stored column of row numbers into that file}]}`."""


def is_row_id(name: str) -> bool:
    return name.startswith("_row") and name[4:].isdigit()


def _layout(schema: pa.Schema) -> dict | None:
    raw = (schema.metadata or {}).get(LAYOUT)
    return json.loads(raw) if raw else None


def _schema(file: Path) -> pa.Schema:
    with pa.OSFile(str(file)) as source:
        return pa.ipc.open_stream(source).schema


def owners(file: Path) -> list[tuple[Path, list[str]]]:
    """The files holding the columns of a checkpoint file, with the columns each holds: the file itself
    first, then the files it references (in the order of `read_batches(..., row_ids=True)`'s `_row1`...)."""
    schema = _schema(file)
    layout = _layout(schema) or {"refs": []}
    stored = [name for name in schema.names if not is_row_id(name)]
    return [(file, stored)] + [(Path(os.path.normpath(file.parent / ref["file"])), ref["columns"])
                               for ref in layout["refs"]]


def references_intact(file: Path) -> bool:
    """Whether the file and every file it references exist, unchanged since it was written."""
    try:
        layout = _layout(_schema(file))
        for ref in (layout or {}).get("refs", []):
            stat = (file.parent / ref["file"]).stat()
            if (stat.st_size, stat.st_mtime_ns) != (ref["size"], ref["mtime_ns"]):
                return False
    except (OSError, pa.ArrowException):
        return False
    return True


class _Rows:
    """Some columns of a checkpoint file, streamed, taken at non-decreasing row numbers (what a file
    referencing them asks for: its rows are its input's, some dropped or repeated, in order)."""

    def __init__(self, file: Path, columns: list[str]):
        self.source = pa.OSFile(str(file))
        schema = pa.ipc.open_stream(self.source).schema
        self.source.seek(0)
        options = pa.ipc.IpcReadOptions(included_fields=[schema.get_field_index(c) for c in columns])
        self.reader = pa.ipc.open_stream(self.source, options=options)
        self.schema = pa.schema([schema.field(c) for c in columns])
        self.batches: list[pa.RecordBatch] = []
        self.first = self.end = 0  # row numbers of the first buffered row and after the last

    def take(self, rows: np.ndarray) -> list[pa.Array]:
        if not len(rows):
            return [pa.array([], field.type) for field in self.schema]
        while self.end <= rows[-1]:
            batch = self.reader.read_next_batch()
            self.batches.append(batch)
            self.end += batch.num_rows
        while self.first + self.batches[0].num_rows <= rows[0]:
            self.first += self.batches.pop(0).num_rows
        # the rows of one stored batch need no concatenation (most: stages write and read 256 rows at a time)
        held = self.batches[0] if rows[-1] < self.first + self.batches[0].num_rows else _concat(self.batches)
        start = int(rows[0]) - self.first
        if rows[-1] - rows[0] + 1 == len(rows) and (len(rows) < 2 or bool(np.all(np.diff(rows) == 1))):
            held = held.slice(start, len(rows))  # a run of rows (nothing dropped or repeated): no copy
        else:
            held = held.take(pa.array(rows - self.first))
        return held.columns

    def close(self) -> None:
        self.source.close()


def _file_batches(file: Path, row_ids: bool, wanted: set[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The batches of one checkpoint file, with the columns it references read from their files (of the
    `wanted` columns only, when given)."""
    with pa.OSFile(str(file)) as source:
        reader = pa.ipc.open_stream(source)
        layout = _layout(reader.schema)
        refs = (layout or {}).get("refs", [])
        if wanted is not None:
            refs = [{**ref, "columns": [c for c in ref["columns"] if c in wanted]} for ref in refs]
            refs = [ref for ref in refs if ref["columns"]]
            keep = wanted | {ref["rows"] for ref in refs}
            fields = [i for i, name in enumerate(reader.schema.names) if name in keep]
            source.seek(0)
            reader = pa.ipc.open_stream(source, options=pa.ipc.IpcReadOptions(included_fields=fields))
            if layout is not None:
                layout = {**layout, "columns": [c for c in layout["columns"] if c in wanted]}
        if layout is None and not row_ids:
            yield from reader
            return
        sources = [_Rows(file.parent / ref["file"], ref["columns"]) for ref in refs]
        try:
            first = 0
            for batch in reader:
                arrays = {name: batch.column(name) for name in batch.schema.names if not is_row_id(name)}
                ids = [np.arange(first, first + batch.num_rows, dtype=np.int64)]
                for ref, rows in zip(refs, sources):
                    ids.append(batch.column(ref["rows"]).to_numpy())
                    arrays.update(zip(ref["columns"], rows.take(ids[-1])))
                first += batch.num_rows
                names = layout["columns"] if layout else list(arrays)
                columns = [arrays[name] for name in names]
                if row_ids:
                    names = names + [f"_row{i}" for i in range(len(ids))]
                    columns += [pa.array(rows, pa.int64()) for rows in ids]
                yield pa.RecordBatch.from_arrays(columns, names=names)
        finally:
            for rows in sources:
                rows.close()


class References:
    """How a stage stores rows that keep some of its input's columns unchanged (`unchanged`, of the input
    file `source`, read with `row_ids`): those columns become row numbers into the files holding them; what
    it changed or added is stored."""

    def __init__(self, source: Path, unchanged: Iterable[str]):
        unchanged = set(unchanged)
        self.owners = [(f"_row{index}", file, [c for c in columns if c in unchanged])
                       for index, (file, columns) in enumerate(owners(source))]
        self.names: list[str] = []
        self.rows: list[tuple[str, str]] = []  # (row ids of the input batches, the stored column)

    def layout(self, target: Path, names: list[str]) -> dict:
        """The layout of `target` for batches with these columns (fixed by the first batch)."""
        refs = []
        for input_rows, file, columns in self.owners:
            columns = [c for c in columns if c in names]
            if columns:
                stat = file.stat()
                refs.append({"file": os.path.relpath(file, target.parent), "size": stat.st_size,
                             "mtime_ns": stat.st_mtime_ns, "columns": columns, "rows": f"_row{len(refs)}"})
                self.rows.append((input_rows, refs[-1]["rows"]))
        referenced = {c for ref in refs for c in ref["columns"]}
        self.names = [n for n in names if not is_row_id(n) and n not in referenced]
        return {"columns": [n for n in names if not is_row_id(n)], "refs": refs}

    def stored(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """What the file stores of a batch: the columns not referenced, and the row numbers."""
        arrays = [batch.column(n) for n in self.names] + [batch.column(rows) for rows, _ in self.rows]
        return pa.RecordBatch.from_arrays(arrays, names=self.names + [stored for _, stored in self.rows])


def apply_references(source: Path) -> References | None:
    """The references of a global step's applied rows: its input's rows dropped or repeated, every column
    taken over (None: the input is more than one file, every column is stored)."""
    files = data_files(source)
    if len(files) != 1:
        return None
    return References(files[0], [name for _, columns in owners(files[0]) for name in columns])


STORED_ROWS = 2048
"""Rows per stored batch (at least; stages hand over 256 at a time): reading a batch has a fixed cost per column
besides its bytes, and a referenced column taken across two stored batches is concatenated first. Reading
the 20 MB peer corpus's checkpoints took 3-4x less CPU than with 256-row batches (measured ad hoc, issue 21)."""


class ArrowStreamWriter:
    """Writes batches to an Arrow stream file under a temp name; `close()` renames it into place.

    A write that fails (a full disk) deletes the temp file at once, so a failed stage does not keep the disk
    full; `discard_open_writers()` does the same for writers a failed build left open.
    """

    def __init__(self, path: Path, references: References | None = None):
        self.path = path
        self.tmp = path.with_name(path.name + ".partial")
        self.references = references
        """Columns taken over from the input file are written as row numbers into the files holding them."""
        self._writer = None
        self._sink = None
        self.schema: pa.Schema | None = None
        self.rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        _OPEN_WRITERS.add(self)

    def _open(self, schema: pa.Schema) -> None:
        # our own sink, so that a failed close (a full disk) cannot leave the deleted file open and its space held
        self._sink = pa.OSFile(str(self.tmp), "wb")
        self._writer = pa.ipc.new_stream(self._sink, schema, options=pa.ipc.IpcWriteOptions(compression=COMPRESSION))

    def write(self, batch: pa.RecordBatch) -> None:
        try:
            if self._writer is None:
                self.schema = batch.schema
                stored = batch
                if self.references is not None:
                    layout = self.references.layout(self.path, batch.schema.names)
                    stored = self.references.stored(batch)
                    if layout["refs"]:
                        stored = stored.replace_schema_metadata({LAYOUT: json.dumps(layout)})
                self._open(stored.schema)
            elif batch.schema != self.schema:
                batch = pa.Table.from_batches([batch]).select(self.schema.names).cast(self.schema).to_batches()[0]
            if batch.num_rows:
                self._pending.append(batch if self.references is None else self.references.stored(batch))
                self._pending_rows += batch.num_rows
                self.rows += batch.num_rows
                if self._pending_rows >= STORED_ROWS:
                    self._flush()
        except OSError:
            self.discard()
            raise

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_batch(self._pending[0] if len(self._pending) == 1 else _concat(self._pending))
            self._pending, self._pending_rows = [], 0

    def close(self, empty_schema: pa.Schema | None = None) -> None:
        try:
            self._flush()
            if self._writer is None:
                self.schema = empty_schema or pa.schema([])
                self._open(self.schema)
            self._writer.close()
            self._sink.close()
            os.replace(self.tmp, self.path)
        except OSError:
            self.discard()
            raise
        _OPEN_WRITERS.discard(self)

    def discard(self) -> None:
        """Drop what was written (the temp file); the target file is untouched."""
        _OPEN_WRITERS.discard(self)
        for handle in (self._writer, self._sink):
            if handle is not None:
                try:
                    handle.close()
                except (OSError, pa.ArrowException):  # the disk is full: closing flushes and fails again
                    pass
        self.tmp.unlink(missing_ok=True)


_OPEN_WRITERS: weakref.WeakSet[ArrowStreamWriter] = weakref.WeakSet()


def discard_open_writers() -> int:
    """Delete the temp files of every writer left open by a failed build; returns how many there were."""
    writers = list(_OPEN_WRITERS)
    for writer in writers:
        writer.discard()
    return len(writers)


class StageCheckpoint:
    """One stage's folder in the work dir.

    `done.json` is written last (atomically, after the data file is renamed into place), so a stage killed
    half-way has no `done.json` and is never reused.
    """

    def __init__(self, root: Path, name: str, fingerprint: str, parts: dict[str, str] | None = None):
        self.name = name
        self.fingerprint = fingerprint
        self.parts = parts or {}
        self.dir = root / name
        self.data = self.dir / "data.arrow"
        self.rejects = self.dir / "rejects.jsonl"
        self.done_file = self.dir / "done.json"

    def _done(self) -> dict | None:
        try:
            return json.loads(self.done_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def load(self) -> dict | None:
        """The stage's statistics if a finished checkpoint with this fingerprint exists."""
        done = self._done()
        if done is None or done.get("fingerprint") != self.fingerprint or not self.intact():
            return None
        return done["stats"]

    def intact(self) -> bool:
        """Whether its files, and the files of earlier checkpoints they reference, are as it wrote them (a
        stage recomputed since, or a folder deleted, makes the references stale)."""
        return all(references_intact(file) for file in data_files(self.data) if file.exists())  # (outputs have none)

    def changed_parts(self) -> list[str]:
        """Which parts of the fingerprint differ from the finished checkpoint's (none if there is none); with
        the same fingerprint, "references" when files it references changed."""
        done = self._done()
        if done is None:
            return []
        if done.get("fingerprint") == self.fingerprint:
            return [] if self.intact() else ["references"]
        old = done.get("parts") or {}
        return [key for key, value in self.parts.items() if old.get(key) != value] or ["settings"]

    def reset(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        _UNFINISHED.add(self.dir)

    @property
    def parts_dir(self) -> Path:
        return self.dir / PARTS

    def start_parts(self, resume: bool) -> None:
        """Before workers write part files: with `resume`, the finished parts of an interrupted run of the same
        fingerprint (`started.json`) are kept (each has its `.json`, written last), the rest removed; otherwise
        the folder starts empty."""
        started = self.dir / "started.json"
        try:
            same = resume and json.loads(started.read_text(encoding="utf-8")).get("fingerprint") == self.fingerprint
        except (OSError, ValueError):
            same = False
        if same and not self.done_file.exists():
            finished = {path.name.split(".")[0] for path in self.parts_dir.glob("*.arrow")
                        if (path.with_suffix(".json")).exists() and references_intact(path)}
            for path in self.parts_dir.glob("*"):
                if path.name.split(".")[0] not in finished:
                    path.unlink()
            for path in self.dir.iterdir():
                if path.is_file() and path.name != "started.json":
                    path.unlink()
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir.mkdir(parents=True)
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        write_json(started, {"fingerprint": self.fingerprint})

    def finish(self, stats: dict) -> None:
        write_json(self.done_file, {"fingerprint": self.fingerprint, "parts": self.parts, "stats": stats})
        _UNFINISHED.discard(self.dir)


_UNFINISHED: set[Path] = set()
"""Folders of the stages this process started and has not finished."""


def discard_unfinished() -> list[Path]:
    """Delete what a failed build was in the middle of writing: open writers' temp files and the folders of
    stages that started but did not finish. Such a folder is never reused (it has no done.json), and after
    a full disk it holds the very space the rerun needs; finished stages stay for `--resume`."""
    discard_open_writers()
    removed = sorted(folder for folder in _UNFINISHED if not (folder / "done.json").exists())
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    _UNFINISHED.clear()
    return removed


class StageCounter:
    """Counts what a stage did: rows and characters in and out, rejects by reason, events by source."""

    def __init__(self):
        self.docs_in = self.docs_out = self.chars_in = self.chars_out = 0
        self.rejects: Counter = Counter()
        self.events: Counter = Counter()
        self.events_by_source: dict[str, Counter] = {}

    def add_events(self, sources: list[str], events: list[list[str]]) -> None:
        for source, names in zip(sources, events):
            if names:
                self.events.update(names)
                self.events_by_source.setdefault(source, Counter()).update(names)

    def merge(self, stats: dict) -> None:
        """Add the statistics of a part (`stats()` of a worker's counter)."""
        for key in ("docs_in", "docs_out", "chars_in", "chars_out"):
            setattr(self, key, getattr(self, key) + stats[key])
        self.rejects.update(stats["rejects"])
        self.events.update(stats["events"])
        for source, events in stats["events_by_source"].items():
            self.events_by_source.setdefault(source, Counter()).update(events)

    def stats(self, seconds: float) -> dict:
        return {
            "docs_in": self.docs_in, "docs_out": self.docs_out,
            "chars_in": self.chars_in, "chars_out": self.chars_out,
            "rejects": dict(sorted(self.rejects.items())),
            "events": dict(sorted(self.events.items())),
            "events_by_source": {s: dict(sorted(c.items())) for s, c in sorted(self.events_by_source.items())},
            "seconds": round(seconds, 3),
        }


BOOKKEEPING = ("_reject", "_reject_detail", "_events")


def reject_line(stage: str, record_id, source, reason: str, detail: str, record) -> str:
    """A line of a rejects file."""
    return json.dumps({"id": record_id, "source": source, "stage": stage, "reason": reason, "detail": detail,
                       "record": record}, ensure_ascii=False) + "\n"


def split_bookkeeping(stage: str, batch: pa.RecordBatch, counter: StageCounter, reject) -> pa.RecordBatch:
    """Count a batch's `_events`, hand its rejected rows to `reject(stage, id, source, reason, detail, record)`
    and return the kept rows without the bookkeeping columns."""
    names = batch.schema.names
    if "_events" in names:
        counter.add_events(batch.column("source").to_pylist() if "source" in names else [""] * batch.num_rows,
                           batch.column("_events").to_pylist())
    if "_reject" in names:
        reasons = batch.column("_reject").to_pylist()
        if any(reasons):
            details = batch.column("_reject_detail").to_pylist() if "_reject_detail" in names else [""] * len(reasons)
            rows = batch.to_pylist()
            for row, reason, detail in zip(rows, reasons, details):
                if reason:
                    counter.rejects[reason] += 1
                    record = {k: v for k, v in row.items() if not k.startswith("_")}
                    reject(stage, row.get("id"), row.get("source"), reason, detail, record)
            keep = pa.array([not r for r in reasons])
            batch = batch.filter(keep)
    drop = [n for n in names if n in BOOKKEEPING]
    return batch.drop_columns(drop) if drop else batch


def batch_chars(batch: pa.RecordBatch) -> int:
    import pyarrow.compute as pc

    total = 0
    for column in ("title", "text"):
        if column in batch.schema.names:
            total += int(pc.sum(pc.utf8_length(batch.column(column))).as_py() or 0)
    return total


def empty_schema(columns: Iterable[str]) -> pa.Schema:
    return pa.schema([pa.field(c, COLUMN_TYPES.get(c, pa.string())) for c in columns])


def counted(batches: Iterable[pa.RecordBatch], counter) -> Iterator[pa.RecordBatch]:
    """Pass record batches through, adding their rows to `counter.value` (None: count nothing)."""
    for batch in batches:
        if counter is not None:
            counter.value += batch.num_rows
        yield batch




def read_columns(path: Path, columns: list[str]) -> dict[str, list]:
    """Only the named columns of a checkpoint, as Python lists (a global step's small per-record data)."""
    out: dict[str, list] = {c: [] for c in columns}
    for batch in read_batches(path, 8192):
        for c in columns:
            out[c].extend(batch.column(c).to_pylist())
    return out


def rows_in(path: Path) -> int:
    total = 0
    for file in data_files(path):
        with pa.memory_map(str(file)) as source:
            total += sum(b.num_rows for b in pa.ipc.open_stream(source))
    return total
