"""Classification splits: stratified, deterministic, leak-free (issue #7).

Labels come from each source's `label_field` (the `label` column) or from the source `kind`. Classes
rarer than `min_count` are merged into `other` or dropped. Identical and near-identical texts (and,
by default, all windows of one document) land in one split, so no test text has a twin in train.
Global step: the labelled rows are held in memory, a list per column (the labelled subset, not the corpus).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field

from corpusctl.config import StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash

from .splits import SplitShares, leak_free_split, normalize_all

SPLITS = ("train", "validation", "test")
JSONL_NAMES = {"train": "train.jsonl", "validation": "dev.jsonl", "test": "test.jsonl"}
COLUMNS = ("id", "text", "title", "label", "label_name", "kind", "source")


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
    """Write `out_dir` (usually OUT/classification): a DatasetDict (train/validation/test), train/dev/test
    JSONL and labels.json, atomically. Returns manifest stats."""
    out_dir = Path(out_dir)
    read: dict[str, list[str]] = {c: [] for c in ("id", "text", "title", "kind", "source")}
    labels: list[str] = []
    skipped = rows_in = 0
    for row in rows:
        rows_in += 1
        label = label_of(row, config.label_from)
        if not label:
            skipped += 1
            continue
        for name, values in read.items():
            values.append(str(row.get(name) or ""))
        labels.append(label)
    final, rare_names = merge_rare(labels, config.min_count, config.rare, config.other_label)
    # the kept rows in id order: grouping and assignment must not depend on the input order
    kept = sorted((i for i, label in enumerate(final) if label is not None), key=read["id"].__getitem__)
    if not kept:
        raise CorpusctlError(
            f"classification export: no labelled rows ({rows_in} rows read, {skipped} without a label from "
            f"{config.label_from!r}, {len(labels) - len(kept)} in classes below min_count={config.min_count})"
        )
    table = {name: [values[i] for i in kept] for name, values in read.items()}  # one list per column, not a dict per row
    table["label_name"] = [final[i] for i in kept]
    del read
    names = sorted(set(table["label_name"]))
    index = {name: i for i, name in enumerate(names)}
    table["label"] = [index[name] for name in table["label_name"]]
    assignment, dedup = leak_free_split(
        table["id"],
        [f"{title}\n{text}" for title, text in zip(table["title"], table["text"], strict=True)],
        table["label_name"],
        config.split,
        seed,
        threshold=config.near_duplicate_threshold,
        ngram=config.ngram,
        links=[document_of(row_id) for row_id in table["id"]] if config.group_by_document else None,
    )
    by_split: dict[str, list[int]] = {name: [] for name in SPLITS}
    for i, split in enumerate(assignment):
        by_split[SPLITS[split]].append(i)
    ids = table["id"]
    for items in by_split.values():  # a seeded shuffle, independent of the input order
        items.sort(key=lambda i: (stable_hash(seed, "classification", ids[i]), ids[i]))

    split_labels = {name: [table["label_name"][i] for i in items] for name, items in by_split.items()}
    counts = {name: dict(sorted(Counter(items).items())) for name, items in split_labels.items()}
    labels_json = {
        "label_from": config.label_from,
        "names": names,
        "num_classes": len(names),
        "counts": counts,
        "rare_classes": rare_names,
        "rare_policy": config.rare,
    }
    _write(out_dir, {name: {c: [table[c][i] for i in items] for c in COLUMNS} for name, items in by_split.items()},
           names, labels_json)
    rare_set = set(rare_names)
    return {
        "rows_in": rows_in,
        "skipped_no_label": skipped,
        "rows_out": len(kept),
        "num_classes": len(names),
        "rare_classes": len(rare_names),
        "rare_policy": config.rare,
        "rare_rows": sum(1 for label in labels if label in rare_set),
        "rare_examples": rare_names[:20],
        "splits": {name: len(items) for name, items in by_split.items()},
        "label_counts": counts,
        "max_share_gap_points": share_gap(split_labels["train"], split_labels["test"]),
        "dedup": dedup,
        "leaks": count_leaks({name: [table["text"][i] for i in items] for name, items in by_split.items()}),
    }


def share_gap(a: list[str], b: list[str]) -> float:
    """The largest difference, in percentage points, of any label's share between two splits' labels."""
    if not a or not b:
        return 0.0
    ca, cb = Counter(a), Counter(b)
    return round(max(abs(ca[k] / len(a) - cb[k] / len(b)) * 100 for k in ca.keys() | cb.keys()), 3)


def count_leaks(texts: dict[str, list[str]]) -> int:
    """Validation/test texts identical (after normalisation) to a train text: 0 by construction."""
    train = set(normalize_all(texts["train"]))
    return sum(text in train for name in SPLITS[1:] for text in normalize_all(texts[name]))


def _write(out_dir: Path, by_split: dict[str, dict[str, list]], names: list[str], labels_json: dict) -> None:
    """`by_split`: per split, the COLUMNS as lists."""
    import datasets
    from datasets.table import InMemoryTable

    from .ner import replace_dir

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "title": datasets.Value("string"),
            "label": datasets.ClassLabel(names=names),
            "label_name": datasets.Value("string"),
            "kind": datasets.Value("string"),
            "source": datasets.Value("string"),
        }
    )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    splits = {}
    for name, columns in by_split.items():
        table = InMemoryTable.from_pydict(columns, schema=features.arrow_schema)
        # a fingerprint from the content (not a random one) keeps state.json identical across builds
        fingerprint = hashlib.sha256(json.dumps(columns, ensure_ascii=False).encode()).hexdigest()[:16]
        splits[name] = datasets.Dataset(table, info=datasets.DatasetInfo(features=features), split=name, fingerprint=fingerprint)
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # a library call should not draw progress bars on the user's terminal
    try:
        datasets.DatasetDict(splits).save_to_disk(str(temp))
    finally:
        if bars:
            datasets.enable_progress_bars()
    for name, columns in by_split.items():
        with (temp / JSONL_NAMES[name]).open("w", encoding="utf-8") as handle:
            for values in zip(*(columns[c] for c in COLUMNS), strict=True):
                handle.write(json.dumps(dict(zip(COLUMNS, values, strict=True)), ensure_ascii=False) + "\n")
    (temp / "labels.json").write_text(json.dumps(labels_json, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    replace_dir(temp, out_dir)
