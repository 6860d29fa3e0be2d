"""Pattern-matching helpers of the annotator: the two-symbol alphabet for the automaton, leftmost-longest."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable

import numpy as np

from corpusctl.ontology.model import fold

_SYMBOL_BASE = 0x4E00


class _Alphabet:
    """Writes text as two symbols per character for the automaton, folding case and width on the way.

    Characters are numbered by frequency in the patterns (1, 2, …; 0 = in no pattern) and code `c` becomes
    `(c % width, c // width)` from two disjoint symbol ranges, so a pattern can only match at a character
    boundary and every trie node has at most `width` (first symbol) or a few hundred (second symbol)
    children, frequent characters first. Unknown characters get a first symbol no pattern uses.
    """

    def __init__(self, patterns: Iterable[str], width: int = 16):
        freq = Counter(itertools.chain.from_iterable(patterns))
        chars = sorted(freq, key=lambda ch: (-freq[ch], ch))
        self.width = width
        table = np.zeros(0x110000, dtype=np.uint32)
        if chars:
            table[np.fromiter(map(ord, chars), np.int64, len(chars))] = np.arange(1, len(chars) + 1)
        for upper in range(ord("A"), ord("Z") + 1):
            table[upper] = table[upper + 32]
        for wide in range(0xFF01, 0xFF5F):  # full-width ASCII folds like its half-width form
            table[wide] = table[ord(fold(chr(wide)))]
        self.table = table
        # the two symbols of every code point, looked up rather than computed per character
        self.low = np.where(table > 0, _SYMBOL_BASE + table % width, _SYMBOL_BASE + width).astype("<u4")
        self.high = (_SYMBOL_BASE + width + 1 + table // width).astype("<u4")

    def encode(self, text: str, points: np.ndarray | None = None) -> str:
        """The symbols of `text` (whose code points, `points`, may be given)."""
        if points is None:
            points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        symbols = np.empty(2 * len(points), dtype="<u4")
        symbols[0::2] = self.low[points]
        symbols[1::2] = self.high[points]
        return symbols.tobytes().decode("utf-32-le")


def _leftmost_longest(starts: np.ndarray, ends: np.ndarray, entries: np.ndarray):
    """Non-overlapping matches: from left to right, the longest match at the leftmost free position.

    Vectorised: a match no earlier match reaches into is always kept, a match inside one of those is
    dropped; only what is left of runs of overlapping matches is walked in Python.
    """
    if len(starts) == 0:
        return starts, ends, entries
    lengths = ends - starts
    longest = int(lengths.max()) + 1
    order = np.argsort(starts * longest + (longest - 1 - lengths), kind="stable")  # by start, longest first
    ordered = starts[order]
    head = np.ones(len(order), dtype=bool)  # the longest match at each start
    np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
    order = order[head]
    starts, ends, entries = starts[order], ends[order], entries[order]
    reach = np.maximum.accumulate(ends)
    free = np.ones(len(starts), dtype=bool)
    np.greater_equal(starts[1:], reach[:-1], out=free[1:])
    if free.all():
        return starts, ends, entries
    keep = free.copy()
    free_reach = np.maximum.accumulate(np.where(free, ends, 0))
    open_ = np.flatnonzero(~free & (starts >= free_reach))  # the rest lie inside a kept match
    last = 0
    for i, start, end in zip(open_.tolist(), starts[open_].tolist(), ends[open_].tolist(), strict=True):
        if start >= last:
            keep[i] = True
            last = end
    return starts[keep], ends[keep], entries[keep]


