"""`corpusctl build`: runs the stages in order over a work folder of checkpoints, then publishes the output.

Every per-record stage is a batch function run by an executor (local processes or Ray Data) over Arrow
batches streamed from the previous stage's checkpoint, so memory stays flat as the corpus grows. Global
steps (dedup decisions, the mix plan, the format assignment, the vocabulary, the splits) keep only small
per-record data. The finished output is assembled in the work folder and appears by a rename.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyarrow as pa

from corpusctl import __version__
from corpusctl.errors import CorpusctlError, InputError
from corpusctl.executor import make_executor
from corpusctl.io.columns import to_record_batch
from corpusctl.io.output import BuildLock, publish, work_folder
from corpusctl.io.readers import Reject, SourceReader, source_files
from corpusctl.io.workdir import (
    ArrowStreamWriter,
    StageCheckpoint,
    StageCounter,
    batch_chars,
    read_batches,
)
from corpusctl.recipe import Recipe

BATCH_SIZE = 256
BOOKKEEPING = ("_reject", "_reject_detail", "_events")


@dataclass
class BuildOptions:
    workers: int | None = None
    executor: str = "local"
    ray_address: str | None = None
    resume: bool = False
    strict: bool = False
    keep_work: bool = False
    """Keep the work folder after a successful build (for later `--resume` runs); by default it is removed."""


class Progress:
    """What the pipeline tells its caller; the CLI renders it with rich, the library stays silent."""

    def stage_started(self, name: str, total: int | None) -> None: ...
    def advance(self, rows: int, nbytes: int) -> None: ...
    def stage_done(self, name: str, stats: dict, reused: bool) -> None: ...
    def message(self, text: str) -> None: ...
    def step_started(self, name: str, total: int | None, counter) -> None:
        """A global step (vocabulary, an export) began, maybe in a process of its own; it adds the rows it has
        read to `counter.value` (shared memory), so a renderer can poll it."""
    def step_done(self, name: str) -> None: ...


@dataclass
class BuildResult:
    output: Path
    manifest: dict
    reused: list[str] = field(default_factory=list)


def _hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@cache
def code_version() -> str:
    """A hash of corpusctl's source files and library versions: checkpoints of other code are never reused."""
    package = Path(__file__).resolve().parent
    from corpusctl.manifest import library_versions

    digest = hashlib.sha256(json.dumps([__version__, library_versions()]).encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def files_digest(paths: Iterable[str | Path]) -> str:
    """A hash of the files' contents (lexicons, ontology): editing one in place invalidates its stages.

    Input corpora are fingerprinted by size and modification time instead (hashing 100 GB per resume
    would cost as much as a stage).
    """
    digest = hashlib.sha256()
    for path in sorted(str(p) for p in paths):
        digest.update(path.encode() + b"\0")
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()[:16]


STALE_REASONS = {
    "settings": "its recipe settings changed",
    "files": "a lexicon or ontology file it reads changed",
    "input": "its input changed (an earlier stage was recomputed)",
    "code": "the corpusctl code changed",
}


class Build:
    """One run of a recipe. Attributes hold what later stages need from earlier ones."""

    def __init__(self, recipe: Recipe, options: BuildOptions, progress: Progress | None = None):
        self.recipe = recipe
        self.options = options
        self.progress = progress or Progress()
        self.output = Path(recipe.output)
        self.work = work_folder(self.output)
        self.stats: dict[str, dict] = {}
        self.reused: list[str] = []
        self.recomputed: dict[str, str] = {}
        """With --resume: stages whose checkpoint was stale, and why."""
        self.checkpoints: list[str] = []
        """The stage checkpoints this build uses, in order (a resumed work dir may hold others)."""
        self.timings: dict[str, float] = {}
        """Seconds of the global steps that are not stage checkpoints (vocabulary, writes, exports)."""
        self.executor = make_executor(options.executor, options.workers, options.ray_address)
        self.overlap = self.executor.name == "local" and self.executor.workers > 1
        """Run single-threaded global steps in processes of their own, alongside the rest (local, >1 core;
        a Ray driver is not forked)."""
        self.strict = options.strict or recipe.strict

    # -- generic stage runners ------------------------------------------------------------------------

    def checkpoint(self, name: str, *settings, inputs: Iterable[StageCheckpoint] = (),
                   files: Iterable[str | Path] = ()) -> tuple[StageCheckpoint, dict | None]:
        """The stage's checkpoint and, with --resume, its statistics if it can be reused.

        The fingerprint covers everything that decides the stage's output: its recipe settings, the
        fingerprints of the checkpoints it reads (so a recomputed stage invalidates every later one), the
        contents of the files it reads and the corpusctl code. Only a checkpoint whose `done.json` (written
        last, after the data is renamed into place) has the same fingerprint is reused.
        """
        parts = {"settings": _hash(*settings), "files": files_digest(files),
                 "input": _hash(*(source.fingerprint for source in inputs)), "code": code_version()}
        cp = StageCheckpoint(self.work, name, _hash(name, parts), parts)
        self.checkpoints.append(name)
        stats = cp.load() if self.options.resume else None
        if stats is not None:
            self.reused.append(name)
            self.stats[name] = stats
            self.progress.stage_done(name, stats, reused=True)
            return cp, stats
        changed = cp.changed_parts() if self.options.resume else []
        if changed:
            reason = "; ".join(STALE_REASONS.get(part, part) for part in changed)
            self.recomputed[name] = reason
            self.progress.message(f"{name}: checkpoint is stale ({reason}); recomputing")
        cp.reset()
        return cp, None

    def map_stage(self, name: str, fn: Callable[[dict], dict], source: StageCheckpoint, *settings,
                  files: Iterable[str | Path] = (), batches: Iterator[pa.RecordBatch] | None = None
                  ) -> StageCheckpoint:
        """Run a batch function over the source checkpoint; rejects and events are split off and counted."""
        cp, stats = self.checkpoint(name, *settings, inputs=[source], files=files)
        if stats is not None:
            return cp
        started = time.perf_counter()
        counter = StageCounter()
        writer = ArrowStreamWriter(cp.data)
        total = self.stats.get(source.name, {}).get("docs_out")
        self.progress.stage_started(name, total)

        def counted_input():
            for batch in batches if batches is not None else read_batches(source.data, BATCH_SIZE):
                counter.docs_in += batch.num_rows
                counter.chars_in += batch_chars(batch)
                self.progress.advance(batch.num_rows, 0)
                yield batch

        with open(cp.rejects, "w", encoding="utf-8") as rejects:
            for out in self.executor.map(fn, counted_input()):
                kept = self._split_bookkeeping(name, out, counter, rejects)
                writer.write(kept)
                counter.docs_out += kept.num_rows
                counter.chars_out += batch_chars(kept)
        writer.close()
        stats = counter.stats(time.perf_counter() - started)
        cp.finish(stats)
        self.stats[name] = stats
        self.progress.stage_done(name, stats, reused=False)
        return cp

    def _split_bookkeeping(self, stage: str, batch: pa.RecordBatch, counter: StageCounter, rejects) -> pa.RecordBatch:
        names = batch.schema.names
        if "_events" in names:
            counter.add_events(batch.column("source").to_pylist() if "source" in names else [""] * batch.num_rows,
                               batch.column("_events").to_pylist())
        if "_reject" in names:
            reasons = batch.column("_reject").to_pylist()
            if any(reasons):
                details = batch.column("_reject_detail").to_pylist() if "_reject_detail" in names else [""] * len(reasons)
                rows = batch.to_pylist()
                for row, reason, detail in zip(rows, reasons, details):
                    if reason:
                        counter.rejects[reason] += 1
                        record = {k: v for k, v in row.items() if not k.startswith("_")}
                        self._reject(rejects, stage, row.get("id"), row.get("source"), reason, detail, record)
                keep = pa.array([not r for r in reasons])
                batch = batch.filter(keep)
        drop = [n for n in names if n in BOOKKEEPING]
        return batch.drop_columns(drop) if drop else batch

    def _reject(self, handle, stage: str, record_id, source, reason: str, detail: str, record) -> None:
        if self.strict and stage == "ingest":  # strict is about malformed input, not about quality filtering
            raise InputError(f"{detail or record_id}: {reason} (--strict stops the build at malformed input)")
        handle.write(json.dumps({"id": record_id, "source": source, "stage": stage, "reason": reason,
                                 "detail": detail, "record": record}, ensure_ascii=False) + "\n")

    # -- stages ---------------------------------------------------------------------------------------

    def ingest(self) -> StageCheckpoint:
        """Read every source in recipe order; malformed lines go to rejects with file:line.

        With `clean.pii` on, personal data is scrubbed here, in every text-bearing field and in every
        rejected line, before anything is written: the work folder never holds it (issue 15, items 10-11).
        """
        recipe = self.recipe
        stamps = []
        for source in recipe.sources:
            for file, _rel in source_files(source.path, source.format):
                paths = [file] if file.is_file() else sorted(p for p in file.rglob("*") if p.is_file())
                stamps += [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
        scrub_settings = None
        if recipe.clean.enabled and recipe.clean.pii.enabled:
            from corpusctl.stages.pii import fingerprint

            scrub_settings = fingerprint(recipe.clean.pii)
        cp, stats = self.checkpoint("ingest", [s.model_dump(mode="json") for s in recipe.sources], stamps,
                                    scrub_settings)
        if stats is not None:
            return cp
        started = time.perf_counter()
        counter = StageCounter()
        writer = ArrowStreamWriter(cp.data)
        scrub = self._pii_stage()
        self.progress.stage_started("ingest", None)
        columns = ["id", "source", "domain", "kind", "title", "text", "label", "origin", "meta"]
        with open(cp.rejects, "w", encoding="utf-8") as rejects:
            batches = self._read_sources(columns, counter, rejects, scrub)
            # the scrub runs in the executor's workers, batch by batch, in order (like any map stage)
            for out in self.executor.map(scrub, batches) if scrub else batches:
                kept = self._split_bookkeeping("ingest", out, counter, rejects)
                writer.write(kept)
                counter.docs_out += kept.num_rows
                counter.chars_out += batch_chars(kept)
                self.progress.advance(kept.num_rows, 0)
        from corpusctl.io.workdir import empty_schema

        writer.close(empty_schema(columns))
        if writer.rows == 0:
            raise CorpusctlError("the sources hold no readable documents (see the rejects in the work folder "
                                 f"{cp.rejects})")
        stats = counter.stats(time.perf_counter() - started)
        cp.finish(stats)
        self.stats["ingest"] = stats
        self.progress.stage_done("ingest", stats, reused=False)
        return cp

    def _read_sources(self, columns: list[str], counter: StageCounter, rejects, scrub) -> Iterator[pa.RecordBatch]:
        """Batches of raw records of every source in recipe order (with each record's fallback id when the
        scrub will need it); rejected lines are scrubbed here and written as they come."""
        keys = [*columns, "_fallback_id"] if scrub else columns
        pending: dict[str, list] = {c: [] for c in keys}
        for source in self.recipe.sources:
            relative = {str(file): rel for file, rel in source_files(source.path, source.format)}
            for item in SourceReader(source):
                counter.docs_in += 1
                if isinstance(item, Reject):
                    counter.rejects[item.reason] += 1
                    detail, raw = item.detail, item.raw
                    if scrub:
                        detail = scrub.scrubber.scrub(detail)[0]
                        raw = scrub.scrubber.scrub_json(raw)[0]
                    self._reject(rejects, "ingest", None, source.name, item.reason, detail, raw)
                    continue
                for c in columns:
                    pending[c].append(item[c])
                if scrub:
                    pending["_fallback_id"].append(fallback_id(source.name, item["origin"], relative))
                if len(pending["id"]) >= BATCH_SIZE:
                    yield self._take(pending, counter)
        if pending["id"]:
            yield self._take(pending, counter)

    @staticmethod
    def _take(pending: dict[str, list], counter: StageCounter) -> pa.RecordBatch:
        counter.chars_in += sum(map(len, pending["title"])) + sum(map(len, pending["text"]))
        batch = to_record_batch(pending)
        for values in pending.values():
            values.clear()
        return batch

    def _pii_stage(self):
        """The scrub every ingested record and rejected line goes through (None when clean.pii is off)."""
        pii = self.recipe.clean.pii
        if not (self.recipe.clean.enabled and pii.enabled):
            return None
        from corpusctl.stages.pii import PiiStage

        return PiiStage(pii)

    # -- the whole build ------------------------------------------------------------------------------

    def run(self) -> BuildResult:
        import datasets

        from corpusctl.build_steps import run_steps

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
        lock = BuildLock(self.work, self.output)
        lock.acquire()
        try:
            if not self.options.resume:
                self._discard_checkpoints()
            try:
                final = run_steps(self)
            finally:
                self.executor.close()
            publish(final, self.output)
            manifest = json.loads((self.output / "manifest.json").read_text(encoding="utf-8"))
            if not self.options.keep_work:
                shutil.rmtree(self.work)  # ours: we hold its lock (a waiting build re-creates it)
        finally:
            lock.release()
        return BuildResult(self.output, manifest, self.reused)

    def _discard_checkpoints(self) -> None:
        """A build without --resume starts afresh; say so when it throws finished stages away."""
        stages = sorted(child for child in self.work.iterdir() if child.is_dir())
        finished = [stage.name for stage in stages if (stage / "done.json").is_file()]
        if finished:
            self.progress.message(f"discarding {len(finished)} finished stage(s) of an earlier run in {self.work} "
                                  "(pass --resume to reuse them)")
        for stage in stages:
            shutil.rmtree(stage)

def fallback_id(source: str, origin: str, relative: dict[str, str]) -> str:
    """The id a record gets without an id field (source:file:line, file relative to the source), rebuilt
    from its origin: the stable, unique replacement for an id that held personal data."""
    file, _, where = origin.rpartition(":")
    rel = relative.get(file)
    if rel is None:  # a split of an hf folder: origin names folder/split
        parent = str(Path(file).parent)
        rel = f"{relative.get(parent, Path(parent).name)}/{Path(file).name}"
    return f"{source}:{rel}:{where.removeprefix('row ')}"



def build(recipe: Recipe, options: BuildOptions | None = None, progress: Progress | None = None) -> BuildResult:
    from corpusctl.preflight import require_ready

    require_ready(recipe)  # every problem `corpusctl validate` lists stops the build before any work
    return Build(recipe, options or BuildOptions(), progress).run()
