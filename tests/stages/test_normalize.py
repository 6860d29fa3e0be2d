import pickle
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.stages.normalize import (
    NormalizeConfig,
    NormalizeStage,
    _nfkc,
    normalize_text,
    normalize_with_events,
)
from corpusctl.text.sentences import sentence_bounds, split_sentences

DEFAULT = NormalizeConfig()
T2S = NormalizeConfig(traditional_to_simplified=True)


def test_fullwidth_digits_and_letters_become_ascii():
    assert normalize_text("压力为１２．５ＭＰａ，编号ＡＢ－０３", DEFAULT) == "压力为12.5MPa，编号AB-03"


def test_chinese_punctuation_and_ellipsis_are_kept():
    text = "注意：阀门是否关闭？是的！（已确认）；温度３～５度……"
    assert normalize_text(text, DEFAULT) == "注意：阀门是否关闭？是的！（已确认）；温度3～5度……"


def test_ideographic_space_and_compatibility_forms():
    assert normalize_text("温度　80℃，面积10㎡", DEFAULT) == "温度 80°C，面积10m2"


def test_halfwidth_without_nfkc_and_nfkc_without_halfwidth():
    no_nfkc = NormalizeConfig(nfkc=False)
    assert normalize_text("ＡＢ１２，好", no_nfkc) == "AB12，好"
    assert normalize_text("①号", no_nfkc) == "①号"
    keep_fullwidth = NormalizeConfig(fullwidth_to_halfwidth=False)
    assert normalize_text("ＡＢ１２①，好", keep_fullwidth) == "ＡＢ１２1，好"


def test_traditional_to_simplified():
    text, events = normalize_with_events("檢查發現變壓器溫度過高，閥門洩漏。", T2S)
    assert text == "检查发现变压器温度过高，阀门泄漏。"
    assert events == ["normalize.t2s"]
    simplified, events = normalize_with_events("检查发现变压器温度过高。", T2S)
    assert simplified == "检查发现变压器温度过高。" and events == []
    assert normalize_text("閥門洩漏", DEFAULT) == "閥門洩漏"  # off by default


def test_html_tags_and_entities_removed():
    text, events = normalize_with_events(
        "<div class='x'><p>检查&nbsp;阀门</p><br/>泄漏&amp;lt;b&amp;gt;严重<script>var a=1;</script>"
        "<!-- note -->&#12290;</div>", DEFAULT
    )
    assert text == "检查 阀门\n泄漏严重。"
    assert "normalize.html_removed" in events


def test_comparison_signs_are_not_html():
    text = "压力<0.5MPa，温度>80℃时停机；a < b"
    assert normalize_text(text, DEFAULT) == "压力<0.5MPa，温度>80°C时停机；a < b"
    assert "normalize.html_removed" not in normalize_with_events(text, DEFAULT)[1]


def test_urls_removed_and_neighbours_kept():
    text, events = normalize_with_events("详见http://example.com/a?b=1。（见www.abc.cn/x）下载 https://x.org/f.pdf.", DEFAULT)
    assert text == "详见。（见）下载 ."
    assert events.count("normalize.url_removed") == 3


def test_control_and_invisible_characters_removed_but_replacement_char_kept():
    text, events = normalize_with_events("阀\u200b门\x00泄\ufeff漏\x07\ufffd", DEFAULT)
    assert text == "阀门泄漏\ufffd"
    assert "normalize.control_removed" in events


def test_whitespace_runs_collapse_and_paragraph_breaks_stay():
    assert normalize_text("  第一段  内容\t结束。 \r\n\r\n\n  第二段。\n", DEFAULT) == "第一段 内容 结束。\n第二段。"


def test_steps_can_be_switched_off():
    config = NormalizeConfig(nfkc=False, fullwidth_to_halfwidth=False, strip_html=False, remove_urls=False,
                             control_chars=False, whitespace=False)
    text = " <p>ＡＢ</p>  http://a.com\u200b "
    assert normalize_text(text, config) == text


def test_split_sentences_keeps_delimiters_and_quotes():
    text = "他说：“注意安全！”然后离开。\n\n第二段；第三句?? 最后"
    pieces = [text[s:e] for s, e in split_sentences(text)]
    assert pieces == ["他说：“注意安全！”", "然后离开。\n\n", "第二段；", "第三句?? ", "最后"]


