"""Redundancy removal: exact and near-duplicate documents (repeated sentences inside one document are merged
by the clean stage, see `clean.merge_repeated_sentences`).

Two parts, so the expensive half runs in parallel and the global half stays small:
1. `dedup_signatures(batch, config)` — per row, an exact hash and a MinHash signature; a pure batch function.
2. `find_duplicates(ids, exact_hashes, minhashes, config)` — one sequential pass in input order that keeps
   only hashes and signatures in memory and decides which rows are duplicates of an earlier one.

MinHash follows datasketch's "affine32" scheme exactly (murmur3 finalizer, then h -> a*h + b mod 2**32 with
datasketch's own permutations), computed with numpy over all shingles of a batch at once; the shingle hash
is a polynomial hash of a character n-gram. A signature therefore equals
`datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash32, scheme="affine32")` fed the same shingles, and
candidates come from `datasketch.MinHashLSH`.
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
from pydantic import Field, field_validator

from corpusctl.config import StageSection

MINHASH_SEED = 1
_MAX32 = np.uint32(0xFFFFFFFF)
_POLY = np.uint64(0x100000001B3)  # FNV prime: odd, so the polynomial hash is a bijection per position
_CHUNK = 8192  # shingles per block: 128 permutations x 8192 x 4 bytes = 4 MB of scratch


class DedupConfig(StageSection):
    exact: bool = True
    near: bool = True
    threshold: float = Field(0.8, gt=0, le=1)
    """Estimated Jaccard similarity of character shingles at or above which a document is a near duplicate."""
    shingle_size: int = Field(5, ge=1)
    num_perm: int = Field(128, ge=16)
    lsh_weights: tuple[float, float] = (0.3, 0.7)
    """LSH band tuning (false-positive weight, false-negative weight), summing to 1; candidates are
    confirmed by their estimated Jaccard, so the default favours recall."""
    sentences: bool = True
    """Merge repeated sentences inside one document (keep the first occurrence)."""
    min_sentence_chars: int = Field(5, ge=1)
    """Shorter sentences (e.g. "正常。") may repeat and are never merged."""

    @field_validator("lsh_weights")
    @classmethod
    def _weights_sum_to_one(cls, value: tuple[float, float]) -> tuple[float, float]:
        if min(value) < 0 or abs(sum(value) - 1) > 1e-6:
            raise ValueError("lsh_weights must be two non-negative numbers that sum to 1, e.g. [0.3, 0.7]")
        return value[0], 1.0 - value[0]


# -- hashing -----------------------------------------------------------------------------------------------


def no_spaces(text: str) -> str:
    """The text without any whitespace (str.split is several times faster than a regex here)."""
    return "".join(text.split())


def _fmix64(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finalizer, in place."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def ngram_hashes(points: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of every length-n window of a code point array (empty when it is shorter than n)."""
    count = len(points) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    # h(window) = sum of points[i + k] * P**(n - 1 - k), built by doubling: h(xy) = h(x) * P**len(y) + h(y)
    block, size = points.astype(np.uint64), 1  # hashes of all windows of length `size`
    h, length = None, 0  # hashes of all windows of length `length` (the bits of n seen so far)
    while True:
        if n & size:
            tail = block[length:]
            if h is None:
                h = tail.copy()
            else:
                h = h[: len(tail)]
                h *= _POLY ** np.uint64(size)
                h += tail
            length += size
        if length == n:
            return _fmix64(h[:count])
        doubled = block[:-size] * _POLY ** np.uint64(size)
        doubled += block[size:]
        block, size = doubled, size * 2


def shingle_hash32(shingle: str | bytes) -> int:
    """The 32-bit shingle hash behind the signatures, for one shingle (what datasketch calls `hashfunc`)."""
    if isinstance(shingle, bytes):
        shingle = shingle.decode("utf-8")
    return int(ngram_hashes(codepoints(shingle), len(shingle))[0] & np.uint64(0xFFFFFFFF))


def shingles(text: str, n: int) -> list[str]:
    """Character n-grams of the text without whitespace (the whole text when shorter than n)."""
    text = no_spaces(text)
    if len(text) <= n:
        return [text] if text else []
    return [text[i : i + n] for i in range(len(text) - n + 1)]


@cache
def permutations(num_perm: int, seed: int = MINHASH_SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b), as uint32 arrays."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def minhash_signatures(texts: list[str], shingle_size: int, num_perm: int) -> np.ndarray:
    """MinHash signatures (rows x num_perm, uint32) of character shingles, vectorized over the whole batch.

    A text with no characters gets the all-0xFFFFFFFF signature (datasketch's empty MinHash).
    """
    return _signatures([no_spaces(t) for t in texts], shingle_size, num_perm)


