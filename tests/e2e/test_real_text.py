"""A general-text build on real public text (SIGHAN PKU news lines, People's Daily sentences) from
../shared/external, so the stages meet text that no template wrote. Skipped when the data is absent."""

import json
import textwrap

import pytest
from helpers import EXTERNAL, build

PKU = EXTERNAL / "seg" / "pku_test_gold.utf8"
PEOPLES_DAILY = EXTERNAL / "ner" / "peoples_daily" / "dev.bio"

pytestmark = pytest.mark.skipif(not (PKU.is_file() and PEOPLES_DAILY.is_file()),
                                reason=f"public corpora not found under {EXTERNAL} (see its README)")


def _peoples_daily_sentences() -> list[str]:
    sentences, chars = [], []
    for line in PEOPLES_DAILY.read_text(encoding="utf-8").splitlines():
        if line.strip():
            chars.append(line.split()[0])
        elif chars:
            sentences.append("".join(chars))
            chars = []
    return sentences + (["".join(chars)] if chars else [])


@pytest.fixture(scope="module")
def real_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    lines = ["".join(line.split()) for line in PKU.read_text(encoding="utf-8").splitlines() if line.strip()]
    news = ["".join(lines[i:i + 8]) for i in range(0, 800, 8)]  # 100 articles of 8 consecutive lines
    (folder / "news.jsonl").write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in news),
                                       encoding="utf-8")
    daily = _peoples_daily_sentences()[:1000]
    blocks = ["".join(daily[i:i + 10]) for i in range(0, len(daily), 10)]
    (folder / "daily.txt").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    recipe = folder / "r.yaml"
    recipe.write_text(textwrap.dedent("""\
        name: real
        output: out
        sources:
          - {name: pku, path: news.jsonl, format: jsonl, domain: general, kind: news}
          - {name: daily, path: daily.txt, format: txt, domain: general, kind: encyclopedia}
        mix: {enabled: false}
        mask: {epochs: 1}
        ner: {enabled: false}
        classification: {enabled: false}
        """), encoding="utf-8")
    return build(recipe, folder / "out")


def test_real_general_text_builds_and_keeps_its_sentences(real_out):
    manifest = json.loads((real_out / "manifest.json").read_text(encoding="utf-8"))
    clean = manifest["stages"]["clean"]
    assert clean["docs_in"] >= 190 and sum(clean["rejects"].values()) <= 0.05 * clean["docs_in"]
    # general text is not scenery to drop: the class rule applies to industrial documents only
    assert "clutter.removed_scene" not in clean["events"]
    assert manifest["fusion"] == {"enabled": False}
    mask = manifest["mask"]
    assert mask["in_band"] >= 0.99
    # real news holds few industrial terms: the report says so instead of averaging it away
    assert mask["term_share_by_kind"]["news"]["terms_suffice"] is False
    report = (real_out / "report.html").read_text(encoding="utf-8")
    assert "news has too few terms" in report
