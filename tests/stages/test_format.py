"""Formats: windows within max_seq_len, cuts at sentence ends and never inside a term, 50/50 formats."""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.stages.format import (
    EXAMPLE_COLUMNS,
    FORMAT_READS,
    FormatConfig,
    FormatStage,
    assign_formats,
    example_chars,
    format_sizes,
    format_stats,
    title_reconstruction_rows,
    window_spans,
)
from corpusctl.stages.mix import MixConfig, copy_rows, plan_mix
from corpusctl.text.sentences import split_sentences

HANZI = "检查发现设备运行温度压力阀门管道人员作业现场安全隐患整改措施记录维护保养更换部件正常异常报告"
TERMS = ["泄漏", "过热", "灭火器", "接地", "安全阀", "压力容器", "防护栏"]
KINDS = ["inspection_report", "sop", "maintenance_log", "encyclopedia", "news", "qa"]


def make_text(rng: random.Random, sentences: int) -> tuple[str, list[dict]]:
    """Chinese-like text with clauses, sentence ends and lexicon terms; returns text and term spans."""
    parts: list[str] = []
    terms: list[dict] = []
    pos = 0
    for _ in range(sentences):
        for clause in range(rng.randint(1, 4)):
            if clause:
                parts.append("，")
                pos += 1
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.3:
                    term = rng.choice(TERMS)
                    terms.append({"start": pos, "end": pos + len(term), "concept_id": f"c:{term}",
                                  "category": "EQUIP", "sense": ""})
                    parts.append(term)
                    pos += len(term)
                else:
                    chunk = "".join(rng.choice(HANZI) for _ in range(rng.randint(2, 12)))
                    parts.append(chunk)
                    pos += len(chunk)
        parts.append(rng.choice("。。。！？"))
        pos += 1
    return "".join(parts), terms


def make_documents(n: int, seed: int = 0, titled: float = 0.75) -> dict[str, list]:
    rng = random.Random(seed)
    batch: dict[str, list] = {key: [] for key in
                              ("id", "source", "domain", "kind", "title", "text", "label", "priority",
                               "terms", "title_terms")}
    for i in range(n):
        text, terms = make_text(rng, rng.choice([2, 4, 8, 16, 40]))
        title, title_terms = ("", [])
        if rng.random() < titled:
            title, title_terms = make_text(rng, 1)
            title = title[:-1]
            title_terms = [t for t in title_terms if t["end"] <= len(title)]
        kind = KINDS[i % len(KINDS)]
        batch["id"].append(f"src:{i}")
        batch["source"].append("src")
        batch["domain"].append("industrial" if kind in KINDS[:3] else "general")
        batch["kind"].append(kind)
        batch["title"].append(title)
        batch["text"].append(text)
        batch["label"].append("")
        batch["priority"].append(rng.choice([0.0, 0.0, 2.0]))
        batch["terms"].append(terms)
        batch["title_terms"].append(title_terms)
    return batch


def take_rows(batch: dict[str, list], rows: list[int]) -> dict[str, list]:
    return {key: [values[r] for r in rows] for key, values in batch.items()}


def format_corpus(docs: dict[str, list], config: FormatConfig, seed: int) -> dict[str, list]:
    sizes = format_sizes(docs, config)
    docs = dict(docs)
    docs["_as_pair"] = assign_formats(sizes["has_title"], sizes["paragraph_chars"], docs["id"],
                                      config.title_content_share, seed, pair_chars=sizes["pair_chars"])
    docs["_copy"] = [0] * len(docs["id"])
    return FormatStage(config, seed)(docs)


# -- sentences and windows ------------------------------------------------------------------------------


def test_windows_prefer_sentence_ends():
    rng = random.Random(1)
    text, terms = make_text(rng, 60)
    width = 120
    spans = split_sentences(text)
    assert max(e - s for s, e in spans) <= width
    ends = {e for _, e in spans}
    windows = window_spans(text, terms, width)
    assert len(windows) > 3
    assert all(how == "sentence" and end in ends for _, end, how in windows)
    # greedy: a window could not have taken the next sentence too
    for start, end, _ in windows[:-1]:
        following = min(e for e in ends if e > end)
        assert following - start > width


