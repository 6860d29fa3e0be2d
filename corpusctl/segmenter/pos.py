"""Universal POS: the tag tables of jieba/ICTCLAS and PKU mapped to UPOS (see corpusctl/stages/segment.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter

import numpy as np

UPOS = ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"]

_JIEBA_GROUPS = {
    "NOUN": "n ng t tg s in jn ln j q qg qe",
    "PROPN": "nr nrfg nrt ns nt nz",
    "VERB": "v vd vg vi vn vq",
    "ADJ": "a ag an b bg z",
    "ADV": "d df dg ad",
    "NUM": "m mg mq",
    "PRON": "r rg rr rz",
    "ADP": "p f",
    "CCONJ": "c",
    "PART": "u ud ug uj ul uv uz y yg k",
    "INTJ": "e o",
    "PUNCT": "w",
    "X": "x eng en i l h g zg",
}
JIEBA_TO_UPOS: dict[str, str] = {tag: upos for upos, tags in _JIEBA_GROUPS.items() for tag in tags.split()}
"""jieba / ICTCLAS POS tag -> Universal POS (the table in the module docstring)."""

PKU_TO_UPOS: dict[str, str] = {
    **{tag: upos for tag, upos in JIEBA_TO_UPOS.items() if tag not in ("x", "eng", "zg")},
    "nx": "X", "vx": "VERB", "x": "X",
    "Ag": "ADJ", "Bg": "ADJ", "Dg": "ADV", "Mg": "NUM", "Ng": "NOUN", "Rg": "PRON", "Tg": "NOUN", "Vg": "VERB",
    "Yg": "PART",
}
"""pkuseg / PKU (People's Daily) POS tag -> Universal POS."""

SCONJ_WORDS = frozenset(
    "如果 假如 假若 倘若 要是 若 如若 因为 由于 既然 虽然 虽 尽管 即使 即便 哪怕 只要 只有 除非 无论 不论 不管 "
    "以便 以免 免得 否则 要不然".split()
)
"""Conjunctions jieba tags `c` that introduce a subordinate clause."""


UserWord = tuple[str, int | None, str | None]
Span = tuple[int, int, str]

UPOS_INDEX = {name: index for index, name in enumerate(UPOS)}

_UPOS_SET = frozenset(UPOS)
# Tags whose UPOS depends on the word itself (character classes, subordinators); all others are static.
_WORD_DEPENDENT = frozenset({"x", "w", "c", "eng", "m", ""})
_NON_SPACE = re.compile(r"\S+")




# -- POS mapping ------------------------------------------------------------------------------------------


def _char_class(word: str) -> str | None:
    """PUNCT / SYM / NUM when every character of the word is of that class, else None."""
    if not word:
        return None
    categories = {unicodedata.category(c)[0] for c in word}
    if categories == {"P"}:
        return "PUNCT"
    if categories == {"S"} or categories == {"S", "P"}:
        return "SYM"
    if word.isdigit():
        return "NUM"
    return None


def to_upos(word: str, tag: str | None, table: dict[str, str] = JIEBA_TO_UPOS) -> str:
    """The Universal POS of a word given its backend tag (rules in the module docstring)."""
    by_chars = _char_class(word)
    if by_chars == "PUNCT" or (by_chars and tag in (None, "", "x", "w", "eng", "m")):
        return by_chars
    if tag in _UPOS_SET:
        return tag
    upos = table.get(tag or "", "X")
    if upos == "CCONJ" and word in SCONJ_WORDS:
        return "SCONJ"
    return upos


class _UposMapper:
    """Maps (word, tag) to UPOS fast: a per-tag table for word-independent tags, a bounded cache for the rest."""

    def __init__(self, table: dict[str, str]):
        self.table = table
        self.static = {tag: upos for tag, upos in table.items() if tag not in _WORD_DEPENDENT}
        self.static.update((name, name) for name in UPOS if name not in ("PUNCT", "SYM", "NUM", "X", "CCONJ"))
        self.static_index = {tag: UPOS_INDEX[upos] for tag, upos in self.static.items()}
        self.cache: dict[tuple[str, str], str] = {}
        self.index_cache: dict[tuple[str, str], int] = {}

    def __call__(self, word: str, tag: str) -> str:
        upos = self.static.get(tag)
        if upos is not None:
            return upos
        key = (word, tag)
        upos = self.cache.get(key)
        if upos is None:
            if len(self.cache) > 200_000:
                self.cache.clear()
            upos = self.cache[key] = to_upos(word, tag, self.table)
        return upos

    def indices(self, pairs: list[tuple[str, str]], tags: Sequence[str] | None = None) -> np.ndarray:
        """UPOS indices of many (word, tag) pairs: what `__call__` gives, without a Python loop over the pairs
        (only the first-seen word-dependent pairs are mapped one by one). `tags`: the pairs' tags, if at hand."""
        if tags is None:
            tags = list(map(itemgetter(1), pairs))
        if len(tags) > 64:  # the distinct tags looked up once (Arrow's dictionary encoding), not every tag
            import pyarrow as pa

            encoded = pa.array(tags, pa.string()).dictionary_encode()
            table = np.fromiter(map(self.static_index.get, encoded.dictionary.to_pylist(), repeat(-1)), np.int8)
            index = table[encoded.indices.to_numpy()]
        else:
            index = np.fromiter(map(self.static_index.get, tags, repeat(-1)), np.int8, len(pairs))
        dependent = index < 0
        keys = [pairs[i] for i in np.flatnonzero(dependent).tolist()]
        if not keys:
            return index
        if len(self.index_cache) > 200_000:
            self.index_cache.clear()
        found = np.fromiter(map(self.index_cache.get, keys, repeat(-1)), np.int8, len(keys))
        for k in np.flatnonzero(found < 0).tolist():
            found[k] = self.index_cache[keys[k]] = UPOS_INDEX[self(*keys[k])]
        index[dependent] = found
        return index
