"""NER export: BMEO files, JSONL, spaCy DocBin, leak-free stratified splits, human overrides."""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ner_rows import make_rows

from corpusctl.errors import CorpusctlError
from corpusctl.exports.distant import DistantRules
from corpusctl.exports.ner import (
    SPLITS,
    NerConfig,
    _in_span_order,
    _span_order,
    clean_sentence,
    export_ner,
    row_sentences,
    sample_bars,
    write_docbin,
)
from corpusctl.exports.schemes import (
    char_conll,
    convert_file,
    read_conll,
    spans_to_tags,
    validate_file,
    write_conll,
)
from corpusctl.exports.splits import normalize
from corpusctl.stages import stable_hash


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "ner"
    rows = make_rows(700)
    stats = export_ner(rows, out, NerConfig(), seed=42)
    return out, stats, rows


def test_files_are_valid_bmeo_with_four_types_and_80_10_10(exported):
    out, stats, _ = exported
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["labels.json"] + [f"{s}.{x}" for s in ("train", "dev", "test") for x in ("txt", "jsonl", "spacy")]
    )
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    assert labels["entity_types"] == ["DEVICE", "FAULT", "PLACE", "STANDARD", "SUBSTANCE"]
    assert "M-DEVICE" in labels["tags"] and "S-DEVICE" not in labels["tags"]
    sizes = stats["sentences"]
    total = sum(sizes.values())
    assert total > 1500
    for name, share in (("train", 0.8), ("dev", 0.1), ("test", 0.1)):
        assert abs(sizes[name] / total - share) < 0.02, sizes
        assert validate_file(out / f"{name}.txt", "BMEO") == []
        assert {tag for s in read_conll(out / f"{name}.txt") for tag in s.tags} <= set(labels["tags"])
    assert stats["leaks"] == 0
    # one-character entities are written as a lone B-X
    assert any(("缸", "B-DEVICE") in zip(s.tokens, s.tags, strict=True) for s in read_conll(out / "train.txt"))


def test_jsonl_matches_conll_in_the_same_order(exported):
    out, _, _ = exported
    for name in ("train", "dev", "test"):
        records = read_jsonl(out / f"{name}.jsonl")
        sentences = list(read_conll(out / f"{name}.txt"))
        assert len(records) == len(sentences)
        for record, sentence in zip(records, sentences, strict=True):
            assert record["text"] == sentence.text
            assert [tuple(e) for e in record["entities"]] == sentence.char_spans("BMEO")
            assert all(record["text"][s:e] for s, e, _ in record["entities"])


def test_no_identical_sentence_in_two_splits_and_stratified(exported):
    out, stats, _ = exported
    texts = {name: [normalize(r["text"]) for r in read_jsonl(out / f"{name}.jsonl")] for name in ("train", "dev", "test")}
    assert not set(texts["train"]) & set(texts["test"])
    assert not set(texts["train"]) & set(texts["dev"])
    assert not set(texts["dev"]) & set(texts["test"])
    # the generator repeats short sentences, so duplicates were grouped (and the report says so)
    assert stats["dedup"]["exact_duplicates"] > 0 and stats["dedup"]["moved"] > 0
    # each entity type's share of sentences is close between train and test
    for kind in ("DEVICE", "FAULT", "PLACE"):
        shares = {}
        for name in ("train", "test"):
            records = read_jsonl(out / f"{name}.jsonl")
            shares[name] = sum(any(e[2] == kind for e in r["entities"]) for r in records) / len(records)
        assert abs(shares["train"] - shares["test"]) < 0.05, (kind, shares)


def test_bioes_conversion_read_by_seqeval_strict_finds_the_jsonl_spans(exported, tmp_path):
    from seqeval.metrics.sequence_labeling import get_entities
    from seqeval.scheme import IOBES, Entities

    out, _, _ = exported
    bioes = tmp_path / "train.bioes"
    convert_file(out / "train.txt", bioes, "BMEO", "BIOES")
    sentences = [s.tags for s in read_conll(bioes)]
    records = read_jsonl(out / "train.jsonl")
    strict = Entities(sentences, IOBES, suffix=False)
    found = [sorted((e.start, e.end, e.tag) for e in sentence) for sentence in strict.entities]
    expected = [sorted(tuple(e) for e in r["entities"]) for r in records]
    assert found == expected
    assert sum(map(len, expected)) > 1000
    # the lenient reader agrees as well (end inclusive)
    lenient = [sorted((s, e + 1, t) for t, s, e in get_entities(tags)) for tags in sentences]
    assert lenient == expected


