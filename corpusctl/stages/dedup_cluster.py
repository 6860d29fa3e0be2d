"""Dedup's decisions computed on a Ray cluster (`Dedup.plan_on_cluster`): the same as `find_duplicates`.

The driver never holds per-document data, only what grows with the duplicates:
1. exact: every part's (hash, row, id) is hash-partitioned into buckets (a shuffle through the object store);
   a reducer per bucket sorts by (hash, row) and reports each later row of a hash with the id of its first.
2. near: every part's eligible rows (not an exact duplicate, with a signature) emit one record per LSH band
   (band, band key, row: 20 bytes), partitioned by band key; a reducer per bucket groups by (band, key) and
   forms every pair (a < b) of a group -- `bucket_pairs`, as the local path does -- cut by the part of a;
   a task per part joins a's signature and id (read from its part of the measured checkpoint), cut by the
   part of b; a task per part joins b's signature and keeps the pairs agreeing on >= threshold x num_perm
   values. Signatures never travel through the shuffle, only with the candidate pairs.
3. a worker runs the local greedy over the verified pairs, sorted by later row then earlier: drop j when j
   and its twin are both still kept (its memory: the pairs and the dropped rows, no per-document array).
   The decisions stay in the object store; the workers applying them get them from there.
A task on a worker submits all of this and waits for the decisions: the tables between the steps never reach
the driver, which holds one object reference.
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
    """A part's eligible rows (not in the `exact` duplicates, with a signature), one record per band:
    (band, key, row), in `buckets` tables by key. (No signature travels: 20 bytes per row and band.)"""
    from corpusctl.text.minhash import band_keys

    signatures, rows, _ids = _signatures(path, first_row, num_perm)
    exact_rows = np.concatenate([t.column("row").to_numpy() for t in exact] or [np.zeros(0, np.int64)])
    eligible = ~np.isin(rows, exact_rows) & ~(signatures == np.uint32(0xFFFFFFFF)).all(axis=1)
    signatures, rows = signatures[eligible], rows[eligible]
    keys = band_keys(signatures, bands, rows_per_band)  # bands x rows
    tables, bucket = [], []
    for band in range(bands):
        tables.append(pa.table({"band": pa.array(np.full(len(rows), band, np.int32)), "key": pa.array(keys[band]),
                                "row": pa.array(rows)}))
        bucket.append((keys[band] % np.uint64(buckets)).astype(np.int64))
    if not tables:
        empty = pa.table({"band": pa.array([], pa.int32()), "key": pa.array([], pa.uint64()),
                          "row": pa.array([], pa.int64())})
        return [empty] * buckets
    return _bucket_tables(pa.concat_tables(tables).combine_chunks(), np.concatenate(bucket), buckets)


def _signatures(path: str, first_row: int, num_perm: int) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    from corpusctl.text.minhash import signature_column

    table = _part(path, ["id", "_minhash"])
    n = table.num_rows
    signatures = signature_column(table.column("_minhash"), num_perm) if n else np.zeros((0, num_perm), np.uint32)
    ids = table.column("id").combine_chunks() if n else pa.array([], pa.string())
    return signatures, np.arange(first_row, first_row + n, dtype=np.int64), ids


def _by_part(a: np.ndarray, firsts: np.ndarray, table: pa.Table) -> list[pa.Table]:
    """A table of pairs cut by the part its rows `a` fall in (`firsts`: each part's first row)."""
    return _bucket_tables(table, np.searchsorted(firsts, a, side="right") - 1, len(firsts))


def near_reduce(firsts: np.ndarray, *tables: pa.Table) -> list[pa.Table]:
    """The candidate pairs (a < b) of rows sharing a (band, key), in one table per part of `a`."""
    from corpusctl.text.minhash import bucket_pairs

    tables = [t for t in tables if t.num_rows]
    if not tables:
        empty = pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64())})
        return _pad([empty] * len(firsts))
    table = pa.concat_tables(tables).combine_chunks()
    band = table.column("band").to_numpy().astype(np.uint64)
    key = table.column("key").to_numpy()
    _, group = np.unique(np.stack([band, key]), axis=1, return_inverse=True)  # a number per (band, key)
    rows = table.column("row").to_numpy()
    found_a, found_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for x, y in bucket_pairs(group.reshape(-1)):
        found_a.append(np.minimum(rows[x], rows[y]))
        found_b.append(np.maximum(rows[x], rows[y]))
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    pairs = np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.zeros((0, 2), np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    return _pad(_by_part(a, firsts, pa.table({"a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64())})))


def _pad(tables: list):
    return tables if len(tables) > 1 else tables[0]  # (one return value is not a list)


def near_join_a(path: str, first_row: int, num_perm: int, firsts: np.ndarray, *tables: pa.Table) -> list[pa.Table]:
    """The candidate pairs whose `a` is in this part, given a's signature and id; cut by the part of `b`."""
    signatures, _rows, ids = _signatures(path, first_row, num_perm)
    table = pa.concat_tables(tables).combine_chunks() if tables else None
    if table is None or not table.num_rows:
        empty = pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64()), "id": pa.array([], pa.string()),
                          "sig": pa.array([], pa.binary(4 * num_perm))})
        return _pad([empty] * len(firsts))
    local = table.column("a").to_numpy() - first_row
    sig = signatures[local].astype("<u4")
    column = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 * num_perm), len(local),
                                                  [None, pa.py_buffer(np.ascontiguousarray(sig).tobytes())])
    out = pa.table({"a": table.column("a"), "b": table.column("b"), "id": ids.take(pa.array(local, pa.int64())),
                    "sig": column})
    return _pad(_by_part(table.column("b").to_numpy(), firsts, out))


