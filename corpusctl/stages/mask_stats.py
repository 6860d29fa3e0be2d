"""Statistics of the masks the mask stage wrote, measured from the data (the manifest's `mask` key): ratio
bands per length bucket, the share of masks on terms, POS shares, whole masked sentences, per kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

import numpy as np
import pyarrow as pa

from corpusctl.segmenter.pos import UPOS
from corpusctl.stages.mask import (
    CONTENT_POS,
    IGNORE_INDEX,
    MaskConfig,
    MaskVocab,
    Tokens,
    first_per_row,
    to_batch,
)


class MaskStatistics:
    """Streaming accumulator over (pretrain row, masked row) pairs for the manifest's `mask` key.

    Everything is measured from the data: a position is masked when its label is not -100; a paragraph has
    a whole masked sentence when every maskable token of one of its sentences is masked.
    """

    def __init__(self, config: MaskConfig, vocab: MaskVocab | Mapping[str, Any] | None = None):
        self.config = config
        self.vocab = MaskVocab.coerce(vocab) if vocab is not None else None
        self.buckets = {
            f"<={config.short_words}": _Bucket(),
            f"{config.short_words + 1}-{config.long_words}": _Bucket(),
            f">{config.long_words}": _Bucket(),
        }
        self.examples = self.in_band = self.in_band_rounding = self.maskable = self.masked = self.masked_on_terms = 0
        self.by_kind: dict[str, np.ndarray] = {}
        """Per kind: examples, maskable, masked, term tokens, masked term tokens, and the same four where terms
        suffice (examples, masked, masked on terms) -> see `_kind_result`."""
        self.terms_all = self.paragraphs = self.paragraphs_with_sentence = 0
        # examples whose term tokens alone could fill the budget: there the ~70% term focus must show
        self.sufficient_examples = self.sufficient_masked = self.sufficient_on_terms = 0
        self.replaced = {"mask": 0, "random": 0, "unchanged": 0}
        self.pos_all = np.zeros(len(UPOS), dtype=np.int64)
        self.pos_masked = np.zeros(len(UPOS), dtype=np.int64)

    def add_batch(self, rows: pa.RecordBatch | Mapping[str, list], masked: pa.RecordBatch | Mapping[str, list]) -> None:
        """One pair of batches (Arrow, or dicts of column lists) holding the same rows in the same order."""
        rows = rows if isinstance(rows, pa.RecordBatch) else to_batch(rows)
        masked = masked if isinstance(masked, pa.RecordBatch) else to_batch(masked, ("id", "input_ids", "labels"))
        if not rows.column("id").equals(masked.column("id")):
            ours, theirs = rows.column("id").to_pylist(), masked.column("id").to_pylist()
            if ours != theirs:
                first, other = next(pair for pair in zip_longest(ours, theirs) if pair[0] != pair[1])
                raise ValueError(f"pretrain row {first!r} paired with masked row {other!r}")
        tokens = Tokens(rows, self.vocab, self.config.length_from)
        maskable = tokens.maskable
        hit = tokens.column("labels", IGNORE_INDEX, masked) != IGNORE_INDEX
        row, n_rows = tokens.row, tokens.rows

        def per_row(selected: np.ndarray) -> np.ndarray:
            return np.bincount(row[selected], minlength=n_rows)

        n, m = per_row(maskable), per_row(hit)
        self.examples += n_rows
        self.maskable += int(n.sum())
        self.masked += int(m.sum())
        self._add_ratios(n, m, tokens.num_words)

        terms = tokens.column("term_ids", -1) >= 0
        term_tokens, on_terms = per_row(maskable & terms), per_row(hit & terms)
        self.terms_all += int(term_tokens.sum())
        self.masked_on_terms += int(on_terms.sum())
        sufficient = (m > 0) & (term_tokens >= m)
        self.sufficient_examples += int(sufficient.sum())
        self.sufficient_masked += int(m[sufficient].sum())
        self.sufficient_on_terms += int(on_terms[sufficient].sum())
        kinds = rows.column("kind").to_pylist() if "kind" in rows.schema.names else [""] * n_rows
        figures = np.stack([np.ones(n_rows, dtype=np.int64), n, m, term_tokens, on_terms, sufficient.astype(np.int64),
                            np.where(sufficient, m, 0), np.where(sufficient, on_terms, 0)], axis=1)
        for kind in set(kinds):
            here = np.fromiter((k == kind for k in kinds), bool, n_rows)
            self.by_kind[kind] = self.by_kind.get(kind, 0) + figures[here].sum(axis=0)

        pos = tokens.column("pos_ids", UPOS.index("X"))
        self.pos_all += np.bincount(pos[maskable], minlength=len(UPOS))[:len(UPOS)]
        self.pos_masked += np.bincount(pos[hit], minlength=len(UPOS))[:len(UPOS)]

        new_ids = tokens.column("input_ids", 0, masked)[hit]
        unchanged = new_ids == tokens.ids[hit]
        if self.vocab is not None:
            is_mask = new_ids == self.vocab.mask_token_id
        else:  # without the vocabulary, a changed token is [MASK] if it is its row's commonest one
            is_mask = _commonest_per_row(row[hit], new_ids, ~unchanged)
        self.replaced["mask"] += int(is_mask.sum())
        self.replaced["unchanged"] += int((unchanged & ~is_mask).sum())
        self.replaced["random"] += int((~unchanged & ~is_mask).sum())

        self.paragraphs += int(tokens.paragraph.sum())
        sentences = tokens.column("sentence_ids", -1)
        has = maskable & (sentences >= 0) & tokens.paragraph[row]
        if has.any():
            self.paragraphs_with_sentence += _rows_with_a_whole_sentence(row[has], sentences[has], hit[has])

    def _add_ratios(self, n: np.ndarray, m: np.ndarray, num_words: np.ndarray) -> None:
        """The ratios of the examples with maskable tokens into the in-band count and the length buckets."""
        some = n > 0
        n, m, num_words = n[some], m[some], num_words[some]
        ratio = m / n
        low, high = self.config.bands(num_words)
        in_band = (low - 1e-9 <= ratio) & (ratio <= high + 1e-9)
        slack = 0.5 / n + 1e-9  # rounding n * ratio to a whole count
        in_band_rounding = (low - slack <= ratio) & (ratio <= high + slack)
        self.in_band += int(in_band.sum())
        self.in_band_rounding += int(in_band_rounding.sum())
        bucket = (num_words > self.config.short_words).astype(int) + (num_words > self.config.long_words)
        for index, name in enumerate(self.buckets):
            here = bucket == index
            if here.any():
                self.buckets[name].add_many(ratio[here], in_band[here], in_band_rounding[here])

    def result(self) -> dict:
        def share(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        cfg = self.config
        masked_replaced = sum(self.replaced.values())
        return {
            "examples": self.examples,
            "maskable_tokens": self.maskable,
            "masked_tokens": self.masked,
            "ratio": share(self.masked, self.maskable),
            "length_from": cfg.length_from,
            "in_band": share(self.in_band, self.examples),
            "in_band_within_rounding": share(self.in_band_rounding, self.examples),
            "by_length": {
                name: bucket.result(self._target(name)) for name, bucket in self.buckets.items()
            },
            "term_share": share(self.masked_on_terms, self.masked),
            "term_share_target": cfg.term_share,
            "term_share_where_terms_suffice": share(self.sufficient_on_terms, self.sufficient_masked),
            "examples_where_terms_suffice": self.sufficient_examples,
            "term_tokens_share_all": share(self.terms_all, self.maskable),
            "term_share_by_kind": {kind: _kind_result(figures, cfg.term_share)
                                   for kind, figures in sorted(self.by_kind.items())},
            "sentence": {
                "paragraph_examples": self.paragraphs,
                "with_masked_sentence": self.paragraphs_with_sentence,
                "share": share(self.paragraphs_with_sentence, self.paragraphs),
                "target": cfg.sentence_share,
            },
            "replacement": {key: share(value, masked_replaced) for key, value in self.replaced.items()}
            | {"target": [cfg.replace_mask, cfg.replace_random, round(1 - cfg.replace_mask - cfg.replace_random, 6)]},
            "pos": {
                "masked": _pos_shares(self.pos_masked),
                "all": _pos_shares(self.pos_all),
                "content_share_masked": share(int(self._content(self.pos_masked)), int(self.pos_masked.sum())),
                "content_share_all": share(int(self._content(self.pos_all)), int(self.pos_all.sum())),
            },
        }

    def _target(self, name: str) -> list[float]:
        cfg = self.config
        if name.startswith("<="):
            return list(cfg.short_ratio)
        if name.startswith(">"):
            return list(cfg.long_ratio)
        return [cfg.short_ratio[0], cfg.long_ratio[1]]

    @staticmethod
    def _content(counts: np.ndarray) -> int:
        return sum(int(counts[UPOS.index(name)]) for name in CONTENT_POS)


def _kind_result(figures: np.ndarray, target: float) -> dict:
    """One kind's term-share figures; `terms_suffice` when its term tokens could, all together, fill the target
    share of what it masks (else the target cannot be reached in that kind, whatever the policy does)."""
    examples, maskable, masked, term_tokens, on_terms, sufficient, sufficient_masked, sufficient_on_terms = (
        int(x) for x in figures)

    def share(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {"examples": examples, "masked_tokens": masked, "term_share": share(on_terms, masked),
            "term_tokens_share_all": share(term_tokens, maskable),
            "examples_where_terms_suffice": sufficient,
            "term_share_where_terms_suffice": share(sufficient_on_terms, sufficient_masked),
            "terms_suffice": bool(masked) and term_tokens >= target * masked, "target": target}


@dataclass
class _Bucket:
    examples: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")
    in_band: int = 0
    in_band_rounding: int = 0

    def add_many(self, ratios: np.ndarray, in_band: np.ndarray, in_band_rounding: np.ndarray) -> None:
        self.examples += int(ratios.size)
        self.in_band += int(in_band.sum())
        self.in_band_rounding += int(in_band_rounding.sum())
        self.total += float(ratios.sum())
        self.low = min(self.low, float(ratios.min()))
        self.high = max(self.high, float(ratios.max()))

    def result(self, target: list[float]) -> dict:
        if not self.examples:
            return {"examples": 0, "mean": None, "min": None, "max": None, "in_band": None,
                    "in_band_within_rounding": None, "target": target}
        return {"examples": self.examples, "mean": round(self.total / self.examples, 4),
                "min": round(self.low, 4), "max": round(self.high, 4),
                "in_band": round(self.in_band / self.examples, 4),
                "in_band_within_rounding": round(self.in_band_rounding / self.examples, 4), "target": target}


def _pos_shares(counts: np.ndarray) -> dict[str, float]:
    total = int(counts.sum())
    return {name: round(int(c) / total, 4) for name, c in zip(UPOS, counts, strict=True) if c} if total else {}


def _commonest_per_row(row: np.ndarray, values: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """Whether each value is its row's commonest changed value (ties: the smallest)."""
    if not changed.any():
        return np.zeros(values.size, dtype=bool)
    pairs, counts = np.unique(np.stack([row[changed], values[changed]]), axis=1, return_counts=True)
    best = first_per_row(np.arange(counts.size), pairs[0], -counts)
    winner = np.full(int(row.max()) + 1, -1, dtype=np.int64)
    winner[pairs[0][best]] = pairs[1][best]
    return values == winner[row]


