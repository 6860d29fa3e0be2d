"""Tokenization with per-token word/term/POS/sentence metadata, with the vocabulary of stages/vocab.py."""

from __future__ import annotations

import json
import re
from typing import NamedTuple

import numpy as np

from corpusctl.stages.base import Stage, register

# -- tokenizing a batch ------------------------------------------------------------------------------------

_DROPPED, _SPACE, _ALONE, _WORD, _ODD, _ADDED = range(6)
_TEMPLATE = {  # the post-processor `_configure` sets: TokenizeStage lays tokens out this way

    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
             {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
             {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
}


class Tokens(NamedTuple):
    """Tokens of a batch of texts, without special tokens: row i's are [offsets[i], offsets[i+1]) of `at` (the
    character offset where the token starts in its text) and `ids`."""

    offsets: np.ndarray
    at: np.ndarray
    ids: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def _tokens(rows: np.ndarray, at: np.ndarray, ids: np.ndarray, n_rows: int) -> Tokens:
    """Tokens from per-token row numbers (tokens of a row in order, rows in any order)."""
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=offsets[1:])
    return Tokens(offsets, at[order].astype(np.int64), ids[order].astype(np.int64))


class BertWordPiece:
    """The tokenization `_configure` sets up (BERT normalizer and pre-tokenizer, WordPiece), for a whole batch
    of texts with numpy: what `tokenizers` gives, at a fraction of its cost on CJK text.

    Each character is classified once per process by asking the tokenizer's own normalizer and
    pre-tokenizer, so the Unicode tables are exactly those of `tokenizers`: dropped (control characters),
    whitespace, alone (CJK ideographs, which the normalizer pads with spaces; punctuation, which the
    pre-tokenizer splits off) or part of a word. A character alone or a one-character word is one vocabulary
    lookup (numpy); longer words (Latin, numbers: a few per cent of a Chinese corpus) go through WordPiece in
    Python, cached. Added tokens (specials, privacy placeholders) are matched in the raw text first, longest
    at the leftmost position, as `tokenizers` does. Texts with a character none of these classes describes
    are reported back, for `tokenizers` to encode.
    """

    def __init__(self, tokenizer, config: dict):
        model = config["model"]
        self.vocab: dict[str, int] = model["vocab"]
        self.unk = self.vocab[model["unk_token"]]
        self.prefix: str = model["continuing_subword_prefix"]
        self.max_chars: int = model["max_input_chars_per_word"]
        self.added = {token["content"]: token["id"] for token in config["added_tokens"]}
        ordered = sorted(self.added, key=len, reverse=True)
        self.added_re = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self.added_first = {token[0] for token in ordered}
        self.normalizer, self.pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
        self.classes = np.full(0x110000, -1, dtype=np.int8)
        self.char_ids = np.zeros(0x110000, dtype=np.int32)
        self.words: dict[str, list[tuple[int, int]]] = {}

    @classmethod
    def of(cls, tokenizer) -> BertWordPiece | None:
        """The batch tokenizer for a tokenizer set up by `_configure`; None for any other set-up."""
        config = json.loads(tokenizer.to_str())
        model = config.get("model") or {}
        if (config.get("normalizer") != {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                                         "strip_accents": False, "lowercase": False}
                or config.get("pre_tokenizer") != {"type": "BertPreTokenizer"}
                or model.get("type") != "WordPiece" or model.get("unk_token") not in model.get("vocab", {})
                or any(t["single_word"] or t["lstrip"] or t["rstrip"] or t["normalized"] for t in config["added_tokens"])):
            return None
        return cls(tokenizer, config)

    def _classify(self, codes: np.ndarray) -> np.ndarray:
        classes = self.classes[codes]
        unknown = classes < 0
        if unknown.any():
            for code in np.unique(codes[unknown]).tolist():
                self._learn(code)
            classes = self.classes[codes]
        return classes

    def _learn(self, code: int) -> None:
        char = chr(code)
        try:
            normalized = self.normalizer.normalize_str(char)
            pieces = [piece for piece, _span in self.pre_tokenizer.pre_tokenize_str(f"a{char}a")]
        except Exception:  # a lone surrogate: not even `tokenizers` takes it
            normalized, pieces = None, None
        if normalized == "":
            kind = _DROPPED
        elif normalized == " ":
            kind = _SPACE
        elif normalized == f" {char} ":
            kind = _ALONE
        elif normalized == char and pieces == ["a", char, "a"]:
            kind = _ALONE
        elif normalized == char and pieces == [f"a{char}a"]:
            kind = _WORD
        else:
            kind = _ODD
        self.char_ids[code] = self.vocab.get(char, self.unk)
        self.classes[code] = kind

    def _wordpiece(self, word: str) -> list[tuple[int, int]]:
        """(character offset, id) of a word's pieces: greedy longest match first, [UNK] for the whole word when
        some part matches nothing or the word is too long (WordPiece as `tokenizers` implements it)."""
        found = self.words.get(word)
        if found is not None:
            return found
        if len(self.words) > 100_000:
            self.words.clear()
        pieces: list[tuple[int, int]] = []
        start = 0
        while start < len(word) and len(word) <= self.max_chars:
            for end in range(len(word), start, -1):
                token = self.vocab.get(word[start:end] if start == 0 else self.prefix + word[start:end])
                if token is not None:
                    pieces.append((start, token))
                    start = end
                    break
            else:
                break
        if start < len(word):
            pieces = [(0, self.unk)]
        self.words[word] = pieces
        return pieces

    def tokenize(self, texts: list[str]) -> tuple[Tokens, np.ndarray]:
        """The tokens of each text (no special tokens) and a mask of the texts left to `tokenizers` (odd
        characters); the texts are joined with newlines and handled as one string."""
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        row_start = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=row_start[1:])
        joined = "\n".join(texts) + "\n"
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        classes = self._classify(codes)
        at_parts, id_parts = [], []
        if self.added_re is not None and any(first in joined for first in self.added_first):
            found = [(m.start(), m.end(), self.added[m.group()]) for m in self.added_re.finditer(joined)]
            if found:
                start, end, ids = (np.array(column, dtype=np.int64) for column in zip(*found, strict=True))
                inside = np.zeros(len(codes) + 1, dtype=np.int32)
                np.add.at(inside, start, 1)
                np.add.at(inside, end, -1)
                classes = np.where(np.cumsum(inside[:-1]) > 0, _ADDED, classes)
                at_parts.append(start)
                id_parts.append(ids)
        odd = np.zeros(len(texts), dtype=bool)
        odd[np.searchsorted(row_start, np.flatnonzero(classes == _ODD), side="right") - 1] = True
        kept = np.flatnonzero(classes != _DROPPED)  # dropped characters join their neighbours
        kept_classes = classes[kept]
        edges = np.diff(np.concatenate([[0], (kept_classes == _WORD).view(np.int8), [0]]))
        run_start, run_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        short = run_end - run_start == 1
        alone = kept[np.concatenate([np.flatnonzero(kept_classes == _ALONE), run_start[short]])]
        at_parts.append(alone)
        id_parts.append(self.char_ids[codes[alone]])
        if not short.all():
            text = codes[kept].tobytes().decode("utf-32-le", "surrogatepass")
            pieces = [(a + offset, token) for a, b in zip(run_start[~short].tolist(), run_end[~short].tolist(),
                                                          strict=True)
                      for offset, token in self._wordpiece(text[a:b])]
            at_parts.append(kept[np.array([a for a, _token in pieces], dtype=np.int64)])
            id_parts.append(np.array([token for _a, token in pieces], dtype=np.int64))
        at, ids = np.concatenate(at_parts), np.concatenate(id_parts)
        order = np.argsort(at, kind="stable")
        at, ids = at[order], ids[order]
        rows = np.searchsorted(row_start, at, side="right") - 1
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=offsets[1:])
        return Tokens(offsets, at - row_start[rows], ids), odd


