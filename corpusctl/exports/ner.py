"""NER export: BMEO (and BIO/BIOES/BMES) files, JSONL, spaCy DocBin, leak-free splits (issue #7).

Examples are sentences. Distant supervision: ontology term spans whose concept has a category become
entities of that type, unless `corpusctl.exports.distant` rules them out (generic words, top-level
concepts, modifiers of a longer noun, words inside organisation names, verb uses of components). Human annotations (Label Studio, doccano, CLUENER, CoNLL) override distant
labels on the same sentence text. Memory stays bounded while rows stream: at most `max_sentences`
distant sentences are kept, chosen by the smallest hash of (seed, sentence key) -- a deterministic
bottom-k sample that does not depend on the order or batching of the rows. In a build, the `ner-label` stage
gives every sentence its bounds, length, hash and entities on the workers (`label_row`), so the export picks
the sentences that may enter the sample with numpy and cuts only those (issue 21).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pyarrow as pa
from pydantic import Field

from corpusctl.config import RecipePath, StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.io.columns import int_values, list_items, list_offsets
from corpusctl.io.workdir import read_batches
from corpusctl.stages import gc_paused
from corpusctl.stages.base import Output, register
from corpusctl.stages.pii import PLACEHOLDER

from .distant import COMPOUND_HEADS, DEFAULT_STOP, DistantRules, as_term, refine_terms
from .docbin import write_docbin  # noqa: F401  (re-exported for callers and tests)
from .schemes import WHITESPACE, Span, char_conll, clean_sentence, tag_set
from .splits import SplitShares, leak_free_split, normalize_all

Scheme = Literal["BMEO", "BIO", "BIOES", "BMES"]
SPLITS = ("train", "dev", "test")
SPAN_EVENT = "ner."
"""Prefix of the `ner-label` stage's events: its counts of dropped and extended spans (`ner.dropped_generic`)."""


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
    stop_entities: list[str] = Field(default_factory=lambda: list(DEFAULT_STOP))
    """Generic words never labelled as entities on their own (作业, 设备, 人员, 运行, 故障 …)."""
    min_depth: int = Field(1, ge=0)
    """Concepts less deep than this in their is-a tree are not entities (1: the roots 设备, 人员 … are not)."""
    compound_heads: list[str] = Field(default_factory=lambda: list(COMPOUND_HEADS))
    """Generic heads that form one entity with the word before them (接班 + 人员 → 接班人员)."""

    def rules(self, ontology=None) -> DistantRules:
        """The distant-labelling rules (the depth rule needs the ontology)."""
        return DistantRules.from_ontology(ontology, self.stop_entities, self.min_depth, self.compound_heads)

    def rules_for(self, ontology_dir: Path | None) -> DistantRules:
        """`rules` with the ontology of a folder (None: without one)."""
        from corpusctl.ontology import load_ontology

        return self.rules(load_ontology(ontology_dir) if ontology_dir is not None else None)


class NerExample(NamedTuple):
    sort_key: tuple
    """Order among the examples of its source: (row id, sentence) for distant ones, (file, record) for human ones."""
    key: str
    text: str
    entities: Sequence[Span]
    source: str  # "distant" | "human"


# -- sentences from rows ---------------------------------------------------------------------------------


def drop_placeholder_spans(text: str, spans: list[Span], counts: Counter) -> list[Span]:
    """A placeholder such as [MOBILE] is never part of an entity of another type."""
    if not spans or "[" not in text:
        return spans
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


def _span_order(span: Span) -> tuple[int, int]:
    return span[0], span[0] - span[1]  # by start, the longer span first


def _in_span_order(spans: list[Span]) -> list[Span]:
    """`sorted(spans, key=_span_order)`, ties in input order, by two stable sorts on C-level keys."""
    return sorted(sorted(spans, key=itemgetter(1), reverse=True), key=itemgetter(0)) if len(spans) > 1 else list(spans)


def _drop_overlaps(spans: list[Span], counts: Counter) -> list[Span]:
    """Keep each span that does not overlap an earlier one; `spans` come in `_span_order`."""
    if len(spans) < 2:
        return spans
    kept = [spans[0]]
    for span in spans[1:]:
        if span[0] < kept[-1][1]:
            counts["dropped_overlap"] += 1
        else:
            kept.append(span)
    return kept


