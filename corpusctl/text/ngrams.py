"""Hashes of character n-grams: the clean stage's repeated n-gram filter and dedup's MinHash shingles."""

from __future__ import annotations

import numpy as np

_POLY = np.uint64(0x100000001B3)  # FNV prime: odd, so the polynomial hash is a bijection per position


def _fmix64(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finalizer, in place."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


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
