"""Segmentation backends, Universal POS, user words, term spans, placeholders, pkuseg training, agreement."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corpusctl.cli_segmenter import app
from corpusctl.errors import CorpusctlError
from corpusctl.lexicons import user_words
from corpusctl.segmenter.backends import INFO_FILE, POS_TABLE_FILE, merge_user_words
from corpusctl.segmenter.core import Segmenter
from corpusctl.segmenter.evaluation import agreement, compare, evaluate, read_gold, word_f1
from corpusctl.segmenter.pos import JIEBA_TO_UPOS, PKU_TO_UPOS, UPOS, to_upos
from corpusctl.segmenter.training import train_pkuseg
from corpusctl.stages.segment import SegmentConfig, SegmentStage, summary

PKU_GOLD = ROOT.parent / "shared" / "external" / "seg" / "pku_test_gold.utf8"
BACKENDS = ("jieba", "rjieba", "pkuseg")

# User words: most are unknown to jieba's dictionary, one (检查) is a common word given another POS.
USER_WORDS = [("可燃气体报警仪", None, None), ("氮气储罐", 3000, "n"), ("防爆轴流风机", None, "n"),
              ("接地电阻测试仪", None, None), ("安全阀", None, None), ("动火作业", 500, "vn"),
              ("巡检员", None, None), ("检查", None, None)]
TERMS = [w for w, _, _ in USER_WORDS if w != "检查"]
FRAMES = [
    ["检查", "{}", "时", "发现", "{}", "存在", "问题", "。"],
    ["对", "{}", "进行", "了", "全面", "的", "检测", "，", "未", "发现", "异常", "。"],
    ["{}", "的", "{}", "已经", "完成", "更换", "。"],
    ["操作", "人员", "应当", "定期", "检查", "{}", "和", "{}", "。"],
    ["发现", "{}", "后", "立即", "报告", "班长", "，", "并", "关闭", "{}", "。"],
    ["因", "{}", "故障", "导致", "{}", "停运", "，", "现场", "没有", "人员", "受伤", "。"],
    ["如果", "{}", "压力", "超过", "2.5", "MPa", "，", "应", "立即", "停机", "！"],
]


def industrial_sentences(n: int, seed: int = 0) -> list[list[str]]:
    """Gold-segmented, inspection-report-like sentences, each holding user terms."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        frame = rng.choice(FRAMES)
        terms = iter(rng.sample(TERMS, frame.count("{}")))
        sentences.append([next(terms) if w == "{}" else w for w in frame])
    return sentences


@pytest.fixture(scope="module")
def pkuseg_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pkuseg")
    gold = folder / "gold.txt"
    gold.write_text("\n".join(" ".join(s) for s in industrial_sentences(300)) + "\n", encoding="utf-8")
    train_pkuseg(gold, folder / "model", USER_WORDS, epochs=2)
    return folder / "model"


@pytest.fixture(scope="module")
def segmenters(pkuseg_model) -> dict[str, Segmenter]:
    return {name: Segmenter(name, USER_WORDS, model=pkuseg_model) for name in BACKENDS}


def spans_text(text: str, words) -> list[tuple[str, str]]:
    return [(text[s:e], p) for s, e, p in words]


# -- Universal POS ----------------------------------------------------------------------------------------


def test_upos_names_and_order():
    assert UPOS == ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
                    "PUNCT", "SCONJ", "SYM", "VERB", "X"]


@pytest.mark.parametrize("tag,upos", [
    ("n", "NOUN"), ("nr", "PROPN"), ("ns", "PROPN"), ("nt", "PROPN"), ("nz", "PROPN"), ("v", "VERB"),
    ("vn", "VERB"), ("vd", "VERB"), ("a", "ADJ"), ("an", "ADJ"), ("ad", "ADV"), ("d", "ADV"), ("m", "NUM"),
    ("q", "NOUN"), ("r", "PRON"), ("p", "ADP"), ("f", "ADP"), ("c", "CCONJ"), ("u", "PART"), ("uj", "PART"),
    ("e", "INTJ"), ("y", "PART"), ("o", "INTJ"), ("eng", "X"), ("w", "PUNCT"), ("t", "NOUN"), ("b", "ADJ"),
])
def test_jieba_tag_table(tag, upos):
    assert JIEBA_TO_UPOS[tag] == upos


