"""Operational-data fusion: readings joined to the documents that mention their equipment (HRG-BERT 3.1.2 (2))."""

import json
import math
import textwrap

import datasets
import pyarrow as pa
import pyarrow.feather as feather
import pytest
from helpers import build

from corpusctl.stages.fusion import (
    READINGS_SCHEMA,
    FusionConfig,
    FusionStage,
    ReadingsSource,
    describe,
    equipment_synonyms,
    load_readings,
    name_variants,
    parse_time,
)

DOCS = [
    {"id": "hot", "title": "2号换热器巡检记录", "date": "2024-03-05",
     "text": "巡检发现2号换热器出口温度偏高，已通知工艺人员调整负荷并加强监测。P-101运行平稳，无异常声响。"},
    {"id": "other", "title": "12号换热器检查", "date": "2024-03-05",
     "text": "12号换热器运行正常，保温层完好，周边无杂物堆放。p-1012备用泵处于备用状态，检查人员确认无隐患。"},
    {"id": "textdate", "title": "泵房检查", "date": "",
     "text": "检查时间：2024年3月9日 10:00。P-101出口压力波动，已安排检修人员排查原因并做好记录。"},
    {"id": "undated", "title": "泵房记录", "date": "不详",
     "text": "P-101 轴承有异响，已安排检修人员在下个班次进行拆检，并做好隔离措施和记录。"},
    {"id": "late", "title": "3号换热器检查", "date": "2024-04-20",
     "text": "3#换热器外观检查完成，法兰连接紧固，保温层完好，现场整洁，检查人员签字确认。"},
]
READINGS = """\
timestamp,tag,name,metric,value,unit,high
2024-03-05 08:00,E-202,2号换热器,出口温度,186,℃,180
2024-03-05 09:00,E-202,2号换热器,出口温度,175,℃,180
2024-03-05 08:00,P-101,,出口压力,0.82,MPa,
2024-03-01 08:00,P-101,,出口压力,0.80,MPa,
2024-03-09 09:30,P-101,,出口压力,0.31,MPa,
2024-03-05 08:00,E-212,12号换热器,出口温度,150,℃,180
2024-02-30 08:00,P-101,,出口压力,0.82,MPa,
2024-03-05 08:00,P-101,,出口压力,0.82,furlong,
2024-03-05 08:00,P-101,,出口压力,abc,MPa,
2024-03-05T00:00:00Z,E-303,3号换热器,出口温度,120,℃,180
"""


@pytest.fixture
def plant(tmp_path):
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS),
                                         encoding="utf-8")
    (tmp_path / "readings.csv").write_text(READINGS, encoding="utf-8")
    (tmp_path / "th.csv").write_text("equipment,metric,low,high,unit\n*,出口压力,0.4,1.6,MPa\n", encoding="utf-8")
    return tmp_path


def _config(plant, **extra) -> FusionConfig:
    source = ReadingsSource(path=plant / "readings.csv", format="csv", equipment_field="tag", name_field="name",
                            high_field="high")
    return FusionConfig(readings=[source], thresholds=plant / "th.csv", **extra)


def _stage(plant, tmp_path, **extra) -> FusionStage:
    config = _config(plant, **extra)
    rejects = []
    columns, _ = load_readings(config, lambda *args: rejects.append(args))
    path = tmp_path / "readings.arrow"
    feather.write_feather(pa.table(columns, schema=READINGS_SCHEMA), str(path))
    return FusionStage(config, path)


def _batch(docs):
    return {"domain": ["industrial"] * len(docs), "title": [d["title"] for d in docs],
            "text": [d["text"] for d in docs], "priority": [0.0] * len(docs),
            "meta": [json.dumps({"date": d["date"]}, ensure_ascii=False) for d in docs]}


def test_times_parse_in_the_usual_forms_and_bad_ones_do_not():
    day = parse_time("2024-03-05")
    assert day[1] - day[0] == 86400
    assert parse_time("2024/3/5 08:00") == parse_time("2024年3月5日 08:00") == parse_time("2024-03-05T08:00:00")
    assert parse_time("2024-03-05T00:00:00Z")[0] == parse_time("2024-03-05 08:00")[0]  # UTC -> UTC+8
    assert parse_time("2024-03-05 08:00:00+08:00")[0] == parse_time("2024-03-05 08:00")[0]
    for bad in ("2024-02-30 08:00", "2023-13-45", "yesterday", "", None, "2024-03-05 25:00"):
        assert parse_time(bad) is None, bad
    assert parse_time("检查时间：2024年3月9日 10:00。", whole=False) == parse_time("2024-03-09 10:00")


def test_numbered_names_have_their_usual_spellings_and_ontology_synonyms(root):
    assert name_variants("2号换热器") == ["2号换热器", "2#换热器", "#2换热器"]
    assert name_variants("p-101") == ["P-101"]
    synonyms = equipment_synonyms(root / "ontology")  # the shipped ontology: 空气压缩机 has the synonym 空压机
    assert "空压机" in synonyms["空气压缩机"] and "空气压缩机" in synonyms["空压机"]
    assert {"1号空压机", "1#空压机", "#1空压机"} <= set(name_variants("1号空气压缩机", synonyms))