def test_long_sentence_is_cut_at_a_clause_then_anywhere_outside_terms():
    text = "检查" * 20 + "，" + "设备" * 20 + "。"
    windows = window_spans(text, [], 60)
    assert windows[0] == (0, 41, "clause")
    no_clause = "检查设备泄漏" * 20 + "。"
    terms = [{"start": 6 * i + 4, "end": 6 * i + 6} for i in range(20)]
    windows = window_spans(no_clause, terms, 33)
    assert windows[0][2] == "char" and windows[0][1] == 33  # 33 = 6*5+3 is outside the terms
    windows = window_spans(no_clause, terms, 35)
    assert windows[0][1] == 34  # 35 would cut 泄漏 at 34..36


@st.composite
def texts_with_terms(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("检查设备阀门泄漏，、；。！？ \n a1")), min_size=0, max_size=400))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=40)))
    terms = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        # like ontology matches, a term may hold a space inside but never starts or ends with one
        if 0 < end - start <= 8 and not text[start].isspace() and not text[end - 1].isspace():
            terms.append({"start": start, "end": end, "concept_id": "c", "category": "X", "sense": ""})
    width = draw(st.integers(9, 80))
    return text, terms, width


@settings(max_examples=300, deadline=None)
@given(texts_with_terms())
def test_windows_fit_and_never_split_a_term(case):
    text, terms, width = case
    windows = window_spans(text, terms, width)
    for start, end, how in windows:
        assert 0 < end - start <= width
        assert how != "term"  # terms (<= 8 chars) always fit a window
        for term in terms:
            assert not (term["start"] < start < term["end"]) and not (term["start"] < end < term["end"])
    # nothing but whitespace is lost, and windows are in order without overlap
    kept = "".join(text[s:e] for s, e, _ in windows)
    assert [c for c in kept if not c.isspace()] == [c for c in text if not c.isspace()]
    assert all(a[1] <= b[0] for a, b in zip(windows, windows[1:], strict=False))


@settings(max_examples=100, deadline=None)
@given(texts_with_terms(), st.booleans(), st.integers(16, 60))
def test_examples_fit_max_seq_len_and_reoffset_terms(case, as_pair, max_len):
    text, terms, _ = case
    title = "安全阀泄漏检查记录表"
    title_terms = [{"start": 0, "end": 3, "concept_id": "c:安全阀", "category": "EQUIP", "sense": ""}]
    doc = {"id": "d", "source": "s", "domain": "industrial", "kind": "sop", "title": title, "text": text,
           "label": "", "priority": 1.5, "terms": terms, "title_terms": title_terms}
    examples = FormatStage(FormatConfig(max_seq_len=max_len)).examples(doc, as_pair)
    source_terms = {text[t["start"]:t["end"]] for t in terms} | {"安全阀"}
    for ex in examples:
        special = 3 if ex["format"] == "title_content" else 2
        assert len(ex["title"]) + len(ex["text"]) + special <= max_len
        for term in ex["terms"]:
            assert ex["text"][term["start"]:term["end"]] in source_terms
        for term in ex["title_terms"]:
            assert ex["title"][term["start"]:term["end"]] == "安全阀"
        for sentence in ex["sentences"]:
            assert 0 <= sentence["start"] < sentence["end"] <= len(ex["text"])


# -- examples -------------------------------------------------------------------------------------------


def examples_by_hand(doc: dict, as_pair: bool, config: FormatConfig) -> list[tuple]:
    """(title, text, terms, title_terms, sentences) of each example, one window at a time (the reference)."""
    title, text = (doc["title"] if doc["title"].strip() else ""), doc["text"]
    terms, title_terms = doc["terms"], doc["title_terms"]
    as_pair = as_pair and bool(title and text.strip())
    if as_pair:
        width = config.max_seq_len - 3 - len(title)
    else:
        if title:
            shift = len(title) + 1
            terms = title_terms + [{**t, "start": t["start"] + shift, "end": t["end"] + shift} for t in terms]
            text = f"{title}\n{text}"
        title, title_terms, width = "", [], config.max_seq_len - 2
    sentences = split_sentences(text)
    out = []
    for start, end, _ in window_spans(text, terms, width):
        clipped = []
        for s, e in sentences:
            s, e = max(s, start), min(e, end)
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                clipped.append({"start": s - start, "end": e - start})
        inside = [{**t, "start": t["start"] - start, "end": t["end"] - start} for t in terms
                  if t["start"] >= start and t["end"] <= end]
        out.append((title, text[start:end], inside, title_terms, clipped))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(texts_with_terms(), st.sampled_from(["", " ", "安全阀 检查", "阀门。\n检查"]), st.booleans()),
                min_size=1, max_size=5), st.integers(16, 60))
