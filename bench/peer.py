"""corpusctl's full build against Data-Juicer running only cleaning, on the same generated corpus (issue 21).

    python bench/peer.py [--size 20MB] [--repeats 3] [--workers 2] [--with-datajuicer] [--dj-venv DIR] [--stage-repeats 3]

The corpus is the generator's, cut into short documents (~470 bytes, `_common.short_document_corpus`).
Data-Juicer (`py-data-juicer`, in a venv of its own: `--dj-venv`, created and filled with pip on first use
when `--with-datajuicer` is given; without it the peer is skipped with a message) runs cleaning only:
whitespace and punctuation normalisation, a length filter, exact dedup and MinHash dedup (character 5-grams,
Jaccard 0.8), `np` = --workers. corpusctl runs its whole build (clean → dedup → ontology → format →
segment + POS → vocabulary → tokenize → masks → NER and classification exports → report) with --workers.
Runs are interleaved (peer, corpusctl, peer, corpusctl, …) after one untimed warm-up of each (Data-Juicer
installs some of its dependencies lazily on first use); the medians of wall seconds, CPU seconds (user +
system of the process and everything it waited for) and peak RSS (largest process) are printed, then the
CPU seconds per stage and their shares of the build's CPU, medians of --stage-repeats more corpusctl builds
with one worker (their timers counting CPU time, `_common.stage_shares`), and whether each export step stays
within 15 % of the build's CPU. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import (
    corpus_bytes,
    parse_mb,
    peak_rss_child,
    print_export_shares,
    print_stage_table,
    short_document_corpus,
    stage_shares,
)

DJ_PACKAGES = ["py-data-juicer", "aiohttp"]
DJ_CONFIG = """project_name: corpusctl-peer
dataset_path: {data}
export_path: {out}/cleaned.jsonl
np: {np}
text_keys: text
open_tracer: false
use_cache: false
process:
  - whitespace_normalization_mapper: {{}}
  - punctuation_normalization_mapper: {{}}
  - text_length_filter: {{min_len: 10, max_len: 100000}}
  - document_deduplicator: {{lowercase: false, ignore_non_character: false}}
  - document_minhash_deduplicator: {{tokenization: character, window_size: 5, jaccard_threshold: 0.8, lowercase: false}}