def _spans(column, pos: bool = False) -> tuple[np.ndarray, ...]:
    """Offsets, starts and ends (and pos) of a list<struct<start, end, ...>> Arrow column, as numpy."""
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = column.offsets.to_numpy().astype(np.int64)
    values = column.flatten()
    fields = ("start", "end", "pos") if pos else ("start", "end")
    arrays = [values.field(name).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64) for name in fields]
    return (offsets - offsets[0], *arrays)


def _char_index(lengths: np.ndarray, offsets: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per character of each text (plus one past its end; texts one after the other): the index of the span
    covering it in the flat span arrays, -1 where none does. Spans are clipped to their text; where a text's
    spans overlap or are unsorted, the later span wins."""
    rows = lengths.size
    base = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=base[1:])
    index = np.full(int(base[-1]), -1, dtype=np.int64)
    row = np.repeat(np.arange(rows), np.diff(offsets))
    limit = lengths[row] + 1
    starts, ends = np.clip(starts, 0, limit), np.clip(ends, 0, limit)
    same_row = row[1:] == row[:-1]
    messy = np.unique(row[1:][same_row & (starts[1:] < ends[:-1])])
    tidy = ~np.isin(row, messy)
    size = np.where(tidy, np.maximum(ends - starts, 0), 0)
    first = np.repeat(base[row] + starts - (np.cumsum(size) - size), size)
    index[np.arange(int(size.sum())) + first] = np.repeat(np.arange(row.size), size)
    for r in messy.tolist():
        for number in range(offsets[r], offsets[r + 1]):
            index[base[r] + starts[number]:base[r] + ends[number]] = number
    return index


class _Lookup:
    """Which span of a span column covers each token: ids relative to the row, plus a per-row offset."""

    def __init__(self, lengths: np.ndarray, column, pos: bool = False):
        offsets, starts, ends, *rest = _spans(column, pos)
        self.offsets = offsets
        self.pos = rest[0] if pos else None
        self.at = _char_index(lengths, offsets, starts, ends)
        self.base = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=self.base[1:])

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def find(self, rows: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Flat index of the span covering each token (-1 none)."""
        return self.at[self.base[rows] + at]

    def ids(self, found: np.ndarray, rows: np.ndarray, shift: np.ndarray) -> np.ndarray:
        return np.where(found >= 0, found - self.offsets[rows] + shift[rows], -1)


def _list_array(offsets: np.ndarray, values: np.ndarray, dtype) -> object:
    import pyarrow as pa

    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values.astype(dtype, copy=False)))


