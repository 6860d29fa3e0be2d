"""Split properties: no twin across splits, independent of input order, shares follow the request."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.errors import CorpusctlError
from corpusctl.exports.splits import (
    _jaccard,
    assign_splits,
    check_fractions,
    leak_free_split,
    normalize,
    shingles,
)

texts = st.lists(st.text(alphabet="甲乙丙丁戊。， ", min_size=1, max_size=8), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(texts, st.randoms(use_true_random=False))
def test_twins_share_a_split_whatever_the_input_order(items, rnd):
    keys = [f"k{i}" for i in range(len(items))]
    strata = [str(len(t) % 3) for t in items]
    split, _ = leak_free_split(keys, items, strata, (0.6, 0.2, 0.2), seed=1, threshold=0.7, ngram=2)
    where = dict(zip(keys, split, strict=True))
    for i, a in enumerate(items):
        for j, b in enumerate(items[:i]):
            if normalize(a) == normalize(b) or _jaccard(shingles(normalize(a), 2), shingles(normalize(b), 2)) >= 0.7:
                assert where[keys[i]] == where[keys[j]], (a, b)
    order = list(range(len(items)))
    rnd.shuffle(order)
    shuffled, _ = leak_free_split([keys[i] for i in order], [items[i] for i in order], [strata[i] for i in order], (0.6, 0.2, 0.2), seed=1, threshold=0.7, ngram=2)
    assert dict(zip([keys[i] for i in order], shuffled, strict=True)) == where


def test_shares_per_stratum_follow_the_request():
    rng = random.Random(0)
    keys = [f"id{i}" for i in range(5000)]
    strata = [rng.choice("AAAAABBBC") + rng.choice("xy") for _ in keys]
    split = assign_splits(keys, strata, list(range(len(keys))), (0.8, 0.1, 0.1), seed=3)
    for stratum, total in Counter(strata).items():
        counts = Counter(s for s, st_ in zip(split, strata, strict=True) if st_ == stratum)
        for index, share in enumerate((0.8, 0.1, 0.1)):
            assert abs(counts[index] / total - share) < 0.01
    assert split != assign_splits(keys, strata, list(range(len(keys))), (0.8, 0.1, 0.1), seed=4)


def test_empty_splits_are_allowed_and_bad_fractions_are_errors():
    split = assign_splits(["a", "b", "c"], ["x"] * 3, [0, 1, 2], (1.0, 0.0, 0.0), seed=1)
    assert split == [0, 0, 0]
    with pytest.raises(CorpusctlError, match="sum to 1"):
        check_fractions((0.5, 0.5, 0.5))
    with pytest.raises(CorpusctlError, match="three non-negative"):
        check_fractions((1.2, -0.2))
