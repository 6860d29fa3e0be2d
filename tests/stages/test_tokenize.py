"""The batch tokenizer and TokenizeStage against `tokenizers` and a per-row reference."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from corpusctl.io.columns import to_record_batch
from corpusctl.segmenter.pos import UPOS
from corpusctl.stages.tokenize import BertWordPiece, TokenizeStage
from corpusctl.stages.vocab import VocabConfig, train_tokenizer

PLACEHOLDERS = ["[PERSON]", "[MOBILE]"]
CORPUS = ["巡检员发现安全阀泄漏，压力2.5MPa，联系人[PERSON]。", "对氮气储罐进行检测：温度85℃，DN50-PN16阀门正常！",
          "The pump P-101 was replaced; leakage ≤ 0.5%. 设备编号ABC123，转速1500rpm。", "café naïve Ω résumé"] * 5


@pytest.fixture(scope="module")
def tokenizer_json() -> str:
    return train_tokenizer(CORPUS, VocabConfig(size=200), PLACEHOLDERS).to_str()


PIECES = st.one_of(
    st.sampled_from(list("离心泵安全阀检查了的和，。！？、“”—…%℃+-.[]_ABZaz09é 	\n\r\u3000\xa0\u200b\x00\x85\ufffd😀")),
    st.sampled_from(["[PERSON]", "[MOBILE]", "[SEP]", "[UNK]", "[PERS", "MPa", "rpm", "DN50", "ABC123", "pump",
                     "a\u0301", "x" * 120, "\r\n", "  "]),
    st.characters(exclude_categories=("Cs",)),
)
TEXTS = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXTS, min_size=1, max_size=5))
def test_batch_tokenizer_gives_what_tokenizers_gives(tokenizer_json, texts):
    tokenizer = Tokenizer.from_str(tokenizer_json)
    fast = BertWordPiece.of(tokenizer)
    tokens, odd = fast.tokenize(texts)
    for row, text in enumerate(texts):
        if odd[row]:
            continue
        encoding = tokenizer.encode(text, add_special_tokens=False)
        lo, hi = tokens.offsets[row], tokens.offsets[row + 1]
        assert tokens.ids[lo:hi].tolist() == encoding.ids, text
        assert tokens.at[lo:hi].tolist() == [start for start, _end in encoding.offsets], text


def test_other_tokenizer_set_ups_are_left_to_tokenizers(tokenizer_json):
    tokenizer = Tokenizer.from_str(tokenizer_json)
    assert BertWordPiece.of(tokenizer) is not None
    from tokenizers import normalizers

    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    assert BertWordPiece.of(tokenizer) is None


# -- the stage --------------------------------------------------------------------------------------------


def reference(tokenizer_json: str, max_len: int, batch: dict) -> dict:
    """TokenizeStage's columns, one row and one token at a time with `tokenizers` (the spec)."""
    tokenizer = Tokenizer.from_str(tokenizer_json)
    tokenizer.enable_truncation(max_len, strategy="only_second")
    x_pos = UPOS.index("X")
    out: dict[str, list] = {name: [] for name in ("input_ids", "token_type_ids", "special_tokens_mask", "word_ids",
                                                  "term_ids", "pos_ids", "sentence_ids", "length", "num_words",
                                                  "_events")}

    def covering(spans, at):  # the last span covering `at` (later spans win), or None
        found = [k for k, span in enumerate(spans) if span["start"] <= at < span["end"]]
        return found[-1] if found else None

    for row in range(len(batch["text"])):
        pair = batch["format"][row] == "title_content"
        text, title = batch["text"][row], batch["title"][row]
        encoding = tokenizer.encode(title, text) if pair else tokenizer.encode(text)
        title_words = batch["title_words"][row] if pair else []
        title_terms = batch["title_terms"][row] if pair else []
        word_ids, term_ids, pos_ids, sentence_ids = [], [], [], []
        for sequence, (at, _end) in zip(encoding.sequence_ids, encoding.offsets, strict=True):
            if sequence is None:
                word = term = sentence = None
                words = []
            elif pair and sequence == 0:
                words, word, term, sentence = title_words, covering(title_words, at), covering(title_terms, at), 0
            else:
                words = batch["words"][row]
                word, term = covering(words, at), covering(batch["terms"][row], at)
                sentence = covering(batch["sentences"][row], at)
                word = None if word is None else word + len(title_words)
                term = None if term is None else term + len(title_terms)
                sentence = None if sentence is None else sentence + pair
            word_ids.append(-1 if word is None else word)
            term_ids.append(-1 if term is None else term)
            sentence_ids.append(-1 if sentence is None else sentence)
            local = None if word is None else (word if words is title_words else word - len(title_words))
            pos_ids.append(x_pos if local is None else words[local]["pos"])
        out["input_ids"].append(encoding.ids)
        out["token_type_ids"].append(encoding.type_ids)
        out["special_tokens_mask"].append([int(s is None) for s in encoding.sequence_ids])
        out["word_ids"].append(word_ids)
        out["term_ids"].append(term_ids)
        out["pos_ids"].append(pos_ids)
        out["sentence_ids"].append(sentence_ids)
        out["length"].append(len(encoding.ids))
        out["num_words"].append(len(title_words) + len(batch["words"][row]))
        out["_events"].append(["tokenize.truncated"] if encoding.overflowing else [])
    return out


