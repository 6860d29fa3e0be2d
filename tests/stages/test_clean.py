import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.config import PROJECT_ROOT
from corpusctl.errors import CorpusctlError
from corpusctl.stages.clean import (
    AnomalyConfig,
    CleanConfig,
    CleanStage,
    ClutterConfig,
    _automaton,
    _matches,
    _matches_many,
)
from corpusctl.stages.dedup import DedupConfig, merge_repeated_sentences, repeating_sentences
from corpusctl.stages.quality import (
    _BAD_ENCODING_RE,
    _CJK_RE,
    _DIGIT_RE,
    _SYMBOL_RE,
    QualityConfig,
    _share_counts,
    quality_reject,
    quality_rejects,
    repeated_ngram_share,
)
from corpusctl.text.chars import codepoints, no_spaces
from corpusctl.text.ngrams import ngram_hashes

HANZI = "阀门检查泄漏压力温度设备管道车间巡检记录安全帽维修班组现场运行正常情况处理完毕报告"  # 40 distinct


def only(**thresholds) -> QualityConfig:
    """A quality config with every filter off except the given thresholds."""
    base = dict(min_chars=0, max_chars=10**9, min_cjk_share=0.0, max_symbol_share=1.0, max_digit_share=1.0,
                max_duplicate_line_share=1.0, max_repeated_ngram_share=1.0, max_bad_encoding_share=1.0)
    return QualityConfig(**{**base, **thresholds})


def check(text: str, config: QualityConfig):
    return quality_reject(text, config)


# -- quality filters: boundaries -----------------------------------------------------------------------------


def test_too_short_boundary_counts_characters_not_whitespace():
    config = only(min_chars=20)
    assert check(HANZI[:20], config) is None
    assert check(HANZI[:19] + "   \n ", config) == ("too_short", "chars=19 < 20")


def test_chinese_without_spaces_is_measured_in_characters():
    # one "word" by whitespace splitting, 25 characters in truth
    assert check(HANZI[:25], QualityConfig()) is None


def test_too_long_boundary():
    config = only(max_chars=30)
    assert check(HANZI[:30], config) is None
    assert check(HANZI[:31], config) == ("too_long", "chars=31 > 30")


def test_low_cjk_share_boundary():
    config = only(min_cjk_share=0.25)
    assert check(HANZI[:5] + "a" * 15, config) is None
    assert check(HANZI[:4] + "a" * 16, config) == ("low_cjk_share", "cjk_share=0.2000 < 0.25")


def test_high_symbol_share_boundary():
    config = only(max_symbol_share=0.25)
    assert check(HANZI[:15] + "★" * 5, config) is None
    reason, detail = check(HANZI[:14] + "★■→|#_"[:6], config)
    assert (reason, detail) == ("high_symbol_share", "symbol_share=0.3000 > 0.25")


def test_common_hanzi_and_punctuation_are_not_symbols():
    text = "一上下不了的是在中，。、；：？！“”‘’（）《》【】—…·%-/.,"
    assert check(text, only(max_symbol_share=0.0)) is None
    assert check(text + "★", only(max_symbol_share=0.0))[0] == "high_symbol_share"


def test_high_digit_share_boundary():
    config = only(max_digit_share=0.25)
    assert check(HANZI[:15] + "12345", config) is None
    assert check(HANZI[:14] + "123456", config) == ("high_digit_share", "digit_share=0.3000 > 0.25")


def test_duplicate_lines_boundary():
    config = only(max_duplicate_line_share=0.25)
    a, b, c = HANZI[:5], HANZI[5:10], HANZI[10:15]
    assert check("\n".join([a, b, c, a]), config) is None  # 5 of 20 characters repeat a line
    assert check("\n".join([a, b, a]), config) == ("duplicate_lines", "duplicate_line_share=0.3333 > 0.25")


def test_repeated_ngrams_boundary():
    config = only(max_repeated_ngram_share=0.25, repeated_ngram_size=10)
    a = HANZI[:10]
    assert repeated_ngram_share(a + HANZI[10:30] + a, 10) == 0.25
    assert check(a + HANZI[10:30] + a, config) is None
    reason, detail = check(a + HANZI[10:29] + a, config)
    assert reason == "repeated_ngrams" and detail.startswith("repeated_10gram_share=0.2564 > 0.25")


