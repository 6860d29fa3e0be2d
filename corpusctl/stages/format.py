"""Formats: title+content pairs and continuous paragraphs, windowed to `max_seq_len` (issue #5).

HRG-BERT trains on 50% "title + content" pairs (title as segment A, content as segment B) and 50%
continuous paragraphs. Which titled documents become pairs is a global decision (`assign_formats`, over
per-document sizes only); cutting documents into examples is a per-row batch function (`FormatStage`).
Cuts fall at sentence ends, else at a clause mark (，、；), else anywhere outside a term; never inside a
term span, so the segmenter and the term masker see every term whole.

Use from the pipeline (after the mix plan):
    sizes = documents.map(format_sizes, config)                 # per document: three small ints
    # expand to one row per emitted copy (mix.copy_rows), ids `{id}~r{n}` for repeats, then:
    as_pair = assign_formats(has_title, paragraph_chars, copy_ids, share, seed, pair_chars=pair_chars)
    examples = documents(+ `_as_pair`, `_copy` columns).map(FormatStage(config, seed), batched=True)
    title_rows = examples.map(title_reconstruction_rows, batched=True)
    manifest["formats"] = format_stats(examples["format"], example_chars(examples), target=share)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from corpusctl.config import StageSection
from corpusctl.io.columns import (
    COLUMN_TYPES,
    SENTENCE,
    SPAN,
    list_array,
    list_items,
    list_offsets,
    to_record_batch,
)
from corpusctl.stages.base import Stage, register
from corpusctl.text.chars import codepoints, is_space
from corpusctl.text.sentences import sentence_bounds, split_sentences

TITLE_CONTENT = "title_content"
PARAGRAPH = "paragraph"
EXAMPLE_COLUMNS = (
    "id", "doc_ids", "source", "domain", "kind", "format", "title", "text", "priority", "label",
    "terms", "title_terms", "sentences", "report_chars",
)
FORMAT_READS = ["id", "source", "domain", "kind", "title", "text", "priority", "label", "terms", "title_terms",
                "_as_pair", "_copy"]
"""The columns `FormatStage` reads (`format_sizes` needs only title, text, terms and title_terms)."""


class FormatConfig(StageSection):
    title_content_share: float = Field(0.5, ge=0, le=1)
    """Share of characters that become title+content pairs; the rest are paragraphs."""
    max_seq_len: int = Field(512, ge=16)
    """Tokens per example including [CLS]/[SEP]; one CJK character is one token, so it bounds characters."""
    paragraph_title: Literal["prepend", "drop"] = "prepend"
    """What a titled document used as a paragraph does with its title: its first line, or dropped."""


_CLAUSE = frozenset("，、；,;：:")


# -- windows ------------------------------------------------------------------------------------------------


class _Inside:
    """inside[p] is true when a cut at position p would split a term (start < p < end): found by a binary
    search for the terms that start before p and the furthest any of them reaches."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray):
        order = np.argsort(starts, kind="stable")
        self.starts = starts[order].tolist()
        self.reach = np.maximum.accumulate(ends[order]).tolist() if len(order) else []

    def __getitem__(self, p: int) -> bool:
        before = bisect_left(self.starts, p)
        return before > 0 and self.reach[before - 1] > p


def window_spans(
    text: str, terms: list[dict], width: int, sentences: list[tuple[int, int]] | None = None
) -> list[tuple[int, int, str]]:
    """Cut `text` into windows of at most `width` characters: (start, end, how) with how = "sentence",
    "clause", "char" (a cut between characters outside any term) or "term" (a term longer than the window
    had to be cut; it is dropped from both sides). Whitespace at window edges is left out."""
    if width < 1:
        raise ValueError("window width must be positive")
    sentences = split_sentences(text) if sentences is None else sentences
    if not sentences:
        return []
    starts = np.array([int(t["start"]) for t in terms], dtype=np.int64)
    ends = np.array([int(t["end"]) for t in terms], dtype=np.int64)
    return _windows(text, starts, ends, width, sentences[0][0], [end for _, end in sentences])


