"""`corpusctl inspect`: look at a built corpus from the terminal.

- an output folder: the manifest's summary (key figures, shares, stages, mask statistics, files) as tables;
- a `pretrain/` folder (or an output folder with `--sample N`): decoded examples with masked tokens
  highlighted (from `masked/epoch-0` beside it), lexicon/ontology terms underlined and, on request, each
  word's Universal POS;
- a NER CoNLL file (`ner/train.txt`, any BMEO/BIO/BIOES/BMES file): entity counts per type and a few
  sentences with their entities highlighted.

Everything streams or reads only the rows it shows, so inspecting a large corpus stays cheap.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text

from corpusctl.errors import CorpusctlError

PRETRAIN_COLUMNS = ("id", "kind", "format", "num_words", "input_ids", "word_ids", "term_ids", "pos_ids")
CONLL_SUFFIXES = {".txt", ".conll", ".bmeo", ".bio", ".bioes", ".bmes", ".tsv"}
MASKED_STYLE = "reverse bold"
TERM_STYLE = "underline"


def _manifest(out_dir: Path) -> dict:
    path = out_dir / "manifest.json"
    if not path.exists():
        raise CorpusctlError(f"{out_dir} has no manifest.json: is it a corpusctl output folder?")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusctlError(f"{path} cannot be read as JSON ({exc}); was the build interrupted?") from None


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value) -> str:
    return "—" if value is None else f"{value:,}"


def _table(title: str, columns: list[str], rows: list[list], align: str = "l") -> Table:
    """A rich table; `align` gives l/r per column, the last letter repeats (numbers go right)."""
    table = Table(title=title, title_justify="left", title_style="bold")
    align = align + "r" * len(columns) if len(align) == 1 else align
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if align[min(index, len(align) - 1)] == "l" else "right",
                         no_wrap=index == 0)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


# -- an output folder -----------------------------------------------------------------------------------


def warnings_text(manifest: dict) -> Text:
    """The build's warnings block: what went wrong or missed a target, or a line saying nothing did."""
    from corpusctl.build_checks import build_warnings

    notes = manifest["warnings"] if "warnings" in manifest else build_warnings(manifest)
    text = Text()
    if not notes:
        text.append("✓ no warnings", style="green")
        return text
    text.append(f"warnings ({len(notes)}):\n", style="bold yellow")
    for note in notes:
        text.append("✗ ", style="bold red")
        text.append(note["message"] + "\n")
    return text



def summary(out_dir: Path) -> Group:
    """Rich tables with the manifest's summary."""
    from corpusctl.report import checks, key_figures, stage_rows

    manifest = _manifest(out_dir)
    recipe = manifest.get("recipe") or {}
    parts: list = [Text(f"{out_dir}: recipe {recipe.get('name', '?')} · seed {manifest.get('seed')} · "
                        f"corpusctl {manifest.get('corpusctl_version', '?')}", style="bold cyan")]
    parts.append(warnings_text(manifest))
    parts.append(_table("overview", ["", "value"], [[label, value] for label, value in key_figures(manifest)]))
    mix = manifest.get("mix") or {}
    if mix.get("achieved"):  # achieved: the mix plan; examples: the written pre-training examples
        target, final = mix.get("target") or {}, (manifest.get("formats") or {}).get("kind_shares") or {}
        domains, chars = mix.get("domains") or {}, mix.get("chars") or {}
        parts.append(_table(f"kind shares ({'characters' if mix.get('unit', 'chars') == 'chars' else 'tokens'})",
                            ["kind", "domain", "target", "achieved", "examples", "size"],
                            [[k, domains.get(k, ""), _pct(target.get(k)), _pct(share), _pct(final.get(k)),
                              _num(chars.get(k))] for k, share in mix["achieved"].items()], align="llr"))
        if mix.get("achieved_domains"):
            domain_target = mix.get("target_domains") or {}
            parts.append(_table("domain shares", ["domain", "target", "achieved"],
                                [[d, _pct(domain_target.get(d)), _pct(s)] for d, s in mix["achieved_domains"].items()]))
    formats = manifest.get("formats") or {}
    if formats.get("shares"):
        target = formats.get("target") or {}
        parts.append(_table("formats (share of characters)", ["format", "target", "achieved", "examples"],
                            [[f, _pct(target.get(f)), _pct(s), _num((formats.get("examples") or {}).get(f))]
                             for f, s in formats["shares"].items()]))
    stages = manifest.get("stages") or {}
    rows = stage_rows(stages)
    if rows:
        derived = any(r["derived"] for r in rows)
        parts.append(_table("stages" + (" (* from the neighbouring stages)" if derived else ""),
                            ["stage", "in", "out", "chars in", "chars out", "rejected"],
                            [[r["name"], _num(r["docs_in"]), _num(r["docs_out"]), _num(r["chars_in"]),
                              _num(r["chars_out"]) + ("*" if r["derived"] else ""), _num(r["rejects"])]
                             for r in rows]))
    rejects = [[name, reason, _num(count)] for name, stats in stages.items() if isinstance(stats, dict)
               for reason, count in (stats.get("rejects") or {}).items()]
    if rejects:
        parts.append(_table("rejects by reason", ["stage", "reason", "records"],
                            rejects, align="llr"))
    parts += _mask_tables(manifest.get("mask") or {})
    parts += _export_tables(manifest)
    if manifest.get("files"):
        parts.append(_files_table(manifest["files"]))
    results = checks(manifest)
    if results:
        lines = Text()
        for what, ok, detail in results:
            lines.append("✓ " if ok else "✗ ", style="green" if ok else "bold red")
            lines.append(f"{what} ({detail})\n")
        parts.append(lines)
    return Group(*parts)


