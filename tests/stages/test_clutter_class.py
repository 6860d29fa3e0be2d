"""Background clutter as a class (HRG-BERT 3.1.2: "ignoring 'concrete floor texture' or 'warehouse ceiling
lighting'"): scene description without safety information is removed even when no list phrase matches."""

import sys

from helpers import ROOT

from corpusctl.stages.clean import CleanConfig, CleanStage, ClutterConfig, _matches

BENCH = ROOT / "bench"


def _stage(**clutter) -> CleanStage:
    return CleanStage(CleanConfig(clutter=ClutterConfig(**clutter)))


def _batch(texts, domain="industrial"):
    return {"id": [f"d{i}" for i in range(len(texts))], "source": ["s"] * len(texts), "title": [""] * len(texts),
            "text": texts, "domain": [domain] * len(texts)}


REPORT = ("检查时间：2024年3月5日。仓库顶上的照明灯是白光的LED灯。地面的混凝土纹理清晰可见。"
          "地面有大片油污，人员行走容易滑倒。车间顶棚的照明灯具有三盏损坏，局部照度不足。已要求班组当天整改。")


def test_reworded_clutter_goes_and_scene_words_with_safety_information_stay():
    stage = _stage()
    clutter_list, _ = stage.setup()
    assert not _matches(clutter_list, REPORT)  # no list phrase: only the class rule can find these
    out = stage(_batch([REPORT]))
    text = out["text"][0]
    assert "LED灯" not in text and "纹理" not in text
    assert "地面有大片油污" in text and "照度不足" in text and text.startswith("检查时间") and "整改" in text
    assert out["_events"][0].count("clutter.removed_scene") == 2


def test_each_removal_has_a_reason_naming_its_scene_cues():
    stage = _stage()
    assert stage.scene_reason("墙壁刷的是白色乳胶漆。").startswith("scene:")
    assert "墙壁" in stage.scene_reason("墙壁刷的是白色乳胶漆。")
    for kept in ("墙面有明显裂缝，需要进行结构安全评估。", "天气炎热，高温作业人员应做好防暑降温。",
                 "车间照明整体良好，满足作业要求。", "出口压力0.8MPa，地面干燥。"):
        assert stage.scene_reason(kept) is None, kept


def test_only_the_configured_domains_and_only_when_switched_on():
    article = "天空呈蓝色。晴朗的天气里，阳光照在白色的墙面上，颜色显得格外明亮。"
    assert _stage()(_batch([article], "general"))["text"][0] == article  # an encyclopedia about the sky
    assert _stage(scene=False)(_batch([REPORT]))["text"][0].count("LED灯") == 1
    assert "LED灯" not in _stage(scene_domains=["industrial", "general"])(_batch([REPORT], "general"))["text"][0]


def test_held_out_set_meets_the_targets_and_the_list_alone_does_not():
    """The bench's figures on the set written after the rule was frozen: precision >= 0.9, recall >= 0.8."""
    sys.path.insert(0, str(BENCH))
    from clutter import HELDOUT, evaluate, read_set

    rows = read_set(HELDOUT)
    assert len(rows) >= 50 and sum(label for label, _, _ in rows) >= 25
    result = evaluate(_stage(), rows, errors=False)
    assert result["precision"] >= 0.9 and result["recall"] >= 0.8
    assert result["baseline_list_only"]["recall"] < 0.2