"""


def ensure_datajuicer(venv: Path) -> Path:
    """The `dj-process` of a venv holding py-data-juicer (created with pip when missing)."""
    tool = venv / "bin" / "dj-process"
    if tool.exists():
        return tool
    print(f"installing {' '.join(DJ_PACKAGES)} into {venv} (one time) …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *DJ_PACKAGES], check=True)
    return tool


def one_jsonl(recipe: Path, out: Path) -> Path:
    """The corpus as one JSONL for Data-Juicer (`text` only: titles are what corpusctl reads too, but the
    peer's cleaning works on one text field)."""
    from corpusctl.recipe import load_recipe

    with open(out, "w", encoding="utf-8") as handle:
        for source in load_recipe(recipe).sources:
            with open(source.path, encoding="utf-8") as lines:
                shutil.copyfileobj(lines, handle)
    return out


def run_datajuicer(tool: Path, data: Path, work: Path, workers: int) -> tuple[float, float, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = work / "config.yaml"
    config.write_text(DJ_CONFIG.format(data=data, out=work, np=workers), encoding="utf-8")
    log = work / "log.txt"
    with open(log, "w") as handle:
        seconds, peak, cpu = peak_rss_child([str(tool), "--config", str(config)], stdout=handle)
    if not (work / "cleaned.jsonl").exists():
        raise SystemExit(f"Data-Juicer wrote no output; see {log}")
    return seconds, peak, cpu


def run_corpusctl(recipe: Path, out: Path, workers: int) -> tuple[float, float, float]:
    shutil.rmtree(out, ignore_errors=True)
    return peak_rss_child([sys.executable, "-m", "corpusctl", "build", str(recipe), "--output", str(out),
                           "--quiet", "--workers", str(workers)])


def median_of(runs: list[tuple[float, float, float]]) -> dict:
    return {"wall_s": round(statistics.median(r[0] for r in runs), 2),
            "peak_rss_mb": round(statistics.median(r[1] for r in runs)),
            "cpu_s": round(statistics.median(r[2] for r in runs), 2),
            "runs": [[round(x, 2) for x in r] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="20MB")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--with-datajuicer", action="store_true", help="install (once) and run Data-Juicer")
    parser.add_argument("--dj-venv", type=Path, default=Path(tempfile.gettempdir()) / "corpusctl-peer-dj-venv")
    parser.add_argument("--keep", type=Path, help="work here and keep the corpus and outputs")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first run of each tool")
    parser.add_argument("--stage-repeats", type=int, default=3, help="one-worker builds for the CPU-s per stage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        recipe = short_document_corpus(work / "corpus", parse_mb(args.size))
        size_mb = corpus_bytes(recipe) / 1e6
        docs = sum(1 for path in (work / "corpus" / "data").glob("*.jsonl") for _ in open(path, "rb"))
        print(f"corpus: {size_mb:.1f} MB, {docs} documents ({size_mb * 1e6 / docs:.0f} bytes each)")
        tool = None
        if args.with_datajuicer:
            tool = ensure_datajuicer(args.dj_venv)
            data = one_jsonl(recipe, work / "all.jsonl")
        else:
            print("Data-Juicer: skipped (pass --with-datajuicer to install it into its own venv and run it)")
        peer_runs, ours_runs = [], []
        if tool and not args.no_warmup:
            run_datajuicer(tool, data, work / "dj", args.workers)  # warm-up: lazy installs, caches
        if not args.no_warmup:
            run_corpusctl(recipe, work / "out", args.workers)  # warm-up: page cache, bytecode
        for repeat in range(args.repeats):
            if tool:
                peer_runs.append(run_datajuicer(tool, data, work / "dj", args.workers))
                print(f"  run {repeat + 1}: Data-Juicer cleaning {peer_runs[-1][0]:.1f} s wall, "
                      f"{peer_runs[-1][2]:.1f} CPU-s, {peer_runs[-1][1]:.0f} MB", flush=True)
            ours_runs.append(run_corpusctl(recipe, work / "out", args.workers))
            print(f"  run {repeat + 1}: corpusctl full build {ours_runs[-1][0]:.1f} s wall, "
                  f"{ours_runs[-1][2]:.1f} CPU-s, {ours_runs[-1][1]:.0f} MB", flush=True)
        ours = median_of(ours_runs)
        result = {"size_mb": round(size_mb, 1), "documents": docs, "workers": args.workers, "corpusctl": ours}
        print(f"corpusctl full build (median of {args.repeats}): {ours['wall_s']} s wall, {ours['cpu_s']} CPU-s, "
              f"peak {ours['peak_rss_mb']} MB")
        if tool:
            peer = median_of(peer_runs)
            result["datajuicer_cleaning"] = peer
            result["cpu_ratio"] = round(ours["cpu_s"] / peer["cpu_s"], 3)
            result["wall_ratio"] = round(ours["wall_s"] / peer["wall_s"], 3)
            print(f"Data-Juicer cleaning only (median of {args.repeats}): {peer['wall_s']} s wall, "
                  f"{peer['cpu_s']} CPU-s, peak {peer['peak_rss_mb']} MB")
            print(f"corpusctl / Data-Juicer: {result['cpu_ratio']:.2f} of its CPU-s, {result['wall_ratio']:.2f} of its "
                  f"wall (target <= 0.33 each)")
        stages, shares, cpu = stage_shares(recipe, work, args.stage_repeats)
        print(f"corpusctl CPU-s per stage (one worker, medians of {args.stage_repeats} builds, {cpu:.1f} CPU-s in all):")
        print_stage_table({"CPU-s": stages, "share %": {k: 100 * v for k, v in shares.items()}})
        print_export_shares(shares, args.stage_repeats)
        result["stage_cpu_s"] = {k: round(v, 2) for k, v in stages.items()}
        result["stage_cpu_share"] = {k: round(v, 4) for k, v in shares.items()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
