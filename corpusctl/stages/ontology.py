"""Ontology stage: annotate industrial terms, disambiguate homonyms, add hierarchical context (issue #4).

Paper section 3.1.2 step 1. For every row, `OntologyStage` adds

- `terms` / `title_terms`: spans over `text` / `title`, `{start, end, concept_id, category, sense}` (end
  exclusive, sorted, non-overlapping; leftmost-longest). A homonym's `category` and `sense` are those of
  the sense its context cues chose (`corpusctl.ontology.Annotator`). Words of the segmenter's lexicons
  that the ontology lacks are spans too: `concept_id = "lex:<word>"`, `category = ""`. With
  `enabled: false` only those lexicon spans are marked, so term-level masking still has its units.
- `_events`: `ontology.category.<CATEGORY>` per entity span, `ontology.lexicon` per lexicon-only span,
  `ontology.homonym.<term>.<sense>` and `ontology.homonym_resolved` / `ontology.homonym_unresolved` per
  homonym occurrence, `ontology.enriched` per inserted parent.

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

from pydantic import Field

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection

if TYPE_CHECKING:
    from corpusctl.ontology import Annotator, Matches


class OntologyConfig(StageSection):
    dir: RecipePath = PROJECT_ROOT / "ontology"
    """The ontology folder (`*.jsonl` concepts, `relations.tsv`, `categories.txt`)."""
    window: int = Field(20, ge=1)
    """Characters either side of a homonym in which sense cues are looked for."""
    enrich: bool = False
    """Insert the parent category in brackets after a concept's first mention (see the module docstring)."""


class OntologyStage:
    """Adds `terms`, `title_terms` and `_events` to a batch; picklable (the annotator is rebuilt lazily)."""

    name = "ontology"

    def __init__(self, config: OntologyConfig, lexicons: Iterable[str | Path] = ()):
        self.config = config
        self.lexicons = [Path(p) for p in lexicons]
        self._annotator: Annotator | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_annotator": None}

    def annotator(self) -> Annotator:
        if self._annotator is None:
            from corpusctl.ontology import Annotator

            directory = self.config.dir if self.config.enabled else None
            self._annotator = Annotator.from_paths(directory, self.lexicons, self.config.window)
        return self._annotator

    def __call__(self, batch: dict) -> dict:
        annotator = self.annotator()
        texts = [t or "" for t in batch["text"]]
        n = len(texts)
        titles = [t or "" for t in batch["title"]] if "title" in batch else [""] * n
        found = annotator.match_many(texts + titles)
        out = dict(batch)
        terms, title_terms, events = [], [], []
        previous = batch.get("_events")
        for row in range(n):
            text_matches, title_matches = found[row], found[n + row]
            spans = annotator.spans(text_matches)
            row_events = list(previous[row]) if previous is not None and previous[row] else []
            row_events += match_events(annotator, text_matches) + match_events(annotator, title_matches)
            if self.config.enrich:
                texts[row], spans, added = enrich(texts[row], spans, text_matches, annotator)
                row_events += ["ontology.enriched"] * added
            terms.append(spans)
            title_terms.append(annotator.spans(title_matches))
            events.append(row_events)
        if self.config.enrich:
            out["text"] = texts
        out["terms"], out["title_terms"], out["_events"] = terms, title_terms, events
        return out


def match_events(annotator: Annotator, matches: Matches) -> list[str]:
    """Event names for one text's matches (see the module docstring)."""
    events = []
    ids, categories = annotator.entry_ids, annotator.entry_categories
    for x, g, resolved in zip(matches.entries.tolist(), matches.senses.tolist(), matches.resolved.tolist(),
                              strict=True):
        if g >= 0:
            category = annotator.sense_category(g)
            events.append(f"ontology.homonym.{annotator.entry_terms[x]}.{annotator.sense_name(g)}")
            events.append("ontology.homonym_resolved" if resolved else "ontology.homonym_unresolved")
        else:
            category = categories[x]
        if category:
            events.append(f"ontology.category.{category}")
        elif ids[x].startswith("lex:"):
            events.append("ontology.lexicon")
    return events


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
    unresolved = int(events.get("ontology.homonym_unresolved", 0))
    out = {
        "entity_spans": sum(categories.values()),
        "lexicon_spans": int(events.get("ontology.lexicon", 0)),
        "categories": dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        "homonyms": {
            "occurrences": resolved + unresolved,
            "resolved": resolved,
            "unresolved": unresolved,
            "decisions": {term: dict(senses.most_common())
                          for term, senses in sorted(decisions.items(), key=lambda kv: -sum(kv[1].values()))},
        },
        "enriched": int(events.get("ontology.enriched", 0)),
    }
    if stats is not None:
        out["ontology"] = dict(stats)
    return out
