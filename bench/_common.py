"""Shared helpers for the benchmark scripts: corpus generation, peak memory, timing a build."""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_mb(text: str) -> int:
    from corpusctl.config import parse_size

    return parse_size(text)


def generated_corpus(out_dir: Path, size_bytes: int, seed: int = 1, backend: str = "rjieba",
                     exports: bool = True) -> Path:
    """Generate a synthetic corpus of about size_bytes and a recipe for it; returns the recipe path.

    The recipe is the sample's (project lexicons, clutter/anomaly lists, ontology, PII roles) with the
    segmentation backend set, so a benchmark measures the build users run.
    """
    import yaml

    from sample_data.generate import generate, write_recipe

    files = generate(out_dir / "data", size_bytes, seed)
    path = write_recipe(out_dir, files)
    recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
    lexicons = ROOT / "lexicons"
    recipe["clean"]["pii"]["roles"] = str(lexicons / "pii_roles.txt")
    recipe["clean"]["clutter"] = {"lexicon": str(lexicons / "clutter.txt")}
    recipe["clean"]["anomaly"] = {"lexicon": str(lexicons / "anomaly_terms.txt")}
    recipe["ontology"] = {"dir": str(ROOT / "ontology")}
    recipe["segment"] = {"backend": backend, "lexicons": [str(lexicons / "industrial_terms.txt")]}
    if not exports:
        recipe["ner"] = recipe["classification"] = {"enabled": False}
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def corpus_bytes(recipe: Path) -> int:
    from corpusctl.recipe import load_recipe

    total = 0
    for source in load_recipe(recipe).sources:
        path = Path(source.path)
        total += sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    return total


def timed_build(recipe: Path, output: Path, *args: str) -> tuple[float, float, dict, float]:
    """Run `corpusctl build` in a fresh process: seconds, peak RSS (MB, largest process of the build), manifest,
    and CPU seconds (user + system, the build and all its workers)."""
    seconds, peak, cpu = peak_rss_child([sys.executable, "-m", "corpusctl", "build", str(recipe), "--output",
                                         str(output), "--quiet", *args])
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    return seconds, peak, manifest, cpu


def peak_rss_child(cmd: list[str], stdout=None) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) and CPU seconds of a command run in a fresh process (`wait4` accounting, which
    counts the processes it waited for too); `stdout`: an open file for its output and errors."""
    import os

    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        if stdout is not None:
            os.dup2(stdout.fileno(), 1)
            os.dup2(stdout.fileno(), 2)
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def disk_writes() -> int:
    """Bytes this process and the children it waited for have written to disk so far (/proc/self/io
    `write_bytes`: a reaped child's counters are added to its parent's; files deleted before they reached the
    disk count too)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError("no write_bytes in /proc/self/io")


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def short_document_corpus(out_dir: Path, size_bytes: int, seed: int = 1, piece_bytes: int = 200,
                          exports: bool = True) -> Path:
    """A generated corpus of about `size_bytes` in short documents (~470 bytes per JSONL line, like short
    reports and posts; 20 MB is ~42k documents): the generator's documents cut at line boundaries into pieces
    of at least `piece_bytes` bytes, each keeping the title (which makes the files ~1.25x the generated text).
    Returns the recipe path (the same recipe as `generated_corpus`)."""
    recipe = generated_corpus(out_dir, int(size_bytes * 0.8), seed=seed, exports=exports)
    for path in sorted((out_dir / "data").glob("*.jsonl")):
        lines = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                doc = json.loads(line)
                pieces, current = [], []
                for part in doc["text"].split("\n"):
                    current.append(part)
                    if len("\n".join(current).encode()) >= piece_bytes:
                        pieces.append("\n".join(current))
                        current = []
                if current:
                    if pieces:
                        pieces[-1] += "\n" + "\n".join(current)
                    else:
                        pieces.append("\n".join(current))
                for index, piece in enumerate(pieces):
                    lines.append(json.dumps({**doc, "id": f"{doc['id']}-{index}", "text": piece}, ensure_ascii=False))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return recipe


CPU_BUILD = """
import runpy, sys, time
time.perf_counter = time.process_time  # every stage and step timing of the build becomes CPU seconds
sys.argv = ["corpusctl", *sys.argv[1:]]
runpy.run_module("corpusctl", run_name="__main__")
"""


def cpu_per_stage(recipe: Path, output: Path, *args: str) -> tuple[dict[str, float], float, float, float]:
    """Build with one worker (every stage and step in one process) with the build's timers counting CPU
    seconds instead of wall seconds: CPU-s per stage and step, plus the run's wall, peak RSS (MB) and CPU-s.
    Timings of steps that contain others (none today) would count twice; `other` is what no timer saw."""
    seconds, peak, cpu = peak_rss_child([sys.executable, "-c", CPU_BUILD, "build", str(recipe), "--output",
                                         str(output), "--quiet", "--workers", "1", *args])
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    stages = {name: float(stats.get("seconds", 0) or 0) for name, stats in manifest["stages"].items()}
    stages.update({name: float(value) for name, value in manifest.get("step_seconds", {}).items()})
    stages["other (imports, manifest, rejects, unaccounted)"] = max(0.0, cpu - sum(stages.values()))
    return stages, seconds, peak, cpu


EXPORT_STEPS = ("ner export", "classification export")
EXPORT_SHARE_TARGET = 0.15
"""Issue 21: no export step may take more than this share of the build's CPU."""


def stage_shares(recipe: Path, work: Path, repeats: int, *args: str) -> tuple[dict[str, float], dict[str, float], float]:
    """`cpu_per_stage` `repeats` times: the median CPU-s per stage and per step, the median share of the
    build's CPU of each, and the median CPU-s of the builds. Medians, because this machine's speed drifts by
    a quarter between runs minutes apart: one run's share of a step can land on either side of a target."""
    runs = []
    for repeat in range(repeats):
        stages, _, _, cpu = cpu_per_stage(recipe, work / f"out-cpu-{repeat}", *args)
        shutil.rmtree(work / f"out-cpu-{repeat}", ignore_errors=True)
        runs.append((stages, cpu))
    names = {name for stages, _ in runs for name in stages}
    seconds = {name: statistics.median(stages.get(name, 0.0) for stages, _ in runs) for name in names}
    shares = {name: statistics.median(stages.get(name, 0.0) / cpu for stages, cpu in runs) for name in names}
    return seconds, shares, statistics.median(cpu for _, cpu in runs)


def print_export_shares(shares: dict[str, float], repeats: int) -> None:
    parts = [f"{name} {100 * shares.get(name, 0.0):.1f} %" for name in EXPORT_STEPS]
    worst = max(shares.get(name, 0.0) for name in EXPORT_STEPS)
    print(f"export steps' share of the build's CPU (median of {repeats} one-worker builds): {', '.join(parts)} "
          f"(target <= {100 * EXPORT_SHARE_TARGET:.0f} % each: {'met' if worst <= EXPORT_SHARE_TARGET else 'NOT met'})")


def print_stage_table(columns: dict[str, dict[str, float]]) -> None:
    """CPU-s per stage, one column per run (e.g. before/after), sorted by the first column."""
    names = list(columns)
    first = columns[names[0]]
    rows = sorted({k for c in columns.values() for k in c}, key=lambda k: -first.get(k, 0))
    print(f"  {'stage / step':<48}" + "".join(f"{n:>14}" for n in names))
    for row in rows:
        print(f"  {row:<48}" + "".join(f"{columns[n].get(row, 0):14.2f}" for n in names))
    print(f"  {'total':<48}" + "".join(f"{sum(columns[n].values()):14.2f}" for n in names))
