"""The build's work folder: one checkpoint per stage, written atomically, reused by `--resume`.

A stage's checkpoint is its Arrow stream file, its rejects and a `done.json` that records the stage's
fingerprint (its recipe sections and its input's fingerprint) and statistics. A checkpoint whose
fingerprint differs from the current build's is stale and is recomputed.
"""

from __future__ import annotations

import json
import os
import shutil
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from corpusctl.io.columns import COLUMN_TYPES


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


def read_batches(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Record batches of exactly `batch_size` rows (the last may be shorter) from an Arrow stream file, or
    from the part files of a checkpoint written by a cluster's workers (read in order, as one stream).

    Fixed batch boundaries make every stage's output independent of how its input was chunked. The file is
    read, not memory-mapped: mapped pages stay resident, so a pass over a large checkpoint would grow the
    process by the checkpoint's size.
    """
    buffer: list[pa.RecordBatch] = []
    buffered = 0
    schema: pa.Schema | None = None
    for file in data_files(path):
        with pa.OSFile(str(file)) as source:
            reader = pa.ipc.open_stream(source)
            for batch in reader:
                if not batch.num_rows:
                    continue
                if schema is None:
                    schema = batch.schema
                elif batch.schema != schema:  # (parts written apart may type an all-null column apart)
                    batch = pa.Table.from_batches([batch]).select(schema.names).cast(schema).to_batches()[0]
                buffer.append(batch)
                buffered += batch.num_rows
                while buffered >= batch_size:
                    table = pa.Table.from_batches(buffer).combine_chunks()
                    yield table.slice(0, batch_size).to_batches()[0]
                    rest = table.slice(batch_size)
                    buffer = rest.to_batches() if rest.num_rows else []
                    buffered = rest.num_rows
    if buffered:
        yield pa.Table.from_batches(buffer).combine_chunks().to_batches()[0]


class ArrowStreamWriter:
    """Writes batches to an Arrow stream file under a temp name; `close()` renames it into place.

    A write that fails (a full disk) deletes the temp file at once, so a failed stage does not keep the disk
    full; `discard_open_writers()` does the same for writers a failed build left open.
    """

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(path.name + ".partial")
        self._writer = None
        self._sink = None
        self.schema: pa.Schema | None = None
        self.rows = 0
        _OPEN_WRITERS.add(self)

    def _open(self, schema: pa.Schema) -> None:
        # our own sink, so that a failed close (a full disk) cannot leave the deleted file open and its space held
        self._sink = pa.OSFile(str(self.tmp), "wb")
        self._writer = pa.ipc.new_stream(self._sink, schema)

    def write(self, batch: pa.RecordBatch) -> None:
        try:
            if self._writer is None:
                self.schema = batch.schema
                self._open(self.schema)
            elif batch.schema != self.schema:
                batch = pa.Table.from_batches([batch]).select(self.schema.names).cast(self.schema).to_batches()[0]
            if batch.num_rows:
                self._writer.write_batch(batch)
                self.rows += batch.num_rows
        except OSError:
            self.discard()
            raise

    def close(self, empty_schema: pa.Schema | None = None) -> None:
        try:
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
        if done is None or done.get("fingerprint") != self.fingerprint:
            return None
        return done["stats"]

    def changed_parts(self) -> list[str]:
        """Which parts of the fingerprint differ from the finished checkpoint's (none if there is none)."""
        done = self._done()
        if done is None or done.get("fingerprint") == self.fingerprint:
            return []
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
            for path in self.parts_dir.glob("*"):
                stem = path.name.split(".")[0]
                if not (self.parts_dir / f"{stem}.json").exists():
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
