"""Word segmentation and POS tagging with the industrial lexicon (issue #6).

Three backends share one contract: `Segmenter.segment(text)` returns `(start, end, upos)` words that cover
every non-whitespace character of `text` exactly once (whitespace is skipped, never a word).

- `jieba` — the reference: a private `jieba.Tokenizer` (+ `jieba.posseg.POSTokenizer` when tagging).
  Note that jieba's POS mode segments out-of-vocabulary runs with its joint word/POS HMM, so its words
  differ somewhat from `jieba.cut` (see `agreement`).
- `rjieba` — the jieba-rs binding: same dictionary, same user-word semantics, `cut`/`tag` in Rust.
  Two jieba-rs differences are undone here: it keeps a known word's old tag when a user word retags it
  (the dictionary is then rebuilt from jieba's dict.txt), and it keeps non-Chinese runs such as "2.5MPa"
  or "DN50-PN16" whole where jieba cuts them with its regexes (re-cut the same way, HMM mode only). Its
  tagger looks words up in the dictionary, so in POS mode its words stay `jieba.cut`'s.
- `pkuseg` — `spacy_pkuseg` with a local model folder trained by `corpusctl segmenter train` (published
  models cannot be downloaded here). pkuseg cannot tag without its downloadable POS model, so pkuseg
  words are tagged by lookup, in this order: the user dictionary's POS; the model's own `pos.tsv` (most
  frequent tag per word, written by `train` when the gold file carries `word/tag` tokens, PKU tag set);
  jieba's dictionary through rjieba (`tag(word)`; when jieba splits the word, the tag of its last piece,
  since Chinese compounds are head-final); character classes last (punctuation, symbols, digits).

User dictionary: `(word, freq | None, pos | None)` tuples (`corpusctl.lexicons.user_words` reads `word [freq] [pos]` files).
Each word is added with `freq = max(freq, suggest_freq(word), USER_FREQ_FLOOR)`: jieba's own
`suggest_freq` makes the word beat its own split, the floor gives it a margin against overlapping
neighbours, and the floor is small enough that 85,000 terms barely move the dictionary's total (which
would bias every cut towards fewer words). A user word without a POS is tagged `n` (NOUN), even when
jieba's dictionary knows it with another tag, so it gets the same POS inside and outside term spans.
In the pipeline, lexicon/ontology term spans are forced to be exactly one word anyway: the text between
terms is segmented piece by piece, so no word ever crosses a term boundary. A term's POS is its lexicon
POS mapped to UPOS, NOUN when none. Privacy placeholders (`[MOBILE]`, `[PERSON]`, … pattern
`\\[[A-Z_]+\\]`) are one word each, POS X, except `[PERSON]`, which stands for a name: PROPN.

Universal POS mapping (`JIEBA_TO_UPOS`, jieba/ICTCLAS tags; rjieba uses the same tag set):

| tags | UPOS | why |
|---|---|---|
| n ng t tg s in jn ln j | NOUN | nouns, time and place words; `j` abbreviations and the HMM's nominal `*n` tags |
| nr nrfg nrt ns nt nz | PROPN | person, place, organisation, other proper names |
| q qg qe | NOUN | classifiers: UD Chinese tags measure words NOUN (NounType=Clf) |
| v vd vg vi vn vq | VERB | `vn` (verbal noun) and `vd` (verb used adverbially) are verbs by lexeme |
| a ag an b bg z | ADJ | adjectives, distinguishing words (区别词), state words |
| d df dg ad | ADV | adverbs, adjectives used adverbially |
| m mg mq | NUM | numerals, numeral-classifier compounds |
| r rg rr rz | PRON | pronouns (demonstratives too: the tag set has no DET) |
| p f | ADP | prepositions; localizers (方位词 上/中/以后) as UD Chinese tags them |
| c | CCONJ | SCONJ for the subordinators in `SCONJ_WORDS` (如果, 因为, 虽然, …) |
| u ud ug uj ul uv uz y yg k | PART | particles (的 了 着), sentence-final 吗 呢, suffixes 们 者 |
| e o | INTJ | interjections, onomatopoeia |
| w | PUNCT | |
| x | PUNCT / SYM / X | by character class: punctuation, symbols (℃ + ±), anything else X |
| eng en i l h g zg "" and anything unknown | X | Latin words; idioms and fixed expressions have no single class; prefixes, bound morphemes; `zg` is a grab-bag of single characters in jieba's dictionary |

`PKU_TO_UPOS` (pkuseg / People's Daily tag set) is the same table plus `nx` (foreign string) → X,
`vx` (formal verb) → VERB, `Ag Bg Dg Mg Ng Rg Tg Vg Yg` → their class, `w` → PUNCT and `x` (non-morpheme
character) → X. Whatever the tag, a word made only of punctuation characters is PUNCT; made only of
symbols, SYM; only of digits, NUM; a UPOS name given as a lexicon POS is taken as is.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, repeat
from operator import itemgetter
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from corpusctl import lexicons
from corpusctl.config import PROJECT_ROOT, RecipePath, Section
from corpusctl.errors import CorpusctlError
from corpusctl.stages.base import Stage, register
from corpusctl.stages.pii import PLACEHOLDER

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

USER_FREQ_FLOOR = 100
"""Minimum dictionary frequency of a user word (see the module docstring)."""

UserWord = tuple[str, int | None, str | None]
Span = tuple[int, int, str]

UPOS_INDEX = {name: index for index, name in enumerate(UPOS)}

_UPOS_SET = frozenset(UPOS)
# Tags whose UPOS depends on the word itself (character classes, subordinators); all others are static.
_WORD_DEPENDENT = frozenset({"x", "w", "c", "eng", "m", ""})
_NON_SPACE = re.compile(r"\S+")


class SegmentConfig(Section):
    """A required step: no `enabled` key (it cannot be switched off)."""

    backend: Literal["jieba", "rjieba", "pkuseg"] = "jieba"
    lexicons: list[RecipePath] = [PROJECT_ROOT / "lexicons" / "industrial_terms.txt"]
    """User dictionaries (`word [freq] [pos]` lines); the pipeline merges them with the ontology's terms."""
    pos: bool = True
    """Tag words with Universal POS; when false every word's pos is X."""
    hmm: bool = True
    """jieba/rjieba: discover out-of-vocabulary words with the HMM."""
    model: RecipePath | None = None
    """pkuseg only: a model folder trained with `corpusctl segmenter train`."""


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