def test_examples_are_the_windows_of_each_document(cases, max_len):
    config = FormatConfig(max_seq_len=max_len)
    docs = [{"id": f"d{i}", "title": title, "text": text, "terms": terms,
             "title_terms": [{"start": 0, "end": 2, "concept_id": "c", "category": "X", "sense": ""}] if title else []}
            for i, ((text, terms, _), title, _) in enumerate(cases)]
    batch = {key: [doc[key] for doc in docs] for key in docs[0]}
    batch["_as_pair"] = [as_pair for _, _, as_pair in cases]
    out = FormatStage(config)(batch)
    got = list(zip(out["title"], out["text"], out["terms"], out["title_terms"], out["sentences"], strict=True))
    assert got == [example for doc, (_, _, as_pair) in zip(docs, cases, strict=True)
                   for example in examples_by_hand(doc, as_pair, config)]


def test_record_batches_give_the_columns_of_dicts():
    from corpusctl.io.columns import to_record_batch

    docs = make_documents(40, seed=11)
    docs["_as_pair"] = [i % 2 == 0 for i in range(40)]
    docs["_copy"] = [i % 3 for i in range(40)]
    config = FormatConfig(max_seq_len=64)
    batch = to_record_batch({key: docs[key] for key in FORMAT_READS if key in docs})
    out = FormatStage(config)(batch)
    assert {name: v.to_pylist() if hasattr(v, "to_pylist") else v for name, v in out.items()} == FormatStage(config)(docs)
    assert format_sizes(batch, config) == format_sizes(docs, config)


def test_title_content_windows_repeat_the_title():
    rng = random.Random(3)
    text, terms = make_text(rng, 30)
    doc = {"id": "r:1", "source": "reports", "domain": "industrial", "kind": "inspection_report",
           "title": "泄漏检查", "text": text, "label": "L", "priority": 2.0, "terms": terms,
           "title_terms": [{"start": 0, "end": 2, "concept_id": "c:泄漏", "category": "HAZ", "sense": ""}]}
    config = FormatConfig(max_seq_len=128)
    examples = FormatStage(config).examples(doc, True, copy=2)
    assert len(examples) > 2
    assert [ex["id"] for ex in examples] == [f"r:1#t{k}~r2" for k in range(len(examples))]
    for ex in examples:
        assert ex["format"] == "title_content" and ex["title"] == "泄漏检查"
        assert len(ex["text"]) <= 128 - 3 - 4
        assert ex["doc_ids"] == ["r:1"] and ex["priority"] == 2.0 and ex["label"] == "L"
        assert ex["title_terms"][0]["end"] == 2
    assert sum(len(ex["terms"]) for ex in examples) == len(terms)
    rows = title_reconstruction_rows({key: [ex[key] for ex in examples] for key in examples[0]})
    assert rows["content"] == [ex["text"] for ex in examples] and set(rows["title"]) == {"泄漏检查"}


def test_paragraph_keeps_the_title_as_its_first_line():
    doc = {"id": "n:1", "source": "news", "domain": "general", "kind": "news", "title": "灭火器检查",
           "text": "今日检查灭火器。", "label": "", "priority": 0.0,
           "terms": [{"start": 4, "end": 7, "concept_id": "c:灭火器", "category": "EQUIP", "sense": ""}],
           "title_terms": [{"start": 0, "end": 3, "concept_id": "c:灭火器", "category": "EQUIP", "sense": ""}]}
    (ex,) = FormatStage(FormatConfig()).examples(doc, False)
    assert ex["id"] == "n:1#p0" and ex["format"] == "paragraph" and ex["title"] == ""
    assert ex["text"] == "灭火器检查\n今日检查灭火器。"
    assert [ex["text"][t["start"]:t["end"]] for t in ex["terms"]] == ["灭火器", "灭火器"]
    assert ex["sentences"] == [{"start": 0, "end": 5}, {"start": 6, "end": 14}]
    (dropped,) = FormatStage(FormatConfig(paragraph_title="drop")).examples(doc, False)
    assert dropped["text"] == "今日检查灭火器。"


