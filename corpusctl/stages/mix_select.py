"""The mix's and the format's budget fills, computed part by part so that no process holds every document.

`fill_budget` wants all rows of a kind in preference order. Here the preference order is a key stored per
row, cut into bins by a monotone function of the key. One pass counts rows and sums sizes per bin; the bins
around the point where the running total crosses the budget are gathered and sorted exactly; there
`fill_budget` chooses among the `WINDOW` rows on each side of the crossing, and every row before that
window is taken whole. With at most `WINDOW` rows in a kind this is `fill_budget` over all of them.

Every function below takes one part (a table of the mix's measured columns) or the small tables the parts
return. The local executor runs them with the whole checkpoint as one part; on a Ray cluster a task per
part file runs them, a coordinating task merges the small tables (`coordinate`), and each part gets its own
copies and formats (`part_share`). Both reach the same decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusctl.stages import stable_hash
from corpusctl.stages.budget import fill_budget

WINDOW = 4096
"""Rows on each side of a budget's crossing point among which `fill_budget` may choose."""

COLUMNS = ["id", "kind", "mix_key", "size", "bytes", "has_title", "paragraph_chars", "pair_chars"]
_SUMS = ["count", "a", "b", "extra"]


def mix_key(seed: int, doc_id: str, priority: float) -> float:
    """A document's rank in the mix (higher first): Efraimidis-Spirakis u^(1/w) as log(u)/w, w = 1 +
    priority, so taking the first rows is weighted sampling without replacement that prefers high-priority
    documents. Computed once, in the measure stage, and stored: every process then ranks by the same bits."""
    u = (stable_hash(seed, "mix", doc_id) + 0.5) / 2.0**64
    return math.log(u) / (1.0 + max(0.0, float(priority)))


def _mix_bins(keys: np.ndarray) -> np.ndarray:
    """Bins ascending as the key descends: the bit pattern of -key (>= +0.0) keeps the order of floats."""
    return (np.float64(0.0) - keys.astype(np.float64)).view(np.uint64) >> np.uint64(44)


def _format_bin(h: int) -> int:
    return h >> 52


# -- the generic fill --------------------------------------------------------------------------------------


def histogram(groups, bins: np.ndarray, a: np.ndarray, b: np.ndarray, extra: np.ndarray) -> pa.Table:
    """Rows and sums of a, b and extra per (group, bin)."""
    table = pa.table({"group": pa.array(groups, pa.string()), "bin": pa.array(bins, pa.uint64()),
                      "count": pa.array(np.ones(len(bins), np.int64)), "a": pa.array(a, pa.int64()),
                      "b": pa.array(b, pa.int64()), "extra": pa.array(extra, pa.int64())})
    return merge_histograms(table)


def merge_histograms(*tables: pa.Table) -> pa.Table:
    table = pa.concat_tables(tables).group_by(["group", "bin"]).aggregate([(c, "sum") for c in _SUMS])
    table = table.rename_columns([n.removesuffix("_sum") for n in table.column_names])
    return table.select(["group", "bin", *_SUMS]).sort_by([("group", "ascending"), ("bin", "ascending")])


def _reach(a, b, lean: float):
    """The running measure a budget is filled in: a for the mix, the format's pair/paragraph blend."""
    return (1 - lean) * np.asarray(a, np.float64) + lean * np.asarray(b, np.float64)


@dataclass
class Window:
    """Where one group's fill must look: the bins [first_bin, last_bin] gathered; what the bins before hold."""

    first_bin: int
    last_bin: int
    before: dict[str, int]
    """count, a, b and extra summed over the bins before `first_bin` (all taken)."""


def window_of(hist: pa.Table, budget: float, lean: float, window: int) -> Window | None:
    """The bins that hold the rows within `window` of where the running total first passes `budget`."""
    if not hist.num_rows:
        return None
    sums = {c: hist.column(c).to_numpy() for c in _SUMS}
    ends = {c: np.cumsum(v) for c, v in sums.items()}
    crossing = int(np.searchsorted(_reach(ends["a"], ends["b"], lean), budget, side="right"))
    n = int(ends["count"][-1])
    start, end = (n, n) if crossing == hist.num_rows else (
        int(ends["count"][crossing] - sums["count"][crossing]), int(ends["count"][crossing]))
    first = int(np.searchsorted(ends["count"], start - window, side="right"))
    last = int(np.searchsorted(ends["count"] - sums["count"], end + window, side="left")) - 1
    bins = hist.column("bin").to_numpy()
    before = {c: int(ends[c][first] - sums[c][first]) for c in _SUMS}
    return Window(int(bins[first]), int(bins[last]), before)