@lru_cache(maxsize=4096)
def _entity_type(category: object) -> str:
    return "_".join(str(category or "").split())


def _words(words: list[dict] | None) -> list[tuple[int, int, str]] | None:
    """A row's `words` column as (start, end, UPOS name) (rows from `iter_rows` carry them so already)."""
    if not words:
        return None
    if isinstance(words[0], tuple):
        return words
    from corpusctl.segmenter.pos import UPOS

    return [(int(w["start"]), int(w["end"]), UPOS[int(w["pos"])]) for w in words]


def row_sentences(row: dict, include_titles: bool, counts: Counter,
                  rules: DistantRules | None = None) -> list[tuple[str, str, list[Span]]]:
    """(key, text, entities) for the title and every sentence of a pre-training row. Only spans fully
    inside a sentence that `distant.refine` keeps are entities; offsets become sentence-relative."""
    out = []
    row_id = str(row["id"])
    title = row.get("title") or ""
    if include_titles and title.strip():
        entities = row_entities(row, "title", rules, counts)
        [(title, entities)] = _sentences(title, [(0, len(title))], entities, counts)
        out.append((f"{row_id}/t", title, entities))
    text = row.get("text") or ""
    pieces = _sentences(text, _text_bounds(row), row_entities(row, "text", rules, counts), counts)
    out += [(f"{row_id}/s{index:05d}", sentence, entities) for index, (sentence, entities) in enumerate(pieces)]
    return out


def _text_bounds(row: dict) -> list[tuple[int, int]]:
    """(start, end) of the row's sentences in `text`; the whole text when it has none."""
    sentences = row.get("sentences") or []
    return (sentences if sentences and isinstance(sentences[0], tuple)
            else [(int(s["start"]), int(s["end"])) for s in sentences]) or [(0, len(row.get("text") or ""))]


class Sentence(NamedTuple):
    """What the export needs of a sentence before it cuts it: where it is, the length left after cleaning,
    its sampling hash and its entities (offsets in the cleaned sentence)."""
    index: int
    """-1: the title; else the sentence's position in the text."""
    start: int
    end: int
    length: int
    priority: int
    entities: list[Span]


def sample_salt(seed: int) -> bytes:
    return f"{seed}\x1fner\x1f".encode()


def priority(salt: bytes, key: str) -> int:
    """The sampling hash of a sentence key: `stable_hash(seed, "ner", key)` spelled out (it runs per sentence)."""
    return int.from_bytes(hashlib.blake2b(salt + key.encode(), digest_size=8).digest(), "little")


def label_row(row: dict, include_titles: bool, counts: Counter, rules: DistantRules | None, salt: bytes) -> list[Sentence]:
    """`row_sentences` as the `ner-label` stage stores it: a `Sentence` each, the texts left in the row."""
    title = row.get("title") or ""
    bounds = [(-1, 0, len(title))] if include_titles and title.strip() else []
    bounds += [(index, start, end) for index, (start, end) in enumerate(_text_bounds(row))]
    pieces = row_sentences(row, include_titles, counts, rules)
    return [Sentence(index, start, end, len(text), priority(salt, key), entities)
            for (index, start, end), (key, text, entities) in zip(bounds, pieces, strict=True)]


_TERMS_AND_WORDS = {"text": ("terms", "words"), "title": ("title_terms", "title_words")}
"""For a row's text and title: its term spans and words."""


def row_entities(row: dict, field: str, rules: DistantRules | None, counts: Counter) -> list[Span]:
    """The entity spans of a row's `text` or `title`, from its term spans and words."""
    terms, words = _TERMS_AND_WORDS[field]
    return _entities(row.get(field) or "", row.get(terms) or [], row.get(words),
                     rules if rules is not None else DistantRules(), counts)


