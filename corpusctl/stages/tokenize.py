"""Vocabulary and tokenization with per-token word/term/POS/sentence metadata.

The vocabulary is BERT-style (bert-base-chinese): every CJK character is its own token, other text is
split into WordPiece units, and the special tokens are `[PAD] [UNK] [CLS] [SEP] [MASK]`, followed by the
privacy placeholders so that `[PERSON]` is one token, never split into characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from pydantic import Field

from corpusctl.config import RecipePath, Section
from corpusctl.errors import CorpusctlError
from corpusctl.stages.base import GlobalStep, Stage, register

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class VocabConfig(Section):
    """A required step: no `enabled` key (it cannot be switched off)."""

    path: RecipePath | None = None
    """An existing vocab.txt to use instead of building one from the corpus."""
    size: int = Field(21128, ge=16)
    min_frequency: int = Field(1, ge=1)
    train_chars: int | None = Field(10_000_000, ge=1)
    """Characters of examples the WordPiece merges are learnt from: a deterministic sample by example id when
    the corpus holds more (the trainer's time grows with its input). Every character of the corpus is in
    the vocabulary either way. None: learn from every example."""


def _configure(tokenizer, placeholders: list[str]) -> None:
    from tokenizers import AddedToken, normalizers, pre_tokenizers, processors

    # No lowercasing or accent stripping: decoding the ids must give back the clean text.
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.add_special_tokens([AddedToken(t, normalized=False) for t in SPECIAL_TOKENS])
    tokenizer.add_tokens([AddedToken(t, normalized=False, single_word=False) for t in placeholders])
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    from tokenizers import decoders

    tokenizer.decoder = decoders.WordPiece(prefix="##")


def train_tokenizer(texts: Iterable[str] | Callable[[], Iterable[str]], config: VocabConfig, placeholders: list[str],
                    alphabet: Iterable[str] | None = None):
    """Train a WordPiece vocabulary on the corpus, deterministically (streams the texts; holds only counts).

    `tokenizers`' trainer numbers the `##x` continuation pieces in hash-map order, which changes from process
    to process and, through its tie-breaking, which merges win (huggingface/tokenizers#1794): the same corpus
    gave different vocabularies. So a first pass lists every character that may continue a word and hands
    the `##` pieces to the trainer in sorted order; then no id depends on hash order. Pass a zero-argument
    callable (or a re-iterable) so the texts can be streamed twice; a one-shot iterator is held in memory.
    `alphabet`: the characters of the whole corpus when `texts` is a sample of it; each becomes a token
    (and a `##` piece where it may continue a word), so no character of the corpus is unknown.
    """
    from tokenizers import Tokenizer, models, trainers

    if callable(texts):
        passes = texts
    elif iter(texts) is texts:  # a one-shot iterator: keep it so it can be read twice
        kept = list(texts)
        passes = lambda: kept  # noqa: E731
    else:
        passes = lambda: texts  # noqa: E731
    alphabet = sorted(set(alphabet)) if alphabet is not None else None
    pieces = [f"##{c}" for c in continuation_chars(alphabet if alphabet is not None else passes())]
    trainer = trainers.WordPieceTrainer(
        vocab_size=config.size,
        min_frequency=config.min_frequency,
        special_tokens=SPECIAL_TOKENS + placeholders + pieces,
        initial_alphabet=[c for c in alphabet or () if _may_stand_alone(c)],
        show_progress=False,
    )
    trained = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    _configure(trained, [])
    trained.train_from_iterator(passes(), trainer=trainer)
    # The trainer registered the pieces as special added tokens; keep only its vocabulary.
    tokenizer = Tokenizer(models.WordPiece(vocab=trained.get_vocab(with_added_tokens=True), unk_token="[UNK]"))
    _configure(tokenizer, placeholders)
    return tokenizer


# CJK ideographs the BERT normalizer isolates (handle_chinese_chars): they never continue a word.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
               (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _may_continue_word(char: str) -> bool:
    """False only for characters the BERT normalizer/pre-tokenizer never leaves inside a word: controls and
    whitespace (removed or split on), punctuation (split off alone) and CJK ideographs (isolated)."""
    code = ord(char)
    if unicodedata.category(char)[0] in "CZP":
        return False
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return False
    return not any(low <= code <= high for low, high in _CJK_RANGES)


def _may_stand_alone(char: str) -> bool:
    """A character the normalizer keeps (not whitespace or a control character, which it removes or splits on)."""
    return unicodedata.category(char)[0] not in "CZ"


def continuation_chars(texts: Iterable[str]) -> list[str]:
    """Sorted characters that may follow another inside a word (a superset: a few never will)."""
    seen: set[str] = set()
    for text in texts:
        seen.update(text)
    return sorted(c for c in seen if _may_continue_word(c))


def load_vocab_tokenizer(vocab_path: Path, placeholders: list[str]):
    """A tokenizer over a given vocab.txt; placeholders missing from it are appended (and written out)."""
    from tokenizers import Tokenizer, models

    try:
        tokens = [line.rstrip("\n") for line in vocab_path.read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise CorpusctlError(f"vocab.path {vocab_path}: cannot read: {exc.strerror or exc}") from None
    missing = [t for t in SPECIAL_TOKENS if t not in tokens]
    if missing:
        raise CorpusctlError(f"vocab.path {vocab_path}: missing special tokens {', '.join(missing)}")
    tokens += [p for p in placeholders if p not in tokens]
    vocab = {token: index for index, token in enumerate(tokens)}
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    _configure(tokenizer, placeholders)
    return tokenizer


def save_tokenizer(tokenizer, out_dir: Path) -> None:
    """Write vocab.txt (line number = id) and tokenizer.json."""
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    if any(t is None for t in tokens):
        raise RuntimeError("vocabulary ids are not contiguous")
    (out_dir / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    tokenizer.save(str(out_dir / "tokenizer.json"))


def hf_tokenizer_config(model_max_length: int) -> dict[str, dict]:
    """tokenizer_config.json and special_tokens_map.json, so the output folder is a Hugging Face tokenizer
    folder: `AutoTokenizer.from_pretrained(OUT)` then loads tokenizer.json with its full vocabulary and knows
    which tokens are [MASK] and [PAD] (without them transformers 5 builds a 5-token vocabulary from vocab.txt)."""
    special = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
               "mask_token": "[MASK]"}
    config = {"tokenizer_class": "BertTokenizerFast", "do_lower_case": False, "tokenize_chinese_chars": True,
              "strip_accents": False, "model_max_length": model_max_length, "padding_side": "right",
              "clean_up_tokenization_spaces": False, **special}
    return {"tokenizer_config.json": config, "special_tokens_map.json": special}


def write_hf_tokenizer_files(out_dir: Path, model_max_length: int) -> None:
    for name, content in hf_tokenizer_config(model_max_length).items():
        (out_dir / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def decode_ids(ids: Iterable[int], vocab: list[str]) -> str:
    """Text back from ids: CJK tokens join directly, `##` pieces join their word, specials are dropped."""
    out: list[str] = []
    for index in ids:
        token = vocab[index]
        if token in SPECIAL_TOKENS:
            continue
        out.append(token[2:] if token.startswith("##") else token)
    return "".join(out)


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


# -- the registered steps ---------------------------------------------------------------------------------


def placeholders(recipe) -> list[str]:
    """The PII placeholders the vocabulary keeps whole (none when the scrub is off)."""
    if not (recipe.clean.enabled and recipe.clean.pii.enabled):
        return []
    from corpusctl.stages.pii import placeholders as pii_placeholders

    return pii_placeholders(recipe.clean.pii)


def make_vocabulary(config, examples: Path, marks: list[str], out: Path, seed: int, counter=None) -> dict:
    """Train a WordPiece vocabulary on the examples (streamed), or load config.path; saved into `out`.

    The merges are learnt from a sample of about `config.train_chars` characters, chosen by a hash of
    (seed, example id); the first pass collects every character, so all of them are in the vocabulary."""
    from corpusctl.io.workdir import counted, read_batches
    from corpusctl.stages import stable_hash

    if config.path:
        tokenizer = load_vocab_tokenizer(Path(config.path), marks)
        save_tokenizer(tokenizer, out)
        return {"size": tokenizer.get_vocab_size(with_added_tokens=True), "source": str(config.path),
                "placeholders": marks}
    alphabet: set[str] = set()
    chars = 0
    for batch in counted(read_batches(examples, 256), counter):
        for text in batch.column("title").to_pylist() + batch.column("text").to_pylist():
            alphabet.update(text)
            chars += len(text)
    share = 1.0 if config.train_chars is None else min(1.0, config.train_chars / max(chars, 1))
    below = int(share * 2**64)

    def sample():
        for batch in counted(read_batches(examples, 256), counter):
            columns = batch.select(["id", "title", "text"]).to_pydict()
            for row_id, title, text in zip(*columns.values(), strict=True):
                if share == 1.0 or stable_hash(seed, "vocab", row_id) < below:
                    if title:
                        yield title
                    yield text

    tokenizer = train_tokenizer(sample, config, marks, alphabet=alphabet)
    save_tokenizer(tokenizer, out)
    return {"size": tokenizer.get_vocab_size(with_added_tokens=True), "source": "trained", "placeholders": marks,
            "corpus_chars": chars, "trained_on_share": round(share, 4)}


@register
class Vocab(GlobalStep):
    """The WordPiece vocabulary, trained on the examples (or the recipe's vocab.txt) in a process of its own
    while segmentation runs; its result is the tokenizer, copied with vocab.txt into the output."""

    name = "vocab"
    section = "vocab"
    input = "format"
    background = True
    applies = False
    manifest_key = "vocab"
    counter = None

    def settings(self) -> list:
        return [*super().settings(), placeholders(self.recipe), self.recipe.seed]

    def files(self) -> list[Path]:
        return [self.settings_section.path] if self.settings_section.path else []

    def progress_total(self, ctx, source) -> int | None:
        rows = ctx.stats.get(source.name, {}).get("docs_out")
        return None if self.settings_section.path or rows is None else 2 * rows

    def plan(self, ctx, measured, checkpoint) -> tuple[None, dict]:
        return None, make_vocabulary(self.settings_section, measured.data, placeholders(self.recipe),
                                     checkpoint.dir, self.recipe.seed, self.counter)

    def result(self, ctx, checkpoint, plan):
        import shutil

        from tokenizers import Tokenizer

        for name in ("vocab.txt", "tokenizer.json"):
            shutil.copyfile(checkpoint.dir / name, ctx.final / name)
        write_hf_tokenizer_files(ctx.final, self.recipe.format.max_seq_len)
        return Tokenizer.from_file(str(checkpoint.dir / "tokenizer.json"))

    def summary(self, ctx, checkpoint) -> dict:
        return ctx.stats["vocab"]


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
        from corpusctl.stages.segment import UPOS

        return TokenizeStage(self.results["vocab"].to_str(), self.settings_section.max_seq_len, list(UPOS))
