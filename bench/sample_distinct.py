"""How repetitive the bundled sample is: the share of distinct sentences per file and overall.

Template-generated text makes every statistic easy to hit (issue 18): dedup, clutter removal and disambiguation
are never exercised the way real text would. This script measures it on sample_data/ (or any folder of the same
layout): sentences are cut as corpusctl cuts them (`split_sentences`), whitespace removed.

    python bench/sample_distinct.py [FOLDER]

Per file and overall: sentence occurrences, distinct sentences, `distinct_share` (distinct / occurrences) and
`once_share` (occurrences whose sentence occurs exactly once in the whole sample). Last line: one JSON object.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpusctl.text.sentences import split_sentences  # noqa: E402

FIELDS = {".jsonl": ("content", "text", "answer", "body"), ".csv": ("body",)}


def documents(folder: Path):
    """(file, text) of every document of the sample's files (JSONL, CSV and blank-line-separated txt)."""
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".jsonl":
            for line in path.open(encoding="utf-8"):
                record = json.loads(line)
                yield path, next((record[f] for f in FIELDS[".jsonl"] if f in record), "")
        elif path.suffix == ".csv" and "operations" not in path.parts:
            with open(path, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    yield path, row.get("body", "")
        elif path.suffix == ".txt":
            for block in path.read_text(encoding="utf-8").split("\n\n"):
                yield path, block


def sentences(text: str) -> list[str]:
    return [key for a, b in split_sentences(text) if (key := "".join(text[a:b].split()))]


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "sample_data"
    per_file: dict[Path, list[str]] = {}
    for path, text in documents(folder):
        per_file.setdefault(path, []).extend(sentences(text))
    everywhere = Counter(s for found in per_file.values() for s in found)
    result = {"files": {}}
    for path, found in per_file.items():
        counts = Counter(found)
        result["files"][str(path.relative_to(folder))] = {
            "sentences": len(found), "distinct": len(counts),
            "distinct_share": round(len(counts) / max(len(found), 1), 4),
            "once_share": round(sum(1 for s in found if everywhere[s] == 1) / max(len(found), 1), 4)}
    total = sum(everywhere.values())
    result.update(sentences=total, distinct=len(everywhere), distinct_share=round(len(everywhere) / max(total, 1), 4),
                  once_share=round(sum(1 for c in everywhere.values() if c == 1) / max(total, 1), 4))
    width = max(map(len, result["files"])) + 2
    print(f"{'file':{width}}{'sentences':>10}{'distinct':>10}{'distinct':>10}{'once':>8}")
    for name, figures in result["files"].items():
        print(f"{name:{width}}{figures['sentences']:>10,}{figures['distinct']:>10,}{figures['distinct_share']:>10.1%}"
              f"{figures['once_share']:>8.1%}")
    print(f"{'all':{width}}{total:>10,}{len(everywhere):>10,}{result['distinct_share']:>10.1%}"
          f"{result['once_share']:>8.1%}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
