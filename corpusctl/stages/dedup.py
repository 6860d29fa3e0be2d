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
import math

import numpy as np
from pydantic import Field, field_validator

from corpusctl.config import StageSection
from corpusctl.stages.base import GlobalStep, Stage, register
from corpusctl.text.chars import codepoints, is_space, no_spaces
from corpusctl.text.minhash import MAX32 as _MAX32
from corpusctl.text.minhash import (  # noqa: F401  (their users import them from here)
    affine_signatures,
    agreeing_pairs,
    estimated_jaccard,
    permutations,
    signature_column,
)
from corpusctl.text.ngrams import ngram_hashes
from corpusctl.text.sentences import sentence_bounds, split_sentences, tidy


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


def minhash_signatures(texts: list[str], shingle_size: int, num_perm: int) -> np.ndarray:
    """MinHash signatures (rows x num_perm, uint32) of character shingles, vectorized over the whole batch.

    A text with no characters gets the all-0xFFFFFFFF signature (datasketch's empty MinHash).
    """
    return _signatures([no_spaces(t) for t in texts], shingle_size, num_perm)


def _signatures(stripped: list[str], shingle_size: int, num_perm: int) -> np.ndarray:
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
    return affine_signatures(hashes, owners, signatures, num_perm)


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
    bands, rows = lsh_bands(config)
    return agreeing_pairs(signatures, bands, rows, math.ceil(config.threshold * config.num_perm - 1e-9))


# -- repeated sentences inside one document (run by the clean stage, per document) ---------------------------

SENTENCE_REMOVED = "dedup.sentence_removed"
"""The event of each sentence `merge_repeated_sentences` drops (counted in the manifest under clean)."""
_END_MARKS = "。！？；!?，,、：:”’」』）)》】\"'"


def _sentence_key(sentence: str) -> str:
    return no_spaces(sentence).rstrip(_END_MARKS)


def repeating_sentences(texts: list[str], min_chars: int) -> np.ndarray:
    """Whether each text may have a sentence that `merge_repeated_sentences` removes: the keys of all
    sentences are cut from one string of all texts without whitespace and compared by Python's hash (a
    text without two equal hashes surely repeats nothing)."""
    offsets, starts, ends = sentence_bounds(texts)
    row = np.repeat(np.arange(len(texts)), np.diff(offsets))
    lengths = np.fromiter(map(len, texts), np.int64, len(texts)) + 1
    joined = "\x00".join(texts)
    base = (np.cumsum(lengths) - lengths)[row]  # where each sentence's text starts in `joined`
    solid = np.zeros(len(joined) + 1, dtype=np.int64)  # characters before each position that are not whitespace
    np.cumsum(~is_space(codepoints(joined)), out=solid[1:])
    body = no_spaces(joined)
    keys = [body[lo:hi].rstrip(_END_MARKS)
            for lo, hi in zip(solid[base + starts].tolist(), solid[base + ends].tolist(), strict=True)]
    long = np.fromiter(map(len, keys), np.int64, len(keys)) >= min_chars
    hashes = np.fromiter(map(hash, keys), np.int64, len(keys))[long]
    row = row[long]
    order = np.lexsort((hashes, row))
    same = (row[order[1:]] == row[order[:-1]]) & (hashes[order[1:]] == hashes[order[:-1]])
    repeating = np.zeros(len(texts), dtype=bool)
    repeating[row[order[1:]][same]] = True
    return repeating


def merge_repeated_sentences(text: str, min_chars: int) -> tuple[str, int]:
    """Keep the first occurrence of each sentence (compared without whitespace and end marks)."""
    seen: set[str] = set()
    pieces: list[str] = []
    removed = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        key = _sentence_key(sentence)
        if len(key) >= min_chars and key in seen:
            removed += 1
            pieces.append("\n" if "\n" in sentence else "")
            continue
        seen.add(key)
        pieces.append(sentence)
    return (tidy("".join(pieces)), removed) if removed else (text, 0)


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

        return plan_on_cluster(cluster, measured, self.settings_section, lsh_bands), {}  # (a reference to the plan)