def test_describe_states_value_limit_and_verdict():
    assert describe("2号换热器", "出口温度", 186, "℃", None, 180) == "2号换热器 出口温度 186℃（上限 180℃，超限）"
    assert describe("P-101", "出口压力", 0.31, "MPa", 0.4, 1.6) == "P-101 出口压力 0.31MPa（下限 0.4MPa，低于下限）"
    assert describe("P-101", "出口压力", 0.82, "MPa", 0.4, 1.6).endswith("（正常）")
    assert describe("P-101", "电流", 12, "A", None, None) == "P-101 电流 12A"


def test_bad_readings_are_rejected_with_file_and_line(plant):
    rejects = []
    _, stats = load_readings(_config(plant), lambda *args: rejects.append(args))
    by_reason = {reason: where for _source, where, reason, _detail, _raw in rejects}
    csv = plant / "readings.csv"
    assert by_reason == {"bad_time": f"{csv}:8", "unknown_unit": f"{csv}:9", "bad_value": f"{csv}:10"}
    assert stats["readings_read"] == 10 and stats["readings_ok"] == 7
    assert stats["readings_rejected"] == {"bad_time": 1, "unknown_unit": 1, "bad_value": 1}


def test_documents_link_by_whole_ids_and_names_within_the_window(plant, tmp_path):
    out = _stage(plant, tmp_path)(_batch(DOCS))
    hot, other, textdate, undated, late = out["text"]
    # the over-limit reading of the nearest hour wins for its metric, and comes first
    assert hot.endswith("\n运行数据：2号换热器 出口温度 186℃（上限 180℃，超限）；P-101 出口压力 0.82MPa（正常）。")
    # 12号换热器 is not 2号换热器, p-1012 is not P-101
    assert other.endswith("\n运行数据：12号换热器 出口温度 150℃（正常）。") and "P-101" not in other.split("\n")[-1]
    # the date is found in the text; the limit comes from the thresholds table
    assert textdate.endswith("运行数据：P-101 出口压力 0.31MPa（下限 0.4MPa，低于下限）。")
    assert undated == DOCS[3]["text"]  # no date: linked but not fused
    assert late == DOCS[4]["text"]  # 3#换热器 links, but its reading is weeks before the report
    assert out["_events"][3] == ["fusion.linked", "fusion.undated"]
    assert out["_events"][4] == ["fusion.linked", "fusion.no_readings_in_window"]
    # one over-limit reading each raises the priority by log1p(1); documents without one keep theirs
    assert out["priority"] == [round(math.log1p(1), 6), 0.0, round(math.log1p(1), 6), 0.0, 0.0]


def test_ontology_synonyms_link_equipment_named_otherwise(plant, tmp_path):
    config = _config(plant)
    columns, _ = load_readings(config, lambda *args: None)
    columns = {k: v + [v[0]] for k, v in columns.items()}
    columns.update({k: columns[k][:-1] + [value] for k, value in
                    (("equipment", "C-301"), ("name", "1号空气压缩机"), ("metric", "排气温度"), ("value", 120.0),
                     ("unit", "℃"), ("high", 105.0))})
    feather.write_feather(pa.table(columns, schema=READINGS_SCHEMA), str(tmp_path / "readings.arrow"))
    doc = {"title": "空压机房巡检", "date": "2024-03-05", "text": "1#空压机运行声音异常，已通知维修人员到场检查处理。"}
    stage = FusionStage(config, tmp_path / "readings.arrow", synonyms={"空气压缩机": ["空压机"]})
    assert stage(_batch([doc]))["text"][0].endswith("运行数据：1号空气压缩机 排气温度 120℃（上限 105℃，超限）。")
    plain = FusionStage(config, tmp_path / "readings.arrow")
    assert plain(_batch([doc]))["text"][0] == doc["text"]


def test_window_and_domain_and_column_mode(plant, tmp_path):
    docs = [dict(DOCS[4], date="2024-03-06")]
    assert _stage(plant, tmp_path)(_batch(docs))["text"][0].endswith("运行数据：3号换热器 出口温度 120℃（正常）。")
    narrow = _stage(plant, tmp_path, window_hours=1)(_batch(docs))
    assert narrow["text"][0] == docs[0]["text"]
    general = _batch(DOCS[:1])
    general["domain"] = ["general"]
    assert _stage(plant, tmp_path)(general)["text"][0] == DOCS[0]["text"]
    column = _stage(plant, tmp_path, mode="column")(_batch(DOCS[:2]))
    assert "text" not in column
    assert column["fusion"][0].startswith("运行数据：2号换热器 出口温度 186℃")