def near_verify_b(path: str, first_row: int, num_perm: int, need: float, *tables: pa.Table) -> pa.Table:
    """The candidate pairs whose `b` is in this part, kept when their signatures agree on >= `need` values:
    (a, b, id of a)."""
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64()), "id": pa.array([], pa.string())})
    signatures, _rows, _ids = _signatures(path, first_row, num_perm)
    table = pa.concat_tables(tables).combine_chunks()
    column = table.column("sig").chunk(0)
    sig_a = np.frombuffer(column.buffers()[1], "<u4")[
        column.offset * num_perm:(column.offset + len(column)) * num_perm].reshape(-1, num_perm)
    sig_b = signatures[table.column("b").to_numpy() - first_row]
    agree = np.count_nonzero(sig_a == sig_b, axis=1) >= need
    return table.select(["a", "b", "id"]).filter(pa.array(agree))


def _listed(refs) -> list:
    return refs if isinstance(refs, list) else [refs]


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


def plan_on_cluster(cluster, measured, config, lsh_bands):
    """`find_duplicates` over the measured checkpoint, computed by the cluster's workers (see the module):
    a reference to the decisions, which stay in the object store for the workers applying them.

    One task on a worker drives the shuffles, not the driver: the tables they pass are small objects, which
    Ray keeps in the memory of the process that submitted the tasks making them and copies into the tasks
    reading them; submitted by the driver, every shuffled byte would go through its sockets twice (14 MB for
    a 21 MB corpus, measured). The driver holds one object reference and the list of parts. `lsh_bands`:
    the local path's choice of (bands, rows per band) for a config, called there (datasketch imports scipy)."""
    return cluster.remote(_coordinate).remote(cluster.inputs(measured), config, lsh_bands)


def _coordinate(parts: list[tuple[str, int, int]], config, lsh_bands) -> dict[int, tuple[str, str]]:
    """The shuffles submitted from a worker, which waits for the decisions (Ray lends its CPU to the shuffle's
    tasks meanwhile)."""
    import ray

    from corpusctl.distributed import Cluster

    cluster = Cluster(ray, 1)
    bands = lsh_bands(config) if config.near else (0, 0)
    return cluster.get(_shuffle(cluster, parts, config, bands))


def _shuffle(cluster, parts: list[tuple[str, int, int]], config, lsh_bands: tuple[int, int]):
    """The tasks of the shuffles (see the module); a reference to the decisions."""
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
        bands, rows_per_band = lsh_bands
        firsts = np.array([first for _, first, _ in parts], np.int64)
        mapper = cluster.remote(near_map, num_returns=buckets)
        mapped = [mapper.remote(path, first, buckets, config.num_perm, bands, rows_per_band, *exact)
                  for path, first, _ in parts]
        reducer = cluster.remote(near_reduce, num_returns=len(parts))
        candidates = [_listed(reducer.remote(firsts, *[m[b] for m in mapped])) for b in range(buckets)]
        del mapped
        joiner = cluster.remote(near_join_a, num_returns=len(parts))
        joined = [_listed(joiner.remote(path, first, config.num_perm, firsts, *[c[p] for c in candidates]))
                  for p, (path, first, _) in enumerate(parts)]
        del candidates
        verifier = cluster.remote(near_verify_b)
        need = config.threshold * config.num_perm
        near = [verifier.remote(path, first, config.num_perm, need, *[j[p] for j in joined])
                for p, (path, first, _) in enumerate(parts)]
        del joined
    return cluster.remote(decide).remote(len(exact), *exact, *near)  # (a task failing fails the apply)