# -- user dictionary --------------------------------------------------------------------------------------


def merge_user_words(*groups: Iterable[Sequence]) -> list[UserWord]:
    """One entry per word, in first-seen order: the highest frequency given and the first POS given."""
    merged: dict[str, list] = {}
    for group in groups:
        for entry in group:
            word = str(entry[0]).strip()
            freq = entry[1] if len(entry) > 1 else None
            pos = entry[2] if len(entry) > 2 else None
            if not word:
                continue
            if word not in merged:
                merged[word] = [word, freq, pos]
                continue
            known = merged[word]
            if freq is not None and (known[1] is None or freq > known[1]):
                known[1] = freq
            if known[2] is None and pos:
                known[2] = pos
    return [tuple(entry) for entry in merged.values()]


def _user_tag(word: str, pos: str | None) -> str:
    """The tag a user word is added with: its own, `x` for punctuation, else `n` (as term spans default to NOUN)."""
    if pos:
        return pos
    return "x" if _char_class(word) == "PUNCT" else "n"


# -- backends ---------------------------------------------------------------------------------------------


def _quiet_jieba() -> None:
    logging.getLogger("jieba").setLevel(logging.WARNING)


class _JiebaBackend:
    """The reference: jieba's own tokenizer and POS tokenizer, private instances (no global state)."""

    def __init__(self, user_words: list[UserWord], pos: bool, hmm: bool):
        import jieba
        import jieba.posseg

        _quiet_jieba()
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        for word, freq, tag in user_words:
            freq = max(freq or 0, self.tokenizer.suggest_freq(word, False), USER_FREQ_FLOOR)
            self.tokenizer.add_word(word, freq, _user_tag(word, tag))
        self.posseg = jieba.posseg.POSTokenizer(self.tokenizer) if pos else None
        self.hmm = hmm
        self.upos = _UposMapper(JIEBA_TO_UPOS)

    def cut(self, text: str) -> list[str]:
        return list(self.tokenizer.cut(text, HMM=self.hmm))

    def tag(self, text: str) -> list[tuple[str, str]]:
        return [(pair.word, pair.flag) for pair in self.posseg.cut(text, HMM=self.hmm)]


