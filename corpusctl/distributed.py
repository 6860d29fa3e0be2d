"""The build on a Ray cluster: workers read and write the work folder, the driver plans and counts.

Under `--executor ray` the work folder must be on storage every node sees (NFS, a shared disk). A per-record
stage is then one Ray task per part file of its input checkpoint: the task reads that part, runs the stage's
batch function over it in batches, and writes the part of the stage's checkpoint, its rejects and its
statistics (`parts/part-NNNNN.arrow`, `.rejects.jsonl`, `.json`; see `corpusctl.io.workdir`). The driver
only gets the statistics back (rows, characters, reject and event counts). Ingest makes one part per source
file, read by a worker; later stages keep that partition (part i of a stage is made from part i of its
input), so record order is the local executor's, and since batch functions are per-record pure (see
docs/ARCHITECTURE.md "Batches"), so is every record's result. A global step's `apply` runs the same way,
each part given its first row number; a step may also compute its plan on the cluster
(`GlobalStep.plan_on_cluster`, e.g. dedup's shuffles in `corpusctl.stages.dedup_cluster`).

Resume: a part whose `.json` exists is finished; a rerun of an interrupted stage with the same fingerprint
recomputes only the missing parts (`StageCheckpoint.start_parts`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from corpusctl.io.workdir import (
    ArrowStreamWriter,
    StageCheckpoint,
    StageCounter,
    apply_references,
    batch_chars,
    data_files,
    empty_schema,
    read_batches,
    reject_line,
    rows_in,
    split_bookkeeping,
    write_json,
)

BATCH_SIZE = 256


class Pickled:
    """A value sent to workers pickled by us: Ray would hand numpy arrays over read-only (zero-copy), and
    steps keep counters in arrays they add to."""

    def __init__(self, value):
        import uuid

        from ray import cloudpickle

        self.data = cloudpickle.dumps(value)
        self.key = uuid.uuid4().hex

    def load(self):
        import pickle

        return pickle.loads(self.data)


class PartShares(list):
    """A global step's plan already cut into one share per part of its input (in part order), as
    `GlobalStep.plan_on_cluster` may return it."""


class Deferred:
    """A value computed by the task that uses it, `fn(*args)` (object references among `args` are fetched
    there): a part's share of a plan, cut where it is applied, never passes through the driver."""

    def __init__(self, fn: Callable, *args):
        self.fn, self.args = fn, args

    def load(self):
        import ray

        return self.fn(*(ray.get(a) if isinstance(a, ray.ObjectRef) else a for a in self.args))


def unwrap(value):
    return value.load() if isinstance(value, (Pickled, Deferred)) else value


_FUNCTIONS: dict[str, Any] = {}


def unwrap_function(value):
    """A stage's batch function, kept by the worker process for the stage's next parts: its lazy state
    (dictionaries, automata, a segmenter) is built once per worker, as in the local executor's pool."""
    if not isinstance(value, Pickled):
        return value
    if value.key not in _FUNCTIONS:
        if len(_FUNCTIONS) >= 2:  # (the stage before last is done)
            _FUNCTIONS.pop(next(iter(_FUNCTIONS)))
        _FUNCTIONS[value.key] = value.load()
    return _FUNCTIONS[value.key]


def part_name(index: int) -> str:
    return f"part-{index:05d}"


class _PartRejects:
    """A worker's rejects file for one part (what `ctx.reject` is to a step run on the driver)."""

    def __init__(self, path: Path, stop: bool = False):
        self.handle = open(path, "w", encoding="utf-8")
        self.stop = stop

    def reject(self, stage: str, record_id, source, reason: str, detail: str, record) -> None:
        if self.stop:
            from corpusctl.errors import InputError

            raise InputError(f"{detail or record_id}: {reason} (--strict stops the build at malformed input)")
        self.handle.write(reject_line(stage, record_id, source, reason, detail, record))

    def close(self) -> None:
        self.handle.close()


