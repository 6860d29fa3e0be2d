"""MinHash, one implementation for the dedup stage and the splits of the exports (issue 19): signatures,
LSH bands and candidate pairs, exact n-gram Jaccard of candidate pairs, connected components.

Two signature schemes, each a pure numpy function over all the texts of a batch:
- `affine_signatures` (the dedup stage): datasketch's "affine32" scheme exactly (h -> a*h + b mod 2**32 with
  datasketch's own permutations, `permutations`) over 32-bit shingle hashes, so a signature equals
  `datasketch.MinHash(num_perm, seed, hashfunc=..., scheme="affine32")`;
- `gram_signatures` (NER sentences, classification texts): character n-grams packed into 64-bit keys
  (`gram_keys`), a multiply-add-xorshift permutation of their mixed upper bits.
Both are candidates for the same LSH (`band_keys`, `bucket_pairs`, `agreeing_pairs`): a pair that shares a
band and whose full signatures agree on at least `floor` values (its estimated Jaccard) is a candidate;
`_near_pairs` then confirms candidates on their exact n-gram Jaccard (issue 21: candidates are decided on
the estimated Jaccard of the full signatures before any text is fetched).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from functools import cache

import numpy as np

MINHASH_SEED = 1
MAX32 = np.uint32(0xFFFFFFFF)
_CHUNK = 8192  # shingles or n-grams per block: 4 bytes x 8192 x 128 permutations = 4 MB of scratch for the dedup's
# shingles; for the splits' n-grams two tables of up to 96 permutations, up to 6 MB (under this machine's 16 MB L3)


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


def gram_keys(texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
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
    keys, count = gram_keys(texts, n)
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


def gram_signatures(texts: Sequence[str], ngram: int, perms: int, chunk_chars: int = 1 << 21,
                    block: int = _CHUNK) -> np.ndarray:
    """MinHash signatures (texts x perms, uint32) of the texts' character n-grams (`gram_keys`): per permutation
    an odd multiplier, an offset and an xorshift of the keys' upper 32 bits, minimum per text. Texts of about
    `chunk_chars` characters at a time: the n-gram arrays (~30 bytes per character) stay small; the
    permutations of `block` n-grams at a time, perms x block tables that stay in the L3 cache (one pass per
    permutation over all the n-grams read them from memory 96 times: 1.1-1.7x the CPU on the 20 MB bench
    corpus's NER sentences, measured ad hoc)."""
    texts = list(texts)
    signatures = np.full((len(texts), perms), MAX32, np.uint32)
    salts = (mix64(np.arange(1, 2 * perms + 1, dtype=np.uint64)) >> np.uint64(32)).astype(np.uint32)
    multipliers, offsets = (salts[0::2] | np.uint32(1))[:, None], salts[1::2][:, None]
    values, shifted = np.empty((perms, block), np.uint32), np.empty((perms, block), np.uint32)
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)))
    cuts = np.unique(np.searchsorted(ends, np.arange(chunk_chars, ends[-1] if len(ends) else 0, chunk_chars)))
    for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(texts)].tolist()):
        if lo == hi:
            continue
        keys, count = gram_keys(texts[lo:hi], ngram)
        hashes = (mix64(keys) >> np.uint64(32)).astype(np.uint32)
        owners = np.repeat(np.arange(lo, hi), count)
        del keys
        for first in range(0, len(hashes), block):
            chunk, rows = hashes[first : first + block], owners[first : first + block]
            table, spare = values[:, : len(chunk)], shifted[:, : len(chunk)]  # permutations x n-grams
            np.multiply(multipliers, chunk[None, :], out=table)
            table += offsets
            np.right_shift(table, np.uint32(15), out=spare)
            table ^= spare
            _lower(signatures, rows, table)
    return signatures


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


