"""Leak-free, stratified, deterministic train/dev/test splits for NER sentences and classification texts.

Identical texts (after normalisation) and near-identical ones (character n-gram Jaccard >= threshold)
form one group, and a group goes to one split as a whole, so no test text has a twin in train. Near pairs
are proposed by MinHash LSH over all texts at once (numpy) and confirmed by their exact Jaccard.
Groups are assigned per stratum (an entity-type signature, a class label) to the split that is
furthest below its target share, which keeps every stratum's shares close to the requested ones.
Global step: it keeps the texts of the set being split (bounded by the caller) and small per-item data.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated

import numpy as np
from pydantic import AfterValidator

from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash
from corpusctl.text.minhash import (  # noqa: F401  (_gram_sets, band_keys, bucket_pairs: for callers and tests)
    _components,
    _gram_sets,
    _near_pairs,
    band_keys,
    bucket_pairs,
    gram_signatures,
    mix64,
)

EXACT_LIMIT = 200
"""Up to this many distinct texts every pair is compared; above, MinHash LSH proposes the pairs to compare."""
PERMUTATIONS = 96
"""MinHash values per text (documents use half as many: they cost more and their n-gram sets are large); the
LSH bands follow from the threshold (`_bands`)."""


def check_fractions(fractions: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(f) for f in fractions)
    if len(values) != 3 or any(f < 0 for f in values) or not math.isclose(sum(values), 1.0, abs_tol=1e-6):
        raise CorpusctlError(f"split must be three non-negative shares that sum to 1 (train, dev, test), got {list(fractions)}")
    return values


def _valid_split(value: tuple[float, float, float]) -> tuple[float, float, float]:
    try:
        check_fractions(value)
    except CorpusctlError as exc:
        raise ValueError(str(exc)) from None
    return value


SplitShares = Annotated[tuple[float, float, float], AfterValidator(_valid_split)]
"""A recipe's train/dev/test shares: three non-negative numbers that sum to 1."""


