"""`corpusctl ner ...`: export NER splits, convert between tag schemes, validate and count CoNLL files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from corpusctl.cli_common import EXIT_FAILED, user_errors
from corpusctl.errors import CorpusctlError

app = typer.Typer(help="NER files: export BMEO splits, convert schemes, validate, stats.", no_args_is_help=True,
                  rich_markup_mode=None)
console = Console(soft_wrap=True, highlight=False, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)

SchemeOption = typer.Option(None, "--scheme", "-s", help="bmeo | bio | bioes | bmes (default: from the file suffix or its tags)")


def _read_sentences(path: Path, scheme: str | None) -> tuple[str, list[tuple[str, list[tuple[int, int, str]]]]]:
    """(scheme, [(text, spans)]) from a CoNLL file or an exported `*.jsonl`."""
    from corpusctl.exports.schemes import guess_scheme, read_conll, scheme_name

    if path.suffix == ".jsonl":
        out = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                record = json.loads(line)
                out.append((record["text"], [tuple(e) for e in record["entities"]]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CorpusctlError(f"{path}:{number}: expected {{\"text\", \"entities\"}} JSON ({exc})") from None
        return "spans", out
    sentences = list(read_conll(path))
    scheme = scheme_name(scheme) if scheme else guess_scheme((t for s in sentences for t in s.tags), path)
    return scheme, [(s.text, s.char_spans(scheme)) for s in sentences]


@app.command()
def export(
    target: Path = typer.Argument(..., help="A recipe (built first, reusing finished stages) or an output folder "
                                  "holding pretrain/ and manifest.json"),
    scheme: str | None = typer.Option(None, "--scheme", "-s", help="Override the recipe's ner.scheme"),
    seed: int | None = typer.Option(None, help="Override the seed of the NER split"),
    strict: bool = typer.Option(False, "--strict", help="Bad annotation records are errors, not rejects"),
) -> None:
    """Write OUT/ner: from a recipe (builds it like `build --resume --keep-work`, so annotators iterating on a
    recipe reuse finished stages; `corpusctl clean OUT` removes the work folder), or re-export it from
    OUT/pretrain with the recipe recorded in OUT/manifest.json (which, with report.html, is updated to match).

    Example: corpusctl ner export out/sample --scheme bio
    """
    with user_errors(EXIT_FAILED):
        if target.is_file():
            console.print(f"building {target} (finished stages of an earlier run are reused)")
            out, stats, reused = export_from_recipe(target, scheme=scheme, seed=seed, strict=strict)
            if reused:
                console.print(f"reused {len(reused)} finished stage(s): {', '.join(reused)}")
        else:
            out, stats = target, export_from_output(target, scheme=scheme, seed=seed, strict=strict)
        sizes = stats["sentences"]
        console.print(
            f"wrote {out / 'ner'}: {sizes['train']} train / {sizes['dev']} dev / {sizes['test']} test sentences, "
            f"{len(stats['entity_types'])} entity types, scheme {stats['scheme']}; "
            f"{stats['dedup']['grouped']} sentences kept with their duplicates, {sum(stats['rejects'].values())} rejects"
        )


def export_from_recipe(recipe_path: Path, scheme: str | None = None, seed: int | None = None,
                       strict: bool = False) -> tuple[Path, dict, list[str]]:
    """Build a recipe (reusing finished checkpoints) and return (output folder, NER stats, reused stages).

    The build writes OUT/ner itself; it is exported again from OUT/pretrain only when the recipe disables
    `ner` or a scheme/seed override asks for other files than the recipe's."""
    from corpusctl.pipeline import BuildOptions, build
    from corpusctl.recipe import load_recipe

    result = build(load_recipe(recipe_path), BuildOptions(resume=True, strict=strict, keep_work=True))
    stats = result.manifest.get("ner") or {}
    if scheme or seed is not None or "sentences" not in stats:
        stats = export_from_output(result.output, scheme=scheme, seed=seed, strict=strict)
    return result.output, stats, result.reused