def _entities(text: str, terms: list[dict], words: list[dict] | None, rules: DistantRules,
              counts: Counter) -> list[Span]:
    """The entity spans of a title or text: term spans with a category that the distant rules keep."""
    if terms and isinstance(terms[0], tuple):  # `Term`s from `iter_rows`, with the ontology's category
        entities = [(start, end, kind, concept, sense, compound) for start, end, category, concept, sense, compound
                    in terms if (kind := _entity_type(category))]
    else:
        entities = [as_term(t, kind) for t in terms if (kind := _entity_type(t.get("category")))]
    counts["non_entity_spans"] += len(terms) - len(entities)
    if not entities:  # what refine would return, without reading the words
        return []
    return refine_terms(text, entities, _words(words), rules, counts)


def _sentences(full: str, bounds: list[tuple[int, int]], spans: list[Span], counts: Counter) -> list[tuple[str, list]]:
    """(sentence, entities) for each of `bounds` in a title or text; a span is looked up by bisection among the
    spans sorted by start, not tested against every sentence."""
    spans = [s for s in spans if 0 <= s[0] < s[1] <= len(full)]
    ordered = _in_span_order(spans)
    starts = [s[0] for s in ordered]
    out = []
    inside_any = 0
    spaced = WHITESPACE.search(full) is not None
    for s_start, s_end in bounds:
        sentence = full[s_start:s_end]
        if spaced and WHITESPACE.search(sentence):  # cleaning can make spans tie: order them after, from input order
            inside = [(a - s_start, b - s_start, k) for a, b, k in spans if s_start <= a and b <= s_end]
            sentence, entities = clean_sentence(sentence, inside)
            entities.sort(key=_span_order)
        else:  # the spans inside start in [s_start, s_end)
            candidates = ordered[bisect_left(starts, s_start) : bisect_left(starts, s_end)]
            inside = entities = [(a - s_start, b - s_start, k) for a, b, k in candidates if b <= s_end]
        inside_any += len(inside)
        if entities:
            entities = _drop_overlaps(drop_placeholder_spans(sentence, entities, counts), counts)
        out.append((sentence, entities))
    counts["dropped_crossing_sentence"] += len(spans) - inside_any
    return out


def iter_rows(path: Path, columns: list[str], counter=None) -> Iterable[dict]:
    """The rows of a checkpoint for `collect_examples` (`batch_rows` of each batch); `counter` counts rows."""
    for batch in read_batches(path, 256, columns=columns):  # (the columns it does not read stay undecoded)
        if counter is not None:
            counter.value += batch.num_rows
        yield from batch_rows(batch, columns)


def batch_rows(batch, columns: list[str]) -> Iterable[dict]:
    """The rows of an Arrow batch as dicts, read column by column (issue 21): sentence bounds, word spans and
    term spans come as tuples built from the flat Arrow buffers of the batch, not as a dict per sentence, word
    and term (a row-wise read would turn every row into nested dicts first). Columns it lacks are left out."""
    names = batch.schema.names
    plain = {c: batch.column(c).to_pylist() for c in columns if c in names and c not in _SPAN_COLUMNS}
    for name, with_pos in _SPAN_COLUMNS.items():
        if name in columns and name in names:
            plain[name] = _span_lists(batch.column(name), with_pos)
    for name in ("terms", "title_terms"):
        if name in columns and name in names:
            plain[name] = _term_lists(batch.column(name))
    keys = list(plain)
    for values in zip(*plain.values()):
        yield dict(zip(keys, values))


def _list_column(column):
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


_SPAN_COLUMNS = {"sentences": False, "words": True, "title_words": True}
"""Span columns `batch_rows` reads as tuples, and whether they carry a POS."""


def _span_lists(column, with_pos: bool = False) -> list:
    """A list<struct<start, end[, pos]>> column as one list of (start, end[, UPOS name]) tuples per row (None for
    a null row)."""
    column = _list_column(column)
    flat = column.flatten()
    parts = [flat.field("start").to_numpy(zero_copy_only=False).tolist(),
             flat.field("end").to_numpy(zero_copy_only=False).tolist()]
    if with_pos:
        from corpusctl.segmenter.pos import UPOS

        names = np.array(UPOS, dtype=object)
        parts.append(names[flat.field("pos").to_numpy(zero_copy_only=False).astype(np.int64)].tolist())
    spans = list(zip(*parts))
    offsets = (column.offsets.to_numpy() - column.offsets[0].as_py()).tolist()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    return [spans[offsets[i]:offsets[i + 1]] if valid[i] else None for i in range(len(column))]