def _windows(text: str, starts: np.ndarray, ends: np.ndarray, width: int, pos: int,
             sentence_ends: list[int]) -> list[tuple[int, int, str]]:
    """`window_spans` over term starts/ends, from `pos` to the last sentence end."""
    inside = _Inside(starts, ends)
    last = sentence_ends[-1]
    windows: list[tuple[int, int, str]] = []
    while pos < last:
        while pos < last and text[pos].isspace() and not inside[pos + 1]:
            pos += 1
        if pos >= last:
            break
        limit = pos + width
        if last <= limit:
            end, how = last, "sentence"
        else:
            end, how = _best_cut(text, inside, sentence_ends, pos, limit)
        start = pos
        pos = end
        while end > start and text[end - 1].isspace() and not inside[end - 1]:
            end -= 1
        windows.append((start, end, how))
    return windows


def _best_cut(text: str, inside: _Inside, ends: list[int], pos: int, limit: int) -> tuple[int, str]:
    """The cut in (pos, limit]: the last sentence end, else the last clause mark, else the last position
    outside a term, else `limit` itself (splitting a term longer than the window)."""
    index = bisect_right(ends, limit) - 1
    while index >= 0 and ends[index] > pos:
        if not inside[ends[index]]:
            return ends[index], "sentence"
        index -= 1
    for p in range(limit, pos, -1):
        if text[p - 1] in _CLAUSE and not inside[p]:
            return p, "clause"
    for p in range(limit, pos, -1):
        if not inside[p]:
            return p, "char"
    return limit, "term"


# -- global format assignment -------------------------------------------------------------------------------


def assign_formats(
    has_title: list[bool],
    chars: list[int],
    ids: list[str],
    share: float,
    seed: int,
    pair_chars: list[int] | None = None,
) -> list[bool]:
    """Which rows become title+content pairs so that about `share` of all example characters are pairs.

    A global step over per-row flags and sizes only (one row per emitted copy; pass copy-suffixed ids so
    repeats decide independently). `chars` is a row's size as a paragraph, `pair_chars` as a pair (from
    `format_sizes`; a pair repeats its title in every window; default: the same as `chars`). Untitled rows
    are paragraphs; titled rows are taken in a seeded order and greedily by size until the pair budget is
    filled. If titled text is scarcer than the budget, every titled row is a pair and `format_stats`
    reports the shortfall.
    """
    from corpusctl.stages import mix_select

    pair_chars = chars if pair_chars is None else pair_chars
    if not (len(has_title) == len(chars) == len(ids) == len(pair_chars)):
        raise ValueError("assign_formats: has_title, chars, pair_chars and ids must have the same length")
    # sum(pair over P) = share * (total + sum(pair - para over P))  <=>  sum(w over P) = share * total
    # with w = (1 - share) * pair + share * para: a plain budget fill over the weights w (`mix_select`).
    rows = pa.table({"id": pa.array(ids, pa.string()), "has_title": pa.array(has_title, pa.bool_()),
                     "paragraph_chars": pa.array(chars, pa.int64()), "pair_chars": pa.array(pair_chars, pa.int64())})
    everything = mix_select.Decision(everything=True)
    pairs = mix_select.decide_pairs(mix_select.Local(rows), everything, seed, 1, share, mix_select.WINDOW)
    copies = mix_select.copies_of(rows, 0, np.ones(rows.num_rows, np.int64), seed, 1)
    return mix_select.as_pair(copies, pairs).tolist()


def format_stats(formats: list[str], chars: list[int], target: float | None = None) -> dict:
    """Characters, examples and share of characters per format, for manifest['formats']."""
    amounts = {TITLE_CONTENT: 0, PARAGRAPH: 0}
    examples = {TITLE_CONTENT: 0, PARAGRAPH: 0}
    for fmt, size in zip(formats, chars, strict=True):
        amounts[fmt] = amounts.get(fmt, 0) + size
        examples[fmt] = examples.get(fmt, 0) + 1
    total = sum(amounts.values())
    shares = {fmt: round(size / total, 6) if total else 0.0 for fmt, size in amounts.items()}
    stats = {"chars": amounts, "examples": examples, "shares": shares}
    if target is not None:
        stats["target"] = {TITLE_CONTENT: target, PARAGRAPH: round(1 - target, 6)}
        stats["deviation_points"] = round(100 * (shares[TITLE_CONTENT] - target), 3)
    return stats


