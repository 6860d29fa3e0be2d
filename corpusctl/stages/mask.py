"""Masking policy: dynamic ratio, term-level, sentence-level, POS-weighted, 80/10/10 (issue #6).

The HRG-BERT recipe (paper section 3.3.1) plus POS-weighted word choice (seed 003). For each example:

1. Maskable tokens are the non-special, non-padding tokens (`special_tokens_mask`, `vocab.special_ids`).
2. The ratio is drawn uniformly in a band that depends on the example's length in words: ``short_ratio``
   up to ``short_words``, ``long_ratio`` above ``long_words``, both bounds interpolated linearly between.
3. The budget is ``max(1, round(n_maskable * ratio))``, capped at ``max_predictions`` and ``n_maskable``:
   the count is fixed first and units are picked to fill it (google-research/bert), never per-token coin flips.
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

All randomness comes from ``numpy.random.default_rng(stable_hash(seed, "mask", epoch, row id))``: the same
row gets the same mask in any batch, worker or process, and a different one in another epoch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from corpusctl.config import StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash
from corpusctl.stages.segment import UPOS

CONTENT_POS = ("NOUN", "PROPN", "VERB", "ADJ", "ADV")
MASKED_COLUMNS = ("id", "input_ids", "attention_mask", "token_type_ids", "special_tokens_mask", "labels")
IGNORE_INDEX = -100


class MaskConfig(StageSection):
    epochs: int = Field(2, ge=0)
    """How many pre-drawn epochs to write (masked/epoch-0 ...); 0 = only the training collator masks."""
    short_words: int = Field(100, ge=1)
    long_words: int = Field(500, ge=1)
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

    def special_array(self) -> np.ndarray:
        return np.asarray(self.special_ids, dtype=np.int64)

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


# -- choosing positions -------------------------------------------------------------------------------------


def _array(row: Mapping[str, Any], key: str, length: int, fill: int) -> np.ndarray:
    value = row.get(key)
    if value is None:
        return np.full(length, fill, dtype=np.int64)
    array = np.asarray(value, dtype=np.int64)
    if array.shape != (length,):
        raise ValueError(f"row {row.get('id')!r}: {key} has {array.size} entries for {length} tokens")
    return array


def _units(groups: list[np.ndarray], n: int) -> np.ndarray:
    """Unit index per token: connected groups of tokens sharing an id in any grouping (ids < 0 = none).

    Fast path for what tokenize writes (each group a contiguous run, numbered in order); any other layout
    falls back to label propagation, so all-or-nothing holds for every input.
    """
    boundary = np.ones(n, dtype=bool)
    for group in groups:
        run_values = group[np.r_[True, group[1:] != group[:-1]]]
        run_values = run_values[run_values >= 0]
        if (np.diff(run_values) <= 0).any():
            return np.unique(_propagate(groups, n), return_inverse=True)[1].reshape(-1)
        boundary[1:] &= ~((group[1:] == group[:-1]) & (group[1:] >= 0))
    return np.cumsum(boundary) - 1


def _propagate(groups: list[np.ndarray], n: int) -> np.ndarray:
    """Connected components by repeated min-label propagation within each group."""
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


def _fill(order: np.ndarray, sizes: np.ndarray, taken: np.ndarray, target: int) -> int:
    """Take units in `order` that fit in `target`, skipping those that overshoot; return tokens taken."""
    left = target
    for unit in order:
        if left <= 0:
            break
        size = sizes[unit]
        if not taken[unit] and size <= left:
            taken[unit] = True
            left -= size
    return target - left


def choose_positions(row: Mapping[str, Any], config: MaskConfig, vocab: MaskVocab,
                     rng: np.random.Generator) -> np.ndarray:
    """Boolean array over tokens: which positions the policy masks (before 80/10/10)."""
    ids = np.asarray(row["input_ids"], dtype=np.int64)
    n_tokens = ids.size
    special = _array(row, "special_tokens_mask", n_tokens, 0) != 0
    special |= _array(row, "attention_mask", n_tokens, 1) == 0
    special |= np.isin(ids, vocab.special_array())
    where = np.flatnonzero(~special)
    chosen = np.zeros(n_tokens, dtype=bool)
    n = where.size
    if n == 0:
        return chosen

    words = _array(row, "word_ids", n_tokens, -1)[where]
    terms = _array(row, "term_ids", n_tokens, -1)[where]
    sentences = _array(row, "sentence_ids", n_tokens, -1)[where]
    pos = _array(row, "pos_ids", n_tokens, UPOS.index("X"))[where]

    low, high = config.band(int(row.get("num_words") or 0))
    ratio = rng.uniform(low, high)
    budget = min(max(1, round(n * ratio)), n, config.max_predictions or n)

    unit_of = _units([words, terms], n)
    sizes = np.bincount(unit_of)
    n_units = sizes.size
    first = np.full(n_units, n)
    np.minimum.at(first, unit_of, np.arange(n))
    is_term = np.bincount(unit_of, weights=terms >= 0, minlength=n_units) > 0
    taken = np.zeros(n_units, dtype=bool)
    spent = 0

    if row.get("format") == "paragraph" and rng.random() < config.sentence_share:
        spent = _mask_sentence(sentences, unit_of, sizes, taken, budget, config, rng)
        if spent > budget:  # sentence_overflow == "shortest": the sentence is the whole budget
            budget = spent

    remaining = budget - spent
    term_order = rng.permutation(np.flatnonzero(is_term & ~taken))
    spent += _fill(term_order, sizes, taken, round(config.term_share * remaining))

    word_units = np.flatnonzero(~is_term & ~taken)
    weights = config.pos_weight_table()[pos[first[word_units]]]
    with np.errstate(divide="ignore"):
        keys = rng.exponential(size=word_units.size) / weights
    spent += _fill(word_units[np.argsort(keys, kind="stable")], sizes, taken, budget - spent)
    _fill(term_order, sizes, taken, budget - spent)

    chosen[where[taken[unit_of]]] = True
    return chosen


def _mask_sentence(sentences: np.ndarray, unit_of: np.ndarray, sizes: np.ndarray, taken: np.ndarray,
                   budget: int, config: MaskConfig, rng: np.random.Generator) -> int:
    """Mask every unit touching one sentence; return its size in tokens (0 when no sentence is masked)."""
    has = sentences >= 0
    if not has.any():
        return 0
    pairs = np.unique(np.stack([sentences[has], unit_of[has]]), axis=1)
    sentence_ids, start = np.unique(pairs[0], return_index=True)
    cost = np.add.reduceat(sizes[pairs[1]], start)
    fits = np.flatnonzero(cost <= budget)
    if fits.size:
        pick = int(rng.choice(fits))
    elif config.sentence_overflow == "shortest" and sentence_ids.size >= 2:
        pick = int(np.argmin(cost))
    else:
        return 0
    taken[pairs[1][pairs[0] == sentence_ids[pick]]] = True
    return int(cost[pick])


# -- the public functions -----------------------------------------------------------------------------------


def example_rng(seed: int, epoch: int, row_id: Any, draw: int | None = None) -> np.random.Generator:
    """The RNG for one example in one epoch: f(seed, epoch, row id) (fairseq's scheme)."""
    keys = (seed, "mask", epoch, row_id) if draw is None else (seed, "mask", epoch, draw, row_id)
    return np.random.default_rng(stable_hash(*keys))


def apply_mask(row: Mapping[str, Any], config: MaskConfig, vocab: MaskVocab, rng: np.random.Generator) -> dict:
    """Choose positions and apply 80/10/10 with the given RNG; the masked row's columns."""
    ids = np.asarray(row["input_ids"], dtype=np.int64)
    chosen = choose_positions(row, config, vocab, rng)
    labels = np.full(ids.size, IGNORE_INDEX, dtype=np.int64)
    labels[chosen] = ids[chosen]
    masked = ids.copy()
    where = np.flatnonzero(chosen)
    draw = rng.random(where.size)
    to_mask = where[draw < config.replace_mask]
    masked[to_mask] = vocab.mask_token_id
    candidates = vocab.candidates()
    to_random = where[(draw >= config.replace_mask) & (draw < config.replace_mask + config.replace_random)]
    if to_random.size and candidates.size >= 2:
        original = ids[to_random]
        at = np.searchsorted(candidates, original)
        present = candidates[np.minimum(at, candidates.size - 1)] == original
        pick = rng.integers(0, candidates.size - 1, size=to_random.size)
        pick += present & (pick >= at)  # skip the original id so a "random" token is never the same
        masked[to_random] = candidates[pick]
    n = ids.size
    return {
        "id": row["id"],
        "input_ids": masked.tolist(),
        "attention_mask": list(row["attention_mask"]) if row.get("attention_mask") is not None else [1] * n,
        "token_type_ids": list(row["token_type_ids"]) if row.get("token_type_ids") is not None else [0] * n,
        "special_tokens_mask": (list(row["special_tokens_mask"]) if row.get("special_tokens_mask") is not None
                                else [0] * n),
        "labels": labels.tolist(),
    }


def mask_example(row: Mapping[str, Any], config: MaskConfig, vocab: MaskVocab | Mapping[str, Any],
                 seed: int, epoch: int) -> dict:
    """Mask one pre-training row for one epoch: a pure function of (row, config, vocab, seed, epoch)."""
    return apply_mask(row, config, MaskVocab.coerce(vocab), example_rng(seed, epoch, row["id"]))


class MaskStage:
    """Batch function writing masked/epoch-K: picklable, same output for a row in any batch or worker."""

    name = "mask"

    def __init__(self, config: MaskConfig, vocab: MaskVocab | Mapping[str, Any], seed: int, epoch: int):
        self.config = config
        self.vocab = MaskVocab.coerce(vocab)
        self.seed = seed
        self.epoch = epoch

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        columns = list(batch)
        size = len(batch["input_ids"])
        out: dict[str, list] = {name: [] for name in MASKED_COLUMNS}
        for i in range(size):
            row = {name: batch[name][i] for name in columns}
            masked = mask_example(row, self.config, self.vocab, self.seed, self.epoch)
            for name in MASKED_COLUMNS:
                out[name].append(masked[name])
        return out


# -- statistics ---------------------------------------------------------------------------------------------


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
        self.examples = self.in_band = self.maskable = self.masked = self.masked_on_terms = 0
        self.terms_all = self.paragraphs = self.paragraphs_with_sentence = 0
        # examples whose term tokens alone could fill the budget: there the ~70% term focus must show
        self.sufficient_examples = self.sufficient_masked = self.sufficient_on_terms = 0
        self.replaced = {"mask": 0, "random": 0, "unchanged": 0}
        self.pos_all = np.zeros(len(UPOS), dtype=np.int64)
        self.pos_masked = np.zeros(len(UPOS), dtype=np.int64)

    def _bucket(self, num_words: int) -> _Bucket:
        names = list(self.buckets)
        if num_words <= self.config.short_words:
            return self.buckets[names[0]]
        return self.buckets[names[1] if num_words <= self.config.long_words else names[2]]

    def add(self, row: Mapping[str, Any], masked: Mapping[str, Any]) -> None:
        if row["id"] != masked["id"]:
            raise ValueError(f"pretrain row {row['id']!r} paired with masked row {masked['id']!r}")
        ids = np.asarray(row["input_ids"], dtype=np.int64)
        n_tokens = ids.size
        labels = np.asarray(masked["labels"], dtype=np.int64)
        new_ids = np.asarray(masked["input_ids"], dtype=np.int64)
        special = _array(row, "special_tokens_mask", n_tokens, 0) != 0
        special |= _array(row, "attention_mask", n_tokens, 1) == 0
        if self.vocab is not None:
            special |= np.isin(ids, self.vocab.special_array())
        maskable = ~special
        hit = labels != IGNORE_INDEX
        n, m = int(maskable.sum()), int(hit.sum())
        num_words = int(row.get("num_words") or 0)
        self.examples += 1
        self.maskable += n
        self.masked += m
        if n:
            ratio = m / n
            low, high = self.config.band(num_words)
            slack = 0.5 / n + 1e-9  # rounding n * ratio to a whole count
            in_band = low - slack <= ratio <= high + slack
            self.in_band += int(in_band)
            self._bucket(num_words).add(ratio, in_band)
        terms = _array(row, "term_ids", n_tokens, -1)
        term_tokens, on_terms = int((terms[maskable] >= 0).sum()), int((terms[hit] >= 0).sum())
        self.terms_all += term_tokens
        self.masked_on_terms += on_terms
        if m and term_tokens >= m:
            self.sufficient_examples += 1
            self.sufficient_masked += m
            self.sufficient_on_terms += on_terms
        pos = _array(row, "pos_ids", n_tokens, UPOS.index("X"))
        self.pos_all += np.bincount(pos[maskable], minlength=len(UPOS))
        self.pos_masked += np.bincount(pos[hit], minlength=len(UPOS))
        is_mask = new_ids[hit] == (self.vocab.mask_token_id if self.vocab else -1)
        unchanged = new_ids[hit] == ids[hit]
        if self.vocab is None:  # without the vocabulary, a changed token is [MASK] if it is the commonest one
            changed = new_ids[hit][~unchanged]
            is_mask = np.zeros(m, dtype=bool)
            if changed.size:
                values, counts = np.unique(changed, return_counts=True)
                is_mask = new_ids[hit] == values[np.argmax(counts)]
        self.replaced["mask"] += int(is_mask.sum())
        self.replaced["unchanged"] += int((unchanged & ~is_mask).sum())
        self.replaced["random"] += int((~unchanged & ~is_mask).sum())
        if row.get("format") == "paragraph":
            self.paragraphs += 1
            sentences = _array(row, "sentence_ids", n_tokens, -1)
            has = maskable & (sentences >= 0)
            if has.any():
                total = np.bincount(sentences[has])
                covered = np.bincount(sentences[has & hit], minlength=total.size)
                self.paragraphs_with_sentence += int(((total > 0) & (covered == total)).any())

    def add_batch(self, rows: Mapping[str, list], masked: Mapping[str, list]) -> None:
        """One pair of column batches (dict[str, list]) in the same row order."""
        for i in range(len(rows["id"])):
            self.add({k: v[i] for k, v in rows.items()}, {k: v[i] for k, v in masked.items()})

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
            "in_band": share(self.in_band, self.examples),
            "by_length": {
                name: bucket.result(self._target(name)) for name, bucket in self.buckets.items()
            },
            "term_share": share(self.masked_on_terms, self.masked),
            "term_share_target": cfg.term_share,
            "term_share_where_terms_suffice": share(self.sufficient_on_terms, self.sufficient_masked),
            "examples_where_terms_suffice": self.sufficient_examples,
            "term_tokens_share_all": share(self.terms_all, self.maskable),
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


@dataclass
class _Bucket:
    examples: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")
    in_band: int = 0

    def add(self, ratio: float, in_band: bool) -> None:
        self.examples += 1
        self.in_band += int(in_band)
        self.total += ratio
        self.low = min(self.low, ratio)
        self.high = max(self.high, ratio)

    def result(self, target: list[float]) -> dict:
        if not self.examples:
            return {"examples": 0, "mean": None, "min": None, "max": None, "in_band": None, "target": target}
        return {"examples": self.examples, "mean": round(self.total / self.examples, 4),
                "min": round(self.low, 4), "max": round(self.high, 4),
                "in_band": round(self.in_band / self.examples, 4), "target": target}


def _pos_shares(counts: np.ndarray) -> dict[str, float]:
    total = int(counts.sum())
    return {name: round(int(c) / total, 4) for name, c in zip(UPOS, counts, strict=True) if c} if total else {}


def mask_statistics(pretrain: Iterable[Mapping[str, Any]], masked: Iterable[Mapping[str, Any]],
                    config: MaskConfig, vocab: MaskVocab | Mapping[str, Any] | None = None) -> dict:
    """JSON-able statistics of one epoch's masks, in one streaming pass over paired rows (same order).

    Rows may come from `datasets.Dataset`s or any iterables of dicts; pass `vocab` so [MASK] and special
    ids are known exactly (without it [MASK] is inferred as the commonest replacement).
    """
    stats = MaskStatistics(config, vocab)
    sentinel = object()
    masked_iter = iter(masked)
    for row in pretrain:
        other = next(masked_iter, sentinel)
        if other is sentinel:
            raise ValueError(f"masked rows end before pretrain row {row['id']!r}")
        stats.add(row, other)
    if next(masked_iter, sentinel) is not sentinel:
        raise ValueError("more masked rows than pretrain rows")
    return stats.result()