def _term_lists(column) -> list:
    """A list<struct<start, end, concept_id, category, sense>> column as one list of `Term` tuples per row, the
    category as written (None for a null row); a column of another shape as dicts."""
    column = _list_column(column)
    fields = ("start", "end", "category", "concept_id", "sense")
    if {f.name for f in column.type.value_type} != set(fields):
        return column.to_pylist()
    flat = column.flatten()
    start, end, category, concept, sense = (flat.field(name) for name in fields)
    terms = list(zip(start.to_numpy(zero_copy_only=False).tolist(), end.to_numpy(zero_copy_only=False).tolist(),
                     category.to_pylist(), [c or "" for c in concept.to_pylist()], [s or "" for s in sense.to_pylist()],
                     repeat(False)))
    offsets = (column.offsets.to_numpy() - column.offsets[0].as_py()).tolist()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    return [terms[offsets[i]:offsets[i + 1]] if valid[i] else None for i in range(len(column))]


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
            human[text] = NerExample((file_index, number), f"human:{annotation.origin}", text, entities, "human")
    return human


# -- the export ------------------------------------------------------------------------------------------


class _BottomK:
    """The k items with the smallest (priority, key) among those added. Items go to a list, cut back to the k
    smallest by one sort whenever it holds half as many again; the largest priority kept by the last cut is
    the bar above which an item cannot enter. (Replacements in a heap of k = 180,000 examples were ~3 CPU-s of
    the 100 MB bench corpus's export in a py-spy profile, mostly cache misses; issue 21.)"""

    def __init__(self, k: int):
        self.k = k
        self.items: list[tuple[int, str, int, NerExample]] = []
        self.bar: int | None = None
        """The largest priority kept by the last cut, or the final one `sample_bars` read ahead; None: neither
        (fewer than k items so far)."""
        self.seen = 0

    def add(self, priority: int, example: NerExample) -> None:
        self.seen += 1
        self.items.append((-priority, example.key, self.seen, example))
        if len(self.items) >= self.k + self.k // 2 + 1:
            self._cut()

    def _cut(self) -> None:
        if len(self.items) >= self.k:
            self.items.sort(key=itemgetter(0, 1), reverse=True)  # what a max-heap of k on (priority, key) keeps
            del self.items[self.k:]
            self.bar = -self.items[-1][0]

    def beyond(self, priority: int) -> bool:
        """Whether an item of this priority cannot enter (the sample is full of smaller ones); it is then only
        counted, and the caller builds no example for it."""
        if self.bar is None or priority <= self.bar:
            return False
        self.seen += 1
        return True

    def smallest(self, n: int) -> list[NerExample]:
        """The n examples of smallest (priority, key), in the order they were added (rows usually come in
        id order, which makes sorting the sample by row id nearly free)."""
        self._cut()
        items = self.items if n >= len(self.items) else sorted(self.items, key=lambda x: (-x[0], x[1]))[:n]
        return [e for *_, e in sorted(items, key=itemgetter(2))]