def _mask_tables(mask: dict) -> list:
    if not mask.get("by_length"):
        return []
    buckets = _table("mask ratio by length bucket (words)", ["bucket", "examples", "mean", "min", "max",
                                                             "target band", "in band"],
                     [[name, _num(b.get("examples")), _pct(b.get("mean")), _pct(b.get("min")), _pct(b.get("max")),
                       "–".join(_pct(v) for v in b.get("target") or []), _pct(b.get("in_band"))]
                      for name, b in mask["by_length"].items()])
    replacement, sentence = mask.get("replacement") or {}, mask.get("sentence") or {}
    policy = _table("masking policy", ["statistic", "achieved", "target"], [
        ["masked share of tokens", _pct(mask.get("ratio")), "by length"],
        ["masked tokens in terms", _pct(mask.get("term_share")), _pct(mask.get("term_share_target"))],
        ["paragraphs with a masked sentence", _pct(sentence.get("share")), _pct(sentence.get("target"))],
        ["[MASK] / random / unchanged", " / ".join(_pct(replacement.get(k)) for k in ("mask", "random", "unchanged")),
         " / ".join(_pct(v) for v in replacement.get("target") or [])],
    ])
    return [buckets, policy]


def _export_tables(manifest: dict) -> list:
    tables = []
    ner = manifest.get("ner") or {}
    if ner.get("sentences"):
        entities = ner.get("entities") or {}
        tables.append(_table(f"NER splits ({ner.get('scheme', '')})", ["split", "sentences", "entities"],
                             [[name, _num(n), _num(sum((entities.get(name) or {}).values()))]
                              for name, n in ner["sentences"].items()]))
    classification = manifest.get("classification") or {}
    if classification.get("label_counts"):
        tables.append(_table("classification splits", ["split", "rows", "labels"],
                             [[name, _num(sum(c.values())), _num(len(c))]
                              for name, c in classification["label_counts"].items()]))
    return tables


def _files_table(files: list[dict]) -> Table:
    """Files grouped by their top-level folder (a corpus has thousands of shards)."""
    groups: dict[str, list[int]] = {}
    for entry in files:
        top = entry["path"].split("/", 1)[0] + ("/" if "/" in entry["path"] else "")
        count_bytes = groups.setdefault(top, [0, 0])
        count_bytes[0] += 1
        count_bytes[1] += entry.get("bytes", 0)
    return _table("files", ["path", "files", "bytes"], [[p, _num(n), _num(b)] for p, (n, b) in groups.items()])


# -- decoded examples -----------------------------------------------------------------------------------


def _open_pretrain(pretrain: Path):
    from datasets import load_from_disk

    if not (pretrain / "state.json").exists():
        raise CorpusctlError(f"{pretrain} is neither a corpusctl output folder (no manifest.json) nor a "
                             "pretrain/ datasets folder (no state.json)")
    dataset = load_from_disk(str(pretrain))
    missing = [c for c in PRETRAIN_COLUMNS if c not in dataset.column_names]
    if missing:
        raise CorpusctlError(f"{pretrain} is a datasets folder but not corpusctl's pretrain/ "
                             f"(missing columns: {', '.join(missing)})")
    return dataset


def _masked_labels(pretrain: Path, ids: list[str]) -> dict[str, list[int]]:
    """Labels of epoch 0 for the given ids: rows are usually in pretrain order, else found by id."""
    masked_dir = pretrain.parent / "masked" / "epoch-0"
    if not (masked_dir / "state.json").exists():
        return {}
    from datasets import load_from_disk

    masked = load_from_disk(str(masked_dir))
    head = masked.select(range(min(len(ids), len(masked))))
    if head["id"] == ids:
        return dict(zip(ids, head["labels"]))
    wanted = set(ids)
    positions = [i for i, row_id in enumerate(masked.data.column("id").to_pylist()) if row_id in wanted]
    rows = masked.select(positions)
    return dict(zip(rows["id"], rows["labels"]))


