"""Masking policy (issue #6): properties over random rows and distributions over a few thousand rows."""

from __future__ import annotations

import json
import pickle
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from corpusctl.errors import CorpusctlError
from corpusctl.stages.mask import (
    CONTENT_POS,
    UPOS,
    MaskConfig,
    MaskStage,
    MaskVocab,
    mask_example,
    to_batch,
)
from corpusctl.stages.mask_stats import MaskStatistics, mask_statistics

VOCAB_SIZE = 60
PAD, UNK, CLS, SEP, MASK = range(5)
VOCAB = {"mask_token_id": MASK, "vocab_size": VOCAB_SIZE, "special_ids": [PAD, UNK, CLS, SEP, MASK], "pad_token_id": PAD}
X = UPOS.index("X")
CONTENT_IDS = [UPOS.index(name) for name in CONTENT_POS]

# A word spec is (tokens, term, pos): tokens 0 = a lone token outside any word; term 0 = none, 1 = starts a
# term, 2 = continues the previous word's term (a multi-word term).


def build_row(row_id: str, fmt: str, title: list | None, sentences: list[list]) -> dict:
    """A pre-training row as tokenize writes it: [CLS] title [SEP] text [SEP], per-token metadata."""
    cols = {k: [] for k in ("input_ids", "special_tokens_mask", "token_type_ids", "word_ids", "term_ids",
                            "sentence_ids", "pos_ids")}
    state = {"word": 0, "term": -1, "sentence": 0, "token": 0}

    def special(token: int, segment: int) -> None:
        for key, value in zip(cols, (token, 1, segment, -1, -1, -1, X), strict=True):
            cols[key].append(value)

    def words(specs: list, segment: int) -> None:
        in_term = False
        for size, term, pos in specs:
            lone = size == 0
            if not lone and (term == 1 or (term == 2 and not in_term)):
                state["term"] += 1
            for _ in range(max(size, 1)):
                state["token"] += 1
                token = UNK if state["token"] % 37 == 0 else 5 + (state["token"] * 7919) % (VOCAB_SIZE - 5)
                values = (token, 0, segment, -1 if lone else state["word"],
                          state["term"] if term and not lone else -1, state["sentence"], pos)
                for key, value in zip(cols, values, strict=True):
                    cols[key].append(value)
            in_term = bool(term) and not lone
            state["word"] += not lone

    special(CLS, 0)
    segment = 0
    if title:
        words(title, 0)
        special(SEP, 0)
        state["sentence"] += 1
        segment = 1
    for sentence in sentences:
        words(sentence, segment)
        state["sentence"] += 1
    special(SEP, segment)
    n = len(cols["input_ids"])
    return {"id": row_id, "format": fmt, "attention_mask": [1] * n, "num_words": state["word"], **cols}


def random_words(rnd: random.Random, n: int, term_prob: float) -> list:
    out = []
    for _ in range(n):
        if rnd.random() < term_prob:
            out.append((rnd.randint(2, 4), 1 if rnd.random() < 0.8 else 2, rnd.choice(CONTENT_IDS)))
        else:
            out.append((rnd.choice([1, 1, 1, 2, 2, 3]), 0, rnd.randrange(len(UPOS))))
    return out


def random_row(rnd: random.Random, i: int, n_words: int, fmt: str, term_prob: float = 0.3) -> dict:
    title = random_words(rnd, rnd.randint(3, 10), term_prob) if fmt == "title_content" else None
    sentences, left = [], n_words
    while left > 0:
        k = min(left, rnd.randint(6, 18))
        sentences.append(random_words(rnd, k, term_prob))
        left -= k
    return build_row(f"doc{i}#p0", fmt, title, sentences)


word_spec = st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(0, len(UPOS) - 1))
sentence_spec = st.lists(word_spec, min_size=1, max_size=25)


@st.composite
def rows(draw) -> dict:
    fmt = draw(st.sampled_from(["title_content", "paragraph"]))
    title = draw(sentence_spec) if fmt == "title_content" else None
    sentences = draw(st.lists(sentence_spec, min_size=1, max_size=8))
    return build_row(draw(st.text("abc#0123", min_size=1, max_size=8)), fmt, title, sentences)


configs = st.builds(
    MaskConfig,
    term_share=st.floats(0, 1),
    sentence_share=st.sampled_from([0.0, 0.5, 1.0]),
    short_words=st.integers(1, 30),
    long_words=st.integers(31, 120),
)


