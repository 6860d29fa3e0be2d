"""Issue 15, personal data (items 8-11): every spelling the adversarial test used, names after any role,
every field, the rejects and the work folder. Each numbered finding is a test here."""

import json
import re
import unicodedata
from pathlib import Path

import pytest
from helpers import build, disk_blobs

import corpusctl.stages.pii as pii
from corpusctl.stages.pii import PiiConfig, PiiStage, Scrubber, id_check_char
from sample_data import pii_forms
from sample_data.pii_forms import PII_FORMS, make_forms_corpus

DEFAULT = Scrubber(PiiConfig())
ID = "320106198507173416"  # a valid resident ID (check character 6)
ID2 = "510105199003071233"
assert id_check_char(ID) == ID[-1] and id_check_char(ID2) == ID2[-1]


def scrub(text: str, scrubber: Scrubber = DEFAULT) -> str:
    return scrubber.scrub(text)[0]


# -- item 8: digit groups, Chinese numerals, glued letters, IDs in groups, e-mails ----------------------


@pytest.mark.parametrize("phone", [
    "139 57468219", "1395746 8220", "139.5746.8221", "139—5746—8224", "139 — 5746 — 8224", "139–5746–8225",
    "139\u30005746\u30008226", "139\u200b5746\u200b8227", "139\u00a05746\u00a08228", "139 - 5746 - 8229",
    "139－5746－8230", "１３９５７４６８２３１", "一三九五七四六八二二六", "幺三九五七四六八二二七", "一三九〇五七四六八二二",
    "一三九 五七四六 八二二八", "139&nbsp;5746&nbsp;8232", "0086 139 5746 8233", "+86 139.5746.8234",
])
def test_item8_phone_separators_and_numerals(phone):
    assert scrub(f"如遇异常请拨打{phone}，谢谢。") == "如遇异常请拨打[MOBILE]，谢谢。"


@pytest.mark.parametrize(("text", "expected"), [
    ("Tel13957468219", "Tel[MOBILE]"), ("TEL13957468219。", "TEL[MOBILE]。"), ("Mobile13957468219", "Mobile[MOBILE]"),
    (f"ID{ID}", "ID[ID_CARD]"), (f"证件号ID{ID}已核验", "证件号ID[ID_CARD]已核验"),
])
def test_item8_numbers_glued_to_ascii_labels(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("value", [f"{ID[:6]}-{ID[6:14]}-{ID[14:]}", f"{ID[:6]} {ID[6:14]} {ID[14:]}",
                                   f"{ID[:6]}.{ID[6:14]}.{ID[14:]}", f"{ID[:6]} {ID[6:10]} {ID[10:14]} {ID[14:]}"])
def test_item8_ids_in_groups(value):
    assert scrub(f"身份证{value}。") == "身份证[ID_CARD]。"


@pytest.mark.parametrize("email", ["张伟@example.com", "李娜2023@example.cn", "wang.wei @ example.com",
                                   "wangwei＠example.com", "zhang @example.org"])
def test_item8_emails_with_chinese_local_part_or_spaces(email):
    assert scrub(f"材料请发送至{email}，抄送设备部。") in ("材料请发送至[EMAIL]，抄送设备部。",
                                                    "材料请[EMAIL]，抄送设备部。")
    assert "example" not in scrub(f"邮箱：{email}")


@pytest.mark.parametrize("decoy", [
    f"{ID[:17]}{'0' if ID[17] != '0' else '1'}",  # wrong check character
    "2023051212345678", "20231125083015999912",  # order numbers, timestamps
    "GB 30871-2022", "GB/T 2260-2007", "2023-11-25 08:30:15", "二〇二三年十一月", "ZL50-1395746821",
    "SN202313957468219", "13957468219B", "读数3.13957468219", "13.957468219MPa", "V2.3.1.4", "1,395,746.82元",
    "检查人员发现阀门渗漏", "负责人：车间主任", "联系人：设备科", "项目经理部",
])
def test_item8_decoys_stay(decoy):
    assert scrub(f"备注：{decoy}。") == f"备注：{decoy}。"


# -- item 9: role cues as a pattern, the user's cues added, the surname table ----------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("检查人员：王强。", "检查人员：[PERSON]。"), ("检查人员王强发现渗漏", "检查人员[PERSON]发现渗漏"),
    ("项目经理：李娜。", "项目经理：[PERSON]。"), ("施工队长：赵敏到场", "施工队长：[PERSON]到场"),
    ("审核：王强 批准：李娜", "审核：[PERSON] 批准：[PERSON]"), ("负责人：邝伟。", "负责人：[PERSON]。"),
    ("检查人：<b>王强</b>", "检查人：<b>[PERSON]</b>"), ("值班负责人： 刘洋", "值班负责人： [PERSON]"),
    ("操作员【王强】", "操作员【[PERSON]】"), ("负责人签字：王强", "负责人签字：[PERSON]"),
])
def test_item9_names_after_role_words(text, expected):
    assert scrub(text) == expected


