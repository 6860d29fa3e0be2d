"""manifest.json helpers: file inventory with checksums, library versions."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

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
