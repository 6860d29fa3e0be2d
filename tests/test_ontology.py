"""The ontology library: shipped data, validation, annotation (longest match, homonyms), segmenter terms."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.errors import CorpusctlError
from corpusctl.ontology import (
    DEFAULT_DIR,
    ONTOLOGY_WORD_FREQ,
    Annotator,
    Concept,
    Ontology,
    Sense,
    load_ontology,
    ontology_stats,
    segmenter_terms,
    validate_ontology,
)

SHIPPED = load_ontology(DEFAULT_DIR)


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(SHIPPED)


def write_folder(folder: Path, concepts: list[dict | str], relations: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in concepts]
    (folder / "concepts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "relations.tsv").write_text(relations, encoding="utf-8")
    return folder


def concept(cid: str, term: str, parent: str | None = None, category: str = "EQUIPMENT", **extra) -> dict:
    return {"id": cid, "term": term, "synonyms": [], "category": category, "parent": parent, **extra}


# -- the shipped ontology ---------------------------------------------------------------------------------


def test_shipped_ontology_validates_and_meets_the_sizes():
    assert validate_ontology(DEFAULT_DIR) == []
    stats = ontology_stats(SHIPPED)
    assert stats["concepts"] >= 1000
    assert len(stats["categories"]) >= 8
    assert {"EQUIPMENT", "COMPONENT", "HAZARD", "PPE", "BEHAVIOR", "LOCATION", "MATERIAL", "PROCEDURE"} <= set(
        stats["categories"])
    assert stats["homonyms"] >= 30
    assert stats["relations"] >= 5000
    assert stats["depth"] >= 3
    assert stats["synonyms"] > 100
    assert {"is_a", "part_of", "requires_ppe", "causes", "prevents", "located_in", "inspected_by"} <= set(
        stats["relation_types"])


def test_every_homonym_sense_has_cues_and_a_known_parent():
    for homonym in SHIPPED.homonyms:
        assert len(homonym.senses) >= 2
        assert homonym.default_sense in {s.id for s in homonym.senses}
        for sense in homonym.senses:
            assert sense.cues, (homonym.term, sense.id)
            assert sense.parent is None or sense.parent in SHIPPED


@pytest.mark.parametrize("term", ["灭火器", "安全帽", "安全带", "配电箱", "阀门", "管道", "压力表", "叉车", "脚手架",
                                  "动火作业", "受限空间", "硫化氢", "高处坠落", "接地"])
def test_common_safety_terms_are_in_the_ontology(term):
    assert SHIPPED.lookup(term) is not None


def test_fire_extinguisher_carries_its_parent_chain(annotator):
    spans = annotator.annotate("车间东侧的灭火器，指针已在红区。")
    span = next(s for s in spans if s["text"] == "灭火器")
    assert span["concept_id"] == "eq:灭火器"
    assert span["category"] == "EQUIPMENT"
    assert span["parents"][:2] == ["eq:便携式消防器材", "eq:消防器材"]
    assert span["parent_terms"][:2] == ["便携式消防器材", "消防器材"]
    assert SHIPPED.ancestors("eq:干粉灭火器")[:3] == ("eq:灭火器", "eq:便携式消防器材", "eq:消防器材")


def test_relations_are_held_as_arrays_and_queryable():
    relations = SHIPPED.relations
    assert len(relations) == len(relations.heads) == len(relations.tails) == len(relations.kinds)
    index = SHIPPED.index["eq:灭火器"]
    assert ("is_a", "eq:便携式消防器材") in relations.of(index)
    assert ("loc:配电室" in {tail for _, tail in relations.of(index, "located_in")})


EVAL_SET = DEFAULT_DIR / "eval" / "homonyms.tsv"
"""The tuning set: the sense examples are its sentences."""
HELD_OUT = DEFAULT_DIR / "eval" / "homonyms_heldout.tsv"
"""Written after the tuning set's errors had been looked at; never an example, never tuned on."""
HELD_OUT_FLOOR = {"accuracy": 0.92, "non_default_accuracy": 0.85, "abstention_rate": 0.05}
"""The issue's targets; measured once on the held-out set: 96.5 %, 95.0 %, 1.7 % (ontology/README.md)."""


