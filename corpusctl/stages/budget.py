"""Choosing rows to fill a size budget: the mix stage fills each kind's share of the corpus with it, the format
stage each document's share of title+content examples."""

from __future__ import annotations

import math
from bisect import bisect_left


def fill_budget(order: list[int], sizes: list[int], budget: float, rounds: int = 3) -> list[int]:
    """Rows to take, in `order` preference, whose sizes add up as close to `budget` as one can cheaply get.

    Greedy first: take rows in order while they fit, skipping ones that would overshoot. Then up to `rounds`
    single moves (add a skipped row, drop a chosen one, or swap one for one) that bring the total closer.
    This keeps every kind within a fraction of a document of its budget, so the shares hold within a
    point even on small corpora without cutting documents.
    """
    chosen: list[int] = []
    skipped: list[int] = []
    total = 0
    suffix_min = [math.inf] * (len(order) + 1)  # lets the scan stop once nothing left can fit
    for i in range(len(order) - 1, -1, -1):
        suffix_min[i] = min(sizes[order[i]], suffix_min[i + 1])
    for i, row in enumerate(order):
        if budget - total < suffix_min[i]:
            skipped.extend(order[i:])
            break
        if sizes[row] <= budget - total:
            chosen.append(row)
            total += sizes[row]
        else:
            skipped.append(row)
    good_enough = max(0.5, 1e-6 * budget)  # a millionth of a share is below any reported precision
    for _ in range(rounds):
        if abs(budget - total) <= good_enough:
            break
        move = _best_move(chosen, skipped, sizes, budget - total)
        if move is None:
            break
        drop, add = move
        if drop is not None:
            chosen.remove(drop)
            skipped.append(drop)
            total -= sizes[drop]
        if add is not None:
            skipped.remove(add)
            chosen.append(add)
            total += sizes[add]
    return chosen


def _best_move(chosen: list[int], skipped: list[int], sizes: list[int], gap: float) -> tuple | None:
    """The single add / drop / swap that most reduces |gap|; ties go to the earliest-preferred rows
    (skipped rows are kept in preference order, and the latest-chosen row is dropped first)."""
    best, best_error = None, abs(gap)
    for row in skipped:
        if abs(gap - sizes[row]) < best_error:
            best, best_error = (None, row), abs(gap - sizes[row])
    for row in reversed(chosen):
        if abs(gap + sizes[row]) < best_error:
            best, best_error = (row, None), abs(gap + sizes[row])
    if chosen and skipped:
        by_size = sorted((sizes[row], -i, row) for i, row in enumerate(chosen))
        keys = [size for size, _, _ in by_size]
        for row in skipped:
            want = sizes[row] - gap  # dropping a row of this size lands exactly
            i = bisect_left(keys, want)
            for j in (i - 1, i):
                if 0 <= j < len(by_size):
                    error = abs(gap - sizes[row] + by_size[j][0])
                    if error < best_error:
                        best, best_error = (by_size[j][2], row), error
    return best
