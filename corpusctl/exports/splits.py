"""Leak-free, stratified, deterministic train/dev/test splits for NER sentences and classification texts.

Identical texts (after normalisation) and near-identical ones (character n-gram Jaccard >= threshold)
form one group, and a group goes to one split as a whole, so no test text has a twin in train.
Groups are assigned per stratum (an entity-type signature, a class label) to the split that is
furthest below its target share, which keeps every stratum's shares close to the requested ones.
Global step: it keeps the texts of the set being split (bounded by the caller) and small per-item data.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator

from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash

EXACT_LIMIT = 5_000
"""Up to this many distinct texts, near duplicates are found exactly (prefix filtering); above, MinHash LSH."""


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


def normalize(text: str) -> str:
    """The form two texts must share to count as identical: NFKC, lower case, letters and digits only."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


def shingles(text: str, n: int) -> set[str]:
    """Character n-grams of the normalised text (the whole text when shorter than n)."""
    if len(text) <= n:
        return {text}
    return {text[i : i + n] for i in range(len(text) - n + 1)}


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the smallest index is the root: order-independent


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _near_pairs_exact(texts: list[str], threshold: float, n: int) -> list[tuple[int, int]]:
    """All pairs with Jaccard >= threshold, exactly: two such sets must share a shingle within their
    prefixes of rarest shingles (prefix filtering, Chaudhuri et al. 2006), so only those are compared."""
    sets = [shingles(t, n) for t in texts]
    freq = Counter(s for items in sets for s in items)
    index: dict[str, list[int]] = defaultdict(list)
    pairs = []
    for i, items in enumerate(sets):
        ordered = sorted(items, key=lambda s: (freq[s], s))
        prefix = len(ordered) - math.ceil(threshold * len(ordered) - 1e-9) + 1
        candidates = {j for s in ordered[:prefix] for j in index[s]}
        for j in sorted(candidates):
            small, large = sorted((len(items), len(sets[j])))
            if small >= threshold * large and _jaccard(items, sets[j]) >= threshold:  # length filter first
                pairs.append((j, i))
        for s in ordered[:prefix]:
            index[s].append(i)
    return pairs


def _near_pairs_minhash(texts: list[str], threshold: float, n: int, num_perm: int = 128) -> list[tuple[int, int]]:
    """Candidate pairs from MinHash LSH (datasketch), confirmed by the exact Jaccard of their shingles."""
    from datasketch import MinHash, MinHashLSH

    # weigh misses far above false candidates: every candidate is checked exactly anyway
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.05, 0.95))
    signatures = MinHash.bulk(([s.encode("utf-8") for s in sorted(shingles(t, n))] for t in texts), num_perm=num_perm)
    pairs = []
    for i, signature in enumerate(signatures):
        for j in sorted(lsh.query(signature)):
            if _jaccard(shingles(texts[i], n), shingles(texts[j], n)) >= threshold:
                pairs.append((j, i))
        lsh.insert(i, signature)
    return pairs


def duplicate_groups(
    texts: Sequence[str], threshold: float = 0.8, ngram: int = 3, links: Sequence[str] | None = None, method: str = "auto"
) -> tuple[list[int], dict]:
    """Group id of every text (the index of its group's first member) and counts. Texts join a group when
    identical after `normalize`, when their n-gram Jaccard is >= threshold (threshold 1 = exact only),
    or when they share a non-empty `links` key (e.g. the same source document)."""
    uf = _UnionFind(len(texts))
    first: dict[str, int] = {}
    distinct: list[int] = []  # index of the first text of every distinct normalised form
    exact = 0
    norms = [normalize(t) for t in texts]
    for i, norm in enumerate(norms):
        if norm in first:
            uf.union(first[norm], i)
            exact += 1
        else:
            first[norm] = i
            distinct.append(i)
    near = 0
    if threshold < 1 and len(distinct) > 1:
        rep_texts = [norms[i] for i in distinct]
        if method == "exact" or (method == "auto" and len(distinct) <= EXACT_LIMIT):
            pairs = _near_pairs_exact(rep_texts, threshold, ngram)
        else:
            pairs = _near_pairs_minhash(rep_texts, threshold, ngram)
        for a, b in pairs:
            if uf.find(distinct[a]) != uf.find(distinct[b]):
                near += 1
            uf.union(distinct[a], distinct[b])
    linked = 0
    if links is not None:
        owner: dict[str, int] = {}
        for i, key in enumerate(links):
            if not key:
                continue
            if key in owner:
                if uf.find(owner[key]) != uf.find(i):
                    linked += 1
                uf.union(owner[key], i)
            else:
                owner[key] = i
    groups = [uf.find(i) for i in range(len(texts))]
    sizes = Counter(groups)
    grouped = sum(size for size in sizes.values() if size > 1)
    stats = {
        "exact_duplicates": exact,
        "near_duplicate_merges": near,
        "linked_merges": linked,
        "groups": len(sizes),
        "grouped": grouped,
        # members that follow their group's first member instead of being placed on their own
        "moved": grouped - sum(1 for size in sizes.values() if size > 1),
    }
    return groups, stats


def assign_splits(keys: Sequence[str], strata: Sequence[str], groups: Sequence[int], fractions: Sequence[float], seed: int) -> list[int]:
    """Split index (0 train, 1 dev, 2 test) per item. Whole groups are placed, largest first and otherwise
    in a seeded hash order, each into the split furthest below its share of the group's stratum."""
    fractions = check_fractions(fractions)
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    names = {group: min(keys[i] for i in items) for group, items in members.items()}  # input-order independent
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for group, items in members.items():
        counts = Counter(strata[i] for i in items)
        stratum = min(counts, key=lambda s: (-counts[s], s))  # the group's most common stratum
        by_stratum[stratum].append(group)
    result = [0] * len(keys)
    overall = [0, 0, 0]
    for stratum in sorted(by_stratum):
        order = sorted(by_stratum[stratum], key=lambda g: (-len(members[g]), stable_hash(seed, "split", names[g]), names[g]))
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
) -> tuple[list[int], dict]:
    """Group duplicates, then assign groups by stratum: the split index per item and the grouping counts."""
    groups, stats = duplicate_groups(texts, threshold=threshold, ngram=ngram, links=links)
    return assign_splits(keys, strata, groups, fractions, seed), stats
