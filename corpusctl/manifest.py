"""manifest.json: what a build did (per step), its checks and warnings, and the inventory of its files."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from importlib import metadata
from pathlib import Path

from corpusctl import __version__
from corpusctl.build_checks import build_warnings, gather_rejects, target_checks
from corpusctl.io.workdir import read_batches

LIBRARIES = ["datasets", "pyarrow", "tokenizers", "jieba", "rjieba", "spacy-pkuseg", "spacy", "pyahocorasick",
             "datasketch", "pydantic", "numpy"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def file_entries(root: Path) -> list[dict]:
    """Every file under the output folder (except the manifest itself) with its size and sha256."""
    return [
        {"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    ]


def rewrite_output_manifest(out_dir: Path, manifest: dict) -> dict:
    """After a command changed files of a finished output (`ner export OUT`): recompute the checks, render
    report.html again if the build wrote one, take a fresh inventory of files and sha256, and replace
    manifest.json atomically, so the manifest and the report describe the files that are there."""
    from corpusctl.build_checks import recheck
    from corpusctl.io.workdir import write_json

    manifest = recheck(manifest)
    if (out_dir / "report.html").is_file():
        from corpusctl.report import write_report

        write_report(manifest, out_dir)
    manifest["files"] = file_entries(out_dir)
    write_json(out_dir / "manifest.json", manifest)
    return manifest


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_rejects(build, final: Path) -> None:
    """Collect every stage's rejects into rejects/<stage>.jsonl (only stages that dropped something)."""
    out = final / "rejects"
    out.mkdir(exist_ok=True)
    for name in sorted(set(build.checkpoints)):  # not leftovers of an earlier recipe in a resumed work dir
        source = build.work / name / "rejects.jsonl"
        if source.is_file() and source.stat().st_size:
            shutil.copyfile(source, out / f"{name}.jsonl")


def make_manifest(build, outputs: dict) -> dict:
    recipe = build.recipe
    stages = build.stats
    manifest = {
        "corpusctl_version": __version__,
        "recipe": recipe.to_json(),
        "recipe_hash": recipe.fingerprint(),
        "seed": recipe.seed,
        "versions": {"python": platform.python_version(), **library_versions()},
        "stages": stages,
        "sources": source_counts(stages),
        "mix": stages.get("mix", {}).get("mix", {}),
        "pii": pii_counts(stages.get("ingest", {})),
        "step_seconds": build.timings,
        "resumed_stages": build.reused,
        "recomputed_stages": build.recomputed,
        **outputs,
    }
    manifest = json.loads(json.dumps(manifest, default=str))
    manifest["checks"] = target_checks(manifest)
    manifest["warnings"] = build_warnings(manifest, source_rejects(build))
    return manifest


def source_rejects(build):
    """Per source, records read and rejected by the document stages (those before the mix), from the
    checkpoints' rejects.jsonl files; examples cut later are not records of a source."""
    import pyarrow.compute as pc

    stages = build.checkpoints[:build.checkpoints.index("mix-sizes")] if "mix-sizes" in build.checkpoints \
        else build.checkpoints
    rejects = gather_rejects(build.work / name / "rejects.jsonl" for name in stages)
    for line in _ingest_rejects(build.work / "ingest" / "rejects.jsonl"):
        rejects.read[line] += 1
    for batch in read_batches(build.work / "ingest" / "data.arrow", 8192):
        for item in pc.value_counts(batch.column("source")).to_pylist():
            rejects.read[item["values"]] += item["counts"]
    return rejects


def _ingest_rejects(path: Path):
    """The source of each record ingest rejected (it was read, so it counts towards the source's records)."""
    if path.is_file():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line).get("source") or "?"


def source_counts(stages: dict) -> dict:
    ingest = stages.get("ingest", {})
    return {"documents_read": ingest.get("docs_in", 0), "documents_ok": ingest.get("docs_out", 0)}


def pii_counts(stats: dict) -> dict:
    events = stats.get("events", {})
    by_type = {k.split(".", 1)[1]: v for k, v in events.items() if k.startswith("pii.")}
    by_source = {s: {k.split(".", 1)[1]: v for k, v in ev.items() if k.startswith("pii.")}
                 for s, ev in stats.get("events_by_source", {}).items()}
    return {"by_type": by_type, "by_source": by_source, "total": sum(by_type.values())}
