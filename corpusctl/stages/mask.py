"""Masking policy: dynamic ratio, term-level, sentence-level, POS-weighted, 80/10/10 (issue #6).

The HRG-BERT recipe (paper section 3.3.1) plus POS-weighted word choice (seed 003). For each example:

1. Maskable tokens are the non-special, non-padding tokens (`special_tokens_mask`, `vocab.special_ids`).
2. The ratio is drawn uniformly in a band that depends on a length in words: ``short_ratio`` up to
   ``short_words``, ``long_ratio`` above ``long_words``, both bounds interpolated linearly between. The length
   is that of the *report the example was cut from* (``length_from: report``, column ``report_words``), as the
   paper speaks of reports ("Longer reports (> 500 words): 0.3–0.5"): an example holds at most ``max_seq_len``
   tokens (~270 words at 512), so by its own length the long band could never apply, while every window of a
   1,000-word report gets the long band. ``length_from: example`` uses the example's own ``num_words``.
3. The budget is ``max(1, round(n_maskable * ratio))``, moved to the nearest whole count inside the band when
   rounding left it outside and such a count exists (a 10-token example with band 0.15–0.25 masks 2, never 3),
   capped at ``max_predictions`` and ``n_maskable``: the count is fixed first and units are picked to fill it
   (google-research/bert), never per-token coin flips.
4. Units are the connected groups of tokens sharing a word id or a term id (a term and the words it
   touches form one unit), so every word and every term is masked whole or not at all. A unit is a
   *term unit* when it holds a term token.
5. In ``sentence_share`` of ``paragraph`` examples one sentence is masked first (every unit it touches,
   so words stay whole). It is chosen uniformly among the sentences that fit in the budget and counts
   toward it. When none fits, ``sentence_overflow`` decides: ``skip`` (default: no sentence, the ratio
   stays in band) or ``shortest`` (mask the shortest sentence anyway if the example has at least two
   sentences; the budget grows to its size and no other unit is masked).
6. Fill rule, identical in every phase: walk the candidate units in a random order and take each one whose
   size fits in what is left of the phase's target; skip the ones that would overshoot. Phases:
   terms get ``round(term_share * remaining)`` (random order); words (non-term units) fill the rest of the
   budget in POS-weighted order (weighted sampling without replacement, Efraimidis-Spirakis; weight 0 =
   only when nothing else fits); leftover term units then top up when words run out. So the masked count
   never exceeds the budget, and falls short only when no unmasked unit fits in the gap.
7. Each masked position becomes ``[MASK]`` (``replace_mask``), a random non-special token other than the
   original (``replace_random``), or stays unchanged. ``labels`` hold the original id there, -100 elsewhere.

All randomness is counter-based: every draw is splitmix64 of (row key, position in the row, purpose), with
row key ``stable_hash(seed, "mask", epoch, row id)``. So the same row gets the same mask in any batch, worker
or process, and a different one in another epoch, while a whole Arrow batch is masked at once with numpy
(this stage sees every token of the corpus, once per epoch).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from corpusctl.config import StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.segmenter.pos import UPOS
from corpusctl.stages import stable_hash

CONTENT_POS = ("NOUN", "PROPN", "VERB", "ADJ", "ADV")
MASKED_COLUMNS = ("id", "input_ids", "attention_mask", "token_type_ids", "special_tokens_mask", "labels")
IGNORE_INDEX = -100


class MaskConfig(StageSection):
    epochs: int = Field(2, ge=0)
    """How many pre-drawn epochs to write (masked/epoch-0 ...); 0 = only the training collator masks."""
    short_words: int = Field(100, ge=1)
    long_words: int = Field(500, ge=1)
    length_from: Literal["report", "example"] = "report"
    """Which length picks the band: the report's the example was cut from (`report_words`) or the example's."""
    short_ratio: tuple[float, float] = (0.15, 0.25)
    long_ratio: tuple[float, float] = (0.30, 0.50)
    max_predictions: int | None = Field(None, ge=1)
    """Optional cap on masked tokens per example (BERT's max_predictions_per_seq)."""
    term_share: float = Field(0.7, ge=0, le=1)
    sentence_share: float = Field(0.15, ge=0, le=1)
    sentence_overflow: Literal["skip", "shortest"] = "skip"
    replace_mask: float = Field(0.8, ge=0, le=1)
    replace_random: float = Field(0.1, ge=0, le=1)
    pos_weights: dict[str, float] = Field(
        default_factory=lambda: {"NOUN": 3.0, "PROPN": 3.0, "VERB": 2.5, "ADJ": 2.0, "ADV": 1.5}
    )
    default_pos_weight: float = Field(0.5, ge=0)

    @model_validator(mode="after")
    def _check(self) -> MaskConfig:
        if self.long_words <= self.short_words:
            raise ValueError(f"long_words ({self.long_words}) must be greater than short_words ({self.short_words})")
        for name in ("short_ratio", "long_ratio"):
            low, high = getattr(self, name)
            if not 0 <= low <= high <= 1:
                raise ValueError(f"{name} must be [low, high] with 0 <= low <= high <= 1, got [{low}, {high}]")
        if self.replace_mask + self.replace_random > 1:
            raise ValueError("replace_mask + replace_random must not exceed 1 (the rest stays unchanged)")
        unknown = sorted(set(self.pos_weights) - set(UPOS))
        if unknown:
            raise ValueError(f"pos_weights has unknown POS {unknown}; expected Universal POS names {UPOS}")
        if any(weight < 0 for weight in self.pos_weights.values()):
            raise ValueError("pos_weights must be >= 0")
        return self

    def band(self, num_words: int) -> tuple[float, float]:
        """The target ratio band for an example of this many words."""
        if num_words <= self.short_words:
            return self.short_ratio
        if num_words > self.long_words:
            return self.long_ratio
        t = (num_words - self.short_words) / (self.long_words - self.short_words)
        return (
            self.short_ratio[0] + t * (self.long_ratio[0] - self.short_ratio[0]),
            self.short_ratio[1] + t * (self.long_ratio[1] - self.short_ratio[1]),
        )

    def bands(self, num_words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`band` for an array of word counts (the same arithmetic, so the same floats)."""
        t = (num_words - self.short_words) / (self.long_words - self.short_words)
        bounds = []
        for k in (0, 1):
            middle = self.short_ratio[k] + t * (self.long_ratio[k] - self.short_ratio[k])
            bounds.append(np.where(num_words <= self.short_words, self.short_ratio[k],
                                   np.where(num_words > self.long_words, self.long_ratio[k], middle)))
        return bounds[0], bounds[1]

    def pos_weight_table(self) -> np.ndarray:
        """Weight per pos_id (index into UPOS)."""
        return np.array([self.pos_weights.get(name, self.default_pos_weight) for name in UPOS], dtype=float)


# -- vocabulary facts ---------------------------------------------------------------------------------------

_SPECIAL_TOKEN = re.compile(r"^\[[A-Za-z0-9_]+\]$")


@dataclass(frozen=True)
class MaskVocab:
    """What masking needs to know about the vocabulary; special ids are never masked nor drawn as random."""

    mask_token_id: int
    vocab_size: int
    special_ids: tuple[int, ...] = ()
    pad_token_id: int = 0
    _candidates: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def coerce(cls, vocab: MaskVocab | Mapping[str, Any] | Any) -> MaskVocab:
        """Accept a MaskVocab, a dict or any object with the same attributes."""
        if isinstance(vocab, MaskVocab):
            return vocab
        get = vocab.get if isinstance(vocab, Mapping) else (lambda key, default=None: getattr(vocab, key, default))
        mask_id, size = get("mask_token_id"), get("vocab_size")
        if mask_id is None or size is None:
            raise CorpusctlError("mask vocabulary needs mask_token_id and vocab_size")
        specials = set(int(i) for i in (get("special_ids", None) or ()))
        pad = get("pad_token_id", None)
        specials.add(int(mask_id))
        if pad is not None:
            specials.add(int(pad))
        return cls(int(mask_id), int(size), tuple(sorted(specials)), int(pad if pad is not None else 0))

    @classmethod
    def from_vocab_file(cls, path: str | Path) -> MaskVocab:
        """A BERT vocab.txt: one token per line, id = line number; bracketed tokens ([PAD], [unused1]) are special."""
        path = Path(path)
        try:
            tokens = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise CorpusctlError(f"cannot read the vocabulary {path}: {exc.strerror or exc}") from None
        index = {token: i for i, token in enumerate(tokens)}
        if "[MASK]" not in index:
            raise CorpusctlError(f"{path}: no [MASK] token; expected a BERT vocab.txt with [PAD] [UNK] [CLS] [SEP] [MASK]")
        specials = [i for i, token in enumerate(tokens) if _SPECIAL_TOKEN.match(token)]
        return cls.coerce({"mask_token_id": index["[MASK]"], "vocab_size": len(tokens), "special_ids": specials,
                           "pad_token_id": index.get("[PAD]", 0)})

    def is_special(self, ids: np.ndarray) -> np.ndarray:
        if not self.special_ids:
            return np.zeros(ids.shape, dtype=bool)
        return np.isin(ids, np.asarray(self.special_ids, dtype=np.int64), kind="table")

    def candidates(self) -> np.ndarray:
        """Sorted ids a random replacement may use (cached; not pickled)."""
        if self._candidates is None:
            ids = np.setdiff1d(np.arange(self.vocab_size, dtype=np.int64), np.asarray(self.special_ids, dtype=np.int64))
            object.__setattr__(self, "_candidates", ids)
        return self._candidates

    def __getstate__(self) -> dict:
        return {"mask_token_id": self.mask_token_id, "vocab_size": self.vocab_size,
                "special_ids": self.special_ids, "pad_token_id": self.pad_token_id}

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_candidates", None)


# -- counter-based randomness -------------------------------------------------------------------------------

_RATIO, _SENTENCE_COIN, _SENTENCE_PICK, _TERM_ORDER, _WORD_ORDER, _REPLACE, _RANDOM_TOKEN = range(7)
_STREAMS = np.uint64(8)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def row_keys(seed: int, epoch: int, ids: Iterable[Any], draw: int | None = None) -> np.ndarray:
    """One 64-bit key per row: f(seed, epoch, row id) (fairseq's scheme), plus the collator's call counter."""
    prefix = (seed, "mask", epoch) if draw is None else (seed, "mask", epoch, draw)
    return np.fromiter((stable_hash(*prefix, row_id) for row_id in ids), dtype=np.uint64)


def _uniform(keys: np.ndarray, counters: np.ndarray, stream: int) -> np.ndarray:
    """Uniform floats in [0, 1), one per (key, counter), for one purpose: splitmix64 of the counter."""
    x = keys + (np.asarray(counters).astype(np.uint64) * _STREAMS + np.uint64(stream + 1)) * _GOLDEN
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


# -- a batch as flat arrays ---------------------------------------------------------------------------------

MASK_INPUTS = ("id", "format", "num_words", "report_words", "input_ids", "attention_mask", "token_type_ids", "special_tokens_mask",
               "word_ids", "term_ids", "sentence_ids", "pos_ids")
"""The pre-training columns masking reads (only `id` and `input_ids` are required)."""


def to_batch(columns: Mapping[str, Any], names: Iterable[str] = MASK_INPUTS) -> pa.RecordBatch:
    """A dict of columns (Python lists, as `datasets.map` passes them) as an Arrow batch of the named ones."""
    from corpusctl.io.columns import to_record_batch

    return to_record_batch({name: list(columns[name]) for name in names if name in columns})


def _flat(batch: pa.RecordBatch, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A list column as (values, offsets from 0), or None when the batch lacks it."""
    if name not in batch.schema.names:
        return None
    column = batch.column(name)
    offsets = column.offsets.to_numpy().astype(np.int64)
    return column.flatten().to_numpy(zero_copy_only=False), offsets - offsets[0]


class Tokens:
    """A batch's per-token columns as flat numpy arrays over all its rows (row i is offsets[i]:offsets[i + 1])."""

    def __init__(self, batch: pa.RecordBatch, vocab: MaskVocab | None, length_from: str = "report"):
        self.batch = batch
        self.rows = batch.num_rows
        values, self.offsets = _flat(batch, "input_ids")
        self.ids = values.astype(np.int64)
        self.row = np.repeat(np.arange(self.rows), np.diff(self.offsets))
        self.position = np.arange(self.ids.size) - self.offsets[self.row]
        special = self.column("special_tokens_mask", 0) != 0
        special |= self.column("attention_mask", 1) == 0
        if vocab is not None:
            special |= vocab.is_special(self.ids)
        self.maskable = ~special
        names = batch.schema.names
        length = "report_words" if length_from == "report" and "report_words" in names else "num_words"
        self.num_words = (batch.column(length).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
                          if length in names else np.zeros(self.rows, dtype=np.int64))
        """The length in words that picks each row's ratio band (the report's, or the example's own)."""
        self.paragraph = (np.asarray(batch.column("format").to_pylist(), dtype=object) == "paragraph"
                          if "format" in names else np.zeros(self.rows, dtype=bool))

    def column(self, name: str, fill: int, batch: pa.RecordBatch | None = None) -> np.ndarray:
        """A per-token column (of this batch or a row-aligned one), `fill` everywhere when it is missing."""
        found = _flat(self.batch if batch is None else batch, name)
        if found is None:
            return np.full(self.ids.size, fill, dtype=np.int64)
        values, offsets = found
        if not np.array_equal(offsets, self.offsets):
            sizes, expected = np.diff(offsets), np.diff(self.offsets)
            row = int(np.flatnonzero(sizes != expected)[0]) if sizes.size == expected.size else 0
            raise ValueError(f"row {self.batch.column('id')[row].as_py()!r}: {name} has {sizes[row]} entries for "
                             f"{expected[row]} tokens")
        return values


# -- choosing positions -------------------------------------------------------------------------------------


def _units(row: np.ndarray, groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Connected groups of tokens of one row sharing an id in any grouping (ids < 0 = none), as (first token of
    each unit, unit index per token); units are numbered in token order.

    Fast path for what tokenize writes (each group a contiguous run, numbered in order); rows with any other
    layout fall back to label propagation, so all-or-nothing holds for every input.
    """
    n = row.size
    new_row = np.ones(n, dtype=bool)
    new_row[1:] = row[1:] != row[:-1]
    boundary = np.ones(n, dtype=bool)
    bad_rows = []
    for group in groups:
        same = np.zeros(n, dtype=bool)
        same[1:] = (group[1:] == group[:-1]) & ~new_row[1:]
        runs = np.flatnonzero(~same & (group >= 0))
        out_of_order = (np.diff(group[runs]) <= 0) & (row[runs[1:]] == row[runs[:-1]])
        bad_rows.append(row[runs[1:][out_of_order]])
        boundary &= ~(same & (group >= 0))
    bad = np.unique(np.concatenate(bad_rows))
    if not bad.size:
        return np.flatnonzero(boundary), np.cumsum(boundary) - 1
    label = np.flatnonzero(boundary)[np.cumsum(boundary) - 1]  # a unit's label: the index of its first token
    starts = np.searchsorted(row, bad)
    ends = np.searchsorted(row, bad, side="right")
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        label[lo:hi] = lo + _propagate([group[lo:hi] for group in groups], hi - lo)
    first, unit_of = np.unique(label, return_inverse=True)
    return first, unit_of.reshape(-1)


def _propagate(groups: list[np.ndarray], n: int) -> np.ndarray:
    """Connected components by repeated min-label propagation within each group (label = first token)."""
    label = np.arange(n)
    changed = True
    while changed:
        changed = False
        for group in groups:
            has = group >= 0
            if not has.any():
                continue
            keys, inverse = np.unique(group[has], return_inverse=True)
            lowest = np.full(keys.size, n)
            np.minimum.at(lowest, inverse.reshape(-1), label[has])
            new = lowest[inverse.reshape(-1)]
            if (new < label[has]).any():
                label[has] = np.minimum(label[has], new)
                changed = True
    return label


def _row_starts(rows: np.ndarray) -> np.ndarray:
    """Where each run of equal (sorted) row indices starts."""
    return np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else np.zeros(0, dtype=np.int64)


def _fill(order: np.ndarray, unit_row: np.ndarray, sizes: np.ndarray, taken: np.ndarray,
          target: np.ndarray) -> np.ndarray:
    """Walk each row's units in `order` (grouped by row) and take each one that fits in what is left of the row's
    `target`, skipping those that would overshoot; return the tokens taken per row.

    The walk runs for all rows at once, in rounds: among the units still small enough, take the longest prefix
    that fits. The first unit that does not fit is bigger than what is then left, so the next round (units no
    bigger than that) goes on exactly where a unit-by-unit walk would.
    """
    target = target.astype(np.int64)
    left = target.copy()
    order = order[~taken[order]]
    while order.size:
        rows, size = unit_row[order], sizes[order]
        fits = size <= left[rows]
        order, rows, size = order[fits], rows[fits], size[fits]
        if not order.size:
            break
        total = np.cumsum(size)
        starts = _row_starts(rows)
        before = np.repeat((total - size)[starts], np.diff(np.r_[starts, order.size]))
        take = total - before <= left[rows]
        taken[order[take]] = True
        left -= np.bincount(rows[take], weights=size[take], minlength=left.size).astype(np.int64)
        order = order[~take]
    return target - left


def first_per_row(candidates: np.ndarray, rows: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Of `candidates` (indices), the one with the smallest keys in each row (ties: the first)."""
    order = candidates[np.lexsort((*(key[candidates] for key in reversed(keys)), rows[candidates]))]
    return order[_row_starts(rows[order])]


def _mask_sentences(tokens: Tokens, on: np.ndarray, where: np.ndarray, unit_of: np.ndarray, sizes: np.ndarray,
                    taken: np.ndarray, budget: np.ndarray, keys: np.ndarray, config: MaskConfig) -> np.ndarray:
    """In the rows `on`, mask every unit touching one sentence; return its size in tokens per row (0: none)."""
    spent = np.zeros(tokens.rows, dtype=np.int64)
    sentence = tokens.column("sentence_ids", -1)[where]
    row = tokens.row[where]
    pick = np.flatnonzero(on[row] & (sentence >= 0))
    if not pick.size:
        return spent
    triples = np.stack([row[pick], sentence[pick], unit_of[pick]])
    triples = triples[:, np.lexsort(triples[::-1])]
    distinct = np.r_[True, (np.diff(triples, axis=1) != 0).any(axis=0)]
    rows, sentences, units = triples[:, distinct]
    starts = np.flatnonzero(np.r_[True, (rows[1:] != rows[:-1]) | (sentences[1:] != sentences[:-1])])
    s_row, s_id = rows[starts], sentences[starts]
    cost = np.add.reduceat(sizes[units], starts)
    fits = cost <= budget[s_row]
    chosen = first_per_row(np.flatnonzero(fits), s_row, _uniform(keys[s_row], s_id, _SENTENCE_PICK))
    if config.sentence_overflow == "shortest":  # rows where none fits: the shortest, given two sentences or more
        count = np.bincount(s_row, minlength=tokens.rows)
        has_fit = np.zeros(tokens.rows, dtype=bool)
        has_fit[s_row[chosen]] = True
        over = np.flatnonzero(~has_fit[s_row] & (count[s_row] >= 2))
        chosen = np.r_[chosen, first_per_row(over, s_row, cost)]
    sentence_of = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, units.size]))
    is_chosen = np.zeros(starts.size, dtype=bool)
    is_chosen[chosen] = True
    taken[units[is_chosen[sentence_of]]] = True
    spent[s_row[chosen]] = cost[chosen]
    return spent


def in_band_count(n: np.ndarray, ratio: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """`max(1, round(n * ratio))` tokens, capped at n, moved into [ceil(n * low), floor(n * high)] when rounding
    left it outside and that range holds a whole count (so the realized ratio is in band whenever it can be)."""
    count = np.minimum(np.maximum(1, np.round(n * ratio)), n)
    lo, hi = np.ceil(n * low - 1e-9), np.floor(n * high + 1e-9)
    possible = (lo <= hi) & (hi >= 1)
    return np.where(possible, np.clip(count, np.maximum(lo, 1), hi), count).astype(np.int64)


def _choose(tokens: Tokens, config: MaskConfig, keys: np.ndarray) -> np.ndarray:
    """Boolean array over the batch's tokens: which positions the policy masks (before 80/10/10)."""
    chosen = np.zeros(tokens.ids.size, dtype=bool)
    where = np.flatnonzero(tokens.maskable)
    if not where.size:
        return chosen
    row = tokens.row[where]
    n = np.bincount(row, minlength=tokens.rows)
    low, high = config.bands(tokens.num_words)
    ratio = low + (high - low) * _uniform(keys, np.zeros(tokens.rows), _RATIO)
    budget = in_band_count(n, ratio, low, high)
    if config.max_predictions:
        budget = np.minimum(budget, config.max_predictions)

    terms = tokens.column("term_ids", -1)[where]
    first, unit_of = _units(row, [tokens.column("word_ids", -1)[where], terms])
    sizes = np.bincount(unit_of, minlength=first.size)
    unit_row, unit_key, unit_at = row[first], keys[row[first]], tokens.position[where[first]]
    is_term = np.bincount(unit_of, weights=terms >= 0, minlength=first.size) > 0
    taken = np.zeros(first.size, dtype=bool)
    spent = np.zeros(tokens.rows, dtype=np.int64)

    if config.sentence_share > 0:
        on = tokens.paragraph & (_uniform(keys, np.zeros(tokens.rows), _SENTENCE_COIN) < config.sentence_share)
        if on.any():
            spent = _mask_sentences(tokens, on, where, unit_of, sizes, taken, budget, keys, config)
            budget = np.maximum(budget, spent)  # sentence_overflow == "shortest": the sentence is the budget

    remaining = budget - spent
    term_units = np.flatnonzero(is_term & ~taken)
    term_order = term_units[_order_in_rows(unit_row[term_units],
                                           _uniform(unit_key[term_units], unit_at[term_units], _TERM_ORDER))]
    spent += _fill(term_order, unit_row, sizes, taken, np.round(config.term_share * remaining))

    word_units = np.flatnonzero(~is_term & ~taken)
    weights = config.pos_weight_table()[tokens.column("pos_ids", UPOS.index("X"))[where[first[word_units]]]]
    with np.errstate(divide="ignore", invalid="ignore"):  # Efraimidis-Spirakis: Exp(1) / weight, smallest first
        order_keys = -np.log1p(-_uniform(unit_key[word_units], unit_at[word_units], _WORD_ORDER)) / weights
    order_keys[weights == 0] = np.inf
    word_order = word_units[_order_in_rows(unit_row[word_units], order_keys)]
    spent += _fill(word_order, unit_row, sizes, taken, budget - spent)
    _fill(term_order, unit_row, sizes, taken, budget - spent)

    chosen[where[taken[unit_of]]] = True
    return chosen


def _order_in_rows(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The stable order by (row, key) for keys >= 0 (inf sorts last), keys compared as float32.

    One int64 sort, 5x faster than np.lexsort: a non-negative float32's bits order like the float, so
    ``row << 32 | bits`` orders by row, then key.
    """
    bits = (keys.astype(np.float32) + np.float32(0)).view(np.int32).astype(np.int64)  # + 0: no -0.0
    return np.argsort((rows.astype(np.int64) << 32) | bits, kind="stable")


def _replace(tokens: Tokens, chosen: np.ndarray, keys: np.ndarray, config: MaskConfig,
             vocab: MaskVocab) -> np.ndarray:
    """80/10/10: the input ids with each chosen position [MASK]ed, replaced by another token, or unchanged."""
    masked = tokens.ids.copy()
    where = np.flatnonzero(chosen)
    key, at = keys[tokens.row[where]], tokens.position[where]
    draw = _uniform(key, at, _REPLACE)
    masked[where[draw < config.replace_mask]] = vocab.mask_token_id
    is_random = (draw >= config.replace_mask) & (draw < config.replace_mask + config.replace_random)
    to_random = where[is_random]
    candidates = vocab.candidates()
    if to_random.size and candidates.size >= 2:
        original = tokens.ids[to_random]
        index = np.searchsorted(candidates, original)
        present = candidates[np.minimum(index, candidates.size - 1)] == original
        pick = (_uniform(key[is_random], at[is_random], _RANDOM_TOKEN) * (candidates.size - 1)).astype(np.int64)
        pick += present & (pick >= index)  # skip the original id so a "random" token is never the same
        masked[to_random] = candidates[pick]
    return masked


# -- the public functions -----------------------------------------------------------------------------------


def mask_batch(batch: pa.RecordBatch, config: MaskConfig, vocab: MaskVocab, keys: np.ndarray) -> dict[str, pa.Array]:
    """The MASKED_COLUMNS of a batch of pre-training rows; row i's mask depends only on its own columns and keys[i]."""
    tokens = Tokens(batch, vocab, config.length_from)
    chosen = _choose(tokens, config, keys)
    offsets = pa.array(tokens.offsets.astype(np.int32))

    def lists(values: np.ndarray, dtype) -> pa.Array:
        return pa.ListArray.from_arrays(offsets, pa.array(values.astype(dtype, copy=False)))

    out = {"id": batch.column("id"), "input_ids": lists(_replace(tokens, chosen, keys, config, vocab), np.int32)}
    for name, fill in (("attention_mask", 1), ("token_type_ids", 0), ("special_tokens_mask", 0)):
        out[name] = lists(tokens.column(name, fill), np.int8)
    out["labels"] = lists(np.where(chosen, tokens.ids, IGNORE_INDEX), np.int32)
    return out


def mask_example(row: Mapping[str, Any], config: MaskConfig, vocab: MaskVocab | Mapping[str, Any],
                 seed: int, epoch: int) -> dict:
    """Mask one pre-training row for one epoch: a pure function of (row, config, vocab, seed, epoch)."""
    out = MaskStage(config, vocab, seed, epoch)({name: [value] for name, value in row.items()})
    return {name: values[0] for name, values in out.items()}


class MaskStage:
    """Batch function writing masked/epoch-K: picklable, same output for a row in any batch or worker.

    Takes an Arrow record batch (the build) and returns Arrow arrays, or a dict of column lists
    (`datasets.map`) and returns lists.
    """

    def __init__(self, config: MaskConfig, vocab: MaskVocab | Mapping[str, Any], seed: int, epoch: int):
        self.config = config
        self.vocab = MaskVocab.coerce(vocab)
        self.seed = seed
        self.epoch = epoch

    def __call__(self, batch: pa.RecordBatch | Mapping[str, list]) -> dict:
        arrow = isinstance(batch, pa.RecordBatch)
        if not arrow:
            batch = to_batch(batch)
        keys = row_keys(self.seed, self.epoch, batch.column("id").to_pylist())
        out = mask_batch(batch, self.config, self.vocab, keys)
        return out if arrow else {name: column.to_pylist() for name, column in out.items()}
