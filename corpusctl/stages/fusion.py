"""Operational-data fusion (HRG-BERT section 3.1.2 (2)): readings joined to the documents that mention them.

"Operational data is integrated with text descriptions to enrich semantic context": a report that says
"2号换热器出口温度偏高" is more useful to learn from with the temperature the plant recorded that day. The stage
runs after cleaning (so dropped and duplicate documents are never fused) and before the ontology (so the terms
of the fused sentence are annotated like the rest of the text).

1. **Readings** (CSV, Parquet or JSONL: time, equipment or tag id, optional display name, metric, value, unit,
   optional low/high limits) are read once into a compact table sorted by (equipment, time). A reading whose
   time does not parse, whose value is not a finite number, whose unit is not in `fusion.units` or that lacks a
   field goes to `rejects/fusion.jsonl` with its `file:line`. Limits come from the reading itself or else from
   the thresholds table (per equipment and metric, or per metric for any equipment).
2. **Linking** (a pure batch function): a document mentions an equipment when its tag id (`P-101`, matched
   case-insensitively and not inside a longer id such as `P-1012`) or its display name (`2号换热器`, also
   written `2#换热器` / `#2换热器`, not inside `12号换热器`, and with the ontology's synonyms of its equipment
   term: 1号空气压缩机 is also 1号空压机) occurs in its title or text. The document's time is
   its metadata field `fusion.time_field`, else (with `time_from_text`) the first date in its text; a bare date
   covers the whole day. Readings of a mentioned equipment within `window_hours` of that time are candidates.
3. **Context**: per (equipment, metric) one reading: the one furthest over a limit if any is, else the one
   nearest the document's time. Over-limit readings come first, then the order of mention; at most
   `max_readings`. In `sentence` mode they are appended as one line,
   ``运行数据：2号换热器 出口温度 186℃（上限 180℃，超限）；P-101 出口压力 0.82MPa（正常）。``, in `column` mode kept
   in the `fusion` column of the documents (and of the pre-training examples cut from them).
4. **Priority**: each over-limit reading adds `anomaly_weight` to the document's anomaly weight, squashed the
   way `clean.anomaly.squash` squashes the anomaly terms' weights, so the mix prefers these documents too.

Readings are held in memory as numpy arrays (about 40 bytes per reading plus the strings of its metric and
unit): fine for months of a plant's readings at a few per minute; pre-aggregate anything larger.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, field_validator

from corpusctl.config import RecipePath, Section, StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.stages.base import GlobalStep, Stage, register

DEFAULT_UNITS = [
    "℃", "°C", "℉", "K", "MPa", "kPa", "Pa", "bar", "psi", "A", "kA", "mA", "V", "kV", "W", "kW", "MW", "kWh",
    "Hz", "r/min", "rpm", "%", "%LEL", "ppm", "mg/m3", "mg/m³", "mm/s", "μm", "um", "mm", "cm", "m", "m3/h", "m³/h",
    "t/h", "kg/h", "L/min", "L/h", "kg", "t", "dB", "pH", "NTU", "μS/cm", "lx", "h", "min", "s",
]
"""Units a reading may carry (compared after NFKC, so ℃ and °C, ㎫ and MPa are the same unit)."""


class ReadingsSource(Section):
    """One file, folder or glob of operational readings."""

    name: str | None = None
    """Names the readings in rejects (default: the file name)."""
    path: RecipePath
    format: Literal["csv", "parquet", "jsonl"]
    time_field: str = "timestamp"
    equipment_field: str = "equipment"
    """The tag id (P-101, BY-505) or name (2号换热器) of the equipment the reading is from."""
    name_field: str | None = None
    """Optional second name of the same equipment (e.g. the display name beside a tag id); either links."""
    metric_field: str = "metric"
    value_field: str = "value"
    unit_field: str = "unit"
    low_field: str | None = None
    high_field: str | None = None
    encoding: str = "utf-8"


class FusionConfig(StageSection):
    readings: list[ReadingsSource] = []
    """No readings: the stage does nothing."""
    thresholds: RecipePath | None = None
    """CSV or JSONL with `equipment` (empty or `*` = any), `metric`, `low`, `high`, `unit` per limit."""
    domains: list[Literal["industrial", "general"]] = ["industrial"]
    time_field: str | None = "date"
    """The document field (kept in `meta` by ingest) holding its date or time."""
    time_from_text: bool = True
    window_hours: float = Field(24.0, ge=0)
    utc_offset_hours: float = Field(8.0, ge=-14, le=14)
    """Times with an explicit offset (`Z`, `+00:00`) are moved to this local time; others are taken as local."""
    ontology_synonyms: bool = True
    """Also link equipment by the ontology's synonyms of its term (1号空气压缩机 = 1号空压机)."""
    mode: Literal["sentence", "column"] = "sentence"
    max_readings: int = Field(6, ge=1)
    anomaly_weight: float = Field(1.0, ge=0)
    units: list[str] = Field(default_factory=lambda: list(DEFAULT_UNITS))

    @field_validator("readings")
    @classmethod
    def _unique_names(cls, sources: list[ReadingsSource]) -> list[ReadingsSource]:
        names = [s.name for s in sources if s.name]
        if len(names) != len(set(names)):
            raise ValueError("readings names must be unique")
        return sources


