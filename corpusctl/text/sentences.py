"""Sentences: the spans that tile a text, for one text or for many at once, and tidying after removals.

A sentence ends after a run of 。！？；!? (with any closing quotes or brackets) or a line break; the clean,
dedup and format stages all cut text with these rules, so a sentence is the same thing everywhere.
"""

from __future__ import annotations

import re

import numpy as np

# Sentence ends: 。！？；!? (runs, plus closing quotes/brackets) or a line break; trailing whitespace joins.
_SENTENCE_END_RE = re.compile(r"(?:[。！？；!?]+[”’」』）)》】\"']*|\n)\s*")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end exclusive) that tile `text` exactly.

    A sentence ends after a run of 。！？；!? (with any closing quotes or brackets) or a line break; the
    whitespace after the end belongs to the sentence before it. A trailing piece without an end mark is a
    sentence too. Whitespace-only pieces are merged into the next sentence, so every span has content.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        if end > start and text[start:end].strip():
            spans.append((start, end))
            start = end
    if start < len(text):
        if text[start:].strip() or not spans:
            spans.append((start, len(text)))
        else:
            spans[-1] = (spans[-1][0], len(text))
    return spans


_SENTENCE_PIECE_RE = re.compile(f"[^。！？；!?\n]*+(?:{_SENTENCE_END_RE.pattern})")
"""Text up to and including the next sentence end (a sentence end starts only at 。！？；!? or a line break)."""


def sentence_bounds(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`split_sentences` of many texts at once: (offsets, starts, ends); text i's sentences are items
    offsets[i]:offsets[i + 1] of starts and ends.

    One regex pass over the texts joined by "\x00" (neither whitespace nor an end mark, so no sentence end
    crosses it), closed by a line break so the last piece ends too. A sentence end's trailing whitespace
    means only a text's first piece can be whitespace alone (it joins the next sentence), and the piece
    after the last end always has content (it is a sentence).
    """
    count = len(texts)
    lengths = np.fromiter(map(len, texts), np.int64, count)
    base = np.zeros(count + 1, dtype=np.int64)  # text i starts at base[i] in the joined string
    np.cumsum(lengths + 1, out=base[1:])
    pieces = _SENTENCE_PIECE_RE.findall("\x00".join(texts) + "\x00\n")
    ends = np.cumsum(np.fromiter(map(len, pieces), np.int64, len(pieces)))[:-1]  # (the last ends the closing)
    owner = np.searchsorted(base, ends, side="right") - 1
    ends -= base[owner]
    first = np.ones(len(ends), dtype=bool)  # a text's first piece joins the next when it is whitespace alone
    np.not_equal(owner[1:], owner[:-1], out=first[1:])
    blank = first.copy()
    blank[first] = ends[first] <= [len(texts[i]) - len(texts[i].lstrip()) for i in owner[first].tolist()]
    ends, owner = ends[~blank], owner[~blank]
    last = np.zeros(count, dtype=np.int64)
    np.maximum.at(last, owner, ends)
    rest = np.flatnonzero(lengths > last)  # text after the last sentence end is a sentence too
    owner = np.concatenate([owner, rest])
    order = np.argsort(owner, kind="stable")
    ends = np.concatenate([ends, lengths[rest]])[order]
    counts = np.bincount(owner, minlength=count)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    starts = np.zeros(len(ends), dtype=np.int64)
    starts[1:] = ends[:-1]
    starts[offsets[:-1][counts > 0]] = 0  # each text's first sentence
    return offsets, starts, ends


def tidy(text: str) -> str:
    """Text put back together after sentences or clauses were removed: the spaces around each line break go
    and the ends are stripped."""
    return re.sub(r"[^\S\n]*\n\s*", "\n", text).strip()
