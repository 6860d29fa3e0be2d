"""Readers for every source format. Each yields documents or rejects, one at a time (streaming).

A document is a dict with the ingest columns of docs/ARCHITECTURE.md; a malformed line or row becomes a
`Reject` that names the file and line, so nothing read is lost silently.
"""

from __future__ import annotations

import csv
import glob
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpusctl.errors import CorpusctlError
from corpusctl.io.remote import RemoteFile, is_uri, remote_files

EXTENSIONS = {
    "jsonl": (".jsonl", ".json", ".ndjson"),
    "txt": (".txt",),
    "csv": (".csv", ".tsv"),
    "parquet": (".parquet",),
    "arrow": (".arrow", ".feather", ".ipc"),
}


@dataclass
class Reject:
    """A line or row that could not be read as a document."""

    origin: str
    reason: str
    detail: str
    raw: str


def source_files(path: Path | str, fmt: str) -> list[tuple[Path | RemoteFile, str]]:
    """Files of a source (a file, a folder searched recursively, or a glob) with their names relative to it;
    a URI (`s3://...`) is listed on its store (`io/remote.py`)."""
    if is_uri(path):
        return remote_files(path, fmt, EXTENSIONS.get(fmt, ()))
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        root = Path(text.split("*")[0].split("?")[0].split("[")[0])
        root = root if root.is_dir() else root.parent
    elif path.is_dir():
        if fmt == "hf":
            return [(path, path.name)]
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(EXTENSIONS[fmt]))
        root = path
    elif path.exists():
        return [(path, path.name)]
    else:
        raise CorpusctlError(f"source path {path} does not exist")
    if not files:
        raise CorpusctlError(f"source path {path} matches no {fmt} files")
    return [(f, f.relative_to(root).as_posix()) for f in files]


