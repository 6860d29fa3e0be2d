"""End-to-end build throughput on a generated corpus, against plain jieba.posseg on the same text.

    python bench/pipeline.py [--size 100MB] [--workers 2] [--backend rjieba] [--baseline-mb 2] [--no-exports]
                             [--stage-repeats N]

Prints MB/s of the whole build (clean → ontology → segment + POS → mask → write, with the NER and
classification exports unless --no-exports), seconds per stage and per global step, peak RSS (largest
process of the build), the work folder's bytes written per input byte (everything the build wrote to disk
but the output it published: checkpoints, rejects, temporary files; a default build, whose work folder
is removed at the end), and the baseline: plain `jieba.posseg` over the first --baseline-mb of the same text
on one core (its MB/s does not depend on how much text it sees, so a slice keeps the run short), 3 runs before
the build and 3 after, their median the baseline. With --stage-repeats N, also the CPU-s and CPU share of every
stage and step, medians of N builds with one worker, and whether each export step stays within 15 % of the
build's CPU. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from _common import (
    corpus_bytes,
    disk_writes,
    folder_bytes,
    generated_corpus,
    parse_mb,
    print_export_shares,
    print_stage_table,
    stage_shares,
    timed_build,
)


def corpus_texts(recipe: Path, limit_bytes: int) -> list[str]:
    from corpusctl.io.readers import Reject, SourceReader
    from corpusctl.recipe import load_recipe

    texts, total = [], 0
    sources = load_recipe(recipe).sources
    per_source = limit_bytes // len(sources)
    for source in sources:
        taken = 0
        for doc in SourceReader(source):
            if isinstance(doc, Reject):
                continue
            text = f"{doc['title']}\n{doc['text']}" if doc["title"] else doc["text"]
            texts.append(text)
            taken += len(text.encode())
            if taken >= per_source:
                break
        total += taken
    return texts


def jieba_posseg_mb_s(texts: list[str], repeats: int = 3) -> list[float]:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    tokenizer = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    list(tokenizer.cut("预热词典"))
    size = sum(len(t.encode()) for t in texts) / 1e6
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            list(tokenizer.cut(text))
        runs.append(size / (time.perf_counter() - started))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="rjieba", choices=["jieba", "rjieba"])
    parser.add_argument("--baseline-mb", type=float, default=2.0)
    parser.add_argument("--no-exports", action="store_true",
                        help="leave out the NER and classification exports (pre-training set only)")
    parser.add_argument("--keep", type=Path, help="build here and keep the output")
    parser.add_argument("--stage-repeats", type=int, default=0,
                        help="also build N times with one worker and print the CPU-s and CPU share of every stage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        recipe = generated_corpus(work, parse_mb(args.size), backend=args.backend, exports=not args.no_exports)
        size_mb = corpus_bytes(recipe) / 1e6
        print(f"corpus: {size_mb:.1f} MB generated; building with {args.workers} workers, backend {args.backend}"
              f"{', no NER/classification exports' if args.no_exports else ''}")
        texts = corpus_texts(recipe, int(args.baseline_mb * 1e6))
        before = jieba_posseg_mb_s(texts)  # the baseline before and after the build: this machine's speed drifts
        written = disk_writes()
        seconds, peak, manifest, cpu = timed_build(recipe, work / "out", "--workers", str(args.workers))
        work_bytes = disk_writes() - written - folder_bytes(work / "out")  # (the work folder is gone: default)
        after = jieba_posseg_mb_s(texts)
        baseline = statistics.median(before + after)
        build_mb_s = size_mb / seconds
        print(f"build: {seconds:.1f} s, {build_mb_s:.2f} MB/s, peak RSS {peak:.0f} MB, {cpu:.0f} CPU-s "
              f"({cpu / size_mb:.2f} CPU-s per MB)")
        print(f"work folder: {work_bytes / 1e6:.0f} MB written besides the output, "
              f"{work_bytes / (size_mb * 1e6):.2f} bytes per input byte")
        stage_seconds = {name: stats.get("seconds", 0) for name, stats in manifest["stages"].items()}
        stage_seconds.update(manifest.get("step_seconds", {}))
        for name, value in stage_seconds.items():
            print(f"  {name:<52} {value:8.2f} s")
        print(f"baseline: plain jieba.posseg, one core: {baseline:.3f} MB/s (median of 3 runs before the build, "
              f"{statistics.median(before):.3f}, and 3 after, {statistics.median(after):.3f}, over "
              f"{sum(len(t.encode()) for t in texts) / 1e6:.1f} MB of the same text)")
        print(f"speed-up: {build_mb_s / baseline:.1f}x (target >= 5x)")
        shares: dict = {}
        if args.stage_repeats:
            stages, shares, stage_cpu = stage_shares(recipe, work, args.stage_repeats)
            print(f"CPU-s per stage (one worker, medians of {args.stage_repeats} builds, {stage_cpu:.1f} CPU-s in all):")
            print_stage_table({"CPU-s": stages, "share %": {k: 100 * v for k, v in shares.items()}})
            print_export_shares(shares, args.stage_repeats)
    print(json.dumps({"size_mb": round(size_mb, 1), "workers": args.workers, "backend": args.backend,
                      "exports": not args.no_exports, "seconds": round(seconds, 2),
                      "mb_s": round(build_mb_s, 3), "baseline_mb_s": round(baseline, 3),
                      "speedup": round(build_mb_s / baseline, 2), "peak_rss_mb": round(peak), "cpu_seconds": round(cpu, 1),
                      "work_bytes_per_input_byte": round(work_bytes / (size_mb * 1e6), 2),
                      "baseline_runs_mb_s": [round(x, 3) for x in before + after],
                      "stage_seconds": stage_seconds, "stage_cpu_share": {k: round(v, 4) for k, v in shares.items()}}))


if __name__ == "__main__":
    main()