def spans_of(text: str, cuts: list[int], pos: bool) -> list[dict]:
    bounds = sorted({c for c in cuts if 0 <= c <= len(text)} | {0, len(text)})
    spans = [{"start": a, "end": b} for a, b in zip(bounds, bounds[1:], strict=False)]
    return [{**s, "pos": (s["start"] * 7) % len(UPOS)} for s in spans] if pos else spans


@pytest.mark.parametrize("batch_tokenizer", [True, False])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.booleans(), TEXTS, TEXTS), min_size=1, max_size=6), data=st.data(),
       max_len=st.sampled_from([12, 40, 512]))
def test_stage_matches_the_per_row_reference(tokenizer_json, batch_tokenizer, rows, data, max_len):
    batch: dict[str, list] = {name: [] for name in ("format", "title", "text", "words", "title_words", "terms",
                                                    "title_terms", "sentences")}
    for pair, title, text in rows:
        if pair:  # `only_second` truncates the text of a pair only: the title must fit
            title = title[:max_len - 4]
        else:  # and a single text not at all (`tokenizers` raises): it must fit too
            text = text[:max_len - 2]
        cuts = lambda n: data.draw(st.lists(st.integers(0, n), max_size=8))  # noqa: E731
        batch["format"].append("title_content" if pair else "paragraph")
        batch["title"].append(title)
        batch["text"].append(text)
        batch["words"].append(spans_of(text, cuts(len(text)), pos=True))
        batch["title_words"].append(spans_of(title, cuts(len(title)), pos=True))
        terms = spans_of(text, cuts(len(text)), pos=False)[::2]
        if data.draw(st.booleans()):  # overlapping and unsorted spans: the later one wins
            terms = terms[::-1] + [{"start": 0, "end": len(text) + 3}]
        batch["terms"].append(terms)
        batch["title_terms"].append(spans_of(title, cuts(len(title)), pos=False)[1::2])
        batch["sentences"].append(spans_of(text, cuts(len(text)), pos=False))
    want = reference(tokenizer_json, max_len, batch)
    stage = TokenizeStage(tokenizer_json, max_len, list(UPOS))
    if not batch_tokenizer:  # `tokenizers` for every row, as for a tokenizer set up otherwise
        stage._load()
        stage._fast = None
    got = stage(to_record_batch(batch))
    for name, values in want.items():
        column = got[name]
        assert (column.to_pylist() if isinstance(column, pa.Array) else column) == values, name
    assert got["attention_mask"].to_pylist() == [[1] * n for n in want["length"]]


def test_stage_sends_odd_characters_to_tokenizers(tokenizer_json, monkeypatch):
    stage = TokenizeStage(tokenizer_json, 512, list(UPOS))
    _tokenizer, fast = stage._load()
    fast.tokenize(["é"])
    fast.classes[ord("é")] = 4  # pretend é is a character the batch tokenizer does not model
    batch = {"format": ["paragraph", "paragraph"], "title": ["", ""], "text": ["café 泵", "泵"],
             "words": [[], []], "title_words": [[], []], "terms": [[], []], "title_terms": [[], []],
             "sentences": [[], []]}
    assert fast.tokenize(batch["text"])[1].tolist() == [True, False]
    got = stage(to_record_batch(batch))
    assert got["input_ids"].to_pylist() == reference(tokenizer_json, 512, batch)["input_ids"]
    assert np.all(np.array(got["length"].to_pylist()) > 2)