def test_spacy_docbin_loads_with_blank_zh_and_holds_the_same_entities(exported):
    import spacy
    from spacy.tokens import DocBin

    out, _, _ = exported
    nlp = spacy.blank("zh")
    for name in ("train", "test"):
        docs = list(DocBin().from_disk(out / f"{name}.spacy").get_docs(nlp.vocab))
        records = read_jsonl(out / f"{name}.jsonl")
        assert len(docs) == len(records)
        for doc, record in zip(docs, records, strict=True):
            assert doc.text == record["text"]
            assert [[e.start_char, e.end_char, e.label_] for e in doc.ents] == record["entities"]
            assert [t.text for t in doc] == [t.text for t in nlp(record["text"])]  # one token per character


def test_export_is_deterministic_and_independent_of_row_order(exported, tmp_path):
    out, _, rows = exported
    again = tmp_path / "ner"
    export_ner(list(reversed(rows)), again, NerConfig(), seed=42)
    for name in ("train.txt", "dev.jsonl", "test.jsonl", "labels.json", "train.spacy"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    other = tmp_path / "ner7"
    export_ner(rows, other, NerConfig(), seed=7)
    assert (other / "test.jsonl").read_bytes() != (out / "test.jsonl").read_bytes()


def test_near_duplicate_sentences_share_a_split(tmp_path):
    base = "配电室的配电柜发生短路故障请班组立即处理并报告安全部门"
    rows = [{"id": "base", "title": "", "text": base, "terms": [{"start": 4, "end": 7, "category": "DEVICE"}], "sentences": []}]
    for i in range(40):
        variant = base[: i % 20] + "和" + base[i % 20 + 1 :]  # one character changed: near-identical to base
        rows.append({"id": f"d{i}", "title": "", "text": variant, "terms": [{"start": 3, "end": 6, "category": "DEVICE"}], "sentences": []})
    rows += make_rows(150, seed=3)
    out = tmp_path / "ner"
    stats = export_ner(rows, out, NerConfig(), seed=1)
    where = {name: [r["text"] for r in read_jsonl(out / f"{name}.jsonl") if r["text"].endswith("报告安全部门")] for name in ("train", "dev", "test")}
    assert sum(bool(v) for v in where.values()) == 1, {k: len(v) for k, v in where.items()}
    assert stats["dedup"]["near_duplicate_merges"] >= 19 and stats["dedup"]["exact_duplicates"] >= 20


def test_placeholders_whitespace_titles_and_crossing_spans():
    counts = Counter()
    row = {
        "id": "r1",
        "title": "阀门泄漏",
        "title_terms": [{"start": 0, "end": 2, "category": "DEVICE"}],
        "text": "联系人[PERSON]电话[MOBILE]。泵 房漏电。跨句",
        "terms": [
            {"start": 0, "end": 11, "category": "ROLE"},  # swallows the [PERSON] placeholder: dropped
            {"start": 11, "end": 21, "category": "DEVICE"},  # "电话[MOBILE]": dropped
            {"start": 22, "end": 25, "category": "PLACE"},  # "泵 房" -> "泵房" once whitespace is dropped
            {"start": 25, "end": 27, "category": ""},  # lexicon-only term: not an entity
            {"start": 27, "end": 30, "category": "FAULT"},  # crosses a sentence boundary: dropped
        ],
        "sentences": [{"start": 0, "end": 22}, {"start": 22, "end": 28}, {"start": 28, "end": 30}],
    }
    pieces = row_sentences(row, include_titles=True, counts=counts)
    assert pieces == [
        ("r1/t", "阀门泄漏", [(0, 2, "DEVICE")]),
        ("r1/s00000", "联系人[PERSON]电话[MOBILE]。", []),
        ("r1/s00001", "泵房漏电。", [(0, 2, "PLACE")]),
        ("r1/s00002", "跨句", []),
    ]
    assert counts == Counter(dropped_placeholder=2, non_entity_spans=1, dropped_crossing_sentence=1)
    assert clean_sentence(" a b ", [(1, 4, "X"), (0, 1, "Y")]) == ("ab", [(0, 2, "X")])


def test_whitespace_ties_keep_the_input_order_and_offsets_stay_ints():
    # cleaning " 阀门" makes both spans (0, 2): the first in the input wins, as the per-sentence order always did
    row = {"id": "r", "title": "", "text": " 阀门漏电", "sentences": [],
           "terms": [{"start": 1, "end": 3, "category": "B"}, {"start": 0, "end": 3, "category": "A"}]}
    counts = Counter()
    assert row_sentences(row, include_titles=True, counts=counts) == [("r/s00000", "阀门漏电", [(0, 2, "B")])]
    assert counts["dropped_overlap"] == 1
    _, spans = clean_sentence("ab c", [(1, 4, "X")])
    assert spans == [(1, 3, "X")] and [type(v) for v in spans[0][:2]] == [int, int]  # a bool would be `true` in JSON


def _reference_row_sentences(row: dict, counts: Counter) -> list:
    """The plain per-sentence, per-span, per-character algorithm that `row_sentences` must agree with."""
    title = row["title"]
    pieces = [(f"{row['id']}/t", title, [(0, len(title))], row["title_terms"])] if title.strip() else []
    bounds = [(s["start"], s["end"]) for s in row["sentences"]] or [(0, len(row["text"]))]
    pieces.append((f"{row['id']}/s", row["text"], bounds, row["terms"]))
    out = []
    for prefix, full, bounds, terms in pieces:
        spans = [(t["start"], t["end"], "_".join(str(t["category"] or "").split())) for t in terms]
        counts["non_entity_spans"] += sum(not kind for _, _, kind in spans)
        spans = [s for s in spans if s[2] and 0 <= s[0] < s[1] <= len(full)]
        inside_any = 0
        for index, (a, b) in enumerate(bounds):
            inside = [(s - a, e - a, kind) for s, e, kind in spans if a <= s and e <= b]
            inside_any += len(inside)
            kept_before = [sum(not c.isspace() for c in full[a:b][:i]) for i in range(b - a + 1)]
            text = "".join(c for c in full[a:b] if not c.isspace())
            entities = [(kept_before[s], kept_before[e], k) for s, e, k in inside if kept_before[e] > kept_before[s]]
            holes = [(m.start(), m.end(), m.group()[1:-1]) for m in re.finditer(r"\[[A-Z_]+\]", text)]
            clear = [not any(s < he and hs < e and k.upper() != name for hs, he, name in holes) for s, e, k in entities]
            counts["dropped_placeholder"] += clear.count(False)
            kept: list = []
            for span in sorted((x for x, ok in zip(entities, clear) if ok), key=lambda x: (x[0], x[0] - x[1])):
                if kept and span[0] < kept[-1][1]:
                    counts["dropped_overlap"] += 1
                else:
                    kept.append(span)
            out.append((prefix if prefix.endswith("/t") else f"{prefix}{index:05d}", text, kept))
        counts["dropped_crossing_sentence"] += len(spans) - inside_any
    return out


def test_row_sentences_agrees_with_the_plain_algorithm_on_random_rows():
    rng = random.Random(11)
    pieces = ["阀", "门", "漏", "。", "a", " ", "\u3000", "[AB]", "[X_Y]", "["]
    for n in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        title = rng.choice(["", " ", "阀门 [AB]漏"])

        def terms(length):
            categories = ["DEVICE", "ab", "x_y", "two words", "", None]
            starts = [rng.randint(0, length + 1) for _ in range(rng.randint(0, 8))]
            return [{"start": s, "end": s + rng.randint(-1, 5), "category": rng.choice(categories)} for s in starts]

        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 4))))
        bounds = list(zip(cuts, cuts[1:]))
        if rng.random() < 0.3:  # overlapping and out-of-range sentences
            bounds = [tuple(sorted(rng.sample(range(len(text) + 2), 2))) for _ in range(3)]
        row = {"id": f"r{n}", "title": title, "text": text, "terms": terms(len(text)), "title_terms": terms(len(title)),
               "sentences": [{"start": a, "end": b} for a, b in bounds]}
        got, expected = Counter(), Counter()
        # the plumbing (sentences, offsets, placeholders, overlaps) with no distant-labelling rule in the way
        keep_all = DistantRules(stop=frozenset(), dictionary=None, compound_heads=frozenset())
        assert row_sentences(row, include_titles=True, counts=got, rules=keep_all) == _reference_row_sentences(row, expected), row
        assert +got == +expected, row


