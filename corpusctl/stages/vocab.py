"""The vocabulary: BERT-style WordPiece (bert-base-chinese), trained on the examples or read from a vocab.txt.

Every CJK character is its own token, other text is split into WordPiece units, and the special tokens are
`[PAD] [UNK] [CLS] [SEP] [MASK]`, followed by the privacy placeholders so that `[PERSON]` is one token,
never split into characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import Field

from corpusctl.config import RecipePath, Section
from corpusctl.errors import CorpusctlError
from corpusctl.stages.base import GlobalStep, register

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

    def train(pieces: list[str]):
        trainer = trainers.WordPieceTrainer(
            vocab_size=config.size,
            min_frequency=config.min_frequency,
            special_tokens=SPECIAL_TOKENS + placeholders + pieces,
            initial_alphabet=[c for c in alphabet or () if _may_stand_alone(c)],
            show_progress=False,
        )
        trained = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        _configure(trained, [])
        trained.train_from_iterator(passes() if alphabet is None else _without_ideographs(passes()), trainer=trainer)
        return trained

    trained = train(pieces)
    # A character our rules say never continues a word but the tokenizer's do (a code point unassigned in
    # Python's Unicode tables, a bracket next to a special token) got a `##` piece numbered in hash order:
    # train again with those pieces listed, sorted, too.
    listed = set(pieces)
    missed = sorted(t for t in trained.get_vocab() if t.startswith("##") and len(t) == 3 and t not in listed)
    if missed:
        trained = train(sorted(pieces + missed, key=lambda piece: piece[2:]))
    # The trainer registered the pieces as special added tokens; keep only its vocabulary.
    tokenizer = Tokenizer(models.WordPiece(vocab=trained.get_vocab(with_added_tokens=True), unk_token="[UNK]"))
    _configure(tokenizer, placeholders)
    return tokenizer


_IDEOGRAPH_RUNS = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")


def _without_ideographs(texts: Iterable[str]) -> Iterable[str]:
    """The texts with each run of CJK ideographs (the two main blocks) replaced by a space, for the trainer.

    The normalizer isolates every ideograph (handle_chinese_chars), so each is a one-character word: it adds
    no pair to merge, and the trainer takes it into the vocabulary from `initial_alphabet` (the corpus's
    alphabet, sorted by code point: the same ids whether it was counted or not). A space splits words
    exactly as the normalizer's padding does, so the words the trainer counts, its merges and the vocabulary
    are the same; the trainer no longer makes, hashes and counts ~80 % of its words (a Chinese corpus's
    characters), which were most of its time."""
    for text in texts:
        yield _IDEOGRAPH_RUNS.sub(" ", text)


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


def publish_vocabulary(folder: Path, out_dir: Path, model_max_length: int) -> None:
    """The vocabulary and tokenizer files into the output folder (on a cluster's worker under Ray)."""
    import shutil

    for name in ("vocab.txt", "tokenizer.json"):
        shutil.copyfile(folder / name, out_dir / name)
    write_hf_tokenizer_files(out_dir, model_max_length)


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
        from tokenizers import Tokenizer

        ctx.offload(publish_vocabulary, checkpoint.dir, ctx.final, self.recipe.format.max_seq_len)
        return Tokenizer.from_file(str(checkpoint.dir / "tokenizer.json"))

    def summary(self, ctx, checkpoint) -> dict:
        return ctx.stats["vocab"]
