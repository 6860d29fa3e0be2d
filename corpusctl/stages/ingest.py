"""Ingest: every source of the recipe read into the first checkpoint, personal data scrubbed on the way.

With `clean.pii` on, personal data is scrubbed here, in every text-bearing field and in every rejected line,
before anything is written: the work folder never holds it. Malformed lines go to the rejects with file:line
(or stop the build under `--strict`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from corpusctl.io.columns import to_record_batch
from corpusctl.io.readers import Reject, SourceReader, source_files
from corpusctl.io.remote import as_file
from corpusctl.stages.base import Stage, register

BATCH_SIZE = 256
COLUMNS = ["id", "source", "domain", "kind", "title", "text", "label", "origin", "meta"]


def scrub_stage(recipe):
    """The scrub every ingested record and rejected line goes through (None when clean.pii is off)."""
    pii = recipe.clean.pii
    if not (recipe.clean.enabled and pii.enabled):
        return None
    from corpusctl.stages.pii import PiiStage

    return PiiStage(pii)


def fallback_id(source: str, origin: str, relative: dict[str, str]) -> str:
    """The id a record gets without an id field (source:file:line, file relative to the source), rebuilt
    from its origin: the stable, unique replacement for an id that held personal data."""
    file, _, where = origin.rpartition(":")
    rel = relative.get(file)
    if rel is None:  # a split of an hf folder: origin names folder/split
        parent = str(Path(file).parent)
        rel = f"{relative.get(parent, Path(parent).name)}/{Path(file).name}"
    return f"{source}:{rel}:{where.removeprefix('row ')}"


@register
class Ingest(Stage):
    """Reads the sources instead of a checkpoint (`read`); its batch function is the scrub, if any."""

    name = "ingest"
    section = "sources"
    writes = COLUMNS
    reads_sources = True
    malformed_input_rejects = True
    """Its rejects are malformed input lines: `--strict` stops the build at the first."""

    def settings(self) -> list:
        stamps = []
        for source in self.recipe.sources:
            for file, _rel in source_files(source.path, source.format):
                paths = [file] if file.is_file() else sorted(p for p in file.rglob("*") if p.is_file())
                stamps += [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
        scrub_settings = None
        if scrub_stage(self.recipe) is not None:
            from corpusctl.stages.pii import fingerprint

            scrub_settings = fingerprint(self.recipe.clean.pii)
        return [[s.model_dump(mode="json") for s in self.recipe.sources], stamps, scrub_settings]

    @classmethod
    def enabled(cls, recipe) -> bool:
        return True

    def function(self):
        return scrub_stage(self.recipe)

    def empty_message(self, checkpoint) -> str:
        return f"the sources hold no readable documents (see the rejects in the work folder {checkpoint.rejects})"

    def read(self, ctx, counter, scrub) -> Iterator[pa.RecordBatch]:
        """Batches of raw records of every source in recipe order (with each record's fallback id when the
        scrub will need it); rejected lines are scrubbed here and written as they come."""
        def sources():
            for source in self.recipe.sources:
                files = source_files(source.path, source.format)  # (listed once: a store is asked once)
                reader = SourceReader(source)
                items = (item for file, rel in files for item in reader.read_file(file, rel))
                yield source, items, {str(file): rel for file, rel in files}

        return self._batches(ctx, counter, scrub, sources())

    def units(self) -> list[tuple[int, str, str]]:
        """The sources' files in recipe order, (source index, file, relative name): each can be read on its
        own, by a cluster's worker (`read_unit`), the records of all of them in order being `read`'s."""
        return [(index, str(file), rel) for index, source in enumerate(self.recipe.sources)
                for file, rel in source_files(source.path, source.format)]

    def read_unit(self, ctx, counter, scrub, unit: tuple[int, str, str]) -> Iterator[pa.RecordBatch]:
        """`read` of one of `units()`."""
        index, file, rel = unit
        source = self.recipe.sources[index]
        items = SourceReader(source).read_file(as_file(file), rel)
        return self._batches(ctx, counter, scrub, [(source, items, {file: rel})])

    def _batches(self, ctx, counter, scrub, sources) -> Iterator[pa.RecordBatch]:
        keys = [*COLUMNS, "_fallback_id"] if scrub else COLUMNS
        pending: dict[str, list] = {c: [] for c in keys}
        for source, items, relative in sources:
            for item in items:
                counter.docs_in += 1
                if isinstance(item, Reject):
                    counter.rejects[item.reason] += 1
                    detail, raw = item.detail, item.raw
                    if scrub:
                        detail = scrub.scrubber.scrub(detail)[0]
                        raw = scrub.scrubber.scrub_json(raw)[0]
                    ctx.reject(self.name, None, source.name, item.reason, detail, raw)
                    continue
                for c in COLUMNS:
                    pending[c].append(item[c])
                if scrub:
                    pending["_fallback_id"].append(fallback_id(source.name, item["origin"], relative))
                if len(pending["id"]) >= BATCH_SIZE:
                    yield _take(pending, counter)
        if pending["id"]:
            yield _take(pending, counter)


def _take(pending: dict[str, list], counter) -> pa.RecordBatch:
    counter.chars_in += sum(map(len, pending["title"])) + sum(map(len, pending["text"]))
    batch = to_record_batch(pending)
    for values in pending.values():
        values.clear()
    return batch
