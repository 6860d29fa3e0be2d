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

from bisect import bisect_right
from typing import Literal, NamedTuple

from pydantic import Field

from corpusctl.config import StageSection
from corpusctl.stages import stable_hash
from corpusctl.stages.mix import fill_budget
from corpusctl.stages.normalize import split_sentences

TITLE_CONTENT = "title_content"
PARAGRAPH = "paragraph"
EXAMPLE_COLUMNS = (
    "id", "doc_ids", "source", "domain", "kind", "format", "title", "text", "priority", "label",
    "terms", "title_terms", "sentences",
)


class FormatConfig(StageSection):
    title_content_share: float = Field(0.5, ge=0, le=1)
    """Share of characters that become title+content pairs; the rest are paragraphs."""
    max_seq_len: int = Field(512, ge=16)
    """Tokens per example including [CLS]/[SEP]; one CJK character is one token, so it bounds characters."""
    paragraph_title: Literal["prepend", "drop"] = "prepend"
    """What a titled document used as a paragraph does with its title: its first line, or dropped."""


_CLAUSE = frozenset("，、；,;：:")


# -- windows ------------------------------------------------------------------------------------------------


def _inside_terms(length: int, terms: list[dict]) -> bytearray:
    """inside[p] = 1 when a cut at position p would split a term (start < p < end)."""
    inside = bytearray(length + 1)
    for term in terms:
        for p in range(max(int(term["start"]) + 1, 0), min(int(term["end"]), length + 1)):
            inside[p] = 1
    return inside


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
    inside = _inside_terms(len(text), terms)
    ends = [end for _, end in sentences]
    last = sentences[-1][1]
    windows: list[tuple[int, int, str]] = []
    pos = sentences[0][0]
    while pos < last:
        while pos < last and text[pos].isspace() and not inside[pos + 1]:
            pos += 1
        if pos >= last:
            break
        limit = pos + width
        if last <= limit:
            end, how = last, "sentence"
        else:
            end, how = _best_cut(text, inside, ends, pos, limit)
        start = pos
        pos = end
        while end > start and text[end - 1].isspace() and not inside[end - 1]:
            end -= 1
        windows.append((start, end, how))
    return windows


def _best_cut(text: str, inside: bytearray, ends: list[int], pos: int, limit: int) -> tuple[int, str]:
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


def _clip_spans(spans: list[dict], start: int, end: int) -> list[dict]:
    """Spans wholly inside [start, end), re-offset to start."""
    out = []
    for span in spans:
        s, e = int(span["start"]), int(span["end"])
        if s >= start and e <= end:
            out.append({**span, "start": s - start, "end": e - start})
    return out


def _clip_sentences(sentences: list[tuple[int, int]], text: str, start: int, end: int) -> list[dict]:
    out = []
    for s, e in sentences:
        s, e = max(s, start), min(e, end)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append({"start": s - start, "end": e - start})
    return out


def _truncate_title(title: str, title_terms: list[dict], limit: int) -> tuple[str, list[dict]]:
    """Shorten an overlong title to at most `limit` characters, at a position outside its terms."""
    inside = _inside_terms(len(title), title_terms)
    cut = next((p for p in range(limit, 0, -1) if not inside[p]), limit)
    title = title[:cut].rstrip()
    return title, _clip_spans(title_terms, 0, len(title))


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
    pair_chars = chars if pair_chars is None else pair_chars
    if not (len(has_title) == len(chars) == len(ids) == len(pair_chars)):
        raise ValueError("assign_formats: has_title, chars, pair_chars and ids must have the same length")
    # sum(pair over P) = share * (total + sum(pair - para over P))  <=>  sum(w over P) = share * total
    # with w = (1 - share) * pair + share * para: a plain budget fill over the weights w.
    weights = [(1 - share) * pair + share * para for pair, para in zip(pair_chars, chars, strict=True)]
    budget = share * sum(chars)
    titled = [row for row, flag in enumerate(has_title) if flag]
    titled.sort(key=lambda row: (stable_hash(seed, "format", ids[row]), ids[row]))
    as_pair = [False] * len(chars)
    for row in fill_budget(titled, weights, budget):
        as_pair[row] = True
    return as_pair


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


# -- examples -----------------------------------------------------------------------------------------------