# -- time -----------------------------------------------------------------------------------------------------

_DATE_RE = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s*|T|\s*日?\s*)(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}(?:\.\d+)?))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_EPOCH = datetime(1970, 1, 1)


def _seconds(parts: tuple, offset_hours: float) -> tuple[int, int]:
    """(start, end) in local seconds since 1970 of a date (a whole day) or a time (one instant)."""
    year, month, day, hour, minute, second, zone = parts
    base = datetime(int(year), int(month), int(day))
    if hour is None:
        start = int((base - _EPOCH).total_seconds())
        return start, start + 86400
    moment = base + timedelta(hours=int(hour), minutes=int(minute), seconds=float(second or 0))
    if int(hour) > 23 or int(minute) > 59:
        raise ValueError("hour or minute out of range")
    if zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = 0.0 if zone == "Z" else sign * (int(digits[:2]) + int(digits[2:]) / 60)
        moment += timedelta(hours=offset_hours - offset)
    start = int((moment - _EPOCH).total_seconds())
    return start, start


def parse_time(value, offset_hours: float = 8.0, whole: bool = True) -> tuple[int, int] | None:
    """A date or time as (start, end) local seconds, or None. `whole`: the value must be only the time."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, (int, float)):  # epoch seconds (UTC)
        if not math.isfinite(value) or not 0 < value < 1e11:
            return None
        moment = datetime.fromtimestamp(float(value), timezone.utc).replace(tzinfo=None)
        start = int((moment - _EPOCH).total_seconds() + offset_hours * 3600)
        return start, start
    text = str(value).strip()
    match = _DATE_RE.fullmatch(text) if whole else _DATE_RE.search(text)
    if not match:
        return None
    try:
        return _seconds(match.groups(), offset_hours)
    except ValueError:
        return None


def document_time(meta: str | None, text: str, config: FusionConfig) -> tuple[int, int] | None:
    """The document's time: its metadata field, else the first date in its text (when allowed)."""
    if config.time_field and meta:
        try:
            value = json.loads(meta).get(config.time_field)
        except (ValueError, AttributeError):
            value = None
        found = parse_time(value, config.utc_offset_hours)
        if found:
            return found
    if config.time_from_text:
        return parse_time(text, config.utc_offset_hours, whole=False)
    return None


# -- reading the readings -------------------------------------------------------------------------------------


