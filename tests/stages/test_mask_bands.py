"""The mask ratio band follows the length of the report an example was cut from (HRG-BERT 3.3.1: "Longer reports
(> 500 words): 0.3–0.5 ratio"), measured end to end from the shards with counts independent of `report_words`."""

import itertools
import json
import textwrap
from collections import defaultdict

import datasets
import numpy as np
import pytest
from helpers import build

from corpusctl.stages.mask import MaskConfig, in_band_count

AREAS = ["一号泵房", "二号压缩机房", "三号罐区", "四号配电室", "五号装车栈台", "六号锅炉房", "七号仓库", "八号反应釜区"]
THINGS = ["离心泵", "空压机", "储罐", "配电柜", "鹤管", "锅炉", "叉车", "反应釜", "换热器", "阀门", "法兰", "管道"]
FINDINGS = ["出口压力波动", "轴承温度偏高", "密封处渗漏", "接地线松动", "防护罩缺失", "液位计失灵", "保温层破损",
            "螺栓锈蚀", "压力表超期", "安全阀铅封脱落"]
ACTIONS = ["已通知班组长立即整改", "已安排检修人员更换部件", "已挂牌隔离并上报车间", "已要求当班人员加强巡检",
           "已开具隐患整改通知单", "已联系厂家到场处理"]


def _sentences():
    """Distinct sentences (no two alike, so repeated-sentence merging and dedup leave them all)."""
    for area, thing, finding, action in itertools.product(AREAS, THINGS, FINDINGS, ACTIONS):
        yield f"{area}的{thing}{finding}，{action}。"


def _docs():
    sentences = _sentences()
    docs = []
    for i in range(4):  # long reports: 70 sentences, about 1,900 characters, well over 500 words
        docs.append({"id": f"long{i}", "title": f"第{i + 1}季度全厂设备隐患排查报告",
                     "text": "".join(next(sentences) for _ in range(70))})
    for i in range(30):  # short reports: 3 sentences, under 100 words
        docs.append({"id": f"short{i}", "title": f"巡检记录{i}", "text": "".join(next(sentences) for _ in range(3))})
    return docs


@pytest.fixture(scope="module")
def bands_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bands")
    (folder / "docs.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in _docs()),
                                       encoding="utf-8")
    recipe = folder / "r.yaml"
    recipe.write_text(textwrap.dedent("""\
        name: bands
        output: out
        sources:
          - {name: docs, path: docs.jsonl, format: jsonl, title_field: title, id_field: id,
             domain: industrial, kind: inspection_report}
        clean: {quality: {max_repeated_ngram_share: 1.0}, dedup: {near: false}}   # template text repeats n-grams
        mix: {enabled: false}
        mask: {epochs: 2}
        ner: {enabled: false}
        classification: {enabled: false}
        """), encoding="utf-8")
    return build(recipe, folder / "out")


def _ratios(out, epoch):
    """(report words, example words, masked/maskable) per example, the report's words summed over its windows."""
    pretrain = datasets.load_from_disk(str(out / "pretrain"))
    masked = datasets.load_from_disk(str(out / "masked" / f"epoch-{epoch}"))
    report_words = defaultdict(int)
    for row_id, words in zip(pretrain["id"], pretrain["num_words"], strict=True):
        report_words[row_id.split("#")[0]] += words
    rows = []
    for row, mask in zip(pretrain, masked, strict=True):
        assert row["id"] == mask["id"]
        maskable = sum(1 for s in row["special_tokens_mask"] if not s)
        hits = sum(1 for label in mask["labels"] if label != -100)
        rows.append((report_words[row["id"].split("#")[0]], row["num_words"], hits / maskable))
    return rows


@pytest.mark.parametrize("epoch", [0, 1])
def test_windows_of_long_reports_get_the_long_band(bands_out, epoch):
    rows = _ratios(bands_out, epoch)
    long = [(example, ratio) for report, example, ratio in rows if report > 500]
    assert len(long) >= 12, "each long report is cut into several windows"
    assert all(example <= 500 for example, _ in long), "no window is itself over 500 words"
    mean = float(np.mean([ratio for _, ratio in long]))
    assert 0.3 <= mean <= 0.5, mean
    assert all(0.3 - 1e-9 <= ratio <= 0.5 + 1e-9 for _, ratio in long)
    short = [ratio for report, _, ratio in rows if report <= 100]
    assert short and all(0.15 - 1e-9 <= ratio <= 0.25 + 1e-9 for ratio in short)


def test_report_words_matches_the_words_of_all_windows(bands_out):
    """`report_words` (scaled from each window) is close to the sum of the report's windows' own words."""
    pretrain = datasets.load_from_disk(str(bands_out / "pretrain"))
    summed, estimates = defaultdict(int), defaultdict(list)
    for row_id, words, report in zip(pretrain["id"], pretrain["num_words"], pretrain["report_words"], strict=True):
        summed[row_id.split("#")[0]] += words
        estimates[row_id.split("#")[0]].append(report)
    for doc, values in estimates.items():
        assert all(abs(v - summed[doc]) <= 0.15 * summed[doc] for v in values), (doc, values, summed[doc])


def test_manifest_counts_long_report_windows_in_the_long_bucket(bands_out):
    mask = json.loads((bands_out / "manifest.json").read_text(encoding="utf-8"))["mask"]
    assert mask["length_from"] == "report"
    long = mask["by_length"][">500"]
    assert long["examples"] >= 12 and 0.3 <= long["mean"] <= 0.5 and long["in_band"] == 1.0
    assert mask["in_band"] == 1.0  # strict: no rounding slack


def test_in_band_count_moves_rounding_into_the_band():
    n = np.array([23, 6, 7, 3, 100])
    low, high = np.full(5, 0.15), np.full(5, 0.25)
    ratio = np.array([0.15, 0.25, 0.24, 0.2, 0.2])
    # 23 * 0.15 = 3.45 rounds to 3 (0.130, under the band): 4; 6 * 0.25 = 1.5 rounds to 2 (0.333): 1;
    # 7 tokens and 3 tokens hold no whole count in band (1.05-1.75, 0.45-0.75): rounding stands
    assert in_band_count(n, ratio, low, high).tolist() == [4, 1, 2, 1, 20]
    assert MaskConfig().length_from == "report"
