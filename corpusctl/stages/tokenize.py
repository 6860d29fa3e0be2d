"""Vocabulary and tokenization with per-token word/term/POS/sentence metadata.

The vocabulary is BERT-style (bert-base-chinese): every CJK character is its own token, other text is
split into WordPiece units, and the special tokens are `[PAD] [UNK] [CLS] [SEP] [MASK]`, followed by the
privacy placeholders so that `[PERSON]` is one token, never split into characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from pydantic import Field

from corpusctl.config import RecipePath, Section
from corpusctl.errors import CorpusctlError

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class VocabConfig(Section):
    """A required step: no `enabled` key (it cannot be switched off)."""

    path: RecipePath | None = None
    """An existing vocab.txt to use instead of building one from the corpus."""
    size: int = Field(21128, ge=16)
    min_frequency: int = Field(1, ge=1)


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


def train_tokenizer(texts: Iterable[str] | Callable[[], Iterable[str]], config: VocabConfig, placeholders: list[str]):
    """Train a WordPiece vocabulary on the corpus, deterministically (streams the texts; holds only counts).

    `tokenizers`' trainer numbers the `##x` continuation pieces in hash-map order, which changes from process
    to process and, through its tie-breaking, which merges win (huggingface/tokenizers#1794): the same corpus
    gave different vocabularies. So a first pass lists every character that may continue a word and hands
    the `##` pieces to the trainer in sorted order; then no id depends on hash order. Pass a zero-argument
    callable (or a re-iterable) so the texts can be streamed twice; a one-shot iterator is held in memory.
    """
    from tokenizers import Tokenizer, models, trainers

    if callable(texts):
        passes = texts
    elif iter(texts) is texts:  # a one-shot iterator: keep it so it can be read twice
        kept = list(texts)
        passes = lambda: kept  # noqa: E731
    else:
        passes = lambda: texts  # noqa: E731
    pieces = [f"##{c}" for c in continuation_chars(passes())]
    trainer = trainers.WordPieceTrainer(
        vocab_size=config.size,
        min_frequency=config.min_frequency,
        special_tokens=SPECIAL_TOKENS + placeholders + pieces,
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


def decode_ids(ids: Iterable[int], vocab: list[str]) -> str:
    """Text back from ids: CJK tokens join directly, `##` pieces join their word, specials are dropped."""
    out: list[str] = []
    for index in ids:
        token = vocab[index]
        if token in SPECIAL_TOKENS:
            continue
        out.append(token[2:] if token.startswith("##") else token)
    return "".join(out)


def _span_index(length: int, starts: np.ndarray, ends: np.ndarray, offset: int = 0) -> np.ndarray:
    """Per character (plus one past the end): index (plus offset) of the span covering it, -1 where none does.

    Spans come as arrays of starts and ends; where they overlap, the later span wins.
    """
    index = np.full(length + 1, -1, dtype=np.int32)
    n = starts.size
    if n == 0:
        return index
    if starts.min() < 0 or ends.max() > length + 1:  # slices clip at the ends: so do the arrays
        starts, ends = np.clip(starts, 0, length + 1), np.clip(ends, 0, length + 1)
    if n > 1 and (starts[1:] < ends[:-1]).any():  # overlapping or unsorted: fill in order, later wins
        for number in range(n):
            index[starts[number]:ends[number]] = number + offset
        return index
    lengths = np.maximum(ends - starts, 0)
    total = int(lengths.sum())
    values = np.repeat(np.arange(offset, offset + n, dtype=np.int32), lengths)
    first = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    index[np.arange(total) + first] = values
    return index


class _Spans:
    """A `list<struct<start, end, ...>>` column as flat arrays: per row, a slice of starts and ends."""

    def __init__(self, column, upos: list[str] | None = None):
        import pyarrow as pa
        import pyarrow.compute as pc

        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        offsets = column.offsets.to_numpy()
        self.offsets = offsets - offsets[0]
        fields = dict(zip([f.name for f in column.type.value_type], column.flatten().flatten(), strict=True))
        self.starts = fields["start"].to_numpy(zero_copy_only=False).astype(np.int64)
        self.ends = fields["end"].to_numpy(zero_copy_only=False).astype(np.int64)
        if upos is not None:  # POS names -> UPOS index, X for anything unknown
            found = pc.index_in(fields["pos"], value_set=pa.array(upos))
            self.pos = pc.fill_null(found, upos.index("X")).to_numpy(zero_copy_only=False).astype(np.int8)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.starts[lo:hi], self.ends[lo:hi]

    def count(self, i: int) -> int:
        return int(self.offsets[i + 1] - self.offsets[i])

    def pos_of(self, i: int) -> np.ndarray:
        return self.pos[self.offsets[i]:self.offsets[i + 1]]


def _list_array(rows: list[np.ndarray], dtype) -> object:
    """A list<dtype> Arrow array from per-row numpy arrays (no Python ints in between)."""
    import pyarrow as pa

    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([r.size for r in rows], out=offsets[1:])
    values = np.concatenate(rows).astype(dtype, copy=False) if rows else np.zeros(0, dtype=dtype)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


TOKEN_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask", "length", "num_words",
                 "word_ids", "term_ids", "pos_ids", "sentence_ids", "_events")
"""What the stage adds to an example (the build carries the example's other columns over unchanged)."""

TOKENIZE_READS = ("format", "title", "text", "words", "title_words", "terms", "title_terms", "sentences")


class TokenizeStage:
    """Encodes examples and carries word, term, POS and sentence ids onto every token.

    Takes an Arrow record batch (or a dict of columns) and returns the TOKEN_COLUMNS. The span columns are
    read as flat Arrow arrays and every per-token lookup is a numpy index, so no per-word or per-token
    Python runs (this stage sees every token of the corpus).
    """

    def __init__(self, tokenizer_json: str, max_seq_len: int, upos: list[str]):
        self.tokenizer_json = tokenizer_json
        self.max_seq_len = max_seq_len
        self.upos = upos
        self._tokenizer = None

    def __getstate__(self):
        return {**self.__dict__, "_tokenizer": None}

    def _load(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_str(self.tokenizer_json)
            self._tokenizer.enable_truncation(self.max_seq_len, strategy="only_second")
        return self._tokenizer

    def __call__(self, batch) -> dict:
        import pyarrow as pa

        if isinstance(batch, dict):
            from corpusctl.io.columns import to_record_batch

            batch = to_record_batch({name: batch[name] for name in TOKENIZE_READS})
        tokenizer = self._load()
        formats = batch.column("format").to_pylist()
        titles = batch.column("title").to_pylist()
        texts = batch.column("text").to_pylist()
        pairs = [(t, x) if f == "title_content" else x for f, t, x in zip(formats, titles, texts)]
        encodings = tokenizer.encode_batch(pairs)
        words, title_words = _Spans(batch.column("words"), self.upos), _Spans(batch.column("title_words"), self.upos)
        terms, title_terms = _Spans(batch.column("terms")), _Spans(batch.column("title_terms"))
        sentences = _Spans(batch.column("sentences"))
        x_pos = self.upos.index("X")
        columns: dict[str, list] = {name: [] for name in TOKEN_COLUMNS}
        for row, encoding in enumerate(encodings):
            title_content = formats[row] == "title_content"
            text = texts[row]
            n_title_words = title_words.count(row) if title_content else 0
            n_title_terms = title_terms.count(row) if title_content else 0
            word_at = _span_index(len(text), *words.row(row), n_title_words)
            term_at = _span_index(len(text), *terms.row(row), n_title_terms)
            sentence_at = _span_index(len(text), *sentences.row(row), 1 if title_content else 0)
            pos_names = [words.pos_of(row)]
            if title_content:  # the title (segment A) first: its own lookups in front, then the text's
                title = titles[row]
                word_at = np.concatenate([_span_index(len(title), *title_words.row(row)), word_at])
                term_at = np.concatenate([_span_index(len(title), *title_terms.row(row)), term_at])
                sentence_at = np.concatenate([np.zeros(len(title) + 1, dtype=np.int32), sentence_at])
                pos_names.insert(0, title_words.pos_of(row))
                base = np.array([0, len(title) + 1])
            pos_of_word = np.concatenate([*pos_names, np.array([x_pos], dtype=np.int8)])
            sequence = np.array([-1 if s is None else s for s in encoding.sequence_ids], dtype=np.int64)
            inside = sequence >= 0
            at = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)[:, 0]
            if title_content:
                at = at + base[np.maximum(sequence, 0)]
            n = sequence.size
            word_ids = np.where(inside, word_at[at], -1)
            term_ids = np.where(inside, term_at[at], -1)
            sentence_ids = np.where(inside, sentence_at[at], -1)
            columns["input_ids"].append(np.asarray(encoding.ids, dtype=np.int32))
            columns["attention_mask"].append(np.asarray(encoding.attention_mask, dtype=np.int8))
            columns["token_type_ids"].append(np.asarray(encoding.type_ids, dtype=np.int8))
            columns["special_tokens_mask"].append((~inside).astype(np.int8))
            columns["length"].append(n)
            columns["num_words"].append(n_title_words + words.count(row))
            columns["word_ids"].append(word_ids)
            columns["term_ids"].append(term_ids)
            columns["pos_ids"].append(pos_of_word[word_ids])
            columns["sentence_ids"].append(sentence_ids)
            columns["_events"].append(["tokenize.truncated"] if encoding.overflowing else [])
        types = {"input_ids": np.int32, "attention_mask": np.int8, "token_type_ids": np.int8,
                 "special_tokens_mask": np.int8, "word_ids": np.int32, "term_ids": np.int32, "pos_ids": np.int8,
                 "sentence_ids": np.int32}
        out: dict = {name: _list_array(columns[name], dtype) for name, dtype in types.items()}
        out["length"] = pa.array(columns["length"], pa.int32())
        out["num_words"] = pa.array(columns["num_words"], pa.int32())
        out["_events"] = columns["_events"]
        return out