def _rjieba_with(user_words: list[UserWord]):
    """A jieba-rs instance with jieba's dictionary and the user words, as `_JiebaBackend` builds it.

    jieba-rs's `add_word` keeps the old tag of a word it already knows, where jieba replaces it; when a user
    word needs a new tag, the instance is rebuilt from jieba's own dict.txt with that tag (about 0.4 s).
    """
    import rjieba

    jieba = rjieba.Jieba()
    tags = {word: _user_tag(word, tag) for word, _freq, tag in user_words}
    retag = {w for w, t in tags.items() if jieba.has_word(w) and jieba.tag(w) != [(w, t)]}
    if retag:
        import jieba as reference

        jieba = rjieba.Jieba.empty()
        with open(Path(reference.__file__).parent / "dict.txt", encoding="utf-8") as handle:
            for line in handle:
                word, freq, tag = line.split()
                jieba.add_word(word, int(freq), tags[word] if word in retag else tag)
    for word, freq, _tag in user_words:
        jieba.add_word(word, max(freq or 0, jieba.suggest_freq(word), USER_FREQ_FLOOR), tags[word])
    return jieba


# jieba (Python) cuts non-Chinese runs that are not dictionary words with these patterns (finalseg for
# `cut`, posseg's detail cut for tagging); jieba-rs keeps such runs whole ("2.5MPa", "DN50-PN16").
_CUT_ASCII = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_TAG_ASCII = re.compile(r"([\.0-9]+|[a-zA-Z0-9]+)")
_NUMBER = re.compile(r"[\.0-9]+")
_LATIN = re.compile(r"[a-zA-Z0-9]+")
_ALNUM = re.compile(r"[a-zA-Z0-9]")


