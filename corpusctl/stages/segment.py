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

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from corpusctl import lexicons
from corpusctl.config import PROJECT_ROOT, RecipePath, Section
from corpusctl.segmenter.backends import INFO_FILE, check_model, merge_user_words
from corpusctl.segmenter.core import Segmenter, Words
from corpusctl.segmenter.pos import UPOS
from corpusctl.segmenter.training import _version
from corpusctl.stages.base import Stage, register


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



@register
class Segment(Stage):
    """Words and POS of every example, each ontology or lexicon term kept as one word."""

    name = "segment"
    section = "segment"
    reads = list(SEGMENT_READS)
    writes = ["words", "title_words"]
    arrow = True
    manifest_key = "segment"

    @functools.cached_property
    def user_words(self) -> list:
        """The segmenter's dictionary (ontology terms + lexicons); loaded once, used by the function and summary."""
        from corpusctl.ontology import segmenter_terms

        ontology_dir = self.recipe.ontology.dir if self.recipe.ontology.enabled else None
        return segmenter_terms(ontology_dir, list(self.settings_section.lexicons))

    def files(self) -> list[Path]:
        from corpusctl.stages.ontology import term_files

        return term_files(self.recipe)

    def function(self):
        return SegmentStage(self.settings_section, self.user_words)

    def summary(self, ctx, checkpoint) -> dict:
        return summary(self.settings_section, self.user_words)
