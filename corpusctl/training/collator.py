"""Collators for training on corpusctl output; torch is imported only when a batch is built.

Two ways to train on an output folder:

- ``masked/epoch-K`` (pre-drawn masks): ``MaskedRowsCollator.from_output(out)`` pads ``input_ids``,
  ``attention_mask``, ``token_type_ids`` and ``labels`` (-100) and drops the rest. With ``transformers.Trainer``
  and its default ``remove_unused_columns=True`` (which drops ``id`` and ``special_tokens_mask``) the stock
  ``DataCollatorForTokenClassification(tokenizer)`` works too, since it pads ``labels`` with -100.
- ``pretrain/`` (fresh masks every batch): ``DynamicMaskingCollator.from_output(out)``. It needs the per-token
  metadata columns, so a Trainer must keep them: ``TrainingArguments(remove_unused_columns=False)``. It reads
  them itself and never hands them to ``tokenizer.pad`` (which fails on extra per-token list columns,
  transformers #24546).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpusctl.errors import CorpusctlError
from corpusctl.stages.mask import IGNORE_INDEX, MaskConfig, MaskVocab, mask_batch, row_keys, to_batch

MODEL_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "labels")
METADATA_COLUMNS = ("id", "input_ids", "special_tokens_mask", "word_ids", "term_ids", "sentence_ids", "pos_ids",
                    "num_words", "format")


def pad_rows(rows: Sequence[Mapping[str, Any]], pad_token_id: int,
             pad_to_multiple_of: int | None = None) -> dict[str, np.ndarray]:
    """Right-pad the model columns of unpadded rows into int64 arrays (labels with -100, masks with 0)."""
    if not rows:
        raise ValueError("cannot pad an empty batch")
    length = max(len(row["input_ids"]) for row in rows)
    if pad_to_multiple_of:
        length = -(-length // pad_to_multiple_of) * pad_to_multiple_of
    fill = {"input_ids": pad_token_id, "attention_mask": 0, "token_type_ids": 0, "labels": IGNORE_INDEX}
    out = {name: np.full((len(rows), length), value, dtype=np.int64) for name, value in fill.items()}
    for i, row in enumerate(rows):
        n = len(row["input_ids"])
        for name in MODEL_COLUMNS:
            values = row.get(name)
            if values is None:
                if name == "labels":
                    raise CorpusctlError(f"row {row.get('id')!r} has no labels; is this a masked/epoch-K row?")
                values = [1] * n if name == "attention_mask" else [0] * n
            out[name][i, :n] = values
    return out


def _to_tensors(arrays: dict[str, np.ndarray], return_tensors: str) -> dict[str, Any]:
    if return_tensors == "np":
        return arrays
    import torch

    return {name: torch.from_numpy(array) for name, array in arrays.items()}


def _read_output(out_dir: str | Path) -> tuple[MaskVocab, dict]:
    out_dir = Path(out_dir)
    vocab_path = out_dir / "vocab.txt"
    if not vocab_path.is_file():
        raise CorpusctlError(f"{out_dir}: no vocab.txt; expected a corpusctl output folder")
    manifest_path = out_dir / "manifest.json"
    manifest: dict = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CorpusctlError(f"{manifest_path}: not valid JSON ({exc})") from None
    return MaskVocab.from_vocab_file(vocab_path), manifest


class MaskedRowsCollator:
    """Pads rows of masked/epoch-K for a DataLoader or Trainer; other columns (id, ...) are dropped."""

    def __init__(self, pad_token_id: int = 0, pad_to_multiple_of: int | None = None, return_tensors: str = "pt"):
        self.pad_token_id = pad_token_id
        self.pad_to_multiple_of = pad_to_multiple_of
        self.return_tensors = return_tensors

    @classmethod
    def from_output(cls, out_dir: str | Path, **kwargs: Any) -> MaskedRowsCollator:
        vocab, _ = _read_output(out_dir)
        return cls(pad_token_id=vocab.pad_token_id, **kwargs)

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        arrays = pad_rows(features, self.pad_token_id, self.pad_to_multiple_of)
        return _to_tensors(arrays, self.return_tensors)


class DynamicMaskingCollator:
    """Masks `pretrain/` rows afresh for every batch with the recipe's policy (corpusctl.stages.mask).

    A row's mask is f(seed, epoch, call, row id): reproducible for the same data order, never tied to worker
    RNG state, and different in every epoch. `set_epoch(n)` sets the epoch and restarts the call counter; with
    `transformers.Trainer` add `collator.trainer_callback()` so it is called at each epoch start. Without
    `set_epoch` the counter alone still moves the masks on from batch to batch and epoch to epoch (except
    for a DataLoader that re-creates its workers every epoch and does not shuffle: call set_epoch there).
    """

    def __init__(self, vocab: MaskVocab | Mapping[str, Any], config: MaskConfig | Mapping[str, Any] | None = None,
                 seed: int = 42, epoch: int = 0, pad_to_multiple_of: int | None = None, return_tensors: str = "pt"):
        self.vocab = MaskVocab.coerce(vocab)
        self.config = config if isinstance(config, MaskConfig) else MaskConfig.model_validate(config or {})
        self.seed = seed
        self.epoch = epoch
        self.calls = 0
        self.pad_to_multiple_of = pad_to_multiple_of
        self.return_tensors = return_tensors

    @classmethod
    def from_output(cls, out_dir: str | Path, seed: int | None = None, **kwargs: Any) -> DynamicMaskingCollator:
        """From a build's output folder: vocab.txt, plus the `recipe.mask` section and `seed` of manifest.json."""
        vocab, manifest = _read_output(out_dir)
        section = dict((manifest.get("recipe") or {}).get("mask") or {})
        try:
            config = MaskConfig.model_validate(section)
        except ValueError as exc:
            raise CorpusctlError(f"{Path(out_dir) / 'manifest.json'}: recipe.mask is not valid: {exc}") from None
        if seed is None:
            seed = int(manifest.get("seed", 42))
        return cls(vocab, config, seed=seed, **kwargs)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.calls = 0

    def mask_rows(self, features: Sequence[Mapping[str, Any]]) -> list[dict]:
        """The unpadded masked rows of one batch (advances the call counter)."""
        missing = [name for name in METADATA_COLUMNS if name not in (features[0] if features else {})]
        if missing:
            raise CorpusctlError(
                f"rows lack {', '.join(missing)}: DynamicMaskingCollator needs pretrain/ rows with their metadata "
                "columns; with transformers.Trainer set TrainingArguments(remove_unused_columns=False)"
            )
        draw = self.calls
        self.calls += 1
        batch = to_batch({name: [row[name] for row in features] for name in features[0]})
        keys = row_keys(self.seed, self.epoch, batch.column("id").to_pylist(), draw)
        masked = mask_batch(batch, self.config, self.vocab, keys)
        rows: list[dict] = [{"id": row["id"]} for row in features]
        for name in ("input_ids", "attention_mask", "token_type_ids", "labels"):
            offsets, values = masked[name].offsets.to_numpy(), masked[name].flatten().to_numpy()
            for i, row in enumerate(rows):
                row[name] = values[offsets[i]:offsets[i + 1]]
        return rows

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        if not features:
            raise ValueError("cannot collate an empty batch")
        arrays = pad_rows(self.mask_rows(features), self.vocab.pad_token_id, self.pad_to_multiple_of)
        return _to_tensors(arrays, self.return_tensors)

    def trainer_callback(self) -> Any:
        """A transformers TrainerCallback that calls set_epoch at the start of every epoch."""
        from transformers import TrainerCallback

        collator = self

        class _SetMaskEpoch(TrainerCallback):
            def on_epoch_begin(self, args, state, control, **kwargs):
                collator.set_epoch(round(state.epoch or 0))

        return _SetMaskEpoch()