def test_item9_surname_table_holds_the_common_500():
    assert len(pii.SURNAMES) + len(pii.COMPOUND_SURNAMES) >= 500
    assert {"邝", "冼", "覃", "谌", "芦", "檀"} <= pii.SURNAMES and {"欧阳", "司马", "端木"} <= set(pii.COMPOUND_SURNAMES)


# -- item 10: traditional characters without t2s, every field, rejects field by field -------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("檢查人：陳翊翀", "檢查人：[PERSON]"), ("聯繫人：歐陽明、張偉到場", "聯繫人：[PERSON]、[PERSON]到場"),
    ("負責人卻偉發現", "負責人[PERSON]發現"),
])
def test_item10_traditional_names_are_found_without_conversion(text, expected):
    assert scrub(text) == expected


def test_item10_every_column_is_scrubbed_and_ids_fall_back_to_source_and_line():
    batch = {"id": ["src:13957468219", "src:a-1"], "title": ["检查人：王强的报告", "普通"],
             "text": ["无", "无"], "label": ["13957468219", "inspection"],
             "meta": [json.dumps({"inspector": "李娜", "电话": "139 5746 8219"}, ensure_ascii=False), "{}"],
             "source": ["src", "src"], "_fallback_id": ["src:data.jsonl:1", "src:data.jsonl:2"]}
    out = PiiStage(PiiConfig())(batch)
    assert out["id"] == ["src:data.jsonl:1", "src:a-1"]
    assert out["title"][0] == "检查人：[PERSON]的报告" and out["label"] == ["[MOBILE]", "inspection"]
    assert json.loads(out["meta"][0]) == {"inspector": "[PERSON]", "电话": "[MOBILE]"}
    assert "_fallback_id" not in out
    assert sorted(out["_events"][0]) == ["pii.mobile", "pii.mobile", "pii.mobile", "pii.person", "pii.person"]


def test_item10_rejected_lines_are_scrubbed_field_by_field():
    parsed = json.dumps({"text": 5, "inspector": "陳翊翀", "note": "电话139 5746 8219"}, ensure_ascii=False)
    new, counts = DEFAULT.scrub_json(parsed)
    assert json.loads(new) == {"text": 5, "inspector": "[PERSON]", "note": "电话[MOBILE]"}
    broken = '{"id": "x", "inspector": "王强", "contact": "一三九五七四六八二二六", "text": "檢查人：陳翊翀", '
    new, counts = DEFAULT.scrub_json(broken)
    assert all(s not in new for s in ("王强", "一三九五七四六八二二六", "陳翊翀")), new
    assert counts == {"person": 2, "mobile": 1}


# -- the forms generator: every form, both halves, every field --------------------------------------------