def test_the_sample_is_the_bottom_k_of_stable_hash(tmp_path):
    rows = make_rows(300, seed=9)
    export_ner(rows, tmp_path / "ner", NerConfig(max_sentences=200, empty_share=0.2), seed=2)
    sentences = [piece for row in rows for piece in row_sentences(row, True, Counter())]
    keys = [key for key, text, entities in sentences if entities and len(text) >= 2]
    expected = sorted(keys, key=lambda key: (stable_hash(2, "ner", key), key))[:160]
    exported = [r["id"] for name in SPLITS for r in read_jsonl(tmp_path / "ner" / f"{name}.jsonl") if r["entities"]]
    assert sorted(exported) == sorted(expected)


def test_jsonl_lines_are_json_dumps_of_their_record(tmp_path):
    tricky = {"id": "q\"1", "title": "", "text": '他说"阀门\\泄漏"\x01😀', "sentences": [],
              "terms": [{"start": 3, "end": 5, "category": 'A"B'}, {"start": 10, "end": 11, "category": "C/D"}]}
    export_ner([*make_rows(20), tricky], tmp_path / "ner", NerConfig(), seed=1)
    lines = [line for name in SPLITS for line in (tmp_path / "ner" / f"{name}.jsonl").read_text("utf-8").splitlines()]
    assert all(line == json.dumps(json.loads(line), ensure_ascii=False) for line in lines)
    [record] = [json.loads(line) for line in lines if json.loads(line)["id"] == 'q"1/s00000']
    assert record["text"] == '他说"阀门\\泄漏"\x01😀' and record["entities"] == [[3, 5, 'A"B'], [10, 11, "C/D"]]