def test_tables_cover_every_jieba_tag_and_only_map_to_upos():
    import jieba
    from jieba.posseg.prob_start import P

    dict_tags = {line.split()[2] for line in (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8")}
    hmm_tags = {tag for _state, tag in P}
    assert dict_tags | hmm_tags | {"eng"} <= set(JIEBA_TO_UPOS)
    assert set(JIEBA_TO_UPOS.values()) <= set(UPOS) and set(PKU_TO_UPOS.values()) <= set(UPOS)
    assert PKU_TO_UPOS["nx"] == "X" and PKU_TO_UPOS["vx"] == "VERB" and PKU_TO_UPOS["w"] == "PUNCT"


def test_to_upos_character_classes_and_words():
    assert to_upos("，", "n") == "PUNCT"  # punctuation whatever the tag
    assert to_upos("——", "x") == "PUNCT"
    assert to_upos("℃", "x") == "SYM"
    assert to_upos("2024", "x") == "NUM"
    assert to_upos("琎", "x") == "X"
    assert to_upos("如果", "c") == "SCONJ" and to_upos("和", "c") == "CCONJ"
    assert to_upos("设备", "NOUN") == "NOUN"  # a UPOS name given in a lexicon is taken as is
    assert to_upos("设备", "unknown-tag") == "X"
    assert to_upos("阀门", "n", PKU_TO_UPOS) == "NOUN"


def test_backends_tag_with_upos(segmenters):
    text = "如果安全阀泄漏，巡检员立即关闭阀门。温度85℃"
    for name, segmenter in segmenters.items():
        tagged = dict(spans_text(text, segmenter.segment(text)))
        assert tagged["，"] == tagged["。"] == "PUNCT", name
        assert tagged["℃"] == "SYM" and tagged["85"] == "NUM", name
        assert tagged["安全阀"] == "NOUN" and tagged["巡检员"] == "NOUN", name  # user words without POS
        assert tagged["如果"] == "SCONJ" and tagged["关闭"] == "VERB" and tagged["立即"] == "ADV", name


def test_pos_off_gives_x_except_fixed_spans():
    segmenter = Segmenter("rjieba", USER_WORDS, pos=False)
    text = "[PERSON]检查安全阀"
    assert spans_text(text, segmenter.segment(text, [(10, 13)])) == [
        ("[PERSON]", "PROPN"), ("检查", "X"), ("安全阀", "NOUN")]


# -- user dictionary --------------------------------------------------------------------------------------


def test_user_words_formats(tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("# comment\n\n离心泵\n安全阀 3000\n泄漏 vn\n接地 200 v\nC# nz\n", encoding="utf-8")
    assert user_words(path) == [("离心泵", None, None), ("安全阀", 3000, None), ("泄漏", None, "vn"),
                                  ("接地", 200, "v"), ("C#", None, "nz")]


def test_user_words_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("离心泵 3000 n\n安全阀 n 3000\n", encoding="utf-8")
    with pytest.raises(CorpusctlError, match=r"bad.txt:2"):
        user_words(bad)
    with pytest.raises(CorpusctlError, match="not found"):
        user_words(tmp_path / "missing.txt")


def test_merge_user_words_keeps_highest_freq_and_first_pos():
    merged = merge_user_words([("阀门", None, None), ("泵", 5, "n")], [("阀门", 100, "n"), ("泵", 2, "v")])
    assert merged == [("阀门", 100, "n"), ("泵", 5, "n")]


def test_user_terms_come_out_whole_in_every_backend(segmenters):
    for sentence in industrial_sentences(150, seed=11):
        text = "".join(sentence)
        for name, segmenter in segmenters.items():
            words = segmenter.words(text)
            for term in set(sentence) & set(TERMS):
                assert term in words, (name, text, words)


def test_jieba_user_words_stay_private():
    import jieba

    Segmenter("jieba", [("琎琎阀", None, None)], pos=False)
    assert "琎琎阀" not in jieba.lcut("琎琎阀")  # the global tokenizer never saw it


# -- term spans and placeholders --------------------------------------------------------------------------


def test_term_spans_are_one_word_even_against_the_segmenter(segmenters):
    text = "中华人民共和国的对二甲苯"
    terms = [{"start": 2, "end": 4, "concept_id": "x"}, {"start": 9, "end": 12, "concept_id": "y"}]
    for name, segmenter in segmenters.items():
        words = segmenter.segment(text, terms)
        assert (2, 4, "NOUN") in words and (9, 12, "NOUN") in words, name
        assert not any(s < b < e for s, e, _ in words for b in (2, 4, 9, 12)), name


def test_term_pos_comes_from_the_lexicon(segmenters):
    text = "开始动火作业"
    for segmenter in segmenters.values():
        assert (2, 6, "VERB") in segmenter.segment(text, [(2, 6)])  # 动火作业 vn -> VERB


@pytest.mark.parametrize("backend", BACKENDS)
def test_placeholders_are_one_word(segmenters, backend):
    text = "联系人[PERSON]，电话[MOBILE][LANDLINE]，身份证号[ID_CARD] 邮箱[EMAIL]卡号[BANK_CARD]IP[IP]"
    tagged = spans_text(text, segmenters[backend].segment(text))
    for placeholder in ("[MOBILE]", "[LANDLINE]", "[ID_CARD]", "[EMAIL]", "[BANK_CARD]", "[IP]"):
        assert (placeholder, "X") in tagged
    assert ("[PERSON]", "PROPN") in tagged


def test_custom_placeholders_from_the_privacy_config():
    segmenter = Segmenter("rjieba", placeholders=["<MOBILE>", "<PERSON>"])
    text = "联系<PERSON>，电话<MOBILE>，[MOBILE]"
    tagged = spans_text(text, segmenter.segment(text))
    assert ("<PERSON>", "PROPN") in tagged and ("<MOBILE>", "X") in tagged
    assert ("[MOBILE]", "X") not in tagged  # only the configured placeholders are protected


def test_a_term_wins_over_an_overlapping_placeholder(segmenters):
    assert segmenters["rjieba"].segment("[MOBILE]", [(1, 3)])[1] == (1, 3, "NOUN")


TEXT_PIECES = st.one_of(
    st.sampled_from(list("离心泵安全阀检查了的和，。！？、“”—…%℃+-.[]_ABZaz09 \t\n\r\u3000\xa0\u200b\x00😀")),
    st.sampled_from(["[MOBILE]", "[PERSON]", "可燃气体报警仪", "hello world", "3.14", "\r\n", "  "]),
    st.characters(codec="utf-8"),  # text a build can hold: ingest rejects lone surrogates (\ud800), Arrow cannot store them
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(TEXT_PIECES, max_size=25).map("".join), data=st.data())
def test_words_cover_every_non_space_character_once(segmenters, text, data):
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=6))))
    terms = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if text[a:b].strip()]
    for name, segmenter in segmenters.items():
        words = segmenter.segment(text, terms)
        covered = [0] * len(text)
        previous_end = 0
        for start, end, pos in words:
            assert previous_end <= start < end, (name, text, words)
            assert pos in UPOS and not text[start:end].isspace()
            previous_end = end
            for i in range(start, end):
                covered[i] += 1
        assert all(covered[i] == 1 for i, c in enumerate(text) if not c.isspace()), (name, text, words)
        for a, b in terms:
            assert any((s, e) == (a, b) for s, e, _ in words), (name, text, terms, words)
            assert not any(s < a < e or s < b < e for s, e, _ in words), (name, text, terms, words)


