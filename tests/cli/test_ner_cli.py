"""`corpusctl ner` commands: export from an output folder, convert, validate, stats."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from corpusctl.cli_ner import app
from corpusctl.exports.schemes import read_conll, validate_file

runner = CliRunner()


@pytest.fixture()
def conll(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("泵\tB-PLACE\n房\tE-PLACE\n漏\tB-FAULT\n\n缸\tB-DEVICE\n体\tO\n过\tB-FAULT\n热\tE-FAULT\n\n", encoding="utf-8")
    return path


def test_convert_bmeo_to_bioes_and_back(conll, tmp_path):
    bioes = tmp_path / "train.bioes"
    result = runner.invoke(app, ["convert", str(conll), str(bioes), "--from", "bmeo", "--to", "bioes"])
    assert result.exit_code == 0, result.output
    assert [s.tags for s in read_conll(bioes)] == [["B-PLACE", "E-PLACE", "S-FAULT"], ["S-DEVICE", "O", "B-FAULT", "E-FAULT"]]
    back = tmp_path / "back.txt"
    assert runner.invoke(app, ["convert", str(bioes), str(back), "--from", "BIOES", "--to", "BMEO"]).exit_code == 0
    assert back.read_text(encoding="utf-8") == conll.read_text(encoding="utf-8")


def test_convert_refuses_a_lossy_conversion_unless_forced(tmp_path):
    source = tmp_path / "cut.bioes"
    source.write_text("阀\tB-DEVICE\n门\tO\n", encoding="utf-8")
    target = tmp_path / "out.txt"
    result = runner.invoke(app, ["convert", str(source), str(target), "--from", "bioes", "--to", "bmeo"])
    assert result.exit_code == 1
    assert "would lose information" in result.output and f"{source}:1" in result.output
    assert "Traceback" not in result.output and not target.exists()
    forced = runner.invoke(app, ["convert", str(source), str(target), "--from", "bioes", "--to", "bmeo", "--force"])
    assert forced.exit_code == 0 and "warning" in forced.output and target.exists()
    bad_scheme = runner.invoke(app, ["convert", str(source), str(target), "--from", "bilou", "--to", "bmeo"])
    assert bad_scheme.exit_code == 1 and "unknown tag scheme 'bilou'" in bad_scheme.output


def test_convert_refuses_invalid_transitions_or_repairs_them(tmp_path):
    source = tmp_path / "daily.bio"  # People's Daily style annotation slip: I-LOC right after O
    source.write_text("张\tB-PER\n三\tI-PER\n在\tO\n北\tI-LOC\n京\tI-LOC\n\n李\tB-PER\n", encoding="utf-8")
    target = tmp_path / "out.txt"
    refused = runner.invoke(app, ["convert", str(source), str(target), "--from", "bio", "--to", "bmeo"])
    assert refused.exit_code == 1 and not target.exists()
    assert f"{source}:4: I-LOC after O: an entity must begin with B-LOC" in refused.output
    assert "--repair" in refused.output
    repaired = runner.invoke(app, ["convert", str(source), str(target), "--from", "bio", "--to", "bmeo", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "repaired 1 span(s)" in repaired.output and f"{source}:4-5: '北京' is now one LOC entity" in repaired.output
    assert validate_file(target, "BMEO") == []
    assert [s.tags for s in read_conll(target)] == [["B-PER", "E-PER", "O", "B-LOC", "E-LOC"], ["B-PER"]]
    forced = runner.invoke(app, ["convert", str(source), str(target), "--from", "bio", "--to", "bmeo", "--force"])
    assert forced.exit_code == 0 and "1 invalid tag(s)" in forced.output and f"{source}:4" in forced.output


def test_validate_lists_every_problem_with_file_and_line(conll, tmp_path):
    assert runner.invoke(app, ["validate", str(conll), "--scheme", "bmeo"]).exit_code == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("泵\tM-PLACE\n房\tE-PLACE\n\n缸\tB-DEVICE\n体\tM-FAULT\n过\tE-FAULT\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad), "--scheme", "BMEO"])
    assert result.exit_code == 1
    assert f"{bad}:1: M-PLACE at the start of the sentence" in result.output
    assert f"{bad}:5: type change inside an entity: M-FAULT after B-DEVICE" in result.output
    as_bmes = runner.invoke(app, ["validate", str(conll), "--scheme", "bmes"])  # lone B- is not BMES
    assert as_bmes.exit_code == 1 and f"{conll}:3: entity not closed: B-FAULT ends the sentence" in as_bmes.output


def test_stats_counts_sentences_chars_and_entities(conll, tmp_path):
    result = runner.invoke(app, ["stats", str(conll), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["sentences"] == 2 and summary["chars"] == 7 and summary["entities"] == 4
    assert summary["entity_types"] == {"DEVICE": 1, "FAULT": 2, "PLACE": 1} and summary["scheme"] == "BMEO"
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"text": "泵房", "entities": [[0, 2, "PLACE"]]}\n', encoding="utf-8")
    table = runner.invoke(app, ["stats", str(jsonl)])
    assert table.exit_code == 0 and "1 sentences, 2 chars, 1 entities" in table.output


def test_export_from_an_output_folder(tmp_path):
    import datasets
    from ner_rows import make_rows

    out = tmp_path / "out"
    datasets.Dataset.from_list(make_rows(80, seed=4)).save_to_disk(str(out / "pretrain"))
    (out / "manifest.json").write_text(json.dumps({"seed": 5, "recipe": {"ner": {"scheme": "BMEO", "split": [0.8, 0.1, 0.1]}}}), encoding="utf-8")
    result = runner.invoke(app, ["export", str(out), "--scheme", "bio"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "ner" / "labels.json").read_text(encoding="utf-8"))["scheme"] == "BIO"
    assert validate_file(out / "ner" / "train.txt", "BIO") == []
    missing = runner.invoke(app, ["export", str(tmp_path)])
    assert missing.exit_code == 1 and "no pretrain/ folder" in missing.output


def test_export_with_another_scheme_updates_the_manifest_and_the_report(sample_out, tmp_path):
    import shutil

    from corpusctl.manifest import sha256

    out = tmp_path / "out"
    shutil.copytree(sample_out, out)
    result = runner.invoke(app, ["export", str(out), "--scheme", "bio"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ner"]["scheme"] == "BIO"
    files = {entry["path"]: entry for entry in manifest["files"]}
    for name in ("ner/train.txt", "ner/labels.json", "report.html"):
        assert files[name]["sha256"] == sha256(out / name)
    assert set(files) == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert "Scheme <b>BIO</b>" in (out / "report.html").read_text(encoding="utf-8")


def test_import_keeps_every_span_it_can_and_names_the_lines_of_the_others(tmp_path):
    source = tmp_path / "doccano.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "反应釜法兰泄漏", "label": [[0, 3, "DEVICE"], [5, 7, "FAULT"]]},
        {"text": "配电柜接地线松动", "label": [[0, 3, "DEVICE"], [0, 5, "DEVICE"], [3, 5, "PART"], [6, 12, "FAULT"]]},
    ]) + "\n", encoding="utf-8")
    target = tmp_path / "out.txt"
    result = runner.invoke(app, ["import", str(source), str(target)])  # doccano detected, BMEO by default
    assert result.exit_code == 0, result.output
    assert f"{source}:2: span [0, 3) DEVICE '配电柜' overlaps [0, 5) DEVICE '配电柜接地'" in result.output
    assert f"{source}:2: span [3, 5) PART '接地' overlaps" in result.output
    assert f"{source}:2: span [6, 12) FAULT is out of range" in result.output
    assert "3 of 6 spans" in result.output and validate_file(target, "BMEO") == []
    assert [s.char_spans("BMEO") for s in read_conll(target)] == [[(0, 3, "DEVICE"), (5, 7, "FAULT")], [(0, 5, "DEVICE")]]
    strict = runner.invoke(app, ["import", str(source), str(tmp_path / "s.txt"), "--strict"])
    assert strict.exit_code == 1 and f"{source}:2" in strict.output and not (tmp_path / "s.txt").exists()


@pytest.mark.parametrize(("name", "fmt"), [("label_studio.json", "labelstudio"), ("cluener.json", "cluener"),
                                           ("doccano.jsonl", "doccano"), ("annotated.bmes", "conll")])
def test_import_reads_every_format_the_build_reads(root, tmp_path, name, fmt):
    from corpusctl.exports.importers import import_annotations

    source = root / "tests" / "data" / "ner" / name
    detected = runner.invoke(app, ["import", str(source), str(tmp_path / "a.bio"), "--to", "bio"])
    named = runner.invoke(app, ["import", str(source), str(tmp_path / "b.bio"), "--to", "bio", "--format", fmt])
    assert detected.exit_code == named.exit_code == 0, detected.output + named.output
    assert (tmp_path / "a.bio").read_text(encoding="utf-8") == (tmp_path / "b.bio").read_text(encoding="utf-8")
    assert validate_file(tmp_path / "a.bio", "BIO") == []
    build_reads = import_annotations(source)  # what a recipe's ner.annotations gets from the same file
    written = [s.char_spans("BIO") for s in read_conll(tmp_path / "a.bio")]
    assert sum(map(len, written)) >= sum(len(a.entities) for a in build_reads.annotations) > 0


def test_import_of_real_cluener_keeps_the_nested_entities_it_can(tmp_path):
    from helpers import EXTERNAL

    source = EXTERNAL / "ner" / "cluener" / "train.json"
    if not source.is_file():
        pytest.skip(f"external corpus {source} is absent")
    result = runner.invoke(app, ["import", str(source), str(tmp_path / "train.txt")])
    assert result.exit_code == 0, result.output
    assert "10748 sentences, 23970 of 23972 spans" in result.output
    assert f"{source}:1507: span [16, 20) company '招商银行' overlaps [15, 35) book" in result.output


def test_import_of_malformed_conll_reads_it_as_conlleval_and_names_the_line(tmp_path):
    source = tmp_path / "daily.bio"
    source.write_text("在\tO\n北\tI-LOC\n京\tI-LOC\n\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(source), str(tmp_path / "out.txt")])
    assert result.exit_code == 0 and f"{source}:2: I-LOC after O" in result.output
    assert [s.tags for s in read_conll(tmp_path / "out.txt")] == [["O", "B-LOC", "E-LOC"]]
