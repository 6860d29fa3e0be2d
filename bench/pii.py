"""Benchmark the privacy scrub: MB/s on one core, recall of planted personal data, survival of decoys.

    python bench/pii.py [--size 20MB] [--seed 0] [--repeats 3] [--profile]

The corpus comes from corpusctl.stages.pii.make_pii_corpus: inspection-log records with 1-4 planted items
(ID cards incl. X/15-digit/grouped, phones in their usual spellings, landlines with extensions, bank cards,
e-mails, names after role cues, some full-width) and 1-3 look-alike decoys each (wrong check characters,
impossible dates, Luhn failures, phones inside serials, standards, timestamps, measurements, cue words
without a name). Throughput is CPU time of this process (one core), median over repeats; MB are UTF-8
bytes of title + text + meta. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpusctl.config import parse_size  # noqa: E402
from corpusctl.stages.pii import PiiConfig, PiiCorpus, PiiStage, Scrubber, make_pii_document  # noqa: E402

BATCH = 1000


def build_corpus(size: int, seed: int) -> PiiCorpus:
    records, planted, decoys, total = [], [], [], 0
    while total < size:
        record, items, fakes = make_pii_document(seed, len(records))
        records.append(record)
        planted.append(items)
        decoys.append(fakes)
        total += sum(len(str(v).encode("utf-8")) for v in record.values())
    return PiiCorpus(records, planted, decoys)


def batches(columns: dict[str, list]) -> list[dict[str, list]]:
    rows = len(columns["text"])
    return [{k: v[i:i + BATCH] for k, v in columns.items()} for i in range(0, rows, BATCH)]


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """Median CPU seconds, median wall seconds, and the last result."""
    cpu, wall, result = [], [], None
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="20MB", help="corpus size (UTF-8 bytes of title+text+meta)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print the top functions of one stage run")
    args = parser.parse_args()

    started = time.perf_counter()
    corpus = build_corpus(parse_size(args.size), args.seed)
    columns = corpus.batch()
    megabytes = sum(len(v.encode("utf-8")) for k in ("title", "text", "meta") for v in columns[k]) / 1e6
    text_mb = sum(len(v.encode("utf-8")) for v in columns["text"]) / 1e6
    print(f"corpus: {len(corpus.records):,} records, {megabytes:.1f} MB "
          f"(generated in {time.perf_counter() - started:.1f} s)")

    stage = PiiStage(PiiConfig())
    parts = batches(columns)
    stage_cpu, stage_wall, outputs = timed(lambda: [stage(b) for b in parts], args.repeats)
    scrubber = Scrubber(PiiConfig())
    texts = columns["text"]
    scrub_cpu, _, _ = timed(lambda: [scrubber.scrub(t) for t in texts], args.repeats)

    out = {k: [v for b in outputs for v in b[k]] for k in ("title", "text", "meta", "_events")}
    found = planted_total = decoys_total = survived = extra = 0
    for i, items in enumerate(corpus.planted):
        scrubbed = "\n".join((out["title"][i], out["text"][i], out["meta"][i]))
        for _, surface in items:
            planted_total += 1
            found += surface not in scrubbed and unicodedata.normalize("NFKC", surface) not in scrubbed
        for decoy in corpus.decoys[i]:
            decoys_total += 1
            survived += decoy in out["text"][i]
        extra += max(0, len(out["_events"][i]) - len(items))

    figures = {
        "mb_s": round(megabytes / stage_cpu, 1),
        "mb_s_wall": round(megabytes / stage_wall, 1),
        "scrub_text_mb_s": round(text_mb / scrub_cpu, 1),
        "recall": round(found / planted_total, 5),
        "decoy_survival": round(survived / decoys_total, 5),
        "extra_replacements": extra,
        "planted": planted_total,
        "decoys": decoys_total,
        "size_mb": round(megabytes, 1),
        "records": len(corpus.records),
        "target_mb_s": 20,
    }
    print(f"PiiStage (title+text+meta): {figures['mb_s']} MB/s per core (CPU time; wall {figures['mb_s_wall']})")
    print(f"Scrubber.scrub on text only: {figures['scrub_text_mb_s']} MB/s per core")
    print(f"recall {found}/{planted_total} = {figures['recall']:.5f}; decoy survival {survived}/{decoys_total} "
          f"= {figures['decoy_survival']:.5f}; replacements beyond the planted items: {extra}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [stage(b) for b in parts])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(8)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
