"""`corpusctl ontology ...`: check an ontology folder, show its sizes, annotate a piece of text."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from corpusctl.cli_common import EXIT_FAILED, EXIT_USAGE, fail, user_errors
from corpusctl.ontology import DEFAULT_DIR

app = typer.Typer(help="The industrial ontology: validate, stats, annotate.", no_args_is_help=True,
                  rich_markup_mode=None)
console = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)

DIR_OPTION = typer.Option(DEFAULT_DIR, "--dir", "-d", help="Ontology folder (default: the shipped ontology/)")


@app.callback()
def _group() -> None:
    """The industrial ontology: `corpusctl ontology validate|stats|annotate`."""


def _exit_on_problems(problems: list, summary: str) -> None:
    """Print each problem (one line each, with its file and line) and the summary, then exit 1; nothing if none."""
    if problems:
        for problem in problems:
            console.print(str(problem))
        err.print(summary)
        raise typer.Exit(EXIT_FAILED)


@app.command()
def validate(directory: Path = typer.Argument(DEFAULT_DIR, help="Ontology folder (default: the shipped ontology/)"),
             ) -> None:
    """Check concepts, homonym senses, categories and relations; every problem names its file, line and id.

    Example: corpusctl ontology validate ontology/
    """
    from corpusctl.ontology import ontology_stats, validate_ontology

    with user_errors():
        problems = validate_ontology(directory)
    _exit_on_problems(problems, f"{directory}: {len(problems)} problem(s)")
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

    with user_errors():
        figures = ontology_stats(directory)
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
             window: int = typer.Option(20, "--window", min=1, help="Evidence window for homonyms, in characters"),
             explain: bool = typer.Option(False, "--explain", help="Also print, per homonym, each sense's score "
                                          "and the evidence words behind it"),
             as_json: bool = typer.Option(False, "--json", help="Print the spans as JSON")) -> None:
    """Mark ontology terms in TEXT: span, concept, category, homonym sense, parent chain.

    Example: corpusctl ontology annotate "配电柜接地线松动，灭火器压力不足"
    """
    from corpusctl.ontology import Annotator

    with user_errors():
        annotator = Annotator.from_paths(directory, lexicons, window)
    spans = annotator.annotate(text)
    explained = annotator.explain(text) if explain else []
    if as_json:
        console.print(json.dumps({"spans": spans, "homonyms": explained} if explain else spans,
                                 ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(spans)} span(s)")
    for column in ("span", "text", "concept", "category", "sense", "parents"):
        table.add_column(column)
    for span in spans:
        sense = span["sense"] if span["resolved"] else "(abstained)"
        table.add_row(f"{span['start']}-{span['end']}", span["text"], span["concept_id"], span["category"], sense,
                      " → ".join(span["parent_terms"]))
    console.print(table)
    for item in explained:
        _print_explanation(item)


def _print_explanation(item: dict, shown: int = 8) -> None:
    """One homonym occurrence: the decision, then per sense its score and strongest evidence."""
    decision = item["sense"] or "abstained"
    console.print(f"{item['text']} @{item['start']}-{item['end']}: {decision} (margin {item['margin']})")
    for sense in sorted(item["senses"], key=lambda s: -s["score"]):
        evidence = ", ".join(f"{e['word']} {e['kind']} {e['weight']:+.2f}@{e['distance']}"
                             for e in sense["evidence"][:shown])
        more = f", … {len(sense['evidence']) - shown} more" if len(sense["evidence"]) > shown else ""
        default = " (default)" if sense["default"] else ""
        console.print(f"  {sense['sense']}{default} [{sense['category'] or 'not an entity'}] "
                      f"score {sense['score']:.2f}: {evidence or 'no evidence'}{more}")


@app.command("eval")
def eval_(files: list[Path] = typer.Argument(..., help="Evaluation files: split<TAB>term<TAB>sense<TAB>sentence lines"),
          directory: Path = DIR_OPTION,
          window: int = typer.Option(20, "--window", min=1, help="Evidence window for homonyms, in characters"),
          errors: bool = typer.Option(False, "--errors", help="List the sentences that went wrong"),
          as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON")) -> None:
    """Homonym sense accuracy on hand-written sentences: overall, on non-default senses, and abstentions,
    per split (e.g. tuned / heldout) and in all.

    Example: corpusctl ontology eval ontology/eval/homonyms.tsv ontology/eval/homonyms_heldout.tsv --errors
    """
    from corpusctl.ontology import Annotator, load_ontology
    from corpusctl.ontology.senses import evaluate, read_eval_set

    items = []
    with user_errors():
        ontology = load_ontology(directory)
        for file in files:
            try:
                items += read_eval_set(file)
            except OSError as exc:
                fail(f"{file}: {exc.strerror}")
    terms = {c.term: c for c in ontology.homonyms}
    unknown = [f"{i.file}:{i.line}: {i.term!r} is not a homonym of {directory}" for i in items if i.term not in terms]
    unknown += [f"{i.file}:{i.line}: {i.term} has no sense {i.sense!r}" for i in items
                if i.term in terms and i.sense not in {s.id for s in terms[i.term].senses}]
    if unknown:
        for line in unknown:
            err.print(line)
        raise typer.Exit(EXIT_USAGE)
    annotator = Annotator(ontology, window=window)
    result = evaluate(annotator.annotate, items, {t: c.default_sense for t, c in terms.items()})
    if as_json:
        console.print(json.dumps(result if errors else result["splits"], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"homonym senses on {', '.join(map(str, files))}")
    for column in ("split", "sentences", "accuracy", "non-default", "non-default accuracy", "abstained"):
        table.add_column(column, justify="right")
    for split, f in sorted(result["splits"].items(), key=lambda kv: (kv[0] == "all", kv[0])):
        table.add_row(split, str(f["n"]), f"{f['accuracy']:.1%} ({f['correct']})", str(f["non_default"]),
                      f"{f['non_default_accuracy']:.1%} ({f['non_default_correct']})",
                      f"{f['abstention_rate']:.1%} ({f['abstained']})")
    console.print(table)
    if errors:
        for e in result["errors"]:
            console.print(f"{e['file']}:{e['line']} [{e['split']}] {e['term']}: want {e['want']}, got "
                          f"{e['got'] or '(abstained)'} — {e['text']}")


@app.command("import")
def import_(source: Path = typer.Argument(..., help="Term table (.csv/.tsv/.xlsx: term, synonyms, category, parent"
                                                    "[, id, gloss; sense, cues, examples, default for homonyms]) or "
                                                    "SKOS (.ttl, .rdf, .owl, .nt)"),
            out: Path = typer.Argument(..., help="Ontology folder to write (new or empty)"),
            relations: Path | None = typer.Option(None, "--relations", help="Extra pairs: head,relation,tail CSV "
                                                                           "(terms or ids)"),
            category: str | None = typer.Option(None, "--category", help="Category for rows or concepts without one"),
            mapping: list[str] = typer.Option([], "--map", help="LABEL=CATEGORY: a SKOS concept and everything below "
                                                                "it take CATEGORY; repeatable"),
            lang: str = typer.Option("zh", "--lang", help="Language of the SKOS labels to use"),
            sheet: str | None = typer.Option(None, "--sheet", help="Sheet of an .xlsx workbook (default: the first)"),
            force: bool = typer.Option(False, "--force", help="Overwrite the ontology files of a non-empty OUT")) -> None:
    """Build an ontology folder from a term table or a SKOS thesaurus; problems name their line.

    Example: corpusctl ontology import terms.xlsx my_ontology --relations pairs.csv
    """
    from corpusctl.ontology import ontology_stats
    from corpusctl.ontology.importer import import_ontology

    pairs = {}
    for item in mapping:
        label, sep, name = item.partition("=")
        if not sep or not label or not name:
            fail(f"--map {item!r}: expected LABEL=CATEGORY")
        pairs[label] = name
    with user_errors():
        result = import_ontology(source, out, relations=relations, category=category, mapping=pairs, lang=lang,
                                 force=force, sheet=sheet)
    for warning in result.warnings[:20]:
        err.print(f"warning: {warning}")
    if len(result.warnings) > 20:
        err.print(f"warning: … and {len(result.warnings) - 20} more")
    _exit_on_problems(result.problems, f"{source}: {len(result.problems)} problem(s); nothing usable was written")
    stats = ontology_stats(out)
    console.print(f"{out}: {stats['concepts']} concepts, {stats['terms']} terms, {stats['relations']} relations, "
                  f"depth {stats['depth']} — imported from {source}")