def _recipe(plant, mode="sentence") -> str:
    recipe = plant / f"r-{mode}.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: fusion
        output: out
        sources:
          - {{name: docs, path: docs.jsonl, format: jsonl, title_field: title, id_field: id,
             domain: industrial, kind: inspection_report}}
        mix: {{enabled: false}}
        fusion:
          readings:
            - {{path: readings.csv, format: csv, equipment_field: tag, name_field: name, high_field: high}}
          thresholds: th.csv
          mode: {mode}
        mask: {{epochs: 1}}
        ner: {{enabled: false}}
        classification: {{enabled: false}}
        """), encoding="utf-8")
    return recipe


@pytest.mark.slow
def test_build_fuses_raises_priority_rejects_and_reports(plant):
    out = build(_recipe(plant), plant / "out")
    rows = {r["id"].split("#")[0]: r for r in datasets.load_from_disk(str(out / "pretrain"))}
    assert "运行数据：2号换热器 出口温度 186°C（上限 180°C，超限）" in rows["docs:hot"]["text"]  # NFKC: ℃ -> °C
    assert rows["docs:textdate"]["priority"] == pytest.approx(math.log1p(1))
    assert rows["docs:other"]["priority"] == 0.0
    rejects = [json.loads(line) for line in (out / "rejects" / "fusion.jsonl").open(encoding="utf-8")]
    assert [(r["reason"], r["id"]) for r in rejects] == [
        ("bad_time", f"{plant / 'readings.csv'}:8"), ("unknown_unit", f"{plant / 'readings.csv'}:9"),
        ("bad_value", f"{plant / 'readings.csv'}:10")]
    assert all(r["stage"] == "fusion" and r["detail"].startswith(r["id"]) for r in rejects)
    fusion = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["fusion"]
    assert fusion["documents_fused"] == 3 and fusion["anomalies"] == 2 and fusion["documents_undated"] == 1
    assert fusion["readings_used"] == 4 and fusion["readings_rejected"] == {"bad_time": 1, "bad_value": 1,
                                                                           "unknown_unit": 1}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="fusion"' in report and "documents fused" in report


@pytest.mark.slow
def test_column_mode_keeps_the_text_and_fills_the_fusion_column(plant):
    out = build(_recipe(plant, "column"), plant / "out-column")
    rows = {r["id"].split("#")[0]: r for r in datasets.load_from_disk(str(out / "pretrain"))}
    assert "运行数据" not in rows["docs:hot"]["text"]
    assert rows["docs:hot"]["fusion"].startswith("运行数据：2号换热器 出口温度 186°C")
    assert rows["docs:undated"]["fusion"] == ""


def test_validate_names_missing_readings_and_bad_thresholds(plant):
    from typer.testing import CliRunner

    from corpusctl.cli import app

    recipe = _recipe(plant)
    text = recipe.read_text(encoding="utf-8").replace("path: readings.csv", "path: missing.csv")
    recipe.write_text(text.replace("thresholds: th.csv", "thresholds: th-bad.csv"), encoding="utf-8")
    (plant / "th-bad.csv").write_text("equipment,metric,low,high,unit\n*,,1,2,MPa\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(recipe)])
    assert result.exit_code == 2
    assert "fusion.readings.0.path" in result.output and "missing.csv does not exist" in result.output
    assert "fusion.thresholds" in result.output and "th-bad.csv:2" in result.output


def test_parquet_and_jsonl_readings_read_like_csv(tmp_path):
    import pyarrow.parquet as pq

    rows = [{"timestamp": "2024-03-05 08:00", "equipment": "P-101", "metric": "出口压力", "value": 0.82, "unit": "MPa"},
            {"timestamp": "someday", "equipment": "P-101", "metric": "出口压力", "value": 0.8, "unit": "MPa"},
            {"timestamp": 1709596800, "equipment": "P-102", "metric": "电流", "value": 12, "unit": "A"}]
    pq.write_table(pa.Table.from_pylist([dict(r, timestamp=str(r["timestamp"]).replace("1709596800", "2024-03-05T00:00Z"))
                                         for r in rows]), tmp_path / "r.parquet")
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + "{oops\n",
                                      encoding="utf-8")
    for name, fmt, bad in (("r.parquet", "parquet", ["row 2"]), ("r.jsonl", "jsonl", ["2", "4"])):
        rejects = []
        config = FusionConfig(readings=[ReadingsSource(path=tmp_path / name, format=fmt)])
        columns, stats = load_readings(config, lambda *args, found=rejects: found.append(args))
        assert columns["equipment"] == ["P-101", "P-102"]
        assert columns["time"][1] == parse_time("2024-03-05 08:00")[0]  # epoch seconds, moved to UTC+8
        assert [where.rsplit(":", 1)[1] for _, where, *_ in rejects] == bad
        assert stats["readings_ok"] == 2


@pytest.mark.slow
def test_a_rejected_reading_reaches_disk_scrubbed(plant):
    """Personal data in a malformed reading (a phone in a name field) never reaches rejects/fusion.jsonl."""
    phone = "13957468219"
    with open(plant / "readings.csv", "a", encoding="utf-8") as handle:
        handle.write(f"2024-03-05 08:00,P-101,值班员王建国电话{phone},出口压力,abc,MPa,\n")
    out = build(_recipe(plant), plant / "out")
    rejects = (out / "rejects" / "fusion.jsonl").read_text(encoding="utf-8")
    assert rejects.count('"bad_value"') == 2 and "[MOBILE]" in rejects
    assert phone not in rejects and "王建国" not in rejects