def example_chars(batch: dict[str, list]) -> list[int]:
    """Characters of each example as the format shares count them: title (segment A) plus text."""
    return [len(title) + len(text) for title, text in zip(batch["title"], batch["text"], strict=True)]


# -- layouts -----------------------------------------------------------------------------------------------


class _Spans(NamedTuple):
    """A list<SPAN> column as flat arrays: row i's spans are items offsets[i]:offsets[i + 1] of the others."""

    offsets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    values: pa.StructArray


class _Docs(NamedTuple):
    titles: list[str]
    texts: list[str]
    terms: _Spans
    title_terms: _Spans


class _Layouts(NamedTuple):
    """The documents of a batch laid out in one format each, and cut into windows.

    Per document: whether it is a pair, the examples' title, which title terms they carry (`title_refs`
    items `title_offsets[i]:title_offsets[i + 1]`, indices into the title terms), the text that is cut, the
    terms over that text (`refs` index the batch's terms, then its title terms) and the events. Per window:
    its document, start, end and how it was cut."""

    pair: np.ndarray
    titles: list[str]
    title_offsets: np.ndarray
    title_refs: np.ndarray
    texts: list[str]
    term_offsets: np.ndarray
    term_starts: np.ndarray
    term_ends: np.ndarray
    term_refs: np.ndarray
    events: list[list[str]]
    win_doc: np.ndarray
    win_start: np.ndarray
    win_end: np.ndarray
    hows: list[str]
    sentences: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    """`sentence_bounds` of `texts` (when asked for)."""


def _record_batch(batch: pa.RecordBatch | dict[str, list]) -> pa.RecordBatch:
    """A record batch, or a dict of lists (tests, one document) typed like the pipeline's columns."""
    if isinstance(batch, pa.RecordBatch):
        return batch
    return to_record_batch({name: values for name, values in batch.items() if name in FORMAT_READS})


def _column(batch: pa.RecordBatch, name: str, default, type_: pa.DataType) -> pa.Array:
    if name in batch.schema.names:
        return batch.column(name)
    return pa.array([default] * batch.num_rows, type_)






def _spans(batch: pa.RecordBatch, name: str) -> _Spans:
    column = _column(batch, name, [], COLUMN_TYPES[name])
    values = column.flatten()
    counts = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
    starts, ends = (values.field(f).to_numpy(zero_copy_only=False).astype(np.int64) for f in ("start", "end"))
    return _Spans(list_offsets(counts), starts, ends, values)


def _docs(batch: pa.RecordBatch) -> _Docs:
    titles, texts = (_column(batch, name, "", pa.string()).fill_null("").to_pylist() for name in ("title", "text"))
    return _Docs(titles, texts, _spans(batch, "terms"), _spans(batch, "title_terms"))


def _truncate_title(title: str, starts: np.ndarray, ends: np.ndarray, limit: int) -> str:
    """Shorten an overlong title to at most `limit` characters, at a position outside its terms."""
    inside = _Inside(starts, ends)
    cut = next((p for p in range(limit, 0, -1) if not inside[p]), limit)
    return title[:cut].rstrip()