@pytest.mark.parametrize("scheme", ["BMEO", "BIO", "BIOES", "BMES"])
def test_char_conll_writes_what_write_conll_writes(scheme):
    rng = random.Random(scheme)
    for _ in range(300):
        text = "".join(rng.choice("阀门泄漏A1") for _ in range(rng.randint(0, 12)))
        spans, start = [], rng.randint(0, 2)
        while start < len(text):
            end = rng.randint(start + 1, min(len(text), start + 4))
            spans.append((start, end, rng.choice(["X", "Y_Z"])))
            start = end + rng.randint(0, 2)
        rng.shuffle(spans)
        handle = io.StringIO()
        write_conll(handle, list(text), spans_to_tags(len(text), spans, scheme))
        assert char_conll(text, spans, scheme) == handle.getvalue()
    with pytest.raises(ValueError, match="overlap"):
        char_conll("abcd", [(0, 2, "X"), (1, 3, "Y")], scheme)
    with pytest.raises(ValueError, match="out of range"):
        char_conll("abcd", [(2, 5, "X")], scheme)


@pytest.mark.parametrize("chunk", [1 << 18, 3])
def test_write_docbin_is_byte_identical_to_a_docbin_of_docs(tmp_path, monkeypatch, chunk):
    import spacy
    from spacy.tokens import Doc, DocBin

    from corpusctl.exports import docbin

    monkeypatch.setattr(docbin, "CHUNK_TOKENS", chunk)  # the token table packed and compressed in pieces
    # characters whose spaCy norm is not themselves (case, BASE_NORMS), one outside the BMP, characters and labels
    # that are spaCy symbols (X, _, LOC, ORG: fixed ids, not hashes), label strings of every length mod 8, a
    # token table of each msgpack bin size (< 256, < 65536 and more bytes), and an empty Doc list
    texts = ["阀门泄漏…", "Ａ’A1¥€—“”😀", "x", "缸体", "X_ab_X", "ABCDEFGHIJKLMNOPQ", "阀门" * 1500]
    entities = [[(0, 2, "DEVICE"), (2, 4, "FAULT")], [(3, 6, "Y_Z"), (0, 1, "X")], [(0, 1, "DEVICE")], [],
                [(0, 1, "LOC"), (1, 2, "_"), (2, 4, "ORG"), (5, 6, "设备")],
                [(i, i + 1, "T" * (i + 1)) for i in range(17)], [(i, i + 2, "DEVICE") for i in range(0, 3000, 7)]]
    for n in (len(texts), len(texts) - 1, 1, 0):
        vocab = spacy.blank("zh").vocab
        expected = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"])
        for text, spans in zip(texts[:n], entities[:n], strict=True):
            doc = Doc(vocab, words=list(text), spaces=[False] * len(text))
            doc.ents = [doc.char_span(s, e, label=k) for s, e, k in spans]
            expected.add(doc)
        write_docbin(tmp_path / "docs.spacy", texts[:n], entities[:n])
        assert (tmp_path / "docs.spacy").read_bytes() == expected.to_bytes(), n