def test_every_form_every_field_is_found_and_decoys_are_kept():
    corpus = make_forms_corpus(700, seed=3)
    out = PiiStage(PiiConfig())(corpus.batch())
    per_form: dict[str, list[int]] = {}
    per_field: dict[str, list[int]] = {}
    for i, plants in enumerate(corpus.plants):
        for form, _half, field, secret in plants:
            found = not any(s in out[field][i] for s in pii_forms._secret_forms(secret))
            for table, key in ((per_form, form), (per_field, field)):
                table.setdefault(key, [0, 0])
                table[key][0] += found
                table[key][1] += 1
    assert len(PII_FORMS) >= 40 and {f.half for f in PII_FORMS} == {"tuned", "held_out"}
    assert set(per_form) == {f.name for f in PII_FORMS}
    assert set(per_field) == {"text", "title", "label", "id", "meta"}
    found, planted = (sum(v[i] for v in per_form.values()) for i in (0, 1))
    assert found / planted >= 0.995, {k: v for k, v in per_form.items() if v[0] < v[1]}
    assert all(v[0] / v[1] >= 0.95 for v in per_form.values()), per_form
    kept = [surface in out["text"][i] for i, decoys in enumerate(corpus.decoys) for _, surface in decoys]
    assert len(kept) > 500 and sum(kept) / len(kept) >= 0.99


# -- items 10-11 end to end: no planted item in any byte of the output, the work folder or the rejects ----

TRADITIONAL = "陳翊翀"
BROKEN_ITEMS = ("歐陽明", "13957468226", "139 5746 8227", ID2)


@pytest.fixture(scope="module")
def planted_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety_pii")
    corpus = make_forms_corpus(160, seed=21)
    path = corpus.write_jsonl(root / "data.jsonl")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "trad-1", "title": "巡检记录", "label": "inspection",
                                 "text": f"檢查人：{TRADITIONAL}，發現閥門滲漏，已通知維修班處理。" * 3},
                                ensure_ascii=False) + "\n")
        handle.write(json.dumps({"id": "13957468219", "title": "联系电话13957468225", "label": "139.5746.8228",
                                 "text": "泵房离心泵运行正常，参数在允许范围内。" * 4, "contact": "一三九五七四六八二二九",
                                 "inspector": "邝伟"}, ensure_ascii=False) + "\n")
        # a malformed line: the reject keeps the record, scrubbed field by field
        handle.write('{"id": "broken", "inspector": "歐陽明", "contact": "13957468226", '
                     f'"text": "电话139 5746 8227，身份证{ID2}" \n')
        # a line without the text field: rejected as a parsed record
        handle.write(json.dumps({"id": "no-text", "body": "值班员张瑶", "inspector": "王琳"}, ensure_ascii=False) + "\n")
    (root / "recipe.yaml").write_text(
        "name: safety\nseed: 3\noutput: out\nsources:\n"
        "  - {name: logs, path: data.jsonl, format: jsonl, id_field: id, title_field: title, text_field: text,\n"
        "     label_field: label, domain: industrial, kind: inspection_report}\n"
        "mix: {shares: {inspection_report: 1.0}}\nvocab: {size: 3000}\nmask: {epochs: 1}\n"
        "classification: {min_count: 1}\n", encoding="utf-8")
    secrets = corpus.secrets() | {TRADITIONAL, "13957468219", "13957468225", "13957468228", "13957468229",
                                  "邝伟", "张瑶", "王琳", *BROKEN_ITEMS}
    out = build(root / "recipe.yaml", root / "out", "--workers", "1", "--keep-work")  # the work folder is checked too
    return root, out, secrets


def _all_files(root: Path, out: Path) -> list[Path]:
    work = out.parent / f".{out.name}.work"
    return sorted(p for folder in (out, work) if folder.exists() for p in folder.rglob("*") if p.is_file())


def _hits(data: bytes, needles: set[bytes]) -> set[bytes]:
    return {n for n in needles if n in data}


