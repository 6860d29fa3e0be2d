"""Distant NER labels an annotator can trust (issue #17): the rules, the hand-labelled gold set, `ner eval`."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpusctl.cli_ner import app
from corpusctl.config import PROJECT_ROOT
from corpusctl.exports.distant import DistantRules, organisations, refine
from corpusctl.exports.ner_eval import distant_labels, read_sentences, score
from corpusctl.ontology import DEFAULT_DIR

GOLD = DEFAULT_DIR / "eval" / "ner_gold.jsonl"
EXTERNAL_GOLD = DEFAULT_DIR / "eval" / "ner_external.tsv"
EXTERNAL = PROJECT_ROOT.parent / "shared" / "external"


def labels(text: str) -> list[tuple[str, str]]:
    (spans,) = distant_labels([text], DEFAULT_DIR)
    return [(text[s:e], kind) for s, e, kind in spans]


@pytest.mark.parametrize(("text", "absent"), [
    ("江北汽车零部件有限公司的仓库管理员参加了培训。", "零部件"),  # inside an organisation name
    ("严禁开关电器时用湿手操作。", "开关"),  # a verb use is no COMPONENT
    ("循环水站的水泵出口压力表损坏。", "循环水"),  # 循环水 only modifies 站
    ("设备运行正常，作业人员和设备都已到位，没有故障。", "设备"),  # generic heads
    ("法兰克福阴转多云。", "法兰"),  # inside a longer word of the general dictionary
    ("孩子临近高考，压力大得整夜睡不着。", "压力"),  # a homonym with nothing of the domain around it
    ("巡检时发现排污泵出口的止回阀失灵。", "失灵"),  # says only that it does not work (GUIDELINES.md)
    ("配电柜里的接触器发热，闻到一股焦糊的异味。", "异味"),  # a symptom, not a named defect
    ("乙炔管线检修前要先用氮气吹扫。", "乙炔"),  # the material only says what the pipeline carries
])
def test_issue_examples_are_not_entities(text, absent):
    assert absent not in {surface for surface, _ in labels(text)}


def test_a_generic_head_after_its_modifier_is_one_entity():
    found = labels("值班人员与接班人员在交接班记录上签字确认。")
    assert ("接班人员", "ROLE") in found and ("人员", "ROLE") not in found
    assert "人员" not in {s for s, _ in labels("值班员立即组织人员撤离。")}  # 组织 is the verb here


def test_material_and_container_written_together_are_one_equipment():
    assert ("甲醇储罐", "EQUIPMENT") in labels("甲醇储罐的呼吸阀被冻住了。")
    terms = [{"start": 0, "end": 2, "category": "MATERIAL", "concept_id": "mat:乙炔", "sense": ""},
             {"start": 2, "end": 4, "category": "EQUIPMENT", "concept_id": "eq:设备", "sense": ""}]
    rules = DistantRules(dictionary=None)
    assert refine("乙炔设备已停用。", terms, None, rules, Counter()) == [(0, 4, "EQUIPMENT")]  # 设备 alone is generic


def test_two_hazards_written_together_are_two_unless_the_ontology_names_the_compound():
    found = labels("起重机吊臂根部的焊缝出现了疲劳裂纹。")
    assert ("疲劳裂纹", "HAZARD") in found and ("裂纹", "HAZARD") not in found  # an established term
    found = labels("电线的绝缘层已经老化开裂，随时可能漏电。")  # GUIDELINES.md: 老化 + 开裂
    assert ("老化", "HAZARD") in found and ("开裂", "HAZARD") in found


def test_a_part_and_its_defect_written_as_one_term_are_two_entities():
    """The ontology's compositional terms (钢丝绳断丝, HAZARD) are labelled as the two things they name."""
    found = labels("检查发现提升机的钢丝绳断丝已超过报废标准。")
    assert ("钢丝绳", "COMPONENT") in found and ("断丝", "HAZARD") in found and ("钢丝绳断丝", "HAZARD") not in found
    assert ("甲醇储罐", "EQUIPMENT") in labels("甲醇储罐的呼吸阀被冻住了。")  # one thing: stays whole
    # a named part that only happens to be written as two terms is no composition (电缆桥架 is no kind of 桥架)
    assert ("电缆桥架", "COMPONENT") in labels("电缆桥架的盖板缺失，雨水流进了配电箱。")


