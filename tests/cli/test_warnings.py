"""Warnings a person sees (issue 16, items 2 and 3): a mix that used little of the data, a source mostly
rejected, paper targets missed; in the terminal summary, manifest.json and at the top of report.html."""

from __future__ import annotations

import json
import textwrap

import pytest
from helpers import ROOT
from typer.testing import CliRunner

from corpusctl.build_checks import (
    SourceRejects,
    build_warnings,
    mix_warning,
    reject_location,
    source_warnings,
    target_checks,
)
from corpusctl.cli import app

LOG = ("【2023-06-11 08:56】涂装车间鼓风机（K-201）\n故障现象：鼓风机轴承温度过高，伴有异响。\n"
       "处理措施：更换轴承并加注润滑脂，试运行正常。维修班组：甲班。\n\n"
       "【2023-07-02 10:15】锅炉房给水泵（P-3）\n故障现象：给水泵机械密封泄漏，地面有积水。\n"
       "处理措施：更换机械密封，紧固法兰螺栓，试压合格。维修班组：乙班。\n")


def mix_stats(available: dict[str, int], used: dict[str, int], target: dict[str, float], limited: str) -> dict:
    return {"target": target, "achieved": {k: v / sum(used.values()) for k, v in used.items()},
            "available": {k: {"docs": 3, "chars": v} for k, v in available.items()}, "chars": used,
            "total": sum(used.values()), "planned_units": sum(used.values()), "limited_by": limited,
            "repeats": {}, "unit": "chars"}


def test_a_mix_that_used_under_half_names_the_kind_and_how_much():
    mix = mix_stats({"news": 10_000, "maintenance_log": 100}, {"news": 400, "maintenance_log": 100},
                    {"news": 0.8, "maintenance_log": 0.2}, "maintenance_log")
    note = mix_warning(mix)
    assert note["kind"] == "maintenance_log" and note["used"] == 500 and note["available"] == 10_100
    assert "maintenance_log" in note["message"] and "500 of 10,100" in note["message"] and "(5.0%)" in note["message"]
    plenty = mix_stats({"news": 800, "maintenance_log": 200}, {"news": 800, "maintenance_log": 200},
                       {"news": 0.8, "maintenance_log": 0.2}, "available")
    assert mix_warning(plenty) is None


def test_a_source_with_half_its_records_rejected_gets_a_warning_with_file_and_line():
    rejects = SourceRejects()
    rejects.read.update({"bad": 4, "good": 10})
    for line in (3, 4, 5):
        rejects.add_reject({"source": "bad", "stage": "ingest", "reason": "missing_field",
                            "detail": f"/data/x.csv:{line}: no text field 'txt'", "record": "raw"})
    rejects.add_reject({"source": "good", "stage": "clean", "reason": "too_short", "detail": "chars=3",
                        "record": {"origin": "/data/y.jsonl:7"}})
    notes = source_warnings(rejects)
    assert [n["source"] for n in notes] == ["bad"]
    assert "3 of 4 records rejected (75%)" in notes[0]["message"]
    assert "ingest: missing_field ×3 (e.g. /data/x.csv:3)" in notes[0]["message"]
    assert reject_location({"detail": "dup", "record": {"origin": "/d/y.jsonl:7"}}) == "/d/y.jsonl:7"


def test_every_paper_target_is_checked_and_a_miss_becomes_a_warning():
    manifest = {
        "mix": {"target": {"a": 0.5, "b": 0.5}, "achieved": {"a": 0.52, "b": 0.48}},
        "formats": {"deviation_points": 0.4, "shares": {"paragraph": 0.504, "title_content": 0.496}},
        "mask": {"in_band": 0.9, "by_length": {"<=100": {"examples": 10, "in_band": 0.9, "target": [0.15, 0.25]}},
                 "term_share": 0.44, "term_share_target": 0.7,
                 "sentence": {"share": 0.15, "target": 0.15, "paragraph_examples": 400}},
    }
    results = {c["what"].split(":")[1].strip(): c["ok"] for c in target_checks(manifest)}
    assert results == {"every kind within ±1 point of its target": False,
                       "title+content share within ±1 point": True, "ratio inside its length band": False,
                       "term share of the budget": False, "paragraphs with a masked sentence": True}
    missed = [w["message"] for w in build_warnings(manifest) if w["code"] == "target_missed"]
    assert len(missed) == 3 and any("a 52.0% vs 50.0%" in m for m in missed)


