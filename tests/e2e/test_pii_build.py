"""Issue #11 end to end: a generated corpus with planted personal data and look-alike decoys, built with
the default privacy step; no planted item may survive in any byte of any file the build writes."""

import json
import re
from collections import Counter
from pathlib import Path

import datasets
import pytest
from helpers import ROOT, build, disk_blobs
from typer.testing import CliRunner

from corpusctl.cli import app
from corpusctl.exports.schemes import read_conll
from corpusctl.stages.pii import PiiConfig, placeholders
from corpusctl.stages.vocab import decode_ids
from sample_data.pii_forms import PiiCorpus, make_pii_corpus

TYPES = ("id_card", "mobile", "landline", "email", "bank_card", "person")
SEPARATORS = re.compile(r"[\s\-()+]")  # how planted numbers are grouped ("138 1234 5678", "(010)", "+86-")


@pytest.fixture(scope="module")
def pii_build(tmp_path_factory) -> tuple[PiiCorpus, Path]:
    root = tmp_path_factory.mktemp("pii")
    corpus = make_pii_corpus(n_docs=150, seed=11)
    corpus.write_jsonl(root / "logs.jsonl")
    # rejected records carry personal data too: exact duplicates (dedup) and a broken line (ingest)
    mobile = next(surface for items in corpus.planted for kind, surface in items if kind == "mobile")
    with (root / "logs.jsonl").open("a", encoding="utf-8") as handle:
        for record in corpus.records[:5]:
            handle.write(json.dumps({**record, "id": f"copy-{record['id']}"}, ensure_ascii=False) + "\n")
        handle.write(f'{{"id": "broken", "title": "巡检记录", "text": "手机：{mobile}，未闭合}}\n')
    (root / "recipe.yaml").write_text(
        "name: pii\nseed: 5\noutput: out\nsources:\n"
        "  - {name: logs, path: logs.jsonl, format: jsonl, id_field: id, title_field: title, text_field: text,\n"
        "     domain: industrial, kind: sop}\n"
        "mix: {shares: {sop: 1.0}}\nvocab: {size: 3000}\nmask: {epochs: 1}\n"
        "classification: {label_from: kind}\n", encoding="utf-8")
    return corpus, build(root / "recipe.yaml", root / "out", "--workers", "2")


def _automaton(needles):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for needle in needles:
        automaton.add_word(needle, needle)
    automaton.make_automaton()
    return automaton


def _found(automaton, haystack: str) -> set[str]:
    return {needle for _, needle in automaton.iter(haystack)}


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in _json_strings(key) + _json_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _json_strings(item)]
    return []


def _texts(out: Path, files: list[Path]) -> list[tuple[str, str]]:
    """(where, text) for every text a file holds once decoded: NER CoNLL sentences (one character per line
    in the file), spaCy docs (compressed), the string columns of every `datasets` folder, JSON strings."""
    import spacy
    from spacy.tokens import DocBin

    texts = []
    for folder in sorted({p.parent for p in files if p.name == "state.json"}):
        data = datasets.load_from_disk(str(folder))
        strings = [c for c, f in data.features.items() if getattr(f, "dtype", "") == "string"]
        for column in strings:
            texts += [(f"{folder}:{column}", value) for value in data[column]]
    for path in files:
        if path.suffix == ".txt" and path.parent.name == "ner":
            texts += [(str(path), sentence.text) for sentence in read_conll(path)]
        elif path.suffix == ".spacy":
            texts += [(str(path), doc.text) for doc in DocBin().from_disk(path).get_docs(spacy.blank("zh").vocab)]
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                texts += [(str(path), s) for s in _json_strings(json.loads(line))]
        elif path.suffix in (".json", ".html"):
            texts.append((str(path), path.read_text(encoding="utf-8")))
    return texts


def leaks(out: Path, forbidden: set[str]) -> dict[str, set[str]]:
    """Forbidden strings per file: in the raw bytes (Arrow stores strings as raw UTF-8; .spacy also
    decompressed), and in every decoded text as written and with number separators stripped. Covers the
    output folder and the rejects kept in the work folder `.<out>.work`."""
    files = sorted(p for p in out.rglob("*") if p.is_file())
    files += sorted((out.parent / f".{out.name}.work").glob("*/rejects.jsonl"))
    as_bytes = _automaton({s.encode("utf-8").decode("latin-1") for s in forbidden})
    as_text = _automaton(forbidden)
    found: dict[str, set[str]] = {}
    for path in files:
        blobs = disk_blobs(path)
        hits = set().union(*(_found(as_bytes, blob.decode("latin-1")) for blob in blobs))
        if hits:
            found[str(path)] = {h.encode("latin-1").decode("utf-8") for h in hits}
    for where, text in _texts(out, files):
        hits = _found(as_text, text) | _found(as_text, SEPARATORS.sub("", text))
        if hits:
            found.setdefault(where, set()).update(hits)
    return found


