"""Distant NER labels of every example, computed by the build's workers (issue 21).

The NER export needs each sentence's entities: the ontology's term spans that the distant rules keep
(`corpusctl.exports.distant`), which read the words and POS of the text around each span. Labelling and
cutting sentences depend on nothing but the row, so they run here, as a map stage over the segmented
examples on every worker, and the export (one process: it samples, splits and writes) reads per sentence
its bounds, cleaned length, sampling hash and entity count (`ner_sentences`) and its entities
(`ner_entities`, offsets in the sentence): it picks the sentences that may enter the sample from those
arrays and cuts only them. What the rules and the cutting dropped or extended is counted in the stage's
events (`ner.dropped_generic` ...), which the export reports under `ner.spans`. The stage names its input, so it is a branch: tokenize and the masks go on from `segment`, and
a change to the NER rules re-labels without segmenting again.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusctl.io.columns import ENTITY, NER_SENTENCE, list_array, string_array
from corpusctl.stages.base import Stage, register

from .ner import SPAN_EVENT, NerConfig, Sentence, batch_rows, label_row, sample_salt


class Labeller:
    """The batch function: picklable, the rules (ontology depths, jieba's dictionary) built on the first batch
    where it runs (the local executor runs that one before forking its workers, which inherit them)."""

    def __init__(self, config: NerConfig, ontology_dir: Path | None, seed: int):
        self.config = config
        self.ontology_dir = ontology_dir
        self.salt = sample_salt(seed)
        self._rules = None

    def __getstate__(self):
        return {**self.__dict__, "_rules": None}

    def rules(self):
        if self._rules is None:
            self._rules = self.config.rules_for(self.ontology_dir)
        return self._rules

    def __call__(self, batch: pa.RecordBatch) -> dict:
        rules = self.rules()
        counts = [Counter() for _ in range(batch.num_rows)]
        labelled = [label_row(row, self.config.include_titles, row_counts, rules, self.salt)
                    for row, row_counts in zip(batch_rows(batch, NerLabel.reads), counts, strict=True)]
        return {"ner_sentences": sentence_array(labelled),
                "ner_entities": entity_array([[span for s in sentences for span in s.entities] for sentences in labelled]),
                "_events": [[SPAN_EVENT + name for name, n in c.items() for _ in range(n)] for c in counts]}


def sentence_array(rows: list[list[Sentence]]) -> pa.ListArray:
    """The list<NER_SENTENCE> Arrow array of `label_row`'s sentences per row (the entities as a count)."""
    flat = [sentence for sentences in rows for sentence in sentences]
    index, start, end, length, priority, entities = zip(*flat) if flat else ((),) * 6
    values = pa.StructArray.from_arrays(
        [pa.array(index, pa.int32()), pa.array(start, pa.int32()), pa.array(end, pa.int32()),
         pa.array(length, pa.int32()), pa.array(priority, pa.uint64()), pa.array(list(map(len, entities)), pa.int32())],
        fields=list(NER_SENTENCE))
    return list_array(np.fromiter(map(len, rows), np.int64, count=len(rows)), values)


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
    reads = ["id", "text", "title", "sentences", "terms", "title_terms", "words", "title_words"]
    writes = ["ner_sentences", "ner_entities", "_events"]
    arrow = True

    def settings(self) -> list:
        """Only the settings the labels depend on (the seed: the sentences' sampling hashes): a new split or
        sample size does not label again."""
        c = self.settings_section
        return [c.stop_entities, c.min_depth, c.compound_heads, c.include_titles, self.recipe.seed]

    def files(self) -> list[Path]:
        from corpusctl.stages.ontology import term_files

        return term_files(self.recipe)

    def function(self):
        recipe = self.recipe
        return Labeller(self.settings_section, recipe.ontology.dir if recipe.ontology.enabled else None, recipe.seed)
