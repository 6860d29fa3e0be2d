"""Distant NER labels of every example, computed by the build's workers (issue 21).

The NER export needs each sentence's entities: the ontology's term spans that the distant rules keep
(`corpusctl.exports.distant`), which read the words and POS of the text around each span. Labelling is the
export's largest per-row cost and depends on nothing but the row, so it runs here, as a map stage over the
segmented examples on every worker, and the export (one process: it samples, splits and writes) reads the
labels: `entities` / `title_entities`, (start, end, type) over `text` / `title`. What the rules dropped or
extended is counted in the stage's events (`ner.dropped_generic` ...), which the export reports under
`ner.spans`. The stage names its input, so it is a branch: tokenize and the masks go on from `segment`, and
a change to the NER rules re-labels without segmenting again.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusctl.io.columns import ENTITY, list_array, string_array
from corpusctl.stages.base import Stage, register

from .ner import SPAN_EVENT, NerConfig, _entities, _span_lists, _term_lists

COLUMNS = (("text", "terms", "words", "entities"), ("title", "title_terms", "title_words", "title_entities"))


class Labeller:
    """The batch function: picklable, the rules (ontology depths, jieba's dictionary) built on the first batch
    where it runs (the local executor runs that one before forking its workers, which inherit them)."""

    def __init__(self, config: NerConfig, ontology_dir: Path | None):
        self.config = config
        self.ontology_dir = ontology_dir
        self._rules = None

    def __getstate__(self):
        return {**self.__dict__, "_rules": None}

    def rules(self):
        if self._rules is None:
            self._rules = self.config.rules_for(self.ontology_dir)
        return self._rules

    def __call__(self, batch: pa.RecordBatch) -> dict:
        rules = self.rules()
        rows = batch.num_rows
        counts = [Counter() for _ in range(rows)]
        out = {}
        for text_column, terms_column, words_column, labelled in COLUMNS:
            texts = batch.column(text_column).to_pylist()
            terms = _term_lists(batch.column(terms_column))
            words = _span_lists(batch.column(words_column), "pos")
            titles = text_column == "title"  # labelled only when the export uses them (as it counts)
            out[labelled] = entity_array([
                [] if titles and not (self.config.include_titles and text and text.strip())
                else _entities(text or "", spans or [], row_words, rules, row_counts)
                for text, spans, row_words, row_counts in zip(texts, terms, words, counts, strict=True)])
        out["_events"] = [[SPAN_EVENT + name for name, n in c.items() for _ in range(n)] for c in counts]
        return out


def entity_array(rows: list[list[tuple[int, int, str]]]) -> pa.ListArray:
    """The list<ENTITY> Arrow array of (start, end, type) spans per row."""
    flat = [span for spans in rows for span in spans]
    starts, ends, types = zip(*flat) if flat else ((), (), ())
    values = pa.StructArray.from_arrays(
        [pa.array(starts, pa.int32()), pa.array(ends, pa.int32()), string_array(list(types))], fields=list(ENTITY))
    return list_array(np.fromiter(map(len, rows), np.int64, count=len(rows)), values)


@register
class NerLabel(Stage):
    """Distant entity spans of every example (the NER export's labels), in parallel."""

    name = "ner-label"
    section = "ner"
    input = "segment"
    reads = ["text", "title", "terms", "title_terms", "words", "title_words"]
    writes = ["entities", "title_entities", "_events"]
    arrow = True

    def settings(self) -> list:
        """Only the settings the labels depend on: a new split or sample size does not label again."""
        c = self.settings_section
        return [c.stop_entities, c.min_depth, c.compound_heads, c.include_titles]

    def files(self) -> list[Path]:
        from corpusctl.stages.ontology import term_files

        return term_files(self.recipe)

    def function(self):
        recipe = self.recipe
        return Labeller(self.settings_section, recipe.ontology.dir if recipe.ontology.enabled else None)