def units(row: dict) -> list[set[int]]:
    """Union-find over maskable tokens joined by word or term: the all-or-nothing units, computed naively."""
    maskable = [i for i, s in enumerate(row["special_tokens_mask"]) if not s and row["input_ids"][i] != UNK]
    parent = {i: i for i in maskable}

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for key in ("word_ids", "term_ids"):
        first: dict[int, int] = {}
        for i in maskable:
            group = row[key][i]
            if group >= 0:
                parent[find(i)] = find(first.setdefault(group, i))
    out: dict[int, set[int]] = {}
    for i in maskable:
        out.setdefault(find(i), set()).add(i)
    return list(out.values())


def masked_positions(out: dict) -> set[int]:
    return {i for i, label in enumerate(out["labels"]) if label != -100}


# -- properties ----------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=rows(), config=configs, seed=st.integers(0, 2**32), epoch=st.integers(0, 5))
def test_labels_units_specials_and_budget(row, config, seed, epoch):
    out = mask_example(row, config, VOCAB, seed, epoch)
    ids, labels = row["input_ids"], out["labels"]
    hit = masked_positions(out)
    # labels hold the original id where masked (-100 elsewhere); only masked positions may change
    assert all(labels[i] == ids[i] for i in hit)
    assert all(out["input_ids"][i] == ids[i] for i in range(len(ids)) if i not in hit)
    # specials (and [UNK], a special id) untouched; random replacements are never special nor the original
    for i, token in enumerate(ids):
        if row["special_tokens_mask"][i] or token in VOCAB["special_ids"]:
            assert i not in hit and out["input_ids"][i] == token
    for i in hit:
        new = out["input_ids"][i]
        assert new == MASK or new == ids[i] or (new not in VOCAB["special_ids"] and 0 <= new < VOCAB_SIZE)
    # words and terms are masked whole or not at all
    for key in ("word_ids", "term_ids"):
        groups: dict[int, set[bool]] = {}
        for i, group in enumerate(row[key]):
            if group >= 0 and not row["special_tokens_mask"][i] and ids[i] != UNK:
                groups.setdefault(group, set()).add(i in hit)
        assert all(len(flags) == 1 for flags in groups.values())
    # the count is within the band (given rounding); it falls short only if no unmasked unit fits the gap
    parts = units(row)
    n = sum(len(u) for u in parts)
    if n == 0:
        assert not hit
        return
    low, high = config.band(row["num_words"])
    assert len(hit) <= max(1, round(n * high))
    gap = max(1, round(n * low)) - len(hit)
    assert all(len(u) > gap for u in parts if not u & hit)
    assert all(u <= hit for u in parts if u & hit)
    assert out["id"] == row["id"] and len(out["input_ids"]) == len(ids)


@settings(max_examples=100, deadline=None)
@given(row=rows(), seed=st.integers(0, 2**32), epoch=st.integers(0, 5))
def test_deterministic_per_seed_epoch_id(row, seed, epoch):
    config = MaskConfig()
    first = mask_example(row, config, VOCAB, seed, epoch)
    assert mask_example(dict(row), config, VOCAB, seed, epoch) == first
    # the id, not the position in a batch or the worker, keys the draw
    other = build_row("other", "paragraph", None, [[(1, 0, 7)] * 30])
    stage = pickle.loads(pickle.dumps(MaskStage(config, VOCAB, seed, epoch)))
    batch = {key: [other[key], row[key]] for key in row}
    out = stage(batch)
    assert {key: out[key][1] for key in out} == first


@settings(max_examples=100, deadline=None)
@given(row=rows())
def test_unit_all_or_nothing_when_groups_are_not_contiguous(row):
    """A word split across the row (not what tokenize writes) still masks whole: the fallback path."""
    row = dict(row)
    words = list(row["word_ids"])
    inner = [i for i, w in enumerate(words) if w >= 0]
    if len(inner) >= 3:
        words[inner[-1]] = words[inner[0]]  # the last token joins the first word
    row["word_ids"] = words
    out = mask_example(row, MaskConfig(), VOCAB, 1, 0)
    hit = masked_positions(out)
    for part in units(row):
        assert part <= hit or not part & hit


def test_exact_budget_with_single_token_units():
    rnd = random.Random(3)
    config = MaskConfig(sentence_share=0)
    for i in range(200):
        n_words = rnd.randint(1, 700)
        row = build_row(f"r{i}", "paragraph", None, [[(1, 0, 7)] * n_words])
        n = sum(1 for s, t in zip(row["special_tokens_mask"], row["input_ids"], strict=True) if not s and t != UNK)
        m = len(masked_positions(mask_example(row, config, VOCAB, 0, 0)))
        low, high = config.band(n_words)
        assert max(1, round(n * low)) <= m <= max(1, round(n * high))


