"""Checkpoint compression: zstd against LZ4 on the same generated corpus (the figures behind
`corpusctl.io.workdir.COMPRESSION`).

    python bench/compression.py [--size 10MB] [--repeats 3] [--codecs zstd lz4]

Builds the corpus once per codec and repeat, interleaved (zstd, lz4, zstd, lz4, …), each in a fresh process with
one worker and --keep-work, the codec set in that process. Prints per codec the medians of CPU seconds (the build
and its helpers), wall seconds, MB/s, peak RSS (largest process) and the bytes of the checkpoints left in the
work folder (the export files, which are output, not counted). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _common import corpus_bytes, folder_bytes, generated_corpus, parse_mb, peak_rss_child

BUILD_WITH = ("import sys; import corpusctl.io.workdir as workdir; workdir.COMPRESSION = sys.argv.pop(1); "
              "from corpusctl.cli import main; sys.argv[0] = 'corpusctl'; main()")


def checkpoint_bytes(work: Path) -> int:
    return sum(p.stat().st_size for p in work.rglob("*") if p.is_file() and "files" not in p.relative_to(work).parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="10MB")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--codecs", nargs="+", default=["zstd", "lz4"])
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {codec: [] for codec in args.codecs}
    with tempfile.TemporaryDirectory() as tmp:
        recipe = generated_corpus(Path(tmp), parse_mb(args.size))
        size_mb = corpus_bytes(recipe) / 1e6
        print(f"corpus: {size_mb:.1f} MB generated; {args.repeats} interleaved builds per codec, one worker")
        for _ in range(args.repeats):
            for codec in args.codecs:
                out = Path(tmp) / f"out-{codec}"
                work = Path(tmp) / f".out-{codec}.work"
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(work, ignore_errors=True)
                seconds, peak, cpu = peak_rss_child(
                    [sys.executable, "-c", BUILD_WITH, codec, "build", str(recipe), "--output", str(out), "--quiet",
                     "--workers", "1", "--keep-work"])
                runs[codec].append({"cpu_seconds": cpu, "seconds": seconds, "peak_rss_mb": peak,
                                    "checkpoint_mb": checkpoint_bytes(work) / 1e6,
                                    "output_mb": folder_bytes(out) / 1e6})
                print(f"  {codec:<5} {cpu:7.1f} CPU-s {seconds:7.1f} s  checkpoints {runs[codec][-1]['checkpoint_mb']:.1f} MB",
                      flush=True)
    summary = {}
    for codec, results in runs.items():
        median = {key: round(statistics.median(r[key] for r in results), 2) for key in results[0]}
        median["mb_s"] = round(size_mb / median["seconds"], 3)
        median["checkpoint_bytes_per_input_byte"] = round(median["checkpoint_mb"] / size_mb, 2)
        summary[codec] = median
        print(f"{codec:<5} median: {median['cpu_seconds']:.1f} CPU-s, {median['seconds']:.1f} s ({median['mb_s']:.2f} MB/s), "
              f"peak RSS {median['peak_rss_mb']:.0f} MB, checkpoints {median['checkpoint_mb']:.1f} MB "
              f"({median['checkpoint_bytes_per_input_byte']:.2f} per input byte)")
    print(json.dumps({"size_mb": round(size_mb, 1), "repeats": args.repeats, "codecs": summary}))


if __name__ == "__main__":
    main()