@pytest.fixture(scope="module")
def warned(tmp_path_factory):
    """A build where one kind is tiny (2 maintenance logs) and one source has a wrong text_field."""
    root = tmp_path_factory.mktemp("warned")
    (root / "logs.txt").write_text(LOG, encoding="utf-8")
    (root / "wrong.csv").write_text("标题,正文\n" + "".join(f"记录{i},设备巡检记录第{i}条，未发现异常。\n" for i in range(6)),
                                    encoding="utf-8")
    recipe = root / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: warned
        seed: 1
        output: out
        sources:
          - {{name: reports, path: {ROOT}/sample_data/industrial/inspection_reports.jsonl, format: jsonl,
             text_field: content, title_field: title, domain: industrial, kind: inspection_report}}
          - {{name: logs, path: logs.txt, format: txt, domain: industrial, kind: maintenance_log}}
          - {{name: wrong, path: wrong.csv, format: csv, text_field: body, domain: industrial,
             kind: inspection_report}}
        mix: {{shares: {{inspection_report: 0.8, maintenance_log: 0.2}}}}
        vocab: {{size: 2000}}
        mask: {{epochs: 1}}
        ner: {{enabled: false}}
        classification: {{enabled: false}}
        """), encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(root / "out"), "--workers", "1"],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    return root, result.output


def test_the_terminal_summary_ends_with_the_warnings(warned):
    root, output = warned
    tail = " ".join(output[output.index("warnings ("):].split())  # rich wraps at the terminal's width
    assert "kind maintenance_log limited it" in tail and "the mix used only" in tail
    assert "source wrong: 6 of 6 records rejected (100%)" in tail and f"{root / 'wrong.csv'}:2" in tail


def test_the_manifest_and_the_report_header_carry_the_warnings(warned):
    root, _ = warned
    manifest = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))
    codes = {w["code"]: w for w in manifest["warnings"]}
    assert codes["mix_used_little"]["kind"] == "maintenance_log"
    assert codes["source_rejected"]["source"] == "wrong"
    page = (root / "out" / "report.html").read_text(encoding="utf-8")
    header = page[:page.index("<section")]
    assert 'id="warnings"' in header and "✗ the mix used only" in header and "maintenance_log" in header
    assert "✗ source wrong" in header


@pytest.mark.slow
def test_a_build_that_stops_names_the_rejects_of_the_stages_that_ran(tmp_path):
    (tmp_path / "logs.csv").write_text("标题,正文\n" + "".join(f"记录{i},泵体泄漏，已更换密封。\n" for i in range(4)),
                                       encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: stops
        output: out
        sources:
          - {{name: reports, path: {ROOT}/sample_data/industrial/inspection_reports.jsonl, format: jsonl,
             text_field: content, domain: industrial, kind: inspection_report}}
          - {{name: logs, path: logs.csv, format: csv, text_field: body, domain: industrial, kind: maintenance_log}}
        mix: {{shares: {{inspection_report: 0.8, maintenance_log: 0.2}}}}
        """), encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(tmp_path / "out"), "--quiet",
                                      "--workers", "1"], terminal_width=300)
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "no data for kind(s) maintenance_log" in message
    assert "ingest: missing_field ×4" in message and f"{tmp_path / 'logs.csv'}:2" in message
    assert not (tmp_path / "out").exists()


def test_inspect_opens_with_the_warnings(warned):
    root, _ = warned
    result = CliRunner().invoke(app, ["inspect", str(root / "out")], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert text.index("warnings (") < text.index("overview")
    assert "kind maintenance_log limited it" in text and "source wrong" in text