class _Sentences:
    """The sentences of a batch of rows, flat: `label_row`'s fields as arrays (`row`: which row), the rows'
    strings and the entities fetched only for the sentences asked for (`examples`)."""

    def __init__(self, rows: int, fields: dict[str, np.ndarray], strings: Callable, entities: Callable):
        self.rows = rows
        self.row, self.index, self.start, self.end, self.length, self.priority, self.spans = (
            fields[name] for name in ("row", "index", "start", "end", "length", "priority", "spans"))
        self._strings, self._entities = strings, entities

    @classmethod
    def of_rows(cls, rows: list[dict], labelled: list[list[Sentence]]) -> _Sentences:
        flat = [sentence for sentences in labelled for sentence in sentences]
        columns = list(zip(*flat)) or [()] * len(Sentence._fields)
        fields = {name: np.array(values, np.uint64 if name == "priority" else np.int64)
                  for name, values in zip(Sentence._fields, columns) if name != "entities"}
        fields["row"] = np.repeat(np.arange(len(rows)), [len(sentences) for sentences in labelled])
        fields["spans"] = np.fromiter(map(len, columns[-1]), np.int64, count=len(flat))

        def strings(wanted: np.ndarray) -> list[tuple[str, str, str]]:
            return [(str(rows[r]["id"]), rows[r].get("title") or "", rows[r].get("text") or "") for r in wanted.tolist()]

        return cls(len(rows), fields, strings, lambda chosen: [list(flat[i].entities) for i in chosen.tolist()])

    @classmethod
    def of_batch(cls, batch) -> _Sentences:
        """From a `ner-label` checkpoint's batch (columns id, title, text, ner_sentences, ner_entities)."""
        lists = _list_column(batch.column("ner_sentences"))
        fields = _sentence_fields(lists, ("index", "start", "end", "length", "priority"))
        fields["row"] = np.repeat(np.arange(len(lists)), np.diff(int_values(lists.offsets)))
        first = list_offsets(fields["spans"])
        entities = _list_column(batch.column("ner_entities")).flatten()
        starts, ends, types = int_values(entities.field("start")), int_values(entities.field("end")), entities.field("type")

        def strings(wanted: np.ndarray) -> list[tuple[str, str, str]]:
            taken = pa.array(wanted)
            columns = (batch.column(name).take(taken).to_pylist() for name in ("id", "title", "text"))
            return [(row_id, title or "", text or "") for row_id, title, text in zip(*columns)]

        def chosen_entities(chosen: np.ndarray) -> list[list[Span]]:
            items = list_items(first, chosen)
            spans = list(zip(starts[items].tolist(), ends[items].tolist(), types.take(pa.array(items)).to_pylist()))
            cuts = list_offsets(fields["spans"][chosen]).tolist()
            return [spans[lo:hi] for lo, hi in zip(cuts, cuts[1:])]

        return cls(len(lists), fields, strings, chosen_entities)

    def examples(self, chosen: np.ndarray) -> list[tuple[int, NerExample]]:
        """(priority, distant example) of each chosen sentence: cut from its row, whitespace dropped when the
        label stage found some (its length is then shorter than its bounds)."""
        rows, where = np.unique(self.row[chosen], return_inverse=True)
        strings = self._strings(rows)
        out = []
        fields = (where.tolist(), self.index[chosen].tolist(), self.start[chosen].tolist(), self.end[chosen].tolist(),
                  self.length[chosen].tolist(), self.priority[chosen].tolist(), self._entities(chosen))
        for row, index, start, end, length, rank, entities in zip(*fields):
            row_id, title, text = strings[row]
            piece = (title if index < 0 else text)[start:end]
            if len(piece) != length:
                piece = WHITESPACE.sub("", piece)
            part = "t" if index < 0 else f"s{index:05d}"
            out.append((rank, NerExample((row_id, "" if index < 0 else part), f"{row_id}/{part}", piece, entities, "distant")))
        return out


def _sentence_fields(column, names: Iterable[str] = ("length", "priority")) -> dict[str, np.ndarray]:
    """Fields of a `ner_sentences` column's sentences as flat arrays; `spans` is each one's entity count."""
    sentences = _list_column(column).flatten()
    return {**{name: int_values(sentences.field(name)) for name in names}, "spans": int_values(sentences.field("entities"))}


def _sentence_batches(rows: Iterable, config: NerConfig, salt: bytes, counts: Counter,
                      ontology_dir: Path | None, size: int = 256) -> Iterable[_Sentences]:
    """The rows' sentences a batch at a time: a checkpoint's labelled Arrow batches as they are; dict rows
    (e.g. read from pretrain/) labelled here with the config's rules, built once the first such row comes."""
    rules: DistantRules | None = None
    pending: list[dict] = []

    def labelled() -> _Sentences:
        nonlocal rules
        rules = rules or config.rules_for(ontology_dir)
        chunk = pending.copy()
        pending.clear()
        return _Sentences.of_rows(chunk, [label_row(row, config.include_titles, counts, rules, salt) for row in chunk])

    for item in rows:
        if isinstance(item, dict):
            pending.append(item)
            if len(pending) >= size:
                yield labelled()
        else:
            if pending:
                yield labelled()
            yield _Sentences.of_batch(item)
    if pending:
        yield labelled()


