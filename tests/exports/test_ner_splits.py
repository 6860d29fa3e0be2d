"""Split properties: no twin across splits, independent of input order, shares follow the request."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.errors import CorpusctlError
from corpusctl.exports.splits import (
    _gram_sets,
    assign_splits,
    check_fractions,
    duplicate_groups,
    leak_free_split,
    normalize,
    normalize_all,
)

texts = st.lists(st.text(alphabet="甲乙丙丁戊。， ", min_size=1, max_size=8), min_size=1, max_size=60)


def shingles(text: str, n: int) -> set[str]:
    """The definition the splits implement: character n-grams, or the whole text when shorter than n."""
    return {text} if len(text) <= n else {text[i : i + n] for i in range(len(text) - n + 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


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


# NFKC composition (e + U+0301, jamo), final sigma, full-width forms, compatibility characters, NULs, punctuation
tricky = "中文字0９aＡΣσΑ e\u0301\u1100\u1161\u11a8，。：（）!?.\u3000\u2026\u00b4\u02bc\u0345_\0\n㈱①ｶﾞİ"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=tricky, max_size=12), max_size=20))
def test_normalize_all_is_normalize_of_each(items):
    assert normalize_all(items) == [normalize(t) for t in items]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="甲乙丙丁戊己庚辛", max_size=9), min_size=1, max_size=30, unique=True), st.integers(1, 5))
def test_gram_sets_match_the_definition(items, n):
    codes, offsets, grams = _gram_sets(items, n)
    ids = [set((codes[offsets[i] : offsets[i + 1]] - i * grams).tolist()) for i in range(len(items))]
    sets = [shingles(t, n) for t in items]
    assert [len(s) for s in ids] == [len(s) for s in sets] and len(set().union(*sets)) == grams
    for i in range(len(items)):
        for j in range(i):
            assert len(ids[i] & ids[j]) == len(sets[i] & sets[j])


def test_minhash_finds_the_planted_near_duplicates_whatever_the_order():
    rng = random.Random(4)
    alphabet = [chr(0x4E00 + i) for i in range(300)]
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(15, 40))) for _ in range(1000)]
    variants = []
    for t in base[:400]:  # one or two characters changed: bigram Jaccard 0.6-0.95, many close to 0.8
        for _ in range(rng.randint(1, 2)):
            k = rng.randrange(len(t))
            t = t[:k] + rng.choice(alphabet) + t[k + 1 :]
        variants.append(t)
    items = base + variants
    exact, exact_stats = duplicate_groups(items, threshold=0.8, ngram=2, method="exact")
    minhash, stats = duplicate_groups(items, threshold=0.8, ngram=2, method="minhash")
    assert minhash == exact and stats == exact_stats and stats["near_duplicate_merges"] > 200
    order = list(range(len(items)))
    rng.shuffle(order)
    shuffled, _ = duplicate_groups([items[i] for i in order], threshold=0.8, ngram=2)
    # the same partition, each group named by its first member in the new order
    assert len({(exact[i], shuffled[k]) for k, i in enumerate(order)}) == len(set(exact))


def test_copies_are_sketched_once_and_group_as_the_full_sketch_does():
    """duplicate_groups sketches each distinct text once (issue 21): the groups and counts are those of
    group_duplicates over the sketch of every text."""
    from corpusctl.exports.splits import group_duplicates, sketch

    rng = random.Random(7)
    alphabet = [chr(0x4E00 + i) for i in range(200)]
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(10, 30))) for _ in range(300)]
    items = [rng.choice(base) for _ in range(900)] + [t[:-1] + "甲" for t in base[:100]]
    digests, signatures = sketch(items, 2)
    full = group_duplicates(digests, signatures, lambda rows: normalize_all([items[i] for i in rows]), 0.8, 2,
                            method="minhash")
    assert duplicate_groups(items, 0.8, 2, method="minhash") == full
    assert full[1]["exact_duplicates"] > 600 and full[1]["near_duplicate_merges"] > 0


def test_lsh_candidates_are_the_texts_of_near_pairs():
    from corpusctl.exports.splits import sketch
    from corpusctl.text.minhash import lsh_candidates

    rng = random.Random(5)
    alphabet = [chr(0x4E00 + i) for i in range(3000)]
    base = ["".join(rng.choice(alphabet) for _ in range(60)) for _ in range(200)]
    items = base + [base[0][:59] + "甲", base[1][1:] + "乙"]  # two near copies, Jaccard ~0.97
    marked = lsh_candidates(sketch(items, 2)[1], 0.8)
    assert set(marked.nonzero()[0].tolist()) == {0, 1, 200, 201}


def _reference_assign(keys, strata, groups, fractions, seed):
    """`assign_splits` as first written: a Counter and `stable_hash` per group."""
    import math
    from collections import defaultdict

    from corpusctl.stages import stable_hash

    members = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    names = {group: min(keys[i] for i in items) for group, items in members.items()}
    by_stratum = defaultdict(list)
    for group, items in members.items():
        counts = Counter(strata[i] for i in items)
        by_stratum[min(counts, key=lambda s: (-counts[s], s))].append(group)
    result, overall = [0] * len(keys), [0, 0, 0]
    for stratum in sorted(by_stratum):
        order = sorted(by_stratum[stratum], key=lambda g: (-len(members[g]), stable_hash(seed, "split", names[g]), names[g]))
        filled = [0, 0, 0]
        for group in order:
            size = len(members[group])
            total, grand = sum(filled) + size, sum(overall) + size
            deficits = [fractions[s] * total - filled[s] + fractions[s] * grand - overall[s] if fractions[s] > 0
                        else -math.inf for s in range(3)]
            split = max(range(3), key=lambda s: (deficits[s], -s))
            filled[split] += size
            overall[split] += size
            for i in members[group]:
                result[i] = split
    return result


def test_assign_splits_places_groups_as_the_plain_algorithm():
    """The one-item fast path and the spelled-out hash (issue 21) change no placement."""
    rnd = random.Random(4)
    for n in (1, 7, 300):
        keys = [f"d{rnd.randint(0, 50)}/s{i:05d}" for i in range(n)]
        strata = [rnd.choice(["A", "B", "A+B", "-"]) for _ in range(n)]
        groups = [rnd.choice([i, rnd.randint(0, i)]) for i in range(n)]
        for fractions in ((0.8, 0.1, 0.1), (0.5, 0.0, 0.5)):
            assert assign_splits(keys, strata, groups, fractions, 9) == _reference_assign(keys, strata, groups, fractions, 9)


def test_given_forms_are_not_normalised_again(monkeypatch):
    """The NER export normalises each distinct sentence once, for the split and the leak count (issue 21):
    with `forms` given, grouping normalises nothing and groups as it does on its own."""
    import corpusctl.exports.splits as splits

    rng = random.Random(3)
    alphabet = [chr(0x4E00 + i) for i in range(50)] + list("，。 ")
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(4, 20))) for _ in range(200)]
    items = [rng.choice(base) for _ in range(500)] + [t[:-1] + "甲" for t in base[:60]]
    alone = duplicate_groups(items, 0.8, 2, method="minhash")
    forms = {t: normalize(t) for t in items}
    monkeypatch.setattr(splits, "normalize_all", lambda texts: pytest.fail("normalised again"))
    assert duplicate_groups(items, 0.8, 2, method="minhash", forms=forms) == alone


def test_signatures_do_not_depend_on_how_many_characters_are_hashed_at_once():
    """`gram_signatures` hashes texts ~2M characters at a time (issue 21: bounded memory): the signatures are
    those of one pass over all texts, whatever the cut, empty and one-character texts included."""
    import numpy as np

    from corpusctl.text.minhash import gram_signatures

    rng = random.Random(3)
    texts = ["".join(rng.choice("阀门泄漏检查ab1") for _ in range(rng.randint(0, 30))) for _ in range(300)] + ["", "阀"]
    whole = gram_signatures(texts, 2, 16, chunk_chars=1 << 30)
    for chunk in (1, 7, 100, 5000):
        assert np.array_equal(gram_signatures(texts, 2, 16, chunk_chars=chunk), whole), chunk
    assert gram_signatures([], 2, 16).shape == (0, 16)
    # the permutations run over blocks of n-grams (a text's n-grams may fall in two blocks): each text's
    # signature is still its own minimum of every permutation, here spelled out a text at a time
    from corpusctl.text.minhash import gram_keys, mix64

    salts = [int(s) >> 32 for s in mix64(np.arange(1, 33, dtype=np.uint64))]
    expected = []
    for text in texts:
        hashes = [int(h) >> 32 for h in mix64(gram_keys([text], 2)[0])]
        row = []
        for k in range(16):
            values = [(h * (salts[2 * k] | 1) + salts[2 * k + 1]) % 2**32 for h in hashes]
            row.append(min(v ^ (v >> 15) for v in values))
        expected.append(row)
    for block in (1, 3, 64, 4096):
        assert np.array_equal(gram_signatures(texts, 2, 16, block=block), np.array(expected, np.uint32)), block


def test_the_splits_bench_counts_near_duplicates_as_the_floor_of_the_candidates():
    """bench/splits.py reports the LSH candidates beside the distinct texts that have a near-duplicate (which
    every candidate test that misses none must propose) and the candidates that have none: on 300 random texts
    with 20 planted pairs (one character apart: 3-gram Jaccard 0.9) and 10 exact copies, the floor is the 40
    texts of the pairs, copies not counted twice."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_splits", Path(__file__).parents[2] / "bench" / "splits.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rnd = random.Random(5)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]
    texts = ["".join(rnd.choices(alphabet, k=60)) for _ in range(300)]
    texts += [t[:30] + ("丁" if t[30] != "丁" else "丙") + t[31:] for t in texts[:20]]
    texts += texts[100:110]
    found, near, unconfirmed = bench.candidates(texts, 3, 96, 0.8)
    assert near == 40
    assert found - unconfirmed == 40 and unconfirmed >= 0
