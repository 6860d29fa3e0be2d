"""The driver's memory and IO under `--executor ray` as the corpus grows, on a simulated 3-node cluster.

    python bench/ray_scale.py [--small 5MB] [--large 20MB] [--file-mb 1] [--nodes 3]

Generates a corpus at 1x and 4x (each source split into files of about --file-mb, as a corpus on shared
storage usually is: ingest reads one file per task), starts a `ray.cluster_utils.Cluster` (nodes of 1 CPU and
a 150 MB object store each) and builds each corpus with `--executor ray --ray-address` in a fresh driver
process, which records at exit its peak RSS (VmHWM) and the bytes it read and wrote (/proc/self/io rchar +
wchar: read/write calls on files, pipes and sockets; the Python modules it imports included; Ray's gRPC
traffic goes through sendmsg/recvmsg, which rchar/wchar do not count), split at the start of `Build.run`
into the startup (interpreter, imports, preflight checks, connecting to Ray: a constant) and the build
itself. The same corpus is built with the local executor (2 workers) for the wall time and to check the
outputs are equal. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, corpus_bytes, generated_corpus, parse_mb

DRIVER = """
import json, runpy, sys
def _io():
    io = dict(line.split(': ') for line in open('/proc/self/io').read().splitlines())
    return int(io['rchar']) + int(io['wchar'])
def _dump():
    io = dict(line.split(': ') for line in open('/proc/self/io').read().splitlines())
    status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines())
    json.dump({'rchar': int(io['rchar']), 'wchar': int(io['wchar']), 'read_bytes': int(io['read_bytes']),
               'write_bytes': int(io['write_bytes']), 'startup_io': startup_io,
               'vmhwm_kb': int(status['VmHWM'].split()[0])}, open(stats_file, 'w'))
stats_file = sys.argv[1]
sys.argv = ['corpusctl', *sys.argv[2:]]
startup_io = None
import corpusctl.pipeline
_run = corpusctl.pipeline.Build.run
def _run_measured(self):  # the build starts: the IO so far is the interpreter, imports, preflight, ray connect
    global startup_io
    startup_io = _io()
    return _run(self)
corpusctl.pipeline.Build.run = _run_measured
try:
    runpy.run_module('corpusctl', run_name='__main__')
finally:
    _dump()