def test_items_10_11_no_planted_item_in_any_byte_of_output_work_folder_or_rejects(planted_build):
    root, out, secrets = planted_build
    needles = {s.encode("utf-8") for s in secrets}
    assert len(_hits((root / "data.jsonl").read_bytes(), needles)) > 300  # the check sees them in the input
    files = _all_files(root, out)
    assert any(p.name == "ingest.jsonl" for p in files) and any(".out.work" in str(p) for p in files)
    leaks = {}
    for path in files:
        for blob in disk_blobs(path):
            found = _hits(blob, needles)
            if found:
                leaks[str(path)] = found
    assert leaks == {}
    rejects = [json.loads(line) for line in (out / "rejects" / "ingest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["reason"] for r in rejects} >= {"json_error", "missing_field"}
    assert any("[PERSON]" in json.dumps(r, ensure_ascii=False) for r in rejects)


def test_item10_ids_with_personal_data_become_source_file_line(planted_build):
    from corpusctl.io.workdir import read_batches

    _, out, _ = planted_build
    ids = [i for b in read_batches(out.parent / ".out.work" / "ingest" / "data.arrow", 256)
           for i in b.column("id").to_pylist()]
    assert len(ids) == len(set(ids)) == 162
    assert "logs:data.jsonl:162" in ids  # the record whose id was a mobile number, line 162
    assert "logs:trad-1" in ids
    assert not any(re.search(r"\[(MOBILE|ID_CARD|EMAIL|LANDLINE|BANK_CARD|PERSON)\]", i) for i in ids)


def test_item10_labels_and_manifest_counts(planted_build):
    _, out, _ = planted_build
    labels = (out / "classification" / "labels.json").read_text(encoding="utf-8")
    assert "139" not in labels
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    by_type = manifest["pii"]["by_type"]
    assert all(by_type.get(kind, 0) > 0 for kind in ("id_card", "mobile", "landline", "email", "bank_card", "person"))
    assert manifest["pii"]["by_source"]["logs"] == by_type and "pii" not in manifest["stages"]


def test_resume_reuses_ingest_only_with_the_same_pii_settings(planted_build):
    root, out, _ = planted_build
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    roles = root / "roles.txt"
    roles.write_text("巡线工\n", encoding="utf-8")
    recipe = (root / "recipe.yaml").read_text(encoding="utf-8")
    (root / "recipe2.yaml").write_text(recipe + "clean: {pii: {roles: roles.txt}}\n", encoding="utf-8")
    build(root / "recipe2.yaml", out, "--workers", "1", "--resume", "--keep-work")
    changed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "ingest" in changed["recomputed_stages"] and "ingest" not in changed["resumed_stages"]
    assert changed["pii"] == manifest["pii"]
    build(root / "recipe2.yaml", out, "--workers", "1", "--resume", "--keep-work")
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "ingest" in again["resumed_stages"]


def test_nfkc_of_each_form_is_also_found():
    """The build normalizes after the scrub; a form that NFKC turns into another spelling is found in both."""
    import random

    rng = random.Random(5)
    for form in PII_FORMS:
        written, secret = form.make(rng)
        for text in (written, unicodedata.normalize("NFKC", written)):
            new = scrub(f"记录：{text}。")
            assert not any(s in new for s in pii_forms._secret_forms(secret)), (form.name, text, new)


def test_with_the_scrub_off_ingest_keeps_the_text_as_written(planted_build):
    """The other path of ingest: no scrub, no fallback ids, no pii counts (and the check above would fire)."""
    root, _, secrets = planted_build
    recipe = (root / "recipe.yaml").read_text(encoding="utf-8").replace("output: out", "output: out_off")
    (root / "recipe_off.yaml").write_text(recipe + "clean: {pii: {enabled: false}}\n", encoding="utf-8")
    out = build(root / "recipe_off.yaml", root / "out_off", "--workers", "1", "--keep-work")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pii"]["total"] == 0
    work = b"".join(disk_blobs(root / ".out_off.work" / "ingest" / "data.arrow"))
    assert TRADITIONAL.encode("utf-8") in work and b"logs:13957468219" in work
