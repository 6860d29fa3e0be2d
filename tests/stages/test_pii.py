"""Privacy scrub (issue #11): validated detection per type, boundaries, decoys, the stage, `pii scan`."""

import json
import pickle
import unicodedata
from pathlib import Path

import pytest
from helpers import EXTERNAL
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

import corpusctl.stages.pii as pii
from corpusctl.cli_pii import app
from corpusctl.errors import CorpusctlError
from corpusctl.pii_scan import mask_example, scan
from corpusctl.stages.pii import (
    PiiConfig,
    PiiStage,
    Scrubber,
    id_card_ok,
    id_check_char,
    luhn_ok,
    placeholders,
)
from sample_data.pii_forms import make_pii_corpus

ALL = Scrubber(PiiConfig(types=list(pii.ALL_TYPES)))
DEFAULT = Scrubber(PiiConfig())


def scrub(text: str, scrubber: Scrubber = DEFAULT) -> str:
    return scrubber.scrub(text)[0]


def valid_id(body17: str = "11010519800307123") -> str:
    return body17 + id_check_char(body17)


def wrong_check(value: str) -> str:
    return value[:17] + ("0" if value[17] != "0" else "1")


# -- id_card -----------------------------------------------------------------------------------------------


def test_id_card_check_character_decides():
    good = valid_id()
    assert id_card_ok(good) and not id_card_ok(wrong_check(good))
    assert scrub(f"身份证号{good}，已登记。") == "身份证号[ID_CARD]，已登记。"
    assert scrub(f"批次号{wrong_check(good)}，已登记。") == f"批次号{wrong_check(good)}，已登记。"


def test_id_card_x_check_character_either_case():
    value = "11010519491231002X"  # check character of 11010519491231002 is X
    assert id_check_char(value[:17]) == "X"
    assert scrub(f"证件{value}。") == "证件[ID_CARD]。"
    assert scrub(f"证件{value.lower()}。") == "证件[ID_CARD]。"
    assert scrub(f"证件{value[:17]}3。") == f"证件{value[:17]}3。"


def test_id_card_needs_real_date_and_province():
    bad_date = "11010519900230123"  # 30 February
    assert scrub(f"号码{valid_id(bad_date)}。") == f"号码{valid_id(bad_date)}。"
    bad_province = "10010519800307123"  # 10 is no province
    assert scrub(f"号码{valid_id(bad_province)}。") == f"号码{valid_id(bad_province)}。"
    assert scrub(f"号码{valid_id('11010518800307123')}。") == f"号码{valid_id('11010518800307123')}。"  # 1880


def test_legacy_15_digit_id_with_valid_date_only():
    assert scrub("旧证号110105800307123，") == "旧证号[ID_CARD]，"
    assert scrub("旧证号110105801307123，") == "旧证号110105801307123，"  # month 13
    assert scrub("旧证号110105800230123，") == "旧证号110105800230123，"  # 30 February


def test_id_card_in_6_8_4_groups():
    value = valid_id()
    assert scrub(f"身份证 {value[:6]} {value[6:14]} {value[14:]} 已核验") == "身份证 [ID_CARD] 已核验"


def test_id_shaped_number_with_wrong_check_stays_even_if_it_passes_luhn():
    for last in "0123456789":
        value = "11010519800307123"[:16] + "4" + last
        if id_check_char(value[:17]) != last and luhn_ok(value):
            break
    assert luhn_ok(value) and not id_card_ok(value)
    assert scrub(f"编号{value}。") == f"编号{value}。"


# -- mobile ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", [
    "13812345678", "138 1234 5678", "138-1234-5678", "+8613812345678", "+86 13812345678", "+86-138-1234-5678",
    "8613812345678", "008613812345678", "(+86)13812345678", "（+86）13812345678", "19912345678",
])
def test_mobile_spellings(phone):
    assert scrub(f"联系电话{phone}，请保持畅通。") == "联系电话[MOBILE]，请保持畅通。"


@pytest.mark.parametrize("text", [
    "SN2023138123456789", "批号20231381234567890", "编码138123456789", "编码1381234567", "编码12812345678",
    "料号A13812345678", "13812345678B", "读数3.13812345678", "读数13812345678.5", "x_13812345678",
])
def test_phone_shaped_digits_inside_longer_runs_stay(text):
    assert scrub(text) == text


def test_fullwidth_digits_are_found_after_nfkc_and_without_it():
    raw = "值班手机１３８１２３４５６７８，身份证" + "".join(chr(ord(c) + 0xFEE0) for c in valid_id())
    assert scrub(unicodedata.normalize("NFKC", raw)) == "值班手机[MOBILE],身份证[ID_CARD]"  # NFKC: ， → ,
    assert scrub(raw) == "值班手机[MOBILE]，身份证[ID_CARD]"  # the scrub also holds when NFKC is off


