"""Measure NER labels against a hand-labelled gold set: per-type precision, recall and F1 (seqeval, strict).

Gold and predictions are sentences with character spans. Files: `*.jsonl` (`{"text", "entities": [[start,
end, type], ...]}`, as the NER export writes), CoNLL (one `char tag` per line, any supported scheme), or a
`*.tsv` of references into the external corpora (`file<TAB>line<TAB>length<TAB>start:end:TYPE …`), so
hand labels on text this project may not copy are kept without the text. `distant_labels` gives the
labels the build would give: the ontology stage's spans, the segment stage's words, `distant.refine`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from corpusctl.errors import CorpusctlError

from .schemes import Span, spans_to_tags

Sentence = tuple[str, list[Span]]


def read_sentences(path: Path | str, scheme: str | None = None, external: Path | str | None = None) -> list[Sentence]:
    """Sentences with spans from a JSONL, CoNLL or external-reference TSV file; errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise CorpusctlError(f"{path}: no such file")
    if path.suffix == ".tsv":
        return read_external(path, external)
    if path.suffix == ".jsonl":
        out = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                out.append((record["text"], [(int(s), int(e), str(k)) for s, e, k in record["entities"]]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CorpusctlError(f"{path}:{number}: expected {{\"text\", \"entities\": [[start, end, type]]}} "
                                     f"({exc})") from None
        return out
    from .schemes import guess_scheme, read_conll, scheme_name

    sentences = list(read_conll(path))
    scheme = scheme_name(scheme) if scheme else guess_scheme((t for s in sentences for t in s.tags), path)
    return [(s.text, list(s.char_spans(scheme))) for s in sentences]


def _external_sentence(root: Path, name: str, line: int, cache: dict) -> str:
    """Line `line` of a segmentation gold file (words joined), or the sentence starting at that line of a
    `char tag` NER file."""
    if name not in cache:
        path = root / name
        if not path.is_file():
            raise CorpusctlError(f"{path}: external corpus file not found (see ../shared/external/README.md)")
        cache[name] = path.read_text(encoding="utf-8").splitlines()
    lines = cache[name]
    if not 1 <= line <= len(lines):
        raise CorpusctlError(f"{root / name}: has no line {line}")
    if name.startswith("seg/"):
        return lines[line - 1].replace(" ", "").strip()
    chars = []
    for text in lines[line - 1:]:
        if not text.strip():
            break
        chars.append(text.split()[0])
    return "".join(chars)


def read_external(path: Path, root: Path | str | None) -> list[Sentence]:
    """Sentences of an external-reference TSV, read from the external corpora under `root`."""
    from corpusctl.config import PROJECT_ROOT

    root = Path(root) if root is not None else PROJECT_ROOT.parent / "shared" / "external"
    cache: dict[str, list[str]] = {}
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 4 or not fields[1].isdigit() or not fields[2].isdigit():
            raise CorpusctlError(f"{path}:{number}: expected `file<TAB>line<TAB>length<TAB>start:end:TYPE ...`")
        text = _external_sentence(root, fields[0], int(fields[1]), cache)
        if len(text) != int(fields[2]):
            raise CorpusctlError(f"{path}:{number}: {fields[0]}:{fields[1]} has {len(text)} characters, the "
                                 f"labels were made on {fields[2]} (a different version of the corpus?)")
        spans = []
        for item in fields[3].split():
            start, end, kind = item.split(":")
            spans.append((int(start), int(end), kind))
        out.append((text, spans))
    return out


def distant_labels(texts: Sequence[str], ontology_dir: Path | str, lexicons: Sequence[Path | str] = (),
                   config=None) -> list[list[Span]]:
    """The entities the build's distant labelling gives each text (ontology spans, segmentation, rules)."""
    import numpy as np

    from corpusctl.ontology import Annotator, load_ontology, read_lexicons, segmenter_terms
    from corpusctl.segmenter.core import Segmenter
    from corpusctl.segmenter.pos import UPOS

    from .distant import refine
    from .ner import NerConfig, _drop_overlaps, _span_order

    config = config or NerConfig()
    ontology = load_ontology(ontology_dir)
    annotator = Annotator(ontology, [word for word, _f, _p in read_lexicons(lexicons)])
    segmenter = Segmenter("jieba", segmenter_terms(ontology, list(lexicons)))
    rules = config.rules(ontology)
    spans = annotator.spans_many(list(texts))
    offsets = np.cumsum([0] + [len(s) for s in spans])
    starts = np.array([t["start"] for s in spans for t in s], dtype=np.int64)
    ends = np.array([t["end"] for s in spans for t in s], dtype=np.int64)
    words = segmenter.segment_batch(list(texts), offsets, starts, ends)
    out = []
    for i, text in enumerate(texts):
        a, b = int(words.offsets[i]), int(words.offsets[i + 1])
        row_words = [(int(s), int(e), UPOS[int(p)]) for s, e, p in zip(words.starts[a:b], words.ends[a:b],
                                                                        words.pos[a:b], strict=True)]
        counts: Counter = Counter()
        out.append(_drop_overlaps(sorted(refine(text, spans[i], row_words, rules, counts), key=_span_order), counts))
    return out


def score(gold: Sequence[Sentence], predicted: Sequence[Sequence[Span]]) -> dict:
    """Per-type and overall (micro) precision, recall, F1 and support, seqeval strict mode on BIOES tags."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOBES

    if len(gold) != len(predicted):
        raise CorpusctlError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    y_true = [_iobes(text, spans) for text, spans in gold]
    y_pred = [_iobes(text, spans) for (text, _), spans in zip(gold, predicted, strict=True)]
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOBES, output_dict=True, zero_division=0)
    figures = {kind: {"precision": round(float(v["precision"]), 4), "recall": round(float(v["recall"]), 4),
                      "f1": round(float(v["f1-score"]), 4), "support": int(v["support"])}
               for kind, v in report.items() if kind not in ("macro avg", "weighted avg")}
    figures["overall"] = figures.pop("micro avg", {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0})
    figures["overall"]["predicted"] = sum(len(s) for s in predicted)
    figures["overall"]["sentences"] = len(gold)
    return figures


def _iobes(text: str, spans: Sequence[Span]) -> list[str]:
    tags = spans_to_tags(len(text), sorted(spans), "BIOES")
    return tags


def align(gold: Sequence[Sentence], predicted: Sequence[Sentence], where: str) -> list[list[Span]]:
    """Predicted spans in gold order, matched by sentence text (every gold sentence must be predicted)."""
    by_text = {}
    for text, spans in predicted:
        by_text.setdefault(text, spans)
    missing = [text for text, _ in gold if text not in by_text]
    if missing:
        raise CorpusctlError(f"{where}: {len(missing)} gold sentence(s) have no prediction, e.g. {missing[0][:40]!r}")
    return [list(by_text[text]) for text, _ in gold]
