"""corpusctl.training: collators over an output folder, and a tiny BertForMaskedLM step on their batches."""

from __future__ import annotations

import json
import math
import pickle
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT

from corpusctl.errors import CorpusctlError
from corpusctl.stages.mask import UPOS, MaskConfig, MaskStage
from corpusctl.training import DynamicMaskingCollator, MaskedRowsCollator, pad_rows

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# (word, UPOS, is_term): segmented sentences with lexicon terms kept whole
SENTENCES = [
    [("检查", "VERB", 0), ("发现", "VERB", 0), ("灭火器", "NOUN", 1), ("压力", "NOUN", 0), ("不足", "ADJ", 0), ("。", "PUNCT", 0)],
    [("操作", "VERB", 0), ("人员", "NOUN", 0), ("应", "AUX", 0), ("立即", "ADV", 0), ("更换", "VERB", 0), ("。", "PUNCT", 0)],
    [("配电柜", "NOUN", 1), ("接地", "VERB", 1), ("线", "NOUN", 0), ("松动", "VERB", 0), ("，", "PUNCT", 0),
     ("存在", "VERB", 0), ("漏电", "NOUN", 1), ("风险", "NOUN", 0), ("。", "PUNCT", 0)],
    [("安全帽", "NOUN", 1), ("佩戴", "VERB", 0), ("不", "ADV", 0), ("规范", "ADJ", 0), ("。", "PUNCT", 0)],
]
TITLES = [[("巡检", "NOUN", 0), ("报告", "NOUN", 0)], [("消防", "NOUN", 1), ("检查", "NOUN", 0), ("记录", "NOUN", 0)]]


def vocabulary() -> list[str]:
    chars = sorted({ch for sentence in SENTENCES + TITLES for word, _, _ in sentence for ch in word})
    return SPECIALS + chars


def build_row(row_id: str, title: list | None, sentences: list[list], index: dict[str, int]) -> dict:
    cols = {k: [] for k in ("input_ids", "token_type_ids", "special_tokens_mask", "word_ids", "term_ids",
                            "sentence_ids", "pos_ids")}
    counters = {"word": 0, "term": 0, "sentence": 0}

    def add(token: int, segment: int, special: int, word: int, term: int, sentence: int, pos: int) -> None:
        for key, value in zip(cols, (token, segment, special, word, term, sentence, pos), strict=True):
            cols[key].append(value)

    def add_sentence(words: list, segment: int) -> None:
        for word, pos, is_term in words:
            term = counters["term"] if is_term else -1
            for ch in word:
                add(index[ch], segment, 0, counters["word"], term, counters["sentence"], UPOS.index(pos))
            counters["word"] += 1
            counters["term"] += is_term
        counters["sentence"] += 1

    add(index["[CLS]"], 0, 1, -1, -1, -1, UPOS.index("X"))
    segment = 0
    if title:
        add_sentence(title, 0)
        add(index["[SEP]"], 0, 1, -1, -1, -1, UPOS.index("X"))
        segment = 1
    for sentence in sentences:
        add_sentence(sentence, segment)
    add(index["[SEP]"], segment, 1, -1, -1, -1, UPOS.index("X"))
    n = len(cols["input_ids"])
    return {"id": row_id, "source": "test", "format": "title_content" if title else "paragraph",
            "text": "", "attention_mask": [1] * n, "length": n, "num_words": counters["word"], **cols}


