"""Importing a user's ontology at the paper's scale: a term table (CSV) and a SKOS thesaurus (Turtle).

    python bench/ontology_import.py [--terms 85000] [--pairs 1200000] [--skos-pairs 1200000] [--formats csv,skos]

1. Generates, in a temporary folder, the ontology `bench/ontology.py` generates (compositional industrial
   terms in a 4-level hierarchy, synonyms, --pairs knowledge-graph pairs), without its homonyms (neither a
   term table nor SKOS carries senses), and writes it out as a user would bring it:
   `terms.csv` (term, synonyms, category, parent), `relations.csv` (head, relation, tail) and
   `thesaurus.ttl` (skos:Concept with prefLabel/altLabel@zh, broader, and --skos-pairs skos:related).
   The generator is asked for 1 % more terms and 2 % more pairs, so that what is imported (is_a pairs
   included) is about --terms and --pairs.
2. `csv_s` / `skos_s`: `corpusctl.ontology.importer.import_ontology` in a fresh process (read, check, write,
   then the full `validate_ontology` of the folder written), wall-clock; `*_cpu_s` its CPU time (on a shared,
   loaded machine the wall-clock time says more about the neighbours than about the import);
   `*_peak_rss_mb` is that process's peak.

Target (issue #17): ≤ 60 s at 85,000 terms / 1.2 M pairs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def write_sources(folder: Path, terms: int, pairs: int, skos_pairs: int, seed: int) -> dict:
    """terms.csv, relations.csv and thesaurus.ttl from a generated ontology (homonyms left out)."""
    from ontology import generate_ontology

    generated = folder / "generated"
    generated.mkdir()
    generate_ontology(generated, int(terms / 0.99) + 1, int(pairs * 1.02), seed)
    concepts = [json.loads(line) for line in (generated / "concepts.jsonl").read_text(encoding="utf-8").splitlines()]
    homonyms = {c["id"] for c in concepts if c.get("senses")}
    concepts = [c for c in concepts if c["id"] not in homonyms]
    with (folder / "terms.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "term", "synonyms", "category", "parent"])
        for c in concepts:
            parent = c["parent"] if c["parent"] not in homonyms else None
            writer.writerow([c["id"], c["term"], ";".join(c["synonyms"]), c["category"], parent or ""])
    n_relations = 0
    related: list[tuple[str, str]] = []
    with (generated / "relations.tsv").open(encoding="utf-8") as source, \
            (folder / "relations.csv").open("w", encoding="utf-8") as out:
        out.write("head,relation,tail\n")
        for line in source:
            head, relation, tail = line.rstrip("\n").split("\t")
            if head in homonyms or tail in homonyms or relation == "is_a":
                continue
            out.write(f"{head},{relation},{tail}\n")
            n_relations += 1
            if len(related) < skos_pairs:
                related.append((head, tail))
    prefix = "http://example.org/onto#"
    with (folder / "thesaurus.ttl").open("w", encoding="utf-8") as handle:
        handle.write(f"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix ex: <{prefix}> .\n\n")
        for c in concepts:
            labels = [f'skos:prefLabel "{c["term"]}"@zh']
            labels += [f'skos:altLabel "{s}"@zh' for s in c["synonyms"]]
            if c["parent"] and c["parent"] not in homonyms:
                labels.append(f"skos:broader ex:{c['parent']}")
            handle.write(f"ex:{c['id']} a skos:Concept ;\n    " + " ;\n    ".join(labels) + " .\n")
        handle.writelines(f"ex:{h} skos:related ex:{t} .\n" for h, t in related)
    categories = sorted({c["category"] for c in concepts})
    return {"concepts": len(concepts), "relations_csv": n_relations, "skos_related": len(related),
            "categories": categories, "sizes_mb": {p.name: round(p.stat().st_size / 1e6, 1)
                                                   for p in folder.iterdir() if p.is_file()}}


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from corpusctl.ontology.importer import import_ontology
started = time.perf_counter()
kwargs = json.loads({kwargs!r})
result = import_ontology(**kwargs)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": round(seconds, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                  "concepts": result.concepts, "relations": result.relations,
                  "problems": len(result.problems), "warnings": len(result.warnings),
                  "first_problem": str(result.problems[0]) if result.problems else None,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}}))
"""


def run_import(**kwargs) -> dict:
    """One import in a fresh process (so its peak RSS is the import's own)."""
    code = CHILD.format(root=str(ROOT), kwargs=json.dumps({k: str(v) if isinstance(v, Path) else v
                                                            for k, v in kwargs.items()}))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=85_000)
    parser.add_argument("--pairs", type=int, default=1_200_000)
    parser.add_argument("--skos-pairs", type=int, default=1_200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--formats", default="csv,skos", help="Which imports to run (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corpusctl-import-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        info = write_sources(folder, args.terms, args.pairs, args.skos_pairs, args.seed)
        print(f"sources: {info['concepts']:,} concepts, {info['relations_csv']:,} CSV pairs, "
              f"{info['skos_related']:,} skos:related; files (MB) {info['sizes_mb']} "
              f"(generated in {time.perf_counter() - started:.1f} s)")
        formats = set(args.formats.split(","))
        figures: dict = {"terms": info["concepts"]}
        runs = {"csv": dict(source=folder / "terms.csv", out=folder / "from_csv", relations=folder / "relations.csv"),
                "skos": dict(source=folder / "thesaurus.ttl", out=folder / "from_skos", category="EQUIPMENT")}
        for name, kwargs in runs.items():
            if name not in formats:
                continue
            run = run_import(**kwargs)
            print(f"{name.upper()}: {run['seconds']} s ({run['cpu_seconds']} s CPU), peak RSS {run['peak_rss_mb']} MB, "
                  f"{run['concepts']:,} "
                  f"concepts, {run['relations']:,} relations, {run['problems']} problems {run['first_problem'] or ''}")
            figures |= {f"{name}_pairs": run["relations"], f"{name}_s": run["seconds"],
                        f"{name}_cpu_s": run["cpu_seconds"],
                        f"{name}_peak_rss_mb": run["peak_rss_mb"], f"{name}_problems": run["problems"]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