def test_docbin_string_ids_and_norms_are_spacys():
    """The hash, the symbol table and the norms `docbin` uses are the ones a blank zh vocabulary uses."""
    import spacy
    from spacy.symbols import IDS

    from corpusctl.exports.docbin import norm, string_id

    vocab = spacy.blank("zh").vocab
    samples = [*IDS, *map(chr, range(0x20, 0x3100)), "阀门泄漏", "", "a" * 64, "😀", "LOCATION", "ACCIDENT"]
    assert [string_id(s) for s in samples] == [vocab.strings.add(s) for s in samples]
    chars = [chr(c) for c in range(0x20, 0x3100)] + ["😀", "𠀀"]
    assert [norm(c) for c in chars] == [vocab[c].norm_ for c in chars]


def test_the_export_does_not_import_spacy(tmp_path):
    """`import spacy` costs ~3 CPU-s per export (issue 21); the DocBin writer does without it."""
    code = ("import sys; sys.path.insert(0, 'tests'); from ner_rows import make_rows; from corpusctl.exports.ner import NerConfig, export_ner; "
            f"export_ner(make_rows(30), __import__('pathlib').Path({str(tmp_path / 'ner')!r}), NerConfig(), seed=1); "
            "assert not [m for m in sys.modules if m == 'spacy' or m.startswith(('spacy.', 'thinc', 'torch'))], "
            "sorted(m for m in sys.modules if 'spacy' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
    assert (tmp_path / "ner" / "train.spacy").exists()


def test_human_annotations_override_distant_labels(tmp_path):
    rows = make_rows(120, seed=5)
    target = rows[0]["text"][rows[0]["sentences"][0]["start"] : rows[0]["sentences"][0]["end"]].strip()
    doccano = tmp_path / "human.jsonl"
    lines = [
        {"text": target, "label": [[0, 2, "HUMAN"]]},
        {"text": "人工标注的新句子提到阀门。", "label": [[10, 12, "DEVICE"]]},
        {"text": "重叠的标注", "label": [[0, 2, "A"], [1, 3, "B"]]},
    ]
    doccano.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    rejects: list[dict] = []
    out = tmp_path / "ner"
    stats = export_ner(rows, out, NerConfig(annotations=[doccano]), seed=3, rejects=rejects)
    records = [r for name in ("train", "dev", "test") for r in read_jsonl(out / f"{name}.jsonl")]
    same_text = [r for r in records if r["text"] == target]
    assert same_text and all(r["entities"] == [[0, 2, "HUMAN"]] and r["source"] == "human" for r in same_text)
    assert any(r["text"] == "人工标注的新句子提到阀门。" and r["entities"] == [[10, 12, "DEVICE"]] for r in records)
    assert stats["distant"]["overridden_by_human"] >= 1 and stats["examples"]["human"] == 2
    assert [r["reason"] for r in rejects] == ["overlapping_spans"] and rejects[0]["detail"].startswith(f"{doccano}:3:")
    assert stats["rejects"] == {"overlapping_spans": 1}
    assert "HUMAN" in json.loads((out / "labels.json").read_text(encoding="utf-8"))["entity_types"]
    with pytest.raises(CorpusctlError, match=rf"{doccano}:3: spans \[0, 2\) A and \[1, 3\) B overlap"):
        export_ner(rows, tmp_path / "strict", NerConfig(annotations=[doccano]), seed=3, strict=True)
    assert not (tmp_path / "strict").exists()


def test_max_sentences_keeps_a_deterministic_sample_and_empty_share(tmp_path):
    rows = make_rows(300, seed=9)
    config = NerConfig(max_sentences=200, empty_share=0.2)
    stats = export_ner(rows, tmp_path / "a", config, seed=2)
    total = sum(stats["sentences"].values())
    assert total <= 200
    assert stats["distant"]["kept_with_entities"] == 160 and stats["distant"]["sampled_out_with_entities"] > 0
    empty = stats["distant"]["kept_without_entities"]
    assert empty == min(40, stats["distant"]["without_entities"])
    export_ner(list(reversed(rows)), tmp_path / "b", config, seed=2)
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (tmp_path / "b" / "train.jsonl").read_bytes()


def test_other_scheme_and_config_errors(tmp_path):
    out = tmp_path / "ner"
    export_ner(make_rows(60, seed=2), out, NerConfig(scheme="BIOES"), seed=1)
    assert validate_file(out / "train.txt", "BIOES") == []
    assert json.loads((out / "labels.json").read_text(encoding="utf-8"))["scheme"] == "BIOES"
    with pytest.raises(ValueError, match="sum to 1"):
        NerConfig(split=(0.8, 0.1, 0.2))
    with pytest.raises(ValueError, match="Extra inputs"):
        NerConfig(shceme="BIO")
    with pytest.raises(CorpusctlError, match="no sentences"):
        export_ner([], tmp_path / "empty", NerConfig(), seed=1)
    unlabelled = [{"id": "a", "text": "今天检查了现场。", "terms": [], "sentences": [{"start": 0, "end": 8}]}]
    with pytest.raises(CorpusctlError, match=r"none of the 1 sentences has an entity.*ner: \{enabled: false\}"):
        export_ner(unlabelled, tmp_path / "unlabelled", NerConfig(), seed=1)


def test_term_spans_read_as_tuples_label_like_term_dicts():
    """`iter_rows` reads term spans from Arrow as `Term` tuples (issue 21): the labels and counts are those of
    the same spans as dicts, nulls and homonym senses included."""
    import pyarrow as pa

    from corpusctl.exports.ner import _term_lists

    rows = make_rows(60, seed=5)
    rows[0]["terms"] = [{**t, "sense": "s1", "concept_id": None} for t in rows[0]["terms"]]
    rows[1]["terms"] = [{**t, "category": None} for t in rows[1]["terms"]]
    rows[2]["terms"] = None
    term = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("concept_id", pa.string()),
                      ("category", pa.string()), ("sense", pa.string())])
    for name in ("terms", "title_terms"):
        tuples = _term_lists(pa.chunked_array([pa.array([row[name] for row in rows], pa.list_(term))]))
        assert all(isinstance(t, tuple) for terms in tuples if terms for t in terms)
        for row, terms in zip(rows, tuples, strict=True):
            row[f"{name}_tuples"] = terms
    for row in rows:
        as_tuples = {**row, "terms": row["terms_tuples"], "title_terms": row["title_terms_tuples"]}
        got, expected = Counter(), Counter()
        assert row_sentences(as_tuples, True, got) == row_sentences(row, True, expected)
        assert got == expected


