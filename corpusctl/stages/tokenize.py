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


def _span_index(length: int, spans: list[dict], offset: int = 0) -> np.ndarray:
    """Per character: index (plus offset) of the span covering it, -1 where none does."""
    index = np.full(length + 1, -1, dtype=np.int32)
    for number, span in enumerate(spans):
        index[span["start"]:span["end"]] = number + offset
    return index


class TokenizeStage:
    """Encodes examples and carries word, term, POS and sentence ids onto every token."""

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

    def __call__(self, batch: dict) -> dict:
        tokenizer = self._load()
        pairs = [(t, x) if f == "title_content" else x for f, t, x in zip(batch["format"], batch["title"], batch["text"])]
        encodings = tokenizer.encode_batch(pairs)
        pos_index = {name: i for i, name in enumerate(self.upos)}
        x_pos = pos_index["X"]
        out = {key: batch[key] for key in ("id", "source", "kind", "domain", "format", "title", "text", "priority",
                                           "terms", "title_terms", "sentences")}
        columns: dict[str, list] = {k: [] for k in ("input_ids", "attention_mask", "token_type_ids",
                                                    "special_tokens_mask", "length", "num_words", "word_ids",
                                                    "term_ids", "pos_ids", "sentence_ids", "_events")}
        for row, encoding in enumerate(encodings):
            title_content = batch["format"][row] == "title_content"
            segments = [("title", "title_words", "title_terms"), ("text", "words", "terms")]
            if not title_content:
                segments = segments[1:]
            lookups = []
            word_offset = term_offset = 0
            pos_names: list[str] = []
            for text_col, words_col, terms_col in segments:
                text = batch[text_col][row]
                words, terms = batch[words_col][row], batch[terms_col][row]
                if text_col == "title":
                    sentence = np.full(len(text) + 1, 0, dtype=np.int32)
                else:
                    sentence = _span_index(len(text), batch["sentences"][row], 1 if title_content else 0)
                lookups.append((_span_index(len(text), words, word_offset), _span_index(len(text), terms, term_offset),
                                sentence))
                pos_names += [w["pos"] for w in words]
                word_offset += len(words)
                term_offset += len(terms)
            pos_of_word = np.array([pos_index.get(p, x_pos) for p in pos_names] + [x_pos], dtype=np.int8)
            n = len(encoding.ids)
            word_ids = np.full(n, -1, dtype=np.int32)
            term_ids = np.full(n, -1, dtype=np.int32)
            sentence_ids = np.full(n, -1, dtype=np.int32)
            special = np.ones(n, dtype=np.int8)
            for position, (sequence, (start, _end)) in enumerate(zip(encoding.sequence_ids, encoding.offsets)):
                if sequence is None:
                    continue
                words_at, terms_at, sentences_at = lookups[sequence if title_content else 0]
                word_ids[position] = words_at[start]
                term_ids[position] = terms_at[start]
                sentence_ids[position] = sentences_at[start]
                special[position] = 0
            columns["input_ids"].append(encoding.ids)
            columns["attention_mask"].append(encoding.attention_mask)
            columns["token_type_ids"].append(encoding.type_ids)
            columns["special_tokens_mask"].append(special.tolist())
            columns["length"].append(n)
            columns["num_words"].append(word_offset)
            columns["word_ids"].append(word_ids.tolist())
            columns["term_ids"].append(term_ids.tolist())
            columns["pos_ids"].append(pos_of_word[word_ids].tolist())
            columns["sentence_ids"].append(sentence_ids.tolist())
            columns["_events"].append(["tokenize.truncated"] if encoding.overflowing else [])
        out.update(columns)
        return out
