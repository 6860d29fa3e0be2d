"""Human NER annotations in: Label Studio JSON, doccano JSONL, CLUENER JSON lines, CoNLL (any scheme).

Every format becomes `Annotation(text, entities, origin)` with end-exclusive character offsets. A
record with spans out of range or overlapping is an error naming file and line in strict mode, and a
reject (`{id, source, stage, reason, detail, record}`, the shape of `rejects/*.jsonl`) otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpusctl.errors import InputError

from .schemes import (
    FILE_SUFFIXES,
    Span,
    check_spans,
    guess_scheme,
    read_conll,
    scheme_name,
    tags_to_spans,
    validate_tags,
)

FORMATS = ("label_studio", "doccano", "cluener", "conll")
FORMAT_ALIASES = {"labelstudio": "label_studio", "label-studio": "label_studio"}


@dataclass
class Annotation:
    text: str
    entities: list[Span]
    origin: str
    """'file:line' of the record."""


@dataclass
class ImportResult:
    annotations: list[Annotation]
    rejects: list[dict]
    skipped: int = 0
    """Records without any usable annotation (e.g. a Label Studio task with only cancelled annotations)."""
    problems: list[str] = field(default_factory=list)
    """With `keep_spans`: 'file:line: what' for every span that could not be kept as it was."""
    spans_read: int = 0


class _Bad(Exception):
    """A record that cannot be imported: reason code and message."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def import_annotations(path: Path | str, strict: bool = False, fmt: str | None = None, scheme: str | None = None,
                       keep_spans: bool = False) -> ImportResult:
    """Read one annotation file; the format is detected from its suffix and content unless `fmt` is given.
    `scheme` applies to CoNLL files (guessed from the suffix or the tags when None).

    `keep_spans` (`corpusctl ner import`): a record whose spans overlap or fall outside its text is kept
    with every span that can be tagged, and each one that cannot is listed in `problems` with its line,
    instead of the whole record becoming a reject; malformed CoNLL tags are read the way conlleval does."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: annotation file not found")
    fmt = FORMAT_ALIASES.get(fmt, fmt) if fmt else detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown annotation format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "conll":
        return _import_conll(path, strict, scheme, keep_spans)
    records = _label_studio_records if fmt == "label_studio" else _jsonl_records
    parse = {"label_studio": _parse_label_studio, "doccano": _parse_doccano, "cluener": _parse_cluener}[fmt]
    result = ImportResult([], [])
    for line, record in records(path):
        origin = f"{path}:{line}"
        try:
            if isinstance(record, _Bad):
                raise record
            parsed = parse(record)
            if parsed is None:
                result.skipped += 1
                continue
            text, spans = parsed
            result.spans_read += len(spans)
            problem = check_spans(spans, len(text))
            if problem and keep_spans and not strict:
                spans, dropped = taggable_spans(spans, text)
                result.problems += [f"{origin}: {message}" for message in dropped]
            elif problem:
                raise _Bad("overlapping_spans" if "overlap" in problem else "bad_span", problem)
        except _Bad as bad:
            if strict:
                raise InputError(f"{origin}: {bad.message}") from None
            result.rejects.append(make_reject(origin, bad.reason, bad.message, record))
            continue
        result.annotations.append(Annotation(text, sorted(spans), origin))
    return result


def taggable_spans(spans: list[Span], text: str) -> tuple[list[Span], list[str]]:
    """The spans one tag per character can hold (in range; of overlapping ones the longer, then the earlier)
    and a message for each other one, quoting its text so an annotator can find it."""
    kept: list[Span] = []
    dropped: list[str] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if check_spans([(start, end, kind)], len(text)):
            dropped.append(check_spans([(start, end, kind)], len(text)) + "; left out")
            continue
        clash = next((k for k in kept if start < k[1] and k[0] < end), None)
        if clash is None:
            kept.append((start, end, kind))
            continue
        if end - start > clash[1] - clash[0]:  # the longer entity wins
            kept[kept.index(clash)] = (start, end, kind)
            clash, (start, end, kind) = (start, end, kind), clash
        dropped.append(f"span [{start}, {end}) {kind} {text[start:end]!r} overlaps [{clash[0]}, {clash[1]}) "
                       f"{clash[2]} {text[clash[0]:clash[1]]!r}; kept the longer one")
    return sorted(kept), dropped


def make_reject(origin: str, reason: str, message: str, record: object, where: str | None = None) -> dict:
    """A reject line as the pipeline writes them to rejects/*.jsonl; `where` is the exact file:line when
    it differs from the record's first line."""
    if isinstance(record, _Bad):
        record = None
    detail = f"{where or origin}: {message}"
    return {"id": origin, "source": origin, "stage": "ner", "reason": reason, "detail": detail, "record": record}


def detect_format(path: Path) -> str:
    """Label Studio is a JSON array; JSON lines with a dict `label` are CLUENER, with a list doccano;
    anything else (a `.txt`, `.conll`, `.bmes`, ...) is CoNLL."""
    suffix = path.suffix.lower()
    if suffix in FILE_SUFFIXES or suffix in {".conll", ".txt", ".tsv"}:
        return "conll"
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096).lstrip("\ufeff \t\r\n")
        if head.startswith("["):
            return "label_studio"
        if not head.startswith("{"):
            return "conll"
        handle.seek(0)
        for raw in handle:
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                break
            if isinstance(record, dict) and isinstance(record.get("label"), dict):
                return "cluener"
            return "doccano"
    raise InputError(f"{path}: cannot tell the annotation format; name it explicitly")


# -- record readers --------------------------------------------------------------------------------------


def _jsonl_records(path: Path) -> Iterator[tuple[int, object]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, _Bad("bad_json", f"invalid JSON: {exc.msg} (column {exc.colno})")


def _label_studio_records(path: Path) -> Iterator[tuple[int, object]]:
    """Tasks of a JSON array with the line each starts on (raw_decode keeps the positions json.load loses)."""
    text = path.read_text(encoding="utf-8-sig")
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    def line_of(i: int) -> int:
        return text.count("\n", 0, i) + 1

    i = skip(0)
    if not text.startswith("[", i):
        raise InputError(f"{path}:{line_of(i)}: a Label Studio export is a JSON array of tasks")
    i = skip(i + 1)
    if text.startswith("]", i):
        return
    while True:
        try:
            task, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        yield line_of(i), task
        i = skip(end)
        if text.startswith("]", i):
            return
        if not text.startswith(",", i):
            raise InputError(f"{path}:{line_of(i)}: expected ',' or ']' between tasks")
        i = skip(i + 1)


# -- record parsers: (text, spans) or None when the record holds no annotation -------------------------


def _text_of(holder: dict | None) -> str:
    if holder is None or not isinstance(holder.get("text"), str):
        raise _Bad("missing_text", "record has no 'text' string")
    return holder["text"]


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad("bad_span", f"{what} offset {value!r} is not an integer")
    return value


def _parse_label_studio(task: object) -> tuple[str, list[Span]] | None:
    if not isinstance(task, dict):
        raise _Bad("bad_record", "a task must be a JSON object")
    text = _text_of(task.get("data") if isinstance(task.get("data"), dict) else None)
    annotations = [a for a in task.get("annotations") or task.get("completions") or [] if isinstance(a, dict)]
    annotations = [a for a in annotations if not a.get("was_cancelled")]
    if not annotations:
        return None
    spans: list[Span] = []
    for result in annotations[-1].get("result") or []:  # the latest annotation wins
        value = result.get("value") if isinstance(result, dict) else None
        if not isinstance(value, dict) or "start" not in value:
            continue  # relations, choices and other non-span results
        labels = value.get("labels") or value.get("hypertextlabels") or []
        if len(labels) != 1:
            raise _Bad("bad_span", f"span {value.get('start')}-{value.get('end')} has {len(labels)} labels, expected 1")
        spans.append((_int(value["start"], "start"), _int(value.get("end"), "end"), str(labels[0])))
    return text, spans


def _parse_doccano(record: object) -> tuple[str, list[Span]]:
    if not isinstance(record, dict):
        raise _Bad("bad_record", "a line must be a JSON object")
    text = _text_of(record)
    spans: list[Span] = []
    for item in record.get("label") or []:
        if not isinstance(item, list) or len(item) != 3:
            raise _Bad("bad_span", f"label {item!r} is not [start, end, type]")
        spans.append((_int(item[0], "start"), _int(item[1], "end"), str(item[2])))
    for item in record.get("entities") or []:  # doccano >= 1.6 exports
        if isinstance(item, dict):
            spans.append((_int(item.get("start_offset"), "start"), _int(item.get("end_offset"), "end"), str(item.get("label"))))
    return text, spans


def _parse_cluener(record: object) -> tuple[str, list[Span]]:
    if not isinstance(record, dict):
        raise _Bad("bad_record", "a line must be a JSON object")
    text = _text_of(record)
    spans: list[Span] = []
    for kind, entities in (record.get("label") or {}).items():
        if not isinstance(entities, dict):
            raise _Bad("bad_span", f"label {kind!r} must map entity text to [[start, end_inclusive], ...]")
        for entity, positions in entities.items():
            for pos in positions:
                if not isinstance(pos, list) or len(pos) != 2:
                    raise _Bad("bad_span", f"{kind} {entity!r}: position {pos!r} is not [start, end_inclusive]")
                start, end = _int(pos[0], "start"), _int(pos[1], "end") + 1
                if 0 <= start < end <= len(text) and text[start:end] != entity:
                    raise _Bad("span_text_mismatch", f"{kind} [{start}, {end}) is {text[start:end]!r} in the text, not {entity!r}")
                spans.append((start, end, kind))
    return text, spans


def _import_conll(path: Path, strict: bool, scheme: str | None, keep_spans: bool = False) -> ImportResult:
    sentences = list(read_conll(path))
    scheme = scheme_name(scheme) if scheme else guess_scheme((t for s in sentences for t in s.tags), path)
    result = ImportResult([], [])
    for sentence in sentences:
        origin = f"{path}:{sentence.lines[0]}"
        problems = validate_tags(sentence.tags, scheme)
        result.spans_read += len(tags_to_spans(sentence.tags, scheme))
        if problems and keep_spans and not strict:
            result.problems += [f"{path}:{sentence.lines[p.index]}: {p.message} ({scheme}; read as conlleval does)"
                                for p in problems]
        elif problems:
            where = f"{path}:{sentence.lines[problems[0].index]}"
            message = f"{problems[0].message} ({scheme})"
            if strict:
                raise InputError(f"{where}: {message}")
            record = {"tokens": sentence.tokens, "tags": sentence.tags}
            result.rejects.append(make_reject(origin, "bad_tags", message, record, where))
            continue
        result.annotations.append(Annotation(sentence.text, sentence.char_spans(scheme), origin))
    return result


def write_annotations(annotations: list[Annotation], target: Path | str, scheme: str = "BMEO") -> dict:
    """One CoNLL sentence per imported record (whitespace dropped, as in the build's export), written
    atomically; how many sentences and spans went out and which spans were only whitespace."""
    from .schemes import char_conll, clean_sentence

    scheme = scheme_name(scheme)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    sentences = spans = 0
    blank: list[str] = []
    try:
        with temp.open("w", encoding="utf-8") as out:
            for annotation in annotations:
                text, entities = clean_sentence(annotation.text, annotation.entities)
                if len(entities) < len(annotation.entities):
                    blank.append(f"{annotation.origin}: {len(annotation.entities) - len(entities)} span(s) of "
                                 "whitespace only; left out")
                if not text:
                    continue
                out.write(char_conll(text, entities, scheme))
                sentences += 1
                spans += len(entities)
        temp.replace(target)
    finally:
        temp.unlink(missing_ok=True)
    return {"sentences": sentences, "spans": spans, "blank": blank, "scheme": scheme}
