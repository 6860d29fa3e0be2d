"""End to end: `corpusctl build recipes/sample.yaml` and what trainers and scripts read from it."""

import json
import shutil
import textwrap

import datasets
from helpers import build
from typer.testing import CliRunner

from corpusctl.cli import app
from corpusctl.stages.vocab import decode_ids

CONTRACT_COLUMNS = {"id", "source", "kind", "domain", "format", "title", "text", "priority", "input_ids",
                    "attention_mask", "token_type_ids", "num_words", "word_ids", "term_ids", "pos_ids",
                    "sentence_ids"}




def test_pretrain_opens_with_load_from_disk_in_several_shards(sample_out):
    pretrain = datasets.load_from_disk(str(sample_out / "pretrain"))
    assert len(list((sample_out / "pretrain").glob("data-*.arrow"))) >= 2
    assert CONTRACT_COLUMNS <= set(pretrain.column_names)
    assert pretrain.features["pos_ids"].feature.names[7] == "NOUN"
    assert set(pretrain["format"]) == {"title_content", "paragraph"}


def test_decoding_input_ids_gives_back_the_text(sample_out):
    vocab = (sample_out / "vocab.txt").read_text(encoding="utf-8").splitlines()
    pretrain = datasets.load_from_disk(str(sample_out / "pretrain"))
    for row in pretrain.select(range(0, len(pretrain), max(1, len(pretrain) // 50))):
        expected = (row["title"] + row["text"]) if row["format"] == "title_content" else row["text"]
        assert decode_ids(row["input_ids"], vocab) == "".join(expected.split())


def test_token_metadata_lines_up(sample_out):
    pretrain = datasets.load_from_disk(str(sample_out / "pretrain"))
    for row in pretrain.select(range(20)):
        n = len(row["input_ids"])
        assert n <= 512
        assert all(len(row[c]) == n for c in ("attention_mask", "token_type_ids", "word_ids", "term_ids", "pos_ids",
                                               "sentence_ids", "special_tokens_mask"))
        assert row["word_ids"][0] == -1 and row["word_ids"][-1] == -1
        assert max(row["word_ids"]) == row["num_words"] - 1
        if row["format"] == "title_content":
            assert 1 in row["token_type_ids"]


def test_manifest_records_recipe_counts_and_files(sample_out):
    manifest = json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 42 and len(manifest["recipe_hash"]) == 64
    assert manifest["recipe"]["name"] == "sample"
    assert manifest["stages"]["ingest"]["docs_out"] >= 500
    paths = {f["path"] for f in manifest["files"]}
    assert "vocab.txt" in paths and any(p.startswith("pretrain/") for p in paths)
    for entry in manifest["files"]:
        assert (sample_out / entry["path"]).stat().st_size == entry["bytes"]
    assert manifest["versions"]["datasets"] == datasets.__version__


def test_rejects_name_stage_reason_and_record(sample_out):
    lines = [json.loads(line) for f in (sample_out / "rejects").glob("*.jsonl") for line in f.open(encoding="utf-8")]
    assert lines, "the sample plants duplicates and junk; some records must be rejected"
    for line in lines:
        assert {"id", "source", "stage", "reason", "detail", "record"} <= set(line)
    assert {"dedup"} <= {line["stage"] for line in lines}


def test_broken_jsonl_line_is_rejected_with_file_and_line(tmp_path):
    data = tmp_path / "docs.jsonl"
    sentences = ["叉车司机未佩戴安全帽进入车间，检查人员要求立即整改。", "配电箱门未关闭，箱内积灰严重，已通知电工清理。",
                 "消防通道被货物堵塞，灭火器压力不足，需要更换。", "反应釜法兰处发现轻微泄漏，已关闭进料阀门。",
                 "脚手架底部缺少扫地杆，作业人员未系安全带。", "值班人员在岗睡觉，监控室无人值守。"]
    lines = [json.dumps({"title": f"巡检记录{i}", "text": s + sentences[(i + 1) % 6] + sentences[(i + 3) % 6]}, ensure_ascii=False)
             for i, s in enumerate(sentences)]
    lines[2] = '{"title": "坏行", "text": "缺少右引号}'
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: broken
        output: out
        sources:
          - {{name: docs, path: {data.name}, format: jsonl, title_field: title, domain: industrial, kind: sop}}
        mix: {{enabled: false}}
        mask: {{epochs: 1}}
        ner: {{enabled: false}}
        classification: {{enabled: false}}
        """), encoding="utf-8")
    out = build(recipe, tmp_path / "out", "--workers", "1")
    rejects = [json.loads(line) for line in (out / "rejects" / "ingest.jsonl").open(encoding="utf-8")]
    assert len(rejects) == 1
    assert rejects[0]["detail"].startswith(f"{data}:3") and rejects[0]["reason"] == "json_error"
    assert len(datasets.load_from_disk(str(out / "pretrain"))) >= 5
    strict = CliRunner().invoke(app, ["build", str(recipe), "--output", str(tmp_path / "o2"), "--quiet", "--strict"])
    assert strict.exit_code == 2 and f"{data}:3" in strict.output and "Traceback" not in strict.output
    assert not (tmp_path / "o2").exists()


def test_build_with_bad_recipe_fails_cleanly(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: x\noutput: o\nsources: []\nsegmnet: {}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(recipe)])
    assert result.exit_code == 2
    assert "segmnet (line 4)" in result.output and "sources" in result.output


def test_inspect_summary_and_samples(sample_out):
    summary = CliRunner().invoke(app, ["inspect", str(sample_out)])
    assert summary.exit_code == 0, summary.output
    assert "inspection_report" in summary.output and "achieved" in summary.output
    samples = CliRunner().invoke(app, ["inspect", str(sample_out / "pretrain"), "--sample", "2", "--pos"])
    assert samples.exit_code == 0, samples.output
    assert samples.output.count("words]") == 2 and "NOUN" in samples.output


def test_a_successful_build_leaves_only_its_output(sample_out):
    assert sorted(p.name for p in sample_out.parent.iterdir()) == [sample_out.name]


_ = shutil


def test_strict_mode_stops_only_at_malformed_input(tmp_path):
    data = tmp_path / "docs.jsonl"
    docs = [{"title": "配电箱巡检", "text": "配电箱门未关闭，箱内积灰严重，电工已到现场清理并更换了损坏的漏电保护器。"},
            {"title": "短", "text": "太短"}]
    data.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: s\noutput: out\nsources:\n  - {{name: docs, path: {data.name}, format: jsonl, "
                      "title_field: title, domain: industrial, kind: sop}\nmix: {enabled: false}\n"
                      "ner: {enabled: false}\nclassification: {enabled: false}\n", encoding="utf-8")
    out = build(recipe, tmp_path / "out", "--strict", "--workers", "1")
    rejects = [json.loads(line) for line in (out / "rejects" / "clean.jsonl").open(encoding="utf-8")]
    assert [r["reason"] for r in rejects] == ["too_short"]


def test_sample_fuses_operational_readings(sample_out):
    """The sample ships readings (sample_data/operations/) for equipment its documents name; some are over a limit
    and three lines are malformed on purpose."""
    fusion = json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))["fusion"]
    assert fusion["documents_fused"] >= 50 and fusion["anomalies"] >= 10 and fusion["documents_priority_raised"] >= 10
    assert fusion["readings_rejected"] == {"bad_time": 1, "bad_value": 1, "unknown_unit": 1}
    rejects = [json.loads(line) for line in (sample_out / "rejects" / "fusion.jsonl").open(encoding="utf-8")]
    assert all(r["id"].rsplit(":", 1)[0].endswith("readings.csv") and r["id"].rsplit(":", 1)[1].isdigit()
               for r in rejects)
    pretrain = datasets.load_from_disk(str(sample_out / "pretrain"))
    fused = [t for t in pretrain["text"] if "运行数据：" in t]
    assert any("超限" in t for t in fused)
    assert "Fusion" in (sample_out / "report.html").read_text(encoding="utf-8")
