"""`corpusctl pii ...`: report what personal data a source holds, without building."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from corpusctl.cli_common import EXIT_FAILED, user_errors
from corpusctl.errors import CorpusctlError

app = typer.Typer(help="Personal data (ID cards, phones, bank cards, e-mails, names after role cues).",
                  no_args_is_help=True,
                  rich_markup_mode=None)
console = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)


@app.callback()
def _group() -> None:
    """Personal data in sources: `corpusctl pii scan PATH`."""


@app.command()
def scan(
    path: Path = typer.Argument(..., help="A .jsonl/.txt/.csv file or a folder holding them"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    types: str | None = typer.Option(None, "--types", help="Comma-separated types (default: all but ip), e.g. "
                                     "id_card,mobile,landline,email,bank_card,person,ip"),
    roles: Path | None = typer.Option(None, "--roles", help="Role-cue lexicon (default: lexicons/pii_roles.txt)"),
    examples: int = typer.Option(3, "--examples", min=0, help="Masked examples per type"),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the files (e.g. gbk, utf-8-sig)"),
) -> None:
    """Count personal data per type in PATH and show a few masked examples (e.g. 138****5678). A file that
    cannot be read is named with the reason and the scan goes on (exit 1 when any was skipped).

    Example: corpusctl pii scan sample_data/industrial --encoding utf-8
    """
    import codecs

    from pydantic import ValidationError

    from corpusctl.pii_scan import scan as scan_paths
    from corpusctl.stages.pii import PiiConfig

    with user_errors(EXIT_FAILED):
        options: dict = {"roles": roles}
        if types:
            options["types"] = [t.strip() for t in types.split(",") if t.strip()]
        try:
            config = PiiConfig(**options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise CorpusctlError(f"--types/--roles: {problems}") from None
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CorpusctlError(f"--encoding: unknown encoding {encoding!r} (e.g. utf-8, gbk, gb18030, big5)") from None
        report = scan_paths(path, config, max_examples=examples, encoding=encoding)
    if as_json:
        console.print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(path, report)
    for file, problem in report["errors"].items():
        err.print(Text.assemble(("skipped ", "yellow"), f"{file}: {problem}"))
    if report["errors"]:
        raise typer.Exit(EXIT_FAILED)


def print_report(path: Path, report: dict) -> None:
    table = Table(title=f"personal data in {path} ({len(report['files'])} files, {report['chars']:,} chars)")
    table.add_column("type")
    table.add_column("found", justify="right")
    table.add_column("examples (masked)")
    for kind in report["types"]:
        table.add_row(kind, f"{report['counts'][kind]:,}", "  ".join(report["examples"][kind]))
    table.add_row("total", f"{report['total']:,}", "")
    console.print(table)