_NOT_ALNUM = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    r"""The form two texts must share to count as identical: NFKC, lower case, letters and digits only
    (`[\W_]` matches exactly the characters for which `str.isalnum()` is false)."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).lower())


def _inert_punctuation() -> str:
    """Punctuation and spaces that `normalize` removes whatever surrounds them: NFKC maps them to
    non-alphanumeric, uncased starters (ccc 0) of these blocks, none of which composes with a neighbour."""
    blocks = [(0x09, 0x7F), (0x2000, 0x2070), (0x3000, 0x3040), (0xFE10, 0xFE70), (0xFF00, 0xFF66)]

    def inert(c: str) -> bool:
        return (not c.isalnum() and not c.islower() and not c.isupper() and unicodedata.combining(c) == 0
                and any(lo <= ord(c) < hi for lo, hi in blocks))

    chars = (chr(c) for lo, hi in blocks for c in range(lo, hi))
    return "".join(c for c in chars if inert(c) and all(map(inert, unicodedata.normalize("NFKC", c))))


# A run of them right before a CJK ideograph, an ASCII digit or a text's end: deleting it changes no NFKC
# composition and no lower-casing context (final sigma), so most text then passes NFKC's quick check.
_INERT = re.compile(f"[{re.escape(_inert_punctuation())}]+(?=[\u4e00-\u9fff0-9\0]|$)")
_NOT_ALNUM_OR_NUL = re.compile(r"[^\w\0]+|_+")


def normalize_all(texts: Sequence[str], chunk: int = 4096) -> list[str]:
    """`normalize` of every text, in a few passes over chunks of texts joined by NULs (twice as fast)."""
    if len(texts) > chunk:  # (a chunk at a time: the passes make a few copies of what they join)
        return [form for lo in range(0, len(texts), chunk) for form in normalize_all(texts[lo : lo + chunk])]
    joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:  # a text holds a NUL: one at a time
        return [normalize(t) for t in texts]
    joined = _INERT.sub("", joined)
    if not unicodedata.is_normalized("NFKC", joined):  # NFKC of a whole text is costly: only the texts that need it
        joined = "\0".join(unicodedata.normalize("NFKC", t) for t in joined.split("\0"))
    return _NOT_ALNUM_OR_NUL.sub("", joined.lower()).split("\0") if texts else []


def sketch(texts: Sequence[str], ngram: int, perms: int = PERMUTATIONS) -> tuple[list[bytes], np.ndarray]:
    """What grouping needs of each text, and all it keeps: a 128-bit digest of the normalised text and the
    MinHash signature (texts x perms, uint32) of its n-grams. A pure function of each text, so a corpus is
    sketched batch by batch."""
    return sketch_forms(normalize_all(texts), ngram, perms)


def sketch_forms(forms: Sequence[str], ngram: int, perms: int = PERMUTATIONS) -> tuple[list[bytes], np.ndarray]:
    """`sketch` of texts already normalised."""
    digests = [hashlib.blake2b(form.encode(), digest_size=16).digest() for form in forms]
    return digests, gram_signatures(forms, ngram, perms)


def duplicate_groups(
    texts: Sequence[str], threshold: float = 0.8, ngram: int = 3, links: Sequence[str] | None = None, method: str = "auto",
    forms: Mapping[str, str] | None = None,
) -> tuple[list[int], dict]:
    """`group_duplicates` of texts held in memory. Each distinct text is normalised and sketched once (templated
    sentences repeat: half the NER sentences of a generated corpus are copies; issue 21); `forms`: the
    `normalize` of each text, when the caller has them already."""
    first: dict[str, int] = {}
    copy_of = [first.setdefault(text, len(first)) for text in texts]
    distinct = list(first)
    distinct_forms = [forms[t] for t in distinct] if forms is not None else normalize_all(distinct)
    digests, signatures = sketch_forms(distinct_forms, ngram)
    return group_duplicates([digests[i] for i in copy_of], signatures, lambda rows: [distinct_forms[copy_of[i]] for i in rows],
                            threshold, ngram, links, method, rows=np.array(copy_of, np.int64))


def group_duplicates(
    digests: Sequence[bytes], signatures: np.ndarray, forms_of: Callable[[np.ndarray], list[str]],
    threshold: float = 0.8, ngram: int = 3, links: Sequence[str] | None = None, method: str = "auto",
    rows: np.ndarray | None = None,
) -> tuple[list[int], dict]:
    """Group id of every text (the index of its group's first member) and counts, from the texts' `sketch`es
    (`rows`: text i's signature is `signatures[rows[i]]`, so copies share one row, not a copy of it).
    Texts join a group when identical after `normalize`, when their n-gram Jaccard is >= threshold
    (threshold 1 = exact only), or when they share a non-empty `links` key (e.g. the same source document).
    `forms_of(rows)` gives the normalised texts of some rows, for the exact comparison of candidate pairs.
    `method`: "exact" compares every pair of distinct texts, "minhash" only LSH candidates, "auto" the
    former up to EXACT_LIMIT."""
    first: dict[bytes, int] = {}
    rep = [first.setdefault(d, len(first)) for d in digests]  # index of each text's distinct form
    m = len(first)
    rep_of = np.array(rep, np.int64)
    first_text = np.flatnonzero(np.r_[True, rep_of[1:] > np.maximum.accumulate(rep_of)[:-1]]) if m else rep_of
    a = b = np.zeros(0, np.int64)
    if threshold < 1 and m > 1:
        exact = method == "exact" or (method == "auto" and m <= EXACT_LIMIT)
        distinct = signatures[first_text if rows is None else rows[first_text]]
        a, b = _near_pairs(distinct, lambda found: forms_of(first_text[found]), threshold, ngram, exact)
    roots = _components(m, a, b)
    components = int(np.count_nonzero(roots == np.arange(m)))
    linked = 0
    if links is not None:
        owner: dict[str, int] = {}
        pairs = [(rep[owner.setdefault(key, i)], rep[i]) for i, key in enumerate(links) if key]
        la, lb = np.array(pairs, np.int64).reshape(-1, 2).T
        roots = _components(m, np.r_[a, la], np.r_[b, lb])
        linked = components - int(np.count_nonzero(roots == np.arange(m)))
    groups = first_text[roots[rep_of]] if m else rep_of
    sizes = np.bincount(groups, minlength=len(digests))
    grouped = int(sizes[sizes > 1].sum())
    stats = {
        "exact_duplicates": len(digests) - m,
        "near_duplicate_merges": m - components,
        "linked_merges": linked,
        "groups": int(np.count_nonzero(sizes)),
        "grouped": grouped,
        # members that follow their group's first member instead of being placed on their own
        "moved": grouped - int(np.count_nonzero(sizes > 1)),
    }
    return groups.tolist(), stats


def assign_splits(keys: Sequence[str], strata: Sequence[str], groups: Sequence[int], fractions: Sequence[float], seed: int) -> list[int]:
    """Split index (0 train, 1 dev, 2 test) per item. Whole groups are placed, largest first and otherwise
    in a seeded hash order, each into the split furthest below its share of the group's stratum."""
    fractions = check_fractions(fractions)
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    # most groups are one item: its key and stratum, without a min or a Counter (issue 21)
    names = {group: keys[items[0]] if len(items) == 1 else min(keys[i] for i in items)  # input-order independent
             for group, items in members.items()}
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for group, items in members.items():
        if len(items) == 1:
            stratum = strata[items[0]]
        else:
            counts = Counter(strata[i] for i in items)
            stratum = min(counts, key=lambda s: (-counts[s], s))  # the group's most common stratum
        by_stratum[stratum].append(group)

    def order_key(group: int) -> tuple:
        return -len(members[group]), stable_hash(seed, "split", names[group]), names[group]

    result = [0] * len(keys)
    overall = [0, 0, 0]
    for stratum in sorted(by_stratum):
        order = sorted(by_stratum[stratum], key=order_key)
        filled = [0, 0, 0]
        for group in order:
            size = len(members[group])
            total, grand = sum(filled) + size, sum(overall) + size
            # the stratum's own shortfall, plus the overall one so that many small strata (where rounding
            # always favours the largest split) still add up to the requested shares
            deficits = [
                fractions[s] * total - filled[s] + fractions[s] * grand - overall[s] if fractions[s] > 0 else -math.inf
                for s in range(3)
            ]
            split = max(range(3), key=lambda s: (deficits[s], -s))
            filled[split] += size
            overall[split] += size
            for i in members[group]:
                result[i] = split
    return result


def leak_free_split(
    keys: Sequence[str],
    texts: Sequence[str],
    strata: Sequence[str],
    fractions: Sequence[float],
    seed: int,
    threshold: float = 0.8,
    ngram: int = 3,
    links: Sequence[str] | None = None,
    forms: Mapping[str, str] | None = None,
) -> tuple[list[int], dict]:
    """Group duplicates, then assign groups by stratum: the split index per item and the grouping counts
    (`forms`: as for `duplicate_groups`)."""
    groups, stats = duplicate_groups(texts, threshold=threshold, ngram=ngram, links=links, forms=forms)
    return assign_splits(keys, strata, groups, fractions, seed), stats
