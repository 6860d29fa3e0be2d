"""Progress for the long global steps and `segmenter train`, and an example in every command's --help
(issue 16, item 7)."""

from __future__ import annotations

import io
import multiprocessing
import textwrap

import pytest
import typer.main
from helpers import ROOT
from rich.console import Console
from typer.testing import CliRunner

from corpusctl.cli import RichProgress, app


def commands(command=None, path=()):
    command = command or typer.main.get_command(app)
    if getattr(command, "commands", None):
        for name, sub in command.commands.items():
            yield from commands(sub, (*path, name))
    else:
        yield path


@pytest.mark.parametrize("path", commands(), ids=" ".join)
def test_every_command_help_shows_an_example(path):
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example: corpusctl " + " ".join(path) in " ".join(result.output.split()) or (
        "Examples: corpusctl " + " ".join(path) in " ".join(result.output.split()))


def test_a_step_in_another_process_shows_its_progress():
    out = io.StringIO()
    progress = RichProgress(quiet=False, console=Console(file=out, force_terminal=True, width=120))
    counter = multiprocessing.get_context("fork").RawValue("q", 0)
    with progress:
        progress.step_started("NER export", 10, counter)
        process = multiprocessing.get_context("fork").Process(target=_advance, args=(counter, 7))
        process.start()
        process.join()
        progress.bar.refresh()
        assert "7/10" in out.getvalue()
        progress.step_done("NER export")
        progress.bar.refresh()
    assert "7/7" in out.getvalue() and "NER export" in out.getvalue()


def _advance(counter, rows: int) -> None:
    for _ in range(rows):
        counter.value += 1


class Recording:
    """A Progress that remembers the global steps and their counters."""

    def __init__(self):
        self.steps: dict[str, tuple] = {}
        self.done: list[str] = []

    def stage_started(self, name, total): ...
    def advance(self, rows, nbytes): ...
    def stage_done(self, name, stats, reused): ...
    def message(self, text): ...

    def step_started(self, name, total, counter):
        self.steps[name] = (total, counter)

    def step_done(self, name):
        self.done.append(name)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_the_build_reports_progress_of_vocabulary_and_exports(tmp_path, workers):
    from corpusctl.pipeline import BuildOptions, build
    from corpusctl.recipe import load_recipe

    reports = (ROOT / "sample_data" / "industrial" / "inspection_reports.jsonl").read_text(encoding="utf-8")
    (tmp_path / "reports.jsonl").write_text("\n".join(reports.splitlines()[:80]) + "\n", encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent("""\
        name: progress
        output: out
        sources:
          - {name: reports, path: reports.jsonl, format: jsonl,
             text_field: content, title_field: title, label_field: category, domain: industrial,
             kind: inspection_report}
        mix: {enabled: false}
        vocab: {size: 2000}
        mask: {epochs: 1}
        report: {enabled: false}
        """), encoding="utf-8")
    recording = Recording()
    result = build(load_recipe(recipe), BuildOptions(workers=workers), recording)
    examples = result.manifest["stages"]["format"]["docs_out"]
    assert set(recording.steps) == set(recording.done) == {"vocab", "NER export", "classification export"}
    total, counter = recording.steps["vocab"]
    assert total == counter.value == 2 * examples  # the alphabet pass and the training pass
    total, counter = recording.steps["NER export"]
    assert total == counter.value == examples
    total, counter = recording.steps["classification export"]
    assert total is None and counter.value >= result.manifest["stages"]["ontology"]["docs_out"]


def test_segmenter_training_reports_each_epoch():
    from corpusctl.segmenter.training import EpochLog

    seen = []
    log = EpochLog(lambda epoch, f1: seen.append((epoch, f1)))
    log.write("start training...\niter0  diff=1.00e+100  train-time(sec)=0.39  f-sc")
    log.write("ore=83.64%\niter1  diff=1.00e+100  train-time(sec)=0.32  f-score=88.46%\nfinished.\n")
    assert seen == [(1, pytest.approx(0.8364)), (2, pytest.approx(0.8846))]
    assert "f-score=88.46%" in log.getvalue()