class SourceReader:
    """Turns one recipe source into documents (dicts) and Rejects, in a stable order."""

    def __init__(self, source):
        self.source = source

    def __iter__(self) -> Iterator[dict | Reject]:
        for file, rel in source_files(self.source.path, self.source.format):
            yield from self.read_file(file, rel)

    def read_file(self, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        """The documents and rejects of one of the source's files (`rel`: its name relative to the source)."""
        return getattr(self, f"_read_{self.source.format}")(file, rel)

    # -- building a document --------------------------------------------------------------------------

    def _document(self, fields: dict, origin: str, fallback_key: str) -> dict | Reject:
        src = self.source
        text = fields.get(src.text_field)
        if text is None:
            return Reject(origin, "missing_field", f"{origin}: no text field {src.text_field!r}", _raw(fields))
        if not isinstance(text, str):
            return Reject(origin, "bad_field", f"{origin}: {src.text_field!r} is {type(text).__name__}, not text",
                          _raw(fields))
        title = fields.get(src.title_field, "") if src.title_field else ""
        label = fields.get(src.label_field, "") if src.label_field else ""
        key = fields.get(src.id_field) if src.id_field else None
        if src.id_field and (key is None or str(key) == ""):
            return Reject(origin, "missing_field", f"{origin}: no id field {src.id_field!r}", _raw(fields))
        used = {src.text_field, src.title_field, src.label_field, src.id_field}
        meta = {k: v for k, v in fields.items() if k not in used}
        return {
            "id": f"{src.name}:{key if key is not None else fallback_key}",
            "source": src.name,
            "domain": src.domain,
            "kind": src.kind,
            "title": "" if title is None else str(title),
            "text": text,
            "label": "" if label is None else str(label),
            "origin": origin,
            "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str),
        }

    def _lines(self, file: Path | RemoteFile, rel: str) -> Iterator[tuple[int, str | Reject]]:
        """Lines of a text file, decoded one by one so a bad byte sequence costs one line, not the file."""
        with file.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    yield number, raw.decode(self.source.encoding).rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    yield number, Reject(f"{file}:{number}", "decode_error",
                                         f"{file}:{number}: not {self.source.encoding}: {exc.reason}",
                                         raw.decode(self.source.encoding, errors="replace"))

    # -- formats --------------------------------------------------------------------------------------

    def _read_jsonl(self, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        for number, line in self._lines(file, rel):
            if isinstance(line, Reject):
                yield line
                continue
            if not line.strip():
                continue
            origin = f"{file}:{number}"
            fields, problem = parse_json_line(line)
            if problem:
                yield Reject(origin, "json_error", f"{origin}: {problem}", line)
                continue
            if not isinstance(fields, dict):
                yield Reject(origin, "json_error", f"{origin}: expected a JSON object, got {type(fields).__name__}",
                             line)
                continue
            yield self._document(fields, origin, f"{rel}:{number}")

    def _read_txt(self, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        if self.source.txt_mode == "file":
            lines = []
            for _, line in self._lines(file, rel):
                if isinstance(line, Reject):
                    yield line
                else:
                    lines.append(line)
            if "".join(lines).strip():
                yield self._document({self.source.text_field: "\n".join(lines).strip()}, f"{file}:1", rel)
            return
        block: list[str] = []
        start = 0
        for number, line in self._lines(file, rel):
            if isinstance(line, Reject):
                yield line
                continue
            if line.strip():
                if not block:
                    start = number
                block.append(line.strip())
                continue
            if block:
                yield self._document({self.source.text_field: "\n".join(block)}, f"{file}:{start}", f"{rel}:{start}")
                block = []
        if block:
            yield self._document({self.source.text_field: "\n".join(block)}, f"{file}:{start}", f"{rel}:{start}")

    def _read_csv(self, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        delimiter = "\t" if file.suffix == ".tsv" else ","
        try:
            content = file.read_bytes().decode(self.source.encoding)
        except UnicodeDecodeError as exc:
            yield Reject(f"{file}:1", "decode_error", f"{file}: not {self.source.encoding}: {exc.reason}", "")
            return
        lines = list(io.StringIO(content.removeprefix("\ufeff"), newline=""))
        rows = csv_rows(lines, delimiter)
        try:
            _, header = next(rows)
        except StopIteration:
            yield Reject(f"{file}:1", "csv_error", f"{file}:1: no header row", "")
            return
        if isinstance(header, str):
            yield Reject(f"{file}:1", "csv_error", f"{file}:1: no readable header row ({header})", lines[0])
            return
        for start, row in rows:
            origin = f"{file}:{start}"
            if isinstance(row, str):  # a record that does not parse: only its first line is lost
                yield Reject(origin, "csv_error", f"{origin}: {row}", lines[start - 1].rstrip("\r\n"))
            elif not any(cell.strip() for cell in row):
                continue
            elif len(row) != len(header):
                yield Reject(origin, "csv_error",
                             f"{origin}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}",
                             delimiter.join(row))
            else:
                yield self._document(dict(zip(header, row)), origin, f"{rel}:{start}")

    def _read_table_batches(self, batches, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        row_number = 0
        for batch in batches:
            for fields in batch.to_pylist():
                yield self._document(fields, f"{file}:row {row_number}", f"{rel}:{row_number}")
                row_number += 1

    def _read_parquet(self, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(file if isinstance(file, Path) else file.open_random_access())
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise CorpusctlError(f"{file}: not a readable Parquet file: {exc}") from None
        yield from self._read_table_batches(parquet.iter_batches(batch_size=1024), file, rel)

    def _read_arrow(self, file: Path | RemoteFile, rel: str) -> Iterator[dict | Reject]:
        import pyarrow as pa

        with _random_access(file) as source:
            try:
                reader = pa.ipc.open_file(source)
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
                yield from self._read_table_batches(batches, file, rel)
                return
            except pa.ArrowInvalid:
                pass
        with _random_access(file) as source:
            try:
                reader = pa.ipc.open_stream(source)
            except pa.ArrowInvalid as exc:
                raise CorpusctlError(f"{file}: not an Arrow IPC file or stream: {exc}") from None
            yield from self._read_table_batches(reader, file, rel)

    def _read_hf(self, folder: Path, rel: str) -> Iterator[dict | Reject]:
        import datasets

        try:
            loaded = datasets.load_from_disk(str(folder))
        except Exception as exc:  # datasets raises FileNotFoundError/ValueError variants
            raise CorpusctlError(f"{folder}: not a datasets save_to_disk folder: {exc}") from None
        splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
        for split, dataset in splits:
            prefix = f"{rel}/{split}" if split else rel
            yield from self._read_table_batches(dataset.data.to_batches(max_chunksize=1024), folder / split, prefix)


def parse_json_line(line: str) -> tuple[object, str | None]:
    """(value, None) or (None, why): one JSON line, with whatever would break a later stage refused here.

    json.loads accepts lone surrogates (`"\\ud800"`, which no UTF-8 writer can store), raises RecursionError
    for deep nesting and ValueError for integers of more than 4,300 digits; each would abort a build.
    """
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        return None, f"invalid JSON: {exc}"
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        return None, f"invalid text: lone surrogate {exc.object[exc.start:exc.end]!r} (not a character)"
    except (RecursionError, ValueError) as exc:
        return None, f"cannot store the record: {'nested too deeply' if isinstance(exc, RecursionError) else exc}"
    return value, None


CSV_FIELD_LIMIT = 1 << 26
"""Characters one CSV field may hold (64M): any document, while a runaway quote still ends somewhere."""


def csv_rows(lines: list[str], delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line number, row or why it does not parse) for the physical `lines` of a CSV file.

    A quote that is never closed would swallow every later line into one field; when a record fails to
    parse, or spans several lines and has the wrong number of fields, only its first line is given up and
    reading restarts on the next line, so every later row is still read (or rejected with its own line).
    """
    # a long document in one field is fine (the default limit is 128K characters); with a quote that is never
    # closed the field then runs to the end of the file, and reading restarts at the line after the quote
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    position, width = 0, None
    while position < len(lines):
        rest = map(lines.__getitem__, range(position, len(lines)))  # (no copy per restart)
        reader = csv.reader(rest, delimiter=delimiter, strict=True)
        consumed = 0
        while True:
            start = position + consumed + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, f"{exc} (a quote opened on this line is never closed?); reading goes on at the next line"
                position = start
                break
            span = reader.line_num - consumed
            consumed = reader.line_num
            if span > 1 and width is not None and len(row) != width:
                yield start, (f"a quoted field runs over {span} lines and the row has {len(row)} fields, not "
                              f"{width} (a quote opened on this line is never closed?); reading goes on at the next line")
                position = start
                break
            if width is None:
                width = len(row)
            yield start, row


def _random_access(file: Path | RemoteFile):
    import pyarrow as pa

    return pa.memory_map(str(file)) if isinstance(file, Path) else file.open_random_access()


def _raw(fields: dict) -> str:
    return json.dumps(fields, ensure_ascii=False, default=str)
