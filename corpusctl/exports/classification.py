"""Classification splits: stratified, deterministic, leak-free (issue #7).

Labels come from each source's `label_field` (the `label` column) or from the source `kind`. Classes
rarer than `min_count` are merged into `other` or dropped. Identical and near-identical texts (and,
by default, all windows of one document) land in one split, so no test text has a twin in train.
Global step: it streams the rows and keeps, per labelled row, its id, label and a sketch of its text (a
digest and a MinHash signature), plus the texts of candidate near duplicates while they are compared;
the splits are written through bucket files sorted one at a time. At most `max_documents` labelled rows are
kept (the smallest stable_hash(seed, "classification", id): a seeded sample independent of row order), so
its memory is bounded at any corpus size (issue 20).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from corpusctl.config import StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash
from corpusctl.stages.base import Output, register

from .splits import PERMUTATIONS, SplitShares, assign_splits, group_duplicates, normalize_all, sketch

SPLITS = ("train", "dev", "test")
"""One name for the held-out split everywhere (NER files, classification files, DatasetDict keys, manifest):
`dev`, as in the public Chinese NER corpora (Resume, CLUENER, People's Daily)."""
JSONL_NAMES = {name: f"{name}.jsonl" for name in SPLITS}


class ClassificationConfig(StageSection):
    split: SplitShares = (0.8, 0.1, 0.1)
    label_from: Literal["label_field", "kind"] = "label_field"
    min_count: int = Field(2, ge=1)
    rare: Literal["other", "drop"] = "other"
    other_label: str = "other"
    near_duplicate_threshold: float = Field(0.8, gt=0, le=1)
    """Character n-gram Jaccard at which two texts count as near-identical (1 = identical only)."""
    ngram: int = Field(5, ge=1)
    group_by_document: bool = True
    """Keep every example cut from one document (ids `doc#p0`, `doc#t1`, ...) in the same split."""
    max_documents: int | None = Field(500_000, ge=1)
    """Cap on the labelled documents exported: a seeded sample (bottom-k by hash of the id), which bounds the
    export's memory; null exports them all."""


def label_of(row: dict, label_from: str) -> str:
    value = row.get("label") if label_from == "label_field" else row.get("kind")
    return str(value or "").strip()


def document_of(row_id: str) -> str:
    """The document an example was cut from: the id before '#' (see the format stage's ids)."""
    return row_id.split("#", 1)[0]


def merge_rare(labels: list[str], min_count: int, rare: str, other: str) -> tuple[list[str | None], list[str]]:
    """Labels after merging (or dropping, as None) classes with fewer than `min_count` rows."""
    counts = Counter(labels)
    rare_names = sorted(name for name, n in counts.items() if n < min_count and name != other)
    rare_set = set(rare_names)
    replacement = other if rare == "other" else None
    return [replacement if label in rare_set else label for label in labels], rare_names


def export_classification(rows: Iterable[dict], out_dir: Path, config: ClassificationConfig, seed: int) -> dict:
    """Write `out_dir` (usually OUT/classification): a DatasetDict (train/dev/test), train/dev/test
    JSONL and labels.json, atomically. Returns manifest stats.

    `rows` is read up to three times (a list, or an iterable that restarts, such as `CheckpointRows`): once
    for labels and sketches, once for the texts of candidate near duplicates, once to write the splits.
    """
    out_dir = Path(out_dir)
    labelled = _label_and_sketch(rows, config, seed)
    final, rare_names = merge_rare(labelled.labels, config.min_count, config.rare, config.other_label)
    # the kept rows in id order: grouping and assignment must not depend on the input order
    kept = sorted((i for i, label in enumerate(final) if label is not None), key=labelled.ids.__getitem__)
    if not kept:
        raise CorpusctlError(
            f"classification export: no labelled rows ({labelled.rows_in} rows read, {labelled.skipped} without a "
            f"label from {config.label_from!r}, {len(final) - len(kept)} in classes below min_count={config.min_count})"
        )
    ids = [labelled.ids[i] for i in kept]
    label_names = [final[i] for i in kept]
    names = sorted(set(label_names))
    kept_positions = np.array(labelled.positions, np.int64)[kept]

    def forms_of(rows_wanted: np.ndarray) -> list[str]:
        wanted = kept_positions[rows_wanted]
        texts = _texts_at(rows, wanted)
        return normalize_all([texts[p] for p in wanted.tolist()])

    groups, dedup = group_duplicates(
        [labelled.digests[i] for i in kept], labelled.signatures[kept], forms_of,
        threshold=config.near_duplicate_threshold, ngram=config.ngram,
        links=[document_of(row_id) for row_id in ids] if config.group_by_document else None,
    )
    assignment = assign_splits(ids, label_names, groups, config.split, seed)
    split_labels = {name: [label for label, s in zip(label_names, assignment, strict=True) if s == i]
                    for i, name in enumerate(SPLITS)}
    counts = {name: dict(sorted(Counter(items).items())) for name, items in split_labels.items()}
    labels_json = {
        "label_from": config.label_from,
        "names": names,
        "num_classes": len(names),
        "counts": counts,
        "rare_classes": rare_names,
        "rare_policy": config.rare,
    }
    rows_to_write = {p: (s, label) for p, s, label in zip(kept_positions.tolist(), assignment, label_names, strict=True)}
    written = _write(out_dir, rows, seed, rows_to_write, names, labels_json, labelled.text_bytes)
    digests_by_split = {name: {labelled.digests[i] for i, s in zip(kept, assignment, strict=True) if s == k}
                        for k, name in enumerate(SPLITS)}
    rare_set = set(rare_names)
    return {
        "rows_in": labelled.rows_in,
        "skipped_no_label": labelled.skipped,
        "not_sampled": labelled.not_sampled,
        "rows_out": len(kept),
        "num_classes": len(names),
        "rare_classes": len(rare_names),
        "rare_policy": config.rare,
        "rare_rows": sum(1 for label in labelled.labels if label in rare_set),
        "rare_examples": rare_names[:20],
        "splits": written,
        "label_counts": counts,
        "max_share_gap_points": share_gap(split_labels["train"], split_labels["test"]),
        "dedup": dedup,
        # dev/test texts identical (after normalisation) to a train text: 0 by construction
        "leaks": sum(len(digests_by_split[name] & digests_by_split["train"]) for name in SPLITS[1:]),
    }


class CheckpointRows:
    """The rows of an Arrow stream file as dicts of some columns; iterating again reads the file again."""

    def __init__(self, path: Path, columns: list[str], batch_rows: int = 1024, counter=None):
        self.path, self.columns, self.batch_rows = path, columns, batch_rows
        self.counter = counter
        """Shared-memory value advanced by the rows read (progress of a step in another process)."""

    def __iter__(self):
        from corpusctl.io.workdir import read_batches

        for batch in read_batches(self.path, self.batch_rows):
            if self.counter is not None:
                self.counter.value += batch.num_rows
            yield from batch.select(self.columns).to_pylist()


class _Labelled(NamedTuple):
    """Per labelled row, only what the split needs: its id, label, place in `rows`, and text sketch."""

    rows_in: int
    skipped: int
    not_sampled: int
    ids: list[str]
    labels: list[str]
    positions: list[int]
    digests: list[bytes]
    signatures: np.ndarray
    text_bytes: int


class _Sample:
    """The labelled rows with the smallest (hash, position), at most `cap`, with their sketches: rows are
    sketched a chunk at a time, and trimmed back to `cap` whenever twice as many are held."""

    def __init__(self, cap: int | None):
        self.cap = cap
        self.bar = None
        """Once trimmed: the largest hash kept; a row hashing above it cannot enter."""
        self.keys: list[tuple[int, int]] = []
        self.ids, self.labels, self.digests, self.sizes = [], [], [], []
        self.chunks: list[np.ndarray] = [np.zeros((0, PERMUTATIONS // 2), np.uint32)]
        """The signatures, a chunk per `add` (joined when trimmed or read: joining per add copies quadratically)."""

    def add(self, keys, ids, labels, digests, signatures, sizes) -> None:
        self.keys += keys
        self.ids += ids
        self.labels += labels
        self.digests += digests
        self.sizes += sizes
        self.chunks.append(signatures)
        if self.cap is not None and len(self.keys) >= 2 * self.cap:
            self.trim()

    def trim(self) -> None:
        if self.cap is None or len(self.keys) <= self.cap:
            return
        keep = sorted(sorted(range(len(self.keys)), key=self.keys.__getitem__)[:self.cap])  # (in row order)
        self.keys, self.ids, self.labels, self.digests, self.sizes = (
            [values[i] for i in keep] for values in (self.keys, self.ids, self.labels, self.digests, self.sizes))
        self.chunks = [self.signatures()[keep]]
        self.bar = max(self.keys)[0]

    def signatures(self) -> np.ndarray:
        return np.concatenate(self.chunks)


def _label_and_sketch(rows: Iterable[dict], config: ClassificationConfig, seed: int, chunk: int = 2048) -> _Labelled:
    sample = _Sample(config.max_documents)
    keys, ids, labels, texts = [], [], [], []
    rows_in = skipped = 0

    def flush():
        found, sigs = sketch(texts, config.ngram, PERMUTATIONS // 2)  # documents: half the permutations
        sample.add(keys[:], ids[:], labels[:], found, sigs, [len(t.encode()) for t in texts])
        for pending in (keys, ids, labels, texts):
            pending.clear()

    for row in rows:
        rows_in += 1
        label = label_of(row, config.label_from)
        if not label:
            skipped += 1
            continue
        row_id = str(row.get("id") or "")
        order = stable_hash(seed, "classification", row_id)  # (also the order the splits are written in)
        if sample.bar is not None and order > sample.bar:
            continue
        keys.append((order, rows_in - 1))
        ids.append(row_id)
        labels.append(label)
        texts.append(_text(row))
        if len(texts) >= chunk:
            flush()
    flush()
    sample.trim()
    return _Labelled(rows_in, skipped, rows_in - skipped - len(sample.keys), sample.ids, sample.labels,
                     [position for _, position in sample.keys], sample.digests, sample.signatures(), sum(sample.sizes))


def _text(row: dict) -> str:
    return f"{row.get('title') or ''}\n{row.get('text') or ''}"


def _texts_at(rows: Iterable[dict], positions: np.ndarray) -> dict[int, str]:
    """The texts of the rows at these positions of `rows` (one more pass over the rows)."""
    wanted = set(positions.tolist())
    return {p: _text(row) for p, row in enumerate(rows) if p in wanted}


def share_gap(a: list[str], b: list[str]) -> float:
    """The largest difference, in percentage points, of any label's share between two splits' labels."""
    if not a or not b:
        return 0.0
    ca, cb = Counter(a), Counter(b)
    return round(max(abs(ca[k] / len(a) - cb[k] / len(b)) * 100 for k in ca.keys() | cb.keys()), 3)


BUCKET_BYTES = 32 * 2**20
"""About how much of a split is sorted in memory at once when the export writes it."""


def _write(out_dir: Path, rows: Iterable[dict], seed: int, rows_to_write: dict[int, tuple[int, str]], names: list[str],
           labels_json: dict, text_bytes: int) -> dict[str, int]:
    """Write every split in a seeded shuffle order (by stable_hash(seed, "classification", id), then id),
    independent of the input order, without holding a split in memory: rows go to bucket files by the top
    bits of their hash (one pass), then each bucket is sorted and appended. `rows_to_write`: position in
    `rows` -> (split, label name). Returns the rows per split."""
    import datasets

    from corpusctl.io.shards import write_dataset
    from corpusctl.io.workdir import ArrowStreamWriter, read_batches

    from .ner import replace_dir

    features = datasets.Features({
        "id": datasets.Value("string"), "text": datasets.Value("string"), "title": datasets.Value("string"),
        "label": datasets.ClassLabel(names=names), "label_name": datasets.Value("string"),
        "kind": datasets.Value("string"), "source": datasets.Value("string"),
    })
    label_index = {name: i for i, name in enumerate(names)}
    schema = pa.schema([*features.arrow_schema, pa.field("_order", pa.uint64())])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    (temp / "_buckets").mkdir(parents=True)
    bits = max(0, math.ceil(math.log2(max(text_bytes, 1) / BUCKET_BYTES)))
    writers = {(s, b): ArrowStreamWriter(temp / "_buckets" / f"{s}-{b}.arrow") for s in range(3) for b in range(2**bits)}
    pending: dict[tuple[int, int], list[dict]] = {key: [] for key in writers}

    def flush(key):
        if pending[key]:
            writers[key].write(pa.RecordBatch.from_pylist(pending[key], schema=schema))
            pending[key].clear()

    for position, row in enumerate(rows):
        if position not in rows_to_write:
            continue
        split, name = rows_to_write[position]
        order = stable_hash(seed, "classification", str(row.get("id") or ""))
        key = (split, order >> (64 - bits) if bits else 0)
        pending[key].append({"id": str(row.get("id") or ""), "text": str(row.get("text") or ""),
                             "title": str(row.get("title") or ""), "label": label_index[name], "label_name": name,
                             "kind": str(row.get("kind") or ""), "source": str(row.get("source") or ""),
                             "_order": order})
        if len(pending[key]) >= 1024:
            flush(key)
    for key, writer in writers.items():
        flush(key)
        writer.close(schema)
    written = {}
    for s, name in enumerate(SPLITS):
        ordered = ArrowStreamWriter(temp / "_buckets" / f"{name}.arrow")
        with (temp / JSONL_NAMES[name]).open("w", encoding="utf-8") as handle:
            for b in range(2**bits):
                batches = list(read_batches(temp / "_buckets" / f"{s}-{b}.arrow", 1 << 16))
                table = pa.Table.from_batches(batches, schema=schema)
                table = table.take(pc.sort_indices(table, [("_order", "ascending"), ("id", "ascending")]))
                for batch in table.drop_columns(["_order"]).to_batches(max_chunksize=1024):
                    ordered.write(batch)
                    handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in batch.to_pylist())
                del batches, table
        ordered.close(features.arrow_schema)
        written[name] = write_dataset(ordered.path, temp / name, features, split=name)["rows"]
    (temp / "dataset_dict.json").write_text(json.dumps({"splits": list(SPLITS)}), encoding="utf-8")
    shutil.rmtree(temp / "_buckets")
    (temp / "labels.json").write_text(json.dumps(labels_json, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    replace_dir(temp, out_dir)
    return written


@register
class ClassificationExport(Output):
    """classification/: leak-free splits of the labelled documents, written in the background."""

    name = "classification-export"
    section = "classification"
    input = "ontology"
    background = True
    label = "classification export"
    manifest_key = "classification"

    def settings(self) -> list:
        return [*super().settings(), self.recipe.seed]

    def write(self, ctx, source, out: Path, counter=None) -> dict:
        """`counter` counts rows read over the export's passes (up to 3, so no total)."""
        rows = CheckpointRows(source.data, ["id", "title", "text", "label", "kind", "source"], counter=counter)
        return export_classification(rows, out / "classification", self.settings_section, self.recipe.seed)