TOKEN_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask", "length", "num_words",
                 "report_words", "word_ids", "term_ids", "pos_ids", "sentence_ids", "_events")
"""What the stage adds to an example (the build carries the example's other columns over unchanged)."""

TOKENIZE_READS = ("format", "title", "text", "words", "title_words", "terms", "title_terms", "sentences",
                  "report_chars")


def report_words(num_words: np.ndarray, example_chars: np.ndarray, batch) -> np.ndarray:
    """Words of the report each example was cut from: its own words when it is the whole report, else its
    words scaled by the report's characters over its own (`report_chars`, written by the format stage), so
    every window of a long report has about the report's length in words. The mask ratio band follows it."""
    if "report_chars" not in batch.schema.names:
        return num_words
    report = batch.column("report_chars").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    scaled = np.rint(num_words * report / np.maximum(example_chars, 1)).astype(np.int64)
    return np.where(report > example_chars, np.maximum(scaled, num_words), num_words)


class TokenizeStage:
    """Encodes examples and carries word, term, POS and sentence ids onto every token.

    Takes an Arrow record batch (or a dict of columns) and returns the TOKEN_COLUMNS. The whole batch is
    tokenized at once (`BertWordPiece`; `tokenizers` itself for the few texts it does not model and for
    examples that need truncating), and every per-token lookup is a numpy index over the whole batch.
    """

    def __init__(self, tokenizer_json: str, max_seq_len: int, upos: list[str]):
        self.tokenizer_json = tokenizer_json
        self.max_seq_len = max_seq_len
        self.upos = upos
        self._tokenizer = None
        self._fast = None

    def __getstate__(self):
        return {**self.__dict__, "_tokenizer": None, "_fast": None}

    def _load(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_str(self.tokenizer_json)
            post = json.loads(self.tokenizer_json).get("post_processor") or {}
            if {key: post.get(key) for key in _TEMPLATE} != _TEMPLATE:
                raise ValueError("the tokenizer's post-processor is not `[CLS] $A [SEP] ($B [SEP])` (see _configure)")
            tokenizer.enable_truncation(self.max_seq_len, strategy="only_second")
            self._tokenizer, self._fast = tokenizer, BertWordPiece.of(tokenizer)
        return self._tokenizer, self._fast

    def _encode(self, pair: np.ndarray, titles: list[str], texts: list[str]) -> tuple[Tokens, Tokens, np.ndarray]:
        """Title tokens (pair rows) and text tokens of every row, and which rows were truncated."""
        tokenizer, fast = self._load()
        rows = len(texts)
        slow = np.ones(rows, dtype=bool)
        title_tokens = text_tokens = None
        if fast is not None:
            title_tokens, odd_title = fast.tokenize(titles)
            text_tokens, odd_text = fast.tokenize(texts)
            length = title_tokens.counts + text_tokens.counts + np.where(pair, 3, 2)
            slow = odd_title | odd_text | (length > self.max_seq_len)
        truncated = np.zeros(rows, dtype=bool)
        if fast is not None and not slow.any():
            return title_tokens, text_tokens, truncated
        # The rest through `tokenizers` (which also truncates): its tokens replace those rows' tokens.
        which = np.flatnonzero(slow)
        encodings = tokenizer.encode_batch([(titles[r], texts[r]) if pair[r] else texts[r] for r in which.tolist()])
        parts: dict[bool, list] = {False: [], True: []}  # is title: (row, at, id) per token
        for r, encoding in zip(which.tolist(), encodings, strict=True):
            truncated[r] = bool(encoding.overflowing)
            for sequence, (start, _end), token in zip(encoding.sequence_ids, encoding.offsets, encoding.ids,
                                                      strict=True):
                if sequence is not None:
                    parts[bool(pair[r]) and sequence == 0].append((r, start, token))
        merged = []
        for is_title in (True, False):
            old = title_tokens if is_title else text_tokens
            found = np.array(parts[is_title], dtype=np.int64).reshape(-1, 3)
            row, at, ids = found[:, 0], found[:, 1], found[:, 2]
            if old is not None:
                old_rows = np.repeat(np.arange(rows), old.counts)
                keep = ~slow[old_rows]
                row = np.concatenate([old_rows[keep], row])
                at, ids = np.concatenate([old.at[keep], at]), np.concatenate([old.ids[keep], ids])
            merged.append(_tokens(row, at, ids, rows))
        return merged[0], merged[1], truncated

    def __call__(self, batch) -> dict:
        import pyarrow as pa

        if isinstance(batch, dict):
            from corpusctl.io.columns import to_record_batch

            batch = to_record_batch({name: batch[name] for name in TOKENIZE_READS if name in batch})
        pair = np.array([f == "title_content" for f in batch.column("format").to_pylist()], dtype=bool)
        texts = [text or "" for text in batch.column("text").to_pylist()]
        titles = [(title or "") if is_pair else "" for title, is_pair in
                  zip(batch.column("title").to_pylist(), pair.tolist(), strict=True)]
        title_tokens, text_tokens, truncated = self._encode(pair, titles, texts)
        tokenizer, _fast = self._load()
        cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")

        # Layout per row: [CLS] text [SEP], or [CLS] title [SEP] text [SEP] (type 1 from the text on).
        n_title, n_text = title_tokens.counts, text_tokens.counts
        length = n_title + n_text + np.where(pair, 3, 2)
        offsets = np.zeros(pair.size + 1, dtype=np.int64)
        np.cumsum(length, out=offsets[1:])
        total = int(offsets[-1])
        ids = np.full(total, sep, dtype=np.int64)
        ids[offsets[:-1]] = cls
        type_ids = np.zeros(total, dtype=np.int8)
        special = np.ones(total, dtype=bool)
        title_rows = np.repeat(np.arange(pair.size), n_title)
        text_rows = np.repeat(np.arange(pair.size), n_text)
        title_at = offsets[:-1][title_rows] + 1 + (np.arange(title_rows.size) - title_tokens.offsets[:-1][title_rows])
        text_first = offsets[:-1] + 1 + np.where(pair, n_title + 1, 0)
        text_at = text_first[text_rows] + (np.arange(text_rows.size) - text_tokens.offsets[:-1][text_rows])
        ids[title_at], ids[text_at] = title_tokens.ids, text_tokens.ids
        special[title_at] = special[text_at] = False
        type_ids[text_at[pair[text_rows]]] = 1
        type_ids[offsets[1:][pair] - 1] = 1

        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        title_lengths = np.fromiter(map(len, titles), np.int64, len(titles))
        words = _Lookup(lengths, batch.column("words"), pos=True)
        title_words = _Lookup(title_lengths, batch.column("title_words"), pos=True)
        terms, title_terms = _Lookup(lengths, batch.column("terms")), _Lookup(title_lengths, batch.column("title_terms"))
        sentences = _Lookup(lengths, batch.column("sentences"))
        n_title_words = np.where(pair, title_words.counts(), 0)
        n_title_terms = np.where(pair, title_terms.counts(), 0)
        no_shift = np.zeros(pair.size, dtype=np.int64)
        x_pos = self.upos.index("X")

        word_ids = np.full(total, -1, dtype=np.int64)
        term_ids = np.full(total, -1, dtype=np.int64)
        sentence_ids = np.full(total, -1, dtype=np.int64)
        pos_ids = np.full(total, x_pos, dtype=np.int8)
        for lookup_words, lookup_terms, rows, at, where, word_shift, term_shift in (
                (title_words, title_terms, title_rows, title_tokens.at, title_at, no_shift, no_shift),
                (words, terms, text_rows, text_tokens.at, text_at, n_title_words, n_title_terms)):
            found = lookup_words.find(rows, at)
            word_ids[where] = lookup_words.ids(found, rows, word_shift)
            pos_ids[where[found >= 0]] = lookup_words.pos[found[found >= 0]]
            term_ids[where] = lookup_terms.ids(lookup_terms.find(rows, at), rows, term_shift)
        sentence_ids[title_at] = 0  # the title is sentence 0
        sentence_ids[text_at] = sentences.ids(sentences.find(text_rows, text_tokens.at), text_rows, pair.astype(np.int64))

        return {
            "input_ids": _list_array(offsets, ids, np.int32),
            "attention_mask": _list_array(offsets, np.ones(total, dtype=np.int8), np.int8),
            "token_type_ids": _list_array(offsets, type_ids, np.int8),
            "special_tokens_mask": _list_array(offsets, special.astype(np.int8), np.int8),
            "word_ids": _list_array(offsets, word_ids, np.int32),
            "term_ids": _list_array(offsets, term_ids, np.int32),
            "pos_ids": _list_array(offsets, pos_ids, np.int8),
            "sentence_ids": _list_array(offsets, sentence_ids, np.int32),
            "length": pa.array(length.astype(np.int32)),
            "num_words": pa.array((n_title_words + words.counts()).astype(np.int32)),
            "report_words": pa.array(report_words(n_title_words + words.counts(), title_lengths + lengths,
                                                  batch).astype(np.int32)),
            "_events": [["tokenize.truncated"] if t else [] for t in truncated.tolist()],
        }


@register
class Tokenize(Stage):
    """Input ids and the word, term, POS and sentence ids the masking reads."""

    name = "tokenize"
    section = "format"
    needs = ("vocab",)
    reads = list(TOKENIZE_READS)
    arrow = True

    @classmethod
    def enabled(cls, recipe) -> bool:
        return True

    def columns(self):
        from corpusctl.stages.fusion import fusion_columns

        carries = ["id", "source", "kind", "domain", "format", "title", "text", "priority", "terms", "title_terms",
                   "sentences", *fusion_columns(self.recipe)]
        return self.reads, None, carries

    def settings(self) -> list:
        from corpusctl.manifest import sha256_text

        return [self.settings_section.max_seq_len, sha256_text(self.results["vocab"].to_str())[:16]]

    def function(self):
        from corpusctl.segmenter.pos import UPOS

        return TokenizeStage(self.results["vocab"].to_str(), self.settings_section.max_seq_len, list(UPOS))