def test_pair_without_content_or_title_becomes_a_paragraph():
    stage = FormatStage(FormatConfig())
    (ex,) = stage.examples({"id": "a", "title": "", "text": "正文。", "terms": [], "title_terms": []}, True)
    assert ex["format"] == "paragraph" and ex["_events"] == ["format.pair_without_title"]
    long_title = "检" * 400
    (ex,) = stage.examples({"id": "b", "title": long_title, "text": "正文。", "terms": [], "title_terms": []}, True)
    assert ex["format"] == "title_content" and len(ex["title"]) <= (512 - 3) // 2
    assert "format.title_truncated" in ex["_events"]


def test_stage_output_columns_batches_and_pickling():
    docs = make_documents(60, seed=4)
    config = FormatConfig(max_seq_len=200)
    docs["_as_pair"] = [bool(t) and i % 2 == 0 for i, t in enumerate(docs["title"])]
    docs["_copy"] = [0] * 60
    stage = pickle.loads(pickle.dumps(FormatStage(config, seed=1)))
    whole = stage(docs)
    assert set(EXAMPLE_COLUMNS) <= set(whole)
    parts = [stage(take_rows(docs, list(range(i, min(i + 7, 60))))) for i in range(0, 60, 7)]
    joined = {key: [v for part in parts for v in part[key]] for key in whole}
    assert joined == whole  # nothing depends on batch boundaries
    assert len(set(whole["id"])) == len(whole["id"])


# -- format balance -------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_seq_len", [512, 128])
def test_title_content_holds_half_of_the_characters(max_seq_len):
    docs = make_documents(600, seed=5)
    config = FormatConfig(max_seq_len=max_seq_len)
    examples = format_corpus(docs, config, seed=42)
    stats = format_stats(examples["format"], example_chars(examples), target=0.5)
    assert abs(stats["shares"]["title_content"] - 0.5) <= 0.02, stats
    assert abs(stats["deviation_points"]) <= 2
    assert stats["examples"]["title_content"] > 0 and stats["examples"]["paragraph"] > 0
    assert len(title_reconstruction_rows(examples)["id"]) == stats["examples"]["title_content"]


def test_format_sizes_are_the_example_sizes():
    docs = make_documents(80, seed=9)
    config = FormatConfig(max_seq_len=100)
    sizes = format_sizes(docs, config)
    stage = FormatStage(config)
    for row in range(80):
        doc = {key: values[row] for key, values in docs.items()}
        for as_pair, key in ((False, "paragraph_chars"), (True, "pair_chars")):
            examples = stage.examples(doc, as_pair)
            assert sum(len(ex["title"]) + len(ex["text"]) for ex in examples) == sizes[key][row]
        assert sizes["has_title"][row] == bool(doc["title"])


def test_other_shares_and_scarce_titles():
    docs = make_documents(400, seed=6)
    chars = [len(t) + len(x) for t, x in zip(docs["title"], docs["text"], strict=True)]
    has_title = [bool(t) for t in docs["title"]]
    for share in (0.2, 0.7):
        pairs = assign_formats(has_title, chars, docs["id"], share, seed=1)
        achieved = sum(c for c, p in zip(chars, pairs, strict=True) if p) / sum(chars)
        assert abs(achieved - share) <= 0.01
        assert not any(p and not t for p, t in zip(pairs, has_title, strict=True))
    few = [i < 20 and t for i, t in enumerate(has_title)]
    pairs = assign_formats(few, chars, docs["id"], 0.5, seed=1)
    assert pairs == few  # titled text is scarcer than the budget: every titled row is a pair