def test_split_sentences_edge_cases():
    assert split_sentences("") == []
    assert split_sentences("没有句号") == [(0, 4)]
    assert [("\n\n好。"[s:e]) for s, e in split_sentences("\n\n好。")] == ["\n\n好。"]
    assert [("好。 "[s:e]) for s, e in split_sentences("好。 ")] == ["好。 "]


SENTENCE_ALPHABET = "阀门泄漏检查。！？；!?\n ，”ab1"


@given(st.text(alphabet=SENTENCE_ALPHABET, max_size=60))
def test_split_sentences_tiles_the_text(text):
    spans = split_sentences(text)
    assert "".join(text[s:e] for s, e in spans) == text
    assert all(s < e for s, e in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    if len(spans) > 1:
        assert all(text[s:e].strip() for s, e in spans)


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=SENTENCE_ALPHABET + "\x00\t)》\"", max_size=30), max_size=6))
def test_sentence_bounds_are_split_sentences_of_each_text(texts):
    offsets, starts, ends = sentence_bounds(texts)
    for i, text in enumerate(texts):
        part = slice(offsets[i], offsets[i + 1])
        assert list(zip(starts[part].tolist(), ends[part].tolist(), strict=True)) == split_sentences(text)


@settings(max_examples=300)
@given(st.text(alphabet="ab，：（）～…①ＡＢ１　e\u0301\u0327\u1100\u1161가\x00 ", max_size=20), st.booleans())
def test_nfkc_normalizes_each_piece_between_protected_characters(text, fullwidth):
    keep = "，：；？！（）～…" + ("" if fullwidth else "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000")
    pieces, piece = [], ""
    for char in text:
        if char in keep:
            pieces += [unicodedata.normalize("NFKC", piece), char]
            piece = ""
        else:
            piece += char
    assert _nfkc(text, fullwidth) == "".join(pieces) + unicodedata.normalize("NFKC", piece)


NORMALIZE_ALPHABET = "阀门泄漏檢查，。：？！（）…～ＡＢ１２ab12 \n\t\u3000\u200b<>/p.:wh"


@settings(max_examples=200)
@given(st.text(alphabet=NORMALIZE_ALPHABET, max_size=40))
def test_normalize_is_idempotent(text):
    once = normalize_text(text, T2S)
    assert normalize_text(once, T2S) == once


def test_stage_normalizes_title_and_text_and_is_picklable():
    stage = pickle.loads(pickle.dumps(NormalizeStage(T2S)))
    batch = {"id": ["a", "b"], "title": ["<b>巡檢</b>報告", ""], "text": ["ＡＢ１２　檢查", "正常。"]}
    out = stage(batch)
    assert out["title"] == ["巡检报告", ""]
    assert out["text"] == ["AB12 检查", "正常。"]
    assert out["id"] == ["a", "b"]
    assert out["_events"][0].count("normalize.t2s") == 2
    assert "normalize.html_removed" in out["_events"][0]
    assert out["_events"][1] == []


def test_disabled_stage_passes_the_batch_through():
    batch = {"title": [""], "text": ["ＡＢ"]}
    assert NormalizeStage(NormalizeConfig(enabled=False))(batch) == batch


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="一目瞭然沈默乾隆檢查阀门發現泄漏，。 的了不", max_size=30))
def test_t2s_fast_path_gives_opencc_result(text):
    from opencc import OpenCC

    from corpusctl.stages.normalize import to_simplified

    assert to_simplified(text) == OpenCC("t2s").convert(text)


def test_stage_rows_do_not_depend_on_their_batch():
    stage = NormalizeStage(T2S)
    batch = {"title": ["巡檢", "", "報告"], "text": ["ＡＢ　１", "<p>閥門</p>", "http://a.cn 正常"]}
    whole = stage(batch)
    rows = [stage({k: v[i : i + 1] for k, v in batch.items()}) for i in range(3)]
    for key in ("title", "text", "_events"):
        assert whole[key] == [r[key][0] for r in rows]