def test_repeated_ngram_share_catches_character_runs():
    assert repeated_ngram_share("哈" * 12, 10) == pytest.approx(11 / 12)
    assert repeated_ngram_share(HANZI, 10) == 0.0


def test_bad_encoding_boundary_and_patterns():
    config = only(max_bad_encoding_share=0.05)
    assert check(HANZI[:19] + "\ufffd", config) is None
    assert check(HANZI[:18] + "\ufffd\ufffd", config) == ("bad_encoding", "bad_encoding_share=0.1000 > 0.05")
    assert check(HANZI[:18] + "é…", config)[0] == "bad_encoding"
    assert check(HANZI[:17] + "锟斤拷", config)[0] == "bad_encoding"
    assert check("æ£€æŸ¥å®Œæˆ", QualityConfig(min_chars=0))[0] == "bad_encoding"  # not low_cjk_share


def test_thresholds_at_the_limits_disable_a_filter():
    assert check("★★★★★ 12345 aaaaa", only()) is None


QUALITY_ALPHABET = list("检查阀门泄漏，。！ \n1234567890abc★■→|#_é…Ã©â€™锟斤拷烫屯锛銆鈥\ufffd\u3000\x00٣𝟘") + ["\U00020001"]


def counted(pattern, text: str) -> int:
    return len(text) - len(pattern.sub("", text))


def repeated_chars(text: str, n: int) -> int:
    """Characters covered by a later occurrence of an n-gram, one text at a time (the reference)."""
    points = codepoints(no_spaces(text))
    hashes = ngram_hashes(points, n)
    _, first = np.unique(hashes, return_index=True)
    cover = np.zeros(len(points) + 1, dtype=np.int64)
    for start in sorted(set(range(len(hashes))) - set(first.tolist())):
        cover[start:start + n] = 1
    return int(cover.sum())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=QUALITY_ALPHABET, max_size=40).map(lambda t: t * (1 + len(t) % 3)), max_size=6))
def test_shares_of_a_batch_are_counted_like_each_text_alone(texts):
    bodies = [no_spaces(t) for t in texts]
    counts = _share_counts(bodies, {"bad_encoding", "low_cjk_share", "high_symbol_share", "high_digit_share",
                                    "repeated_ngrams"}, 3)
    assert counts["low_cjk_share"] == [counted(_CJK_RE, b) for b in bodies]
    assert counts["high_symbol_share"] == [counted(_SYMBOL_RE, b) for b in bodies]
    assert counts["high_digit_share"] == [counted(_DIGIT_RE, b) for b in bodies]
    assert counts["bad_encoding"] == [sum(map(len, _BAD_ENCODING_RE.findall(b))) for b in bodies]
    assert counts["repeated_ngrams"] == [repeated_chars(t, 3) for t in texts]
    config = QualityConfig(min_chars=3, max_digit_share=0.2, max_duplicate_line_share=0.2)
    assert quality_rejects(texts, config) == [quality_reject(t, config) for t in texts]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="泄漏过热安全帽未佩戴的。\x00 ", max_size=20), max_size=6))
def test_lexicon_matches_of_joined_texts_are_those_of_each_text(texts):
    automaton = _automaton({"泄漏": 3.0, "过热": 1.0, "未佩戴安全帽": 2.0, "安全帽": 0.5, "漏过": 1.0})
    assert _matches_many(automaton, texts) == [_matches(automaton, t) for t in texts]
    assert _matches_many(_automaton({}), texts) == [[] for _ in texts]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["发现泄漏。", "发现 泄漏！", "正常。", "\n", "好"]), max_size=6).map("".join),
                max_size=6))
def test_texts_with_repeated_sentences_are_found(texts):
    repeating = repeating_sentences(texts, 3)
    for text, flagged in zip(texts, repeating, strict=True):
        assert flagged or merge_repeated_sentences(text, 3)[1] == 0


# -- the stage: clutter, repeated sentences, priority ------------------------------------------------------