def _signatures(stripped: list[str], shingle_size: int, num_perm: int) -> np.ndarray:
    a, b = permutations(num_perm)
    signatures = np.full((len(stripped), num_perm), _MAX32, dtype=np.uint32)
    if not stripped:
        return signatures
    lengths = np.array([len(t) for t in stripped], dtype=np.int64)
    points = codepoints("".join(stripped))
    owner = np.repeat(np.arange(len(stripped)), lengths)
    hashes = ngram_hashes(points, shingle_size)
    if len(hashes):  # keep windows whose first and last character belong to the same text
        inside = owner[: len(hashes)] == owner[shingle_size - 1 :]
        hashes, owners = hashes[inside], owner[: len(hashes)][inside]
    else:
        owners = np.zeros(0, dtype=np.int64)
    short = np.flatnonzero((lengths > 0) & (lengths < shingle_size))
    if len(short):  # texts shorter than one shingle are one shingle
        extra = [ngram_hashes(codepoints(stripped[i]), len(stripped[i])) for i in short]
        hashes = np.concatenate([hashes, *extra])
        owners = np.concatenate([owners, short])
        order = np.argsort(owners, kind="stable")
        hashes, owners = hashes[order], owners[order]
    values = _fmix32((hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    block = np.empty((num_perm, _CHUNK), dtype=np.uint32)
    for lo in range(0, len(values), _CHUNK):
        chunk = values[lo : lo + _CHUNK]
        view = block[:, : len(chunk)]  # permutations x shingles: the min runs along contiguous memory
        np.multiply(a[:, None], chunk[None, :], out=view)
        view += b[:, None]
        rows = owners[lo : lo + _CHUNK]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        docs = rows[starts]
        signatures[docs] = np.minimum(signatures[docs], np.minimum.reduceat(view, starts, axis=1).T)
    return signatures


def exact_key(title: str, text: str) -> str:
    """Hash of title + text with whitespace removed (the text is already normalized)."""
    return _exact_key(no_spaces(title), no_spaces(text))


def _exact_key(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\x1f{text}".encode(), digest_size=16).hexdigest()


# -- the two steps ----------------------------------------------------------------------------------------


def dedup_signatures(batch: dict[str, list], config: DedupConfig) -> dict[str, list]:
    """Per row: `_exact` (hex hash, "" when exact dedup is off) and `_minhash` (uint32 LE bytes, b"" when off).

    Both cover title + text with whitespace removed. Runs in parallel workers; a row's values do not
    depend on the rest of its batch.
    """
    texts = [no_spaces(t or "") for t in batch["text"]]
    titles = [no_spaces(t or "") for t in batch.get("title") or [""] * len(texts)]
    exact = [_exact_key(ti, te) for ti, te in zip(titles, texts, strict=True)] if config.exact else [""] * len(texts)
    if config.near:
        joined = [ti + te for ti, te in zip(titles, texts, strict=True)]
        sigs = _signatures(joined, config.shingle_size, config.num_perm).astype("<u4")
        minhash = [row.tobytes() for row in sigs]
    else:
        minhash = [b""] * len(texts)
    return {"_exact": exact, "_minhash": minhash}


def find_duplicates(
    ids: list[str], exact_hashes: list[str], minhashes: list[bytes], config: DedupConfig
) -> dict[int, tuple[str, str]]:
    """Decide duplicates in one pass in input order: {row index: (reason, twin id)}.

    Global step; it holds only the exact hashes, the signatures and an LSH index of the kept rows — never
    the text. The kept copy is the first by input order. Reasons: `exact_duplicate` (same hash as an
    earlier row, the twin is that row) and `near_duplicate` (an LSH candidate among the kept rows whose
    estimated Jaccard is >= threshold; the twin is the earliest such row). Rows with an empty signature
    (near dedup off, or no characters) are only checked for exact duplicates.
    """
    if not (len(ids) == len(exact_hashes) == len(minhashes)):
        raise ValueError("ids, exact_hashes and minhashes must have the same length")
    found: dict[int, tuple[str, str]] = {}
    first_by_hash: dict[str, int] = {}
    lsh = None
    if config.near:
        from datasketch import LeanMinHash, MinHashLSH

        try:
            lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=config.lsh_weights)
        except ValueError:  # thresholds near 1 "want" a single band, which datasketch refuses
            lsh = MinHashLSH(num_perm=config.num_perm, params=(2, config.num_perm // 2))
    kept_sigs: dict[int, np.ndarray] = {}
    need = config.threshold * config.num_perm
    for row, (key, blob) in enumerate(zip(exact_hashes, minhashes, strict=True)):
        if config.exact and key:
            first = first_by_hash.setdefault(key, row)
            if first != row:
                found[row] = ("exact_duplicate", ids[first])
                continue
        if lsh is None or not blob:
            continue
        sig = np.frombuffer(blob, dtype="<u4")
        if len(sig) != config.num_perm:
            raise ValueError(f"row {row}: signature has {len(sig)} values, expected num_perm={config.num_perm}")
        if (sig == _MAX32).all():
            continue
        minhash = LeanMinHash(seed=MINHASH_SEED, hashvalues=sig, scheme="affine32")
        twins = sorted(c for c in lsh.query(minhash) if np.count_nonzero(kept_sigs[c] == sig) >= need)
        if twins:
            found[row] = ("near_duplicate", ids[twins[0]])
            continue
        lsh.insert(row, minhash, check_duplication=False)
        kept_sigs[row] = sig
    return found


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Share of equal MinHash values of two signatures from `dedup_signatures`."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))