# -- landline ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tel", [
    "010-62345678", "01062345678", "(0571)88888888", "（0571）88888888", "0755-8123 4567", "0512-6512345",
    "021-62345678转123", "021-62345678-8001", "021-62345678 ext. 12", "021-62345678ext123", "0532-83459480分机6",
])
def test_landline_with_optional_extension(tel):
    assert scrub(f"办公电话{tel}。") == "办公电话[LANDLINE]。"


@pytest.mark.parametrize("text", ["依据GB 50016-2014执行", "GB/T 2260-2007", "时间2023-11-25 08:30:15",
                                  "0.5-1.2MPa", "编号0571A88888888", "AQ 3013-2008"])
def test_standards_dates_and_measurements_stay(text):
    assert scrub(text) == text


# -- bank_card ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("card", ["6222021234567890128", "4111111111111111", "4111 1111 1111 1111",
                                  "6222 0212 3456 7890 128", "4111-1111-1111-1111"])
def test_bank_card_passing_luhn(card):
    assert luhn_ok(card.replace(" ", "").replace("-", ""))
    assert scrub(f"工资卡{card}。") == "工资卡[BANK_CARD]。"


def luhn_complete(body: str) -> str:
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


@pytest.mark.parametrize("number", ["6222021234567890127", "4111 1111 1111 1112",  # Luhn fails
                                    luhn_complete("202311250830159999"), luhn_complete("1381234567812345")])
def test_luhn_failures_and_order_numbers_stay(number):
    """A number passing Luhn is still no card when it starts like an order number or timestamp (1, 2)."""
    assert scrub(f"单号{number}。") == f"单号{number}。"


# -- email and ip ------------------------------------------------------------------------------------------


def test_email_including_numeric_local_part():
    assert scrub("发送至wang.jg12@plant.example.com，抄送13812345678@qq.com。") == "发送至[EMAIL]，抄送[EMAIL]。"
    assert scrub("抄送@设备科 与 admin@localhost") == "抄送@设备科 与 admin@localhost"


def test_ip_only_when_asked_for():
    text = "PLC地址192.168.1.10，固件V2.3.1.4。"
    assert scrub(text) == text
    assert scrub(text, ALL) == "PLC地址[IP]，固件V2.3.1.4。"
    assert scrub("地址256.1.1.1", ALL) == "地址256.1.1.1"


# -- person ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("检查人：王建国。", "检查人：[PERSON]。"),
    ("检查人: 王建国。", "检查人: [PERSON]。"),
    ("检查人 王建国。", "检查人 [PERSON]。"),
    ("检查人王建国发现阀门渗漏", "检查人[PERSON]发现阀门渗漏"),
    ("检查人王强发现阀门渗漏", "检查人[PERSON]发现阀门渗漏"),
    ("现场监护人李娜在场", "现场监护人[PERSON]在场"),
    ("值班员张伟已签字确认", "值班员[PERSON]已签字确认"),
    ("负责人：欧阳建国等", "负责人：[PERSON]等"),
    ("负责人：欧阳明发现", "负责人：[PERSON]发现"),
    ("记录人：王强、李四和赵敏到场", "记录人：[PERSON]、[PERSON]和[PERSON]到场"),
    ("检查人王强记录人赵敏", "检查人[PERSON]记录人[PERSON]"),
    ("负责人：安全员刘洋", "负责人：安全员[PERSON]"),
])
def test_names_after_role_cues(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", ["检查人员发现阀门渗漏", "负责人对此高度重视", "联系人：设备科", "签字确认后归档",
                                  "值班员全部到岗", "监护人应当全程在场", "负责人：车间主任", "检查人：王",
                                  "检查人向调度汇报", "负责人安全意识淡薄", "王建国发现阀门渗漏"])
def test_no_name_without_cue_or_surname(text):
    assert scrub(text) == text


def test_roles_come_from_the_lexicon_file(tmp_path):
    roles = tmp_path / "roles.txt"
    roles.write_text("# cues\n巡线工\n\n质量督导  # trailing note\n", encoding="utf-8")
    scrubber = Scrubber(PiiConfig(roles=roles))
    assert scrub("巡线工李娜，质量督导:王强。", DEFAULT) == "巡线工李娜，质量督导:王强。"
    # the user's cues are added to the shipped ones, never replace them (issue 15 item 9)
    assert scrub("巡线工李娜，质量督导:王强。检查人张伟。", scrubber) == "巡线工[PERSON]，质量督导:[PERSON]。检查人[PERSON]。"
    with pytest.raises(CorpusctlError, match="clean.pii.roles: .*missing.txt: lexicon file not found"):
        Scrubber(PiiConfig(roles=tmp_path / "missing.txt"))