def _lay_out(docs: _Docs, as_pair: Sequence[bool], config: FormatConfig, sentences: bool = False) -> _Layouts:
    """Each document as a pair (title, and its text cut to fit beside it) or as a paragraph (the title, if
    kept, as the first line of the text), cut into windows."""
    max_len, prepend = config.max_seq_len, config.paragraph_title == "prepend"
    n = len(docs.texts)
    tt = docs.title_terms
    pair, truncated, prepended = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    titles, texts, events, widths = [], [], [], []
    for i, (title, text) in enumerate(zip(docs.titles, docs.texts, strict=True)):
        happened = []
        if not title.strip():
            title = ""
        if as_pair[i] and not (title and text.strip()):
            happened.append("format.pair_without_content" if title else "format.pair_without_title")
        elif as_pair[i]:
            pair[i] = True
            if len(title) > (max_len - 3) // 2:
                a, b = tt.offsets[i], tt.offsets[i + 1]
                title = _truncate_title(title, tt.starts[a:b], tt.ends[a:b], (max_len - 3) // 2)
                truncated[i] = True
                happened.append("format.title_truncated")
        if not pair[i]:
            if title and prepend:
                text = f"{title}\n{text}"
                prepended[i] = True
            title = ""
        titles.append(title)
        texts.append(text)
        events.append(happened)
        widths.append(max_len - 3 - len(title) if pair[i] else max_len - 2)
    title_lengths = np.fromiter(map(len, titles), np.int64, n)
    # a pair's examples carry its title terms (those inside the title, when it was shortened)
    tt_doc = np.repeat(np.arange(n), np.diff(tt.offsets))
    keep = pair[tt_doc] & (~truncated[tt_doc] | ((tt.starts >= 0) & (tt.ends <= title_lengths[tt_doc])))
    title_refs = np.flatnonzero(keep)
    title_offsets = list_offsets(np.bincount(tt_doc[title_refs], minlength=n))
    offsets, starts, ends, refs = _text_terms(docs, prepended)
    bounds = sentence_bounds(texts) if sentences else None
    windows = _cut(texts, widths, offsets, starts, ends, bounds)
    return _Layouts(pair, titles, title_offsets, title_refs, texts, offsets, starts, ends, refs, events, *windows,
                    bounds)


def _text_terms(docs: _Docs, prepended: np.ndarray) -> tuple[np.ndarray, ...]:
    """The terms over each laid-out text (offsets, starts, ends, refs): a prepended title's terms, then the
    text's own moved past the title; refs index the batch's terms, then its title terms."""
    n = len(docs.texts)
    t, tt = docs.terms, docs.title_terms
    t_counts, tt_counts = np.diff(t.offsets), np.diff(tt.offsets)
    head = np.where(prepended, tt_counts, 0)
    offsets = list_offsets(head + t_counts)
    starts, ends, refs = (np.empty(offsets[-1], dtype=np.int64) for _ in range(3))
    tt_doc = np.repeat(np.arange(n), tt_counts)
    moved = np.flatnonzero(prepended[tt_doc])
    at = offsets[tt_doc[moved]] + moved - tt.offsets[tt_doc[moved]]
    starts[at], ends[at], refs[at] = tt.starts[moved], tt.ends[moved], len(t.starts) + moved
    t_doc = np.repeat(np.arange(n), t_counts)
    items = np.arange(len(t_doc))
    at = offsets[t_doc] + head[t_doc] + items - t.offsets[t_doc]
    shift = np.where(prepended, np.fromiter(map(len, docs.titles), np.int64, n) + 1, 0)[t_doc]
    starts[at], ends[at], refs[at] = t.starts + shift, t.ends + shift, items
    return offsets, starts, ends, refs


def _cut(texts: list[str], widths: list[int], offsets: np.ndarray, starts: np.ndarray, ends: np.ndarray,
         bounds: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The windows of each text (document, start, end, how), as `window_spans` cuts them: a text that fits
    one window and has no whitespace at either end is that window, without looking at terms or sentences."""
    simple = [bool(text) and len(text) <= width and not text[0].isspace() and not text[-1].isspace()
              for text, width in zip(texts, widths, strict=True)]
    general = [i for i, text in enumerate(texts) if text and not simple[i]]
    if bounds is None:
        sub_offsets, _, sub_ends = sentence_bounds([texts[i] for i in general])
        ends_of = {i: sub_ends[sub_offsets[k]:sub_offsets[k + 1]].tolist() for k, i in enumerate(general)}
    else:
        ends_of = {i: bounds[2][bounds[0][i]:bounds[0][i + 1]].tolist() for i in general}
    win_doc, win_start, win_end, hows = [], [], [], []
    for i, text in enumerate(texts):
        if simple[i]:
            windows = [(0, len(text), "sentence")]
        elif text:
            a, b = offsets[i], offsets[i + 1]
            windows = _windows(text, starts[a:b], ends[a:b], widths[i], 0, ends_of[i])
        else:
            continue
        for start, end, how in windows:
            win_doc.append(i)
            win_start.append(start)
            win_end.append(end)
            hows.append(how)
    return (np.array(win_doc, dtype=np.int64), np.array(win_start, dtype=np.int64),
            np.array(win_end, dtype=np.int64), hows)


def format_sizes(batch: pa.RecordBatch | dict[str, list], config: FormatConfig) -> dict[str, list]:
    """Per document: whether it has a title and its example characters as a paragraph and as a pair.

    A batch function run before `assign_formats`, so the global step balances the characters the examples
    will really hold (a pair repeats its title in every window) while keeping only three ints per row.
    """
    docs = _docs(_record_batch(batch))
    n = len(docs.texts)
    paragraph = _lay_out(docs, [False] * n, config)
    pair = _lay_out(docs, [True] * n, config)
    paragraph_chars, pair_chars = _chars(paragraph), _chars(pair)
    return {"has_title": pair.pair.tolist(), "paragraph_chars": paragraph_chars.tolist(),
            "pair_chars": np.where(pair.pair, pair_chars, paragraph_chars).tolist()}


def _chars(layouts: _Layouts) -> np.ndarray:
    """Characters of each document's examples as `format_stats` counts them (the title repeats in each)."""
    titles = np.fromiter(map(len, layouts.titles), np.int64, len(layouts.titles))
    sizes = layouts.win_end - layouts.win_start + titles[layouts.win_doc]
    return np.bincount(layouts.win_doc, weights=sizes, minlength=len(titles)).astype(np.int64)


# -- examples -----------------------------------------------------------------------------------------------


class FormatStage:
    """Documents -> pre-training examples. Needs `_as_pair` (bool, from `assign_formats`) and optionally
    `_copy` (int, 0 for the original, n for the n-th repeat) on every row. Deterministic per row: no
    randomness, nothing depends on batch boundaries. Adds `_events` (window cuts, truncated titles).

    Takes a record batch (returns Arrow columns) or a dict of lists (returns lists)."""

    def __init__(self, config: FormatConfig, seed: int = 0):
        self.config = config
        self.seed = seed

    def __call__(self, batch: pa.RecordBatch | dict[str, list]) -> dict[str, list]:
        if isinstance(batch, pa.RecordBatch):
            return self._examples(batch)
        out = self._examples(_record_batch(batch))
        return {name: values.to_pylist() if isinstance(values, pa.Array) else values for name, values in out.items()}

    def examples(self, doc: dict, as_pair: bool, copy: int = 0) -> list[dict]:
        """The examples of one document (one copy of it): a list of rows with EXAMPLE_COLUMNS + _events."""
        out = self({**{name: [value] for name, value in doc.items()}, "_as_pair": [as_pair], "_copy": [copy]})
        return [dict(zip(out, row, strict=True)) for row in zip(*out.values(), strict=True)]

    def _examples(self, batch: pa.RecordBatch) -> dict:
        docs = _docs(batch)
        as_pair = _column(batch, "_as_pair", False, pa.bool_()).fill_null(False).to_numpy(zero_copy_only=False)
        copies = _column(batch, "_copy", 0, pa.int64()).fill_null(0).to_pylist()
        layouts = _lay_out(docs, as_pair, self.config, sentences=True)
        doc = layouts.win_doc
        firsts = list_offsets(np.bincount(doc, minlength=len(docs.texts)))[:-1]
        number = (np.arange(len(doc)) - firsts[doc]).tolist()
        rows, starts, ends = doc.tolist(), layouts.win_start.tolist(), layouts.win_end.tolist()
        ids = batch.column("id")
        names = ids.to_pylist()
        tags = ["t" if pair else "p" for pair in layouts.pair.tolist()]
        suffixes = [f"~r{copy}" if copy else "" for copy in copies]
        formats = [TITLE_CONTENT if pair else PARAGRAPH for pair in layouts.pair.tolist()]
        priority = _column(batch, "priority", 0.0, pa.float64()).cast(pa.float64()).fill_null(0.0)
        priority = pc.if_else(pc.equal(priority, 0.0), 0.0, priority)  # as `priority or 0.0`: no -0.0
        events = [(list(layouts.events[d]) if k == 0 else []) + ([] if how == "sentence" else [f"format.cut_{how}"])
                  for d, k, how in zip(rows, number, layouts.hows, strict=True)]
        return {
            "id": [f"{names[d]}#{tags[d]}{k}{suffixes[d]}" for d, k in zip(rows, number, strict=True)],
            "doc_ids": list_array(np.ones(len(doc), dtype=np.int64), ids.take(doc)),
            "source": _column(batch, "source", "", pa.string()).take(doc),
            "domain": _column(batch, "domain", "", pa.string()).take(doc),
            "kind": _column(batch, "kind", "", pa.string()).take(doc),
            "format": [formats[d] for d in rows],
            "title": [layouts.titles[d] for d in rows],
            "text": [layouts.texts[d][s:e] for d, s, e in zip(rows, starts, ends, strict=True)],
            "priority": priority.take(doc),
            "label": _column(batch, "label", "", pa.string()).fill_null("").take(doc),
            "terms": _window_terms(layouts, pa.concat_arrays([docs.terms.values, docs.title_terms.values])),
            "title_terms": list_array(np.diff(layouts.title_offsets)[doc], docs.title_terms.values.take(
                layouts.title_refs[list_items(layouts.title_offsets, doc)])),
            "sentences": _window_sentences(layouts),
            # the size of the report the example was cut from: the mask ratio band follows it (paper 3.3.1)
            "report_chars": pa.array(_report_chars(layouts)[doc].astype(np.int32)),
            **({"fusion": batch.column("fusion").fill_null("").take(doc)} if "fusion" in batch.schema.names else {}),
            "_events": events,
        }


def _report_chars(layouts: _Layouts) -> np.ndarray:
    """Characters of each laid-out document (title included once), whatever number of windows it was cut into."""
    texts = np.fromiter(map(len, layouts.texts), np.int64, len(layouts.texts))
    return texts + np.fromiter(map(len, layouts.titles), np.int64, len(layouts.titles))




def _window_starts(layouts: _Layouts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each text starts in all texts joined by one separator, and each window's start and end there."""
    lengths = np.fromiter(map(len, layouts.texts), np.int64, len(layouts.texts))
    base = list_offsets(lengths + 1)[:-1]
    return base, base[layouts.win_doc] + layouts.win_start, base[layouts.win_doc] + layouts.win_end


def _window_terms(layouts: _Layouts, pool: pa.StructArray) -> pa.ListArray:
    """Each window's terms: those wholly inside it (in their order), moved to the window's start.

    Windows do not overlap, so a term (start < end) can only lie in the last window starting at or before it.
    """
    base, window_start, window_end = _window_starts(layouts)
    doc = np.repeat(np.arange(len(base)), np.diff(layouts.term_offsets))
    start, end = base[doc] + layouts.term_starts, base[doc] + layouts.term_ends
    window = np.searchsorted(window_start, start, side="right") - 1
    inside = window >= 0
    if len(window_start):
        safe = np.maximum(window, 0)
        inside &= (layouts.win_doc[safe] == doc) & (end <= window_end[safe])
    kept = np.flatnonzero(inside)
    kept = kept[np.argsort(window[kept], kind="stable")]
    window, refs = window[kept], layouts.term_refs[kept]
    fields = [pa.array((layouts.term_starts[kept] - layouts.win_start[window]).astype(np.int32)),
              pa.array((layouts.term_ends[kept] - layouts.win_start[window]).astype(np.int32)),
              *(pool.field(name).take(refs) for name in ("concept_id", "category", "sense"))]
    values = pa.StructArray.from_arrays(fields, fields=list(SPAN))
    return list_array(np.bincount(window, minlength=len(window_start)), values)


def _skip_space(positions: np.ndarray, run_first: np.ndarray, run_last: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Each position, or `to` of the whitespace run it is in."""
    run = np.maximum(np.searchsorted(run_first, positions, side="right") - 1, 0)
    return np.where((positions >= run_first[run]) & (positions <= run_last[run]), to[run], positions)


def _window_sentences(layouts: _Layouts) -> pa.ListArray:
    """Each window's sentences: every sentence clipped to the window, without whitespace at either end."""
    base, window_start, window_end = _window_starts(layouts)
    offsets, starts, ends = layouts.sentences
    doc = np.repeat(np.arange(len(base)), np.diff(offsets))
    start, end = base[doc] + starts, base[doc] + ends
    first = np.searchsorted(window_end, start, side="right")  # the windows each sentence overlaps
    overlaps = np.maximum(np.searchsorted(window_start, end, side="left") - first, 0)
    sentence = np.repeat(np.arange(len(start)), overlaps)
    window = first[sentence] + np.arange(len(sentence)) - list_offsets(overlaps)[sentence]
    lo, hi = np.maximum(start[sentence], window_start[window]), np.minimum(end[sentence], window_end[window])
    # the first and last position of each whitespace run in all texts (+ one past them all, so there is one)
    joined = "\x00".join(layouts.texts)
    spaces = np.append(np.flatnonzero(is_space(codepoints(joined))), len(joined) + 1)
    breaks = np.flatnonzero(np.diff(spaces) != 1)
    run_first, run_last = spaces[np.r_[0, breaks + 1]], spaces[np.r_[breaks, len(spaces) - 1]]
    lo = np.minimum(_skip_space(lo, run_first, run_last, run_last + 1), hi)
    hi = np.maximum(_skip_space(hi - 1, run_first, run_last, run_first - 1) + 1, lo)
    kept = np.flatnonzero(lo < hi)
    kept = kept[np.argsort(window[kept], kind="stable")]
    window, lo, hi = window[kept], lo[kept], hi[kept]
    values = pa.StructArray.from_arrays([pa.array((lo - window_start[window]).astype(np.int32)),
                                         pa.array((hi - window_start[window]).astype(np.int32))],
                                        fields=list(SENTENCE))
    return list_array(np.bincount(window, minlength=len(window_start)), values)


def title_reconstruction_rows(batch: dict[str, list]) -> dict[str, list]:
    """The content -> title generation task: one row per title_content example."""
    out: dict[str, list] = {"id": [], "content": [], "title": []}
    for example_id, fmt, title, text in zip(batch["id"], batch["format"], batch["title"], batch["text"], strict=True):
        if fmt == TITLE_CONTENT:
            out["id"].append(example_id)
            out["content"].append(text)
            out["title"].append(title)
    return out


@register
class Format(Stage):
    """Cuts each planned copy into title+content pairs or packed paragraphs (the examples)."""

    name = "format"
    section = "format"
    carries = []
    arrow = True
    manifest_key = "formats"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return True  # with format.enabled false every copy becomes paragraphs

    def columns(self):
        from corpusctl.stages.fusion import fusion_columns

        return FORMAT_READS + fusion_columns(self.recipe), None, self.carries

    def settings(self) -> list:
        return [*super().settings(), self.recipe.seed]

    def function(self):
        return FormatStage(self.settings_section, self.recipe.seed)

    def summary(self, ctx, checkpoint) -> dict:
        """Achieved shares of characters in the examples, per format, kind and domain (one streaming pass)."""
        from corpusctl.io.workdir import read_batches

        formats, chars, by_kind, by_domain = [], [], {}, {}
        for batch in read_batches(checkpoint.data, 4096):
            columns = batch.select(["format", "kind", "domain", "title", "text"]).to_pydict()
            for fmt, kind, domain, title, text in zip(*columns.values()):
                size = len(title) + len(text)
                formats.append(fmt)
                chars.append(size)
                by_kind[kind] = by_kind.get(kind, 0) + size
                by_domain[domain] = by_domain.get(domain, 0) + size
        total = sum(chars) or 1
        return {**format_stats(formats, chars, target=self.settings_section.title_content_share),
                "kind_shares": {k: round(v / total, 6) for k, v in sorted(by_kind.items())},
                "domain_shares": {k: round(v / total, 6) for k, v in sorted(by_domain.items())}}