@cache
def permutations(num_perm: int, seed: int = MINHASH_SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b), as uint32 arrays."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def affine_signatures(hashes: np.ndarray, owners: np.ndarray, signatures: np.ndarray, num_perm: int) -> np.ndarray:
    """datasketch's affine32 MinHash of 64-bit shingle hashes (their lower 32 bits through murmur3's 32-bit
    finalizer) into `signatures` (texts x num_perm, filled with MAX32), `owners` (sorted) naming each
    shingle's text."""
    a, b = permutations(num_perm)
    values = _fmix32((hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    block = np.empty((num_perm, _CHUNK), dtype=np.uint32)
    for lo in range(0, len(values), _CHUNK):
        chunk = values[lo : lo + _CHUNK]
        view = block[:, : len(chunk)]  # permutations x shingles: the min runs along contiguous memory
        np.multiply(a[:, None], chunk[None, :], out=view)
        view += b[:, None]
        _lower(signatures, owners[lo : lo + _CHUNK], view)
    return signatures


def _lower(signatures: np.ndarray, rows: np.ndarray, table: np.ndarray) -> None:
    """Lower each text's signature to the minima of a permutations x shingles table; `rows` (sorted) names
    the text of each shingle, and a text's shingles may go on into the next table."""
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    texts = rows[starts]
    signatures[texts] = np.minimum(signatures[texts], np.minimum.reduceat(table, starts, axis=1).T)


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


def _agreeing(a: np.ndarray, b: np.ndarray, signatures: tuple[np.ndarray, np.ndarray], floor: int,
              chunk: int = 1 << 15) -> np.ndarray:
    """Which pairs agree on at least `floor` values of their signatures; `signatures` is (the lowest byte of
    every value, the values), texts x values each. The bytes are compared first (4x less memory to read): a
    pair whose bytes agree less than `floor` times cannot agree more on the whole values."""
    low, full = signatures
    keep = np.zeros(len(a), bool)
    for lo in range(0, len(a), chunk):
        pa, pb = a[lo : lo + chunk], b[lo : lo + chunk]
        maybe = np.flatnonzero(np.count_nonzero(low[pa] == low[pb], axis=1) >= floor)
        pa, pb = pa[maybe], pb[maybe]
        keep[lo + maybe] = np.count_nonzero(full[pa] == full[pb], axis=1) >= floor
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
    bands = _bands(threshold, perms)[0]
    keys, low, floor = _lsh(signatures, threshold)
    candidates = np.flatnonzero(_in_agreeing_pairs(keys, low, floor))
    if not len(candidates):
        return candidates, candidates
    codes, offsets, grams = _gram_sets(forms_of(candidates), n)
    keys, low = keys[:, candidates], (low[0][candidates], low[1][candidates])
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


def _lsh(signatures: np.ndarray, threshold: float) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], int]:
    """What the candidate test reads: the band keys, (the lowest byte of every value, the values) and the
    agreement floor."""
    bands, rows = _bands(threshold, signatures.shape[1])
    low = (np.ascontiguousarray(signatures.astype(np.uint8)), np.ascontiguousarray(signatures))
    return band_keys(signatures, bands, rows), low, _agreement_floor(threshold, signatures.shape[1])


def lsh_candidates(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Which texts (signatures of distinct texts) are in some candidate pair: the texts whose n-grams
    `_near_pairs` fetches and compares exactly (the benchmarks report their share, issue 21)."""
    return _in_agreeing_pairs(*_lsh(signatures, threshold))


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


def agreeing_pairs(signatures: np.ndarray, bands: int, rows: int, floor: int) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (a < b), each once, that share an LSH band and agree on >= `floor` of their signature values."""
    found_a, found_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for key in band_keys(signatures, bands, rows):
        for pairs_a, pairs_b in bucket_pairs(key):
            for lo in range(0, len(pairs_a), 1 << 14):  # (bounded scratch: 2 x 16k signatures)
                a, b = pairs_a[lo : lo + (1 << 14)], pairs_b[lo : lo + (1 << 14)]
                agree = np.count_nonzero(signatures[a] == signatures[b], axis=1) >= floor
                found_a.append(a[agree])
                found_b.append(b[agree])
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    unique = np.unique(a * len(signatures) + b)  # a pair may share several bands
    return unique // max(len(signatures), 1), unique % max(len(signatures), 1)


def signature_column(column, num_perm: int) -> np.ndarray:
    """A checkpoint's `_minhash` column (Arrow binary) as a rows x num_perm array, without Python bytes."""
    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    lengths = np.diff(np.frombuffer(column.buffers()[1], np.int32)[column.offset : column.offset + len(column) + 1])
    if not ((lengths == 0) | (lengths == 4 * num_perm)).all():
        raise ValueError(f"a signature does not have num_perm={num_perm} values")
    signatures = np.full((len(column), num_perm), MAX32, dtype=np.uint32)
    data = column.buffers()[2]
    if data is not None and lengths.any():
        start = np.frombuffer(column.buffers()[1], np.int32)[column.offset]
        values = np.frombuffer(data, "<u4")[start // 4 : start // 4 + int(lengths.sum()) // 4]
        signatures[lengths > 0] = values.reshape(-1, num_perm)
    return signatures


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Share of equal MinHash values of two signatures from `dedup_signatures`."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))