def test_no_planted_item_is_in_any_byte_of_the_output(pii_build):
    corpus, out = pii_build
    forbidden = corpus.forbidden()
    assert len(forbidden) > 300
    # the check itself sees the planted items where they are: in the input
    assert len(_found(_automaton(forbidden), (out.parent / "logs.jsonl").read_text(encoding="utf-8"))) > 300
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for expected in ("vocab.txt", "tokenizer.json", "manifest.json", "report.html", "ner/train.txt",
                     "ner/train.spacy", "ner/train.jsonl", "classification/train.jsonl",
                     "title_reconstruction/state.json", "masked/epoch-0/state.json"):
        assert expected in names, expected
    assert any(n.startswith("pretrain/") and n.endswith(".arrow") for n in names)
    assert {"rejects/ingest.jsonl", "rejects/dedup.jsonl"} <= names
    assert leaks(out, forbidden) == {}


def test_the_leak_check_finds_an_item_left_behind(pii_build, tmp_path):
    corpus, out = pii_build
    copy = tmp_path / "out"
    (copy / "ner").mkdir(parents=True)
    value = next(surface for items in corpus.planted for kind, surface in items if kind == "mobile")
    digits = re.sub(r"\D", "", value)[-11:]
    # one character per line, as in ner/*.txt, and grouped with spaces: only a decoded, stripped scan sees it
    grouped = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    (copy / "ner" / "train.txt").write_text("".join(f"{c}\tO\n" for c in grouped) + "\n", encoding="utf-8")
    found = leaks(copy, corpus.forbidden())
    assert list(found) == [str(copy / "ner" / "train.txt")] and digits in found[str(copy / "ner" / "train.txt")]


def test_decoys_survive_unchanged_in_pretrain(pii_build):
    corpus, out = pii_build
    pretrain = datasets.load_from_disk(str(out / "pretrain"))
    by_doc: dict[str, list[str]] = {}
    for row_id, title, text in zip(pretrain["id"], pretrain["title"], pretrain["text"]):
        by_doc.setdefault(row_id.split("#")[0], []).append(f"{title}\n{text}")
    checked = kept = 0
    for record, decoys in zip(corpus.records, corpus.decoys):
        texts = by_doc.get(f"logs:{record['id']}")
        if texts is None:
            continue
        for decoy in decoys:
            checked += 1
            kept += any(decoy in text for text in texts)
    assert checked >= 200
    assert kept / checked >= 0.99, (kept, checked)


def test_manifest_counts_replacements_per_type(pii_build):
    corpus, out = pii_build
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # every planted item once, plus the items of the five duplicated records (the broken line never parses)
    planted = Counter(kind for items in corpus.planted + corpus.planted[:5] for kind, _ in items)
    assert set(planted) == set(TYPES)
    assert all(manifest["pii"]["by_type"][kind] > 0 for kind in TYPES)
    assert manifest["pii"]["by_type"] == dict(planted)
    assert manifest["pii"]["by_source"]["logs"] == dict(planted)


def test_placeholders_are_single_tokens_that_decode_whole(pii_build):
    from tokenizers import Tokenizer

    _, out = pii_build
    vocab = (out / "vocab.txt").read_text(encoding="utf-8").splitlines()
    marks = placeholders(PiiConfig())
    assert set(marks) <= set(vocab)
    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    text = "值班室电话" + "，".join(marks) + "。"
    encoding = tokenizer.encode(text)
    assert all(encoding.tokens.count(mark) == 1 for mark in marks), encoding.tokens
    assert decode_ids(encoding.ids, vocab) == text
    pretrain = datasets.load_from_disk(str(out / "pretrain"))
    rows = [r for r in pretrain.select_columns(["format", "title", "text", "input_ids"]) if "[MOBILE]" in r["text"]]
    assert rows
    for row in rows:
        assert vocab.index("[MOBILE]") in row["input_ids"]
        whole = row["title"] + row["text"] if row["format"] == "title_content" else row["text"]
        assert decode_ids(row["input_ids"], vocab) == "".join(whole.split())


def test_ner_never_labels_a_placeholder(pii_build):
    _, out = pii_build
    marks = placeholders(PiiConfig())
    seen = 0
    for split in ("train", "dev", "test"):
        for line in (out / "ner" / f"{split}.jsonl").open(encoding="utf-8"):
            record = json.loads(line)
            spots = [(m.start(), m.end()) for mark in marks for m in re.finditer(re.escape(mark), record["text"])]
            seen += len(spots)
            for start, end, _ in record["entities"]:
                assert all(end <= a or start >= b for a, b in spots), record
    assert seen > 0


def test_the_sample_build_holds_none_of_its_planted_personal_data(sample_out):
    """The bundled sample's own planted items (sample_data/planted.json) are absent from its output."""
    planted = json.loads((ROOT / "sample_data" / "planted.json").read_text(encoding="utf-8"))["pii"]
    corpus = PiiCorpus([], [[(item["type"], item["value"]) for item in planted]], [])
    assert Counter(item["type"] for item in planted).keys() >= set(TYPES)
    assert leaks(sample_out, corpus.forbidden()) == {}


def test_pii_scan_reports_counts_per_type_on_the_sample():
    result = CliRunner().invoke(app, ["pii", "scan", str(ROOT / "sample_data"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert all(report["counts"][kind] > 0 for kind in TYPES), report["counts"]
    assert report["total"] == sum(report["counts"].values())
    assert any("****" in example for example in report["examples"]["mobile"])
    table = CliRunner().invoke(app, ["pii", "scan", str(ROOT / "sample_data" / "industrial")])
    assert table.exit_code == 0 and "mobile" in table.output and "total" in table.output