def fill_gathered(a: np.ndarray, b: np.ndarray, win: Window, budget: float, lean: float,
                  window: int) -> np.ndarray:
    """Positions (in the gathered rows, sorted in preference order) that are taken: those before the window
    around the crossing, and `fill_budget`'s choice inside it."""
    ca, cb = win.before["a"] + np.cumsum(a, dtype=np.int64), win.before["b"] + np.cumsum(b, dtype=np.int64)
    first = win.before["count"]
    crossing = first + int(np.searchsorted(_reach(ca, cb, lean), budget, side="right"))
    lo, hi = max(0, crossing - window) - first, min(len(a), crossing + window - first)
    if lo < 0:
        raise AssertionError("the gathered bins do not hold the window")  # (window_of guarantees they do)
    a_lo, b_lo = (int(ca[lo - 1]), int(cb[lo - 1])) if lo else (win.before["a"], win.before["b"])
    weights = _reach(a, b, lean).tolist()
    chosen = fill_budget(list(range(lo, hi)), weights, budget - float(_reach(a_lo, b_lo, lean)))
    return np.array(sorted([*range(lo), *chosen]), np.int64)


# -- the mix ------------------------------------------------------------------------------------------------


def mix_histogram(part: pa.Table) -> pa.Table:
    """Per kind and key bin: documents, characters (in the mix's unit) and bytes."""
    size = part.column("size").to_numpy()
    return histogram(part.column("kind"), _mix_bins(part.column("mix_key").to_numpy()), size,
                     np.zeros(len(size), np.int64), part.column("bytes").to_numpy())


def mix_gather(part: pa.Table, first_row: int, windows: dict[str, Window]) -> pa.Table:
    """The documents in each kind's window bins, with what ranking and filling them needs."""
    bins = _mix_bins(part.column("mix_key").to_numpy())
    wanted = np.zeros(part.num_rows, bool)
    for kind, win in windows.items():
        in_kind = pc.equal(part.column("kind"), kind).to_numpy(zero_copy_only=False)
        wanted |= in_kind & (bins >= win.first_bin) & (bins <= win.last_bin)
    picked = part.select(["kind", "mix_key", "id", "size", "bytes"]).filter(pa.array(wanted))
    return picked.append_column("row", pa.array(first_row + np.flatnonzero(wanted), pa.int64()))


@dataclass
class Decision:
    """Per kind: copies of every document, plus one for those the partial pass takes."""

    passes: dict[str, int] = field(default_factory=dict)
    taken_below: dict[str, int] = field(default_factory=dict)
    """Documents in a key bin below this are taken (kinds with a partial pass only)."""
    taken_rows: dict[str, np.ndarray] = field(default_factory=dict)
    """And these rows (global row numbers) of the gathered bins."""
    everything: bool = False
    """The mix is off: every document once."""


def mix_decide(gathered: pa.Table, windows: dict[str, Window], rests: dict[str, float], seed: int,
               window: int) -> tuple[dict[str, np.ndarray], dict[str, tuple[int, int, int]]]:
    """Per kind: the taken rows of its gathered bins, and (documents, units, bytes) the partial pass takes."""
    rows, sums = {}, {}
    for kind, win in windows.items():
        mine = gathered.filter(pc.equal(gathered.column("kind"), kind))
        keys, ids = mine.column("mix_key").to_pylist(), mine.column("id").to_pylist()
        row_numbers = mine.column("row").to_pylist()
        order = sorted(range(mine.num_rows), reverse=True,
                       key=lambda i: (keys[i], stable_hash(seed, "mix", ids[i]), ids[i], row_numbers[i]))
        size = mine.column("size").to_numpy()[order]
        nbytes = mine.column("bytes").to_numpy()[order]
        taken = fill_gathered(size, np.zeros(len(size), np.int64), win, rests[kind], 0.0, window)
        rows[kind] = np.sort(np.asarray(row_numbers, np.int64)[order][taken])
        sums[kind] = (win.before["count"] + len(taken), win.before["a"] + int(size[taken].sum()),
                      win.before["extra"] + int(nbytes[taken].sum()))
    return rows, sums


def mix_copies(part: pa.Table, first_row: int, decision: Decision) -> np.ndarray:
    """Copies of each document of a part."""
    if decision.everything:
        return np.ones(part.num_rows, np.int64)
    copies = np.zeros(part.num_rows, np.int64)
    bins = _mix_bins(part.column("mix_key").to_numpy())
    rows = first_row + np.arange(part.num_rows, dtype=np.int64)
    for kind, passes in decision.passes.items():
        in_kind = pc.equal(part.column("kind"), kind).to_numpy(zero_copy_only=False)
        copies[in_kind] = passes
        if kind in decision.taken_below:
            extra = (bins < decision.taken_below[kind]) | np.isin(rows, decision.taken_rows[kind])
            copies[in_kind & extra] += 1
    return copies


# -- the formats --------------------------------------------------------------------------------------------