def test_fingerprint_changes_with_the_roles_file(tmp_path):
    roles = tmp_path / "roles.txt"
    roles.write_text("带班人\n", encoding="utf-8")
    before = pii.fingerprint(PiiConfig(roles=roles))
    roles.write_text("带班人\n质量督导\n", encoding="utf-8")
    assert pii.fingerprint(PiiConfig(roles=roles)) != before
    assert pii.fingerprint(PiiConfig(roles=roles))["types"] == pii.DEFAULT_TYPES


def test_built_in_cues_when_the_shipped_lexicon_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(pii, "SHIPPED_ROLES", tmp_path / "absent.txt")
    assert pii.load_roles(None) == list(pii.DEFAULT_ROLES)
    assert scrub("检查人：王建国。", Scrubber(PiiConfig())) == "检查人：[PERSON]。"


@pytest.mark.skipif(not (EXTERNAL / "ner" / "resume").is_dir(), reason="shared/external/ner/resume not present")
def test_surname_list_covers_real_names():
    names, current = [], ""
    for split in ("train", "dev", "test"):
        for line in (EXTERNAL / "ner" / "resume" / f"{split}.bmes").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].endswith("NAME"):
                current = parts[0] if parts[1][0] in "BS" else current + parts[0]
                if parts[1][0] in "ES":
                    names.append(current)
    chinese = [n for n in names if 2 <= len(n) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in n)]
    known = [n for n in chinese if n[0] in pii.SURNAMES or n[:2] in pii.COMPOUND_SURNAMES]
    assert len(chinese) > 1000 and len(known) / len(chinese) >= 0.97


# -- properties --------------------------------------------------------------------------------------------

CJK_TEXT = st.text(alphabet=st.sampled_from(list("设备阀门管道压力温度巡检发现渗漏处理完毕，。；、")), max_size=30)


@st.composite
def valid_items(draw) -> tuple[str, str]:
    kind = draw(st.sampled_from(["id_card", "mobile", "bank_card"]))
    digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
    if kind == "id_card":
        body = (draw(st.sampled_from(sorted(pii.PROVINCES))) + "".join(draw(digits) for _ in range(4))
                + f"{draw(st.integers(1900, 2024))}{draw(st.integers(1, 12)):02d}{draw(st.integers(1, 28)):02d}"
                + "".join(draw(digits) for _ in range(3)))
        return kind, body + id_check_char(body)
    if kind == "mobile":
        value = f"1{draw(st.sampled_from('3456789'))}" + "".join(draw(digits) for _ in range(9))
        return kind, draw(st.sampled_from([value, f"{value[:3]} {value[3:7]} {value[7:]}", f"+86{value}"]))
    length = draw(st.sampled_from([16, 17, 19]))
    body = draw(st.sampled_from(["62", "4", "5"])) + "".join(draw(digits) for _ in range(length - 2))
    body = body[: length - 1]
    return kind, body + next(d for d in "0123456789" if luhn_ok(body + d))


@settings(max_examples=200, deadline=None)
@given(prefix=CJK_TEXT, item=valid_items(), suffix=CJK_TEXT)
def test_valid_items_in_cjk_text_are_always_found_and_nothing_else_changes(prefix, item, suffix):
    kind, value = item
    text, counts = DEFAULT.scrub(prefix + value + suffix)
    assert text == prefix + f"[{kind.upper()}]" + suffix
    assert counts == {kind: 1}


@settings(max_examples=150, deadline=None)
@given(prefix=CJK_TEXT, cue=st.sampled_from(pii.load_roles(None)), sep=st.sampled_from(["", "：", ":", " ", ": "]),
       surname=st.sampled_from(sorted(pii.SURNAMES) + pii.COMPOUND_SURNAMES[:8]),
       given_name=st.text(alphabet=st.sampled_from(list("建国伟芳娜敏静磊军洋杰涛霞鹏辉")), min_size=1, max_size=2),
       tail=st.sampled_from(["", "。", "，", "发现", "在场", "已到", "对此负责"]))
def test_names_after_cues_are_always_found(prefix, cue, sep, surname, given_name, tail):
    text = f"{prefix}{cue}{sep}{surname}{given_name}{tail}"
    assert scrub(text) == f"{prefix}{cue}{sep}[PERSON]{tail}"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 59), min_size=1, max_size=8))