def _rows_with_a_whole_sentence(row: np.ndarray, sentence: np.ndarray, hit: np.ndarray) -> int:
    """How many rows have a sentence all of whose (given) tokens are hit."""
    width = int(sentence.max()) + 1
    if width <= 4096:  # (row, sentence) numbered densely
        group = row * width + sentence
    else:
        group = np.unique(np.stack([row, sentence]), axis=1, return_inverse=True)[1].reshape(-1)
    total = np.bincount(group)
    covered = np.bincount(group[hit], minlength=total.size)
    whole = (total > 0) & (covered == total)
    return int(np.unique(row[whole[group]]).size)


def mask_statistics(pretrain: Iterable[Mapping[str, Any]], masked: Iterable[Mapping[str, Any]],
                    config: MaskConfig, vocab: MaskVocab | Mapping[str, Any] | None = None,
                    batch_size: int = 1000) -> dict:
    """JSON-able statistics of one epoch's masks, in one streaming pass over paired rows (same order).

    Rows may come from `datasets.Dataset`s or any iterables of dicts; pass `vocab` so [MASK] and special
    ids are known exactly (without it [MASK] is inferred as its row's commonest replacement).
    """
    stats = MaskStatistics(config, vocab)
    sentinel = object()
    masked_iter = iter(masked)
    chunk: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    for row in pretrain:
        other = next(masked_iter, sentinel)
        if other is sentinel:
            raise ValueError(f"masked rows end before pretrain row {row['id']!r}")
        chunk.append((row, other))
        if len(chunk) == batch_size:
            _add_rows(stats, chunk)
            chunk = []
    if next(masked_iter, sentinel) is not sentinel:
        raise ValueError("more masked rows than pretrain rows")
    if chunk:
        _add_rows(stats, chunk)
    return stats.result()


def _add_rows(stats: MaskStatistics, pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> None:
    """Paired row dicts into the statistics as one batch."""
    rows, masked = ({name: [pair[side][name] for pair in pairs] for name in pairs[0][side]} for side in (0, 1))
    stats.add_batch(rows, masked)
