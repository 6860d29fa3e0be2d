"""`Segmenter`: words and UPOS over text, every non-space character covered once, term spans kept whole."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from itertools import accumulate, repeat
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpusctl.errors import CorpusctlError
from corpusctl.segmenter.backends import _JiebaBackend, _PkusegBackend, _RjiebaBackend, merge_user_words
from corpusctl.segmenter.pos import _NON_SPACE, UPOS, UPOS_INDEX, Span, to_upos
from corpusctl.stages.pii import PLACEHOLDER

# -- the segmenter ----------------------------------------------------------------------------------------

SEP = "\x00"
"""Stands for a fixed span and ends each text in the string a batch is cut as (see `Segmenter.segment_batch`)."""


class Words(NamedTuple):
    """The words of a batch of texts: row i's are [offsets[i], offsets[i+1]) of starts, ends and pos (UPOS index)."""

    offsets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    pos: np.ndarray


@functools.cache
def _bmp_classes() -> tuple[np.ndarray, np.ndarray]:
    chars = [chr(code) for code in range(0x10000)]
    return (np.fromiter(map(str.isspace, chars), bool, len(chars)),
            np.fromiter(map(str.isprintable, chars), bool, len(chars)))


def _char_classes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per code point: whitespace (`str.isspace`; all such are in the BMP), and unclean: unprintable or a space
    (a word holding an unclean character is cut into its non-space runs)."""
    space, printable = _bmp_classes()
    bmp = np.minimum(codes, 0xFFFF)
    is_space = space[bmp] & (codes <= 0xFFFF)
    is_printable = printable[bmp]
    astral = np.flatnonzero(codes > 0xFFFF)
    if astral.size:
        is_printable[astral] = [chr(code).isprintable() for code in codes[astral].tolist()]
    return is_space, ~is_printable | (codes == 32)


def _append_word(out: list[Span], text: str, start: int, end: int, upos: str) -> None:
    """Appends text[start:end] as a word, or its non-whitespace runs when it holds whitespace."""
    word = text[start:end]
    if word.isprintable() and " " not in word:
        out.append((start, end, upos))
        return
    for run in _NON_SPACE.finditer(word):
        out.append((start + run.start(), start + run.end(), upos))


def _align(text: str, start: int, end: int, pairs: list[tuple[str, str]], out: list[Span]) -> None:
    """Offsets for backend words over text[start:end] when they do not concatenate back to it: words the
    backend dropped or changed become single-character X words, so every non-space character is covered."""
    cursor = start
    for word, upos in pairs:
        found = text.find(word, cursor, end) if word else -1
        if found < 0:
            continue
        for i in range(cursor, found):
            if not text[i].isspace():
                out.append((i, i + 1, "X"))
        _append_word(out, text, found, found + len(word), upos)
        cursor = found + len(word)
    for i in range(cursor, end):
        if not text[i].isspace():
            out.append((i, i + 1, "X"))


class Segmenter:
    """Cuts text into words with Universal POS; user words, term spans and placeholders stay whole."""

    def __init__(self, backend: str = "jieba", user_words: Iterable[Sequence] = (), model: str | Path | None = None,
                 pos: bool = True, hmm: bool = True, placeholders: Iterable[str] | None = None):
        """`placeholders`: the exact strings the privacy step writes (`pii.placeholders(config)`), when its
        replacement is not the default `[{TYPE}]`; default: anything matching `PLACEHOLDER`."""
        self.user_words = merge_user_words(user_words)
        if placeholders is None:
            self.placeholder_re, self.placeholder_starts = PLACEHOLDER, "["
        else:
            ordered = sorted({p for p in placeholders if p}, key=len, reverse=True)
            self.placeholder_re = re.compile("|".join(map(re.escape, ordered))) if ordered else None
            self.placeholder_starts = "".join({p[0] for p in ordered})
        self.backend_name = backend
        self.pos = pos
        if backend == "jieba":
            self.backend = _JiebaBackend(self.user_words, pos, hmm)
        elif backend == "rjieba":
            self.backend = _RjiebaBackend(self.user_words, pos, hmm)
        elif backend == "pkuseg":
            self.backend = _PkusegBackend(self.user_words, pos, model)
        else:
            raise CorpusctlError(f"unknown segmenter backend {backend!r}; expected jieba, rjieba or pkuseg")
        self.term_upos = {word: to_upos(word, tag) if tag else "NOUN" for word, _freq, tag in self.user_words}
        self.term_pos = {word: UPOS_INDEX[upos] for word, upos in self.term_upos.items() if upos != "NOUN"}

    def words(self, text: str) -> list[str]:
        """The words as strings (for display and evaluation)."""
        return [text[start:end] for start, end, _ in self.segment(text)]

    def segment(self, text: str, terms: Iterable = ()) -> list[Span]:
        """(start, end, upos) words over `text`; each term span `(start, end)` or `{start, end}` is one word."""
        bounds = [(t["start"], t["end"]) if isinstance(t, dict) else (t[0], t[1]) for t in terms]
        starts = np.array([int(start) for start, _end in bounds], dtype=np.int64)
        ends = np.array([int(end) for _start, end in bounds], dtype=np.int64)
        words = self.segment_batch([text], np.array([0, len(bounds)]), starts, ends)
        return list(zip(words.starts.tolist(), words.ends.tolist(), [UPOS[p] for p in words.pos.tolist()],
                        strict=True))

    def segment_batch(self, texts: Sequence[str | None], term_offsets: np.ndarray, term_starts: np.ndarray,
                      term_ends: np.ndarray) -> Words:
        """The words of many texts; row i's term spans are term_starts/term_ends[term_offsets[i]:term_offsets[i+1]].

        The texts are joined, each followed by SEP, and handled as one string: fixed spans (terms,
        placeholders) are found with numpy; each is replaced by a SEP and the rest is tagged in one backend
        call when the backend can (`tag_all`), else piece by piece. Words are then mapped back to the texts.
        """
        texts = [text or "" for text in texts]
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        row_start = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=row_start[1:])
        joined = SEP.join(texts) + SEP
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        space, unclean = _char_classes(codes)
        fixed = self._fixed_spans(joined, space, row_start, lengths, term_offsets, term_starts, term_ends)
        cut = self._cut_between(joined, codes, space, unclean, fixed[0], fixed[1], row_start[1:] - 1)
        starts, ends, pos = (np.concatenate([f, c]) for f, c in zip(fixed, cut, strict=True))
        order = np.argsort(starts, kind="stable")
        starts, ends, pos = starts[order], ends[order], pos[order]
        offsets = np.searchsorted(starts, row_start)
        base = np.repeat(row_start[:-1], np.diff(offsets))
        return Words(offsets.astype(np.int32), (starts - base).astype(np.int32), (ends - base).astype(np.int32),
                     pos.astype(np.int8))

    def _fixed_spans(self, joined: str, space: np.ndarray, row_start: np.ndarray, lengths: np.ndarray,
                     term_offsets: np.ndarray, term_starts: np.ndarray, term_ends: np.ndarray) -> tuple:
        """Term spans (POS from the lexicon, NOUN by default), then placeholders outside them: sorted, disjoint
        (start, end, upos index) arrays over `joined`. Term spans are clipped to their text; blank ones are
        dropped; of overlapping ones (a broken input) the first in (start, end) order wins."""
        row = np.repeat(np.arange(lengths.size), np.diff(term_offsets))
        start = np.clip(term_starts, 0, lengths[row]) + row_start[row]
        end = np.clip(term_ends, 0, lengths[row]) + row_start[row]
        space_before = np.concatenate([[0], np.cumsum(space)])
        keep = (start < end) & (space_before[end] - space_before[start] < end - start)
        start, end = start[keep], end[keep]
        if start.size > 1 and (start[1:] < end[:-1]).any():
            order = np.lexsort((end, start))
            start, end = start[order], end[order]
            kept, last = [], -1
            for i, (a, b) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
                if a >= last:
                    kept.append(i)
                    last = b
            start, end = start[kept], end[kept]
        pos = np.full(start.size, UPOS_INDEX["NOUN"], dtype=np.int8)
        if self.term_pos and start.size:
            surfaces = map(joined.__getitem__, map(slice, start.tolist(), end.tolist()))
            pos = np.fromiter(map(self.term_pos.get, surfaces, repeat(UPOS_INDEX["NOUN"])), np.int8, start.size)
        if self.placeholder_re is None or not any(c in joined for c in self.placeholder_starts):
            return start, end, pos
        found = [(m.start(), m.end(), UPOS_INDEX["PROPN" if "PERSON" in m.group() else "X"])
                 for m in self.placeholder_re.finditer(joined)]
        if not found:
            return start, end, pos
        p_start, p_end, p_pos = (np.array(column, dtype=np.int64) for column in zip(*found, strict=True))
        # Free unless the first term ending after the placeholder's start begins before its end.
        free = np.append(start, len(joined))[np.searchsorted(end, p_start, side="right")] >= p_end
        start, end = np.concatenate([start, p_start[free]]), np.concatenate([end, p_end[free]])
        pos = np.concatenate([pos, p_pos[free].astype(np.int8)])
        order = np.argsort(start, kind="stable")
        return start[order], end[order], pos[order]

    def _cut_between(self, joined: str, codes: np.ndarray, space: np.ndarray, unclean: np.ndarray,
                     fixed_start: np.ndarray, fixed_end: np.ndarray, row_ends: np.ndarray) -> tuple:
        """(start, end, upos index) arrays of the words between the fixed spans of `joined`."""
        inside = np.zeros(len(joined) + 1, dtype=np.int32)
        inside[fixed_start + 1] += 1
        inside[fixed_end] -= 1
        kept = np.flatnonzero(np.cumsum(inside[:-1]) == 0)  # a fixed span keeps its first character, made SEP
        seps = np.zeros(len(joined), dtype=bool)
        seps[fixed_start] = True
        seps[row_ends] = True
        seps = seps[kept]
        codes = np.where(seps, 0, codes[kept]).astype(np.uint32)
        text = codes.tobytes().decode("utf-32-le", "surrogatepass")
        words = self._cut_at_once(text, codes, seps, space[kept], unclean[kept])
        start, end, pos = words if words is not None else self._cut_pieces(text, seps)
        return kept[start], kept[start] + (end - start), pos  # a piece is contiguous in `joined`

    def _cut_pieces(self, text: str, seps: np.ndarray) -> tuple:
        """Words of the pieces between separators, one backend call per piece."""
        out: list[Span] = []
        cursor = 0
        for at in np.flatnonzero(seps).tolist():
            if at > cursor:
                self._cut(text, cursor, at, out)
            cursor = at + 1
        if not out:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
        start, end, upos = zip(*out, strict=True)
        return (np.array(start, dtype=np.int64), np.array(end, dtype=np.int64),
                np.fromiter(map(UPOS_INDEX.__getitem__, upos), np.int8, len(upos)))

    def _cut_at_once(self, text: str, codes: np.ndarray, seps: np.ndarray, space: np.ndarray,
                     unclean: np.ndarray) -> tuple | None:
        """What `_cut_pieces` gives, from one `tag_all` call and array operations (the hot path); None when the
        backend cannot cut all pieces at once."""
        found = self.backend.tag_all(text, codes, seps, self.pos) if hasattr(self.backend, "tag_all") else None
        if found is None:
            return None
        items, lengths, recut = found
        start = np.cumsum(lengths) - lengths
        extra, extra_start = [], []
        for i, pieces in recut.items():  # foreign words jieba cuts further: their pieces instead (sorted later)
            at = int(start[i])
            for piece in pieces:
                extra.append(piece)
                extra_start.append(at)
                at += len(piece[0] if self.pos else piece)
        keep = ~seps[start]
        keep[list(recut)] = False
        kept = np.flatnonzero(keep)
        extra_lengths = map(len, map(itemgetter(0), extra) if self.pos else extra)
        start = np.concatenate([start[kept], np.array(extra_start, dtype=np.int64)])
        lengths = np.concatenate([lengths[kept], np.fromiter(extra_lengths, np.int64, len(extra))])
        if self.pos:  # the tags of all items at once (a C-level unzip), then those kept and the extra pieces
            tags = list(map(itemgetter(1), items))
            pos = np.concatenate([self.backend.upos.indices(items, tags)[kept], self.backend.upos.indices(extra)])
        else:
            pos = np.full(len(start), UPOS_INDEX["X"], np.int8)

        def item(i: int):  # the i-th word of `start` (kept items first, then the extra pieces)
            return items[kept[i]] if i < len(kept) else extra[i - len(kept)]
        end = start + lengths
        unclean_before = np.concatenate([[0], np.cumsum(unclean)])
        dirty = unclean_before[end] > unclean_before[start]
        if not dirty.any():
            return start, end, pos
        # Words holding whitespace or unprintable characters: only their non-space runs are words.
        space_before = np.concatenate([[0], np.cumsum(space)])
        runs = [(int(start[i]) + run.start(), int(start[i]) + run.end(), pos[i])
                for i in np.flatnonzero(dirty & (space_before[end] - space_before[start] < lengths)).tolist()
                for run in _NON_SPACE.finditer(item(i)[0] if self.pos else item(i))]
        clean = ~dirty
        r_start, r_end, r_pos = (zip(*runs, strict=True) if runs else ((), (), ()))
        return (np.concatenate([start[clean], np.array(r_start, dtype=np.int64)]),
                np.concatenate([end[clean], np.array(r_end, dtype=np.int64)]),
                np.concatenate([pos[clean], np.array(r_pos, dtype=np.int8)]))

    def _cut(self, text: str, start: int, end: int, out: list[Span]) -> None:
        """Appends the words of text[start:end] (one backend call): for backends without `tag_all`."""
        piece = text[start:end]
        if piece.isspace():
            return
        mapper = self.backend.upos
        if self.pos:
            pairs = self.backend.tag(piece)
            static = mapper.static
            uposes = [static.get(tag) or mapper(word, tag) for word, tag in pairs]
            words = [word for word, _tag in pairs]
        else:
            words = self.backend.cut(piece)
            uposes = ["X"] * len(words)
        bounds = list(accumulate(map(len, words), initial=start))
        if bounds[-1] != end:  # the backend did not give its input back: align the careful way
            _align(text, start, end, list(zip(words, uposes, strict=True)), out)
        elif piece.isprintable() and " " not in piece:
            out.extend(zip(bounds, bounds[1:], uposes, strict=False))  # no whitespace anywhere: every piece is a word
        else:
            for word_start, word_end, upos in zip(bounds, bounds[1:], uposes, strict=False):
                _append_word(out, text, word_start, word_end, upos)