@dataclass
class Copies:
    """A part's document copies, one row each (copy 0 is the original)."""

    doc: np.ndarray
    copy: np.ndarray
    ids: list[str]
    hashes: list[int]
    """stable_hash(seed, 'format', copy id) of the titled copies, None for the others."""
    titled: np.ndarray
    pair: np.ndarray
    paragraph: np.ndarray
    ident: np.ndarray
    """(global row) x stride + copy: the copy's name across parts."""


def copies_of(part: pa.Table, first_row: int, copies: np.ndarray, seed: int, stride: int) -> Copies:
    doc = np.repeat(np.arange(part.num_rows, dtype=np.int64), copies)
    starts = np.repeat(np.cumsum(copies) - copies, copies)
    copy = np.arange(len(doc), dtype=np.int64) - starts
    doc_ids = part.column("id").to_pylist()
    ids = [doc_ids[d] if c == 0 else f"{doc_ids[d]}~r{c}" for d, c in zip(doc.tolist(), copy.tolist())]
    titled = part.column("has_title").to_numpy(zero_copy_only=False).astype(bool)[doc]
    hashes = [stable_hash(seed, "format", i) if t else None for i, t in zip(ids, titled.tolist())]
    return Copies(doc, copy, ids, hashes, titled, part.column("pair_chars").to_numpy()[doc],
                  part.column("paragraph_chars").to_numpy()[doc], (first_row + doc) * stride + copy)


def _format_bins(copies: Copies) -> np.ndarray:
    return np.array([_format_bin(h) if h is not None else 0 for h in copies.hashes], np.uint64)


def format_histogram(copies: Copies) -> pa.Table:
    """Per bin of the titled copies: copies, pair and paragraph characters; group '' holds the
    paragraph characters of every copy (the budget is a share of them)."""
    t = copies.titled
    titled = histogram([""] * int(t.sum()), _format_bins(copies)[t], copies.pair[t], copies.paragraph[t],
                       np.zeros(int(t.sum()), np.int64))
    total = pa.table({"group": ["all"], "bin": pa.array([0], pa.uint64()), "count": [len(copies.doc)],
                      "a": [0], "b": [int(copies.paragraph.sum())], "extra": [0]})
    return merge_histograms(titled.cast(total.schema), total)


def format_gather(copies: Copies, win: Window) -> pa.Table:
    bins = _format_bins(copies)
    wanted = np.flatnonzero(copies.titled & (bins >= win.first_bin) & (bins <= win.last_bin))
    return pa.table({"h": pa.array([copies.hashes[i] for i in wanted], pa.uint64()),
                     "id": pa.array([copies.ids[i] for i in wanted], pa.string()),
                     "ident": pa.array(copies.ident[wanted], pa.int64()),
                     "pair": pa.array(copies.pair[wanted], pa.int64()),
                     "paragraph": pa.array(copies.paragraph[wanted], pa.int64())})


def format_decide(gathered: pa.Table, win: Window, budget: float, share: float, window: int) -> np.ndarray:
    """The names (`Copies.ident`) of the gathered titled copies that become pairs."""
    h, ids, ident = (gathered.column(c).to_pylist() for c in ("h", "id", "ident"))
    order = sorted(range(gathered.num_rows), key=lambda i: (h[i], ids[i], ident[i]))
    taken = fill_gathered(gathered.column("pair").to_numpy()[order], gathered.column("paragraph").to_numpy()[order],
                          win, budget, share, window)
    return np.sort(np.asarray(ident, np.int64)[order][taken])


def format_budget(hist: pa.Table, share: float) -> tuple[pa.Table, float]:
    """The titled copies' histogram and the pair budget: `share` of all paragraph characters."""
    is_all = pc.equal(hist.column("group"), "all")
    total = hist.filter(is_all).column("b").to_pylist()
    return hist.filter(pc.invert(is_all)), share * (total[0] if total else 0)


@dataclass
class Pairs:
    """Which titled copies become title+content pairs."""

    below: int | None = None
    """Titled copies in a hash bin below this are pairs (None: no titled copy, or formats off)."""
    names: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def as_pair(copies: Copies, pairs: Pairs) -> np.ndarray:
    if pairs.below is None:
        return np.zeros(len(copies.doc), bool)
    bins = _format_bins(copies)
    return copies.titled & ((bins < pairs.below) | np.isin(copies.ident, pairs.names))


# -- the passes, over parts -------------------------------------------------------------------------------


def read_part(part) -> pa.Table:
    """A part's measured columns: a table (the local executor's whole checkpoint) or a part file's."""
    if isinstance(part, pa.Table):
        return part
    from corpusctl.io.workdir import read_batches

    batches = list(read_batches(Path(part), 8192, columns=COLUMNS))
    return pa.Table.from_batches(batches) if batches else pa.table(
        {c: pa.array([], t) for c, t in zip(COLUMNS, (pa.string(), pa.string(), pa.float64(), pa.int64(),
                                                      pa.int64(), pa.bool_(), pa.int64(), pa.int64()))})


