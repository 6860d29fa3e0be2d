"""The bundled sample corpus, its generator and the lexicons: counts, fields, planted features, determinism."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from sample_data import generate as gen
from sample_data import make_sample, pii_forms
from sample_data import textgen as tg

SAMPLE = ROOT / "sample_data"
LEXICONS = ROOT / "lexicons"

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def valid_id(number: str) -> bool:
    """GB 11643 check, written independently of textgen."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return "10X98765432"[sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11] == number[-1]


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def lexicon_entries(name: str) -> list[str]:
    lines = (LEXICONS / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def corpus() -> dict:
    blocks = {}
    for path in sorted((SAMPLE / "industrial/maintenance_logs").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        blocks[path.name] = [b.strip("\n") for b in re.split(r"\n\s*\n", text) if b.strip()]
    return {
        "inspection": read_jsonl(SAMPLE / "industrial/inspection_reports.jsonl"),
        "sop": read_csv(SAMPLE / "industrial/sops.csv"),
        "maintenance": blocks,
        "encyclopedia": read_jsonl(SAMPLE / "general/encyclopedia.jsonl"),
        "news": read_csv(SAMPLE / "general/news.csv"),
        "qa": read_jsonl(SAMPLE / "general/qa.jsonl"),
        "planted": json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8")),
    }


def text_at(corpus: dict, where: dict) -> str:
    """The text of a document named by a planted.json location."""
    file, key = where["file"], where["key"]
    if file == "industrial/inspection_reports.jsonl":
        return next(d["content"] for d in corpus["inspection"] if d["id"] == key)
    if file == "industrial/sops.csv":
        return next(d["body"] for d in corpus["sop"] if d["doc_no"] == key)
    if file.startswith("industrial/maintenance_logs/"):
        return corpus["maintenance"][file.rsplit("/", 1)[1]][int(key.split(":")[1])]
    if file == "general/encyclopedia.jsonl":
        return next(d["text"] for d in corpus["encyclopedia"] if d["id"] == key)
    if file == "general/news.csv":
        return corpus["news"][int(key.split(":")[1])]["body"]
    if file == "general/qa.jsonl":
        return corpus["qa"][int(key.split(":")[1]) - 1]["answer"]
    raise AssertionError(f"unknown file {file}")


# -- counts, fields and sizes -----------------------------------------------------------------------------


def test_counts_and_fields(corpus):
    inspection, sop, qa = corpus["inspection"], corpus["sop"], corpus["qa"]
    blocks = [b for bs in corpus["maintenance"].values() for b in bs]
    assert len(inspection) >= 170 and len(sop) >= 90 and len(blocks) >= 50 and len(corpus["maintenance"]) >= 2
    assert len(inspection) + len(sop) + len(blocks) >= 300
    assert len(corpus["encyclopedia"]) >= 70 and len(corpus["news"]) >= 70 and len(qa) >= 60
    assert all(set(d) == {"id", "title", "content", "category", "site", "date"} for d in inspection)
    assert all(d["title"] and d["category"] and d["content"] for d in inspection)
    assert all(d["title"] and d["category"] and d["body"] for d in sop)
    assert list(sop[0]) == ["doc_no", "title", "body", "category"]
    assert list(corpus["news"][0]) == ["title", "body", "section", "date"]
    assert all(set(d) == {"id", "title", "text", "category"} for d in corpus["encyclopedia"])
    assert all(set(d) == {"question", "answer", "topic"} for d in qa)
    assert len({d["id"] for d in inspection}) == len(inspection)
    assert len({d["doc_no"] for d in sop}) == len(sop)
    categories = Counter(d["category"] for d in inspection)
    assert sum(1 for n in categories.values() if n >= 10) >= 8
    assert {"未佩戴安全帽", "工装不规范", "消防隐患", "泄漏", "睡岗", "玩手机"} <= set(categories)


def test_character_totals_follow_the_targets(corpus):
    chars = {
        "inspection": sum(len(d["title"] + d["content"]) for d in corpus["inspection"]),
        "sop": sum(len(d["title"] + d["body"]) for d in corpus["sop"]),
        "maintenance": sum(len(b) for bs in corpus["maintenance"].values() for b in bs),
        "encyclopedia": sum(len(d["title"] + d["text"]) for d in corpus["encyclopedia"]),
        "news": sum(len(d["title"] + d["body"]) for d in corpus["news"]),
        "qa": sum(len(d["question"] + d["answer"]) for d in corpus["qa"]),
    }
    targets = {"inspection": 140e3, "sop": 90e3, "maintenance": 25e3, "encyclopedia": 65e3, "news": 65e3, "qa": 45e3}
    for kind, target in targets.items():
        assert 0.7 * target <= chars[kind] <= 1.3 * target, (kind, chars[kind])
    data = [p for p in (SAMPLE / "industrial").rglob("*") if p.is_file()] + list((SAMPLE / "general").glob("*"))
    assert sum(p.stat().st_size for p in data) < 1.5e6


def test_sample_is_regenerated_byte_for_byte(tmp_path):
    make_sample.build(tmp_path)
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            committed = SAMPLE / path.relative_to(tmp_path)
            assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run make_sample.py"


# -- planted features -------------------------------------------------------------------------------------


def test_duplicates_and_repeated_sentences(corpus):
    planted = corpus["planted"]
    assert len(planted["exact_duplicates"]) >= 10 and len(planted["near_duplicates"]) >= 10
    files = {item["doc"]["file"].split("/")[1] for item in planted["exact_duplicates"] + planted["near_duplicates"]}
    assert {"inspection_reports.jsonl", "sops.csv", "maintenance_logs"} <= files
    for item in planted["exact_duplicates"]:
        assert item["doc"] != item["original"]
        assert text_at(corpus, item["doc"]) == text_at(corpus, item["original"])
    for item in planted["near_duplicates"]:
        copy, original = text_at(corpus, item["doc"]), text_at(corpus, item["original"])
        assert len(copy) == len(original)
        assert 1 <= sum(a != b for a, b in zip(copy, original, strict=True)) <= item["changed_chars"]
    assert len(planted["repeated_sentences"]) >= 3
    for item in planted["repeated_sentences"]:
        assert text_at(corpus, item["doc"]).count(item["sentence"]) == 2


def test_no_unplanted_near_duplicates(corpus):
    """Template documents must not look alike to a deduplicator unless planted (5-gram Jaccard < 0.7)."""
    planted = corpus["planted"]
    twins = {(i["doc"]["file"], i["doc"]["key"]) for i in planted["exact_duplicates"] + planted["near_duplicates"]}
    groups = {
        "inspection": [(("industrial/inspection_reports.jsonl", d["id"]), d["content"]) for d in corpus["inspection"]],
        "sop": [(("industrial/sops.csv", d["doc_no"]), d["body"]) for d in corpus["sop"]],
        "qa": [(("general/qa.jsonl", f"line:{n + 1}"), d["answer"]) for n, d in enumerate(corpus["qa"])],
        "news": [(("general/news.csv", f"row:{n}"), d["body"]) for n, d in enumerate(corpus["news"])],
    }
    for docs in groups.values():
        docs = [(key, {t[i:i + 5] for i in range(len(t) - 4)}) for key, t in docs if key not in twins]
        for n, (key_a, a) in enumerate(docs):
            for key_b, b in docs[n + 1:]:
                if a and b:
                    assert len(a & b) / len(a | b) < 0.7, (key_a, key_b)


def test_clutter_is_planted_and_listed(corpus):
    listed = set(lexicon_entries("clutter.txt"))
    assert len(listed) >= 40
    assert set(tg.CLUTTER) <= listed
    clutter = corpus["planted"]["clutter"]
    assert 25 <= len(clutter) <= 40
    for item in clutter:
        text = text_at(corpus, item["doc"])
        for phrase in item["phrases"]:
            assert phrase in listed and phrase + "。" in text
    # and nothing clutter-like sneaks into documents that are not listed
    with_clutter = {(i["doc"]["file"], i["doc"]["key"]) for i in clutter}
    for doc in corpus["inspection"]:
        if ("industrial/inspection_reports.jsonl", doc["id"]) not in with_clutter:
            assert not any(phrase in doc["content"] for phrase in listed), doc["id"]


def test_personal_data_and_decoys(corpus):
    planted = corpus["planted"]
    pii_docs = {(i["doc"]["file"], i["doc"]["key"]) for i in planted["pii"]}
    assert 30 <= len(pii_docs) <= 50
    types = Counter(i["type"] for i in planted["pii"])
    assert {"person", "mobile", "landline", "id_card", "email"} <= set(types)
    assert types["id_card"] >= 3
    for item in planted["pii"]:
        text = text_at(corpus, item["doc"])
        assert item["value"] in text
        if item["type"] == "id_card":
            assert valid_id(item["value"]), item["value"]
        if item["type"] == "bank_card":
            assert luhn_valid(item["value"])
        if item["type"] == "mobile":
            assert re.fullmatch(r"1[3-9]\d{9}", re.sub(r"^\+86|[\s-]", "", item["value"]))
        if item["type"] == "person":
            assert item["cue"] in text and 2 <= len(item["value"]) <= 3
    roles = set(lexicon_entries("pii_roles.txt"))
    assert {i["cue"] for i in planted["pii"] if i["type"] == "person"} - {"作业人员"} <= roles
    decoys = planted["decoys"]
    assert {"standard", "serial", "batch_id", "measurement"} <= {d["type"] for d in decoys}
    for item in decoys:
        assert item["value"] in text_at(corpus, item["doc"])
        if item["type"] == "batch_id":
            assert len(item["value"]) == 18 and not valid_id(item["value"])
        if item["type"] == "serial":
            digits = re.search(r"\d+", item["value"]).group()
            assert len(digits) > 11 and re.search(r"1[3-9]\d{9}", digits)


def test_homonyms_in_both_senses(corpus):
    homonyms = corpus["planted"]["homonyms"]
    assert {"接地", "压力", "开关"} <= set(homonyms) and len(homonyms) >= 8
    for word, senses in homonyms.items():
        assert len(senses) == 2
        for sense, hits in senses.items():
            assert len(hits) >= 3, (word, sense)
            for hit in hits:
                assert word in hit["sentence"] and hit["sentence"] in text_at(corpus, hit["doc"])


def test_long_and_low_quality_documents(corpus):
    planted = corpus["planted"]
    lengths = [item["chars"] for item in planted["long_documents"]]
    assert sum(n > 800 for n in lengths) >= 10 and sum(n > 2000 for n in lengths) >= 3
    kinds = {item["kind"] for item in planted["low_quality"]}
    assert {"short", "symbols", "mojibake_gbk"} <= kinds
    for item in planted["low_quality"]:
        text = text_at(corpus, item["doc"])
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
        assert len(text) < 10 or cjk / len(text) < 0.2 or "\ufffd" in text or "锟斤拷" in text or "鍙" in text


def _all_documents(corpus: dict) -> list[dict]:
    """The planted.json location of every document of the sample."""
    where = [{"file": "industrial/inspection_reports.jsonl", "key": d["id"]} for d in corpus["inspection"]]
    where += [{"file": "industrial/sops.csv", "key": d["doc_no"]} for d in corpus["sop"]]
    where += [{"file": f"industrial/maintenance_logs/{name}", "key": f"block:{n}"}
              for name, blocks in corpus["maintenance"].items() for n in range(len(blocks))]
    where += [{"file": "general/encyclopedia.jsonl", "key": d["id"]} for d in corpus["encyclopedia"]]
    where += [{"file": "general/news.csv", "key": f"row:{n}"} for n in range(len(corpus["news"]))]
    return where + [{"file": "general/qa.jsonl", "key": f"line:{n + 1}"} for n in range(len(corpus["qa"]))]


def test_traditional_and_fullwidth_noise_is_planted_and_listed(corpus):
    """A few documents of every kind are in traditional characters or typed full-width; planted.json lists them, and
    no other document is (but the GBK mojibake of the junk, and 毕昇, which OpenCC's t2s turns into 毕升)."""
    from opencc import OpenCC

    t2s = OpenCC("t2s")
    fullwidth = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
    documents = _all_documents(corpus)
    noise = corpus["planted"]["noise"]
    listed = {(i["doc"]["file"], i["doc"]["key"]): i["kind"] for i in noise}
    assert len(listed) == len(noise)
    kinds = Counter(listed.values())
    assert set(kinds) == {"traditional", "fullwidth"}
    for kind, n in kinds.items():
        assert 0.03 <= n / len(documents) <= 0.06, (kind, n)
    for kind in kinds:
        assert {i["doc"]["file"].split("/")[1] for i in noise if i["kind"] == kind} >= {
            "inspection_reports.jsonl", "sops.csv", "maintenance_logs", "encyclopedia.jsonl", "news.csv", "qa.jsonl"}
    junk = {(i["doc"]["file"], i["doc"]["key"]) for i in corpus["planted"]["low_quality"]}
    for where in documents:
        text = text_at(corpus, where)
        kind = listed.get((where["file"], where["key"]))
        simplified = t2s.convert(text)
        if kind == "traditional":
            assert sum(a != b for a, b in zip(text, simplified)) >= 10 and not fullwidth.search(text), where
        elif kind == "fullwidth":
            assert fullwidth.search(text) and simplified == text, where
        elif (where["file"], where["key"]) not in junk:
            assert not fullwidth.search(text), where
            assert simplified in (text, text.replace("毕昇", "毕升")), where


def test_anomaly_terms_in_many_but_not_all_industrial_docs(corpus):
    terms = [line.split("\t")[0] for line in lexicon_entries("anomaly_terms.txt")]
    texts = [d["content"] for d in corpus["inspection"]] + [b for bs in corpus["maintenance"].values() for b in bs]
    hits = sum(any(t in text for t in terms) for text in texts)
    assert 0.5 * len(texts) < hits < len(texts)


# -- lexicons ---------------------------------------------------------------------------------------------


def test_lexicon_files_have_headers_and_entries():
    for name in ("industrial_terms.txt", "clutter.txt", "anomaly_terms.txt", "pii_roles.txt"):
        first = (LEXICONS / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# " + name)
        entries = lexicon_entries(name)
        assert len(entries) == len(set(entries)), f"duplicate lines in {name}"


def test_industrial_terms_cover_the_sample_vocabulary():
    entries = [line.split(" ") for line in lexicon_entries("industrial_terms.txt")]
    assert len(entries) >= 600
    for parts in entries:
        assert 1 <= len(parts) <= 3 and parts[0]
        if len(parts) >= 2:
            assert parts[1].isdigit() or parts[1] in {"n", "nz", "vn", "v"}
        if len(parts) == 3:
            assert parts[2] in {"n", "nz", "vn", "v"}
    words = {parts[0] for parts in entries}
    assert tg.industrial_vocabulary() <= words, sorted(tg.industrial_vocabulary() - words)


def test_jieba_reads_the_user_dictionary():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(LEXICONS / "industrial_terms.txt"))
    words = list(tokenizer.cut("巡检发现操作工未佩戴安全帽，离心泵机械密封渗漏。"))
    assert {"未佩戴安全帽", "离心泵", "机械密封", "操作工"} <= set(words)


def test_anomaly_terms_and_roles():
    weights = {}
    for line in lexicon_entries("anomaly_terms.txt"):
        term, _, weight = line.partition("\t")
        weights[term] = float(weight or 1.0)
    assert len(weights) >= 60 and all(w > 0 for w in weights.values())
    assert {"泄漏", "过热", "超压", "未佩戴安全帽", "未系安全带", "冒烟", "异响", "裂纹", "腐蚀", "睡岗"} <= set(weights)
    roles = set(lexicon_entries("pii_roles.txt"))
    assert len(roles) >= 25
    assert {"检查人", "负责人", "联系人", "值班员", "操作人员", "监护人", "记录人", "签字", "审核人", "批准人", "巡检员",
            "安全员", "班长", "作业人员", "维修人员", "报告人"} <= roles


# -- generator --------------------------------------------------------------------------------------------

SIZE = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    gen.generate(out, "2MB", seed=3)
    return out


def test_generate_writes_the_requested_size_in_the_paper_shares(generated):
    sizes = {kind: (generated / f"{kind}.jsonl").stat().st_size for kind in gen.SHARES}
    total = sum(sizes.values())
    assert abs(total - SIZE) / SIZE < 0.01
    for kind, share in gen.SHARES.items():
        assert abs(sizes[kind] / total - share) < 0.01, kind
    for kind in gen.SHARES:
        rows = read_jsonl(generated / f"{kind}.jsonl")
        assert all(list(row) == ["id", "title", "text", "category"] and row["text"] and row["category"] for row in rows)
        assert len({row["id"] for row in rows}) == len(rows)


def test_generate_is_deterministic_per_seed(generated, tmp_path):
    again = gen.generate(tmp_path / "same", SIZE, seed=3)
    other = gen.generate(tmp_path / "other", SIZE, seed=4)
    for kind, path in again.items():
        assert path.read_bytes() == (generated / f"{kind}.jsonl").read_bytes()
        assert other[kind].read_bytes() != path.read_bytes()


def test_generate_plants_duplicates_at_the_requested_rates(tmp_path):
    def dup_share(dup_rate: float) -> float:
        paths = gen.generate(tmp_path / str(dup_rate), 600_000, seed=1, dup_rate=dup_rate, near_dup_rate=0.0,
                             shares={"inspection_report": 1.0})
        texts = [row["text"] for row in read_jsonl(paths["inspection_report"])]
        return 1 - len(set(texts)) / len(texts)

    assert dup_share(0.0) == 0.0
    assert 0.12 < dup_share(0.2) < 0.28


def test_write_recipe_validates(generated):
    from corpusctl.recipe import load_recipe

    recipe = load_recipe(gen.write_recipe(generated))
    assert {s.kind for s in recipe.sources} == set(gen.SHARES)
    for source in recipe.sources:
        assert Path(source.path).is_file() and source.text_field == "text" and source.label_field == "category"
    assert recipe.mix.shares == gen.SHARES


def test_generate_cli_prints_json_last(tmp_path, capsys):
    assert gen.main(["--size", "300KB", "--out", str(tmp_path), "--seed", "2"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["bytes"] == sum((tmp_path / f"{k}.jsonl").stat().st_size for k in gen.SHARES)
    assert (tmp_path / "recipe.yaml").is_file()


# -- properties of the building blocks --------------------------------------------------------------------


@given(st.integers(0, 2**32))
@settings(max_examples=200, deadline=None)
def test_id_numbers_have_valid_check_characters(seed):
    import random

    rng = random.Random(seed)
    assert valid_id(pii_forms.id_number(rng))
    assert not valid_id(pii_forms.invalid_id_like(rng))
    assert luhn_valid(pii_forms.bank_card(rng))


@given(st.text(alphabet="安全检查发现泄漏整改。，", min_size=20, max_size=200), st.integers(1, 5), st.integers(0, 99))
@settings(max_examples=100, deadline=None)
def test_near_duplicate_changes_at_most_n_characters(text, changes, seed):
    import random

    copy = tg.near_duplicate(random.Random(seed), text, changes)
    assert len(copy) == len(text)
    assert sum(a != b for a, b in zip(copy, text, strict=True)) <= changes


@given(st.integers(1, 99))
def test_chinese_numerals(n):
    numeral = tg.chinese_numeral(n)
    digits = dict(zip("一二三四五六七八九", range(1, 10), strict=True))
    if "十" in numeral:
        tens, _, ones = numeral.partition("十")
        value = digits.get(tens, 1) * 10 + digits.get(ones, 0)
    else:
        value = digits[numeral]
    assert value == n
