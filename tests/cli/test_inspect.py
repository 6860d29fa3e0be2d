"""`corpusctl inspect`: the output summary, decoded examples with masks/terms/POS, NER files, clear errors."""

import json
import re

import datasets
import pytest
from rich.console import Console
from typer.testing import CliRunner

from corpusctl.cli import app
from corpusctl.inspect import MASKED_STYLE, TERM_STYLE, ner_file, sample_examples, summary


def plain(renderable) -> str:
    console = Console(width=200, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def invoke(*args: str):
    return CliRunner().invoke(app, ["inspect", *args])


@pytest.fixture(scope="module")
def manifest(sample_out):
    return json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))


def test_summary_shows_kind_shares_stages_and_files(sample_out, manifest):
    text = plain(summary(sample_out))
    lines = text.splitlines()
    for kind, share in manifest["mix"]["achieved"].items():
        row = next(line for line in lines if line.strip("│ ").startswith(kind + " "))
        assert f"{manifest['mix']['target'][kind]:.1%}" in row and f"{share:.1%}" in row
    for name, stats in manifest["stages"].items():
        if "docs_in" in stats:
            row = next(line for line in lines if line.strip("│ ").startswith(name + " "))
            assert f"{stats['docs_in']:,}" in row and f"{stats['docs_out']:,}" in row
    assert "pretrain/" in text and f"{manifest['pretrain']['rows']:,}" in text
    assert "mask ratio by length bucket" in text and "✓ mix" in text
    result = invoke(str(sample_out))
    assert result.exit_code == 0, result.output
    assert "kind shares" in result.output and "inspection_report" in result.output


def _masked_epoch0(sample_out, ids):
    masked = datasets.load_from_disk(str(sample_out / "masked" / "epoch-0"))
    by_id = dict(zip(masked["id"], masked["labels"]))
    return [by_id[i] for i in ids]


def test_samples_mark_masked_tokens_and_terms(sample_out):
    pretrain = datasets.load_from_disk(str(sample_out / "pretrain")).select(range(2))
    group = sample_examples(sample_out / "pretrain", 2)
    texts = [r for r in group.renderables[1:] if r.plain and "words]" not in r.plain]
    assert len(texts) == 2
    for text, row, labels in zip(texts, pretrain, _masked_epoch0(sample_out, pretrain["id"]), strict=True):
        masked = sum(1 for label in labels if label != -100)
        terms = sum(1 for term in row["term_ids"] if term >= 0)
        styles = [str(span.style) for span in text.spans]
        assert masked > 0 and sum(MASKED_STYLE in s for s in styles) == masked  # one styled span per token
        assert terms > 0 and sum(TERM_STYLE in s for s in styles) == terms
    output = plain(group)
    assert output.count("words]") == 2 and "masked (epoch 0)" in output


def test_samples_show_one_pos_tag_per_word(sample_out):
    pretrain = datasets.load_from_disk(str(sample_out / "pretrain"))
    row, upos = pretrain[0], pretrain.features["pos_ids"].feature.names
    words = len({w for w in row["word_ids"] if w >= 0})
    legend, header, body = sample_examples(sample_out / "pretrain", 1, show_pos=True).renderables[:3]
    tags = [tag for tag in re.findall(r"/([A-Z]+) ", body.plain) if tag in upos]
    assert len(tags) == words and "/NOUN" in body.plain and "UPOS" in legend.plain
    assert "/" not in sample_examples(sample_out / "pretrain", 1).renderables[2].plain.replace(row["text"], "")


def test_sample_cli_on_pretrain_and_on_the_output_folder(sample_out):
    result = invoke(str(sample_out / "pretrain"), "--sample", "2", "--pos")
    assert result.exit_code == 0, result.output
    assert result.output.count("words]") == 2 and "legend" in result.output and "/VERB" in result.output
    result = invoke(str(sample_out), "--sample", "1")
    assert result.exit_code == 0, result.output
    assert result.output.count("words]") == 1


def test_ner_file_counts_entities_per_type(sample_out, manifest):
    text = plain(ner_file(sample_out / "ner" / "train.txt"))
    lines = text.splitlines()
    for kind, count in manifest["ner"]["entities"]["train"].items():
        row = next(line for line in lines if line.strip("│ ").startswith(kind + " "))
        assert f"{count:,}" in row
    assert f"{manifest['ner']['sentences']['train']:,} sentences" in text and "scheme BMEO" in text
    result = invoke(str(sample_out / "ner" / "dev.txt"), "--sample", "2")
    assert result.exit_code == 0, result.output
    assert "entities per type" in result.output


def test_ner_file_in_another_scheme(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("北\tB-LOC\n京\tI-LOC\n的\tO\n消\tB-ORG\n防\tI-ORG\n队\tI-ORG\n\n上\tB-LOC\n海\tI-LOC\n",
                    encoding="utf-8")
    text = plain(ner_file(path))
    assert "scheme BIO" in text and "2 sentences" in text and "3 entities" in text
    assert "北京:LOC" in text and "消防队:ORG" in text


@pytest.mark.parametrize("target, message", [
    ("folder", "neither a corpusctl output folder"),
    ("manifest.json", "inspect reads NER CoNLL files"),
    ("classification/train", "not corpusctl's pretrain/"),
    ("missing", "does not exist"),
])
def test_bad_paths_give_a_clear_error(sample_out, tmp_path, target, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.md").write_text("hello", encoding="utf-8")
    path = tmp_path / target if target in ("folder", "missing") else sample_out / target
    result = invoke(str(path))
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_bad_conll_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("北\tB-LOC\nno-tag-here\n", encoding="utf-8")
    result = invoke(str(path))
    assert result.exit_code == 2 and f"{path.name}:2" in result.output.replace("\n", "")