def _mix_histogram_of(part, first: int) -> pa.Table:
    return mix_histogram(read_part(part))


def _mix_gather_of(part, first: int, windows: dict[str, Window]) -> pa.Table:
    return mix_gather(read_part(part), first, windows)


def _copies_of(part, first: int, decision: Decision, seed: int, stride: int) -> Copies:
    table = read_part(part)
    return copies_of(table, first, mix_copies(table, first, decision), seed, stride)


def _format_histogram_of(part, first: int, *args) -> pa.Table:
    return format_histogram(_copies_of(part, first, *args))


def _format_gather_of(part, first: int, *args) -> pa.Table:
    *args, win = args
    return format_gather(_copies_of(part, first, *args), win)


class Local:
    """The passes over one table, in this process."""

    def __init__(self, table: pa.Table):
        self.table = table

    def map(self, fn, *args) -> list:
        return [fn(self.table, 0, *args)]

    def merge(self, tables: list) -> pa.Table:
        return merge_histograms(*tables)

    def concat(self, tables: list) -> pa.Table:
        return pa.concat_tables(tables)


class OnCluster:
    """The passes as a Ray task per part file; histograms merged on workers, a few dozen at a time."""

    def __init__(self, cluster, parts: list[tuple[str, int, int]]):
        self.cluster, self.parts = cluster, parts

    def map(self, fn, *args) -> list:
        remote = self.cluster.remote(fn)
        return [remote.remote(path, first, *args) for path, first, _ in self.parts]

    def merge(self, refs: list, fan: int = 64) -> pa.Table:
        merge = self.cluster.remote(merge_histograms)
        while len(refs) > 1:
            refs = [merge.remote(*refs[i:i + fan]) for i in range(0, len(refs), fan)]
        return self.cluster.get(refs[0])

    def concat(self, refs: list) -> pa.Table:
        return pa.concat_tables(self.cluster.get(refs))


def decide_mix(planner, passes) -> tuple[Decision, dict]:
    """The mix's copies (`planner`: `mix.Planner`, the budgets) and the manifest's statistics."""
    hist = passes.merge(passes.map(_mix_histogram_of))
    windows = planner.windows(hist)
    gathered = passes.concat(passes.map(_mix_gather_of, windows)) if windows else None
    return planner.decision(hist, windows, gathered)


def decide_pairs(passes, decision: Decision, seed: int, stride: int, share: float, window: int) -> Pairs:
    """Which titled copies become pairs so that about `share` of all characters are pairs."""
    args = (decision, seed, stride)
    titled, budget = format_budget(passes.merge(passes.map(_format_histogram_of, *args)), share)
    win = window_of(titled, budget, share, window)
    if win is None:
        return Pairs()
    found = passes.concat(passes.map(_format_gather_of, *args, win))
    return Pairs(win.first_bin, format_decide(found, win, budget, share, window))


def copies_of_part(part, decision: Decision, planner, first: int = 0) -> tuple[np.ndarray, Copies]:
    """A part's copies per document, and the copies themselves."""
    table = read_part(part)
    copies = mix_copies(table, first, decision)
    return copies, copies_of(table, first, copies, planner.seed, planner.stride)


class CopyPlan(NamedTuple):
    """What the mix step applies: the copies of each document and the format of each copy."""

    copies: list[int]
    """Copies per document (0: left out)."""
    as_pair: list[bool]
    """Per copy, in (document, copy) order: whether it becomes a title+content pair."""
    first_copy: np.ndarray
    """Per document, the index of its first copy in `as_pair`."""


def copy_plan(copies: np.ndarray, pairs: np.ndarray) -> CopyPlan:
    return CopyPlan(copies.tolist(), pairs.tolist(), np.concatenate([[0], np.cumsum(copies, dtype=np.int64)]))


def part_share(plan, path: str, first: int) -> CopyPlan:
    """One part's copies and formats, its first row numbered 0."""
    from corpusctl.distributed import unwrap

    planner, decision, pairs = unwrap(plan)
    counts, copies = copies_of_part(path, decision, planner, first)
    return copy_plan(counts, as_pair(copies, pairs))


def coordinate(parts: list[tuple[str, int, int]], planner):
    """`decide_mix` and `decide_pairs` driven from a worker (the tables between the passes never reach the
    driver): (what `part_share` needs, the mix's statistics)."""
    import ray

    from corpusctl.distributed import Cluster, Pickled

    passes = OnCluster(Cluster(ray, 1), parts)
    decision, stats = decide_mix(planner, passes)
    return Pickled((planner, decision, planner.pairs(passes, decision))), stats