def sample_sizes(config: NerConfig) -> tuple[int, int]:
    """How many sentences with entities and without the distant samples keep at most."""
    return max(1, int(config.max_sentences * (1 - config.empty_share))), int(config.max_sentences * config.empty_share) + 1


def sample_bars(batches: Iterable, config: NerConfig) -> tuple[int | None, int | None]:
    """The largest hash that each sample (with entities, without) will keep, from the `ner_sentences` column of
    a `ner-label` checkpoint's batches alone (None: it keeps every sentence): read before the rows, they let
    `collect_examples` cut only the sentences it keeps (issue 21: with bars that fall as the samples fill,
    it built 520,000 examples to keep 200,000 of the 100 MB bench corpus, counted in a cProfile run, ad hoc). Memory stays bounded: each
    sample's hashes are cut back to its size whenever they hold twice as many."""
    sizes = sample_sizes(config)
    kept: list[list[np.ndarray]] = [[], []]
    held = [0, 0]
    for batch in batches:
        fields = _sentence_fields(batch.column("ner_sentences"))
        length, priority = fields["length"], fields["priority"]
        valid = (length >= config.min_chars) & (length <= config.max_chars)
        labelled = fields["spans"] > 0
        for sample, members in enumerate((valid & labelled, valid & ~labelled)):
            kept[sample].append(priority[members])
            held[sample] += int(members.sum())
            if held[sample] >= 2 * sizes[sample]:
                kept[sample] = [np.partition(np.concatenate(kept[sample]), sizes[sample] - 1)[: sizes[sample]]]
                held[sample] = sizes[sample]
    bars: list[int | None] = []
    for sample, size in enumerate(sizes):
        hashes = np.concatenate(kept[sample]) if kept[sample] else np.zeros(0, np.uint64)
        bars.append(int(np.partition(hashes, size - 1)[size - 1]) if len(hashes) >= size else None)
    return bars[0], bars[1]


def collect_examples(rows: Iterable, config: NerConfig, seed: int, human: dict[str, NerExample], stats: dict,
                     ontology_dir: Path | None = None, bars: tuple[int | None, int | None] = (None, None)) -> list[NerExample]:
    """Distant examples (sampled) plus all human examples, in a deterministic order. `rows`: Arrow batches of
    a `ner-label` checkpoint, or row dicts, labelled here with the config's rules (and the ontology of
    `ontology_dir`). A sentence is cut from its row only when its hash may still enter its sample: below the
    samples' `bars` when given (`sample_bars`; not with human annotations, which take sentences out of the
    samples), else below the bars that the samples reach as they fill."""
    counts: Counter = stats["distant"]
    positives, negatives = (_BottomK(size) for size in sample_sizes(config))
    if not human:
        positives.bar, negatives.bar = bars
    overridden: set[str] = set()
    for part in _sentence_batches(rows, config, sample_salt(seed), stats["spans"], ontology_dir):
        counts["rows"] += part.rows
        counts["sentences"] += len(part.length)
        short = part.length < config.min_chars
        long = ~short & (part.length > config.max_chars)
        counts["too_short"] += int(short.sum())
        counts["too_long"] += int(long.sum())
        chosen = ~short & ~long
        with_entities = part.spans > 0
        if not human:  # a sentence whose hash is above its full sample's bar cannot enter: counted, not cut
            for sample, members in ((positives, with_entities), (negatives, ~with_entities)):
                if sample.bar is not None:
                    beyond = chosen & members & (part.priority > np.uint64(sample.bar))
                    sample.seen += int(beyond.sum())
                    chosen &= ~beyond
        for rank, example in part.examples(np.flatnonzero(chosen)):
            if human and example.text in human:
                counts["overridden_by_human"] += 1
                overridden.add(example.text)
                continue
            sample = positives if example.entities else negatives
            if not sample.beyond(rank):
                sample.add(rank, example)
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
    return sorted(kept + kept_empty, key=lambda e: e.sort_key) + sorted(humans, key=lambda e: e.sort_key)