class _RjiebaBackend:
    """jieba-rs: the same dictionary and user-word rules as `_JiebaBackend`, cut and tagged in Rust; with
    the HMM on, non-dictionary ASCII runs are re-cut the way jieba does, so both give the same words."""

    def __init__(self, user_words: list[UserWord], pos: bool, hmm: bool):
        self.jieba = _rjieba_with(user_words)
        self.hmm = hmm
        self.upos = _UposMapper(JIEBA_TO_UPOS)
        self.known: dict[str, bool] = {}

    def _foreign(self, word: str) -> bool:
        """A multi-character ASCII word that is not in the dictionary (jieba re-cuts those)."""
        if len(word) < 2 or not word.isascii() or word.isspace():
            return False
        known = self.known.get(word)
        if known is None:
            if len(self.known) > 100_000:
                self.known.clear()
            known = self.known[word] = self.jieba.has_word(word)
        return not known

    def _recut(self, word: str, pos: bool) -> list | None:
        """jieba's pieces of a word jieba-rs kept whole (`(piece, tag)` pairs when `pos`); None to keep it."""
        if not self._foreign(word):
            return None
        if pos:
            return [(piece, "m" if _NUMBER.match(piece) else "eng" if _LATIN.match(piece) else "x")
                    for piece in _TAG_ASCII.split(word) if piece]
        if _CUT_ASCII.fullmatch(word):
            return None
        return [piece for piece in _CUT_ASCII.split(word) if piece]

    def _recut_all(self, items: list, pos: bool) -> list:
        out: list = []
        for item in items:
            pieces = self._recut(item[0] if pos else item, pos)
            if pieces is None:
                out.append(item)
            else:
                out.extend(pieces)
        return out

    def cut(self, text: str) -> list[str]:
        words = self.jieba.cut(text, self.hmm)
        if not self.hmm or not _ALNUM.search(text):
            return words
        return self._recut_all(words, False)

    def tag(self, text: str) -> list[tuple[str, str]]:
        pairs = self.jieba.tag(text, self.hmm)
        if not self.hmm or not _ALNUM.search(text):
            return pairs
        return self._recut_all(pairs, True)

    def tag_all(self, text: str, codes: np.ndarray, seps: np.ndarray, pos: bool) -> tuple | None:
        """The words of all the pieces of `text` in one call, as `tag` (when `pos`) or `cut` of each piece gives them.

        `text` holds SEP at `seps` between pieces; jieba-rs cuts each piece as it would cut it alone (SEP is a
        word of its own and ends every block). Returns the items (`(word, tag)` pairs or words, separators
        included), their lengths, and the foreign words that jieba cuts further as {index: `_recut` pieces};
        None when a word crosses a separator after all.
        """
        items = self.jieba.tag(text, self.hmm) if pos else self.jieba.cut(text, self.hmm)
        lengths = word_lengths(list(map(itemgetter(0), items)) if pos else items, text)
        starts = np.cumsum(lengths) - lengths
        at = np.flatnonzero(seps)
        item = np.minimum(np.searchsorted(starts, at), max(len(items) - 1, 0))
        if lengths.sum() != len(text) or (at.size and ((starts[item] != at) | (lengths[item] != 1)).any()):
            return None
        recut: dict[int, list] = {}
        if not self.hmm:
            return items, lengths, recut
        # `tag`/`cut` look for foreign words only in pieces holding an ASCII letter or digit.
        alnum = ((codes >= 48) & (codes <= 57)) | ((codes >= 65) & (codes <= 90)) | ((codes >= 97) & (codes <= 122))
        piece = np.cumsum(seps)
        piece_alnum = np.bincount(piece, weights=alnum, minlength=int(piece[-1]) + 1 if piece.size else 1) > 0
        non_ascii = np.concatenate([[0], np.cumsum(codes >= 128)])
        candidates = (lengths >= 2) & (non_ascii[starts + lengths] == non_ascii[starts]) & piece_alnum[piece[starts]]
        for i in np.flatnonzero(candidates).tolist():
            pieces = self._recut(items[i][0] if pos else items[i], pos)
            if pieces is not None:
                recut[i] = pieces
        return items, lengths, recut


def word_lengths(words: Sequence[str], text: str) -> np.ndarray:
    """len() of every word, for words that make up `text` (issue 21: a `len` per word was a third of the
    segment stage): the words joined with a marker character, encoded once, and the markers found by numpy."""
    if "\x01" in text:  # (the marker must not occur in the words)
        return np.fromiter(map(len, words), np.int64, len(words))
    codes = np.frombuffer("\x01".join(words).encode("utf-32-le", "surrogatepass"), np.uint32)
    ends = np.append(np.flatnonzero(codes == 1), len(codes)) - np.arange(len(words))  # end of each word in text
    return np.diff(ends, prepend=0) if len(words) else np.zeros(0, np.int64)


MODEL_FILES = ("features.msgpack", "weights.npz")
POS_TABLE_FILE = "pos.tsv"
INFO_FILE = "corpusctl-segmenter.json"


def check_model(model: str | Path | None) -> Path:
    """The pkuseg model folder, or a CorpusctlError saying how to train one."""
    how = ("pkuseg's published models cannot be downloaded here; train one from gold-segmented text "
           "(one sentence per line, words separated by spaces) with\n"
           "  corpusctl segmenter train GOLD.txt --out MODEL_DIR\n"
           "and set `segment.model: MODEL_DIR` in the recipe")
    if model is None:
        raise CorpusctlError(f"segment.backend pkuseg needs segment.model, a local model folder. {how}")
    folder = Path(model)
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise CorpusctlError(f"{folder}: not a pkuseg model folder (missing {', '.join(missing)}). {how}")
    return folder


_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")


