"""`corpusctl segmenter ...`: train a local pkuseg model, cut text, score against gold, compare rjieba with jieba."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from corpusctl.cli_common import user_errors
from corpusctl.errors import CorpusctlError

app = typer.Typer(help="Word segmentation backends: train a pkuseg model, cut, evaluate, compare.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  rich_markup_mode=None)
console = Console(markup=False, emoji=False)  # nothing user-supplied is ever read as markup

DEFAULT_LEXICON = Path(__file__).resolve().parent.parent / "lexicons" / "industrial_terms.txt"

LexiconOption = Annotated[list[Path] | None, typer.Option(
    "--lexicon", "-l", help="User dictionary (`word [freq] [pos]` lines); repeatable. "
    "Default: the shipped lexicons/industrial_terms.txt.")]
NoLexiconOption = Annotated[bool, typer.Option("--no-lexicon", help="Use no user dictionary at all.")]
BackendOption = Annotated[str, typer.Option("--backend", "-b", help="jieba | rjieba | pkuseg")]
ModelOption = Annotated[Path | None, typer.Option("--model", "-m", help="pkuseg model folder (from `train`).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _user_words(lexicons: list[Path] | None, no_lexicon: bool) -> list[tuple]:
    from corpusctl.lexicons import user_words
    from corpusctl.segmenter.backends import merge_user_words

    if no_lexicon:
        return []
    paths = lexicons or ([DEFAULT_LEXICON] if DEFAULT_LEXICON.is_file() else [])
    return merge_user_words(*(user_words(path) for path in paths))


def _read_texts(path: Path, field: str | None) -> list[str]:
    """Texts of a file: JSONL or CSV (`field`, else the first of `text`, `content`, `body`, `answer`), or plain text
    (one text per line)."""
    import csv

    try:
        raw = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise CorpusctlError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise CorpusctlError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if path.suffix not in (".jsonl", ".csv"):
        return [line for line in raw.splitlines() if line.strip()]
    names = [field] if field else ["text", "content", "body", "answer"]
    if path.suffix == ".csv":
        records = [(number, row) for number, row in enumerate(csv.DictReader(raw.splitlines(keepends=True)), 2)]
    else:
        records = []
        for number, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    records.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise CorpusctlError(f"{path}:{number}: not JSON ({exc.msg})") from None
    texts = []
    for number, record in records:
        value = next((record[name] for name in names if isinstance(record.get(name), str)), None)
        if value is None:
            raise CorpusctlError(f"{path}:{number}: no text field {' or '.join(map(repr, names))}")
        texts.append(value)
    return texts


@app.command()
def train(
    gold: Annotated[list[Path], typer.Argument(help="Gold-segmented text: one sentence per line, words separated "
                                               "by spaces (SIGHAN format; `word/tag` tokens also accepted).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write.")],
    lexicon: LexiconOption = None,
    no_lexicon: NoLexiconOption = False,
    epochs: Annotated[int, typer.Option("--epochs", "-e", min=1, help="Training iterations.")] = 10,
    dev: Annotated[Path | None, typer.Option(help="Gold file scored after each epoch "
                                             "(default: the first 200 training sentences).")] = None,
) -> None:
    """Train a pkuseg model for `segment.backend: pkuseg` (its published models cannot be downloaded here).

    Example: corpusctl segmenter train pku_training.utf8 --out models/pkuseg --epochs 5
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from corpusctl.segmenter.training import train_pkuseg

    with user_errors():
        user_words = _user_words(lexicon, no_lexicon)
        with Progress(TextColumn("training pkuseg"), BarColumn(), MofNCompleteColumn(), TextColumn("epochs"),
                      TextColumn("{task.fields[score]}"), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("train", total=epochs, score="")

            def on_epoch(epoch: int, f1: float) -> None:
                bar.update(task, completed=epoch, score=f"dev F1 {f1:.3f}")

            info = train_pkuseg(gold, out, user_words, epochs=epochs, dev=dev, on_epoch=on_epoch)
    scores = ", ".join(f"{score:.3f}" for score in info["dev_f1_by_epoch"])
    console.print(f"trained on {info['sentences']:,} sentences ({info['words']:,} words) + "
                  f"{info['lexicon_words']:,} lexicon words; dev F1 by epoch: {scores}")
    console.print(f"model written to {out}; use it with `segment: {{backend: pkuseg, model: {out}}}`")


@app.command()
def cut(
    text: Annotated[str, typer.Argument(help="Text to segment.")],
    backend: BackendOption = "rjieba",
    model: ModelOption = None,
    lexicon: LexiconOption = None,
    no_lexicon: NoLexiconOption = False,
    as_json: JsonOption = False,
) -> None:
    """Segment one text and show each word with its Universal POS.

    Example: corpusctl segmenter cut "操作人员应当定期检查安全阀" --backend jieba
    """
    from corpusctl.segmenter.core import Segmenter

    with user_errors():
        words = Segmenter(backend, _user_words(lexicon, no_lexicon), model=model).segment(text)
    if as_json:
        typer.echo(json.dumps([{"start": s, "end": e, "word": text[s:e], "pos": p} for s, e, p in words],
                              ensure_ascii=False))
        return
    console.print(Text(" ").join(Text.assemble(f"{text[s:e]}/", (p, "cyan")) for s, e, p in words), highlight=False)


@app.command("eval")
def evaluate_cmd(
    gold: Annotated[Path, typer.Argument(help="Gold-segmented text (SIGHAN format).")],
    backend: Annotated[list[str] | None, typer.Option("--backend", "-b", help="Backends to score; "
                                                      "repeatable (default: jieba and rjieba, plus pkuseg "
                                                      "with --model).")] = None,
    model: ModelOption = None,
    lexicon: LexiconOption = None,
    no_lexicon: NoLexiconOption = False,
    as_json: JsonOption = False,
) -> None:
    """Word-level precision / recall / F1 of each backend against gold segmentation.

    Example: corpusctl segmenter eval pku_test_gold.utf8 --backend jieba --backend rjieba
    """
    from corpusctl.segmenter.core import Segmenter
    from corpusctl.segmenter.evaluation import evaluate, read_gold

    backends = backend or (["jieba", "rjieba"] + (["pkuseg"] if model else []))
    with user_errors():
        sentences = read_gold(gold)
        user_words = _user_words(lexicon, no_lexicon)
        scores = {name: evaluate(Segmenter(name, user_words, model=model, pos=False), sentences)
                  for name in backends}
    if as_json:
        typer.echo(json.dumps(scores, ensure_ascii=False))
        return
    table = Table("backend", "precision", "recall", "F1", "gold words", title=f"{gold} ({len(sentences)} sentences)")
    for name, score in scores.items():
        table.add_row(name, f"{score['precision']:.4f}", f"{score['recall']:.4f}", f"{score['f1']:.4f}",
                      f"{score['gold_words']:,}")
    console.print(table)


@app.command()
def agreement(
    textfiles: Annotated[list[Path], typer.Argument(help="Plain text (one text per line), JSONL or CSV files.")],
    field: Annotated[str | None, typer.Option(help="JSONL/CSV field holding the text (default: the first of "
                                              "text, content, body, answer).")] = None,
    lexicon: LexiconOption = None,
    no_lexicon: NoLexiconOption = False,
    pos: Annotated[bool, typer.Option("--pos/--no-pos", help="Also compare in POS mode (slow: jieba.posseg).")]
    = True,
    limit: Annotated[int | None, typer.Option(min=1, help="Compare only the first N texts.")] = None,
    as_json: JsonOption = False,
) -> None:
    """How often rjieba gives the same words as jieba, with the same user dictionary.

    Example: corpusctl segmenter agreement sample_data/general/news.csv --field body --limit 100
    """
    from corpusctl.segmenter.evaluation import agreement as measure

    with user_errors():
        texts = [text for path in textfiles for text in _read_texts(path, field)][:limit]
        result = measure(texts, _user_words(lexicon, no_lexicon), pos=pos)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    table = Table("measure", "value", title=f"rjieba vs jieba on {result['texts']:,} texts "
                  f"({result['chars']:,} characters)")
    labels = {"identical_share": "cut: texts with identical words", "word_f1": "cut: word F1",
              "pos_identical_share": "POS mode: texts with identical words",
              "pos_word_f1": "POS mode: word F1", "upos_accuracy": "POS mode: same UPOS on shared words"}
    for key, label in labels.items():
        if key in result:
            table.add_row(label, f"{result[key]:.4f}")
    console.print(table)