def _unit_key(unit: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", unit).strip().replace(" ", "")


def _number(value) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _raw_records(source: ReadingsSource):
    """(where, record dict or None, raw text) per reading of a source; where is `file:line` (`file:row N`)."""
    from corpusctl.io.readers import source_files

    for file, _rel in source_files(source.path, source.format):
        if source.format == "parquet":
            import pyarrow.parquet as pq

            row = 0
            for batch in pq.ParquetFile(file).iter_batches(batch_size=8192):
                for record in batch.to_pylist():
                    row += 1
                    yield f"{file}:row {row}", record, record
            continue
        with open(file, encoding=source.encoding, errors="strict", newline="") as handle:
            try:
                if source.format == "csv":
                    reader = csv.DictReader(handle, delimiter="\t" if file.suffix == ".tsv" else ",")
                    _ = reader.fieldnames  # reads the header
                    line = reader.line_num
                    for record in reader:
                        where = f"{file}:{line + 1}"
                        line = reader.line_num
                        if None in record or None in record.values():
                            yield where, None, record
                        else:
                            yield where, record, record
                else:
                    for number, text in enumerate(handle, 1):
                        if not text.strip():
                            continue
                        try:
                            record = json.loads(text)
                        except ValueError:
                            record = None
                        yield f"{file}:{number}", record if isinstance(record, dict) else None, text.rstrip("\n")
            except UnicodeDecodeError as exc:
                raise CorpusctlError(f"{file}: readings do not decode as {source.encoding} ({exc.reason}); set "
                                     "fusion.readings[].encoding") from None


def read_thresholds(path: Path | None) -> dict[tuple[str, str], tuple[float | None, float | None, str]]:
    """(equipment key or "", metric) -> (low, high, unit key); a bad row is an error naming file:line."""
    if path is None:
        return {}
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CorpusctlError(f"fusion.thresholds {path} cannot be read: {exc.strerror or exc}") from None
    if path.suffix in (".jsonl", ".json", ".ndjson"):
        rows = [(n, json.loads(line)) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    else:
        reader = csv.DictReader(text.splitlines())
        rows = [(n, row) for n, row in enumerate(reader, 2)]
    table = {}
    for number, row in rows:
        try:
            metric = str(row.get("metric") or "").strip()
            if not metric:
                raise ValueError("no metric")
            low, high = _number(row.get("low")), _number(row.get("high"))
            if low is None and high is None:
                raise ValueError("neither low nor high is set")
        except (ValueError, AttributeError) as exc:
            raise CorpusctlError(f"{path}:{number}: bad threshold row ({exc})") from None
        equipment = str(row.get("equipment") or "").strip()
        table[(_tag_key("" if equipment == "*" else equipment), metric)] = (low, high, _unit_key(str(row.get("unit") or "")))
    return table


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _tag_key(text: str) -> str:
    """How equipment names are compared: ASCII letters upper-cased (length-preserving, so offsets hold)."""
    return text.translate(_ASCII_UPPER)


def parse_reading(record: dict, source: ReadingsSource, units: set[str], thresholds: dict,
                  offset_hours: float) -> tuple[dict | None, str, str]:
    """(reading, reason, detail): a reading dict and "" or None and why it is rejected."""
    fields = [source.time_field, source.equipment_field, source.metric_field, source.value_field, source.unit_field]
    missing = [f for f in fields if record.get(f) is None or str(record.get(f)).strip() == ""]
    if missing:
        return None, "missing_field", f"no {', '.join(missing)}"
    when = parse_time(record[source.time_field], offset_hours)
    if when is None:
        return None, "bad_time", f"time {record[source.time_field]!r} does not parse"
    try:
        value = _number(record[source.value_field])
        low = _number(record.get(source.low_field)) if source.low_field else None
        high = _number(record.get(source.high_field)) if source.high_field else None
    except ValueError as exc:
        return None, "bad_value", str(exc)
    unit = _unit_key(str(record[source.unit_field]))
    if unit not in units:
        return None, "unknown_unit", f"unit {record[source.unit_field]!r} is not in fusion.units"
    equipment = str(record[source.equipment_field]).strip()
    name = str(record.get(source.name_field) or "").strip() if source.name_field else ""
    metric = str(record[source.metric_field]).strip()
    if low is None and high is None:
        for key in dict.fromkeys([_tag_key(equipment), _tag_key(name), ""]):
            limit = thresholds.get((key, metric))
            if limit and limit[2] in ("", unit):
                low, high = limit[0], limit[1]
                break
    return {"equipment": equipment, "name": name, "metric": metric, "time": when[0], "value": value,
            "unit": str(record[source.unit_field]).strip(), "low": low, "high": high}, "", ""


def load_readings(config: FusionConfig, reject) -> tuple[dict, dict]:
    """All readings as a table sorted by (equipment, time) and their statistics; `reject(source, where, reason,
    detail, raw)` receives each bad one."""
    units = {_unit_key(u) for u in config.units}
    thresholds = read_thresholds(config.thresholds)
    kept: list[dict] = []
    read = 0
    rejected: dict[str, int] = {}
    for source in config.readings:
        for where, record, raw in _raw_records(source):
            read += 1
            if record is None:
                reading, reason, detail = None, "malformed", "not a record (bad JSON or wrong number of CSV fields)"
            else:
                reading, reason, detail = parse_reading(record, source, units, thresholds, config.utc_offset_hours)
            if reading is None:
                rejected[reason] = rejected.get(reason, 0) + 1
                reject(source.name or Path(where.rsplit(":", 1)[0]).name, where, reason, f"{where}: {detail}", raw)
                continue
            reading["where"] = where
            kept.append(reading)
    kept.sort(key=lambda r: (_tag_key(r["equipment"]), r["time"], r["metric"], r["where"]))
    columns = {name: [r[name] for r in kept] for name in
               ("equipment", "name", "metric", "time", "value", "unit", "low", "high", "where")}
    over = sum(1 for r in kept if is_over(r["value"], r["low"], r["high"]))
    stats = {"readings_read": read, "readings_ok": len(kept), "readings_rejected": rejected,
             "readings_over_limit": over, "equipment": len({_tag_key(r["equipment"]) for r in kept}),
             "with_limits": sum(1 for r in kept if r["low"] is not None or r["high"] is not None)}
    return columns, stats


def is_over(value: float, low: float | None, high: float | None) -> bool:
    return (high is not None and value > high) or (low is not None and value < low)


READINGS_SCHEMA = pa.schema([("equipment", pa.string()), ("name", pa.string()), ("metric", pa.string()),
                             ("time", pa.int64()), ("value", pa.float64()), ("unit", pa.string()),
                             ("low", pa.float64()), ("high", pa.float64()), ("where", pa.string())])


# -- linking ----------------------------------------------------------------------------------------------------

_NUMBERED = re.compile(r"^(\d+)\s*[号#＃](.+)$")
_ID_CHARS = re.compile(r"[A-Za-z0-9]")


def name_variants(name: str, synonyms: dict[str, list[str]] | None = None) -> list[str]:
    """The ways a numbered equipment name is written: 2号换热器, 2#换热器, #2换热器, and with each ontology
    synonym of the equipment term (1号空气压缩机: also 1号空压机, 1#空压机 …)."""
    key = _tag_key(name.strip())
    match = _NUMBERED.match(key)
    if not match:
        return list(dict.fromkeys([key, *(synonyms or {}).get(key, [])])) if key else []
    number, rest = match.groups()
    terms = [rest, *(synonyms or {}).get(rest, [])]
    return list(dict.fromkeys(v for term in terms for v in (f"{number}号{term}", f"{number}#{term}", f"#{number}{term}")))


def equipment_synonyms(directory: Path | None) -> dict[str, list[str]]:
    """Term -> the other names of the same EQUIPMENT concept in the ontology (`term` and `synonyms`)."""
    groups: dict[str, list[str]] = {}
    for path in sorted(Path(directory).glob("*.jsonl")) if directory else []:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    concept = json.loads(line)
                except ValueError:
                    continue  # `corpusctl ontology validate` reports it; the ontology stage refuses it
                if not isinstance(concept, dict) or concept.get("category") != "EQUIPMENT":
                    continue
                names = [n for n in [concept.get("term"), *(concept.get("synonyms") or [])] if isinstance(n, str) and n]
                for name in names:
                    groups.setdefault(_tag_key(name), []).extend(_tag_key(n) for n in names if n != name)
    return groups


class _Index:
    """Readings of one worker: numpy arrays per column, per-equipment slices, and a matcher for mentions."""

    def __init__(self, table: pa.Table, normalize, synonyms: dict[str, list[str]] | None = None):
        import ahocorasick

        self.equipment = table.column("equipment").to_pylist()
        self.names = table.column("name").to_pylist()
        self.metric = table.column("metric").to_pylist()
        self.unit = table.column("unit").to_pylist()
        self.time = table.column("time").to_numpy()
        self.value = table.column("value").to_numpy()
        self.low = table.column("low").to_numpy(zero_copy_only=False)
        self.high = table.column("high").to_numpy(zero_copy_only=False)
        keys = [_tag_key(e) for e in self.equipment]
        self.starts: list[int] = []
        self.labels: list[str] = []
        for row, key in enumerate(keys):
            if row == 0 or key != keys[row - 1]:
                self.starts.append(row)
                self.labels.append(self.names[row] or self.equipment[row])
        self.starts.append(len(keys))
        self.automaton = ahocorasick.Automaton()
        aliases: dict[str, set[int]] = {}
        for index, first in enumerate(self.starts[:-1]):
            for surface in {self.equipment[first], *filter(None, self.names[first:self.starts[index + 1]])}:
                for variant in name_variants(normalize(surface), synonyms):
                    aliases.setdefault(variant, set()).add(index)
        for variant, owners in aliases.items():
            self.automaton.add_word(variant, (variant, tuple(sorted(owners))))
        if aliases:
            self.automaton.make_automaton()

    def mentions(self, text: str) -> list[int]:
        """Equipment indexes mentioned in `text`, in order of first mention (whole ids and names only)."""
        if not len(self.automaton):
            return []
        key = _tag_key(text)
        found: dict[int, None] = {}
        for end, (variant, owners) in self.automaton.iter_long(key):
            start = end - len(variant) + 1
            before = key[start - 1] if start else ""
            after = key[end + 1] if end + 1 < len(key) else ""
            if _ID_CHARS.match(variant[0]) and before and (_ID_CHARS.match(before) or before == "-"):
                continue
            if _ID_CHARS.match(variant[-1]) and after and (_ID_CHARS.match(after) or
                                                           (after == "-" and end + 2 < len(key)
                                                            and _ID_CHARS.match(key[end + 2]))):
                continue
            for owner in owners:
                found.setdefault(owner, None)
        return list(found)

    def pick(self, equipment: int, lo: int, hi: int, middle: float) -> list[int]:
        """Rows of one equipment in [lo, hi]: per metric, the one furthest over a limit, else the nearest."""
        first, last = self.starts[equipment], self.starts[equipment + 1]
        times = self.time[first:last]
        a = first + int(np.searchsorted(times, lo, side="left"))
        b = first + int(np.searchsorted(times, hi, side="right"))
        best: dict[str, tuple] = {}
        for row in range(a, b):
            low, high = self._limits(row)
            excess = _excess(float(self.value[row]), low, high)
            rank = (0, -excess, abs(self.time[row] - middle), row) if excess > 0 else \
                (1, 0.0, abs(self.time[row] - middle), row)
            if self.metric[row] not in best or rank < best[self.metric[row]]:
                best[self.metric[row]] = rank
        return [rank[3] for _, rank in sorted(best.items(), key=lambda item: item[1])]

    def _limits(self, row: int) -> tuple[float | None, float | None]:
        low, high = float(self.low[row]), float(self.high[row])
        return (None if math.isnan(low) else low), (None if math.isnan(high) else high)


def _excess(value: float, low: float | None, high: float | None) -> float:
    """How far past its limit a value is, relative to the limit (0 when within limits)."""
    if high is not None and value > high:
        return (value - high) / max(abs(high), 1e-9)
    if low is not None and value < low:
        return (low - value) / max(abs(low), 1e-9)
    return 0.0


def _number_text(value: float) -> str:
    return f"{value:.6g}"


def describe(label: str, metric: str, value: float, unit: str, low: float | None, high: float | None) -> str:
    """One reading as a short Chinese phrase: 2号换热器 出口温度 186℃（上限 180℃，超限）."""
    text = f"{label} {metric} {_number_text(value)}{unit}"
    if high is not None and value > high:
        return text + f"（上限 {_number_text(high)}{unit}，超限）"
    if low is not None and value < low:
        return text + f"（下限 {_number_text(low)}{unit}，低于下限）"
    if low is not None or high is not None:
        return text + "（正常）"
    return text


class FusionStage:
    """Batch function: per document, the fused context (sentence or column), the raised priority, events.

    Picklable: the readings table is read from the checkpoint lazily in each worker.
    """

    def __init__(self, config: FusionConfig, readings: Path, normalize=None, squash: str = "log1p",
                 synonyms: dict[str, list[str]] | None = None):
        self.config = config
        self.readings = Path(readings)
        self.normalize = normalize
        self.squash = squash
        self.synonyms = synonyms or {}
        """Ontology synonyms of equipment terms, so 1号空气压缩机's readings link to a report on 1号空压机."""
        self._index: _Index | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_index": None}

    def _normalized(self, text: str) -> str:
        if self.normalize is None or not self.normalize.enabled:
            return text
        from corpusctl.stages.normalize import normalize_text

        return normalize_text(text, self.normalize)

    def index(self) -> _Index:
        if self._index is None:
            import pyarrow.feather as feather

            synonyms = {self._normalized(k): [self._normalized(v) for v in vs] for k, vs in self.synonyms.items()}
            self._index = _Index(feather.read_table(str(self.readings)), self._normalized, synonyms)
        return self._index

    def __call__(self, batch: dict) -> dict:
        index = self.index()
        config = self.config
        window = int(config.window_hours * 3600)
        texts, priorities, contexts, events = [], [], [], []
        for domain, title, text, meta, priority in zip(batch["domain"], batch["title"], batch["text"],
                                                       batch["meta"], batch["priority"], strict=True):
            priority = priority or 0.0
            happened: list[str] = []
            context = ""
            mentioned = index.mentions(f"{title or ''}\n{text}") if domain in config.domains else []
            if mentioned:
                happened.append("fusion.linked")
                when = document_time(meta, text, config)
                if when is None:
                    happened.append("fusion.undated")
                else:
                    context, used, over = self._context(index, mentioned, when, window)
                    if context:
                        happened += ["fusion.fused"] + ["fusion.reading"] * used + ["fusion.anomaly"] * over
                        if over and config.anomaly_weight:
                            priority = self._raise(priority, over * config.anomaly_weight)
                            happened.append("fusion.priority_raised")
                    else:
                        happened.append("fusion.no_readings_in_window")
            if context and config.mode == "sentence":
                text = f"{text.rstrip()}\n{context}"
            texts.append(text)
            contexts.append(context)
            priorities.append(priority)
            events.append(happened)
        out = {"priority": priorities, "_events": events}
        if config.mode == "sentence":
            out["text"] = texts
        else:
            out["fusion"] = contexts
        return out

    def _context(self, index: _Index, mentioned: list[int], when: tuple[int, int], window: int) -> tuple[str, int, int]:
        """The fused sentence of one document, how many readings it holds and how many are over a limit."""
        lo, hi = when[0] - window, when[1] + window
        middle = (when[0] + when[1]) / 2
        chosen = []  # (over-limit first, order of mention, rank in its equipment, row)
        for order, equipment in enumerate(mentioned):
            for rank, row in enumerate(index.pick(equipment, lo, hi, middle)):
                low, high = index._limits(row)
                chosen.append((0 if is_over(float(index.value[row]), low, high) else 1, order, rank, row, equipment))
        chosen.sort()
        chosen = chosen[:self.config.max_readings]
        if not chosen:
            return "", 0, 0
        phrases = []
        for _, _, _, row, equipment in sorted(chosen, key=lambda c: (c[0], c[1], c[2])):
            low, high = index._limits(row)
            phrases.append(describe(index.labels[equipment], index.metric[row], float(index.value[row]),
                                    index.unit[row], low, high))
        over = sum(1 for c in chosen if c[0] == 0)
        return self._normalized("运行数据：" + "；".join(phrases) + "。"), len(chosen), over

    def _raise(self, priority: float, weight: float) -> float:
        """Add anomaly weight to a priority, squashed as clean.anomaly.squash squashes it."""
        if self.squash == "log1p":
            return round(math.log1p(math.expm1(priority) + weight), 6)
        return round(priority + weight, 6)


# -- the build step ----------------------------------------------------------------------------------------------


@register
class Fusion(GlobalStep):
    """Reads and indexes the equipment readings (bad ones to rejects/fusion.jsonl); `fusion-join` uses them."""

    name = "fusion"
    section = "fusion"
    applies = False
    manifest_key = "fusion"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return recipe.fusion.enabled and bool(recipe.fusion.readings)

    def settings(self) -> list:
        from corpusctl.io.readers import source_files

        stamps = [(str(p), p.stat().st_size, p.stat().st_mtime_ns)
                  for source in self.settings_section.readings for p, _ in source_files(source.path, source.format)]
        return [*super().settings(), stamps]

    def files(self) -> list[Path]:
        return [self.settings_section.thresholds] if self.settings_section.thresholds else []

    def plan(self, ctx, measured, checkpoint) -> tuple[None, dict]:
        import pyarrow.feather as feather

        from corpusctl.stages.ingest import scrub_stage

        pii = scrub_stage(self.recipe)  # a rejected line reaches disk scrubbed, field by field, as ingest's do

        def reject(source, where, reason, detail, raw):
            if pii:
                raw = pii.scrubber.scrub_value(raw if isinstance(raw, dict) else str(raw), Counter())
                detail = pii.scrubber.scrub(detail)[0]
            ctx.reject(self.name, where, source, reason, detail, raw)

        columns, stats = load_readings(self.settings_section, reject)
        feather.write_feather(pa.table(columns, schema=READINGS_SCHEMA), str(checkpoint.dir / "readings.arrow"))
        return None, stats

    def summary(self, ctx, checkpoint) -> dict:
        return fusion_summary(ctx)


@register
class FusionJoin(Stage):
    """Joins the readings to the documents they are about (a sentence or a column, and the priority)."""

    name = "fusion-join"
    section = "fusion"
    needs = ("fusion",)
    reads = ["domain", "title", "text", "meta", "priority"]

    enabled = Fusion.enabled

    def columns(self):
        written = "text" if self.settings_section.mode == "sentence" else "fusion"
        return self.reads, ["priority", "_events", written], None

    def _normalize(self):
        clean = self.recipe.clean
        return clean.normalize if clean.enabled and clean.normalize.enabled else None

    def _ontology(self):
        ontology = self.recipe.ontology
        return ontology.dir if ontology.enabled and self.settings_section.ontology_synonyms else None

    def settings(self) -> list:
        normalize = self._normalize()
        return [*super().settings(), self.results["fusion"].fingerprint,
                normalize.model_dump(mode="json") if normalize else None, self._squash()]

    def _squash(self) -> str:
        return self.recipe.clean.anomaly.squash if self.recipe.clean.enabled else "log1p"

    def files(self) -> list[Path]:
        ontology = self._ontology()
        return sorted(Path(ontology).glob("*.jsonl")) if ontology else []

    def function(self):
        return FusionStage(self.settings_section, self.results["fusion"].dir / "readings.arrow", self._normalize(),
                           self._squash(), equipment_synonyms(self._ontology()))


def fusion_columns(recipe) -> list[str]:
    """The columns fusion adds that travel to pretrain/: `fusion` in column mode, else none."""
    config = recipe.fusion
    return ["fusion"] if config.enabled and config.readings and config.mode == "column" else []


def fusion_summary(build) -> dict:
    """The manifest's `fusion` entry: readings read/used/rejected, documents linked/fused, anomalies."""
    config = build.recipe.fusion
    if not (config.enabled and config.readings):
        return {"enabled": False}
    readings = {k: v for k, v in build.stats.get("fusion", {}).items() if k != "seconds"}
    join = build.stats.get("fusion-join", {})
    events = join.get("events", {})
    return {
        "mode": config.mode,
        **readings,
        "documents_in": join.get("docs_in", 0),
        "documents_linked": events.get("fusion.linked", 0),
        "documents_undated": events.get("fusion.undated", 0),
        "documents_without_readings_in_window": events.get("fusion.no_readings_in_window", 0),
        "documents_fused": events.get("fusion.fused", 0),
        "readings_used": events.get("fusion.reading", 0),
        "anomalies": events.get("fusion.anomaly", 0),
        "documents_priority_raised": events.get("fusion.priority_raised", 0),
        "by_source": {source: {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("fusion.")}
                      for source, counts in join.get("events_by_source", {}).items()},
    }