def test_vocabulary_learnt_from_a_sample_still_holds_every_character(tmp_path):
    """vocab.train_chars bounds what the trainer reads; the characters of the rest stay known tokens."""
    from corpusctl.io.workdir import ArrowStreamWriter
    from corpusctl.stages.vocab import decode_ids, make_vocabulary

    rare = [chr(0x4E00 + 3000 + i) for i in range(200)]  # one row each: most rows are left out of the sample
    texts = CORPUS + [f"稀有字{c}出现一次" for c in rare]
    data = tmp_path / "examples.arrow"
    writer = ArrowStreamWriter(data)
    writer.write(to_record_batch({"id": [f"e{i}" for i in range(len(texts))], "title": [""] * len(texts),
                                  "text": texts}))
    writer.close()
    runs = {}
    for train_chars in (None, 300):
        out = tmp_path / str(train_chars)
        out.mkdir()
        stats = make_vocabulary(VocabConfig(size=500, train_chars=train_chars), data, PLACEHOLDERS, out, seed=3)
        runs[train_chars] = stats
        vocab = (out / "vocab.txt").read_text(encoding="utf-8").splitlines()
        assert set(rare) <= set(vocab)
        tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
        for text in texts:
            ids = tokenizer.encode(text).ids
            assert tokenizer.token_to_id("[UNK]") not in ids
            assert decode_ids(ids, vocab).replace(" ", "") == text.replace(" ", "")
    assert runs[None]["trained_on_share"] == 1.0
    assert 0 < runs[300]["trained_on_share"] < 0.2
    again = tmp_path / "again"
    again.mkdir()
    make_vocabulary(VocabConfig(size=500, train_chars=300), data, PLACEHOLDERS, again, seed=3)
    assert (again / "vocab.txt").read_bytes() == (tmp_path / "300" / "vocab.txt").read_bytes()


WORDS = st.lists(st.one_of(
    st.sampled_from(list("离心泵安全阀检查了的和，。！？、“”—…%℃+-.ABZaz09é \n\u3000㐀䶵鿿\U00020000\uf900")),
    st.sampled_from(["MPa", "rpm", "DN50", "ABC123", "pump", "P-101", "a\u0301", "阀a", "b阀c", "x" * 30]),
), max_size=30).map("".join)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(WORDS, min_size=1, max_size=20), size=st.sampled_from([30, 60, 500]))
def test_trainer_fed_without_ideographs_learns_the_same_vocabulary(texts, size):
    """train_tokenizer hands the trainer its texts with runs of CJK ideographs replaced by a space (each
    ideograph is a one-character word, taken from the alphabet): the vocabulary is the one the whole texts
    give. (Texts of realistic characters: with unassigned code points or special tokens inside the text the
    trainer numbers a few `##` pieces in hash order, whichever texts it is fed.)"""
    import corpusctl.stages.vocab as vocab

    texts = texts + CORPUS
    alphabet = {c for text in texts for c in text}
    config = VocabConfig(size=size)
    fast = train_tokenizer(texts, config, PLACEHOLDERS, alphabet=alphabet).get_vocab(with_added_tokens=True)
    original = vocab._without_ideographs
    try:
        vocab._without_ideographs = lambda passes: passes
        whole = train_tokenizer(texts, config, PLACEHOLDERS, alphabet=alphabet).get_vocab(with_added_tokens=True)
    finally:
        vocab._without_ideographs = original
    assert fast == whole


def test_vocabulary_is_the_same_in_every_process_for_odd_characters():
    """A code point unassigned in Python's Unicode tables (U+0378) and a bracket next to a special token get
    `##` pieces from the trainer that our rules did not list; they were numbered in hash order, so two
    processes gave two vocabularies. Trained in processes with different hash seeds, the vocabularies agree."""
    import os
    import subprocess
    import sys

    script = (
        "import random, sys; from corpusctl.stages.vocab import VocabConfig, train_tokenizer\n"
        "rng = random.Random(1)\n"
        "words = ['pump\\u0378x', 'valve\\U000E0001ab', 'abc\\uE000de', '[SEP]abc', 'x\\u200dy', 'motor', 'gear']\n"
        "texts = [' '.join(rng.choice(words) for _ in range(20)) for _ in range(300)]\n"
        "vocab = train_tokenizer(texts, VocabConfig(size=200, min_frequency=1), []).get_vocab()\n"
        "print(sorted(vocab.items(), key=lambda kv: kv[1]))\n"
    )
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in range(1, 5)}
    assert len(outputs) == 1 and "'##\\u0378'" in next(iter(outputs))  # (repr escapes the unassigned code point)