@pytest.fixture
def output(tmp_path: Path) -> tuple[Path, list[dict]]:
    """A minimal output folder: vocab.txt, manifest.json (recipe.mask, seed) and pretrain rows."""
    tokens = vocabulary()
    (tmp_path / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    manifest = {"seed": 7, "recipe": {"seed": 7, "mask": {"epochs": 1, "sentence_share": 0.3}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    index = {token: i for i, token in enumerate(tokens)}
    rnd = random.Random(0)
    rows = []
    for i in range(24):
        sentences = [rnd.choice(SENTENCES) for _ in range(rnd.randint(1, 6))]
        title = rnd.choice(TITLES) if i % 2 else None
        rows.append(build_row(f"doc{i}#{'t' if title else 'p'}0", title, sentences, index))
    return tmp_path, rows


def test_import_without_torch():
    code = "import sys, corpusctl.training; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_pad_rows_pads_labels_with_ignore_index():
    rows = [{"input_ids": [2, 5, 3], "labels": [-100, 5, -100]},
            {"input_ids": [2, 3], "labels": [-100, -100], "attention_mask": [1, 1], "token_type_ids": [0, 0]}]
    out = pad_rows(rows, pad_token_id=0, pad_to_multiple_of=4)
    assert out["input_ids"].tolist() == [[2, 5, 3, 0], [2, 3, 0, 0]]
    assert out["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 0, 0]]
    assert out["labels"].tolist() == [[-100, 5, -100, -100], [-100, -100, -100, -100]]
    assert out["token_type_ids"].dtype == np.int64
    with pytest.raises(CorpusctlError, match="labels"):
        pad_rows([{"input_ids": [1]}], 0)


def test_from_output_reads_vocab_manifest_and_redraws_each_call(output):
    out_dir, rows = output
    collator = DynamicMaskingCollator.from_output(out_dir, return_tensors="np")
    assert collator.seed == 7 and collator.config.sentence_share == 0.3
    assert collator.vocab.mask_token_id == 4 and collator.vocab.special_ids == (0, 1, 2, 3, 4)
    assert DynamicMaskingCollator.from_output(out_dir, seed=3).seed == 3
    batch = collator(rows[:8])
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels"}
    width = max(len(row["input_ids"]) for row in rows[:8])
    assert batch["input_ids"].shape == (8, width)
    hit = batch["labels"] != -100
    assert hit.any(axis=1).all()  # every example gets at least one mask
    original = np.zeros_like(batch["input_ids"])
    for i, row in enumerate(rows[:8]):
        original[i, : len(row["input_ids"])] = row["input_ids"]
    assert (batch["labels"][hit] == original[hit]).all()
    assert (batch["input_ids"][~hit] == original[~hit]).all()
    # a second call, and another epoch, draw afresh; set_epoch makes an epoch reproducible
    second = collator(rows[:8])
    assert not np.array_equal(second["labels"], batch["labels"])
    collator.set_epoch(0)
    assert np.array_equal(collator(rows[:8])["labels"], batch["labels"])
    collator.set_epoch(1)
    assert not np.array_equal(collator(rows[:8])["labels"], batch["labels"])
    # DataLoader workers get a pickled copy: same epoch and counter, same masks
    collator.set_epoch(0)
    copy = pickle.loads(pickle.dumps(collator))
    assert np.array_equal(copy(rows[:8])["labels"], batch["labels"])


def test_collator_needs_metadata_columns(output):
    out_dir, rows = output
    collator = DynamicMaskingCollator.from_output(out_dir, return_tensors="np")
    stripped = [{k: row[k] for k in ("input_ids", "attention_mask", "token_type_ids")} for row in rows[:2]]
    with pytest.raises(CorpusctlError, match="remove_unused_columns=False"):
        collator(stripped)


def test_from_output_errors(tmp_path):
    with pytest.raises(CorpusctlError, match="vocab.txt"):
        DynamicMaskingCollator.from_output(tmp_path)
    (tmp_path / "vocab.txt").write_text("\n".join(SPECIALS) + "\na\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"recipe": {"mask": {"term_share": 2}}}), encoding="utf-8")
    with pytest.raises(CorpusctlError, match="recipe.mask"):
        DynamicMaskingCollator.from_output(tmp_path)
    (tmp_path / "manifest.json").unlink()
    collator = DynamicMaskingCollator.from_output(tmp_path)  # no manifest: recipe defaults
    assert collator.seed == 42 and collator.config == MaskConfig()


def test_masked_rows_collator_drops_other_columns(output):
    out_dir, rows = output
    masked = MaskStage(MaskConfig(), {"mask_token_id": 4, "vocab_size": len(vocabulary())}, 7, 0)(
        {key: [row[key] for row in rows] for key in rows[0]})
    features = [{key: masked[key][i] for key in masked} for i in range(4)]
    batch = MaskedRowsCollator.from_output(out_dir, return_tensors="np")(features)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels"}
    assert batch["labels"].shape[0] == 4


# -- a training step with torch and transformers ---------------------------------------------------------------


def tiny_model(vocab_size: int):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)
    return transformers.BertForMaskedLM(config)


def train_step(model, batch) -> float:
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@pytest.mark.train
def test_bert_step_on_masked_epoch_and_on_collator(output):
    datasets = pytest.importorskip("datasets")
    torch = pytest.importorskip("torch")
    out_dir, rows = output
    model = tiny_model(len(vocabulary()))
    pretrain = datasets.Dataset.from_list(rows)
    pretrain.save_to_disk(str(out_dir / "pretrain"))
    stage = MaskStage(MaskConfig(), {"mask_token_id": 4, "vocab_size": len(vocabulary())}, 7, 0)
    pretrain.map(stage, batched=True, batch_size=5, remove_columns=pretrain.column_names).save_to_disk(
        str(out_dir / "masked" / "epoch-0"))

    masked = datasets.load_from_disk(str(out_dir / "masked" / "epoch-0"))
    loader = torch.utils.data.DataLoader(masked, batch_size=8, collate_fn=MaskedRowsCollator.from_output(out_dir))
    batch = next(iter(loader))
    assert batch["input_ids"].dtype == torch.int64 and (batch["labels"] != -100).any()
    assert math.isfinite(train_step(model, batch))

    collator = DynamicMaskingCollator.from_output(out_dir)
    loader = torch.utils.data.DataLoader(datasets.load_from_disk(str(out_dir / "pretrain")), batch_size=8,
                                         shuffle=True, collate_fn=collator)
    losses = [train_step(model, batch) for batch in loader]
    assert len(losses) == 3 and all(math.isfinite(loss) for loss in losses)


@pytest.mark.train
def test_stock_token_classification_collator_on_masked_rows(output):
    """With Trainer's default remove_unused_columns=True (id, special_tokens_mask dropped) the stock collator works."""
    transformers = pytest.importorskip("transformers")
    out_dir, rows = output
    masked = MaskStage(MaskConfig(), {"mask_token_id": 4, "vocab_size": len(vocabulary())}, 7, 0)(
        {key: [row[key] for row in rows] for key in rows[0]})
    features = [{key: masked[key][i] for key in ("input_ids", "attention_mask", "token_type_ids", "labels")}
                for i in range(6)]
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(out_dir / "vocab.txt"))
    batch = transformers.DataCollatorForTokenClassification(tokenizer)(features)
    ours = MaskedRowsCollator(pad_token_id=0)(features)
    for key in ours:
        assert batch[key].tolist() == ours[key].tolist()
    assert math.isfinite(train_step(tiny_model(len(vocabulary())), batch))


@pytest.mark.train
def test_trainer_with_dynamic_collator_and_epoch_callback(output):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    datasets = pytest.importorskip("datasets")
    out_dir, rows = output
    collator = DynamicMaskingCollator.from_output(out_dir)
    seen_epochs: list[int] = []
    original = collator.mask_rows

    def spy(features):
        seen_epochs.append(collator.epoch)
        return original(features)

    collator.mask_rows = spy
    args = transformers.TrainingArguments(
        output_dir=str(out_dir / "trainer"), per_device_train_batch_size=8, num_train_epochs=2,
        remove_unused_columns=False, report_to=[], save_strategy="no", logging_strategy="no",
        use_cpu=True, dataloader_num_workers=0,
    )
    trainer = transformers.Trainer(model=tiny_model(len(vocabulary())), args=args,
                                   train_dataset=datasets.Dataset.from_list(rows), data_collator=collator,
                                   callbacks=[collator.trainer_callback()])
    result = trainer.train()
    assert math.isfinite(result.training_loss)
    assert sorted(set(seen_epochs)) == [0, 1] and seen_epochs.count(0) == seen_epochs.count(1) == 3