def _signature(entities: list[Span]) -> str:
    return "+".join(sorted({kind for _, _, kind in entities})) or "-"


def _write_split(folder: Path, name: str, examples: list[NerExample], scheme: str) -> None:
    def conll(part: list[NerExample]) -> str:
        return "".join([char_conll(e.text, e.entities, scheme) for e in part])

    _write_chunks(folder / f"{name}.txt", examples, conll)
    _write_chunks(folder / f"{name}.jsonl", examples, _jsonl)
    write_docbin(folder / f"{name}.spacy", [e.text for e in examples], [e.entities for e in examples])


def _write_chunks(path: Path, examples: list[NerExample], render: Callable[[list], str], size: int = 10_000) -> None:
    """Write `render` of consecutive chunks of examples: a few big writes, and memory bounded by the chunk."""
    with path.open("w", encoding="utf-8") as handle:
        for start in range(0, len(examples), size):
            handle.write(render(examples[start : start + size]))


def _jsonl(examples: list[NerExample]) -> str:
    """A `json.dumps(record, ensure_ascii=False)` line per example, spelled out (twice as fast): the record is
    {"text": ..., "entities": [[start, end, type], ...], "id": ..., "source": ...}."""
    quote = json.encoder.encode_basestring  # what json.dumps quotes strings with when ensure_ascii=False
    lines = []
    for e in examples:
        spans = ", ".join([f"[{start}, {end}, {quote(kind)}]" for start, end, kind in e.entities])
        text, key, source = quote(e.text), quote(e.key), quote(e.source)
        lines.append(f'{{"text": {text}, "entities": [{spans}], "id": {key}, "source": {source}}}\n')
    return "".join(lines)