def decode_example(row: dict, vocab: list[str], upos: list[str], labels: list[int] | None,
                   show_pos: bool) -> Text:
    """One example as rich text: masked tokens reversed, term tokens underlined, `/POS` after each word."""
    text = Text()
    ids, words = row["input_ids"], row["word_ids"]
    for position, token_id in enumerate(ids):
        token = vocab[token_id] if 0 <= token_id < len(vocab) else "[UNK]"
        styles = []
        if row["term_ids"][position] >= 0:
            styles.append(TERM_STYLE)
        if labels is not None and labels[position] != -100:
            styles.append(MASKED_STYLE)
        if words[position] < 0:
            styles.append("dim")
        text.append(token[2:] if token.startswith("##") else token, style=" ".join(styles) or None)
        word_ends = position + 1 == len(ids) or words[position + 1] != words[position]
        if show_pos and words[position] >= 0 and word_ends:
            text.append(f"/{upos[row['pos_ids'][position]]} ", style="dim italic")
    return text


def sample_examples(pretrain: Path, n: int, show_pos: bool = False) -> Group:
    """The first n examples decoded, with a legend."""
    dataset = _open_pretrain(pretrain)
    vocab_file = pretrain.parent / "vocab.txt"
    if not vocab_file.exists():
        raise CorpusctlError(f"no vocab.txt beside {pretrain}: the token ids cannot be decoded")
    vocab = vocab_file.read_text(encoding="utf-8").splitlines()
    upos = dataset.features["pos_ids"].feature.names
    rows = dataset.select(range(min(n, len(dataset))))
    labels_by_id = _masked_labels(pretrain, rows["id"])
    legend = Text("legend: ", style="dim")
    legend.append("term", style=TERM_STYLE)
    legend.append("  ")
    legend.append("masked (epoch 0)" if labels_by_id else "masked (no masked/epoch-0 folder)", style=MASKED_STYLE)
    if show_pos:
        legend.append("  ")
        legend.append("/UPOS after each word", style="dim italic")
    parts: list = [legend]
    for row in rows:
        labels = labels_by_id.get(row["id"])
        masked = sum(1 for label in labels if label != -100) if labels is not None else 0
        header = Text(f"{row['id']}  [{row['kind']} · {row['format']} · {row['num_words']} words]", style="bold cyan")
        if labels is not None:
            header.append(f"  {masked} of {len(row['input_ids'])} tokens masked", style="dim")
        parts += [header, decode_example(row, vocab, upos, labels, show_pos), Text("")]
    return Group(*parts)


# -- NER files ------------------------------------------------------------------------------------------


def ner_file(path: Path, n: int = 3) -> Group:
    """Entity counts per type and the first n sentences that hold entities, highlighted."""
    from corpusctl.exports.schemes import guess_scheme, read_conll

    if path.suffix.lower() not in CONLL_SUFFIXES:
        raise CorpusctlError(f"{path}: inspect reads NER CoNLL files ({', '.join(sorted(CONLL_SUFFIXES))}), "
                             "an output folder or its pretrain/ folder")
    scheme = guess_scheme((tag for sentence in read_conll(path) for tag in sentence.tags), path)
    counts: dict[str, int] = {}
    shown: list[Text] = []
    sentences = tokens = 0
    for sentence in read_conll(path):
        sentences += 1
        tokens += len(sentence.tokens)
        spans = sentence.char_spans(scheme)
        for _, _, kind in spans:
            counts[kind] = counts.get(kind, 0) + 1
        if spans and len(shown) < n:
            shown.append(_highlight(sentence.text, spans))
    total = sum(counts.values())
    title = Text(f"{path}: {sentences:,} sentences, {tokens:,} tokens, {total:,} entities, scheme {scheme}",
                 style="bold cyan")
    table = _table("entities per type", ["type", "entities", "share"],
                   [[kind, _num(count), _pct(count / total)] for kind, count in
                    sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))])
    return Group(title, table, *shown)


def _highlight(text: str, spans: list[tuple[int, int, str]]) -> Text:
    line = Text(text)
    for start, end, _ in spans:
        line.stylize(MASKED_STYLE, start, end)
    line.append("  " + "  ".join(f"{text[start:end]}:{kind}" for start, end, kind in spans), style="dim")
    return line


# -- dispatch -------------------------------------------------------------------------------------------


def inspect_path(path: Path, sample: int | None, show_pos: bool) -> Group:
    if path.is_file():
        return ner_file(path, sample or 3)
    if (path / "manifest.json").exists():
        if not sample:
            return summary(path)
        path = path / "pretrain"
    return sample_examples(path, sample or 2, show_pos)