def _merge_ascii(words: list[str]) -> list[str]:
    """Rejoins Latin words and numbers a pkuseg model split (models trained on Chinese gold cut unseen
    ASCII letters one by one): no word boundary between two ASCII letters, digits or dots."""
    out: list[str] = []
    for word in words:
        if out and out[-1][-1] in _ASCII_WORD and word[0] in _ASCII_WORD:
            out[-1] += word
        else:
            out.append(word)
    return out


class _PkusegBackend:
    """spacy_pkuseg with a local model; POS by lookup (see the module docstring)."""

    def __init__(self, user_words: list[UserWord], pos: bool, model: str | Path | None):
        import spacy_pkuseg

        folder = check_model(model)
        user_dict = [(word, tag or "") for word, _freq, tag in user_words]
        with contextlib.redirect_stdout(io.StringIO()):
            self.seg = spacy_pkuseg.pkuseg(model_name=str(folder.resolve()), user_dict=user_dict)
        self.user_upos = {word: to_upos(word, _user_tag(word, tag)) for word, _freq, tag in user_words}
        self.model_upos: dict[str, str] = {}
        pos_file = folder / POS_TABLE_FILE
        if pos and pos_file.is_file():
            for line in pos_file.read_text(encoding="utf-8").splitlines():
                word, _, tag = line.partition("\t")
                if word and tag:
                    self.model_upos[word] = to_upos(word, tag, PKU_TO_UPOS)
        self.jieba = _rjieba_with(user_words) if pos else None
        self.cache: dict[str, str] = {}
        self.upos = _UposMapper({name: name for name in UPOS})  # tag() already gives UPOS

    def cut(self, text: str) -> list[str]:
        """Words of `text` including its whitespace runs, so they concatenate back to `text` like jieba's."""
        words: list[str] = []
        cursor = 0
        for run in _NON_SPACE.finditer(text):
            if run.start() > cursor:
                words.append(text[cursor:run.start()])
            words.extend(_merge_ascii(self.seg.cut(run.group())))
            cursor = run.end()
        if cursor < len(text):
            words.append(text[cursor:])
        return words

    def tag(self, text: str) -> list[tuple[str, str]]:
        return [(word, "X" if word.isspace() else self._upos(word)) for word in self.cut(text)]

    def _upos(self, word: str) -> str:
        upos = self.cache.get(word)
        if upos is None:
            upos = self.user_upos.get(word) or self.model_upos.get(word)
            if upos is None:
                pieces = self.jieba.tag(word)
                upos = to_upos(word, pieces[-1][1])  # one piece: its tag; several: the head (last) piece's
                if upos in ("PUNCT", "SYM") and not _char_class(word):
                    upos = "X"  # the last piece is a symbol but the word is not
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[word] = upos
        return upos


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


# -- the pipeline stage -----------------------------------------------------------------------------------


