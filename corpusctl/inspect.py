"""`corpusctl inspect`: look at a built corpus from the terminal.

- an output folder: the manifest's summary (shares, stage counts, mask statistics, files) as tables;
- a `pretrain/` folder: decoded examples with masked tokens highlighted (from `masked/epoch-0` when it
  sits beside it), lexicon/ontology terms underlined and, on request, each word's POS;
- a NER `.txt` file: entity counts per type and a few sentences with their entities highlighted.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text

from corpusctl.errors import CorpusctlError


def _manifest(out_dir: Path) -> dict:
    path = out_dir / "manifest.json"
    if not path.exists():
        raise CorpusctlError(f"{out_dir} has no manifest.json: is it a corpusctl output folder?")
    return json.loads(path.read_text(encoding="utf-8"))


def summary(out_dir: Path) -> Group:
    """Rich tables with the manifest's summary."""
    manifest = _manifest(out_dir)
    parts = []
    mix = manifest.get("mix") or {}
    if mix.get("achieved"):
        table = Table(title="kind shares (characters)")
        for column in ("kind", "target", "achieved", "characters"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        for kind, share in mix["achieved"].items():
            table.add_row(kind, f"{mix.get('target', {}).get(kind, 0):.1%}", f"{share:.1%}",
                          f"{(mix.get('chars') or {}).get(kind, '')}")
        parts.append(table)
    stages = Table(title="stages")
    for column in ("stage", "in", "out", "rejected", "seconds"):
        stages.add_column(column, justify="left" if column == "stage" else "right")
    for name, stats in (manifest.get("stages") or {}).items():
        stages.add_row(name, str(stats.get("docs_in", "")), str(stats.get("docs_out", "")),
                       str(sum((stats.get("rejects") or {}).values())), str(stats.get("seconds", "")))
    parts.append(stages)
    mask = manifest.get("mask") or {}
    if mask.get("by_length"):
        table = Table(title="mask ratio by length bucket")
        for column in ("bucket", "examples", "mean", "target"):
            table.add_column(column)
        for bucket, values in mask["by_length"].items():
            table.add_row(bucket, str(values.get("examples", "")), f"{values.get('mean') or 0:.3f}",
                          str(values.get("target", "")))
        parts.append(table)
    files = Table(title="files")
    files.add_column("path")
    files.add_column("bytes", justify="right")
    files.add_column("sha256")
    for entry in manifest.get("files") or []:
        files.add_row(entry["path"], f"{entry['bytes']:,}", entry["sha256"][:12])
    parts.append(files)
    return Group(*parts)


def _masked_rows(pretrain: Path) -> dict[str, list[int]]:
    masked_dir = pretrain.parent / "masked" / "epoch-0"
    if not masked_dir.exists():
        return {}
    from datasets import load_from_disk

    masked = load_from_disk(str(masked_dir))
    return dict(zip(masked["id"], masked["labels"]))


def sample_examples(pretrain: Path, n: int, show_pos: bool = False) -> Group:
    """The first n examples decoded: masked tokens reversed, terms underlined, POS after each word on request."""
    from datasets import load_from_disk

    if not (pretrain / "state.json").exists():
        raise CorpusctlError(f"{pretrain} is not a datasets folder (no state.json)")
    dataset = load_from_disk(str(pretrain))
    vocab_file = pretrain.parent / "vocab.txt"
    if not vocab_file.exists():
        raise CorpusctlError(f"no vocab.txt beside {pretrain}")
    vocab = vocab_file.read_text(encoding="utf-8").splitlines()
    upos = dataset.features["pos_ids"].feature.names
    labels_by_id = _masked_rows(pretrain)
    parts = []
    for row in dataset.select(range(min(n, len(dataset)))):
        labels = labels_by_id.get(row["id"])
        text = Text()
        previous_word = None
        for position, token_id in enumerate(row["input_ids"]):
            token = vocab[token_id]
            word = row["word_ids"][position]
            if show_pos and previous_word is not None and word != previous_word and previous_word >= 0:
                text.append(f"/{upos[row['pos_ids'][position - 1]]} ", style="dim")
            previous_word = word
            style = ""
            if row["term_ids"][position] >= 0:
                style += " underline"
            if labels is not None and labels[position] != -100:
                style += " reverse bold"
            if token in ("[CLS]", "[SEP]"):
                style += " dim"
            text.append(token[2:] if token.startswith("##") else token, style=style.strip())
        header = Text(f"{row['id']}  [{row['kind']} · {row['format']} · {row['num_words']} words]", style="bold cyan")
        parts += [header, text, Text("")]
    legend = Text("legend: ", style="dim")
    legend.append("term", style="underline")
    legend.append("  ")
    legend.append("masked (epoch 0)", style="reverse bold")
    return Group(legend, *parts)


def ner_file(path: Path, n: int = 3) -> Group:
    """Entity counts per type and the first few sentences with entities highlighted."""
    from corpusctl.exports.schemes import read_conll, tags_to_spans

    sentences = read_conll(path)
    counts: dict[str, int] = {}
    shown = []
    scheme = _guess_scheme(t for s in sentences for t in s[1])
    for chars, tags in sentences:
        spans = tags_to_spans(tags, scheme)
        for span in spans:
            counts[span[2]] = counts.get(span[2], 0) + 1
        if spans and len(shown) < n:
            text = Text("".join(chars))
            for start, end, kind in spans:
                text.stylize("reverse bold", start, end)
                text.append(f"  {''.join(chars[start:end])}:{kind}", style="dim")
            shown.append(text)
    table = Table(title=f"{path.name}: {len(sentences)} sentences ({scheme})")
    table.add_column("type")
    table.add_column("entities", justify="right")
    for kind, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        table.add_row(kind, str(count))
    return Group(table, *shown)


def _guess_scheme(tags) -> str:
    prefixes = {t.split("-", 1)[0] for t in tags if t != "O"}
    if "M" in prefixes:
        return "BMES" if "S" in prefixes else "BMEO"
    if "E" in prefixes or "S" in prefixes:
        return "BIOES"
    return "BIO"


def inspect_path(path: Path, sample: int | None, show_pos: bool) -> Group:
    if path.is_file():
        return ner_file(path, sample or 3)
    if (path / "manifest.json").exists() and not sample:
        return summary(path)
    if (path / "manifest.json").exists():
        path = path / "pretrain"
    return sample_examples(path, sample or 2, show_pos)