def test_negated_ppe_use_written_together_is_one_behavior():
    """GUIDELINES.md, BEHAVIOR: 没有戴安全帽 is one span; with words between only the PPE item is labelled."""
    assert ("没有戴安全帽", "BEHAVIOR") in labels("钢筋工在楼板上作业时没有戴安全帽，被掉落的钢管砸伤。")
    found = labels("操作工未按规定佩戴防护眼镜就开始打磨工件。")
    assert ("防护眼镜", "PPE") in found and not any(kind == "BEHAVIOR" for _, kind in found)


def test_a_homonym_next_to_other_entities_keeps_its_label():
    assert ("压力", "PARAMETER") in labels("反应釜内压力升到了零点八兆帕，操作工立即打开了放空阀。")


def test_real_entities_stay():
    found = labels("检修人员未佩戴绝缘手套就去拉闸，配电柜前没有铺设绝缘垫。")
    assert ("检修人员", "ROLE") in found and ("配电柜", "EQUIPMENT") in found


def test_refine_without_words_applies_the_stop_list_and_suffix_rules():
    text = "设备旁的循环水站"
    terms = [{"start": 0, "end": 2, "category": "EQUIPMENT", "concept_id": "eq:设备", "sense": ""},
             {"start": 4, "end": 7, "category": "MATERIAL", "concept_id": "mat:循环水", "sense": ""}]
    counts = Counter()
    assert refine(text, terms, None, DistantRules(dictionary=None), counts) == []
    assert counts == {"dropped_generic": 1, "dropped_inside_longer_word": 1}
    assert refine(text, terms, None, DistantRules(stop=frozenset(), dictionary=None), Counter()) == [(0, 2, "EQUIPMENT")]


def test_organisations_span_the_nouns_before_the_suffix():
    text = "江北汽车零部件有限公司"
    words = [(0, 2, "PROPN"), (2, 4, "NOUN"), (4, 7, "NOUN"), (7, 11, "NOUN")]
    assert organisations(text, words) == [(0, 11)]
    assert organisations("公司", [(0, 2, "NOUN")]) == []  # a bare suffix is no name


def test_the_gold_set_is_hand_labelled_industrial_and_general_text():
    gold = read_sentences(GOLD)
    assert len(gold) + sum(1 for line in EXTERNAL_GOLD.read_text(encoding="utf-8").splitlines()
                           if line and not line.startswith("#")) >= 300
    categories = {line.split("\t")[0] for line in (DEFAULT_DIR / "categories.txt").read_text(encoding="utf-8").splitlines()
                  if line and not line.startswith("#")}
    assert {kind for _, spans in gold for *_, kind in spans} <= categories
    assert sum(not spans for _, spans in gold) >= 60  # general-language sentences with nothing to label


def test_distant_labels_on_the_gold_set_keep_their_precision():
    gold = read_sentences(GOLD)
    figures = score(gold, distant_labels([t for t, _ in gold], DEFAULT_DIR))["overall"]
    assert figures["precision"] >= 0.91 and figures["recall"] >= 0.90  # measured 0.925 / 0.922


@pytest.mark.parametrize(("name", "precision", "recall"), [
    ("ner_heldout.jsonl", 0.91, 0.89),  # reviewed blind against GUIDELINES.md; measured 0.926 / 0.906
    ("ner_fresh.jsonl", 0.91, 0.89),  # measured 0.930 / 0.910
    ("ner_fresh2.jsonl", 0.94, 0.93),  # scored once blind (0.779 / 0.518), then tuned on; measured 0.960 / 0.944
])
def test_distant_labels_on_the_held_out_gold_sets(name, precision, recall):
    """Regression floors a little under what was measured (ontology/README.md). All these sets have been tuned
    on, so they say nothing about the issue's 0.85 / 0.6 target on unseen text (that is a blind set's job)."""
    gold = read_sentences(DEFAULT_DIR / "eval" / name)
    assert len(gold) >= 150
    figures = score(gold, distant_labels([t for t, _ in gold], DEFAULT_DIR))["overall"]
    assert figures["precision"] >= precision and figures["recall"] >= recall