def test_band_interpolates_between_breakpoints():
    config = MaskConfig()
    assert config.band(1) == config.band(100) == (0.15, 0.25)
    assert config.band(501) == config.band(5000) == (0.30, 0.50)
    assert config.band(300) == pytest.approx((0.225, 0.375))
    assert config.band(500) == pytest.approx((0.30, 0.50))
    custom = MaskConfig(short_words=10, long_words=20, short_ratio=(0.1, 0.1), long_ratio=(0.2, 0.2))
    assert custom.band(15) == pytest.approx((0.15, 0.15))


def test_max_predictions_caps_the_budget():
    row = build_row("long", "paragraph", None, [[(1, 0, 7)] * 600])
    out = mask_example(row, MaskConfig(max_predictions=20, sentence_share=0), VOCAB, 0, 0)
    assert len(masked_positions(out)) == 20


# -- sentence-level masking -----------------------------------------------------------------------------------


def sentences_fully_masked(row: dict, hit: set[int]) -> list[int]:
    by_sentence: dict[int, list[int]] = {}
    for i, s in enumerate(row["sentence_ids"]):
        if s >= 0 and not row["special_tokens_mask"][i] and row["input_ids"][i] != UNK:
            by_sentence.setdefault(s, []).append(i)
    return [s for s, positions in by_sentence.items() if all(i in hit for i in positions)]


def test_sentence_that_fits_is_masked_whole_and_counts_toward_budget():
    config = MaskConfig(sentence_share=1.0)
    rnd = random.Random(5)
    for i in range(50):
        # 600 words of one token each: budget >= 180; sentences of 10-30 words always fit
        sentences = [[(1, 0, 7)] * rnd.randint(10, 30) for _ in range(30)]
        row = build_row(f"s{i}", "paragraph", None, sentences)
        hit = masked_positions(mask_example(row, config, VOCAB, 9, 0))
        assert sentences_fully_masked(row, hit)
        n = sum(1 for s, t in zip(row["special_tokens_mask"], row["input_ids"], strict=True) if not s and t != UNK)
        assert len(hit) <= round(n * config.band(row["num_words"])[1])


def test_sentence_too_long_is_skipped_by_default_and_shortest_masked_on_request():
    # two sentences of 40 and 60 one-token words: the budget (<= 25) fits neither
    row = build_row("big", "paragraph", None, [[(1, 0, 7)] * 40, [(1, 0, 7)] * 60])
    n = sum(1 for s, t in zip(row["special_tokens_mask"], row["input_ids"], strict=True) if not s and t != UNK)
    for seed in range(20):
        hit = masked_positions(mask_example(row, MaskConfig(sentence_share=1.0), VOCAB, seed, 0))
        assert not sentences_fully_masked(row, hit)
        assert len(hit) <= round(n * 0.25)
        hit = masked_positions(mask_example(row, MaskConfig(sentence_share=1.0, sentence_overflow="shortest"),
                                            VOCAB, seed, 0))
        shortest = {i for i, s in enumerate(row["sentence_ids"]) if s == 0 and row["input_ids"][i] != UNK}
        assert hit == shortest  # the shortest sentence alone; nothing else
    # a one-sentence paragraph is never masked whole, even with "shortest"
    single = build_row("one", "paragraph", None, [[(1, 0, 7)] * 40])
    hit = masked_positions(mask_example(single, MaskConfig(sentence_share=1.0, sentence_overflow="shortest"),
                                        VOCAB, 0, 0))
    assert 0 < len(hit) < 40


def test_title_content_rows_never_get_the_sentence_step():
    config = MaskConfig(sentence_share=1.0, term_share=0.0)
    row = build_row("tc", "title_content", [(1, 0, 7)] * 20, [[(1, 0, 7)] * 20 for _ in range(10)])
    for seed in range(20):
        hit = masked_positions(mask_example(row, config, VOCAB, seed, 0))
        assert not sentences_fully_masked(row, hit)


# -- distributions over a generated corpus --------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    rnd = random.Random(2024)
    lengths = [40, 80, 100, 250, 450, 600]
    return [random_row(rnd, i, rnd.choice(lengths), rnd.choice(["paragraph", "title_content"]))
            for i in range(3000)]


