"""Leak-free split speed on a finished build: the NER export's sentences and the classification texts.

    python bench/splits.py WORK_DIR [--repeats 3] [--max-sentences 200000]

WORK_DIR is a build's work folder (e.g. /work/frozen20/work). The NER input is rebuilt from the `format`
checkpoint as `export_ner` does (sampling included); the classification input from the `ontology` checkpoint
(title + text, grouped by document). Prints the median CPU seconds of `normalize_all`, `duplicate_groups` and
`assign_splits` for each, the grouping counts, the LSH candidate share (distinct texts in some candidate pair,
whose texts the export fetches and compares exactly, per text; with the export's permutations), beside the
share of distinct texts that have a near-duplicate (each must be a candidate: the floor of that share) and of
candidates that have none, and peak RSS;
the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpusctl.exports.classification import ClassificationConfig, document_of, label_of  # noqa: E402
from corpusctl.exports.ner import NerConfig, _signature, collect_examples  # noqa: E402
from corpusctl.exports.splits import (  # noqa: E402
    PERMUTATIONS,
    assign_splits,
    duplicate_groups,
    group_duplicates,
    normalize_all,
    sketch_forms,
)
from corpusctl.io.workdir import read_batches  # noqa: E402
from corpusctl.text.minhash import lsh_candidates  # noqa: E402


def ner_input(work: Path, max_sentences: int) -> dict:
    config = NerConfig(max_sentences=max_sentences)
    columns = ["id", "title", "text", "terms", "title_terms", "sentences"]
    rows = (r for b in read_batches(work / "format" / "data.arrow", 256) for r in b.select(columns).to_pylist())
    stats = {"distant": Counter(), "spans": Counter(), "human": Counter(), "rejects": Counter()}
    examples = collect_examples(rows, config, 42, {}, stats)
    return {"keys": [e.key for e in examples], "texts": [e.text for e in examples], "strata": [_signature(e.entities) for e in examples],
            "threshold": config.near_duplicate_threshold, "ngram": config.ngram, "links": None, "perms": PERMUTATIONS}


def classification_input(work: Path) -> dict:
    config = ClassificationConfig()
    rows = [r for b in read_batches(work / "ontology" / "data.arrow", 256) for r in b.select(["id", "title", "text", "label"]).to_pylist()]
    rows.sort(key=lambda r: r["id"])
    return {"keys": [r["id"] for r in rows], "texts": [f"{r['title'] or ''}\n{r['text'] or ''}" for r in rows],
            "strata": [label_of(r, config.label_from) for r in rows], "threshold": config.near_duplicate_threshold,
            "ngram": config.ngram, "links": [document_of(r["id"]) for r in rows],
            "perms": PERMUTATIONS // 2}  # (the classification export's: documents get half the permutations)


def candidates(texts: list[str], ngram: int, perms: int, threshold: float) -> tuple[int, int, int]:
    """Among the distinct normalised texts: how many are in some LSH candidate pair; how many are in a group of
    near-duplicates (at least two distinct texts, confirmed by exact Jaccard), each of which has a partner at or
    above the threshold and so must be a candidate for the grouping to find it (the least a candidate test that
    misses no near-duplicate can propose); and how many candidates are in no such group (fetched and compared
    for nothing)."""
    forms = normalize_all(texts)
    digests, signatures = sketch_forms(forms, ngram, perms)
    first: dict[bytes, int] = {}
    for i, digest in enumerate(digests):
        first.setdefault(digest, i)
    distinct = np.array(list(first.values()), np.int64)
    marked = lsh_candidates(signatures[distinct], threshold)
    groups, _ = group_duplicates([digests[i] for i in distinct], signatures, lambda rows: [forms[distinct[i]] for i in rows],
                                 threshold, ngram, rows=distinct)  # (the same signatures as the candidates)
    near = np.bincount(groups)[groups] > 1
    return int(marked.sum()), int(near.sum()), int((marked & ~near).sum())


def cpu(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.process_time()
        result = function()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-sentences", type=int, default=200_000)
    args = parser.parse_args()
    report = {}
    for name, data in (("ner", ner_input(args.work, args.max_sentences)), ("classification", classification_input(args.work))):
        texts = data["texts"]
        normalize_s, _ = cpu(lambda: normalize_all(texts), args.repeats)  # noqa: B023
        groups_s, (groups, counts) = cpu(lambda: duplicate_groups(texts, data["threshold"], data["ngram"], data["links"]), args.repeats)  # noqa: B023
        assign_s, _ = cpu(lambda: assign_splits(data["keys"], data["strata"], groups, (0.8, 0.1, 0.1), 42), args.repeats)  # noqa: B023
        found, near, unconfirmed = candidates(texts, data["ngram"], data["perms"], data["threshold"]) if len(texts) > 1 else (0, 0, 0)
        share, near_share, unconfirmed_share = (n / max(1, len(texts)) for n in (found, near, unconfirmed))
        report[name] = {"texts": len(texts), "chars": sum(map(len, texts)), "normalize_all_cpu_s": round(normalize_s, 3),
                        "duplicate_groups_cpu_s": round(groups_s, 3), "assign_splits_cpu_s": round(assign_s, 3),
                        "lsh_candidates": found, "lsh_candidate_share": round(share, 4),
                        "near_duplicate_texts": near, "near_duplicate_share": round(near_share, 4),
                        "unconfirmed_candidates": unconfirmed, "unconfirmed_candidate_share": round(unconfirmed_share, 4), **counts}
        print(f"{name}: {len(texts)} texts, duplicate_groups {groups_s:.2f} CPU-s (normalize_all {normalize_s:.2f}), "
              f"assign_splits {assign_s:.2f} CPU-s, {counts}")
        print(f"  LSH candidates {found} ({100 * share:.1f} % of texts); distinct texts with a near-duplicate "
              f"(each must be a candidate) {near} ({100 * near_share:.1f} %); candidates without one "
              f"{unconfirmed} ({100 * unconfirmed_share:.1f} %)")
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