ONE_CALL_PIECES = st.one_of(TEXT_PIECES, st.sampled_from(["._", "-.-", "+-", "DN50-PN16", "2.5MPa", "C#", "…—",
                                                          "检查", "\r", "A B", "\x00"]))


@pytest.fixture(scope="module")
def fast_and_reference() -> dict[bool, tuple[Segmenter, Segmenter]]:
    pairs = {}
    for pos in (True, False):
        reference = Segmenter("rjieba", USER_WORDS, pos=pos)
        reference._cut_at_once = lambda *args: None  # the per-piece path
        pairs[pos] = (Segmenter("rjieba", USER_WORDS, pos=pos), reference)
    return pairs


@pytest.mark.parametrize("pos", [True, False])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.lists(ONE_CALL_PIECES, max_size=20).map("".join), min_size=1, max_size=4), data=st.data())
def test_rjieba_cuts_a_batch_at_once_as_piece_by_piece(fast_and_reference, pos, texts, data):
    """The hot path (all texts and pieces in one jieba-rs call, array operations) gives exactly the words of
    the reference path (one backend call per piece between fixed spans)."""
    fast, reference = fast_and_reference[pos]
    starts, ends, offsets = [], [], [0]
    for text in texts:
        cuts = sorted(set(data.draw(st.lists(st.integers(-1, len(text) + 1), max_size=6))))
        starts += cuts[::2]
        ends += cuts[1::2] + ([len(text)] if len(cuts) % 2 else [])
        offsets.append(len(starts))
    arrays = (np.array(offsets), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))
    got, want = fast.segment_batch(texts, *arrays), reference.segment_batch(texts, *arrays)
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)), texts


