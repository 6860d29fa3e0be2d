"""Executors: same output for any number of workers and for Ray; fixed batch boundaries."""


import pyarrow as pa
import pytest

from corpusctl.executor import LocalExecutor
from corpusctl.io.workdir import ArrowStreamWriter, read_batches


def double(batch: dict) -> dict:
    return {"id": batch["id"], "text": [t * 2 for t in batch["text"]], "_events": [["x"]] * len(batch["id"])}


def batches(n: int, size: int):
    for start in range(0, n, size):
        ids = [str(i) for i in range(start, min(n, start + size))]
        yield pa.RecordBatch.from_pydict({"id": ids, "text": [f"字{i}" for i in ids]})


def collect(executor) -> pa.Table:
    return pa.Table.from_batches(list(executor.map(double, batches(1000, 64))))


def test_workers_do_not_change_output():
    one = collect(LocalExecutor(1))
    two = collect(LocalExecutor(2))
    assert one.equals(two)
    assert one.column("text").to_pylist()[5] == "字5字5"




def slow_double(batch: dict) -> dict:
    import time

    time.sleep(0.05)
    return double(batch)


def test_a_stopped_map_lets_its_helpers_finish_instead_of_killing_them(monkeypatch):
    """Ctrl-C (or an error) while batches are out: Pool.terminate would kill helpers that may be sending a
    result, and one killed holding the results queue's lock hangs terminate for ever (issue 21, a rare Ctrl-C
    hang). The helpers finish what they were sent and exit on their own (exit code 0, not SIGTERM's)."""
    import multiprocessing.pool

    pools = []
    started, terminate = multiprocessing.pool.Pool.__init__, multiprocessing.pool.Pool.terminate

    def after_exit(self):
        assert all(helper.exitcode is not None for helper in self._pool), "helpers killed while they worked"
        terminate(self)

    monkeypatch.setattr(multiprocessing.pool.Pool, "terminate", after_exit)

    def remember(self, *args, **kwargs):
        started(self, *args, **kwargs)
        pools.append(self)

    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__", remember)
    results = LocalExecutor(2).map(slow_double, batches(1000, 16))
    next(results), next(results)  # the first batch runs here, the second in a helper; more are out
    with pytest.raises(KeyboardInterrupt):
        results.throw(KeyboardInterrupt)
    helpers = pools[0]._pool
    assert helpers and all(helper.exitcode == 0 for helper in helpers), [h.exitcode for h in helpers]


def test_a_slice_goes_to_a_helper_without_the_rest_of_its_batch(tmp_path):
    """read_batches cuts a checkpoint's batches into slices; a slice pickled as it is carries all of its parent's
    buffers through the pipe (issue 21: 9 MB for a 1 MB batch)."""
    from multiprocessing.reduction import ForkingPickler

    from corpusctl.executor import Columns, _send

    writer = ArrowStreamWriter(tmp_path / "d.arrow")
    writer.write(pa.RecordBatch.from_pydict({"id": [str(i) for i in range(4096)],
                                             "text": ["字" * 200 + str(i) for i in range(4096)],
                                             "words": [[{"start": 0, "end": 2}] * 50] * 4096}))
    writer.close()
    part = next(read_batches(tmp_path / "d.arrow", 256))
    assert part.num_rows == 256 and part.get_total_buffer_size() > 10 * part.nbytes  # a slice of the 4096 rows
    for fn in (double, Columns(double, ["id", "text"], ["text"], None)):
        sent = _send(fn, part)
        assert sent.equals(part.select(sent.schema.names))
        assert len(ForkingPickler.dumps(sent)) < 2 * part.nbytes
    assert collect_slices(LocalExecutor(2), tmp_path / "d.arrow").equals(collect_slices(LocalExecutor(1), tmp_path / "d.arrow"))


def collect_slices(executor, path) -> pa.Table:
    return pa.Table.from_batches(list(executor.map(double, read_batches(path, 256, columns=["id", "text"]))))


def test_read_batches_rechunks_to_fixed_size(tmp_path):
    writer = ArrowStreamWriter(tmp_path / "d.arrow")
    for batch in batches(1000, 37):
        writer.write(batch)
    writer.close()
    sizes = [b.num_rows for b in read_batches(tmp_path / "d.arrow", 100)]
    assert sizes == [100] * 10
    ids = [i for b in read_batches(tmp_path / "d.arrow", 128) for i in b.column("id").to_pylist()]
    assert ids == [str(i) for i in range(1000)]


def collector_state(batch: dict) -> dict:
    import gc

    return {"id": batch["id"], "text": [str(gc.isenabled())] * len(batch["id"])}


def test_batch_functions_run_with_the_cyclic_collector_paused_in_every_worker():
    """Reference counting frees what a batch function makes; the cyclic collector, started by its many
    allocations, would only walk the live objects again and again (issue 21). It runs again after."""
    import gc

    for workers in (1, 2):
        table = pa.Table.from_batches(list(LocalExecutor(workers).map(collector_state, batches(300, 64))))
        assert set(table.column("text").to_pylist()) == {"False"}, workers
        assert gc.isenabled()


def pid_of(batch: dict) -> dict:
    import os

    return {"id": batch["id"], "text": [str(os.getpid())] * len(batch["id"])}


def test_a_running_background_step_takes_a_core_from_the_pool():
    import os

    from corpusctl.executor import Background

    read, write = os.pipe()
    job = Background(os.read, read, 1)  # computes (here: waits) until released
    try:
        assert Background.running() == 1
        pids = set(collect_pids())
        assert pids == {str(os.getpid())}  # 2 workers, 1 core free: every batch here, no pool
    finally:
        os.write(write, b"x")
    assert job.result() == b"x" and Background.running() == 0
    pids = collect_pids()
    assert pids[0] == str(os.getpid()) and str(os.getpid()) not in pids[64:]  # the pool again (first batch here)


def collect_pids() -> list[str]:
    table = pa.Table.from_batches(list(LocalExecutor(2).map(pid_of, batches(1000, 64))))
    return table.column("text").to_pylist()
