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
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated

import numpy as np
from pydantic import AfterValidator

from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash

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


_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit over the output."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def _segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments of the given lengths laid end to end: each element's segment and index within it."""
    segment = np.repeat(np.arange(len(counts)), counts)
    return segment, np.arange(len(segment)) - np.repeat(np.cumsum(counts) - counts, counts)


def _gram_keys(texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every text's character n-grams (the whole text when shorter than n) as 64-bit keys, text after text,
    and how many each text has. Up to 3 code points are packed exactly (21 bits each); longer n-grams fold
    3-code-point chunks through a 64-bit mixer (two distinct n-grams share a key with probability ~2^-64)."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    # each text is followed by n NULs (never part of a normalised text): a short text's one n-gram is itself
    points = np.frombuffer(("\0" * n).join(texts).encode("utf-32-le") + bytes(4 * n), np.uint32)
    width = len(points) - n + 1
    keys = None
    for lo in range(0, n, 3):
        part = points[lo : lo + width].astype(np.uint64)
        for k in range(lo + 1, min(lo + 3, n)):
            part <<= np.uint64(21)
            part |= points[k : k + width]
        keys = part if keys is None else mix64(keys) ^ part
    count = np.maximum(lengths - n + 1, 1)
    starts = np.cumsum(lengths + n) - (lengths + n)
    edges = np.zeros(width + 1, np.int8)  # +1 where a text's n-grams start, -1 after its last one
    edges[starts] += 1
    edges[starts + count] -= 1  # (the start of the next text when an empty one has its NUL n-gram, n = 1)
    return keys[np.cumsum(edges[:-1], dtype=np.int8).view(bool)], count


def _gram_sets(texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Every text's set of character n-grams as sorted codes `text * grams + gram id`, the offsets of each
    text's codes, and the number of distinct n-grams."""
    keys, count = _gram_keys(texts, n)
    order = np.argsort(keys)
    ranked = keys[order]
    first = np.r_[True, ranked[1:] != ranked[:-1]]
    del keys, ranked
    codes = np.empty(len(order), np.int64)
    codes[order] = np.cumsum(first) - 1  # dense n-gram ids, in key order: independent of the texts' order
    grams = int(first.sum())
    del order, first
    codes += np.repeat(np.arange(len(texts)) * grams, count)
    codes.sort()
    codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return codes, np.searchsorted(codes, np.arange(len(texts) + 1) * grams), grams


def sketch(texts: Sequence[str], ngram: int, perms: int = PERMUTATIONS) -> tuple[list[bytes], np.ndarray]:
    """What grouping needs of each text, and all it keeps: a 128-bit digest of the normalised text and the
    MinHash signature (texts x perms, uint32) of its n-grams. A pure function of each text, so a corpus is
    sketched batch by batch."""
    forms = normalize_all(texts)
    digests = [hashlib.blake2b(form.encode(), digest_size=16).digest() for form in forms]
    signatures = np.empty((len(forms), perms), np.uint32)
    if forms:
        keys, count = _gram_keys(forms, ngram)
        hashes = (mix64(keys) >> np.uint64(32)).astype(np.uint32)
        starts = np.cumsum(count) - count
        salts = (mix64(np.arange(1, 2 * perms + 1, dtype=np.uint64)) >> np.uint64(32)).astype(np.uint32)
        for k in range(perms):  # a permutation per row: an odd multiplier, an offset, an xorshift
            values = hashes * (salts[2 * k] | np.uint32(1))
            values += salts[2 * k + 1]
            values ^= values >> np.uint32(15)
            signatures[:, k] = np.minimum.reduceat(values, starts)
    return digests, signatures


def _bands(threshold: float, perms: int) -> tuple[int, int]:
    """LSH bands and rows per band: the most rows (fewest chance candidates) that still propose a pair at
    the threshold with probability >= 0.999 (datasketch's choice here: 0.947)."""
    for rows in range(perms, 1, -1):
        if 1 - (1 - threshold**rows) ** (perms // rows) >= 0.999:
            return perms // rows, rows
    return perms, 1


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys (bands x texts): a 64-bit hash of each text's values in each band of `rows` columns of
    its signature (texts x values); texts with equal band values get equal keys."""
    keys = np.zeros((bands, len(signatures)), np.uint64)
    for k, column in enumerate(signatures.T[: bands * rows]):
        keys[k // rows] = mix64(keys[k // rows] ^ column)
    return keys


def bucket_pairs(key: np.ndarray, limit: int = 1 << 18) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair (a < b) of texts with equal keys, about `limit` pairs at a time."""
    order = np.argsort(key)
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lengths = np.diff(np.r_[starts, len(key)])
    later = np.repeat(starts + lengths, lengths) - np.arange(len(key)) - 1  # members after each one in its bucket
    ends = np.cumsum(later)
    cuts = np.unique(np.searchsorted(ends, np.arange(limit, ends[-1] if len(ends) else 0, limit)))
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(key)], strict=True):
        first, step = _segments(later[lo:hi])
        a, b = order[lo + first], order[lo + first + step + 1]
        yield np.minimum(a, b), np.maximum(a, b)


CANDIDATE_MISS = 0.02
"""Chance that a pair right at the threshold falls below the candidate floor of its estimated Jaccard."""


def _agreement_floor(threshold: float, perms: int, miss: float = CANDIDATE_MISS) -> int:
    """The fewest agreeing signature values to expect of a pair at the threshold, but for a `miss` chance (a
    value agrees with probability Jaccard; two distinct 32-bit minima agree by chance with probability ~2^-32).
    A pair of texts is a near-duplicate candidate, whose texts are fetched and compared, only from this
    estimated Jaccard of the full signatures up (issue 21: on templated text the bytes-only test of before,
    floor 24 of 48 for documents, let half the rows through as candidates)."""
    below = 0.0
    for count in range(perms + 1):
        below += math.comb(perms, count) * threshold**count * (1 - threshold) ** (perms - count)
        if below > miss:
            return count
    return perms


def _agreeing(a: np.ndarray, b: np.ndarray, signatures: np.ndarray, floor: int, chunk: int = 1 << 15) -> np.ndarray:
    """Which pairs agree on at least `floor` values of their signatures (texts x values)."""
    keep = np.zeros(len(a), bool)
    for lo in range(0, len(a), chunk):
        keep[lo : lo + chunk] = np.count_nonzero(signatures[a[lo : lo + chunk]] == signatures[b[lo : lo + chunk]],
                                                 axis=1) >= floor
    return keep


def _confirm(a: np.ndarray, b: np.ndarray, codes: np.ndarray, offsets: np.ndarray, grams: int, threshold: float,
             chunk: int = 1 << 16) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose exact n-gram Jaccard is >= threshold. Per chunk of pairs (about `chunk` n-grams, which
    stay in the CPU cache), both sets' n-grams tagged with the pair are sorted: a shared one appears twice."""
    size = np.diff(offsets)
    ids = codes - np.repeat(np.arange(len(size)) * grams, size)
    small, large = np.minimum(size[a], size[b]), np.maximum(size[a], size[b])
    keep = small >= threshold * large  # Jaccard <= small / large
    a, b, total = a[keep], b[keep], small[keep] + large[keep]
    ok = np.zeros(len(a), bool)
    ends = np.cumsum(total)
    lo = 0
    while lo < len(a):
        hi = max(int(np.searchsorted(ends, ends[lo] - total[lo] + chunk, "right")), lo + 1)
        both = np.r_[a[lo:hi], b[lo:hi]]
        count = size[both]
        pair = np.arange(hi - lo)
        index = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        tagged = np.sort(np.repeat(np.r_[pair, pair] * grams, count) + ids[np.repeat(offsets[both], count) + index])
        twice = tagged[1:] == tagged[:-1]
        shared = np.bincount(tagged[1:][twice] // grams, minlength=hi - lo)
        ok[lo:hi] = shared / (total[lo:hi] - shared) >= threshold
        lo = hi
    return a[ok], b[ok]


def _near_pairs(signatures: np.ndarray, forms_of: Callable[[np.ndarray], list[str]], threshold: float, n: int,
                exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct texts with n-gram Jaccard >= threshold, confirmed exactly; enough of them to connect
    every such pair. `forms_of(rows)` gives the normalised texts of those rows; only the texts of candidate
    pairs are asked for (all, with `exact`, which compares every pair: small sets). Otherwise a pair is a
    candidate when it shares an LSH band and its whole signature agrees about as much as Jaccard >= threshold
    implies (`_agreement_floor`), and it is compared only when it is new (no earlier band proposed it) and not
    yet connected. A pair at the threshold is missed with probability ~`CANDIDATE_MISS`, one further above it
    far more rarely (datasketch: 0.05)."""
    m, perms = signatures.shape
    if exact:
        codes, offsets, grams = _gram_sets(forms_of(np.arange(m)), n)
        a, b = np.triu_indices(m, 1)
        return _confirm(a, b, codes, offsets, grams, threshold)
    bands, rows = _bands(threshold, perms)
    keys = band_keys(signatures, bands, rows)
    low = np.ascontiguousarray(signatures)
    floor = _agreement_floor(threshold, perms)
    candidates = np.flatnonzero(_in_agreeing_pairs(keys, low, floor))
    if not len(candidates):
        return candidates, candidates
    codes, offsets, grams = _gram_sets(forms_of(candidates), n)
    keys, low = keys[:, candidates], low[candidates]
    roots = np.arange(len(candidates))
    found = [(np.zeros(0, np.int64), np.zeros(0, np.int64))]
    for band in range(bands):
        for a, b in bucket_pairs(keys[band]):
            keep = roots[a] != roots[b]
            for earlier in keys[:band]:
                keep &= earlier[a] != earlier[b]
            a, b = a[keep], b[keep]
            keep = _agreeing(a, b, low, floor)
            a, b = _confirm(a[keep], b[keep], codes, offsets, grams, threshold)
            roots = _components(len(candidates), a, b, roots)
            found.append((candidates[a], candidates[b]))
    return np.concatenate([a for a, _ in found]), np.concatenate([b for _, b in found])


def _in_agreeing_pairs(keys: np.ndarray, low: np.ndarray, floor: int) -> np.ndarray:
    """Which texts are in some pair that shares a band and whose signatures agree enough: the only texts
    whose n-grams must be compared (a pair of texts already both known to be in one is not looked at)."""
    marked = np.zeros(keys.shape[1], bool)
    for band, key in enumerate(keys):
        for a, b in bucket_pairs(key):
            keep = ~(marked[a] & marked[b])
            for earlier in keys[:band]:
                keep &= earlier[a] != earlier[b]
            a, b = a[keep], b[keep]
            keep = _agreeing(a, b, low, floor)
            marked[a[keep]] = marked[b[keep]] = True
    return marked


def _components(m: int, a: np.ndarray, b: np.ndarray, parent: np.ndarray | None = None) -> np.ndarray:
    """The root of every node's connected component under the edges a-b (and those behind `parent`, an earlier
    result): its smallest member."""
    parent = np.arange(m) if parent is None else parent
    while True:
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            return parent
        parent = parent.copy()
        np.minimum.at(parent, np.maximum(ra, rb)[differ], np.minimum(ra, rb)[differ])  # hook roots to smaller ones
        while True:  # point every node at its root
            jumped = parent[parent]
            if (jumped == parent).all():
                break
            parent = jumped


def duplicate_groups(
    texts: Sequence[str], threshold: float = 0.8, ngram: int = 3, links: Sequence[str] | None = None, method: str = "auto"
) -> tuple[list[int], dict]:
    """`group_duplicates` of texts held in memory."""
    digests, signatures = sketch(texts, ngram)
    return group_duplicates(digests, signatures, lambda rows: normalize_all([texts[i] for i in rows]), threshold,
                            ngram, links, method)


def group_duplicates(
    digests: Sequence[bytes], signatures: np.ndarray, forms_of: Callable[[np.ndarray], list[str]],
    threshold: float = 0.8, ngram: int = 3, links: Sequence[str] | None = None, method: str = "auto",
) -> tuple[list[int], dict]:
    """Group id of every text (the index of its group's first member) and counts, from the texts' `sketch`es.
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
        a, b = _near_pairs(signatures[first_text], lambda rows: forms_of(first_text[rows]), threshold, ngram, exact)
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