def test_scrub_is_idempotent_and_batch_independent(indexes):
    corpus = make_pii_corpus(60, seed=5)
    stage = PiiStage(PiiConfig())
    rows = {k: [v[i] for i in indexes] for k, v in corpus.batch().items()}
    whole = stage(rows)
    one_by_one = [stage({k: [v[i]] for k, v in rows.items()}) for i in range(len(indexes))]
    assert whole["text"] == [b["text"][0] for b in one_by_one]
    assert whole["_events"] == [b["_events"][0] for b in one_by_one]
    assert [scrub(t) for t in whole["text"]] == whole["text"]


# -- generated corpus: planted items and decoys ------------------------------------------------------------


def test_generated_corpus_every_planted_item_gone_every_decoy_kept():
    corpus = make_pii_corpus(400, seed=11)
    out = PiiStage(PiiConfig())(corpus.batch())
    forbidden = corpus.forbidden()
    assert len(forbidden) > 1000
    for i, planted in enumerate(corpus.planted):
        scrubbed = out["title"][i] + "\n" + out["text"][i] + "\n" + out["meta"][i]
        original = corpus.records[i]["title"] + corpus.records[i]["text"] + corpus.batch()["meta"][i]
        for form in forbidden:
            if form in original:
                assert form not in scrubbed, (form, scrubbed)
        for decoy in corpus.decoys[i]:
            assert decoy in out["text"][i] and unicodedata.normalize("NFKC", decoy) == decoy
        assert len(out["_events"][i]) == len(planted)  # one replacement per planted item, none extra
    kinds = {kind for planted in corpus.planted for kind, _ in planted}
    assert kinds == {"id_card", "mobile", "landline", "bank_card", "email", "person"}


def test_generated_corpus_is_deterministic_per_record(tmp_path):
    a, b = make_pii_corpus(20, seed=3), make_pii_corpus(40, seed=3)
    assert a.records == b.records[:20] and a.planted == b.planted[:20]
    assert make_pii_corpus(5, seed=4).records != a.records[:5]
    path = a.write_jsonl(tmp_path / "pii.jsonl")
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == a.records


# -- stage, config, placeholders ---------------------------------------------------------------------------


def test_stage_scrubs_title_text_and_meta_values_and_counts_events():
    batch = {
        "id": ["a", "b"],
        "title": ["检查人王建国提交的报告", "普通标题"],
        "text": ["联系电话13812345678，邮箱wang@example.com。", "没有个人信息。"],
        "meta": [json.dumps({"inspector": "李娜", "phone": 13912345678, "note": "负责人：张伟", "n": 3,
                             "contacts": ["王强", "设备科"]}, ensure_ascii=False),
                 "not json 13712345678"],
        "_events": [["normalize.nfkc"], []],
    }
    out = PiiStage(PiiConfig())(batch)
    assert out["title"] == ["检查人[PERSON]提交的报告", "普通标题"]
    assert out["text"] == ["联系电话[MOBILE]，邮箱[EMAIL]。", "没有个人信息。"]
    assert json.loads(out["meta"][0]) == {"inspector": "[PERSON]", "phone": "[MOBILE]", "note": "负责人：[PERSON]", "n": 3,
                                          "contacts": ["[PERSON]", "设备科"]}
    assert out["meta"][1] == "not json [MOBILE]"
    assert sorted(out["_events"][0]) == sorted(["normalize.nfkc", "pii.person", "pii.mobile", "pii.email",
                                                "pii.person", "pii.mobile", "pii.person", "pii.person"])
    assert out["_events"][1] == ["pii.mobile"]
    assert batch["text"][0].startswith("联系电话138")  # input batch untouched


def test_stage_leaves_unchanged_meta_byte_identical_and_respects_enabled():
    meta = '{"a":   "设备科", "b": [1, 2]}'
    out = PiiStage(PiiConfig())({"text": ["无"], "meta": [meta]})
    assert out["meta"] == [meta] and out["_events"] == [[]]
    batch = {"text": ["电话13812345678"]}
    assert PiiStage(PiiConfig(enabled=False))(batch) is batch


def test_stage_is_picklable_and_builds_lazily():
    stage = PiiStage(PiiConfig(types=["mobile"]))
    stage({"text": ["13812345678"]})
    clone = pickle.loads(pickle.dumps(stage))
    assert clone._scrubber is None
    assert clone({"text": ["电话13812345678，检查人王建国"]})["text"] == ["电话[MOBILE]，检查人王建国"]


