"""Sharded `datasets` folders written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
from pydantic import field_validator

from corpusctl.config import Section, positive_size
from corpusctl.io.workdir import read_batches


class ShardsConfig(Section):
    """A required step: no `enabled` key (it cannot be switched off)."""

    max_shard_size: str | int = "64MB"

    _size = field_validator("max_shard_size")(positive_size)


def write_dataset(data: Path, out: Path, features, max_shard_size: int | None = None, split: str | None = None) -> dict:
    """Save an Arrow stream checkpoint as a `datasets` folder (the load_from_disk layout), sharded by size.

    Streams (`Dataset.save_to_disk` memory-maps the whole set and casts it first, which grows the process by
    the size of the set): a first pass measures the rows and bytes, which fixes the number of shards as
    `save_to_disk` does (size / max_shard_size, rows split evenly and contiguously); the second casts each
    batch to the features and appends it to its shard. The writer is `datasets`' own, so the schema
    metadata is what `load_from_disk` expects.
    """
    import math

    from datasets import DatasetInfo
    from datasets.arrow_writer import ArrowWriter
    from datasets.table import table_cast
    from datasets.utils.py_utils import asdict

    from corpusctl.manifest import sha256, sha256_text

    columns, schema = list(features), features.arrow_schema
    rows = nbytes = 0
    for batch in read_batches(data, SHARD_BATCH_ROWS):
        rows += batch.num_rows
        nbytes += table_cast(pa.Table.from_batches([batch]).select(columns), schema).nbytes
    shards = max(1, min(rows, math.ceil(nbytes / max_shard_size))) if max_shard_size else 1
    div, mod = divmod(rows, shards)
    ends = [(i + 1) * div + min(i + 1, mod) for i in range(shards)]
    names = [f"data-{i:05d}-of-{shards:05d}.arrow" for i in range(shards)]
    out.mkdir(parents=True, exist_ok=True)
    partial = [out / f"{name}.partial" for name in names]
    writer = None
    try:
        shard, written = 0, 0
        writer = ArrowWriter(features=features, path=str(partial[0]))
        for batch in read_batches(data, SHARD_BATCH_ROWS):
            # taken afresh: the same rows then have the same bytes whatever slices of earlier batches their
            # columns were (a checkpoint's batches differ between the local executor and a cluster's parts)
            table = pa.Table.from_batches([batch]).select(columns)
            table = table.take(pa.array(range(table.num_rows), pa.int64()))
            while table.num_rows:
                if written == ends[shard]:
                    writer.finalize()
                    writer.close()
                    shard += 1
                    writer = ArrowWriter(features=features, path=str(partial[shard]))
                take = min(table.num_rows, ends[shard] - written)
                writer.write_table(table.slice(0, take))
                table, written = table.slice(take), written + take
        writer.finalize()
        writer.close()
        for empty in partial[shard + 1:]:  # (only when there are no rows at all)
            ArrowWriter(features=features, path=str(empty)).finalize()
        for path, name in zip(partial, names):
            path.rename(out / name)
    except BaseException:  # a full disk or an interrupt: leave no partial shard behind, and no file open
        try:
            writer.stream.close()
        except Exception:  # (no writer yet, or the disk is full and closing fails too)
            pass
        for path in partial:
            path.unlink(missing_ok=True)
        raise
    # datasets fingerprints a file by its path and mtime; a fingerprint of the shards' content keeps
    # state.json byte-identical between identical builds.
    fingerprint = sha256_text("".join(sha256(out / name) for name in names))
    state = {"_data_files": [{"filename": name} for name in names], "_fingerprint": fingerprint[:16],
             "_format_columns": columns, "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False,
             "_split": split}
    (out / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    info = asdict(DatasetInfo(features=features))
    (out / "dataset_info.json").write_text(json.dumps({key: info[key] for key in sorted(info)}, indent=2),
                                           encoding="utf-8")
    return {"rows": rows, "shards": shards, "bytes": sum((out / name).stat().st_size for name in names)}


SHARD_BATCH_ROWS = 1000
"""Rows per record batch in the published shards (what `datasets` writes too)."""