"""


def split_sources(recipe: Path, file_bytes: int) -> None:
    """Each jsonl source split into a folder of files of about `file_bytes` (whole lines)."""
    import yaml

    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    for source in data["sources"]:
        path = (recipe.parent / source["path"]).resolve()
        folder = path.with_suffix("")
        folder.mkdir(exist_ok=True)
        index, size, out = 0, 0, None
        with open(path, "rb") as handle:
            for line in handle:
                if out is None or size >= file_bytes:
                    if out is not None:
                        out.close()
                    out, size, index = open(folder / f"part-{index:04d}.jsonl", "wb"), 0, index + 1
                out.write(line)
                size += len(line)
        if out is not None:
            out.close()
        path.unlink()
        source["path"] = folder.relative_to(recipe.parent.resolve()).as_posix()
    recipe.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_driver(recipe: Path, out: Path, *args: str) -> dict:
    stats_file = out.parent / f"{out.name}.driver.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", DRIVER, str(stats_file), "build", str(recipe), "--output", str(out),
                    "--quiet", *args], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    seconds = time.perf_counter() - started
    stats = json.loads(stats_file.read_text())
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(stats["vmhwm_kb"] / 1024, 1),
            "io_mb": round((stats["rchar"] + stats["wchar"]) / 1e6, 2),
            "startup_io_mb": round(stats["startup_io"] / 1e6, 2),
            "build_io_mb": round((stats["rchar"] + stats["wchar"] - stats["startup_io"]) / 1e6, 2),
            "disk_io_mb": round((stats["read_bytes"] + stats["write_bytes"]) / 1e6, 2)}


def output_digest(out: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for folder in ("pretrain", "masked", "ner", "classification"):
        for path in sorted((out / folder).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(out).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="5MB")
    parser.add_argument("--large", default="20MB")
    parser.add_argument("--file-mb", type=float, default=1.0)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--object-store-mb", type=int, default=150)
    parser.add_argument("--no-local", action="store_true", help="skip the local-executor builds")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    from ray.cluster_utils import Cluster

    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ray-scale-") as tmp:
        recipes = {}
        for label, size in (("1x", args.small), ("4x", args.large)):
            recipes[label] = generated_corpus(Path(tmp) / label, parse_mb(size))
            split_sources(recipes[label], int(args.file_mb * 1e6))
        cluster_started = time.perf_counter()
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "object_store_memory": args.object_store_mb << 20, "include_dashboard": False})
        for _ in range(args.nodes - 1):
            cluster.add_node(num_cpus=1, object_store_memory=args.object_store_mb << 20)
        cluster.wait_for_nodes()
        print(f"cluster of {args.nodes} nodes up in {time.perf_counter() - cluster_started:.0f} s", flush=True)
        try:
            for label, recipe in recipes.items():
                mb = corpus_bytes(recipe) / 1e6
                out = Path(tmp) / f"{label}-ray"
                run = run_driver(recipe, out, "--executor", "ray", "--ray-address", cluster.address)
                run["corpus_mb"] = round(mb, 2)
                run["digest"] = output_digest(out)
                runs[f"ray_{label}"] = run
                print(f"ray {label} ({mb:.1f} MB): {run['seconds']} s, driver peak RSS {run['peak_rss_mb']} MB, "
                      f"driver IO {run['io_mb']} MB (rchar+wchar) = {run['startup_io_mb']} MB before the build "
                      f"starts + {run['build_io_mb']} MB during it", flush=True)
        finally:
            cluster.shutdown()
        if not args.no_local:
            for label, recipe in recipes.items():
                out = Path(tmp) / f"{label}-local"
                run = run_driver(recipe, out, "--workers", "2")
                run["digest"] = output_digest(out)
                runs[f"local_{label}"] = run
                print(f"local {label}: {run['seconds']} s, peak RSS {run['peak_rss_mb']} MB (driver), "
                      f"IO {run['io_mb']} MB", flush=True)
    small, large = runs["ray_1x"], runs["ray_4x"]
    growth_io = (large["io_mb"] - small["io_mb"]) / max(large["corpus_mb"] - small["corpus_mb"], 1e-9)

    def both(key: str) -> dict:
        return {"1x": small[key], "4x": large[key]}

    def share(key: str) -> dict:
        return {label: round(run[key] / run["corpus_mb"], 4) for label, run in (("1x", small), ("4x", large))}

    result = {
        "corpus_mb": both("corpus_mb"),
        "driver_peak_rss_mb": both("peak_rss_mb"),
        "driver_rss_growth": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3),
        "driver_io_mb": both("io_mb"),
        "driver_io_share_of_corpus": share("io_mb"),
        # before Build.run: interpreter, imports, recipe and preflight checks, connecting to Ray (a constant)
        "driver_startup_io_mb": both("startup_io_mb"),
        "driver_startup_io_share_of_corpus": share("startup_io_mb"),
        # from Build.run to the end: what the build itself makes the driver read and write
        "driver_build_io_mb": both("build_io_mb"),
        "driver_build_io_share_of_corpus": share("build_io_mb"),
        "driver_io_marginal_share": round(growth_io, 4),
        "cluster_seconds": {"1x": small["seconds"], "4x": large["seconds"]},
        "nodes": args.nodes,
    }
    if not args.no_local:
        result["local_seconds"] = {"1x": runs["local_1x"]["seconds"], "4x": runs["local_4x"]["seconds"]}
        result["local_peak_rss_mb"] = {"1x": runs["local_1x"]["peak_rss_mb"], "4x": runs["local_4x"]["peak_rss_mb"]}
        result["outputs_equal_local"] = all(runs[f"ray_{k}"]["digest"] == runs[f"local_{k}"]["digest"]
                                            for k in ("1x", "4x"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
