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
candidates are those `datasketch.MinHashLSH` would propose (whole-band agreement, its bands and rows),
found with numpy over all signatures at once.
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
from pydantic import Field, field_validator

from corpusctl.config import StageSection
from corpusctl.stages.base import GlobalStep, Stage, register

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
    num_perm: int = Field(128, ge=16, le=1024)
    """MinHash permutations; the signatures take rows x num_perm x 4 bytes of memory, so it is bounded."""
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
    ids: list[str], exact_hashes: list[str], minhashes: list[bytes] | np.ndarray, config: DedupConfig
) -> dict[int, tuple[str, str]]:
    """Decide duplicates as one pass in input order would: {row index: (reason, twin id)}.

    Global step; it holds only the exact hashes and the signatures (rows x num_perm uint32, or one bytes
    value per row, b"" where there is none) -- never the text. The kept copy is the first by input order.
    Reasons: `exact_duplicate` (same hash as an earlier row, the twin is that row) and `near_duplicate` (an
    LSH candidate among the earlier kept rows, with estimated Jaccard >= threshold; the twin is the earliest
    such row). Candidates are the pairs that agree on a whole band, with datasketch's `MinHashLSH` choice of
    bands and rows. Rows with no signature (near dedup off, or no characters) are only checked for exact
    duplicates.
    """
    if not (len(ids) == len(exact_hashes) == len(minhashes)):
        raise ValueError("ids, exact_hashes and minhashes must have the same length")
    found: dict[int, tuple[str, str]] = {}
    first_by_hash: dict[str, int] = {}
    if config.exact:
        for row, key in enumerate(exact_hashes):
            if key and first_by_hash.setdefault(key, row) != row:
                found[row] = ("exact_duplicate", ids[first_by_hash[key]])
    if not config.near:
        return found
    signatures = _signature_matrix(minhashes, config.num_perm)
    eligible = np.ones(len(ids), dtype=bool)
    eligible[list(found)] = False
    eligible &= ~(signatures == _MAX32).all(axis=1)
    rows = np.flatnonzero(eligible)
    earlier, later = _near_pairs(signatures[rows], config)
    earlier, later = rows[earlier], rows[later]
    kept = np.ones(len(ids), dtype=bool)
    for j, i in sorted(zip(later.tolist(), earlier.tolist())):  # by later row, then earliest twin
        if kept[j] and kept[i]:
            kept[j] = False
            found[j] = ("near_duplicate", ids[i])
    return dict(sorted(found.items()))


def _signature_matrix(minhashes: list[bytes] | np.ndarray, num_perm: int) -> np.ndarray:
    """The signatures as a rows x num_perm array; a row with none is all 0xFFFFFFFF (the empty MinHash)."""
    if isinstance(minhashes, np.ndarray):
        if minhashes.ndim != 2 or minhashes.shape[1] != num_perm:
            raise ValueError(f"signatures have shape {minhashes.shape}, expected (rows, num_perm={num_perm})")
        return minhashes
    signatures = np.full((len(minhashes), num_perm), _MAX32, dtype=np.uint32)
    for row, blob in enumerate(minhashes):
        if blob:
            if len(blob) != 4 * num_perm:
                raise ValueError(f"row {row}: signature has {len(blob) // 4} values, expected num_perm={num_perm}")
            signatures[row] = np.frombuffer(blob, dtype="<u4")
    return signatures


def signature_column(column, num_perm: int) -> np.ndarray:
    """A checkpoint's `_minhash` column (Arrow binary) as a rows x num_perm array, without Python bytes."""
    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    lengths = np.diff(np.frombuffer(column.buffers()[1], np.int32)[column.offset : column.offset + len(column) + 1])
    if not ((lengths == 0) | (lengths == 4 * num_perm)).all():
        raise ValueError(f"a signature does not have num_perm={num_perm} values")
    signatures = np.full((len(column), num_perm), _MAX32, dtype=np.uint32)
    data = column.buffers()[2]
    if data is not None and lengths.any():
        start = np.frombuffer(column.buffers()[1], np.int32)[column.offset]
        values = np.frombuffer(data, "<u4")[start // 4 : start // 4 + int(lengths.sum()) // 4]
        signatures[lengths > 0] = values.reshape(-1, num_perm)
    return signatures


def lsh_bands(config: DedupConfig) -> tuple[int, int]:
    """Bands and rows per band: datasketch's MinHashLSH choice (2 bands when it wants fewer)."""
    from datasketch import MinHashLSH

    try:
        lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=config.lsh_weights)
    except ValueError:  # thresholds near 1 "want" a single band, which datasketch refuses
        return 2, config.num_perm // 2
    return lsh.b, lsh.r