def test_leaks_counted_from_given_forms_match_a_fresh_count():
    """The export hands count_leaks the forms it normalised for the split (issue 21)."""
    from corpusctl.exports.ner import NerExample, count_leaks

    examples = [NerExample((i,), f"k{i}", text, [], "distant") for i, text in enumerate(["阀门漏", "阀门 漏！", "泵", "泵。"])]
    by_split = {"train": examples[:1], "dev": examples[1:3], "test": examples[3:]}
    forms = {e.text: normalize(e.text) for e in examples}
    assert count_leaks(by_split, forms) == count_leaks(by_split) == 1


def _labelled_batches(rows: list[dict], config: NerConfig, seed: int, size: int) -> tuple[list, Counter]:
    """What the build's export reads: the `ner-label` stage's batch function run over Arrow batches of the rows
    (its checkpoint's columns), and the span counts of its events."""
    import pyarrow as pa

    from corpusctl.exports.ner import LABEL_COLUMNS, SPAN_EVENT
    from corpusctl.exports.ner_label import Labeller
    from corpusctl.io.columns import COLUMN_TYPES

    names = ["id", "title", "text", "sentences", "terms", "title_terms", "words", "title_words"]
    table = pa.Table.from_pylist([{name: row.get(name) for name in names} for row in rows],
                                 schema=pa.schema([(name, COLUMN_TYPES[name]) for name in names]))
    labeller, batches, events = Labeller(config, None, seed), [], Counter()
    for batch in table.to_batches(max_chunksize=size):
        labels = labeller(batch)
        events.update(event.removeprefix(SPAN_EVENT) for row in labels["_events"] for event in row)
        columns = {**{name: batch.column(name) for name in ("id", "title", "text")}, **labels}
        batches.append(pa.RecordBatch.from_arrays([columns[name] for name in LABEL_COLUMNS], names=LABEL_COLUMNS))
    return batches, events


