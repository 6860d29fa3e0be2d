"""The command line: parse arguments, call the library, render with rich. No pipeline logic lives here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from corpusctl import __version__
from corpusctl.cli_common import (
    EXIT_BUG,
    EXIT_FAILED,
    ctrl_c_seen,
    fail,
    interrupted,
    user_errors,
    watch_ctrl_c,
)
from corpusctl.cli_ner import app as ner_app
from corpusctl.cli_ontology import app as ontology_app
from corpusctl.cli_pii import app as pii_app
from corpusctl.cli_segmenter import app as segmenter_app
from corpusctl.errors import CorpusctlError, environment_message

app = typer.Typer(
    name="corpusctl",
    help="Build domain-adaptive pre-training corpora for Chinese language models.\n\n"
    "Example: corpusctl build recipes/sample.yaml",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # help texts are plain: `word [freq] [pos]` must not be read as markup
)
app.add_typer(ontology_app, name="ontology")
app.add_typer(ner_app, name="ner")
app.add_typer(segmenter_app, name="segmenter")
app.add_typer(pii_app, name="pii")
console = Console(emoji=False)
errors = Console(stderr=True, emoji=False)
plain = Console(markup=False, emoji=False)
"""For renderables built from corpus data (titles, reasons, file names): nothing in them is markup."""

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="KEY=VALUE",
    help="Override a recipe key (dotted path, YAML value), e.g. --set mask.epochs=3 or --set sources.0.encoding=gbk; "
    "repeatable. Checked like the recipe.")]


class PolledProgress(Progress):
    """A rich Progress whose tasks may be advanced from other processes: before each refresh it reads the
    shared-memory counters of the steps running in the background (vocabulary, exports)."""

    def __init__(self, *columns, **kwargs):
        self.polled: dict = {}  # task id -> counter (set first: the base class may render while starting)
        super().__init__(*columns, **kwargs)

    def get_renderables(self):
        for task_id, counter in list(self.polled.items()):
            self.update(task_id, completed=counter.value)
        yield from super().get_renderables()


class RichProgress:
    """Renders pipeline progress: one bar per stage with row counts and rows/s, and one per global step
    running alongside (vocabulary, NER and classification exports)."""

    def __init__(self, quiet: bool, console: Console = console):
        self.quiet = quiet
        self.bar = PolledProgress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console,
                                  disable=quiet, transient=False)
        self.task = None
        self.started = 0.0
        self.steps: dict = {}

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        self.bar.__exit__(*exc)

    def stage_started(self, name: str, total: int | None) -> None:
        import time

        self.started = time.perf_counter()
        self.task = self.bar.add_task(name, total=total, rate="")

    def advance(self, rows: int, nbytes: int) -> None:
        import time

        if self.task is None:
            return
        self.bar.advance(self.task, rows)
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        done = self._task(self.task).completed
        self.bar.update(self.task, rate=f"{done / elapsed:,.0f} rows/s")

    def _task(self, task_id):
        return next(task for task in self.bar.tasks if task.id == task_id)

    def stage_done(self, name: str, stats: dict, reused: bool) -> None:
        if reused:
            self.bar.console.print(f"[dim]{escape(f'{name:<22}')} reused checkpoint[/]") if not self.quiet else None
        elif self.task is not None:
            self.bar.update(self.task, total=self._task(self.task).completed)
        self.task = None

    def step_started(self, name: str, total: int | None, counter) -> None:
        task = self.bar.add_task(name, total=total, rate="rows read")
        self.steps[name] = task
        self.bar.polled[task] = counter

    def step_done(self, name: str) -> None:
        task = self.steps.pop(name, None)
        if task is None:
            return
        counter = self.bar.polled.pop(task)
        self.bar.update(task, completed=counter.value, total=counter.value)

    def message(self, text: str) -> None:
        if not self.quiet:
            self.bar.console.print(f"[yellow]{escape(text)}[/]")


@app.command()
def build(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
    output: Annotated[Path | None, typer.Option(help="Output folder (overrides the recipe's `output`).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for every random choice (overrides the recipe).")] = None,
    set_: SetOption = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes for per-batch stages (default: all cores).")] = None,
    executor: Annotated[str, typer.Option(help="local | ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (else RAY_ADDRESS, else a local Ray).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Reuse finished stage checkpoints of an earlier run.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first malformed input record.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output (for scripts).")] = False,
    keep_work: Annotated[bool, typer.Option("--keep-work", help="Keep the work folder .OUT.work after success "
                                            "(for later --resume runs; remove it with corpusctl clean OUT).")] = False,
) -> None:
    """Build the corpus a recipe describes.

    Example: corpusctl build recipes/sample.yaml --workers 2 --set mask.epochs=3
    """
    from corpusctl.io.workdir import discard_unfinished
    from corpusctl.pipeline import BuildOptions
    from corpusctl.pipeline import build as run_build
    from corpusctl.recipe import load_recipe

    if executor not in ("local", "ray"):
        fail(f"--executor must be local or ray, got {executor!r}")
    target = output.resolve() if output else "the output"
    try:
        overrides = {"seed": seed, "output": str(output.expanduser().resolve()) if output else None}
        loaded = load_recipe(recipe, overrides, set_ or [])
        target = loaded.output
        options = BuildOptions(workers=workers, executor=executor, ray_address=ray_address, resume=resume,
                               strict=strict, keep_work=keep_work)
        with RichProgress(quiet) as progress:
            result = run_build(loaded, options, progress)
    except CorpusctlError as exc:
        fail(exc)
    except KeyboardInterrupt:
        _stop_interrupted(target)
    except Exception as exc:
        if ctrl_c_seen():  # a library's own exception made of the KeyboardInterrupt
            _stop_interrupted(target)
        message = environment_message(exc) if isinstance(exc, (OSError, MemoryError)) else None
        if message is None:
            raise
        discard_unfinished()
        fail(f"{message}. {target} is unchanged; finished stages are kept, so rerun with --resume to continue",
             EXIT_FAILED)
    if not quiet:
        print_summary(result.manifest, result.output)


def _stop_interrupted(target) -> NoReturn:
    from corpusctl.io.workdir import discard_open_writers

    discard_open_writers()
    errors.print(f"interrupted: {escape(str(target))} unchanged; rerun with --resume to continue",
                 highlight=False, soft_wrap=True)
    raise typer.Exit(interrupted()) from None


def print_summary(manifest: dict, output: Path) -> None:
    table = Table(title=escape(f"corpusctl build → {output}"))
    for column in ("stage", "in", "out", "rejected", "seconds"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for name, stats in manifest["stages"].items():
        if "docs_in" not in stats:
            continue
        rejected = sum(stats.get("rejects", {}).values())
        table.add_row(escape(name), f"{stats.get('docs_in', '')}", f"{stats.get('docs_out', '')}", f"{rejected}",
                      f"{stats.get('seconds', '')}")
    console.print(table)
    mix_stats = manifest.get("mix") or {}
    shares = mix_stats.get("achieved") or {}
    if shares:
        target = mix_stats.get("target") or {}  # None when the mix is disabled: no target to compare with
        mix = Table(title="mix (share of characters)")
        for column in ("kind", "target", "achieved"):
            mix.add_column(column)
        for kind, share in shares.items():
            wanted = target.get(kind)
            mix.add_row(escape(kind), "—" if wanted is None else f"{wanted:.1%}", f"{share:.1%}")
        console.print(mix)
    pretrain = manifest.get("pretrain", {})
    console.print(escape(f"pretrain: {pretrain.get('rows')} rows in {pretrain.get('shards')} shards; "
                         f"vocab {manifest.get('vocab', {}).get('size')} tokens"))
    from corpusctl.inspect import warnings_text

    console.print(warnings_text(manifest))


@app.command()
def validate(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
    output: Annotated[Path | None, typer.Option(help="Output folder to check (as build --output).")] = None,
    set_: SetOption = None,
) -> None:
    """Check a recipe without building: everything build checks before it starts (keys, values, sizes,
    encodings, source paths, lexicons, the output folder). Every problem is listed with its key and line.

    Example: corpusctl validate recipes/sample.yaml --set sources.0.encoding=gbk
    """
    from corpusctl.preflight import require_ready
    from corpusctl.recipe import load_recipe

    with user_errors():
        loaded = load_recipe(recipe, {"output": str(output.expanduser().resolve()) if output else None}, set_ or [])
        require_ready(loaded)
    console.print(f"[green]ok[/] {escape(str(recipe))}: {len(loaded.sources)} sources, seed {loaded.seed}, "
                  f"output {escape(str(loaded.output))}", highlight=False)


@app.command()
def clean(output: Annotated[Path, typer.Argument(help="An output folder whose work folder to remove.")]) -> None:
    """Remove the work folder (.OUT.work beside OUT) that a failed or --keep-work build left.

    Example: corpusctl clean out/sample
    """
    from corpusctl.io.output import remove_work_folder, work_folder

    work = work_folder(output.expanduser().resolve())
    with user_errors():
        size = remove_work_folder(work)
    console.print(f"removed {work} ({size / 1e6:.1f} MB)" if size is not None else f"no work folder at {work}")


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="An output folder, its pretrain/ folder, or a NER .txt file.")],
    sample: Annotated[int | None, typer.Option(help="Show N decoded examples (or N NER sentences).")] = None,
    pos: Annotated[bool, typer.Option("--pos", help="Show each word's Universal POS tag.")] = False,
) -> None:
    """Summarize a built corpus, show decoded examples, or summarize a NER file.

    Examples: corpusctl inspect out/sample; corpusctl inspect out/sample/pretrain --sample 2 --pos;
    corpusctl inspect out/sample/ner/train.txt
    """
    from corpusctl.inspect import inspect_path

    if not path.exists():
        fail(f"{path} does not exist")
    with user_errors():
        plain.print(inspect_path(path, sample, pos))


def version_callback(value: bool) -> None:
    if value:
        console.print(f"corpusctl {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                         help="Show the version and exit.")] = False,
) -> None:
    """corpusctl: Chinese domain-adaptive pre-training corpora."""


def main() -> None:
    watch_ctrl_c()
    try:
        app()
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(interrupted())
    except Exception as exc:  # a bug, not a user error: say so briefly; the traceback is one variable away
        if ctrl_c_seen():  # a library's own exception made of the KeyboardInterrupt
            errors.print("interrupted")
            sys.exit(interrupted())
        message = environment_message(exc)
        if message is not None:  # the machine failed (full disk, permissions, memory), not corpusctl
            errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            sys.exit(EXIT_FAILED)
        if os.environ.get("CORPUSCTL_DEBUG"):
            raise
        errors.print(f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')}\n"
                     "This is a bug in corpusctl. Rerun with CORPUSCTL_DEBUG=1 for the traceback and report it.",
                     highlight=False)
        sys.exit(EXIT_BUG)


if __name__ == "__main__":
    main()