class SegmentStage:
    """Adds `words` / `title_words` ({start, end, pos} over `text` / `title`, pos an index into UPOS), honouring
    `terms` / `title_terms`.

    Picklable: the segmenter is built lazily in each worker. Rows are independent, so the output does not
    depend on batch boundaries.
    """

    def __init__(self, config: SegmentConfig, user_words: Iterable[Sequence] | None = None,
                 placeholders: Iterable[str] | None = None):
        self.config = config
        self.placeholders = None if placeholders is None else list(placeholders)
        if user_words is None:
            user_words = merge_user_words(*(lexicons.user_words(path) for path in config.lexicons))
        self.user_words = merge_user_words(user_words)
        self._segmenter: Segmenter | None = None
        if config.backend == "pkuseg":
            check_model(config.model)  # fail at set-up, not in a worker

    def __getstate__(self):
        return {**self.__dict__, "_segmenter": None}

    def segmenter(self) -> Segmenter:
        if self._segmenter is None:
            c = self.config
            self._segmenter = Segmenter(c.backend, self.user_words, model=c.model, pos=c.pos, hmm=c.hmm,
                                        placeholders=self.placeholders)
        return self._segmenter

    def __call__(self, batch) -> dict:
        """`words` / `title_words` (Arrow list<WORD>) of an Arrow record batch or a dict of columns."""
        if isinstance(batch, dict):
            from corpusctl.io.columns import to_record_batch

            batch = to_record_batch({name: batch[name] for name in SEGMENT_READS if name in batch})
        segmenter = self.segmenter()
        names = batch.schema.names
        out = {}
        for text_col, terms_col, words_col in (("text", "terms", "words"), ("title", "title_terms", "title_words")):
            if text_col not in names:
                continue
            texts = batch.column(text_col).to_pylist()
            if terms_col in names:
                offsets, starts, ends = _span_arrays(batch.column(terms_col))
            else:
                offsets, starts, ends = np.zeros(len(texts) + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
            out[words_col] = word_array(segmenter.segment_batch(texts, offsets, starts, ends))
        return out


SEGMENT_READS = ("text", "title", "terms", "title_terms")


def _span_arrays(column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets, starts and ends (int64) of a list<struct<start, end, ...>> column."""
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = column.offsets.to_numpy().astype(np.int64)
    values = column.flatten()
    starts = values.field("start").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    ends = values.field("end").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return offsets - offsets[0], starts, ends


def word_array(words: Words):
    """The list<WORD> Arrow array of a batch's words, built from the flat arrays."""
    import pyarrow as pa

    from corpusctl.io.columns import WORD

    values = pa.StructArray.from_arrays(
        [pa.array(words.starts, pa.int32()), pa.array(words.ends, pa.int32()), pa.array(words.pos, pa.int8())],
        fields=list(WORD))
    return pa.ListArray.from_arrays(pa.array(words.offsets, pa.int32()), values, type=pa.list_(WORD))


def summary(config: SegmentConfig, user_words: Sequence) -> dict:
    """The manifest's `segment` entry: what segmented the corpus, with which dictionary and versions."""
    package = {"jieba": "jieba", "rjieba": "rjieba", "pkuseg": "spacy-pkuseg"}[config.backend]
    info: dict = {"backend": config.backend, "backend_version": _version(package), "pos": config.pos,
                  "hmm": config.hmm, "user_words": len(merge_user_words(user_words)), "upos": UPOS}
    if config.backend == "pkuseg" and config.model is not None:
        info["model"] = str(config.model)
        info_file = Path(config.model) / INFO_FILE
        if info_file.is_file():
            info["model_info"] = json.loads(info_file.read_text(encoding="utf-8"))
    return info


# -- gold data, evaluation, agreement ---------------------------------------------------------------------

_TAGGED = re.compile(r"(.+)/([A-Za-z]{1,5})")


def parse_gold_line(line: str) -> list[tuple[str, str | None]]:
    """Words of a gold line (SIGHAN: words separated by whitespace), with their tag when written `word/tag`."""
    out: list[tuple[str, str | None]] = []
    for token in line.split():
        if token.startswith("[") and len(token) > 1:
            token = token[1:]  # People's Daily compound brackets: [中国/ns 政府/n]nt
        token = re.sub(r"\][A-Za-z]+$", "", token)
        match = _TAGGED.fullmatch(token)
        if match and match.group(2) in PKU_TO_UPOS:
            out.append((match.group(1), match.group(2)))
        elif token:
            out.append((token, None))
    return out


def read_gold(path: str | Path) -> list[list[tuple[str, str | None]]]:
    """Non-empty gold sentences of a file; a CorpusctlError when it is missing, not UTF-8 or empty."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusctlError(f"{path}: gold file not found") from None
    except UnicodeDecodeError as exc:
        raise CorpusctlError(f"{path}: gold file is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    sentences = [words for words in map(parse_gold_line, text.lstrip("\ufeff").splitlines()) if words]
    if not sentences:
        raise CorpusctlError(f"{path}: no gold sentences (expected words separated by spaces, one sentence "
                             "per line)")
    return sentences


def word_spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """Character spans of consecutive words, as a set for scoring."""
    spans, cursor = set(), 0
    for word in words:
        spans.add((cursor, cursor + len(word)))
        cursor += len(word)
    return spans


def word_f1(gold: Iterable[Iterable[str]], predicted: Iterable[Iterable[str]]) -> dict:
    """Word-level precision/recall/F1 (SIGHAN scoring): a word counts when both its ends match."""
    hits = n_gold = n_pred = 0
    for g, p in zip(gold, predicted, strict=True):
        gs, ps = word_spans(g), word_spans(p)
        hits += len(gs & ps)
        n_gold += len(gs)
        n_pred += len(ps)
    precision = hits / n_pred if n_pred else 0.0
    recall = hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "gold_words": n_gold, "predicted_words": n_pred}


def evaluate(segmenter: Segmenter, sentences: Sequence[Sequence[tuple[str, str | None]]]) -> dict:
    """Scores a segmenter on gold sentences (as `read_gold` returns them); spaces inside words are dropped."""
    gold = [[word for word, _tag in sentence] for sentence in sentences]
    predicted = [segmenter.words("".join(words)) for words in gold]
    return {"sentences": len(gold), **word_f1(gold, predicted)}


def compare(reference: Sequence[Sequence[Span]], candidate: Sequence[Sequence[Span]]) -> dict:
    """Agreement of two segmentations of the same texts: `identical_share` (texts with identical word
    sequences), `word_f1` (candidate words scored against reference words) and `upos_accuracy` (same UPOS
    on the words both cut alike)."""
    same = same_pos = hits = pos_hits = n_ref = n_cand = 0
    for ref, cand in zip(reference, candidate, strict=True):
        ref_pos = {(s, e): p for s, e, p in ref}
        ref_spans = list(ref_pos)
        cand_spans = [(s, e) for s, e, _ in cand]
        same += ref_spans == cand_spans
        same_pos += list(ref) == list(cand)
        common = [(s, e, p) for s, e, p in cand if (s, e) in ref_pos]
        hits += len(common)
        pos_hits += sum(ref_pos[(s, e)] == p for s, e, p in common)
        n_ref += len(ref_spans)
        n_cand += len(cand_spans)
    precision = hits / n_cand if n_cand else 1.0
    recall = hits / n_ref if n_ref else 1.0
    texts = len(reference)
    return {"texts": texts, "identical_share": round(same / texts, 4) if texts else 1.0,
            "identical_with_pos_share": round(same_pos / texts, 4) if texts else 1.0,
            "word_f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "upos_accuracy": round(pos_hits / hits, 4) if hits else 1.0}


def agreement(texts: Iterable[str], user_words: Iterable[Sequence] = (), pos: bool = True) -> dict:
    """How often rjieba gives jieba's words, with the same user dictionary.

    Plain cut first: `identical_share` (texts whose word sequences are identical) and `word_f1` (rjieba's
    words scored against jieba's). With `pos`, POS mode too, where jieba segments out-of-vocabulary runs
    through its joint word/POS HMM: `pos_identical_share` (same words), `pos_word_f1`, and `upos_accuracy`
    (same UPOS on the words both cut alike).
    """
    texts = [t for t in texts if t and not t.isspace()]
    user_words = merge_user_words(user_words)
    result: dict = {"texts": len(texts), "chars": sum(len(t) for t in texts)}
    for tagged in (False, True) if pos else (False,):
        jieba = Segmenter("jieba", user_words, pos=tagged)
        rjieba = Segmenter("rjieba", user_words, pos=tagged)
        scores = compare([jieba.segment(t) for t in texts], [rjieba.segment(t) for t in texts])
        prefix = "pos_" if tagged else ""
        result[f"{prefix}identical_share"] = scores["identical_share"]
        result[f"{prefix}word_f1"] = scores["word_f1"]
        if tagged:
            result["upos_accuracy"] = scores["upos_accuracy"]
    return result


# -- pkuseg training --------------------------------------------------------------------------------------


class EpochLog(io.StringIO):
    """pkuseg's training log, kept; each `iterN ... f-score=X%` line it prints calls `on_epoch(N + 1, X / 100)`
    as it is written (pkuseg reports progress only by printing)."""

    def __init__(self, on_epoch=None):
        super().__init__()
        self.on_epoch = on_epoch
        self._line = ""

    def write(self, text: str) -> int:
        self._line += text
        *done, self._line = self._line.split("\n")
        for line in done:
            match = re.match(r"iter(\d+)\s.*f-score=([\d.]+)%", line)
            if match and self.on_epoch is not None:
                self.on_epoch(int(match.group(1)) + 1, float(match.group(2)) / 100)
        return super().write(text)


def train_pkuseg(gold: str | Path | Sequence[str | Path], out: str | Path, user_words: Iterable[Sequence] = (),
                 epochs: int = 10, dev: str | Path | None = None, dev_lines: int = 200, on_epoch=None) -> dict:
    """Trains a pkuseg model folder from SIGHAN-format gold text plus the user dictionary.

    Lexicon words join the training data as one-word sentences, so the model's word features know them
    (at run time the same dictionary also forces them whole). Without `dev`, the first `dev_lines` gold
    sentences are scored after each epoch (they are training data too: a sanity check, not a test).
    When the gold file carries `word/tag` tokens (People's Daily style), the most frequent tag of each word
    is saved as `pos.tsv`, which the pkuseg backend uses for POS. Returns what it wrote to `INFO_FILE`.
    `on_epoch(epoch, dev_f1)` is called after each training epoch (for a progress display).
    """
    import spacy_pkuseg

    if epochs < 1:
        raise CorpusctlError(f"epochs must be at least 1, got {epochs}")
    gold_paths = [Path(gold)] if isinstance(gold, (str, Path)) else [Path(g) for g in gold]
    sentences = [s for path in gold_paths for s in read_gold(path)]
    dev_sentences = read_gold(dev) if dev is not None else sentences[:dev_lines]
    user_words = merge_user_words(user_words)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tags: dict[str, Counter] = {}
    for sentence in sentences:
        for word, tag in sentence:
            if tag:
                tags.setdefault(word, Counter())[tag] += 1

    log = EpochLog(on_epoch)
    with tempfile.TemporaryDirectory(prefix="corpusctl-pkuseg-") as tmp:
        train_file, dev_file = Path(tmp) / "train.txt", Path(tmp) / "dev.txt"
        lines = [" ".join(word for word, _ in s) for s in sentences]
        lines += [word for word, _freq, _pos in user_words if not any(c.isspace() for c in word)]
        train_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        dev_file.write_text("\n".join(" ".join(w for w, _ in s) for s in dev_sentences) + "\n", encoding="utf-8")
        with contextlib.redirect_stdout(log):
            spacy_pkuseg.train(str(train_file), str(dev_file), str(out), train_iter=epochs)
    scores = [float(m.group(1)) / 100 for m in re.finditer(r"f-score=([\d.]+)%", log.getvalue())]
    if tags:
        rows = sorted((word, counts.most_common(1)[0][0]) for word, counts in tags.items())
        (out / POS_TABLE_FILE).write_text("".join(f"{w}\t{t}\n" for w, t in rows), encoding="utf-8")
    info = {
        "gold": [str(p) for p in gold_paths], "sentences": len(sentences),
        "words": sum(len(s) for s in sentences), "lexicon_words": len(user_words), "epochs": epochs,
        "dev": str(dev) if dev is not None else f"first {len(dev_sentences)} gold sentences (seen in training)",
        "dev_f1_by_epoch": scores, "pos_table": bool(tags), "spacy_pkuseg": _version("spacy-pkuseg"),
    }
    (out / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


@register
class Segment(Stage):
    """Words and POS of every example, each ontology or lexicon term kept as one word."""

    name = "segment"
    section = "segment"
    reads = list(SEGMENT_READS)
    writes = ["words", "title_words"]
    arrow = True
    manifest_key = "segment"

    def _user_words(self) -> list:
        from corpusctl.ontology import segmenter_terms

        ontology_dir = self.recipe.ontology.dir if self.recipe.ontology.enabled else None
        return segmenter_terms(ontology_dir, list(self.settings_section.lexicons))

    def files(self) -> list[Path]:
        from corpusctl.stages.ontology import term_files

        return term_files(self.recipe)

    def function(self):
        return SegmentStage(self.settings_section, self._user_words())

    def summary(self, ctx, checkpoint) -> dict:
        return summary(self.settings_section, self._user_words())
