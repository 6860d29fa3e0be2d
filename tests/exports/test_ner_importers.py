"""Annotation importers: Label Studio, doccano, CLUENER, CoNLL; strict errors and rejects name file:line."""

from __future__ import annotations

import pytest
from helpers import DATA, EXTERNAL

from corpusctl.errors import CorpusctlError
from corpusctl.exports.importers import detect_format, import_annotations

DATA = DATA / "ner"
EXTERNAL = EXTERNAL / "ner"


def _pairs(result):
    return [(a.text, a.entities) for a in result.annotations]


def test_label_studio_uses_the_latest_non_cancelled_annotation():
    path = DATA / "label_studio.json"
    assert detect_format(path) == "label_studio"
    result = import_annotations(path)
    assert _pairs(result) == [
        ("泵房内离心泵泄漏。", [(0, 2, "PLACE"), (3, 6, "DEVICE")]),
        ("缸体过热。", [(0, 1, "DEVICE"), (2, 4, "FAULT")]),
    ]
    assert result.skipped == 1  # the task without annotations
    lines = path.read_text(encoding="utf-8").splitlines()
    task4 = next(i for i, line in enumerate(lines) if '"id": 4' in line)  # 0-based index of the line after "{"
    assert [r["reason"] for r in result.rejects] == ["bad_span"]
    assert result.rejects[0]["detail"] == f"{path}:{task4}: span [1, 5) X is out of range for a text of 2 characters"
    assert result.rejects[0]["record"]["data"]["text"] == "越界"
    assert result.annotations[0].origin == f"{path}:2"


def test_doccano_old_and_new_exports_and_overlap_reject():
    path = DATA / "doccano.jsonl"
    assert detect_format(path) == "doccano"
    result = import_annotations(path)
    assert _pairs(result) == [
        ("配电柜漏电，请检查。", [(0, 3, "DEVICE"), (3, 5, "FAULT")]),
        ("仓库存放柴油。", [(0, 2, "PLACE"), (4, 6, "SUBSTANCE")]),
        ("新版导出格式。", [(2, 4, "FORMAT")]),
    ]
    [reject] = result.rejects
    assert reject["id"] == f"{path}:3" and reject["reason"] == "overlapping_spans" and reject["stage"] == "ner"
    assert reject["record"]["label"] == [[0, 2, "A"], [1, 3, "B"]]
    with pytest.raises(CorpusctlError, match=rf"^{path}:3: spans \[0, 2\) A and \[1, 3\) B overlap$"):
        import_annotations(path, strict=True)


def test_cluener_inclusive_ends_overlaps_and_mismatches():
    path = DATA / "cluener.json"
    assert detect_format(path) == "cluener"
    result = import_annotations(path)
    assert _pairs(result) == [
        ("浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。", [(0, 4, "company"), (9, 12, "name")]),
        ("没有实体的句子。", []),
    ]
    assert [(r["id"], r["reason"]) for r in result.rejects] == [(f"{path}:2", "overlapping_spans"), (f"{path}:4", "span_text_mismatch")]
    with pytest.raises(CorpusctlError, match=rf"{path}:2: spans \[15, 35\) book and \[16, 20\) company overlap"):
        import_annotations(path, strict=True)


def test_conll_annotations_in_a_guessed_scheme(tmp_path):
    path = DATA / "annotated.bmes"
    assert detect_format(path) == "conll"
    result = import_annotations(path)
    assert _pairs(result) == [("泵房泄漏", [(0, 2, "PLACE"), (2, 4, "FAULT")]), ("缸体", [(0, 1, "DEVICE")])]
    [reject] = result.rejects
    assert reject["reason"] == "bad_tags" and reject["detail"].startswith(f"{path}:9: M-DEVICE at the start")
    with pytest.raises(CorpusctlError, match=rf"{path}:9: M-DEVICE at the start of the sentence"):
        import_annotations(path, strict=True)
    # the same tags read as BIO: S- is not a BIO tag
    assert import_annotations(path, scheme="bio").rejects[0]["detail"].startswith(f"{path}:2: unknown tag 'E-PLACE'")
    bio = tmp_path / "words.txt"
    bio.write_text("北京 B-LOC\n大学 I-LOC\n在 O\n\n", encoding="utf-8")
    assert _pairs(import_annotations(bio)) == [("北京大学在", [(0, 4, "LOC")])]


def test_bad_files_name_the_line(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "好", "label": []}\n{"text": \n', encoding="utf-8")
    result = import_annotations(broken, fmt="doccano")
    assert [r["reason"] for r in result.rejects] == ["bad_json"] and result.rejects[0]["id"] == f"{broken}:2"
    with pytest.raises(CorpusctlError, match=rf"{broken}:2: invalid JSON"):
        import_annotations(broken, fmt="doccano", strict=True)
    array = tmp_path / "ls.json"
    array.write_text('[\n {"data": {"text": "好"}, "annotations": []}\n {"data": {}}\n]', encoding="utf-8")
    with pytest.raises(CorpusctlError, match=rf"{array}:3: expected ',' or ']'"):
        import_annotations(array)
    with pytest.raises(CorpusctlError, match="annotation file not found"):
        import_annotations(tmp_path / "missing.json")
    with pytest.raises(CorpusctlError, match="unknown annotation format 'brat'"):
        import_annotations(broken, fmt="brat")


def test_real_cluener_overlapping_line_becomes_a_reject():
    path = EXTERNAL / "cluener" / "train.json"
    if not path.is_file():
        pytest.skip(f"external corpus {path} is absent (see ../shared/external/README.md)")
    result = import_annotations(path)
    assert len(result.annotations) == 10_747
    assert sum(len(a.entities) for a in result.annotations) == 23_972 - 3
    [reject] = result.rejects
    assert reject["reason"] == "overlapping_spans" and reject["id"] == f"{path}:1507"
    for annotation in result.annotations[:500]:
        assert all(0 <= s < e <= len(annotation.text) for s, e, _ in annotation.entities)