def test_distant_labels_meet_the_target_on_the_blind_set():
    """ner_fresh3 was written blind to the tool and never tuned on (scored twice, totals only): the issue's
    target, precision >= 0.85 and recall >= 0.6, is its floor (measured 0.878 / 0.793)."""
    gold = read_sentences(DEFAULT_DIR / "eval" / "ner_fresh3.jsonl")
    assert len(gold) == 200
    figures = score(gold, distant_labels([t for t, _ in gold], DEFAULT_DIR))["overall"]
    assert figures["precision"] >= 0.85 and figures["recall"] >= 0.6


def test_the_held_out_review_kept_every_sentence():
    """The review changed labels only: same sentences, same order as the one-pass file it started from."""
    reviewed = read_sentences(DEFAULT_DIR / "eval" / "ner_heldout.jsonl")
    one_pass = read_sentences(DEFAULT_DIR / "eval" / "ner_heldout_onepass.jsonl")
    assert [t for t, _ in reviewed] == [t for t, _ in one_pass]


@pytest.mark.skipif(not EXTERNAL.is_dir(), reason="../shared/external (public NER corpora) is not present")
def test_external_references_resolve_and_are_scored():
    gold = read_sentences(EXTERNAL_GOLD, external=EXTERNAL)
    assert len(gold) >= 60
    figures = score(gold, distant_labels([t for t, _ in gold], DEFAULT_DIR))["overall"]
    assert figures["predicted"] < 60  # the unfiltered labels put ~100 on these general sentences
    assert figures["precision"] >= 0.55  # measured 0.615 / 0.444


runner = CliRunner()