def export_from_output(target: Path, scheme: str | None = None, seed: int | None = None, strict: bool = False) -> dict:
    """`ner export OUT` as a function: reads pretrain/ row by row (it needs the `terms`,
    `title_terms` and `sentences` columns the ontology and format stages add)."""
    from corpusctl.exports.ner import NerConfig, export_ner
    from corpusctl.exports.schemes import scheme_name

    target = Path(target)
    if target.is_file():
        raise CorpusctlError(f"{target}: `export_from_output` takes an output folder; use export_from_recipe for a recipe")
    if not (target / "pretrain").is_dir():
        raise CorpusctlError(f"{target}: no pretrain/ folder here; pass the output folder of a finished build")
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    section = dict((manifest.get("recipe") or {}).get("ner") or {})
    if scheme:
        section["scheme"] = scheme_name(scheme)
    try:
        config = NerConfig.model_validate(section)
    except ValueError as exc:
        raise CorpusctlError(f"{manifest_path}: invalid ner section: {exc}") from None
    import datasets

    data = datasets.load_from_disk(str(target / "pretrain"))
    missing = {"id", "text", "terms", "sentences"} - set(data.column_names)
    if missing:
        raise CorpusctlError(f"{target / 'pretrain'}: missing column(s) {', '.join(sorted(missing))} needed for the NER export")
    columns = [c for c in ("id", "title", "text", "terms", "title_terms", "sentences") if c in data.column_names]

    def rows() -> Iterator[dict]:
        for batch in data.select_columns(columns).iter(batch_size=1000):
            for i in range(len(batch["id"])):
                yield {c: batch[c][i] for c in columns}

    from corpusctl.exports.distant import with_words  # the distant rules read the build's words and POS

    segmented, ontology_dir = with_words(rows(), manifest.get("recipe"))
    rejects: list[dict] = []
    stats = export_ner(segmented, target / "ner", config, manifest.get("seed", 42) if seed is None else seed, strict=strict, rejects=rejects,
                       ontology_dir=ontology_dir)
    (target / "rejects" / "ner.jsonl").unlink(missing_ok=True)  # the earlier export's, if any
    if rejects:
        (target / "rejects").mkdir(exist_ok=True)
        with (target / "rejects" / "ner.jsonl").open("w", encoding="utf-8") as handle:
            for reject in rejects:
                handle.write(json.dumps(reject, ensure_ascii=False) + "\n")
    if manifest_path.is_file():
        from corpusctl.manifest import rewrite_output_manifest

        rewrite_output_manifest(target, {**manifest, "ner": stats})
    return stats


@app.command()
def convert(
    source: Path = typer.Argument(..., exists=True, dir_okay=False, help="CoNLL file to read"),
    target: Path = typer.Argument(..., help="CoNLL file to write"),
    from_scheme: str = typer.Option(..., "--from", help="bmeo | bio | bioes | bmes"),
    to_scheme: str = typer.Option(..., "--to", help="bmeo | bio | bioes | bmes"),
    force: bool = typer.Option(False, "--force", help="Write even invalid tags, or tags the target scheme cannot express"),
    repair: bool = typer.Option(False, "--repair", help="Re-tag broken entities (e.g. I-X after O) as conlleval reads them"),
) -> None:
    """Convert a CoNLL file between tag schemes; refuses (exit 1), naming every bad line, when the input has
    invalid tags or information would be lost.

    Example: corpusctl ner convert people_daily.bio train.txt --from bio --to bmeo --repair
    """
    from corpusctl.exports.schemes import convert_file

    with user_errors(EXIT_FAILED):
        stats = convert_file(source, target, from_scheme, to_scheme, force=force, repair=repair)
    for line in stats["repaired"][:20]:
        err.print(Text.assemble(("repaired: ", "yellow"), line))
    if stats["repaired"]:
        more = " (first 20 above)" if len(stats["repaired"]) > 20 else ""
        err.print(Text.assemble(("warning: ", "yellow"), f"repaired {stats['repaired_spans']} span(s){more}"))
    for line in (stats["invalid"] + stats["lossy"])[:20]:
        err.print(Text.assemble(("warning: ", "yellow"), line))
    if stats["invalid"] or stats["lossy"]:
        err.print(Text.assemble(("warning: ", "yellow"), f"{len(stats['invalid'])} invalid tag(s) and "
                                f"{len(stats['lossy'])} tag(s) that changed meaning written because of --force"))
    console.print(f"wrote {target}: {stats['sentences']} sentences, {stats['entities']} entities, {to_scheme.upper()}")


@app.command("import")
def import_(
    source: Path = typer.Argument(..., exists=True, dir_okay=False, help="Annotation export to read"),
    target: Path = typer.Argument(..., help="CoNLL file to write (one character and its tag per line)"),
    fmt: str | None = typer.Option(None, "--format", "-f", help="labelstudio | doccano | cluener | conll "
                                   "(default: detected from the file)"),
    to_scheme: str = typer.Option("bmeo", "--to", help="bmeo | bio | bioes | bmes"),
    from_scheme: str | None = typer.Option(None, "--from", help="Scheme of a CoNLL input (default: guessed)"),
    strict: bool = typer.Option(False, "--strict", help="Refuse the file at the first span that cannot be kept"),
) -> None:
    """Turn a Label Studio, doccano, CLUENER or CoNLL export into a tagged CoNLL file, with the importers the
    build uses. Every span is kept; overlapping, out-of-range and malformed ones are reported by file:line.

    Example: corpusctl ner import cluener/train.json train.txt --to bmeo
    """
    from corpusctl.exports.importers import import_annotations, write_annotations

    with user_errors(EXIT_FAILED):
        result = import_annotations(source, strict=strict, fmt=fmt.lower() if fmt else None, scheme=from_scheme,
                                    keep_spans=True)
        written = write_annotations(result.annotations, target, to_scheme)
    notes = result.problems + written["blank"]
    for line in notes[:20]:
        err.print(Text.assemble(("warning: ", "yellow"), line))
    for reject in result.rejects[:20]:
        err.print(Text.assemble(("skipped: ", "yellow"), reject["detail"]))
    if len(notes) > 20 or len(result.rejects) > 20:
        err.print(f"(first 20 shown: {len(notes)} span problem(s), {len(result.rejects)} skipped record(s))")
    console.print(f"wrote {target}: {written['sentences']} sentences, {written['spans']} of {result.spans_read} "
                  f"spans, {written['scheme']}; {len(notes)} span problem(s), {len(result.rejects)} record(s) "
                  f"skipped, {result.skipped} without annotations")


