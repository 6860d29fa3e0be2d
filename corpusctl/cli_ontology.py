"""`corpusctl ontology ...`: check an ontology folder, show its sizes, annotate a piece of text."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from corpusctl.errors import CorpusctlError
from corpusctl.ontology import DEFAULT_DIR

app = typer.Typer(help="The industrial ontology: validate, stats, annotate.", no_args_is_help=True,
                  rich_markup_mode=None)
console = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)

DIR_OPTION = typer.Option(DEFAULT_DIR, "--dir", "-d", help="Ontology folder (default: the shipped ontology/)")


def _fail(exc: CorpusctlError) -> None:
    err.print(f"error: {exc}")
    raise typer.Exit(2)


@app.callback()
def _group() -> None:
    """The industrial ontology: `corpusctl ontology validate|stats|annotate`."""


@app.command()
def validate(directory: Path = typer.Argument(DEFAULT_DIR, help="Ontology folder (default: the shipped ontology/)"),
             ) -> None:
    """Check concepts, homonym senses, categories and relations; every problem names its file, line and id.

    Example: corpusctl ontology validate ontology/
    """
    from corpusctl.ontology import ontology_stats, validate_ontology

    try:
        problems = validate_ontology(directory)
    except CorpusctlError as exc:
        _fail(exc)
    if problems:
        for problem in problems:
            console.print(str(problem))
        err.print(f"{directory}: {len(problems)} problem(s)")
        raise typer.Exit(1)
    stats = ontology_stats(directory)
    console.print(f"{directory}: OK — {stats['concepts']} concepts, {len(stats['categories'])} categories, "
                  f"{stats['homonyms']} homonyms, {stats['relations']} relations, depth {stats['depth']}")


@app.command()
def stats(directory: Path = DIR_OPTION,
          as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON")) -> None:
    """Sizes: concepts, terms, synonyms, categories, homonyms, relations by type, hierarchy depth.

    Example: corpusctl ontology stats --json
    """
    from corpusctl.ontology import ontology_stats

    try:
        figures = ontology_stats(directory)
    except CorpusctlError as exc:
        _fail(exc)
    if as_json:
        console.print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"ontology {directory}", show_header=False)
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def annotate(text: str = typer.Argument(..., help="Text to annotate"),
             directory: Path = DIR_OPTION,
             lexicons: list[Path] = typer.Option([], "--lexicon", "-l", help="Extra lexicon (`word [freq] [pos]`); "
                                                 "repeatable"),
             window: int = typer.Option(20, "--window", min=1, help="Cue window for homonyms, in characters"),
             as_json: bool = typer.Option(False, "--json", help="Print the spans as JSON")) -> None:
    """Mark ontology terms in TEXT: span, concept, category, homonym sense, parent chain.

    Example: corpusctl ontology annotate "配电柜接地线松动，灭火器压力不足"
    """
    from corpusctl.ontology import Annotator

    try:
        spans = Annotator.from_paths(directory, lexicons, window).annotate(text)
    except CorpusctlError as exc:
        _fail(exc)
    if as_json:
        console.print(json.dumps(spans, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(spans)} span(s)")
    for column in ("span", "text", "concept", "category", "sense", "parents"):
        table.add_column(column)
    for span in spans:
        sense = span["sense"] + ("" if span["resolved"] else " (default)") if span["sense"] else ""
        table.add_row(f"{span['start']}-{span['end']}", span["text"], span["concept_id"], span["category"], sense,
                      " → ".join(span["parent_terms"]))
    console.print(table)