@pytest.fixture(scope="module")
def eval_figures(annotator) -> dict:
    from corpusctl.ontology.senses import evaluate, read_eval_set

    items = read_eval_set(EVAL_SET) + read_eval_set(HELD_OUT)
    return evaluate(annotator.annotate, items, {c.term: c.default_sense for c in SHIPPED.homonyms})["splits"]


@pytest.mark.parametrize(("path", "split"), [(EVAL_SET, "tuned"), (HELD_OUT, "heldout")])
def test_the_eval_sets_are_natural_text_covering_every_homonym(path, split):
    from corpusctl.ontology.senses import read_eval_set

    items = read_eval_set(path)
    assert len(items) >= 200
    per_term = Counter(i.term for i in items)
    assert set(per_term) == {c.term for c in SHIPPED.homonyms} and min(per_term.values()) >= 3
    defaults = {c.term: c.default_sense for c in SHIPPED.homonyms}
    assert sum(i.sense != defaults[i.term] for i in items) >= len(items) / 2
    assert {i.split for i in items} == {split}
    senses = {(c.term, s.id) for c in SHIPPED.homonyms for s in c.senses}
    assert all((i.term, i.sense) in senses for i in items)
    # never "{cue}，{term}。": every sentence has more to it than the term and one cue word
    for item in items:
        rest = item.text.replace(item.term, "", 1).strip("，。")
        cues = {cue for c in SHIPPED.homonyms if c.term == item.term for s in c.senses for cue in s.cues}
        assert rest not in cues and len(item.text) >= 8, item.text


def test_senses_on_natural_sentences_keep_their_held_out_figures(eval_figures):
    held = eval_figures["heldout"]
    assert held["accuracy"] >= HELD_OUT_FLOOR["accuracy"]
    assert held["non_default_accuracy"] >= HELD_OUT_FLOOR["non_default_accuracy"]
    assert held["abstention_rate"] <= HELD_OUT_FLOOR["abstention_rate"]
    # the examples are the tuning set: training accuracy. 8 of its 232 sentences now hold the homonym inside a
    # longer term of the ontology (瓷插保险, 埋地管道, 塔顶平台, 疲劳裂纹, 腐蚀穿孔, 熄火保护 …), the span the NER
    # guidelines label, which the sense evaluation counts as no match (0.965 since issue 17's fourth pass)
    assert eval_figures["tuned"]["accuracy"] >= 0.96


@pytest.mark.parametrize(("text", "term", "sense"), [
    ("孩子临近高考，压力大得整夜睡不着。", "压力", "stress"),
    ("跳高运动员落下时先接地的是后背。", "接地", "ground_contact"),
    ("他给全家都买了意外伤害保险。", "保险", "insurance"),
    ("厂区大门口禁止停车。", "停车", "parking"),
    ("配电柜的外壳没有接地。", "接地", "grounding"),
])
def test_issue_examples_take_the_sense_a_reader_would(annotator, text, term, sense):
    (span,) = [s for s in annotator.annotate(text) if s["concept_id"] == f"h:{term}"]
    assert span["sense"] == sense and span["resolved"]


def test_a_homonym_without_evidence_abstains(annotator):
    (span,) = annotator.annotate("接地")
    assert (span["sense"], span["resolved"], span["category"], span["parents"]) == ("", False, "", [])
    (span,) = [s for s in annotator.annotate("飞机在跑道上接地") if s["concept_id"] == "h:接地"]
    assert (span["sense"], span["resolved"], span["category"], span["parents"]) == ("ground_contact", True, "", [])


def test_explain_shows_the_evidence_behind_each_choice(annotator):
    text = "新装的电焊机外壳没有接地，检查组要求当天整改。"
    (explained,) = annotator.explain(text)
    (span,) = [s for s in annotator.annotate(text) if s["concept_id"] == "h:接地"]
    assert explained["sense"] == span["sense"] == "grounding"
    by_sense = {s["sense"]: s for s in explained["senses"]}
    assert by_sense["grounding"]["score"] - by_sense["ground_contact"]["score"] == pytest.approx(
        explained["margin"], abs=2e-3)  # three numbers rounded to 3 decimals
    words = {(e["word"], e["kind"]) for e in by_sense["grounding"]["evidence"]}
    assert ("外壳", "cue") in words and ("电焊机", "domain") in words
    assert sum(e["weight"] for e in by_sense["grounding"]["evidence"]) == pytest.approx(
        by_sense["grounding"]["score"], abs=1e-2)


