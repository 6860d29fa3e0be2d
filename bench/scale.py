"""Memory and speed as the corpus grows and as workers are added.

    python bench/scale.py [--small 25MB] [--large 100MB] [--no-exports]

Builds each corpus with 1 and 2 workers; prints MB/s, CPU seconds and peak RSS (largest process of the
build) for each, checks the 1- and 2-worker shards (pretrain/ and masked/) are identical, and ends with
one JSON line. The worker speed-up is that of the large corpus: on a small one the fixed costs (imports,
the report) and the single-threaded NER export weigh more (its speed-up is printed too). Peak RSS growth
compares the 2-worker builds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

from _common import corpus_bytes, generated_corpus, parse_mb, timed_build


def shard_digest(out: Path) -> str:
    """One hash over every pre-training and masked shard."""
    digest = hashlib.sha256()
    for path in sorted(out.glob("pretrain/*.arrow")) + sorted(out.glob("masked/*/*.arrow")):
        digest.update(path.relative_to(out).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="25MB")
    parser.add_argument("--large", default="100MB")
    parser.add_argument("--backend", default="rjieba")
    parser.add_argument("--no-exports", action="store_true", help="leave out the NER and classification exports")
    args = parser.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("small", args.small), ("large", args.large)):
            recipe = generated_corpus(Path(tmp) / label, parse_mb(size), backend=args.backend,
                                      exports=not args.no_exports)
            mb = corpus_bytes(recipe) / 1e6
            for workers in (1, 2):
                out = Path(tmp) / f"{label}-out-{workers}"
                seconds, peak, _, cpu = timed_build(recipe, out, "--workers", str(workers))
                runs[f"{label}_{workers}w"] = {"mb": round(mb, 1), "seconds": round(seconds, 1),
                                               "mb_s": round(mb / seconds, 3), "peak_rss_mb": round(peak),
                                               "cpu_seconds": round(cpu, 1),
                                               "digest": shard_digest(out)}
                print(f"{label} ({mb:.1f} MB), {workers} worker(s): {seconds:.1f} s, {mb / seconds:.2f} MB/s, "
                      f"peak RSS {peak:.0f} MB, {cpu:.0f} CPU-s")
    small1, small2, large1, large2 = runs["small_1w"], runs["small_2w"], runs["large_1w"], runs["large_2w"]
    result = {
        "small_mb": small1["mb"], "large_mb": large2["mb"],
        "mb_s_1w": large1["mb_s"], "mb_s_2w": large2["mb_s"],
        "worker_speedup": round(large2["mb_s"] / large1["mb_s"], 2),
        "worker_speedup_small": round(small2["mb_s"] / small1["mb_s"], 2),
        "identical_shards_1w_2w": small1["digest"] == small2["digest"] and large1["digest"] == large2["digest"],
        "peak_rss_small_mb": small2["peak_rss_mb"], "peak_rss_large_mb": large2["peak_rss_mb"],
        "rss_growth": round(large2["peak_rss_mb"] / small2["peak_rss_mb"], 2),
        "mb_s_small": small2["mb_s"], "mb_s_large": large2["mb_s"],
        "runs": {name: {k: v for k, v in run.items() if k != "digest"} for name, run in runs.items()},
    }
    print(f"2 workers vs 1: {result['worker_speedup']}x at {result['large_mb']} MB "
          f"({result['worker_speedup_small']}x at {result['small_mb']} MB); "
          f"shards identical: {result['identical_shards_1w_2w']}")
    print(f"peak RSS at {result['large_mb']} MB vs {result['small_mb']} MB: {result['rss_growth']}x")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
