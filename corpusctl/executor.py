"""Executors run a stage's batch function over Arrow record batches.

The local executor keeps a bounded number of batches in flight (memory stays flat) and returns results
in input order, so the output is identical for any number of workers. Under `--executor ray` the build
runs its stages as Ray tasks over part files (corpusctl/distributed.py); `RayExecutor.map` (the same
function as Ray Data `map_batches` over batches shipped from this process) remains for callers that stream
batches themselves.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from corpusctl.io.columns import to_record_batch
from corpusctl.io.workdir import References, data_files, is_row_id, owners
from corpusctl.stages import gc_paused

BatchFn = Callable[[dict], dict]

_worker_fn: BatchFn | None = None


class Columns:
    """A batch function that reads only some columns, returns only some, and carries the rest through.

    Only `reads` go to the worker (converting nested columns such as `terms` to Python and back, and
    pickling them to a worker, costs more than many stages' own work; None: the whole batch); of the
    function's output only `returns` are kept; the input's other columns (all of them when `carries` is
    None, else those named) are taken over unchanged from the Arrow batch, which needs rows to map one to
    one. The checkpoint then stores only the returned columns and references the others (`unchanged`).
    """

    def __init__(self, fn: BatchFn, reads: Sequence[str] | None, returns: Sequence[str] | None = None,
                 carries: Sequence[str] | None = None, arrow: bool = False):
        self.fn = fn
        self.reads = None if reads is None else list(reads)
        self.returns = None if returns is None else list(returns)
        self.carries = None if carries is None else list(carries)
        self.arrow = arrow
        """The function takes the Arrow record batch itself (and may return Arrow arrays)."""

    def __call__(self, batch: dict) -> dict:
        return self.fn(batch)

    def unchanged(self, names: Sequence[str]) -> list[str]:
        """The input columns (of these) that every output row takes over as they are."""
        if self.carries == [] or (self.returns is None and self.carries is None):
            return []  # (a function returning every column may change any)
        return [n for n in names if (self.returns is None or n not in self.returns)
                and (self.carries is None or n in self.carries)]

    def select(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.reads is None:
            return batch
        missing = [c for c in self.reads if c not in batch.schema.names]
        if missing:
            raise KeyError(f"batch has no column {', '.join(missing)} (has {', '.join(batch.schema.names)})")
        return batch.select(self.reads)

    def run(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """What a worker does with a selected batch: the function, then only the returned columns typed."""
        out = self.fn(batch if self.arrow else batch.to_pydict())
        if self.returns is not None:
            out = {name: out[name] for name in self.returns}
        return to_record_batch(out)

    def assemble(self, batch: pa.RecordBatch, out: pa.RecordBatch) -> pa.RecordBatch:
        """The input's carried columns (in input order, replaced where the function returned one) + new ones.

        With `carries=[]` the output is the function's alone and may have any number of rows."""
        if self.carries == []:
            return out
        if out.num_rows != batch.num_rows:
            raise ValueError(f"{self.fn!r} returned {out.num_rows} rows for {batch.num_rows}")
        returned = out.schema.names
        carried = batch.schema.names if self.carries is None else self.carries
        names, arrays = [], []
        for name in batch.schema.names:
            if name in returned:
                names.append(name)
                arrays.append(out.column(name))
            elif name in carried:
                names.append(name)
                arrays.append(batch.column(name))
        for name in returned:
            if name not in names:
                names.append(name)
                arrays.append(out.column(name))
        fields = [batch.schema.field(n) if n not in returned else out.schema.field(n) for n in names]
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def references(fn: BatchFn, source: Path) -> References | None:
    """How a stage's checkpoint refers to the columns it takes over unchanged from its input checkpoint
    (`source`); None: it stores every column (it takes none over, or its input is more than one file)."""
    files = data_files(source)
    if not isinstance(fn, Columns) or len(files) != 1:
        return None
    unchanged = fn.unchanged([name for _, columns in owners(files[0]) for name in columns])
    return References(files[0], unchanged) if unchanged else None


class RowIds:
    """The row numbers `read_batches(..., row_ids=True)` adds, set aside while a batch function runs (it sees
    only the input's own columns) and put back on its output, whose rows are the input's one for one."""

    def __init__(self):
        self.pending: deque = deque()

    def strip(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            ids = [name for name in batch.schema.names if is_row_id(name)]
            self.pending.append(batch.select(ids))
            yield batch.drop_columns(ids) if ids else batch

    def restore(self, out: pa.RecordBatch) -> pa.RecordBatch:
        """The output of the oldest batch stripped, with its row numbers (the executor keeps input order)."""
        ids = self.pending.popleft()
        for name, column in zip(ids.schema.names, ids.columns):
            out = out.append_column(name, column)
        return out


@gc_paused()
def apply(fn: BatchFn, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Run a batch function on an Arrow batch and type its output with the registered column types."""
    if isinstance(fn, Columns):
        return fn.assemble(batch, fn.run(fn.select(batch)))
    out = fn(batch.to_pydict())
    return to_record_batch(out)


def _init_worker(fn: BatchFn) -> None:
    global _worker_fn
    _die_with_parent()
    _worker_fn = fn


def _die_with_parent() -> None:
    """Linux: a forked helper gets SIGKILL when the build dies, even by SIGKILL (no orphan keeps writing).
    Also moves the heap inherited from the parent out of the garbage collector's sight: collections would
    walk (and, by touching them, copy) all of its objects again in every helper."""
    import gc

    gc.freeze()
    # Ctrl-C reaches the whole process group: only the build itself handles it (and stops its helpers); a
    # helper that died of it would leave the pool waiting for a result forever
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def ctrl_c_held():
    """Hold Ctrl-C while processes are forked: a KeyboardInterrupt raised inside one of the interpreter's
    at-fork handlers is printed and ignored, and the build would run on. Released, it is raised here."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@gc_paused()
def _run(fn: BatchFn, batch: pa.RecordBatch) -> pa.RecordBatch:
    """What a worker does: a Columns function gets its selected columns and returns only its own columns
    (the caller assembles them with the rest of the batch)."""
    return fn.run(batch) if isinstance(fn, Columns) else apply(fn, batch)


def _run_in_worker(batch: pa.RecordBatch) -> pa.RecordBatch:
    assert _worker_fn is not None
    return _run(_worker_fn, batch)


def _send(fn: BatchFn, batch: pa.RecordBatch) -> pa.RecordBatch:
    return _compact(fn.select(batch) if isinstance(fn, Columns) else batch)


def _compact(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with buffers of its own rows only. `read_batches` cuts a checkpoint's batches into slices, and
    a slice pickles with all of its parent's buffers: on the ner-label stage's input (measured ad hoc, no bench
    isolates it), 9 MB pickled for a 1 MB batch, 18 ms instead of 2 ms per batch, through the pipe to a helper
    (issue 21; tests/test_executor.py checks the size)."""
    if batch.get_total_buffer_size() <= 2 * batch.nbytes:
        return batch
    return pa.RecordBatch.from_arrays([pa.concat_arrays([column]) for column in batch.columns], schema=batch.schema)


def _receive(fn: BatchFn, original: pa.RecordBatch, out: pa.RecordBatch) -> pa.RecordBatch:
    return fn.assemble(original, out) if isinstance(fn, Columns) else out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class LocalExecutor:
    """Runs batches inline (1 worker) or in a forked process pool, in order, a few batches ahead."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()

    def map(self, fn: BatchFn, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        batches = iter(batches)
        # a background step running alongside takes a core: more processes than cores only take turns
        # evicting each other's caches (measured: +30% CPU seconds for the same work)
        workers = max(1, self.workers - Background.running())
        if workers > 1:
            # The first batch runs here: it builds the function's lazy state (dictionaries, automata, a
            # segmenter) once, and the forked workers inherit it instead of each building it again.
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # (its threads do not survive a fork)
            first = next(batches, None)
            if first is None:
                return
            yield apply(fn, first)
        if workers <= 1:
            for batch in batches:
                yield apply(fn, batch)
            return
        context = multiprocessing.get_context("fork")
        pool = None
        try:
            with ctrl_c_held():
                pool = context.Pool(workers, initializer=_init_worker, initargs=(fn,))
            pending: deque = deque()
            for batch in batches:
                pending.append((batch, pool.apply_async(_run_in_worker, (_send(fn, batch),))))
                if len(pending) >= 2 * workers:
                    original, result = pending.popleft()
                    yield _receive(fn, original, result.get())
            while pending:
                original, result = pending.popleft()
                yield _receive(fn, original, result.get())
        finally:
            # The helpers finish what they were sent and exit on their own, even after a Ctrl-C or an error:
            # Pool.terminate kills them, and one killed while it sends a result holds the results queue's lock
            # for ever, so terminate then waits for ever on its own task thread (seen once in ~40 Ctrl-Cs)
            if pool is not None:
                pool.close()
                pool.join()
                pool.terminate()  # (once they have exited: only frees the pool's pipes and threads)

    def close(self) -> None:
        pass


class RayExecutor:
    """Runs batch functions as Ray Data `map_batches` on a local or existing Ray cluster.

    Batches go to Ray in input order and come back in that order (`preserve_order`), so the shards equal
    the local executor's for the same seed.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
        except ImportError:
            from corpusctl.errors import CorpusctlError

            raise CorpusctlError("--executor ray needs the ray extra: pip install 'corpusctl[ray]'") from None
        import logging

        self.ray = ray
        self.workers = workers or default_workers()
        self.started = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        self._sigterm = None
        if not ray.is_initialized():
            # ray.init makes SIGTERM raise SystemExit in this process, and in every process later forked from
            # it: a pool worker terminated right after its fork would unwind into the caller's code
            self._sigterm = signal.getsignal(signal.SIGTERM)
            address = address or os.environ.get("RAY_ADDRESS")
            options = {"log_to_driver": False, "logging_level": logging.WARNING}
            if address:
                ray.init(address=address, **options)
            else:  # a Ray of its own, even when another one runs on this machine (ray.init() would join it)
                ray.init(address="local", num_cpus=self.workers, include_dashboard=False, **options)
            self.started = True

    def map(self, fn: BatchFn, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ray = self.ray
        # Ray Data is imported here, not when the executor starts: a build on a cluster runs its stages as
        # plain tasks (corpusctl/distributed.py), and importing ray.data (pandas with it) costs the driver
        # ~15 MB of reads and ~60 MB of memory
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        chunk: list[pa.RecordBatch] = []
        for batch in batches:
            chunk.append(batch)
            if len(chunk) >= 16 * self.workers:
                yield from self._map_chunk(ray, fn, chunk)
                chunk = []
        if chunk:
            yield from self._map_chunk(ray, fn, chunk)

    def _map_chunk(self, ray, fn: BatchFn, chunk: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # One Ray block per input batch keeps batch boundaries, hence results, equal to the local executor's.
        tables = [pa.Table.from_batches([_send(fn, batch)]) for batch in chunk]
        dataset = ray.data.from_arrow(tables)
        mapped = dataset.map_batches(
            _RayBatchFn(fn), batch_format="pyarrow", batch_size=None, zero_copy_batch=True
        )
        outputs = (out for table in mapped.iter_batches(batch_size=None, batch_format="pyarrow")
                   for out in table.combine_chunks().to_batches())
        if not isinstance(fn, Columns):
            yield from outputs
            return
        for batch, out in zip(chunk, outputs, strict=True):  # one row per input row: one batch per batch
            yield fn.assemble(batch, out)

    def close(self) -> None:
        """Shut down the local Ray this executor started (never a cluster it joined)."""
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False
        if self._sigterm is not None:
            signal.signal(signal.SIGTERM, self._sigterm)
            self._sigterm = None


class _RayBatchFn:
    def __init__(self, fn: BatchFn):
        self.fn = fn

    def __call__(self, table: pa.Table) -> pa.Table:
        batch = table.combine_chunks().to_batches()
        if not batch:
            return table
        return pa.Table.from_batches([_run(self.fn, batch[0])])


class Background:
    """Runs a global step (an export that reads finished checkpoints) in a forked process while the build
    goes on, so a single-threaded step does not leave the other cores idle. `result()` waits for it and
    returns its value or raises its error. With `inline` (one worker: one core) it runs at once, here."""

    _started: list[Background] = []

    @classmethod
    def running(cls) -> int:
        """How many background steps are computing now."""
        cls._started = [job for job in cls._started if job.process.is_alive()]
        return len(cls._started)

    def __init__(self, fn: Callable, *args, inline: bool = False):
        self.seconds: float | None = None
        """How long the step ran (in its own process), once `result()` returned."""
        self.process = None
        if inline:
            self._receive = _Inline(fn, args)
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_background_main, args=(send, fn, args), daemon=True)
        with ctrl_c_held():
            self.process.start()
        send.close()
        Background._started.append(self)

    def result(self):
        try:
            ok, value, self.seconds = self._receive.recv()
        except EOFError:
            self.process.join()
            raise RuntimeError(f"a background step died (exit code {self.process.exitcode})") from None
        finally:
            self._receive.close()
        if self.process is not None:
            self.process.join()
        if ok:
            return value
        raise value

    def cancel(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()


class _Inline:
    """A step run at once, answering like the pipe of a background one."""

    def __init__(self, fn: Callable, args: tuple):
        import time

        started = time.perf_counter()
        try:
            self.message = (True, fn(*args), 0.0)
        except Exception as exc:
            self.message = (False, exc, 0.0)
        self.message = (*self.message[:2], time.perf_counter() - started)

    def recv(self):
        return self.message

    def close(self) -> None:
        pass


def _background_main(send, fn: Callable, args: tuple) -> None:
    import pickle
    import time
    import traceback

    _die_with_parent()
    started = time.perf_counter()
    try:
        value = fn(*args)
        send.send((True, value, time.perf_counter() - started))
    except BaseException as exc:  # hand every failure to the waiting build
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError("".join(traceback.format_exception(exc)))
        send.send((False, exc, time.perf_counter() - started))
    finally:
        send.close()


def make_executor(name: str, workers: int | None, address: str | None = None):
    if name == "ray":
        return RayExecutor(workers, address)
    return LocalExecutor(workers)