# -- homonym rules on a small ontology --------------------------------------------------------------------


def small_homonym_annotator(window: int = 5) -> Annotator:
    senses = (Sense("a", "", "EQUIPMENT", "root", ("甲甲", "乙乙")), Sense("b", "", "", None, ("丙丙", "丁丁")))
    concepts = [Concept("root", "设备", category="EQUIPMENT"),
                Concept("h", "开关", category="EQUIPMENT", parent="root", senses=senses, default_sense="b")]
    return Annotator(Ontology(concepts, {"EQUIPMENT": ""}), window=window)


@pytest.mark.parametrize(("text", "sense", "resolved"), [
    ("开关", "", False),  # no evidence: abstain, not the default
    ("甲甲开关", "a", True),
    ("开关丁丁", "b", True),
    ("甲甲开关丙丙丁丁", "b", True),
    ("甲甲乙乙开关丙丙", "a", True),  # more evidence wins
    ("甲甲。开关丙丙", "b", True),  # the window stops at the end of a sentence
    ("甲甲xxxxx开关", "", False),  # the cue lies outside a window of 5
    ("设备开关", "a", True),  # the sense's parent term is evidence too
])
def test_homonym_rules(text, sense, resolved):
    annotator = small_homonym_annotator()
    matches = annotator.match(text)
    assert matches.entries.tolist()[-1] == 1  # the homonym (设备 is a match of its own)
    assert (annotator.sense_name(int(matches.senses[-1])), bool(matches.resolved[-1])) == (sense, resolved)