@pytest.mark.parametrize("max_sentences", [60, 200_000])
def test_labelled_batches_export_what_the_rows_export(tmp_path, max_sentences):
    """The build's export reads per-sentence arrays from the `ner-label` checkpoint and cuts only the sentences
    whose hash may still enter the sample (issue 21): the files and counts are those of labelling the rows in
    the export, with a sample that fills up early (60) or never, batches of any size, titles, whitespace."""
    rows = make_rows(120, seed=4)
    rows[3] = {"id": "ws", "title": "泵 房", "text": "泵 房\u3000漏电。阀门 泄漏。", "sentences": [{"start": 0, "end": 7}, {"start": 7, "end": 13}],
               "terms": [{"start": 0, "end": 3, "category": "PLACE"}, {"start": 7, "end": 9, "category": "DEVICE"},
                         {"start": 10, "end": 12, "category": "FAULT"}],
               "title_terms": [{"start": 0, "end": 3, "category": "PLACE"}]}  # whitespace: cut shorter than their bounds
    rows[5]["title"] = " "  # a blank title is no sentence
    config = NerConfig(max_sentences=max_sentences, empty_share=0.2)
    expected = export_ner(rows, tmp_path / "rows", config, seed=5)
    for size, with_bars in ((1, False), (7, True), (2048, False), (2048, True)):
        batches, events = _labelled_batches(rows, config, 5, size)
        bars = sample_bars(batches, config) if with_bars else (None, None)  # read ahead: the final sample's
        got = export_ner(batches, tmp_path / f"batches{size}", config, seed=5, span_counts=events, bars=bars)
        for name in ("labels.json", *[f"{s}.{x}" for s in SPLITS for x in ("txt", "jsonl", "spacy")]):
            assert (tmp_path / f"batches{size}" / name).read_bytes() == (tmp_path / "rows" / name).read_bytes(), (size, name)
        assert got["distant"] == expected["distant"] and got["spans"] == expected["spans"]
        assert (bars[0] is not None) == (with_bars and max_sentences == 60)
    texts = {r["text"] for name in SPLITS for r in read_jsonl(tmp_path / "rows" / f"{name}.jsonl")}
    assert max_sentences == 60 or {"泵房", "泵房漏电。", "阀门泄漏。"} <= texts
    assert (expected["distant"]["sampled_out_with_entities"] > 0) == (max_sentences == 60)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.sampled_from(["PPE", "ROLE", "HAZARD"])), max_size=12))
def test_spans_are_put_in_order_by_start_longest_first_ties_in_input_order(raw):
    """`_in_span_order` (two stable sorts on C-level keys, issue 21) is `sorted(key=_span_order)`, ties included:
    equal (start, end) spans with other types keep their input order."""
    spans = [(start, start + length, kind) for start, length, kind in raw]
    assert _in_span_order(spans) == sorted(spans, key=_span_order)