def _near_pairs(signatures: np.ndarray, config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (a < b) that share a band and agree on >= threshold of their signature values."""
    from corpusctl.exports.splits import band_keys, bucket_pairs

    bands, rows = lsh_bands(config)
    need = config.threshold * config.num_perm
    found_a, found_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for key in band_keys(signatures, bands, rows):
        for pairs_a, pairs_b in bucket_pairs(key):
            for lo in range(0, len(pairs_a), 1 << 14):  # (bounded scratch: 2 x 16k signatures)
                a, b = pairs_a[lo : lo + (1 << 14)], pairs_b[lo : lo + (1 << 14)]
                agree = np.count_nonzero(signatures[a] == signatures[b], axis=1) >= need
                found_a.append(a[agree])
                found_b.append(b[agree])
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    unique = np.unique(a * len(signatures) + b)  # a pair may share several bands
    return unique // max(len(signatures), 1), unique % max(len(signatures), 1)


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Share of equal MinHash values of two signatures from `dedup_signatures`."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


# -- the registered step ----------------------------------------------------------------------------------


class DedupSignatures(Stage):
    """Dedup's measure: every document reduced to its exact hash and MinHash signature (in parallel)."""

    name = "dedup-signatures"
    section = "clean.dedup"
    reads = ["id", "source", "title", "text"]
    carries = []

    def __call__(self, batch: dict) -> dict:
        return {"id": batch["id"], "source": batch["source"], **dedup_signatures(batch, self.settings_section)}


@register
class Dedup(GlobalStep):
    """Drops every document that repeats an earlier one; the decision holds only hashes and signatures."""

    name = "dedup"
    section = "clean.dedup"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return recipe.clean.enabled and recipe.clean.dedup.enabled

    def measure(self) -> Stage:
        return DedupSignatures(self.recipe)

    def plan(self, ctx, measured, checkpoint) -> tuple[dict[int, tuple[str, str]], dict]:
        from corpusctl.io.workdir import read_batches, read_columns

        config = self.settings_section
        table = read_columns(measured.data, ["id", "_exact"])
        minhashes = np.concatenate([signature_column(batch.column("_minhash"), config.num_perm)
                                    for batch in read_batches(measured.data, 8192)]
                                   or [np.zeros((0, config.num_perm), np.uint32)])
        return find_duplicates(table["id"], table["_exact"], minhashes, config), {}

    def apply(self, batch, drops: dict[int, tuple[str, str]], first_row: int):
        import pyarrow as pa

        reasons, details = [""] * batch.num_rows, [""] * batch.num_rows
        for offset in range(batch.num_rows):
            if first_row + offset in drops:
                reason, twin = drops[first_row + offset]
                reasons[offset], details[offset] = reason, f"duplicate of {twin}"
        return (batch.append_column("_reject", pa.array(reasons, pa.string()))
                .append_column("_reject_detail", pa.array(details, pa.string())))

    def plan_part(self, drops: dict[int, tuple[str, str]], first_row: int, rows: int):
        return {row - first_row: value for row, value in drops.items() if first_row <= row < first_row + rows}

    def plan_on_cluster(self, ctx, cluster, measured, checkpoint):
        """The same decisions as `plan`, computed by shuffles on the cluster (stages/dedup_cluster.py)."""
        from corpusctl.stages.dedup_cluster import plan_on_cluster

        return plan_on_cluster(cluster, measured, self.settings_section), {}  # (a reference to the plan)
