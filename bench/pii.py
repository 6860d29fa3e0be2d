"""Benchmark the privacy scrub: recall per form and per field, decoy survival, MB/s on one core, peak RSS.

    python bench/pii.py [--size 20MB] [--seed 0] [--repeats 3] [--profile]

The corpus comes from sample_data/pii_forms.py (make_forms_document): inspection-log records carrying personal
data in 59 written forms (phones split by spaces, dots, dashes, zero-width or ideographic spaces, in
Chinese numerals, glued to Tel/ID; IDs in groups; landlines; cards; e-mails with Chinese local parts or
spaces around @; names after role words, in traditional characters, with rare or compound surnames …) in
the text, title, label, id and meta fields, and look-alike decoys (standards, dates, order numbers, wrong
check digits, Luhn failures, serials, model numbers, readings, cue words without a name). Each form is
"tuned" (the scrubber was developed against it) or "held_out" (written alongside, not fitted to).

An item counts as found when neither its spelling, its NFKC form nor its bare digits survive in the field
it was planted in. Throughput is CPU time of this process (one core), median over repeats; MB are UTF-8
bytes of id + title + text + label + meta. `mb_s` is measured on that corpus, where nearly every sentence
holds personal data or a decoy (the worst case); `mb_s_ordinary_text` on the benchmark corpus of
sample_data/generate.py (the default mix of industrial and general text with the sample's density of
personal data), which is what a build sees. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpusctl.config import parse_size  # noqa: E402
from corpusctl.stages.pii import PiiConfig, PiiStage  # noqa: E402
from sample_data.pii_forms import PII_FORMS, FormsCorpus, _secret_forms, make_forms_document  # noqa: E402

BATCH = 1000
FIELDS = ("text", "title", "label", "id", "meta")


def build_corpus(size: int, seed: int) -> FormsCorpus:
    records, plants, decoys, total = [], [], [], 0
    while total < size:
        record, planted, fakes = make_forms_document(seed, len(records))
        records.append(record)
        plants.append(planted)
        decoys.append(fakes)
        total += sum(len(str(v).encode("utf-8")) for v in record.values())
    return FormsCorpus(records, plants, decoys)


def batches(columns: dict[str, list]) -> list[dict[str, list]]:
    rows = len(columns["text"])
    return [{k: v[i:i + BATCH] for k, v in columns.items()} for i in range(0, rows, BATCH)]


def generated_corpus_batches(size: int, seed: int) -> tuple[list[dict[str, list]], float]:
    """The benchmark corpus of sample_data/generate.py (the default mix, the sample's density of personal
    data) as PiiStage batches, and its size in MB: the throughput a build sees on ordinary text."""
    import tempfile

    from sample_data.generate import generate

    columns: dict[str, list] = {k: [] for k in ("id", "title", "text", "label", "meta", "origin", "source")}
    with tempfile.TemporaryDirectory() as folder:
        generate(folder, size, seed=seed)
        for path in sorted(Path(folder).glob("*.jsonl")):
            for line in path.open(encoding="utf-8"):
                record = json.loads(line)
                columns["id"].append(str(record.get("id", "")))
                columns["title"].append(record.get("title") or "")
                columns["text"].append(record.get("text") or "")
                columns["label"].append(record.get("category") or "")
                columns["meta"].append("{}")
                columns["origin"].append(path.name)
                columns["source"].append(path.stem)
    megabytes = sum(len(v.encode("utf-8")) for k in ("id", "title", "text", "label") for v in columns[k]) / 1e6
    return batches(columns), megabytes


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """Median CPU seconds, median wall seconds, and the last result."""
    cpu, wall, result = [], [], None
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall), result


def score(corpus: FormsCorpus, out: dict[str, list]) -> tuple[dict, dict, dict, dict, list]:
    """(found, planted) per form, per field and per half; (kept, planted) per decoy; a few misses."""
    forms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fields: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    halves: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    decoys: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for i, plants in enumerate(corpus.plants):
        for form, half, field, secret in plants:
            found = not any(s in out[field][i] for s in _secret_forms(secret))
            for table, key in ((forms, form), (fields, field), (halves, half)):
                table[key][0] += found
                table[key][1] += 1
            if not found and len(misses) < 10:
                misses.append((form, field, secret))
        for name, surface in corpus.decoys[i]:
            decoys[name][0] += surface in out["text"][i]
            decoys[name][1] += 1
    return forms, fields, halves, decoys, misses


def rate(pair: list[int]) -> float:
    return round(pair[0] / pair[1], 5) if pair[1] else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="20MB", help="corpus size (UTF-8 bytes of all fields)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print the top functions of one stage run")
    args = parser.parse_args()

    started = time.perf_counter()
    corpus = build_corpus(parse_size(args.size), args.seed)
    columns = corpus.batch()
    megabytes = sum(len(v.encode("utf-8")) for k in ("id", "title", "text", "label", "meta") for v in columns[k]) / 1e6
    print(f"corpus: {len(corpus.records):,} records, {megabytes:.1f} MB, {len(PII_FORMS)} forms "
          f"(generated in {time.perf_counter() - started:.1f} s)")

    stage = PiiStage(PiiConfig())
    parts = batches(columns)
    stage([{k: v[:1] for k, v in columns.items()}][0])  # compile outside the timing
    cpu, wall, outputs = timed(lambda: [stage(b) for b in parts], args.repeats)
    out = {k: [v for b in outputs for v in b[k]] for k in FIELDS}
    forms, fields, halves, decoys, misses = score(corpus, out)

    print(f"\n{'form':36} {'half':9} {'found':>13} {'recall':>8}")
    for form in PII_FORMS:
        pair = forms.get(form.name, [0, 0])
        print(f"{form.name:36} {form.half:9} {pair[0]:>6}/{pair[1]:<6} {rate(pair):>8.4f}")
    print(f"\n{'field':10} {'found':>13} {'recall':>8}")
    for field in FIELDS:
        print(f"{field:10} {fields[field][0]:>6}/{fields[field][1]:<6} {rate(fields[field]):>8.4f}")
    for half in ("tuned", "held_out"):
        print(f"{half:10} {halves[half][0]:>6}/{halves[half][1]:<6} {rate(halves[half]):>8.4f}")
    print(f"\n{'decoy':28} {'kept':>13} {'rate':>8}")
    for name, pair in sorted(decoys.items()):
        print(f"{name:28} {pair[0]:>6}/{pair[1]:<6} {rate(pair):>8.4f}")
    for miss in misses:
        print("missed:", *miss)

    ordinary, ordinary_mb = generated_corpus_batches(parse_size(args.size), args.seed + 1)
    ordinary_cpu, _, _ = timed(lambda: [stage(b) for b in ordinary], args.repeats)

    total_found = sum(p[0] for p in fields.values())
    total_planted = sum(p[1] for p in fields.values())
    figures = {
        "mb_s": round(megabytes / cpu, 1),
        "mb_s_wall": round(megabytes / wall, 1),
        "mb_s_ordinary_text": round(ordinary_mb / ordinary_cpu, 1),
        "recall": round(total_found / total_planted, 5),
        "recall_tuned": rate(halves["tuned"]),
        "recall_held_out": rate(halves["held_out"]),
        "min_form_recall": min(rate(forms.get(f.name, [0, 0])) for f in PII_FORMS),
        "recall_by_field": {field: rate(fields[field]) for field in FIELDS},
        "decoy_survival": round(sum(p[0] for p in decoys.values()) / sum(p[1] for p in decoys.values()), 5),
        "forms": len(PII_FORMS),
        "forms_seen": sum(1 for f in PII_FORMS if forms.get(f.name, [0, 0])[1]),
        "planted": total_planted,
        "decoys": sum(p[1] for p in decoys.values()),
        "size_mb": round(megabytes, 1),
        "records": len(corpus.records),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_mb_s": 20,
    }
    print(f"\nPiiStage (all five fields): {figures['mb_s']} MB/s per core (CPU time; wall {figures['mb_s_wall']}); "
          f"recall {figures['recall']:.5f} (tuned {figures['recall_tuned']:.5f}, held-out "
          f"{figures['recall_held_out']:.5f}); decoys kept {figures['decoy_survival']:.5f}; "
          f"peak RSS {figures['peak_rss_mb']} MB")
    print(f"on ordinary text (sample_data/generate.py, {ordinary_mb:.1f} MB, the sample's density of personal data): "
          f"{figures['mb_s_ordinary_text']} MB/s per core")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [stage(b) for b in parts])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(8)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
