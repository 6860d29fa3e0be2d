"""Ontology stage: annotate industrial terms, disambiguate homonyms, add hierarchical context (issue #4).

Paper section 3.1.2 step 1. For every row, `OntologyStage` adds

- `terms` / `title_terms`: spans over `text` / `title`, `{start, end, concept_id, category, sense}` (end
  exclusive, sorted, non-overlapping; leftmost-longest). A homonym's `category` and `sense` are those of
  the sense its context chose (`corpusctl.ontology.senses`); a homonym whose context does not decide abstains:
  its span has no sense and no category (so it is no NER entity) rather than the default sense's. Words of the segmenter's lexicons
  that the ontology lacks are spans too: `concept_id = "lex:<word>"`, `category = ""`. With
  `enabled: false` only those lexicon spans are marked, so term-level masking still has its units.
- `_events`: `ontology.category.<CATEGORY>` per entity span, `ontology.lexicon` per lexicon-only span,
  `ontology.homonym.<term>.<sense>` (`<sense>` is `(abstained)` when undecided) and
  `ontology.homonym_resolved` / `ontology.homonym_abstained` per homonym occurrence, `ontology.enriched` per inserted parent.

Hierarchical context (`enrich: true`, off by default): after the first mention of each concept in a
document's `text`, the nearest parent's term is inserted in full-width brackets — 车间配备灭火器 becomes
车间配备灭火器（便携式消防器材） — and the spans after it move accordingly; the inserted words are not
spans themselves. Concepts without a parent (roots, lexicon words, general-language senses) and mentions
already followed by a bracket are left alone. Titles are never changed.

Rows are independent, so the output does not depend on batch boundaries; the annotator (85,000 terms
load in about a second) is built lazily in each worker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection
from corpusctl.io.columns import COLUMN_TYPES, SPAN, list_array, list_items, list_offsets
from corpusctl.stages.base import Stage, register

if TYPE_CHECKING:
    from corpusctl.ontology import Annotator, Matches


class OntologyConfig(StageSection):
    dir: RecipePath = PROJECT_ROOT / "ontology"
    """The ontology folder (`*.jsonl` concepts, `relations.tsv`, `categories.txt`)."""
    window: int = Field(20, ge=1)
    """Characters either side of a homonym (within its sentence) in which evidence for its senses is looked for."""
    enrich: bool = False
    """Insert the parent category in brackets after a concept's first mention (see the module docstring)."""