@pytest.fixture(scope="module")
def lexicons(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("lexicons")
    clutter = tmp_path / "clutter.txt"
    clutter.write_text("# scenery\n混凝土地面纹理\n顶棚照明\n白色ＬＥＤ灯\n", encoding="utf-8")
    anomaly = tmp_path / "anomaly.txt"
    anomaly.write_text("# terms\n泄漏\t3.0\n过热\n未佩戴安全帽\t2\n安全帽\t0.5\n", encoding="utf-8")
    return clutter, anomaly


def make_stage(lexicons, unit="clause", quality=None, **anomaly) -> CleanStage:
    clutter, terms = lexicons
    return CleanStage(CleanConfig(
        quality=quality or QualityConfig(min_chars=5),
        clutter=ClutterConfig(lexicon=clutter, unit=unit),
        anomaly=AnomalyConfig(lexicon=terms, **anomaly),
    ))


def run(stage: CleanStage, *texts: str, titles=None) -> dict:
    return stage({"id": [str(i) for i in range(len(texts))], "title": titles or [""] * len(texts), "text": list(texts)})


def test_clutter_sentence_removed_and_rest_kept(lexicons):
    text = "今日巡检二号车间。地面为灰色混凝土地面纹理。发现三号阀门泄漏，已通知维修。"
    out = run(make_stage(lexicons), text)
    assert out["text"] == ["今日巡检二号车间。发现三号阀门泄漏，已通知维修。"]
    assert out["_events"][0].count("clutter.removed") == 1
    assert out["_reject"] == [""]


def test_clutter_clause_removed_and_sentence_end_kept(lexicons):
    text = "发现阀门泄漏，车间顶棚照明良好。地面平整，混凝土地面纹理清晰，无积水。"
    assert run(make_stage(lexicons), text)["text"] == ["发现阀门泄漏。地面平整，无积水。"]


def test_clutter_sentence_unit_removes_whole_sentences(lexicons):
    text = "发现阀门泄漏。车间顶棚照明良好，地面平整。无其他问题需要报告。"
    assert run(make_stage(lexicons, unit="sentence"), text)["text"] == ["发现阀门泄漏。无其他问题需要报告。"]


def test_clutter_removal_keeps_paragraph_breaks(lexicons):
    text = "第一段内容正常。\n顶棚照明良好。\n第二段发现泄漏。"
    assert run(make_stage(lexicons), text)["text"] == ["第一段内容正常。\n第二段发现泄漏。"]


def test_clutter_phrases_are_normalized_like_the_text(lexicons):
    out = run(make_stage(lexicons), "仓库采用白色LED灯照明。货架摆放整齐有序。")
    assert out["text"] == ["货架摆放整齐有序。"]


def test_document_emptied_by_clutter_is_rejected(lexicons):
    out = run(make_stage(lexicons), "地面为混凝土地面纹理。顶棚照明为白色。")
    assert out["_reject"] == ["empty_after_clean"]
    assert "2 clutter" in out["_reject_detail"][0]
    assert out["text"] == ["地面为混凝土地面纹理。顶棚照明为白色。"]  # the record as it was


def test_repeated_sentences_merged_keeping_the_first(lexicons):
    text = "现场人员均已佩戴安全帽。发现阀门泄漏。现场人员均已佩戴安全帽！正常。正常。"
    out = run(make_stage(lexicons), text)
    assert out["text"] == ["现场人员均已佩戴安全帽。发现阀门泄漏。正常。正常。"]
    assert out["_events"][0].count("dedup.sentence_removed") == 1


def test_sentence_merge_can_be_switched_off(lexicons):
    clutter, terms = lexicons
    stage = CleanStage(CleanConfig(quality=QualityConfig(min_chars=5), dedup=DedupConfig(sentences=False),
                                   clutter=ClutterConfig(lexicon=clutter), anomaly=AnomalyConfig(lexicon=terms)))
    text = "发现阀门泄漏。发现阀门泄漏。"
    assert run(stage, text)["text"] == [text]


def test_priority_positive_with_anomaly_terms_and_zero_without(lexicons):
    out = run(make_stage(lexicons), "巡检发现三号阀门泄漏。", "巡检一切运行正常，无异常。")
    assert out["priority"] == [round(math.log1p(3.0), 6), 0.0]
    assert out["_events"][0] == ["anomaly.泄漏"]
    assert out["_events"][1] == []


def test_priority_sums_weights_over_title_and_text(lexicons):
    stage = make_stage(lexicons, squash="none")
    out = run(stage, "电机过热，阀门泄漏，阀门再次泄漏。工人未佩戴安全帽。", titles=["泄漏报告"])
    # 泄漏 x3 (3.0 each) + 过热 (1.0) + 未佩戴安全帽 (2.0, the longest match; 安全帽 not counted again)
    assert out["priority"] == [12.0]
    assert sorted(out["_events"][0]) == ["anomaly.未佩戴安全帽", "anomaly.泄漏", "anomaly.过热"]


def test_negation_cues_are_optional(lexicons):
    text = "检查未发现泄漏，设备运行正常。"
    assert run(make_stage(lexicons), text)["priority"][0] > 0
    assert run(make_stage(lexicons, negations=["未发现", "无"]), text)["priority"] == [0.0]
    assert run(make_stage(lexicons, negations=["未"]), "工人未佩戴安全帽。")["priority"][0] > 0


def test_shipped_lexicons_load():
    if not (PROJECT_ROOT / "lexicons" / "anomaly_terms.txt").exists():
        pytest.skip("shipped lexicons not present")
    out = CleanStage(CleanConfig())({"title": [""], "text": ["巡检中发现二号储罐出口法兰处存在泄漏，已安排处理。"]})
    assert out["priority"][0] > 0


def test_lexicon_errors_are_user_errors(tmp_path, lexicons):
    clutter, _ = lexicons
    bad = tmp_path / "bad.txt"
    bad.write_text("泄漏\t3.0\n过热\thigh\n", encoding="utf-8")
    stage = CleanStage(CleanConfig(clutter=ClutterConfig(lexicon=clutter), anomaly=AnomalyConfig(lexicon=bad)))
    with pytest.raises(CorpusctlError, match=r"bad.txt:2: weight 'high'"):
        run(stage, "发现泄漏。")
    missing = CleanStage(CleanConfig(clutter=ClutterConfig(lexicon=tmp_path / "nope.txt")))
    with pytest.raises(CorpusctlError, match="clean.clutter.lexicon: .*nope.txt: lexicon file not found"):
        run(missing, "发现泄漏。")


def test_quality_rejects_carry_reason_and_detail(lexicons):
    out = run(make_stage(lexicons, quality=QualityConfig(min_chars=10)), "太短了。", "发现阀门泄漏，已通知维修人员处理。")
    assert out["_reject"] == ["too_short", ""]
    assert out["_reject_detail"][0] == "chars=4 < 10"
    assert out["priority"][0] == 0.0


def test_rows_rejected_upstream_pass_through(lexicons):
    batch = {"title": [""], "text": ["地面为混凝土地面纹理。"], "_reject": ["pii_failed"], "_reject_detail": ["x"],
             "_events": [["pii.mobile"]]}
    out = make_stage(lexicons)(batch)
    assert out["_reject"] == ["pii_failed"] and out["text"] == batch["text"] and out["_events"] == [["pii.mobile"]]


def test_disabled_clean_keeps_text_and_zero_priority(lexicons):
    stage = CleanStage(CleanConfig(enabled=False))
    out = run(stage, "短")
    assert out["text"] == ["短"] and out["priority"] == [0.0] and out["_reject"] == [""]


SENTENCES = ["发现阀门泄漏。", "地面为混凝土地面纹理。", "电机过热，", "巡检正常。", "设备运行平稳，无异常。",
             "顶棚照明良好，", "工人未佩戴安全帽！", "\n", "短。", "★★★", "1234567890", "發現閥門洩漏。"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SENTENCES), max_size=8).map("".join), min_size=1, max_size=12),
       st.integers(min_value=1, max_value=11))
def test_same_result_whatever_the_batch_boundaries(lexicons, texts, cut):
    stage = make_stage(lexicons)
    whole = run(stage, *texts)
    cut = min(cut, len(texts))
    first, second = run(stage, *texts[:cut]), run(stage, *texts[cut:]) if texts[cut:] else None
    for key in ("text", "priority", "_reject", "_reject_detail", "_events"):
        assert whole[key] == first[key] + (second[key] if second else [])
    assert pickle.loads(pickle.dumps(stage))({"title": [""] * len(texts), "text": texts})["text"] == whole["text"]