def test_format_assignment_deterministic_per_seed():
    docs = make_documents(300, seed=7)
    chars = [len(t) + len(x) for t, x in zip(docs["title"], docs["text"], strict=True)]
    has_title = [bool(t) for t in docs["title"]]
    a = assign_formats(has_title, chars, docs["id"], 0.5, seed=42)
    assert a == assign_formats(has_title, chars, docs["id"], 0.5, seed=42)
    assert a != assign_formats(has_title, chars, docs["id"], 0.5, seed=7)


def test_mix_then_format_keeps_kind_and_format_shares():
    """The whole issue-5 path: plan the mix, expand copies, assign formats, cut examples."""
    docs = make_documents(1200, seed=8)
    kinds = docs["kind"]
    chars = [len(t) + len(x) for t, x in zip(docs["title"], docs["text"], strict=True)]
    kinds = ["inspection_report" if i % 5 == 0 else k for i, k in enumerate(kinds)]  # skew one kind up
    docs["kind"] = kinds
    plan = plan_mix(kinds, chars, docs["priority"], docs["id"], MixConfig(), seed=42)
    rows = copy_rows(plan.copies)
    picked = take_rows(docs, [row for row, _ in rows])
    picked["_copy"] = [copy for _, copy in rows]
    copy_ids = [f"{i}~r{c}" if c else i for i, c in zip(picked["id"], picked["_copy"], strict=True)]
    config = FormatConfig(max_seq_len=512)
    sizes = format_sizes(docs, config)  # per document, before expanding copies
    picked["_as_pair"] = assign_formats(
        [sizes["has_title"][row] for row, _ in rows], [sizes["paragraph_chars"][row] for row, _ in rows],
        copy_ids, 0.5, 42, pair_chars=[sizes["pair_chars"][row] for row, _ in rows],
    )
    examples = FormatStage(config, 42)(picked)
    sizes = example_chars(examples)
    total = sum(sizes)
    for kind, share in MixConfig().shares.items():
        achieved = sum(s for s, k in zip(sizes, examples["kind"], strict=True) if k == kind) / total
        assert abs(achieved - share) <= 0.01, (kind, achieved)
    assert abs(format_stats(examples["format"], sizes)["shares"]["title_content"] - 0.5) <= 0.02


def test_pairs_are_every_titled_row_before_the_window_and_fill_budget_inside_it(monkeypatch):
    """With a window of 5 rows, `assign_formats` is the plain algorithm written out here: titled rows in
    (hash, id) order, all those more than 5 before the point where the running weight passes the budget,
    and `fill_budget` over the 5 on each side of it."""
    import random

    from corpusctl.stages import mix_select, stable_hash
    from corpusctl.stages.budget import fill_budget
    from corpusctl.stages.format import assign_formats

    rng = random.Random(4)
    n, share = 400, 0.5
    titled = [rng.random() < 0.8 for _ in range(n)]
    para = [rng.randint(30, 900) for _ in range(n)]
    pair = [p + rng.randint(0, 40) for p in para]
    ids = [f"d{i}" for i in range(n)]
    monkeypatch.setattr(mix_select, "WINDOW", 5)
    got = assign_formats(titled, para, ids, share, 9, pair_chars=pair)

    weights = [(1 - share) * a + share * b for a, b in zip(pair, para)]
    budget = share * sum(para)
    order = sorted((r for r in range(n) if titled[r]), key=lambda r: (stable_hash(9, "format", ids[r]), ids[r]))
    crossing, a_sum, b_sum = len(order), 0, 0
    for i, r in enumerate(order):
        if (1 - share) * (a_sum + pair[r]) + share * (b_sum + para[r]) > budget:
            crossing = i
            break
        a_sum, b_sum = a_sum + pair[r], b_sum + para[r]
    lo, hi = max(0, crossing - 5), min(len(order), crossing + 5)
    assert lo > 0
    before = order[:lo]
    rest = budget - ((1 - share) * sum(pair[r] for r in before) + share * sum(para[r] for r in before))
    expected = set(before) | set(fill_budget(order[lo:hi], weights, rest))
    assert {r for r in range(n) if got[r]} == expected