def test_rjieba_tags_pieces_at_once_across_separators():
    backend = Segmenter("rjieba", USER_WORDS).backend
    text = "安全阀\x00._DN50-PN16\r\x00\n检查\x00 \x00._。"
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    seps = np.array([c == "\x00" for c in text])
    items, lengths, recut = backend.tag_all(text, codes, seps, True)
    words = [word for word, _tag in items]
    assert words.count("\x00") == 4 and int(lengths.sum()) == len(text)
    # foreign words are re-cut only in pieces holding a letter or digit, as `tag` does piece by piece
    assert [(words[i], [piece for piece, _tag in pieces]) for i, pieces in recut.items()] == [
        ("._", [".", "_"]), ("DN50-PN16", ["DN50", "-", "PN16"])]
    assert words[-2:] == ["._", "。"]


# -- the pipeline stage -----------------------------------------------------------------------------------


def stage_batch() -> dict:
    texts = ["巡检员发现安全阀泄漏，联系人[PERSON]。", "对氮气储罐进行检测。", "", "防爆轴流风机 运行正常"]
    titles = ["安全阀检查", "", "", "风机"]
    return {"id": [f"d{i}" for i in range(4)], "text": texts, "title": titles,
            "terms": [[{"start": 5, "end": 8, "concept_id": "c1", "category": "EQU", "sense": ""}], [], [],
                      [{"start": 0, "end": 6, "concept_id": "lex:防爆轴流风机", "category": "", "sense": ""}]],
            "title_terms": [[{"start": 0, "end": 3, "concept_id": "c1", "category": "EQU", "sense": ""}], [], [],
                            []]}


def stage_words(stage: SegmentStage, batch: dict) -> dict[str, list]:
    """The stage's word columns as Python lists, pos as UPOS names."""
    out = stage(batch)
    assert set(out) == {"words", "title_words"}
    return {name: [[{**w, "pos": UPOS[w["pos"]]} for w in row] for row in column.to_pylist()]
            for name, column in out.items()}


def test_stage_adds_word_columns_and_is_batch_independent():
    stage = SegmentStage(SegmentConfig(backend="rjieba"), USER_WORDS)
    batch = stage_batch()
    out = stage_words(stage, batch)
    first = out["words"][0]
    assert {"start": 5, "end": 8, "pos": "NOUN"} in first
    assert {"start": 14, "end": 22, "pos": "PROPN"} in first
    assert out["title_words"][0][0] == {"start": 0, "end": 3, "pos": "NOUN"}
    assert out["words"][2] == [] and out["title_words"][1] == []
    assert [(w["start"], w["end"]) for w in out["words"][3]][:1] == [(0, 6)]
    segmenter = stage.segmenter()
    for name, text_col, terms_col in (("words", "text", "terms"), ("title_words", "title", "title_terms")):
        assert out[name] == [[{"start": s, "end": e, "pos": p} for s, e, p in segmenter.segment(text, terms)]
                             for text, terms in zip(batch[text_col], batch[terms_col], strict=True)]
    halves = [stage_words(stage, {k: v[:2] for k, v in batch.items()}),
              stage_words(stage, {k: v[2:] for k, v in batch.items()})]
    assert halves[0]["words"] + halves[1]["words"] == out["words"]
    clone = pickle.loads(pickle.dumps(stage))
    assert stage_words(clone, batch) == out