@pytest.fixture(scope="module")
def epoch0(corpus) -> list[dict]:
    stage = MaskStage(MaskConfig(), VOCAB, 42, 0)
    out: list[dict] = []
    for start in range(0, len(corpus), 500):
        chunk = corpus[start:start + 500]
        batch = stage({key: [row[key] for row in chunk] for key in chunk[0]})
        out.extend({key: batch[key][i] for key in batch} for i in range(len(chunk)))
    return out


@pytest.fixture(scope="module")
def stats(corpus, epoch0) -> dict:
    return mask_statistics(corpus, epoch0, MaskConfig(), VOCAB)


def test_statistics_are_json_and_ratios_in_band(stats):
    assert json.loads(json.dumps(stats)) == stats
    assert stats["examples"] == 3000
    short = stats["by_length"]["<=100"]
    assert 0.15 <= short["mean"] <= 0.25 and abs(short["mean"] - 0.20) < 0.01
    assert short["target"] == [0.15, 0.25]
    long = stats["by_length"][">500"]
    assert 0.30 <= long["mean"] <= 0.50 and abs(long["mean"] - 0.40) < 0.01
    middle = stats["by_length"]["101-500"]
    assert short["mean"] < middle["mean"] < long["mean"]
    assert stats["in_band"] == 1.0
    assert all(bucket["in_band"] == 1.0 for bucket in stats["by_length"].values())


def test_term_share_about_seventy_percent(stats):
    assert stats["term_share_target"] == 0.7
    assert abs(stats["term_share"] - 0.70) < 0.03
    # terms are a minority of the tokens, so the policy, not chance, puts 70% of masks on them
    assert stats["term_tokens_share_all"] < 0.5


def test_replacement_80_10_10(stats):
    shares = stats["replacement"]
    assert abs(shares["mask"] - 0.8) < 0.04
    assert abs(shares["random"] - 0.1) < 0.04
    assert abs(shares["unchanged"] - 0.1) < 0.04


def test_sentence_share_about_fifteen_percent(stats, corpus):
    sentence = stats["sentence"]
    assert sentence["paragraph_examples"] == sum(row["format"] == "paragraph" for row in corpus)
    assert abs(sentence["share"] - 0.15) < 0.04
    # words alone complete a sentence rarely: the policy is what lifts the share to ~15%
    no_sentence = MaskConfig(sentence_share=0)
    paragraphs = [row for row in corpus if row["format"] == "paragraph"][:800]
    baseline = mask_statistics(paragraphs, [mask_example(r, no_sentence, VOCAB, 42, 0) for r in paragraphs],
                               no_sentence, VOCAB)
    assert baseline["sentence"]["share"] < sentence["share"] - 0.08


def test_content_words_over_represented(stats):
    pos = stats["pos"]
    assert pos["content_share_masked"] > pos["content_share_all"] + 0.15
    assert pos["masked"]["NOUN"] > pos["all"]["NOUN"]
    assert pos["masked"]["PUNCT"] < pos["all"]["PUNCT"]


def test_words_follow_pos_weights_among_non_terms():
    """Without terms, masked words lean to content POS; with uniform weights they do not."""
    rnd = random.Random(8)
    corpus = [random_row(rnd, i, 80, "title_content", term_prob=0.0) for i in range(400)]
    weighted = MaskConfig(sentence_share=0)
    uniform = MaskConfig(sentence_share=0, pos_weights={}, default_pos_weight=1.0)
    shares = {}
    for name, config in (("weighted", weighted), ("uniform", uniform)):
        out = [mask_example(row, config, VOCAB, 1, 0) for row in corpus]
        shares[name] = mask_statistics(corpus, out, config, VOCAB)["pos"]
    assert abs(shares["uniform"]["content_share_masked"] - shares["uniform"]["content_share_all"]) < 0.04
    assert shares["weighted"]["content_share_masked"] > shares["uniform"]["content_share_masked"] + 0.15


def test_two_epochs_differ(corpus, epoch0):
    stage = MaskStage(MaskConfig(), VOCAB, 42, 1)
    sample = corpus[:300]
    epoch1 = stage({key: [row[key] for row in sample] for key in sample[0]})
    differ = sum(epoch1["labels"][i] != epoch0[i]["labels"] for i in range(len(sample)))
    assert differ == len(sample)
    again = MaskStage(MaskConfig(), VOCAB, 42, 0)({key: [row[key] for row in sample] for key in sample[0]})
    assert again["labels"] == [row["labels"] for row in epoch0[:300]]


