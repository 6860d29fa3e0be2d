"""Dedup's decisions computed on a Ray cluster (`Dedup.plan_on_cluster`): the same as `find_duplicates`.

The driver never holds per-document data, only what grows with the duplicates:
1. exact: every part's (hash, row, id) is hash-partitioned into buckets (a shuffle through the object store);
   a reducer per bucket sorts by (hash, row) and reports each later row of a hash with the id of its first.
2. near: every part's eligible rows (not an exact duplicate, with a signature) emit one record per LSH band
   (band, band key, row, id, signature), partitioned by band key; a reducer per bucket groups by
   (band, key), forms every pair (a < b) of a group -- `bucket_pairs`, as the local path does -- and keeps
   those whose signatures agree on >= threshold x num_perm values (the verification runs on the workers).
3. a worker runs the local greedy over the verified pairs, sorted by later row then earlier: drop j when j
   and its twin are both still kept (its memory: the pairs and the dropped rows, no per-document array).
   The decisions stay in the object store; the workers applying them get them from there. The driver holds
   object references only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa


def _part(path: str, columns: list[str]) -> pa.Table:
    from corpusctl.io.workdir import read_batches

    batches = [batch.select(columns) for batch in read_batches(Path(path), 8192)]
    if not batches:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    return pa.Table.from_batches(batches).combine_chunks()


def _bucket_tables(table: pa.Table, bucket: np.ndarray, buckets: int) -> list[pa.Table]:
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(buckets + 1))
    taken = table.take(pa.array(order, pa.int64())) if len(order) else table
    return [taken.slice(int(bounds[b]), int(bounds[b + 1] - bounds[b])) for b in range(buckets)]


def exact_map(path: str, first_row: int, buckets: int) -> list[pa.Table]:
    """A part's (hash, row, id), in `buckets` tables by hash."""
    table = _part(path, ["id", "_exact"])
    keys = table.column("_exact").to_pylist() if table.num_rows else []
    rows = np.arange(first_row, first_row + len(keys), dtype=np.int64)
    has = np.array([bool(k) for k in keys], bool)
    bucket = np.array([int(k[:8], 16) % buckets for k, h in zip(keys, has) if h], np.int64)
    out = pa.table({"key": pa.array([k for k, h in zip(keys, has) if h], pa.string()),
                    "row": pa.array(rows[has], pa.int64()),
                    "id": table.column("id").filter(pa.array(has)) if len(keys) else pa.array([], pa.string())})
    return _bucket_tables(out, bucket, buckets)


def exact_reduce(*tables: pa.Table) -> pa.Table:
    """Every later row of a hash with the id of the hash's first row."""
    table = pa.concat_tables(tables).sort_by([("key", "ascending"), ("row", "ascending")])
    if not table.num_rows:
        return pa.table({"row": pa.array([], pa.int64()), "twin": pa.array([], pa.string())})
    keys = table.column("key").to_numpy(zero_copy_only=False)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    later = ~starts
    ids = table.column("id")
    return pa.table({"row": table.column("row").filter(pa.array(later)),
                     "twin": ids.take(pa.array(first[later], pa.int64()))})


def near_map(path: str, first_row: int, buckets: int, num_perm: int, bands: int, rows_per_band: int,
             *exact: pa.Table) -> list[pa.Table]:
    """A part's eligible rows (not in the `exact` duplicates), one record per band: (band, key, row, id,
    signature), in tables by key."""
    from corpusctl.exports.splits import band_keys
    from corpusctl.stages.dedup import _MAX32, signature_column

    table = _part(path, ["id", "_minhash"])
    n = table.num_rows
    exact_rows = np.concatenate([t.column("row").to_numpy() for t in exact] or [np.zeros(0, np.int64)])
    if n:
        signatures = signature_column(table.column("_minhash"), num_perm)
    else:
        signatures = np.zeros((0, num_perm), np.uint32)
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    eligible = ~np.isin(rows, exact_rows) & ~(signatures == _MAX32).all(axis=1)
    signatures, rows = signatures[eligible], rows[eligible]
    ids = table.column("id").filter(pa.array(eligible)) if n else pa.array([], pa.string())
    keys = band_keys(signatures, bands, rows_per_band)  # bands x rows
    count = len(rows)
    sig = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 * num_perm), count,
                                               [None, pa.py_buffer(np.ascontiguousarray(signatures, "<u4").tobytes())])
    tables, bucket = [], []
    for band in range(bands):
        tables.append(pa.table({"band": pa.array(np.full(count, band, np.int32)), "key": pa.array(keys[band]),
                                "row": pa.array(rows), "id": ids, "sig": sig}))
        bucket.append((keys[band] % np.uint64(buckets)).astype(np.int64))
    if not tables:
        return [pa.table({"band": pa.array([], pa.int32())})] * buckets
    return _bucket_tables(pa.concat_tables(tables).combine_chunks(), np.concatenate(bucket), buckets)


