"""Executors run a stage's batch function over Arrow record batches.

The local executor keeps a bounded number of batches in flight (memory stays flat) and returns results
in input order, so the output is identical for any number of workers. The Ray executor runs the same
function as Ray Data `map_batches`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import pyarrow as pa

from corpusctl.io.columns import to_record_batch

BatchFn = Callable[[dict], dict]

_worker_fn: BatchFn | None = None


def apply(fn: BatchFn, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Run a batch function on an Arrow batch and type its output with the registered column types."""
    out = fn(batch.to_pydict())
    return to_record_batch(out)


def _init_worker(fn: BatchFn) -> None:
    global _worker_fn
    _worker_fn = fn


def _run_in_worker(batch: pa.RecordBatch) -> pa.RecordBatch:
    assert _worker_fn is not None
    return apply(_worker_fn, batch)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class LocalExecutor:
    """Runs batches inline (1 worker) or in a forked process pool, in order, a few batches ahead."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()

    def map(self, fn: BatchFn, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        if self.workers <= 1:
            for batch in batches:
                yield apply(fn, batch)
            return
        context = multiprocessing.get_context("fork")
        with context.Pool(self.workers, initializer=_init_worker, initargs=(fn,)) as pool:
            pending: deque = deque()
            for batch in batches:
                pending.append(pool.apply_async(_run_in_worker, (batch,)))
                if len(pending) >= 2 * self.workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

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
        self.ray = ray
        self.workers = workers or default_workers()
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False

    def map(self, fn: BatchFn, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ray = self.ray
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
        tables = [pa.Table.from_batches([batch]) for batch in chunk]
        dataset = ray.data.from_arrow(tables)
        mapped = dataset.map_batches(
            _RayBatchFn(fn), batch_format="pyarrow", batch_size=None, zero_copy_batch=True
        )
        for table in mapped.iter_batches(batch_size=None, batch_format="pyarrow"):
            yield from table.to_batches()

    def close(self) -> None:
        pass


class _RayBatchFn:
    def __init__(self, fn: BatchFn):
        self.fn = fn

    def __call__(self, table: pa.Table) -> pa.Table:
        batch = table.combine_chunks().to_batches()
        if not batch:
            return table
        return pa.Table.from_batches([apply(self.fn, batch[0])])


def make_executor(name: str, workers: int | None, address: str | None = None):
    if name == "ray":
        return RayExecutor(workers, address)
    return LocalExecutor(workers)