def test_cli_ner_eval_is_strict(tmp_path: Path):
    gold = tmp_path / "gold.jsonl"
    pred = tmp_path / "pred.jsonl"
    rows = [("叉车撞上了货架。", [[0, 2, "EQUIPMENT"], [5, 7, "EQUIPMENT"]], [[0, 2, "EQUIPMENT"], [4, 7, "EQUIPMENT"]]),
            ("今天天气很好。", [], [[0, 2, "PARAMETER"]])]
    gold.write_text("".join(json.dumps({"text": t, "entities": g}, ensure_ascii=False) + "\n" for t, g, _ in rows),
                    encoding="utf-8")
    pred.write_text("".join(json.dumps({"text": t, "entities": p}, ensure_ascii=False) + "\n" for t, _, p in rows),
                    encoding="utf-8")
    result = runner.invoke(app, ["eval", str(gold), str(pred), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["overall"]["precision"] == pytest.approx(1 / 3, abs=1e-3)  # a boundary error is wrong
    assert figures["overall"]["recall"] == 0.5
    assert figures["EQUIPMENT"]["support"] == 2
    table = runner.invoke(app, ["eval", str(gold), str(pred)])
    assert table.exit_code == 0 and "strict" in table.output
    pred.write_text(json.dumps({"text": "别的句子。", "entities": []}) + "\n", encoding="utf-8")
    missing = runner.invoke(app, ["eval", str(gold), str(pred)])
    assert missing.exit_code == 1 and "no prediction" in missing.output


def test_cli_ner_eval_distant_labels_and_saves_them(tmp_path: Path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": "配电室内堆放了纸箱。", "entities": [[0, 3, "LOCATION"]]}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    saved = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["eval", str(gold), "--save-pred", str(saved), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["overall"]["f1"] == 1.0
    assert json.loads(saved.read_text(encoding="utf-8"))["entities"] == [[0, 3, "LOCATION"]]


def random_spans(sentences: int | None, seed: int):
    """(text, start, end): 20 seeded spans of 2-4 characters in each of the first `sentences` gold texts."""
    rng = random.Random(seed)
    lines = [line for line in GOLD.read_text("utf-8").splitlines() if line.strip()][:sentences]
    for text in (json.loads(line)["text"] for line in lines):
        for _ in range(20):
            start = rng.randrange(len(text) - 1)
            yield text, start, min(len(text), start + rng.choice((2, 2, 3, 4)))


def test_the_prefix_scan_of_jieba_s_dictionary_finds_what_the_full_scan_finds():
    """jieba's dictionary holds every prefix of its words, so a scan may stop at the first slice that is no key
    (issue 21); on any other mapping it reads every slice."""
    from corpusctl.exports.distant import _container, _crossed, general_dictionary, prefix_closed

    dictionary = general_dictionary()
    assert prefix_closed(dictionary) and not prefix_closed({"法兰克福": 5}) and not prefix_closed(None)
    assert _container({"法兰克福": 5}, "法兰克福", 0, 2) == (0, 4)  # no prefix 法兰克 in a plain mapping
    checked = 0
    for text, start, end in random_spans(80, seed=3):
        assert _container(dictionary, text, start, end, True) == _container(dictionary, text, start, end)
        assert _crossed(dictionary, text, start, end, True) == _crossed(dictionary, text, start, end)
        checked += 1
    assert checked > 1000


def test_the_general_dictionary_decides_what_jieba_s_full_dictionary_decides():
    """`general_dictionary` keeps jieba's words of frequency >= DICTIONARY_MIN_FREQ and their prefixes, read from
    dict.txt without loading jieba (issue 21): every frequency the rules compare is jieba's, and the container
    and crossing checks agree with a scan of `jieba.dt.FREQ` itself."""
    import jieba

    from corpusctl.exports.distant import DICTIONARY_MIN_FREQ, _container, _crossed, general_dictionary

    jieba.dt.check_initialized()
    full, reduced = jieba.dt.FREQ, general_dictionary()
    assert {w for w, f in full.items() if f >= DICTIONARY_MIN_FREQ} == {w for w, f in reduced.items() if f}
    assert all(full[w] == f or (f == 0 and full[w] < DICTIONARY_MIN_FREQ) for w, f in reduced.items())
    assert len(reduced) < len(full) / 2
    for text, start, end in random_spans(None, seed=5):
        assert _container(reduced, text, start, end, True) == _container(full, text, start, end)
        assert _crossed(reduced, text, start, end, True) == _crossed(full, text, start, end)


def test_a_composition_is_looked_up_once_per_distinct_term(monkeypatch):
    """`DistantRules.parts` remembers each (surface, category): its cuts cost ~1 CPU-s per 20 MB (issue 21)."""
    import corpusctl.exports.distant as distant

    calls = []
    real = distant._parts
    monkeypatch.setattr(distant, "_parts", lambda *a: calls.append(a[1:3]) or real(*a))
    rules = DistantRules(dictionary=None, categories={"钢丝绳": "COMPONENT", "断丝": "HAZARD"})
    for _ in range(3):
        assert rules.parts("钢丝绳断丝", "HAZARD") == (3, "COMPONENT", "HAZARD")
        assert rules.parts("钢丝绳", "COMPONENT") is None
    assert calls == [("钢丝绳断丝", "HAZARD"), ("钢丝绳", "COMPONENT")]


def test_organisations_are_those_of_a_loop_over_every_word():
    """`organisations` looks only at the words that end where a suffix's last two characters do (issue 21): the
    names are those of testing every word, on random texts of suffixes, nouns and verbs cut at random."""
    import random

    from corpusctl.exports.distant import _NOUNISH, ORG_SUFFIXES

    def every_word(text, words):
        out = []
        for i, (start, end, _) in enumerate(words):
            word = text[start:end]
            if not word.endswith(ORG_SUFFIXES):
                continue
            first = i
            while first > 0 and words[first - 1][1] == words[first][0] and words[first - 1][2] in _NOUNISH \
                    and end - words[first - 1][0] <= 15:
                first -= 1
            if first < i or word not in ORG_SUFFIXES:
                out.append((words[first][0], end))
        return out

    rng = random.Random(8)
    pieces = [*ORG_SUFFIXES, "中石化", "安全", "检查", "公", "司", "团", "院", " ", "了"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        cuts = sorted(set(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(0, 10))))) if len(text) > 1 else []
        bounds = list(zip([0, *cuts], [*cuts, len(text)]))
        words = [(a, b, rng.choice(["NOUN", "VERB", "PROPN"])) for a, b in bounds if text[a:b].strip() and rng.random() < 0.9]
        assert organisations(text, words) == every_word(text, words), (text, words)