def near_reduce(need: float, num_perm: int, *tables: pa.Table) -> pa.Table:
    """The pairs (a < b) sharing a (band, key) whose signatures agree on >= `need` values: (a, b, id of a)."""
    from corpusctl.exports.splits import bucket_pairs

    tables = [t for t in tables if t.num_rows]
    empty = pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64()), "id": pa.array([], pa.string())})
    if not tables:
        return empty
    table = pa.concat_tables(tables).combine_chunks()
    band = table.column("band").to_numpy()
    key = table.column("key").to_numpy()
    # a group number per (band, key): equal numbers exactly for equal pairs
    _, group = np.unique(np.stack([band.astype(np.uint64), key]), axis=1, return_inverse=True)
    group = group.reshape(-1)
    rows = table.column("row").to_numpy()
    sig_column = table.column("sig").chunk(0)
    signatures = np.frombuffer(sig_column.buffers()[1], "<u4")[
        sig_column.offset * num_perm:(sig_column.offset + len(sig_column)) * num_perm].reshape(-1, num_perm)
    found_a, found_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for pa_, pb_ in bucket_pairs(group):
        for lo in range(0, len(pa_), 1 << 14):
            a, b = pa_[lo:lo + (1 << 14)], pb_[lo:lo + (1 << 14)]
            agree = np.count_nonzero(signatures[a] == signatures[b], axis=1) >= need
            found_a.append(a[agree])
            found_b.append(b[agree])
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    swap = rows[a] > rows[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    return pa.table({"a": pa.array(rows[a], pa.int64()), "b": pa.array(rows[b], pa.int64()),
                     "id": table.column("id").take(pa.array(a, pa.int64()))})


def decide(exact_count: int, *tables: pa.Table) -> dict[int, tuple[str, str]]:
    """The decisions from the exact reducers' duplicates (the first `exact_count` tables) and the near
    reducers' verified pairs: the local greedy, by later row then earliest twin; drop j when j and its twin
    are both still kept. Runs on a worker; its memory grows with the duplicates, not the documents."""
    found: dict[int, tuple[str, str]] = {}
    for table in tables[:exact_count]:
        for row, twin in zip(table.column("row").to_pylist(), table.column("twin").to_pylist(), strict=True):
            found[row] = ("exact_duplicate", twin)
    pairs: dict[tuple[int, int], str] = {}  # (later, earlier) -> id of the earlier
    for table in tables[exact_count:]:
        for a, later, twin in zip(table.column("a").to_pylist(), table.column("b").to_pylist(),
                                  table.column("id").to_pylist(), strict=True):
            pairs[(later, a)] = twin
    dropped: set[int] = set()
    for j, i in sorted(pairs):
        if j not in dropped and i not in dropped:
            dropped.add(j)
            found[j] = ("near_duplicate", pairs[(j, i)])
    return dict(sorted(found.items()))


def plan_on_cluster(cluster, measured, config):
    """`find_duplicates` over the measured checkpoint, computed by the cluster's workers (see the module):
    a reference to the decisions, which stay in the object store for the workers applying them (the driver
    holds only object references and the list of parts)."""
    from corpusctl.stages.dedup import lsh_bands

    parts = cluster.inputs(measured)
    buckets = max(2, min(len(parts), 4 * cluster.cpus()))
    exact: list = []
    if config.exact:
        mapper = cluster.remote(exact_map, num_returns=buckets)
        mapped = [mapper.remote(path, first, buckets) for path, first, _ in parts]
        reducer = cluster.remote(exact_reduce)
        exact = [reducer.remote(*[m[b] for m in mapped]) for b in range(buckets)]
        del mapped
    near: list = []
    if config.near:
        bands, rows_per_band = lsh_bands(config)
        mapper = cluster.remote(near_map, num_returns=buckets)
        mapped = [mapper.remote(path, first, buckets, config.num_perm, bands, rows_per_band, *exact)
                  for path, first, _ in parts]
        reducer = cluster.remote(near_reduce)
        need = config.threshold * config.num_perm
        near = [reducer.remote(need, config.num_perm, *[m[b] for m in mapped]) for b in range(buckets)]
        del mapped
    return cluster.remote(decide).remote(len(exact), *exact, *near)  # (a task failing fails the apply)