def test_summary_for_the_manifest():
    info = summary(SegmentConfig(backend="rjieba"), USER_WORDS + USER_WORDS[:2])
    assert info["backend"] == "rjieba" and info["user_words"] == len(USER_WORDS) and info["upos"] == UPOS
    assert info["backend_version"]


def test_stage_reads_lexicons_when_given_no_user_words(tmp_path):
    lexicon = tmp_path / "terms.txt"
    lexicon.write_text("琎琎阀 vn\n", encoding="utf-8")
    stage = SegmentStage(SegmentConfig(backend="rjieba", lexicons=[lexicon]))
    out = stage_words(stage, {"text": ["打开琎琎阀门"], "title": [""], "terms": [[]], "title_terms": [[]]})
    assert {"start": 2, "end": 5, "pos": "VERB"} in out["words"][0]


# -- pkuseg -----------------------------------------------------------------------------------------------


def test_pkuseg_model_trained_by_segmenter_train_segments_text(tmp_path):
    gold = tmp_path / "gold.txt"
    gold.write_text("\n".join(" ".join(s) for s in industrial_sentences(200, seed=5)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", str(gold), "--out", str(tmp_path / "model"), "--epochs", "1",
                                      "--no-lexicon"])
    assert result.exit_code == 0, result.output
    info = json.loads((tmp_path / "model" / INFO_FILE).read_text(encoding="utf-8"))
    assert info["sentences"] == 200 and len(info["dev_f1_by_epoch"]) == 1
    held_out = industrial_sentences(100, seed=99)
    segmenter = Segmenter("pkuseg", model=tmp_path / "model", pos=False)
    score = evaluate(segmenter, [[(w, None) for w in s] for s in held_out])
    assert score["f1"] > 0.9
    cut = CliRunner().invoke(app, ["cut", "操作人员应当定期检查安全阀", "-b", "pkuseg", "-m", str(tmp_path / "model"),
                                   "--json", "--no-lexicon"])
    assert cut.exit_code == 0, cut.output
    assert "".join(w["word"] for w in json.loads(cut.output)) == "操作人员应当定期检查安全阀"


def test_pkuseg_without_a_model_says_how_to_train_one(tmp_path):
    for model in (None, tmp_path / "nothing-here"):
        with pytest.raises(CorpusctlError, match="corpusctl segmenter train"):
            Segmenter("pkuseg", model=model)
    with pytest.raises(CorpusctlError, match="corpusctl segmenter train"):
        SegmentStage(SegmentConfig(backend="pkuseg"), [])
    result = CliRunner().invoke(app, ["cut", "离心泵", "-b", "pkuseg"])
    assert result.exit_code == 2 and "corpusctl segmenter train" in result.output


def test_pkuseg_training_rejects_bad_gold(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusctlError, match="no gold sentences"):
        train_pkuseg(empty, tmp_path / "m")
    with pytest.raises(CorpusctlError, match="not found"):
        train_pkuseg(tmp_path / "missing.txt", tmp_path / "m")


def test_pkuseg_pos_table_from_tagged_gold(tmp_path):
    lines = ["检查/v 琎琎阀/v 。/w", "[打开/v 琎琎阀/v]vp ，/w 检查/vn 压力/n 。/w"] * 50
    gold = tmp_path / "tagged.txt"
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_gold(gold)[1][:2] == [("打开", "v"), ("琎琎阀", "v")]
    train_pkuseg(gold, tmp_path / "model", epochs=1)
    assert "琎琎阀\tv" in (tmp_path / "model" / POS_TABLE_FILE).read_text(encoding="utf-8")
    text = "打开琎琎阀，检查压力。"
    tagged = spans_text(text, Segmenter("pkuseg", model=tmp_path / "model").segment(text))
    assert ("琎琎阀", "VERB") in tagged and ("压力", "NOUN") in tagged


