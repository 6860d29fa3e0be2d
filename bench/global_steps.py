"""Memory of the global steps' plans per document: the mix/format plan and the classification export.

    python bench/global_steps.py                     # 200k and 400k synthetic documents
    python bench/global_steps.py --docs 100000 300000 --parts 16

For each size it measures the peak of Python + numpy allocations (tracemalloc) of:
- mix, one process (the local executor's plan: the measured columns as one Arrow table, then the passes);
- mix, coordinator (the cluster's coordinating task: histograms and the documents around each budget; the
  part tables are made and dropped one at a time, as the part tasks read them);
- classification, the export's rows held while labelling and sketching, with the default cap
  (`max_documents`) set to a quarter of the smaller size, and uncapped.
and prints the slope in bytes per document between the sizes (what grows with the corpus). The issue's figures
for the plans before (0.69 KiB per document for the mix plan, 0.70 KiB for the classification split) came from
the same slope method. A JSON last line holds every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

KINDS = ["inspection_report", "sop", "maintenance_log", "encyclopedia", "news", "qa"]


def measured_part(first: int, rows: int, seed: int = 1) -> pa.Table:
    """Synthetic measured columns (the mix's measure stage output) for rows [first, first + rows)."""
    from corpusctl.stages.mix_select import mix_key

    rng = np.random.default_rng(seed + first)
    ids = [f"doc-{first + i:09d}" for i in range(rows)]
    size = rng.integers(60, 900, rows)
    return pa.table({"id": ids, "kind": [KINDS[k] for k in rng.integers(0, len(KINDS), rows)],
                     "mix_key": [mix_key(seed, i, 0.0) for i in ids], "size": size, "bytes": size * 3,
                     "has_title": rng.random(rows) < 0.7, "paragraph_chars": size, "pair_chars": size + 12})


class GeneratedParts:
    """The passes over parts generated on demand (each part exists only while its function runs)."""

    def __init__(self, docs: int, parts: int):
        step = -(-docs // parts)
        self.bounds = [(first, min(step, docs - first)) for first in range(0, docs, step)]

    def map(self, fn, *args):
        return [fn(measured_part(first, rows), first, *args) for first, rows in self.bounds]

    def merge(self, tables):
        from corpusctl.stages.mix_select import merge_histograms

        return merge_histograms(*tables)

    def concat(self, tables):
        return pa.concat_tables(tables)


def traced(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def mix_planner():
    from corpusctl.stages.mix import MixConfig, Planner

    return Planner(MixConfig(), 1, {}, formats=True, share=0.5)


def mix_local(docs: int) -> None:
    from corpusctl.stages.mix_select import Local, decide_mix

    table = measured_part(0, docs)
    planner = mix_planner()
    passes = Local(table)
    decision, _ = decide_mix(planner, passes)
    planner.pairs(passes, decision)


def mix_coordinator(docs: int, parts: int) -> None:
    from corpusctl.stages.mix_select import decide_mix

    planner, passes = mix_planner(), GeneratedParts(docs, parts)
    decision, _ = decide_mix(planner, passes)
    planner.pairs(passes, decision)


def classification_rows(docs: int):
    rng = random.Random(docs)
    chars = "安全阀压力容器检修巡检记录泄漏报警设备管道阀门操作规程新闻百科问答"
    for i in range(docs):
        yield {"id": f"doc-{i:09d}", "title": "", "text": "".join(rng.choice(chars) for _ in range(80)),
               "label": KINDS[i % len(KINDS)], "kind": "news", "source": "s"}


def classification(docs: int, cap: int | None) -> None:
    from corpusctl.exports.classification import ClassificationConfig, _label_and_sketch

    _label_and_sketch(classification_rows(docs), ClassificationConfig(max_documents=cap), seed=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs=2, default=[200_000, 400_000])
    parser.add_argument("--parts", type=int, default=32)
    args = parser.parse_args()
    small, large = args.docs
    cap = small // 4
    cases = {
        "mix_one_process": lambda n: mix_local(n),
        "mix_coordinator": lambda n: mix_coordinator(n, args.parts * n // small),
        f"classification_cap_{cap}": lambda n: classification(n, cap),
        "classification_uncapped": lambda n: classification(n, None),
    }
    result = {"docs": [small, large], "parts_per_200k": args.parts}
    for name, case in cases.items():
        case(small // 10)  # (imports and caches first, outside the measurement)
        peaks = [traced(lambda n=n, case=case: case(n)) for n in (small, large)]
        slope = (peaks[1] - peaks[0]) / (large - small)
        result[name] = {"peak_mb": [round(p / 2**20, 1) for p in peaks], "bytes_per_doc": round(slope, 1)}
        print(f"{name:32s} peak {peaks[0] / 2**20:8.1f} MB at {small:,}  {peaks[1] / 2**20:8.1f} MB at {large:,}"
              f"   slope {slope:8.1f} bytes/doc", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