def _write_part(name: str, out_dir: str, index: int, batches: Callable[[StageCounter, _PartRejects], Iterable],
                empty: pa.Schema | None = None, stop: bool = False, refs=None) -> dict:
    """Run on a worker: write one part (rows, rejects, then its statistics, last) and return the statistics."""
    import time

    started = time.perf_counter()
    folder = Path(out_dir)
    stem = part_name(index)
    counter = StageCounter()
    rejects = _PartRejects(folder / f"{stem}.rejects.jsonl", stop)
    writer = ArrowStreamWriter(folder / f"{stem}.arrow", refs)
    try:
        for out in batches(counter, rejects):
            kept = split_bookkeeping(name, out, counter, rejects.reject)
            writer.write(kept)
            counter.docs_out += kept.num_rows
            counter.chars_out += batch_chars(kept)
        writer.close(empty)
    except BaseException:
        writer.discard()
        raise
    finally:
        rejects.close()
    stats = counter.stats(time.perf_counter() - started)
    write_json(folder / f"{stem}.json", stats)
    return stats


def map_part(name: str, fn, source: str, out_dir: str, index: int) -> dict:
    """A per-record stage over one part of its input (a worker's task)."""
    from corpusctl.executor import RowIds, apply, references

    fn = unwrap_function(fn)
    refs = references(fn, Path(source))

    def batches(counter, _rejects):
        row_ids = RowIds()
        for batch in row_ids.strip(read_batches(Path(source), BATCH_SIZE, row_ids=refs is not None)):
            counter.docs_in += batch.num_rows
            counter.chars_in += batch_chars(batch)
            yield row_ids.restore(apply(fn, batch))

    return _write_part(name, out_dir, index, batches, refs=refs)


def apply_part(step, plan, source: str, first_row: int, out_dir: str, index: int) -> dict:
    """A global step's decision applied to one part of its input, whose first row is `first_row`."""
    step, plan = unwrap(step), unwrap(plan)
    refs = apply_references(Path(source))

    def batches(counter, _rejects):
        row = first_row
        for batch in read_batches(Path(source), BATCH_SIZE, row_ids=refs is not None):
            counter.docs_in += batch.num_rows
            counter.chars_in += batch_chars(batch)
            yield step.apply(batch, plan, row)
            row += batch.num_rows

    return _write_part(step.name, out_dir, index, batches, refs=refs)


def source_part(stage, scrub, unit, stop: bool, out_dir: str, index: int) -> dict:
    """One source file read, scrubbed and written by a worker (ingest)."""
    from corpusctl.executor import apply

    stage, scrub = unwrap(stage), unwrap_function(scrub)

    def batches(counter, rejects):
        for batch in stage.read_unit(rejects, counter, scrub, unit):
            yield apply(scrub, batch) if scrub else batch

    return _write_part(stage.name, out_dir, index, batches, empty_schema(stage.writes), stop)


def concat_files(paths: Sequence[str], dest: str, append: bool = False) -> int:
    """Concatenate files into `dest` (a worker's task: rejects parts into the stage's rejects file)."""
    total = 0
    with open(dest, "ab" if append else "wb") as out:
        for path in paths:
            with open(path, "rb") as handle:
                total += shutil.copyfileobj(handle, out) or 0
    return total


def _plan_parts(step, plan, bounds: list[tuple[int, int]]):
    plan = unwrap(plan)
    shares = [step.plan_part(plan, first, rows) for first, rows in bounds]
    return shares if len(shares) > 1 else shares[0]


def _plan(call: Pickled):
    step, ctx, measured, checkpoint = call.load()
    return step.plan(ctx, measured, checkpoint)


def _timed(call: Pickled):
    import time

    fn, args = call.load()
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


class RemoteJob:
    """A step run as one Ray task (an output, a background plan): `result()` and `seconds` as `Background`'s."""

    def __init__(self, cluster: Cluster, fn: Callable, *args):
        self.cluster = cluster
        self.seconds: float | None = None
        self.ref = cluster.remote(_timed).remote(Pickled((fn, args)))

    def result(self):
        value, self.seconds = self.cluster.get(self.ref)
        return value

    def cancel(self) -> None:
        self.cluster.ray.cancel(self.ref, force=True)