def test_arrow_slices_mask_like_dict_batches(corpus, epoch0):
    """The build passes Arrow record batches, often slices: the same masks as the dict path, whatever the bounds."""
    stage = MaskStage(MaskConfig(), VOCAB, 42, 0)
    table = to_batch({key: [row[key] for row in corpus[:600]] for key in corpus[0]})
    out = [stage(table.slice(start, 77)) for start in range(0, 600, 77)]
    assert [labels for batch in out for labels in batch["labels"].to_pylist()] == [r["labels"] for r in epoch0[:600]]
    assert [ids for batch in out for ids in batch["input_ids"].to_pylist()] == [r["input_ids"] for r in epoch0[:600]]


def test_statistics_stream_in_batches_equals_one_pass(corpus, epoch0, stats):
    acc = MaskStatistics(MaskConfig(), VOCAB)
    for start in range(0, len(corpus), 700):
        rows_batch = {key: [row[key] for row in corpus[start:start + 700]] for key in corpus[0]}
        masked_batch = {key: [row[key] for row in epoch0[start:start + 700]] for key in epoch0[0]}
        acc.add_batch(rows_batch, masked_batch)
    assert acc.result() == stats


def test_statistics_exact_on_a_tiny_example():
    row = build_row("t", "paragraph", None, [[(1, 0, 7), (2, 1, 11)], [(1, 0, 12)]])
    # tokens: [CLS] a b b c [SEP]; the term "b b" (positions 2, 3) is masked: one [MASK], one unchanged
    ids = row["input_ids"]
    masked = {"id": "t", "input_ids": [*ids[:2], MASK, *ids[3:]], "labels": [-100, -100, ids[2], ids[3], -100, -100]}
    result = mask_statistics([row], [masked], MaskConfig(), VOCAB)
    assert result["masked_tokens"] == 2 and result["maskable_tokens"] == 4
    assert result["term_share"] == 1.0
    assert result["replacement"]["mask"] == 0.5 and result["replacement"]["unchanged"] == 0.5
    assert result["sentence"] == {"paragraph_examples": 1, "with_masked_sentence": 0, "share": 0.0, "target": 0.15}
    assert result["pos"]["masked"] == {"PROPN": 1.0}
    with pytest.raises(ValueError):
        mask_statistics([row], [dict(masked, id="other")], MaskConfig(), VOCAB)


# -- configuration and vocabulary ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"short_ratio": (0.3, 0.2)},
    {"long_ratio": (0.3, 1.2)},
    {"short_words": 500, "long_words": 100},
    {"replace_mask": 0.9, "replace_random": 0.2},
    {"pos_weights": {"NOUNS": 2.0}},
    {"pos_weights": {"NOUN": -1.0}},
    {"sentence_overflow": "drop"},
    {"ratio": 0.15},
])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValidationError):
        MaskConfig.model_validate(bad)


def test_vocab_from_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(["[PAD]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "的", "[", "a"]) + "\n",
                    encoding="utf-8")
    vocab = MaskVocab.from_vocab_file(path)
    assert vocab.mask_token_id == 5 and vocab.pad_token_id == 0 and vocab.vocab_size == 9
    assert vocab.special_ids == (0, 1, 2, 3, 4, 5)
    assert vocab.candidates().tolist() == [6, 7, 8]
    assert pickle.loads(pickle.dumps(vocab)) == vocab
    (tmp_path / "bad.txt").write_text("[PAD]\n[UNK]\n", encoding="utf-8")
    with pytest.raises(CorpusctlError, match=r"\[MASK\]"):
        MaskVocab.from_vocab_file(tmp_path / "bad.txt")
    with pytest.raises(CorpusctlError):
        MaskVocab.coerce({"vocab_size": 10})


def test_random_replacement_is_another_non_special_token():
    vocab = {"mask_token_id": MASK, "vocab_size": 7, "special_ids": [PAD, UNK, CLS, SEP, MASK]}
    config = MaskConfig(replace_mask=0.0, replace_random=1.0, sentence_share=0)
    row = build_row("small", "paragraph", None, [[(1, 0, 7)] * 200])
    row["input_ids"] = [t if s else 5 + i % 2 for i, (t, s) in enumerate(zip(row["input_ids"],
                        row["special_tokens_mask"], strict=True))]
    out = mask_example(row, config, vocab, 0, 0)
    hit = masked_positions(out)
    assert hit and all(out["input_ids"][i] == 11 - row["input_ids"][i] for i in hit)  # 5 <-> 6