def test_pkuseg_keeps_latin_words_and_numbers_whole(segmenters):
    text = "PLC控制柜 hello world 压力2.5MPa"
    words = segmenters["pkuseg"].words(text)
    assert "hello" in words and "world" in words and "2.5MPa" in words


@pytest.mark.skipif(not PKU_GOLD.exists(), reason=f"SIGHAN PKU gold file absent: {PKU_GOLD}")
def test_pkuseg_trained_on_sighan_pku_beats_jieba(tmp_path):
    lines = PKU_GOLD.read_text(encoding="utf-8").splitlines()
    train_file, test_file = tmp_path / "train.txt", tmp_path / "test.txt"
    train_file.write_text("\n".join(lines[:1000]) + "\n", encoding="utf-8")
    test_file.write_text("\n".join(lines[1000:]) + "\n", encoding="utf-8")
    train_pkuseg(train_file, tmp_path / "model", epochs=1, dev_lines=50)
    gold = read_gold(test_file)
    pkuseg = evaluate(Segmenter("pkuseg", model=tmp_path / "model", pos=False), gold)
    jieba = evaluate(Segmenter("jieba", pos=False), gold)
    assert pkuseg["f1"] > jieba["f1"] > 0.75


# -- evaluation and agreement -----------------------------------------------------------------------------


def test_word_f1_and_compare():
    assert word_f1([["安全", "阀门"]], [["安全", "阀门"]])["f1"] == 1.0
    score = word_f1([["安全阀", "泄漏"]], [["安全", "阀", "泄漏"]])
    assert score["precision"] == round(1 / 3, 4) and score["recall"] == 0.5
    same = compare([[(0, 2, "NOUN"), (2, 4, "VERB")]], [[(0, 2, "NOUN"), (2, 4, "NOUN")]])
    assert same["identical_share"] == 1.0 and same["identical_with_pos_share"] == 0.0
    assert same["upos_accuracy"] == 0.5


SAMPLE_FILES = sorted((ROOT / "sample_data").rglob("*.jsonl"))


def sample_texts(limit: int = 400) -> list[str]:
    texts = []
    for path in SAMPLE_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            texts += [v for k, v in record.items() if k in ("text", "content", "title") and isinstance(v, str) and v]
    return texts[:limit]


@pytest.mark.skipif(not SAMPLE_FILES, reason="sample_data/ holds no JSONL files yet")
def test_on_the_sample_pkuseg_segments_and_rjieba_agrees_with_jieba(segmenters):
    from corpusctl.ontology import segmenter_terms

    texts = sample_texts()
    ontology = ROOT / "ontology" if any((ROOT / "ontology").glob("*.jsonl")) else None
    user_words = segmenter_terms(ontology, [ROOT / "lexicons" / "industrial_terms.txt"])
    result = agreement(texts, user_words, pos=False)
    assert result["identical_share"] >= 0.95 and result["word_f1"] >= 0.99
    pkuseg = segmenters["pkuseg"]
    for text in texts[:100]:
        words = pkuseg.segment(text)
        assert "".join(text[s:e] for s, e, _ in words) == "".join(text.split())


def test_rjieba_agrees_with_jieba_on_sample_like_text():
    texts = ["".join(s) for s in industrial_sentences(300, seed=3)]
    texts += ["2023年5月，巡检员在氮气储罐区发现可燃气体报警仪误报，经检查系接地电阻测试仪接线松动所致。"] * 5
    result = agreement(texts, USER_WORDS)
    assert result["texts"] == len(texts)
    assert result["identical_share"] >= 0.98 and result["word_f1"] >= 0.99
    assert result["pos_word_f1"] >= 0.95 and result["upos_accuracy"] >= 0.9


def test_agreement_cli(tmp_path):
    path = tmp_path / "texts.jsonl"
    path.write_text("\n".join(json.dumps({"content": "".join(s)}, ensure_ascii=False)
                              for s in industrial_sentences(20)), encoding="utf-8")
    result = CliRunner().invoke(app, ["agreement", str(path), "--no-pos", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["texts"] == 20