class Cluster:
    """Submits the tasks of a step to Ray, a bounded number at a time, and returns their results in order."""

    def __init__(self, ray, workers: int):
        self.ray = ray
        self.workers = workers
        self._remote: dict[Callable, Any] = {}
        self.part_rows: dict[str, int] = {}
        """The rows of every part file the workers wrote in this run, by path (`inputs` reads no `.json`)."""

    def cpus(self) -> int:
        try:
            return max(1, int(self.ray.cluster_resources().get("CPU", self.workers)))
        except Exception:
            return self.workers

    def remote(self, fn: Callable, num_returns: int = 1):
        key = (fn, num_returns)
        if key not in self._remote:
            self._remote[key] = self.ray.remote(num_cpus=1, num_returns=num_returns, max_retries=2)(fn)
        return self._remote[key]

    def put(self, value):
        return self.ray.put(Pickled(value))

    def run(self, fn: Callable, calls: Sequence[tuple], done: Callable[[int, Any], None] | None = None) -> list:
        """`fn(*args)` for every args of `calls` on the workers, at most 2 per cluster CPU in flight."""
        ray = self.ray
        remote = self.remote(fn)
        results: list = [None] * len(calls)
        pending: dict = {}
        limit = 2 * self.cpus()
        queue = list(enumerate(calls))
        queue.reverse()
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    index, args = queue.pop()
                    pending[remote.remote(*args)] = index
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    index = pending.pop(ref)
                    results[index] = self.get(ref)
                    if done is not None:
                        done(index, results[index])
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        return results

    def get(self, ref):
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            from corpusctl.errors import CorpusctlError

            cause = getattr(exc, "cause", None)
            if isinstance(cause, CorpusctlError):  # a user error (--strict, a bad source): its own message
                raise cause from None
            raise exc.as_instanceof_cause() from None

    def plan(self, step, ctx, measured, checkpoint) -> tuple[Any, dict]:
        """A global step's `plan` run by a worker: (a reference to the plan, left in the object store; the
        statistics)."""
        plan_ref, stats_ref = self.remote(_plan, num_returns=2).remote(Pickled((step, ctx, measured, checkpoint)))
        return plan_ref, self.get(stats_ref)

    # -- a stage's parts ------------------------------------------------------------------------------------

    def run_parts(self, cp: StageCheckpoint, fn: Callable, calls: Sequence[tuple], progress=None) -> StageCounter:
        """Run one task per part (`fn(*args, out_dir, index)`), skipping the finished parts of an interrupted
        run; returns the merged statistics (the rejects parts are concatenated into `cp.rejects`, appended)."""
        import json

        counter = StageCounter()
        stats: list[dict | None] = []
        todo: list[tuple] = []
        for index, args in enumerate(calls):
            done_file = cp.parts_dir / f"{part_name(index)}.json"
            stats.append(json.loads(done_file.read_text(encoding="utf-8")) if done_file.exists() else None)
            if stats[-1] is None:
                todo.append((*args, str(cp.parts_dir), index))
        self.parts_computed = len(todo)

        def finished(_i, result):
            if progress is not None:
                progress.advance(result["docs_in"], 0)

        for args, result in zip(todo, self.run(fn, todo, finished), strict=True):
            stats[args[-1]] = result
        for index, part in enumerate(stats):
            counter.merge(part)
            self.part_rows[str(cp.parts_dir / f"{part_name(index)}.arrow")] = part["docs_out"]
        rejects = [str(cp.parts_dir / f"{part_name(i)}.rejects.jsonl") for i in range(len(calls))]
        self.get(self.remote(concat_files).remote(rejects, str(cp.rejects), True))
        return counter

    def inputs(self, source: StageCheckpoint) -> list[tuple[str, int, int]]:
        """The files of a checkpoint, in order, with the number of their first row and their rows (from the
        parts' statistics, kept from `run_parts` or read from their `.json`; a single `data.arrow` of a local
        run is counted)."""
        import json

        files, first, out = data_files(source.data), 0, []
        for file in files:
            meta = file.with_suffix(".json")
            if str(file) in self.part_rows:
                rows = self.part_rows[str(file)]
            elif meta.exists():
                rows = json.loads(meta.read_text(encoding="utf-8"))["docs_out"]
            else:
                rows = rows_in(file) if file.exists() else 0
            out.append((str(file), first, rows))
            first += rows
        return out

    def plan_parts(self, step, plan_ref, parts: list[tuple[str, int, int]]) -> list:
        """The plan's share for each part (`GlobalStep.plan_part`), cut by one task: references, one per part."""
        if len(parts) == 1:
            return [self.remote(_plan_parts).remote(step, plan_ref, [(first, rows) for _, first, rows in parts])]
        return self.remote(_plan_parts, num_returns=len(parts)).remote(
            step, plan_ref, [(first, rows) for _, first, rows in parts])