def replace_dir(temp: Path, target: Path) -> None:
    """Make `temp` appear as `target` by rename, so readers never see a half-written folder."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    temp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@gc_paused()  # it keeps ~1M small objects without cycles alive: full collections would walk them all
def export_ner(
    rows: Iterable[dict], out_dir: Path, config: NerConfig, seed: int, strict: bool = False, rejects: list | None = None,
    ontology_dir: Path | None = None, span_counts: Mapping[str, int] | None = None,
    bars: tuple[int | None, int | None] = (None, None),
) -> dict:
    """Write `out_dir` (usually OUT/ner): {train,dev,test}.{txt,jsonl,spacy} and labels.json.
    Rows are pre-training examples (`id`, `text`, `terms`, `sentences`, `title`, `title_terms`, and `words`),
    or the `ner-label` stage's batches, whose counts of dropped and extended spans are `span_counts` and whose
    sample bars are `bars` (see `collect_examples`).
    Rejected annotation records are appended to `rejects` (rejects/*.jsonl lines). Returns manifest stats."""
    out_dir = Path(out_dir)
    stats: dict = {
        "distant": Counter(dict.fromkeys(["rows", "sentences", "too_short", "too_long", "overridden_by_human"], 0)),
        "spans": Counter(dict.fromkeys(["non_entity_spans", "dropped_crossing_sentence", "dropped_placeholder", "dropped_overlap"], 0)),
        "human": Counter(dict.fromkeys(["files", "records", "rejects", "skipped", "replaced_by_later_record", "dropped_placeholder"], 0)),
        "rejects": Counter(),
    }
    stats["spans"].update(span_counts or {})
    human = load_human(config, strict, rejects, stats["human"], stats["rejects"])
    examples = collect_examples(rows, config, seed, human, stats, ontology_dir=ontology_dir, bars=bars)
    if not examples and stats["distant"]["without_entities"]:
        raise CorpusctlError(
            f"NER export: none of the {stats['distant']['sentences']} sentences has an entity to label (the ontology "
            "is switched off, or none of its terms has a category), and entity-free sentences are only kept beside "
            "labelled ones; give the ontology's concepts categories, or set `ner: {enabled: false}` in the recipe")
    if not examples:
        raise CorpusctlError("NER export: no sentences to export (no rows, or every sentence was filtered out)")
    distinct = list(dict.fromkeys(e.text for e in examples))
    forms = dict(zip(distinct, normalize_all(distinct), strict=True))  # for the split and the leak count, once
    assignment, dedup = leak_free_split(
        [e.key for e in examples],
        [e.text for e in examples],
        [_signature(e.entities) for e in examples],
        config.split,
        seed,
        threshold=config.near_duplicate_threshold,
        ngram=config.ngram,
        forms=forms,
    )
    by_split = {name: [e for e, a in zip(examples, assignment, strict=True) if a == i] for i, name in enumerate(SPLITS)}
    kinds = {name: Counter(kind for e in items for _, _, kind in e.entities) for name, items in by_split.items()}
    types = sorted(set().union(*kinds.values()))
    labels = {
        "scheme": config.scheme,
        "entity_types": types,
        "tags": tag_set(types, config.scheme),
        "sentences": {name: len(items) for name, items in by_split.items()},
        "entities": {name: dict(sorted(counts.items())) for name, counts in kinds.items()},
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    for name, items in by_split.items():
        _write_split(temp, name, items, config.scheme)
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
        "leaks": count_leaks(by_split, forms),
        "top_entities": top_entities(examples),
    }


def top_entities(examples: Iterable[NerExample], top: int = 20) -> dict[str, dict[str, int]]:
    """The `top` most frequent entity strings per type among the distant examples (generic labels show here)."""
    counts: dict[str, Counter] = {}
    for example in examples:
        if example.source != "distant":
            continue
        for start, end, kind in example.entities:
            found = counts.get(kind)
            if found is None:
                found = counts[kind] = Counter()
            found[example.text[start:end]] += 1
    return {kind: dict(c.most_common(top)) for kind, c in sorted(counts.items())}


def count_leaks(by_split: dict[str, list[NerExample]], forms: Mapping[str, str] | None = None) -> int:
    """Test or dev sentences whose normalised text also occurs in train (0 by construction; reported as a check).
    Each distinct text is normalised once (templated sentences repeat); `forms`: the `normalize` of each text,
    when known already."""
    if forms is None:
        distinct = list(dict.fromkeys(e.text for items in by_split.values() for e in items))
        forms = dict(zip(distinct, normalize_all(distinct), strict=True))
    train = {forms[e.text] for e in by_split["train"]}
    return sum(forms[e.text] in train for name in ("dev", "test") for e in by_split[name])


LABEL_COLUMNS = ["id", "title", "text", "ner_sentences", "ner_entities"]
"""What the export reads of the `ner-label` checkpoint."""


def _counted(batches: Iterable, counter=None) -> Iterable:
    for batch in batches:
        if counter is not None:
            counter.value += batch.num_rows
        yield batch


@register
class NerExport(Output):
    """ner/: BMEO files from the `ner-label` stage's entity spans, written in the background."""

    name = "ner-export"
    section = "ner"
    input = "ner-label"
    background = True
    label = "NER export"
    manifest_key = "ner"

    def settings(self) -> list:
        return [*super().settings(), self.recipe.seed]

    def files(self) -> list[Path]:
        from corpusctl.stages.ontology import term_files

        return term_files(self.recipe)

    def rows(self, ctx, source) -> int | None:
        return ctx.stats.get(source.name, {}).get("docs_out")

    def write(self, ctx, source, out: Path, counter=None) -> dict:
        recipe = self.recipe
        rejects: list[dict] = []
        labelled = ctx.stats.get(source.name, {}).get("events", {})  # what the labelling dropped and extended
        bars = sample_bars(read_batches(source.data, 8192, columns=["ner_sentences"]), recipe.ner)
        stats = export_ner(_counted(read_batches(source.data, 2048, columns=LABEL_COLUMNS), counter), out / "ner",
                           recipe.ner, recipe.seed, bars=bars,
                           strict=ctx.strict, rejects=rejects,
                           ontology_dir=recipe.ontology.dir if recipe.ontology.enabled else None,
                           span_counts={k.removeprefix(SPAN_EVENT): n for k, n in labelled.items()
                                        if k.startswith(SPAN_EVENT)})
        if rejects:
            (out / "rejects").mkdir(parents=True, exist_ok=True)
            with open(out / "rejects" / "ner.jsonl", "w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects)
        return stats