@app.command()
def validate(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CoNLL file"),
    scheme: str | None = SchemeOption,
) -> None:
    """List every bad tag and transition as file:line; exit 1 if there is any.

    Example: corpusctl ner validate out/sample/ner/train.txt --scheme bmeo
    """
    from corpusctl.exports.schemes import guess_scheme, read_conll, scheme_name, validate_file

    with user_errors(EXIT_FAILED):
        scheme = scheme_name(scheme) if scheme else guess_scheme((t for s in read_conll(file) for t in s.tags), file)
        problems = validate_file(file, scheme)
    for problem in problems:
        console.print(problem)
    if problems:
        err.print(f"{file}: {len(problems)} problem(s) for scheme {scheme}")
        raise typer.Exit(EXIT_FAILED)
    console.print(f"{file}: valid {scheme}")


@app.command()
def stats(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CoNLL file or exported .jsonl"),
    scheme: str | None = SchemeOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Sentences, characters and entities per type.

    Example: corpusctl ner stats out/sample/ner/dev.txt --json
    """
    with user_errors(EXIT_FAILED):
        used, sentences = _read_sentences(file, scheme)
    per_type = Counter(kind for _, spans in sentences for _, _, kind in spans)
    summary = {
        "file": str(file),
        "scheme": used,
        "sentences": len(sentences),
        "chars": sum(len(text) for text, _ in sentences),
        "entities": sum(per_type.values()),
        "entity_types": dict(sorted(per_type.items())),
        "sentences_without_entities": sum(1 for _, spans in sentences if not spans),
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    console.print(f"{file} ({used}): {summary['sentences']} sentences, {summary['chars']} chars, {summary['entities']} entities")
    table = Table("type", "entities")
    for kind, count in summary["entity_types"].items():
        table.add_row(kind, str(count))
    console.print(table)


@app.command("eval")
def eval_(
    gold: Path = typer.Argument(..., help="Hand-labelled sentences: .jsonl, CoNLL, or a .tsv of references into the "
                                          "external corpora"),
    pred: Path | None = typer.Argument(None, help="Predicted labels for the same sentences (.jsonl or CoNLL); "
                                                  "default: the ontology's distant labels of the gold texts"),
    ontology: Path | None = typer.Option(None, "--ontology", help="Ontology folder for distant labels (default: the "
                                                                 "shipped ontology/)"),
    lexicons: list[Path] = typer.Option([], "--lexicon", "-l", help="Segmenter lexicon for distant labels; repeatable"),
    external: Path | None = typer.Option(None, "--external", help="Root of the external corpora a .tsv gold refers "
                                                                 "to (default: ../shared/external)"),
    save_pred: Path | None = typer.Option(None, "--save-pred", help="Write the distant labels as .jsonl"),
    scheme: str | None = SchemeOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Per-type precision, recall and F1 of PRED against GOLD (seqeval, strict).

    Example: corpusctl ner eval ontology/eval/ner_gold.jsonl --save-pred pred.jsonl
    """
    from corpusctl.exports.ner_eval import align, distant_labels, read_sentences, score
    from corpusctl.ontology import DEFAULT_DIR

    with user_errors(EXIT_FAILED):
        gold_sentences = read_sentences(gold, scheme, external)
        if pred is not None:
            predicted = align(gold_sentences, read_sentences(pred, scheme), str(pred))
        else:
            predicted = distant_labels([t for t, _ in gold_sentences], ontology or DEFAULT_DIR, lexicons)
        if save_pred is not None:
            save_pred.write_text("".join(json.dumps({"text": t, "entities": [list(s) for s in spans]},
                                                    ensure_ascii=False) + "\n"
                                         for (t, _), spans in zip(gold_sentences, predicted, strict=True)),
                                 encoding="utf-8")
        figures = score(gold_sentences, predicted)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    overall = figures["overall"]
    console.print(f"{gold}: {overall['sentences']} sentences, {overall['support']} gold entities, "
                  f"{overall['predicted']} predicted ({'distant labels' if pred is None else pred})")
    table = Table("type", "precision", "recall", "F1", "support", title="seqeval, strict")
    for kind, row in sorted(figures.items(), key=lambda kv: (kv[0] == "overall", kv[0])):
        table.add_row(kind, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", str(row["support"]))
    console.print(table)
