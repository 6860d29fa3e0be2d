"""The three segmenter backends (jieba, rjieba, pkuseg) and the user dictionary they share."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterable, Sequence
from operator import itemgetter
from pathlib import Path

import numpy as np

from corpusctl.errors import CorpusctlError
from corpusctl.segmenter.pos import (
    _NON_SPACE,
    JIEBA_TO_UPOS,
    PKU_TO_UPOS,
    UPOS,
    UserWord,
    _char_class,
    _UposMapper,
    to_upos,
)

USER_FREQ_FLOOR = 100
"""Minimum dictionary frequency of a user word (see the module docstring)."""


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
