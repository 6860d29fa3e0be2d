"""The exit-code table (corpusctl/cli_common.py) is what the commands return and what README.md says."""

import re

import pytest
import typer
from helpers import ROOT
from typer.testing import CliRunner

from corpusctl import cli
from corpusctl.cli import app
from corpusctl.cli_common import EXIT_BUG, EXIT_CODES, EXIT_FAILED, EXIT_USAGE, fail


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_readme_lists_every_exit_code():
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("Exit codes", 1)[1].split("\n\n", 2)[1]
    assert {int(code) for code in re.findall(r"^\| `(\d+)` \|", table, re.M)} == set(EXIT_CODES)


def test_user_mistakes_exit_2_or_1_as_the_table_says(tmp_path):
    conll = tmp_path / "bad.txt"
    conll.write_text("阀 I-EQUIPMENT\n门 O\n", encoding="utf-8")
    assert run("validate", tmp_path / "missing.yaml").exit_code == EXIT_USAGE
    assert run("inspect", tmp_path / "missing").exit_code == EXIT_USAGE
    assert run("segmenter", "eval", tmp_path / "missing.txt").exit_code == EXIT_USAGE
    assert run("ontology", "validate", tmp_path / "missing").exit_code == EXIT_USAGE
    assert run("ner", "validate", conll, "--scheme", "bilou").exit_code == EXIT_FAILED  # ner: 1 for a bad argument
    assert run("ner", "validate", conll, "--scheme", "bio").exit_code == EXIT_FAILED  # a checked file has problems
    assert run("pii", "scan", tmp_path / "missing").exit_code == EXIT_FAILED


def test_fail_prints_one_line_never_read_as_markup(capsys):
    with pytest.raises(typer.Exit) as raised:
        fail("[red]:x:[/red].jsonl matches no files", EXIT_USAGE)
    assert raised.value.exit_code == EXIT_USAGE
    assert capsys.readouterr().err == "error: [red]:x:[/red].jsonl matches no files\n"


def test_a_bug_exits_70(monkeypatch, capsys):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.delenv("CORPUSCTL_DEBUG", raising=False)
    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as raised:
        cli.main()
    assert raised.value.code == EXIT_BUG and "This is a bug in corpusctl" in capsys.readouterr().err