class OntologyStage:
    """Adds `terms`, `title_terms` and `_events` to a batch; picklable (the annotator is rebuilt lazily).

    Takes a record batch (returns those columns as Arrow arrays, plus `text` when enriching) or a dict of
    lists (returns the dict with them added, as lists)."""

    def __init__(self, config: OntologyConfig, lexicons: Iterable[str | Path] = ()):
        self.config = config
        self.lexicons = [Path(p) for p in lexicons]
        self._annotator: Annotator | None = None
        self._labels: dict[tuple[int, int, bool], tuple[str, str, str, list[str]]] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_annotator": None, "_labels": {}}

    def annotator(self) -> Annotator:
        if self._annotator is None:
            from corpusctl.ontology import Annotator

            directory = self.config.dir if self.config.enabled else None
            self._annotator = Annotator.from_paths(directory, self.lexicons, self.config.window)
        return self._annotator

    def __call__(self, batch: pa.RecordBatch | dict) -> dict:
        if isinstance(batch, pa.RecordBatch):
            names = batch.schema.names
            texts = batch.column("text").fill_null("").to_pylist()
            titles = batch.column("title").fill_null("").to_pylist() if "title" in names else [""] * len(texts)
            return self._annotate(texts, titles, batch.column("_events") if "_events" in names else None)
        texts = [t or "" for t in batch["text"]]
        titles = [t or "" for t in batch["title"]] if "title" in batch else [""] * len(texts)
        previous = pa.array(batch["_events"], COLUMN_TYPES["_events"]) if "_events" in batch else None
        out = self._annotate(texts, titles, previous)
        return {**batch, **{name: v.to_pylist() if isinstance(v, pa.Array) else v for name, v in out.items()}}

    def _annotate(self, texts: list[str], titles: list[str], previous: pa.Array | None) -> dict:
        """The new columns: all texts and titles are matched in one pass, and the span and event columns are
        built from the matches' arrays (each distinct term and sense is described once per process)."""
        annotator = self.annotator()
        n = len(texts)
        found = annotator.match_many(texts + titles)
        counts = np.fromiter(map(len, found), np.int64, 2 * n)  # matches in each text, then in each title
        flat = {name: np.concatenate([getattr(m, name) for m in found] + [np.zeros(0, np.int64)])
                for name in ("starts", "ends", "entries", "senses", "resolved")}
        kinds = int(flat["senses"].max(initial=-1)) + 2
        codes, inverse = np.unique((flat["entries"] * kinds + flat["senses"] + 1) * 2 + flat["resolved"],
                                   return_inverse=True)
        labels = [self._label(annotator, code // 2 // kinds, code // 2 % kinds - 1, bool(code % 2))
                  for code in codes.tolist()]
        strings = [pa.array([label[i] for label in labels], pa.string()) for i in range(3)]
        split = int(counts[:n].sum())
        out = {"terms": _spans(flat, strings, inverse, slice(0, split), counts[:n]),
               "title_terms": _spans(flat, strings, inverse, slice(split, None), counts[n:])}
        # events per row: the earlier ones, the text's matches', the title's matches', then enrichment
        per_label = np.fromiter((len(label[3]) for label in labels), np.int64, len(labels))
        matched = pa.array([event for label in labels for event in label[3]], pa.string())
        events = [matched.take(list_items(list_offsets(per_label), inverse))]
        owners = [np.repeat(np.repeat(np.r_[np.arange(n) * 4 + 1, np.arange(n) * 4 + 2], counts), per_label[inverse])]
        if previous is not None:
            events.append(previous.flatten())
            owners.append(np.repeat(np.arange(n) * 4, pc.fill_null(pc.list_value_length(previous), 0).to_numpy()))
        if self.config.enrich:
            texts, out["terms"], added = self._enrich(texts, out["terms"], found[:n])
            out["text"] = texts
            events.append(pa.array(["ontology.enriched"] * int(sum(added)), pa.string()))
            owners.append(np.repeat(np.arange(n) * 4 + 3, added))
        owner = np.concatenate(owners)
        order = np.argsort(owner, kind="stable")
        out["_events"] = list_array(np.bincount(owner // 4, minlength=n), pa.concat_arrays(events).take(order))
        return out

    def _label(self, annotator: Annotator, entry: int, sense: int, resolved: bool) -> tuple[str, str, str, list[str]]:
        """A match's concept_id, category, sense and events."""
        key = (entry, sense, resolved)
        if key not in self._labels:
            concept_id = annotator.entry_ids[entry]
            events = []
            category = annotator._category(entry, sense)
            if annotator.is_homonym(entry):
                name = annotator.sense_name(sense) if sense >= 0 else "(abstained)"
                events.append(f"ontology.homonym.{annotator.entry_terms[entry]}.{name}")
                events.append("ontology.homonym_resolved" if resolved else "ontology.homonym_abstained")
            if category:
                events.append(f"ontology.category.{category}")
            elif concept_id.startswith("lex:"):
                events.append("ontology.lexicon")
            self._labels[key] = (concept_id, category, annotator.sense_name(sense), events)
        return self._labels[key]

    def _enrich(self, texts: list[str], terms: pa.Array, matches: list[Matches]) -> tuple[list[str], pa.Array, list[int]]:
        annotator = self.annotator()
        results = [enrich(text, spans, found, annotator)
                   for text, spans, found in zip(texts, terms.to_pylist(), matches, strict=True)]
        return ([text for text, _, _ in results], pa.array([spans for _, spans, _ in results], COLUMN_TYPES["terms"]),
                [added for _, _, added in results])






def _spans(flat: dict, strings: list[pa.Array], labels: np.ndarray, part: slice, counts: np.ndarray) -> pa.ListArray:
    """The span lists of some texts from the matches `part` of all matches (`labels` index `strings`)."""
    fields = [pa.array(flat["starts"][part].astype(np.int32)), pa.array(flat["ends"][part].astype(np.int32)),
              *(values.take(labels[part]) for values in strings)]
    return list_array(counts, pa.StructArray.from_arrays(fields, fields=list(SPAN)))




def enrich(text: str, spans: list[dict], matches: Matches, annotator: Annotator) -> tuple[str, list[dict], int]:
    """Inserts `（parent term）` after each concept's first mention; returns the text, moved spans, insertions."""
    ontology = annotator.ontology
    if ontology is None or not spans:
        return text, spans, 0
    pieces: list[str] = []
    moved: list[dict] = []
    seen: set[tuple[str, str]] = set()
    cursor = shift = added = 0
    for span, x, g in zip(spans, matches.entries.tolist(), matches.senses.tolist(), strict=True):
        moved.append({**span, "start": span["start"] + shift, "end": span["end"] + shift})
        key = (span["concept_id"], span["sense"])
        if key in seen:
            continue
        seen.add(key)
        parents = annotator.parents(x, g)
        end = span["end"]
        if not parents or text.startswith(("（", "("), end):
            continue
        insert = f"（{ontology.get(parents[0]).term}）"
        pieces += [text[cursor:end], insert]
        cursor, shift, added = end, shift + len(insert), added + 1
    pieces.append(text[cursor:])
    return "".join(pieces), moved, added


def ontology_manifest(events: Mapping[str, int], stats: Mapping | None = None) -> dict:
    """The manifest's `ontology` key from the stage's event counts (+ `ontology_stats` of the folder used)."""
    categories: Counter = Counter()
    decisions: dict[str, Counter] = {}
    for name, count in events.items():
        if name.startswith("ontology.category."):
            categories[name.removeprefix("ontology.category.")] += count
        elif name.startswith("ontology.homonym."):
            term, _, sense = name.removeprefix("ontology.homonym.").rpartition(".")
            decisions.setdefault(term, Counter())[sense] += count
    resolved = int(events.get("ontology.homonym_resolved", 0))
    abstained = int(events.get("ontology.homonym_abstained", 0))
    senses: Counter = Counter()
    for term, chosen in decisions.items():
        for sense, count in chosen.items():
            if sense != "(abstained)":
                senses[f"{term}.{sense}"] += count
    out = {
        "entity_spans": sum(categories.values()),
        "lexicon_spans": int(events.get("ontology.lexicon", 0)),
        "categories": dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        "homonyms": {
            "occurrences": resolved + abstained,
            "resolved": resolved,
            "abstained": abstained,
            "abstention_rate": round(abstained / (resolved + abstained), 4) if resolved + abstained else 0.0,
            "per_sense": dict(sorted(senses.items(), key=lambda kv: (-kv[1], kv[0]))),
            "decisions": {term: dict(senses.most_common())
                          for term, senses in sorted(decisions.items(), key=lambda kv: -sum(kv[1].values()))},
        },
        "enriched": int(events.get("ontology.enriched", 0)),
    }
    if stats is not None:
        out["ontology"] = dict(stats)
    return out


def term_files(recipe) -> list[Path]:
    """The files the term annotation and the segmenter's user dictionary are built from."""
    paths = [Path(p) for p in recipe.segment.lexicons]
    if recipe.ontology.enabled:
        paths += sorted(p for p in Path(recipe.ontology.dir).glob("*") if p.is_file())
    return paths


@register
class Ontology(Stage):
    """Term spans and senses from the ontology (and lexicon terms, even with the ontology disabled)."""

    name = "ontology"
    section = "ontology"
    reads = ["text", "title"]
    arrow = True
    manifest_key = "ontology"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return True

    def columns(self):
        writes = ["terms", "title_terms", "_events"] + (["text"] if self.settings_section.enrich else [])
        return self.reads, writes, None

    def settings(self) -> list:
        return [*super().settings(), [str(p) for p in self.recipe.segment.lexicons]]

    def files(self) -> list[Path]:
        return term_files(self.recipe)

    def function(self):
        return OntologyStage(self.settings_section, list(self.recipe.segment.lexicons))

    def summary(self, ctx, checkpoint, top: int = 50) -> dict:
        """The manifest entry plus the most frequent annotated terms (counts per distinct term only)."""
        from corpusctl.io.workdir import read_batches
        from corpusctl.ontology import ontology_stats

        config = self.settings_section
        stats = ontology_stats(config.dir) if config.enabled else None
        summary = ontology_manifest(ctx.stats.get("ontology", {}).get("events", {}), stats=stats)
        terms: Counter = Counter()
        for batch in read_batches(checkpoint.data, 4096, columns=["title", "text", "title_terms", "terms"]):
            for text_column, spans_column in (("title", "title_terms"), ("text", "terms")):
                terms.update(entity_surfaces(batch.column(text_column), batch.column(spans_column)))
        summary["top_terms"] = dict(terms.most_common(top))
        return summary


def entity_surfaces(texts: pa.Array, spans: pa.ListArray) -> list[str]:
    """The text of every span with a category, read from the flat span arrays (not a dict per span)."""
    flat = spans.flatten()
    row_of = pc.list_parent_indices(spans)
    typed = flat.field("category").is_valid()
    typed = pc.and_(typed, pc.not_equal(flat.field("category"), "")).fill_null(False)
    rows, starts, ends = (pc.filter(a, typed).to_numpy(zero_copy_only=False).tolist()
                          for a in (row_of, flat.field("start"), flat.field("end")))
    values = texts.to_pylist()
    return [values[row][start:end] for row, start, end in zip(rows, starts, ends)]
