"""Classification export: 1,000 classes, stratified and leak-free splits, rare classes, DatasetDict."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict

import pytest

from corpusctl.errors import CorpusctlError
from corpusctl.exports.classification import ClassificationConfig, export_classification, share_gap
from corpusctl.exports.splits import duplicate_groups, normalize

HANZI = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]


def random_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HANZI) for _ in range(n))


def make_rows(n_classes: int, per_class: int, seed: int = 0) -> list[dict]:
    """Rows with exact and near duplicates (`twin_of` names the original) and multi-window documents."""
    rng = random.Random(seed)
    base = []
    for c in range(n_classes):
        for k in range(per_class):
            base.append({"id": f"src:{c}:{k}#p0", "title": f"标题{k}", "text": random_text(rng, rng.randint(80, 200)), "label": f"类{c:04d}", "kind": "news", "source": "src"})
    extra = []
    for i in range(0, len(base), 25):  # exact duplicates under another id, punctuation added
        extra.append(dict(base[i], id=f"dup:{i}", text=base[i]["text"] + "。", twin_of=base[i]["id"]))
    for i in range(3, len(base), 31):  # near duplicates: one character changed
        text = base[i]["text"]
        extra.append(dict(base[i], id=f"near:{i}", text=text[:50] + "乙" + text[51:], twin_of=base[i]["id"]))
    for i in range(7, len(base), 40):  # a second window of the same document
        extra.append(dict(base[i], id=base[i]["id"].replace("#p0", "#p1"), text=random_text(rng, 60), twin_of=base[i]["id"]))
    return base + extra


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def thousand(tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "classification"
    rows = make_rows(1000, 12)
    stats = export_classification(rows, out, ClassificationConfig(), seed=42)
    return out, stats, rows


def test_thousand_classes_stratified_and_leak_free(thousand):
    import datasets

    out, stats, rows = thousand
    assert stats["num_classes"] == 1000 and stats["rows_out"] == len(rows)
    data = datasets.load_from_disk(str(out))
    assert isinstance(data, datasets.DatasetDict) and list(data) == ["train", "dev", "test"]
    assert data["train"].features["label"].num_classes == 1000
    assert set(data["train"].column_names) == {"id", "text", "title", "label", "label_name", "kind", "source"}
    total = sum(len(d) for d in data.values())
    for name, share in (("train", 0.8), ("dev", 0.1), ("test", 0.1)):
        assert abs(len(data[name]) / total - share) < 0.01
    # every label's share within 5 points between train and test (in fact far closer)
    train, test = Counter(data["train"]["label_name"]), Counter(data["test"]["label_name"])
    gap = max(abs(train[k] / len(data["train"]) - test[k] / len(data["test"])) for k in train.keys() | test.keys())
    assert gap * 100 < 5 and stats["max_share_gap_points"] == round(gap * 100, 3)
    assert len(test) > 900  # stratified: nearly every class reaches the test split
    # no shared (normalised) text between splits, near duplicates and document windows kept together
    texts = {name: {normalize(t) for t in data[name]["text"]} for name in data}
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["dev"] and not texts["dev"] & texts["test"]
    split_of = {r: name for name in data for r in data[name]["id"]}
    twins = [row for row in rows if "twin_of" in row]
    assert len(twins) > 1000 and all(split_of[row["id"]] == split_of[row["twin_of"]] for row in twins)
    documents = defaultdict(set)
    for row_id, name in split_of.items():
        documents[row_id.split("#")[0]].add(name)
    assert all(len(names) == 1 for names in documents.values())
    assert stats["dedup"]["exact_duplicates"] > 0 and stats["dedup"]["near_duplicate_merges"] > 0
    assert stats["dedup"]["linked_merges"] > 0 and stats["leaks"] == 0


def test_jsonl_and_labels_match_the_dataset(thousand):
    import datasets

    out, _, _ = thousand
    data = datasets.load_from_disk(str(out))
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    assert labels["names"] == data["train"].features["label"].names and labels["num_classes"] == 1000
    for name, file in (("train", "train.jsonl"), ("dev", "dev.jsonl"), ("test", "test.jsonl")):
        records = read_jsonl(out / file)
        assert [r["id"] for r in records] == data[name]["id"]
        assert all(labels["names"][r["label"]] == r["label_name"] for r in records)
        assert sum(labels["counts"][name].values()) == len(records)


def test_stratified_on_imbalanced_classes(tmp_path):
    rng = random.Random(3)
    rows = [{"id": f"r{i}", "title": "", "text": random_text(rng, 50), "label": label, "kind": "qa", "source": "s"}
            for i, label in enumerate(["a"] * 700 + ["b"] * 200 + ["c"] * 80 + ["d"] * 20)]
    out = tmp_path / "classification"
    stats = export_classification(rows, out, ClassificationConfig(), seed=1)
    train, test = read_jsonl(out / "train.jsonl"), read_jsonl(out / "test.jsonl")
    assert share_gap([r["label_name"] for r in train], [r["label_name"] for r in test]) < 1.0 and stats["max_share_gap_points"] < 1.0
    assert Counter(r["label_name"] for r in test) == {"a": 70, "b": 20, "c": 8, "d": 2}


def test_rare_classes_merge_into_other_or_drop_and_kind_labels(tmp_path):
    rng = random.Random(5)
    rows = [{"id": f"r{i}", "title": "", "text": random_text(rng, 40), "label": f"L{i % 4}" if i < 40 else f"rare{i}", "kind": "sop" if i % 2 else "news", "source": "s"}
            for i in range(43)]
    rows.append({"id": "nolabel", "title": "", "text": random_text(rng, 40), "label": "", "kind": "news", "source": "s"})
    merged = export_classification(rows, tmp_path / "a", ClassificationConfig(min_count=5), seed=1)
    assert merged["rare_classes"] == 3 and merged["skipped_no_label"] == 1 and merged["rows_out"] == 43
    assert json.loads((tmp_path / "a" / "labels.json").read_text(encoding="utf-8"))["names"] == ["L0", "L1", "L2", "L3", "other"]
    dropped = export_classification(rows, tmp_path / "b", ClassificationConfig(min_count=5, rare="drop"), seed=1)
    assert dropped["rows_out"] == 40 and dropped["num_classes"] == 4 and dropped["rare_rows"] == 3
    kinds = export_classification(rows, tmp_path / "c", ClassificationConfig(label_from="kind"), seed=1)
    assert kinds["num_classes"] == 2 and kinds["rows_out"] == 44
    with pytest.raises(CorpusctlError, match="no labelled rows"):
        export_classification([rows[-1]], tmp_path / "d", ClassificationConfig(), seed=1)
    with pytest.raises(ValueError, match="sum to 1"):
        ClassificationConfig(split=(0.5, 0.1, 0.1))


def test_deterministic_and_independent_of_row_order(tmp_path):
    rows = make_rows(50, 10, seed=2)
    export_classification(rows, tmp_path / "a", ClassificationConfig(), seed=9)
    export_classification(list(reversed(rows)), tmp_path / "b", ClassificationConfig(), seed=9)
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl", "labels.json", "dataset_dict.json", "train/state.json", "test/data-00000-of-00001.arrow"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    export_classification(rows, tmp_path / "c", ClassificationConfig(), seed=10)
    assert (tmp_path / "c" / "test.jsonl").read_bytes() != (tmp_path / "a" / "test.jsonl").read_bytes()
    # the export replaces an existing folder atomically and leaves no temp folder behind
    export_classification(rows, tmp_path / "a", ClassificationConfig(), seed=9)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]


def test_near_duplicate_methods_agree():
    rng = random.Random(1)
    texts = [random_text(rng, 60) for _ in range(300)]
    texts += [t[:30] + "丙" + t[31:] for t in texts[:100]]
    exact, _ = duplicate_groups(texts, threshold=0.8, ngram=3, method="exact")
    minhash, _ = duplicate_groups(texts, threshold=0.8, ngram=3, method="minhash")
    assert exact == minhash
    assert sum(1 for i, g in enumerate(exact) if g != i) == 100


def test_bucketed_write_equals_one_bucket_and_rows_are_read_again_from_a_checkpoint(tmp_path, monkeypatch):
    """Large splits are written through bucket files sorted one at a time: the files are the same as when a
    split is sorted at once. Rows may come from an Arrow checkpoint, which the export reads several times."""
    import pyarrow as pa

    from corpusctl.exports import classification
    from corpusctl.exports.classification import CheckpointRows

    rows = make_rows(40, 10, seed=4)
    export_classification(rows, tmp_path / "one", ClassificationConfig(), seed=3)
    path = tmp_path / "rows.arrow"
    columns = ["id", "title", "text", "label", "kind", "source"]
    with pa.ipc.new_stream(str(path), pa.schema([(c, pa.string()) for c in columns])) as writer:
        writer.write_table(pa.Table.from_pylist([{c: r[c] for c in columns} for r in rows]))
    monkeypatch.setattr(classification, "BUCKET_BYTES", 2_000)  # dozens of buckets
    export_classification(CheckpointRows(path, columns), tmp_path / "many", ClassificationConfig(), seed=3)
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl", "labels.json", "dev/state.json",
                 "train/data-00000-of-00001.arrow"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "many" / name).read_bytes(), name
    assert not list((tmp_path / "many").glob("_buckets"))


def test_max_documents_exports_the_smallest_hashes_whatever_the_row_order(tmp_path, monkeypatch):
    """A cap keeps the labelled rows with the smallest stable_hash(seed, 'classification', id), holds at
    most twice the cap plus a sketching chunk at any time, and leaves the export as it was when it is not
    reached."""
    from corpusctl.exports import classification
    from corpusctl.stages import stable_hash

    rows = make_rows(20, 300, seed=4)
    held = []
    add = classification._Sample.add

    def watched(self, *args):
        add(self, *args)
        held.append(len(self.keys))

    monkeypatch.setattr(classification._Sample, "add", watched)
    stats = export_classification(rows, tmp_path / "cap", ClassificationConfig(max_documents=700), seed=3)
    written = {r["id"] for name in ("train", "dev", "test") for r in read_jsonl(tmp_path / "cap" / f"{name}.jsonl")}
    ranked = sorted(range(len(rows)), key=lambda i: (stable_hash(3, "classification", rows[i]["id"]), i))
    assert written == {rows[i]["id"] for i in ranked[:700]}
    assert stats["rows_out"] == 700 and stats["not_sampled"] == len(rows) - 700 and stats["leaks"] == 0
    assert max(held) <= 2 * 700 + 2048 and len(rows) > max(held)
    export_classification(list(reversed(rows)), tmp_path / "rev", ClassificationConfig(max_documents=700), seed=3)
    assert (tmp_path / "rev" / "test.jsonl").read_bytes() == (tmp_path / "cap" / "test.jsonl").read_bytes()

    export_classification(rows, tmp_path / "all", ClassificationConfig(max_documents=None), seed=3)
    export_classification(rows, tmp_path / "above", ClassificationConfig(max_documents=len(rows)), seed=3)
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl", "labels.json"):
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "above" / name).read_bytes(), name
