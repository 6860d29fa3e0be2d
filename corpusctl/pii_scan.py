"""`corpusctl pii scan`: what personal data a source holds, counted per type with masked examples, without
building. It runs the build's scrubber (`corpusctl.stages.pii.Scrubber`) over every string of the files."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from corpusctl.errors import CorpusctlError
from corpusctl.stages.pii import ALL_TYPES, PiiConfig, Scrubber, is_person_key

SCAN_SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".txt": "txt", ".csv": "csv",
                 ".tsv": "csv"}


def mask_example(kind: str, value: str) -> str:
    """A found item with enough hidden that the example itself is not personal data."""
    if kind == "person":
        return value[0] + "*" * (len(value) - 1)
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "ip":
        parts = value.split(".")
        return ".".join(parts[:2] + ["*"] * (len(parts) - 2))
    digits = re.sub(r"[^0-9Xx]", "", value)
    if kind == "mobile":
        digits = digits[-11:]
    keep = 3 if kind in ("mobile", "landline") else 4
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def _scan_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES)
        if not files:
            raise CorpusctlError(f"{path} holds no .jsonl, .txt or .csv files to scan")
        return files
    raise CorpusctlError(f"{path} does not exist")


def _read_texts(path: Path, encoding: str = "utf-8") -> Iterator[tuple[str, str | None]]:
    """(text, key) pairs of a file: every string of every JSONL record, every line of a txt, every CSV cell."""
    fmt = SCAN_SUFFIXES.get(path.suffix.lower(), "txt")
    with path.open(encoding=encoding, newline="") as handle:
        if fmt == "csv":
            reader = csv.reader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            header = next(reader, [])
            yield from ((cell, None) for cell in header)
            for row in reader:
                yield from ((cell, header[i] if i < len(header) else None) for i, cell in enumerate(row))
            return
        for line in handle:
            if fmt == "jsonl" and line.strip():
                try:
                    yield from _json_strings(json.loads(line), None)
                    continue
                except ValueError:
                    pass  # not JSON: scan the raw line
            yield line, None


def _json_strings(value: object, key: str | None) -> Iterator[tuple[str, str | None]]:
    if isinstance(value, str):
        yield value, key
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value), key
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, key)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _json_strings(v, k)


def scan(paths: Path | str | Iterable[Path | str], config: PiiConfig | None = None, *,
         max_examples: int = 3, encoding: str = "utf-8") -> dict:
    """What personal data a source holds: counts per type and a few masked examples, without building.

    Texts are NFKC-normalized first, as the build does before its scrub. A file that cannot be read (another
    encoding, permissions) is listed under `errors` and the scan goes on with the next one.
    """
    config = config or PiiConfig()
    scrubber = Scrubber(config)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [f for p in paths for f in _scan_files(Path(p))]
    counts: Counter = Counter()
    examples: dict[str, list[str]] = {kind: [] for kind in ALL_TYPES}
    chars = texts = 0
    errors: dict[str, str] = {}
    for file in files:
        try:
            for text, key in _read_texts(file, encoding):
                texts += 1
                text = unicodedata.normalize("NFKC", text)
                chars += len(text)
                if key is not None and is_person_key(key):
                    text = scrubber.key_prefix + text
                for start, end, kind in scrubber.find(text):
                    counts[kind] += 1
                    masked = mask_example(kind, text[start:end])
                    if len(examples[kind]) < max_examples and masked not in examples[kind]:
                        examples[kind].append(masked)
        except UnicodeDecodeError as exc:
            errors[str(file)] = (f"not {encoding} text (byte {exc.start}); pass --encoding (e.g. gbk) if the file "
                                 "is in another encoding")
        except OSError as exc:
            errors[str(file)] = f"cannot be read: {exc.strerror or exc}"
    return {
        "files": [str(f) for f in files],
        "errors": errors,
        "texts": texts,
        "chars": chars,
        "types": list(config.types),
        "counts": {kind: counts[kind] for kind in config.types},
        "total": sum(counts.values()),
        "examples": {kind: examples[kind] for kind in config.types},
    }