def test_types_select_what_is_scrubbed():
    text = "检查人王建国，电话13812345678，卡号4111111111111111。"
    assert scrub(text, Scrubber(PiiConfig(types=["mobile"]))) == "检查人王建国，电话[MOBILE]，卡号4111111111111111。"
    assert scrub(text, Scrubber(PiiConfig(types=[]))) == text


def test_replacement_and_placeholders():
    config = PiiConfig(replacement="<{TYPE}>", types=["mobile", "person", "mobile"])
    assert config.types == ["mobile", "person"]
    assert placeholders(config) == ["<MOBILE>", "<PERSON>"]
    assert placeholders(PiiConfig()) == ["[ID_CARD]", "[MOBILE]", "[LANDLINE]", "[EMAIL]", "[BANK_CARD]", "[PERSON]"]
    assert scrub("检查人王建国", Scrubber(config)) == "检查人<PERSON>"
    for bad in ("{name}", "{0}", "  "):
        with pytest.raises(ValidationError):
            PiiConfig(replacement=bad)
    with pytest.raises(ValidationError):
        PiiConfig(typo=True)
    with pytest.raises(ValidationError):
        PiiConfig(types=["passport"])


def test_placeholders_are_never_scrubbed_again():
    text = "检查人：[PERSON]，电话[MOBILE]，[ID_CARD][BANK_CARD][EMAIL][LANDLINE]"
    assert scrub(text, ALL) == text


# -- scan and the CLI --------------------------------------------------------------------------------------


def test_mask_examples_hide_the_middle():
    assert mask_example("mobile", "+86 138-1234-5678") == "138****5678"
    assert mask_example("id_card", "110101199003071234") == "1101**********1234"
    assert mask_example("person", "王建国") == "王**"
    assert mask_example("email", "wang.jg@example.com") == "w***@example.com"
    assert mask_example("bank_card", "6222 0212 3456 7890") == "6222********7890"


def write_sources(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        json.dumps({"text": "联系电话138-1234-5678", "inspector": "王建国", "extra": {"id": valid_id("11010119900307123")}},
                   ensure_ascii=False) + "\n" + "broken {line 13912345678\n", encoding="utf-8")
    (folder / "b.txt").write_text("检查人：李娜发现渗漏。\n值班手机１３７１２３４５６７８\n", encoding="utf-8")
    (folder / "c.csv").write_text("name,email\n张伟,zw@example.com\n", encoding="utf-8")
    (folder / "skip.md").write_text("13812345678", encoding="utf-8")
    return folder


def test_scan_counts_and_masks(tmp_path):
    report = scan(write_sources(tmp_path / "src"))
    assert [Path(f).name for f in report["files"]] == ["a.jsonl", "b.txt", "c.csv"]
    assert report["counts"] == {"id_card": 1, "mobile": 3, "landline": 0, "email": 1, "bank_card": 0, "person": 3}
    assert report["examples"]["mobile"][0] == "138****5678"
    assert report["examples"]["id_card"] == ["1101**********" + valid_id("11010119900307123")[-4:]]
    assert set(report["examples"]["person"]) == {"王**", "李*", "张*"}


def test_cli_scan_table_json_and_errors(tmp_path):
    src = write_sources(tmp_path / "src")
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(src)])
    assert result.exit_code == 0, result.output
    assert "mobile" in result.output and "138****5678" in result.output and "13812345678" not in result.output
    result = runner.invoke(app, ["scan", str(src / "b.txt"), "--json", "--types", "person,mobile"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["counts"] == {"person": 1, "mobile": 1} and report["examples"]["mobile"] == ["137****5678"]
    result = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "does not exist" in result.output
    result = runner.invoke(app, ["scan", str(src), "--types", "passport"])
    assert result.exit_code == 1 and "--types" in result.output


def test_cli_scan_reports_a_file_in_another_encoding_and_goes_on(tmp_path):
    """Issue 16 item 6: one GBK file among UTF-8 ones is named with what to do; `--encoding gbk` reads it."""
    src = write_sources(tmp_path / "src")
    (src / "gbk.txt").write_bytes("巡检记录：联系电话13957468219，设备运行正常。\n".encode("gbk"))
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(src), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"]["mobile"] == 3  # the UTF-8 files were all scanned
    assert list(report["errors"]) == [str(src / "gbk.txt")] and "--encoding" in report["errors"][str(src / "gbk.txt")]
    assert "skipped" in result.stderr and "gbk.txt" in result.stderr
    result = runner.invoke(app, ["scan", str(src / "gbk.txt"), "--encoding", "gbk", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["mobile"] == 1
    result = runner.invoke(app, ["scan", str(src), "--encoding", "klingon"])
    assert result.exit_code == 1 and "unknown encoding" in result.output