class FormatStage:
    """Documents -> pre-training examples. Needs `_as_pair` (bool, from `assign_formats`) and optionally
    `_copy` (int, 0 for the original, n for the n-th repeat) on every row. Deterministic per row: no
    randomness, nothing depends on batch boundaries. Adds `_events` (window cuts, truncated titles)."""

    name = "format"

    def __init__(self, config: FormatConfig, seed: int = 0):
        self.config = config
        self.seed = seed

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list] = {column: [] for column in (*EXAMPLE_COLUMNS, "_events")}
        n = len(batch["id"])
        copies = batch.get("_copy") or [0] * n
        for row in range(n):
            doc = {key: values[row] for key, values in batch.items()}
            for example in self.examples(doc, bool(doc["_as_pair"]), int(copies[row] or 0)):
                for column in out:
                    out[column].append(example[column])
        return out

    def examples(self, doc: dict, as_pair: bool, copy: int = 0) -> list[dict]:
        """The examples of one document (one copy of it): a list of rows with EXAMPLE_COLUMNS + _events."""
        layout = _layout(doc, as_pair, self.config)
        suffix = f"~r{copy}" if copy else ""
        tag = "t" if layout.format == TITLE_CONTENT else "p"
        text, terms, sentences = layout.text, layout.terms, layout.sentences
        examples = []
        for k, (start, end, how) in enumerate(layout.windows):
            window_events = list(layout.events) if k == 0 else []
            if how != "sentence":
                window_events.append(f"format.cut_{how}")
            examples.append({
                "id": f"{doc['id']}#{tag}{k}{suffix}",
                "doc_ids": [doc["id"]],
                "source": doc.get("source", ""),
                "domain": doc.get("domain", ""),
                "kind": doc.get("kind", ""),
                "format": layout.format,
                "title": layout.title,
                "text": text[start:end],
                "priority": float(doc.get("priority") or 0.0),
                "label": doc.get("label") or "",
                "terms": _clip_spans(terms, start, end),
                "title_terms": [dict(t) for t in layout.title_terms],
                "sentences": _clip_sentences(sentences, text, start, end),
                "_events": window_events,
            })
        return examples


class _Layout(NamedTuple):
    format: str
    title: str
    title_terms: list[dict]
    text: str
    terms: list[dict]
    sentences: list[tuple[int, int]]
    windows: list[tuple[int, int, str]]
    events: list[str]

    def chars(self) -> int:
        """Characters of all examples as `format_stats` counts them (the title repeats in every window)."""
        return sum(end - start + len(self.title) for start, end, _ in self.windows)


def _layout(doc: dict, as_pair: bool, config: FormatConfig) -> _Layout:
    """How a document is laid out in one format: its (possibly shortened) title, text and windows."""
    title = doc.get("title") or ""
    if not title.strip():
        title = ""
    title_terms = list(doc.get("title_terms") or [])
    text = doc.get("text") or ""
    terms = list(doc.get("terms") or [])
    events: list[str] = []
    if as_pair and not (title and text.strip()):
        as_pair = False
        events.append("format.pair_without_content" if title else "format.pair_without_title")
    max_len = config.max_seq_len
    if as_pair:
        limit = (max_len - 3) // 2
        if len(title) > limit:
            title, title_terms = _truncate_title(title, title_terms, limit)
            events.append("format.title_truncated")
        width = max_len - 3 - len(title)
        fmt = TITLE_CONTENT
    else:
        if title and config.paragraph_title == "prepend":
            shift = len(title) + 1
            terms = [*title_terms, *({**t, "start": int(t["start"]) + shift, "end": int(t["end"]) + shift}
                                     for t in terms)]
            text = f"{title}\n{text}"
        title, title_terms = "", []
        width = max_len - 2
        fmt = PARAGRAPH
    sentences = split_sentences(text)
    windows = window_spans(text, terms, width, sentences)
    return _Layout(fmt, title, title_terms, text, terms, sentences, windows, events)


def format_sizes(batch: dict[str, list], config: FormatConfig) -> dict[str, list]:
    """Per document: whether it has a title and its example characters as a paragraph and as a pair.

    A batch function run before `assign_formats`, so the global step balances the characters the examples
    will really hold (a pair repeats its title in every window) while keeping only three ints per row.
    """
    out: dict[str, list] = {"has_title": [], "paragraph_chars": [], "pair_chars": []}
    for row in range(len(batch["text"])):
        doc = {key: values[row] for key, values in batch.items()}
        paragraph = _layout(doc, False, config)
        out["paragraph_chars"].append(paragraph.chars())
        pair = _layout(doc, True, config)
        titled = pair.format == TITLE_CONTENT
        out["has_title"].append(titled)
        out["pair_chars"].append(pair.chars() if titled else paragraph.chars())
    return out


def title_reconstruction_rows(batch: dict[str, list]) -> dict[str, list]:
    """The content -> title generation task: one row per title_content example."""
    out: dict[str, list] = {"id": [], "content": [], "title": []}
    for example_id, fmt, title, text in zip(batch["id"], batch["format"], batch["title"], batch["text"], strict=True):
        if fmt == TITLE_CONTENT:
            out["id"].append(example_id)
            out["content"].append(text)
            out["title"].append(title)
    return out