def test_decide_abstains_on_weak_or_even_evidence():
    from corpusctl.ontology.senses import decide

    scores = np.array([[2.0, 0.0, 0.0], [1.0, 0.9, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    valid = np.array([[True, True, False]] * 3 + [[True, True, True], [True, True, False]])
    choice, margin = decide(scores, valid, min_score=0.5, min_margin=0.3)
    assert choice.tolist() == [0, -1, -1, 2, -1]
    assert margin[0] == pytest.approx(2.0) and margin[1] == pytest.approx(0.1)


def test_cues_never_cross_texts_in_one_batch():
    annotator = small_homonym_annotator()
    first, second = annotator.match_many(["说明甲甲", "开关在此"])
    assert len(first) == 0
    assert (annotator.sense_name(int(second.senses[0])), bool(second.resolved[0])) == ("", False)


# -- matching ---------------------------------------------------------------------------------------------


def reference_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Leftmost-longest by brute force."""
    out, i = [], 0
    while i < len(text):
        best = max((t for t in terms if text.startswith(t, i)), key=len, default=None)
        if best:
            out.append((i, i + len(best)))
            i += len(best)
        else:
            i += 1
    return out


def spans_of(annotator: Annotator, text: str) -> list[tuple[int, int]]:
    m = annotator.match(text)
    return list(zip(m.starts.tolist(), m.ends.tolist(), strict=True))


@pytest.mark.parametrize(("terms", "text", "expected"), [
    (["b", "c", "abd"], "abc", [(1, 2), (2, 3)]),  # pyahocorasick #133: iter_long misses these
    (["知识产权", "国家知识产权局"], "国家知识产权", [(2, 6)]),
    (["ab", "abcabd"], "zzabcabdzz", [(2, 8)]),  # pyahocorasick #185
    (["灭火器", "干粉灭火器", "粉灭"], "干粉灭火器和灭火器", [(0, 5), (6, 9)]),
    (["安全", "安全帽", "帽子"], "安全帽子", [(0, 3)]),
])
def test_longest_match_without_overlaps(terms, text, expected):
    assert spans_of(Annotator(None, terms), text) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text("甲乙丙ab", min_size=1, max_size=4), min_size=1, max_size=8),
       st.text("甲乙丙abc", max_size=40))
def test_matching_is_leftmost_longest(terms, text):
    assert spans_of(Annotator(None, terms), text) == reference_spans(text, sorted(set(terms)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text("甲乙丙丁开关设", max_size=12), max_size=6))
def test_batches_give_the_same_matches_as_single_texts(texts):
    annotator = small_homonym_annotator()
    together = annotator.match_many(texts)
    for text, batch in zip(texts, together, strict=True):
        alone = annotator.match(text)
        for field in ("starts", "ends", "entries", "senses", "resolved"):
            assert getattr(batch, field).tolist() == getattr(alone, field).tolist()


def test_matching_folds_case_and_full_width_and_keeps_offsets(annotator):
    spans = annotator.annotate("机房的ｕｐｓ电源和Ups电源")
    found = [(s["text"], s["concept_id"]) for s in spans if s["concept_id"] == "eq:不间断电源"]
    assert found == [("ｕｐｓ电源", "eq:不间断电源"), ("Ups电源", "eq:不间断电源")]


def test_synonyms_map_to_their_concept(annotator):
    (span,) = annotator.annotate("塔吊")
    assert (span["concept_id"], span["term"]) == ("eq:塔式起重机", "塔式起重机")


def test_lexicon_terms_become_lex_spans(tmp_path):
    lexicon = tmp_path / "terms.txt"
    lexicon.write_text("# industrial words\n巡检路线 20 n\n灭火器\n灭火器箱 5\n", encoding="utf-8")
    annotator = Annotator.from_paths(DEFAULT_DIR, [lexicon])
    spans = annotator.annotate("沿巡检路线检查灭火器和灭火器箱")
    assert [(s["text"], s["concept_id"], s["category"]) for s in spans if s["text"] != "检查"] == [
        ("巡检路线", "lex:巡检路线", ""), ("灭火器", "eq:灭火器", "EQUIPMENT"), ("灭火器箱", "lex:灭火器箱", "")]
    only_lexicon = Annotator.from_paths(None, [lexicon])
    assert [s["concept_id"] for s in only_lexicon.annotate("灭火器")] == ["lex:灭火器"]


def test_an_empty_annotator_and_empty_texts():
    assert len(Annotator().match("任何文字")) == 0
    assert [len(m) for m in Annotator(SHIPPED).match_many(["", "灭火器", ""])] == [0, 1, 0]


# -- validation -------------------------------------------------------------------------------------------


def test_a_parent_cycle_and_a_dangling_parent_are_named(tmp_path):
    folder = write_folder(tmp_path / "bad", [
        concept("root", "设备"),
        concept("a", "甲设备", parent="b"),
        concept("b", "乙设备", parent="a"),
        concept("c", "丙设备", parent="nowhere"),
    ])
    problems = validate_ontology(folder)
    cycle = [p for p in problems if "cycle" in p.message]
    dangling = [p for p in problems if "does not exist" in p.message]
    assert [(p.file, p.line, p.id) for p in cycle] == [("concepts.jsonl", 2, "a")]
    assert "a -> b -> a" in cycle[0].message
    assert [(p.file, p.line, p.id) for p in dangling] == [("concepts.jsonl", 4, "c")]
    assert str(dangling[0]).startswith("concepts.jsonl:4: c: parent 'nowhere'")
    with pytest.raises(CorpusctlError, match="invalid ontology"):
        load_ontology(folder)


@pytest.mark.parametrize(("lines", "relations", "where", "message"), [
    ([concept("a", "甲"), concept("a", "乙")], "", ("concepts.jsonl", 2, "a"), "duplicate id"),
    ([concept("a", "甲", category="VEHICLE")], "", ("concepts.jsonl", 1, "a"), "unknown category"),
    (['{"id": "a", "term": '], "", ("concepts.jsonl", 1, None), "bad JSON"),
    ([concept("a", "甲"), concept("b", "乙", synonyms=["甲"])], "", ("concepts.jsonl", 2, "b"), "also names a"),
    ([concept("h", "开关", senses=[{"id": "x", "category": "", "cues": []},
                                  {"id": "y", "category": "", "cues": ["门"]}], default_sense="x")],
     "", ("concepts.jsonl", 1, "h"), "sense 'x' has no cues"),
    ([concept("h", "开关", senses=[{"id": "x", "category": "", "cues": ["电"]},
                                  {"id": "y", "category": "", "cues": ["门"]}], default_sense="z")],
     "", ("concepts.jsonl", 1, "h"), "default_sense 'z'"),
    ([concept("h", "开关", senses=[{"id": "x", "category": "", "cues": ["开关柜"]},
                                  {"id": "y", "category": "", "cues": ["门"]}], default_sense="x")],
     "", ("concepts.jsonl", 1, "h"), "contains the term itself"),
    ([concept("a", "甲"), concept("b", "乙")], "a\tis_a\tb\nb\tpart_of\tzz\n", ("relations.tsv", 2, "zz"),
     "tail id does not name a concept"),
    ([concept("a", "甲"), concept("b", "乙")], "a\tis_a\tb\n\nb\tis a\n", ("relations.tsv", 3, "b"),
     "expected `head_id<TAB>relation<TAB>tail_id`"),
    ([concept("a", "甲"), concept("b", "乙")], "a\tis_a\tb\na\tis_a\tb\n", ("relations.tsv", 2, "a"),
     "duplicate pair"),
    ([concept("a", "甲"), concept("b", "乙")], "a\tIs-A\tb\n", ("relations.tsv", 1, None), "bad relation name"),
])
def test_validation_problems_name_file_line_and_id(tmp_path, lines, relations, where, message):
    problems = validate_ontology(write_folder(tmp_path / "o", lines, relations))
    assert any((p.file, p.line, p.id) == where and message in p.message for p in problems), problems


def test_categories_file_sets_the_allowed_categories(tmp_path):
    folder = write_folder(tmp_path / "o", [concept("a", "甲", category="VEHICLE")])
    (folder / "categories.txt").write_text("# types\nVEHICLE\tcars\n", encoding="utf-8")
    assert validate_ontology(folder) == []
    assert load_ontology(folder).categories == {"VEHICLE": "cars"}


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusctlError, match="not found"):
        load_ontology(tmp_path / "nope")


# -- the segmenter's user dictionary ----------------------------------------------------------------------


def test_segmenter_terms_hold_every_surface_and_the_lexicon(tmp_path):
    lexicon = tmp_path / "terms.txt"
    lexicon.write_text("巡检路线 20 n\n灭火器 99999 nz\n", encoding="utf-8")
    entries = segmenter_terms(DEFAULT_DIR, [lexicon])
    words = {word: (freq, pos) for word, freq, pos in entries}
    assert len(words) == len(entries)
    for concept_ in SHIPPED.concepts:
        for surface in concept_.surfaces:
            assert surface in words
    assert words["安全帽"] == (ONTOLOGY_WORD_FREQ, "n")
    assert words["动火作业"] == (ONTOLOGY_WORD_FREQ, "vn")
    assert words["灭火器"] == (99999, "nz")  # the lexicon's own figures win
    assert words["巡检路线"] == (20, "n")
    assert segmenter_terms(None, [lexicon]) == [("巡检路线", 20, "n"), ("灭火器", 99999, "nz")]


def test_every_ontology_term_is_one_jieba_word():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    entries = segmenter_terms(DEFAULT_DIR)
    for word, freq, pos in entries:
        tokenizer.add_word(word, freq, pos)
    split = [w for w, _, _ in entries if list(tokenizer.cut(w, HMM=False)) != [w]]
    assert split == []
    contexts = ("检查发现{}存在问题。", "要求对{}进行整改", "现场的{}已经更换")
    broken = [(w, c) for w, _, _ in entries for c in contexts if w not in tokenizer.lcut(c.format(w))]
    assert broken == []


def test_starter_rebuild_is_byte_identical(tmp_path):
    """ontology/build_starter.py reads its tables from ontology/starter/ and writes the shipped files unchanged."""
    import subprocess
    import sys

    script = DEFAULT_DIR / "build_starter.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    for name in ("concepts.jsonl", "relations.tsv", "categories.txt"):
        assert (tmp_path / name).read_bytes() == (DEFAULT_DIR / name).read_bytes(), name


def test_sense_examples_are_the_tuning_set_and_never_a_held_out_sentence():
    """The sense model learns from `examples`; the held-out set must stay unseen."""
    from corpusctl.ontology.senses import read_eval_set

    examples = {(c.term, s.id, e) for c in SHIPPED.homonyms for s in c.senses for e in s.examples}
    held_out = {i.text for i in read_eval_set(HELD_OUT)}
    assert examples and not {e for _, _, e in examples} & held_out
    assert examples == {(i.term, i.sense, i.text) for i in read_eval_set(EVAL_SET)}
