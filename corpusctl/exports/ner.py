"""NER export: BMEO (and BIO/BIOES/BMES) files, JSONL, spaCy DocBin, leak-free splits (issue #7).

Examples are sentences. Distant supervision: ontology term spans whose concept has a category become
entities of that type. Human annotations (Label Studio, doccano, CLUENER, CoNLL) override distant
labels on the same sentence text. Memory stays bounded while rows stream: at most `max_sentences`
distant sentences are kept, chosen by the smallest hash of (seed, sentence key) -- a deterministic
bottom-k sample that does not depend on the order or batching of the rows.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from corpusctl.config import RecipePath, StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.stages import stable_hash

from .schemes import Span, spans_to_tags, tag_set, write_conll
from .splits import SplitShares, leak_free_split

Scheme = Literal["BMEO", "BIO", "BIOES", "BMES"]
SPLITS = ("train", "dev", "test")
PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
"""PII placeholders written by the pii stage, e.g. [PERSON], [MOBILE]."""


class NerConfig(StageSection):
    scheme: Scheme = "BMEO"
    split: SplitShares = (0.8, 0.1, 0.1)
    annotations: list[RecipePath] = Field(default_factory=list)
    """Human annotation files (Label Studio JSON, doccano JSONL, CLUENER JSON, CoNLL) that override distant labels."""
    annotation_scheme: Scheme | None = None
    """Tag scheme of CoNLL annotation files; guessed from the file suffix or its tags when unset."""
    include_titles: bool = True
    empty_share: float = Field(0.1, ge=0, lt=1)
    """Share of entity-free sentences in the distant examples (at most; as many as exist)."""
    max_sentences: int = Field(200_000, ge=1)
    """Cap on distant sentences kept (deterministic bottom-k sample by hash); human ones always stay."""
    min_chars: int = Field(2, ge=1)
    max_chars: int = Field(510, ge=1)
    """Longer sentences are skipped: they would not fit a 512-token encoder."""
    near_duplicate_threshold: float = Field(0.8, gt=0, le=1)
    """Character n-gram Jaccard at which two sentences count as near-identical (1 = identical only)."""
    ngram: int = Field(2, ge=1)
    """Character n-gram size for near-duplicate detection (bigrams suit short Chinese sentences)."""


@dataclass
class NerExample:
    sort_key: tuple
    key: str
    text: str
    entities: list[Span]
    source: str  # "distant" | "human"


# -- sentences from rows ---------------------------------------------------------------------------------


def clean_sentence(text: str, spans: Iterable[Span]) -> tuple[str, list[Span]]:
    """Drop whitespace characters (a CoNLL line cannot hold one) and re-offset the spans onto what is left;
    a span that was only whitespace disappears."""
    kept_before = [0]
    for char in text:
        kept_before.append(kept_before[-1] + (not char.isspace()))
    cleaned = "".join(c for c in text if not c.isspace())
    out = []
    for start, end, kind in spans:
        new_start, new_end = kept_before[start], kept_before[end]
        if new_end > new_start:
            out.append((new_start, new_end, kind))
    return cleaned, out


def drop_placeholder_spans(text: str, spans: list[Span], counts: Counter) -> list[Span]:
    """A placeholder such as [MOBILE] is never part of an entity of another type."""
    holes = [(m.start(), m.end(), m.group()[1:-1]) for m in PLACEHOLDER.finditer(text)]
    if not holes:
        return spans
    kept = []
    for start, end, kind in spans:
        if any(start < h_end and h_start < end and kind.upper() != name for h_start, h_end, name in holes):
            counts["dropped_placeholder"] += 1
        else:
            kept.append((start, end, kind))
    return kept


def _drop_overlaps(spans: list[Span], counts: Counter) -> list[Span]:
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if kept and span[0] < kept[-1][1]:
            counts["dropped_overlap"] += 1
        else:
            kept.append(span)
    return kept


def _entity_type(category: object) -> str:
    return "_".join(str(category or "").split())


def row_sentences(row: dict, include_titles: bool, counts: Counter) -> list[tuple[str, str, list[Span]]]:
    """(key, text, entities) for the title and every sentence of a pre-training row. Only spans fully
    inside a sentence and with a category are entities; offsets become sentence-relative."""
    pieces = []
    row_id = str(row["id"])
    title = row.get("title") or ""
    if include_titles and title.strip():
        pieces.append((f"{row_id}/t", title, [(0, len(title))], row.get("title_terms") or []))
    text = row.get("text") or ""
    bounds = [(int(s["start"]), int(s["end"])) for s in row.get("sentences") or []] or [(0, len(text))]
    pieces.append((f"{row_id}/s", text, bounds, row.get("terms") or []))
    out = []
    for prefix, full, sentence_bounds, terms in pieces:
        spans = [(int(t["start"]), int(t["end"]), _entity_type(t.get("category"))) for t in terms]
        counts["non_entity_spans"] += sum(1 for s in spans if not s[2])
        spans = [s for s in spans if s[2] and 0 <= s[0] < s[1] <= len(full)]
        inside_any = 0
        for index, (s_start, s_end) in enumerate(sentence_bounds):
            inside = [(a - s_start, b - s_start, k) for a, b, k in spans if s_start <= a and b <= s_end]
            inside_any += len(inside)
            sentence, entities = clean_sentence(full[s_start:s_end], inside)
            entities = _drop_overlaps(drop_placeholder_spans(sentence, entities, counts), counts)
            key = prefix if prefix.endswith("/t") else f"{prefix}{index:05d}"
            out.append((key, sentence, entities))
        counts["dropped_crossing_sentence"] += len(spans) - inside_any
    return out


# -- human annotations -----------------------------------------------------------------------------------


def load_human(config: NerConfig, strict: bool, rejects: list | None, counts: Counter, reasons: Counter) -> dict[str, NerExample]:
    """Human examples by sentence text (the last file/record wins when two annotate the same text)."""
    from .importers import import_annotations

    human: dict[str, NerExample] = {}
    for file_index, path in enumerate(config.annotations):
        result = import_annotations(path, strict=strict, scheme=config.annotation_scheme)
        counts["files"] += 1
        counts["records"] += len(result.annotations)
        counts["rejects"] += len(result.rejects)
        reasons.update(r["reason"] for r in result.rejects)
        counts["skipped"] += result.skipped
        if rejects is not None:
            rejects.extend(result.rejects)
        for number, annotation in enumerate(result.annotations):
            text, entities = clean_sentence(annotation.text, annotation.entities)
            entities = drop_placeholder_spans(text, entities, counts)
            if not text:
                continue
            if text in human:
                counts["replaced_by_later_record"] += 1
            human[text] = NerExample((1, file_index, number), f"human:{annotation.origin}", text, entities, "human")
    return human


# -- the export ------------------------------------------------------------------------------------------


class _BottomK:
    """The k items with the smallest priority seen so far (a max-heap of size k)."""

    def __init__(self, k: int):
        self.k = k
        self.heap: list[tuple[int, str, NerExample]] = []
        self.seen = 0

    def add(self, priority: int, example: NerExample) -> None:
        self.seen += 1
        item = (-priority, example.key, example)
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, item)
        elif item[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, item)

    def smallest(self, n: int) -> list[NerExample]:
        return [e for _, _, e in sorted(self.heap, key=lambda x: (-x[0], x[1]))[:n]]


def collect_examples(rows: Iterable[dict], config: NerConfig, seed: int, human: dict[str, NerExample], stats: dict) -> list[NerExample]:
    """Distant examples (sampled) plus all human examples, in a deterministic order."""
    counts: Counter = stats["distant"]
    positives = _BottomK(max(1, int(config.max_sentences * (1 - config.empty_share))))
    negatives = _BottomK(int(config.max_sentences * config.empty_share) + 1)  # never more are needed
    overridden: set[str] = set()
    for row in rows:
        counts["rows"] += 1
        for key, text, entities in row_sentences(row, config.include_titles, stats["spans"]):
            counts["sentences"] += 1
            if len(text) < config.min_chars:
                counts["too_short"] += 1
                continue
            if len(text) > config.max_chars:
                counts["too_long"] += 1
                continue
            if text in human:
                counts["overridden_by_human"] += 1
                overridden.add(text)
                continue
            doc_id, _, index = key.rpartition("/")
            example = NerExample((0, doc_id, index != "t", index), key, text, entities, "distant")
            priority = stable_hash(seed, "ner", key)
            (positives if entities else negatives).add(priority, example)
    kept = positives.smallest(positives.k)
    n_empty = len(kept) * config.empty_share / (1 - config.empty_share) if config.empty_share else 0
    kept_empty = negatives.smallest(int(n_empty))
    counts["with_entities"] = positives.seen
    counts["without_entities"] = negatives.seen
    counts["kept_with_entities"] = len(kept)
    counts["kept_without_entities"] = len(kept_empty)
    counts["sampled_out_with_entities"] = positives.seen - len(kept)
    stats["human"]["overrode_distant_texts"] = len(overridden)
    humans = [e for e in human.values() if len(e.text) <= config.max_chars]
    stats["human"]["too_long"] = len(human) - len(humans)
    return sorted(kept + kept_empty + humans, key=lambda e: e.sort_key)


def _signature(entities: list[Span]) -> str:
    return "+".join(sorted({kind for _, _, kind in entities})) or "-"


def _write_split(folder: Path, name: str, examples: list[NerExample], scheme: str, vocab) -> None:
    from spacy.tokens import Doc, DocBin

    docs = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"])
    with (folder / f"{name}.txt").open("w", encoding="utf-8") as conll, (folder / f"{name}.jsonl").open("w", encoding="utf-8") as jsonl:
        for example in examples:
            write_conll(conll, list(example.text), spans_to_tags(len(example.text), example.entities, scheme))
            record = {"text": example.text, "entities": [list(e) for e in example.entities], "id": example.key, "source": example.source}
            jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
            doc = Doc(vocab, words=list(example.text), spaces=[False] * len(example.text))
            doc.ents = [doc.char_span(s, e, label=k) for s, e, k in example.entities]
            docs.add(doc)
    docs.to_disk(folder / f"{name}.spacy")


def replace_dir(temp: Path, target: Path) -> None:
    """Make `temp` appear as `target` by rename, so readers never see a half-written folder."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    temp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def export_ner(
    rows: Iterable[dict], out_dir: Path, config: NerConfig, seed: int, strict: bool = False, rejects: list | None = None
) -> dict:
    """Write `out_dir` (usually OUT/ner): {train,dev,test}.{txt,jsonl,spacy} and labels.json.
    Rows are pre-training examples (`id`, `text`, `terms`, `sentences`, `title`, `title_terms`).
    Rejected annotation records are appended to `rejects` (rejects/*.jsonl lines). Returns manifest stats."""
    import spacy

    out_dir = Path(out_dir)
    stats: dict = {
        "distant": Counter(dict.fromkeys(["rows", "sentences", "too_short", "too_long", "overridden_by_human"], 0)),
        "spans": Counter(dict.fromkeys(["non_entity_spans", "dropped_crossing_sentence", "dropped_placeholder", "dropped_overlap"], 0)),
        "human": Counter(dict.fromkeys(["files", "records", "rejects", "skipped", "replaced_by_later_record", "dropped_placeholder"], 0)),
        "rejects": Counter(),
    }
    human = load_human(config, strict, rejects, stats["human"], stats["rejects"])
    examples = collect_examples(rows, config, seed, human, stats)
    if not examples:
        raise CorpusctlError("NER export: no sentences to export (no rows, or every sentence was filtered out)")
    assignment, dedup = leak_free_split(
        [e.key for e in examples],
        [e.text for e in examples],
        [_signature(e.entities) for e in examples],
        config.split,
        seed,
        threshold=config.near_duplicate_threshold,
        ngram=config.ngram,
    )
    by_split = {name: [e for e, a in zip(examples, assignment, strict=True) if a == i] for i, name in enumerate(SPLITS)}
    types = sorted({k for e in examples for _, _, k in e.entities})
    labels = {
        "scheme": config.scheme,
        "entity_types": types,
        "tags": tag_set(types, config.scheme),
        "sentences": {name: len(items) for name, items in by_split.items()},
        "entities": {name: dict(sorted(Counter(k for e in items for _, _, k in e.entities).items())) for name, items in by_split.items()},
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    vocab = spacy.blank("zh").vocab
    for name, items in by_split.items():
        _write_split(temp, name, items, config.scheme, vocab)
    (temp / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    replace_dir(temp, out_dir)
    empty = sum(1 for e in examples if not e.entities)
    return {
        **labels,
        "examples": {"distant": sum(e.source == "distant" for e in examples), "human": sum(e.source == "human" for e in examples)},
        "empty_share": round(empty / len(examples), 4),
        "distant": dict(stats["distant"]),
        "spans": dict(stats["spans"]),
        "human": dict(stats["human"]),
        "rejects": dict(stats["rejects"]),
        "dedup": dedup,
        "leaks": count_leaks(by_split),
    }


def count_leaks(by_split: dict[str, list[NerExample]]) -> int:
    """Test or dev sentences whose normalised text also occurs in train (0 by construction; reported as a check)."""
    from .splits import normalize

    train = {normalize(e.text) for e in by_split["train"]}
    return sum(normalize(e.text) in train for name in ("dev", "test") for e in by_split[name])
