"""`corpusctl build`: runs the build plan over a work folder of checkpoints, then publishes the output.

The plan (`corpusctl.plan.PLAN`) is data: step names, resolved against the registry of
`corpusctl.stages.base`. The runner here names no step: every checkpoint, fingerprint, rejects file,
statistic, progress line and manifest section comes from the protocol the steps follow (stages/base.py).
Every per-record stage is a batch function run by an executor (local processes or Ray Data) over Arrow
batches streamed from the previous checkpoint, so memory stays flat as the corpus grows; global steps keep
only small per-record data. The finished output is assembled in the work folder and appears by a rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyarrow as pa

from corpusctl import __version__
from corpusctl.build_checks import gather_rejects, reject_summary
from corpusctl.errors import CorpusctlError, InputError
from corpusctl.executor import Background, Columns, RowIds, make_executor, references
from corpusctl.io.output import BuildLock, publish, work_folder
from corpusctl.io.workdir import (
    ArrowStreamWriter,
    StageCheckpoint,
    StageCounter,
    apply_references,
    batch_chars,
    empty_schema,
    read_batches,
    reject_line,
    split_bookkeeping,
    write_json,
)
from corpusctl.manifest import file_entries, make_manifest, write_rejects
from corpusctl.plan import PLAN
from corpusctl.recipe import Recipe
from corpusctl.stages.base import GlobalStep, Output, Stage, Step, step

BATCH_SIZE = 256


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
    would cost as much as a stage). Memoised in the process by each file's size and change times: the steps
    that name the same files (the ontology's term files: ontology, segment, NER export) hash them once.
    """
    paths = sorted(str(p) for p in paths)
    key = tuple((path, _file_stamp(path)) for path in paths)
    if key not in _DIGESTS:
        _DIGESTS[key] = _contents_digest(paths)
    return _DIGESTS[key]


_DIGESTS: dict[tuple, str] = {}


def _file_stamp(path: str) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def _contents_digest(paths: list[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
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
    "references": "a checkpoint it references was deleted or rewritten",
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
        self.cluster = None
        """Under `--executor ray`: the cluster whose workers read and write the checkpoints (distributed.py)."""
        if self.executor.name == "ray":
            from corpusctl.distributed import Cluster

            self.cluster = Cluster(self.executor.ray, self.executor.workers)
        self.overlap = self.executor.name == "local" and self.executor.workers > 1
        """Run single-threaded global steps in processes of their own, alongside the rest (local, >1 core;
        a Ray driver is not forked)."""
        self.strict = options.strict or recipe.strict
        self.final: Path = self.work / "final"
        """Where the output folder is assembled before it is published."""
        self.results: dict[str, object] = {}
        """Results of global steps that later steps use (`Step.needs`), by step name."""
        self.jobs: dict[str, _Job] = {}
        """Background steps running now, by step name."""
        self.job_checkpoints: dict[str, StageCheckpoint] = {}
        self.started: set[str] = set()
        self.open_rejects = None
        """The rejects file of the step running on the driver now (`reject` writes to it)."""
        self.stop_at_reject = False
        """--strict and the step running now rejects malformed input: a reject stops the build."""

    def __getstate__(self) -> dict:
        """The build sent to a cluster's worker (an output, a plan or the manifest computed there): its
        recipe, options, folders and statistics; no executor, cluster, progress display, jobs or open file."""
        state = dict(self.__dict__)
        state.update(executor=None, cluster=None, jobs={}, open_rejects=None, results={}, progress=Progress())
        return state

    def background(self, fn: Callable, *args):
        """Run `fn(*args)` alongside the build: a Ray task on a cluster's worker (reading and writing the
        shared work folder there), else a forked process (or at once, with one core). `.result()` waits."""
        if self.cluster is not None:
            from corpusctl.distributed import RemoteJob

            return RemoteJob(self.cluster, fn, *args)
        return Background(fn, *args, inline=not self.overlap)

    def offload(self, fn: Callable, *args):
        """`fn(*args)`, on a cluster's worker when there is one (IO over the work folder stays off the driver)."""
        if self.cluster is not None:
            return self.background(fn, *args).result()
        return fn(*args)

    # -- the runner: the plan, step by step ------------------------------------------------------------

    def run_plan(self, plan: list[str]) -> Path:
        """Run every enabled step of the plan and assemble the output folder in the work dir (returned).

        A build that stops at a user error says which records its stages rejected so far (the cause is often
        there: a wrong text_field, a file in another encoding), since the rejects of a failed build stay in the
        work folder."""
        started = time.perf_counter()
        try:
            return self._run_plan([step(name) for name in plan], started)
        except CorpusctlError as exc:
            summary = reject_summary(gather_rejects(self.work / name / "rejects.jsonl" for name in self.checkpoints))
            if summary and exc.args:
                exc.args = (f"{exc.args[0]}\n{summary}; every rejected record is in {self.work}/<stage>/rejects.jsonl",
                            *exc.args[1:])
            raise

    def _run_plan(self, plan: list[type[Step]], started: float) -> Path:
        self.final = self.work / "final"
        shutil.rmtree(self.final, ignore_errors=True)
        self.final.mkdir(parents=True)
        steps = [cls for cls in plan if cls.enabled(self.recipe)]
        if self.cluster is None:  # the shards' writer: imported before any background step forks, which then
            import datasets  # noqa: F401  inherits it instead of importing it again (~0.9 CPU-s; issue 21)
        outputs: dict[str, dict] = {cls.manifest_key: {"enabled": False} for cls in plan
                                    if cls.manifest_key and cls not in steps}
        stream: StageCheckpoint | None = None  # the latest document or example checkpoint
        done: dict[str, StageCheckpoint] = {}
        ran: list[tuple[Step, StageCheckpoint | None]] = []
        try:
            for index, cls in enumerate(steps):
                for name in cls.needs:
                    self._finish_job(name)
                if cls.name in self.started:  # a background step started early
                    continue
                instance = cls(self.recipe, self.results)
                source = done[cls.input] if cls.input else stream
                if isinstance(instance, Output):
                    if instance.background:
                        self._start_output(instance, source)
                    else:
                        outputs[instance.manifest_key or instance.name] = instance.write(self, source, self.final)
                    continue
                if isinstance(instance, GlobalStep):
                    cp = self.run_global(instance, source)
                else:
                    cp = self.run_stage(instance, source)
                done[cls.name] = cp
                ran.append((instance, cp))
                if isinstance(instance, GlobalStep) and not instance.applies:
                    continue
                if cls.input is None:  # (a stage that names its input is a branch: the stream goes on without it)
                    stream = cp
                if self.stats[cp.name].get("docs_out") == 0:
                    raise CorpusctlError("no documents are left to build examples from: every document was "
                                         "rejected or left out by the mix; see the rejects in "
                                         f"{self.work}/*/rejects.jsonl")
                for later in steps[index + 1:]:  # background steps start as soon as their input is there
                    if getattr(later, "background", False) and later.input == cls.name:
                        for name in later.needs:
                            self._finish_job(name)
                        if issubclass(later, Output):
                            self._start_output(later(self.recipe, self.results), cp)
                        else:
                            ran.append((self._start_global(later(self.recipe, self.results), cp), None))
            for name, job in list(self.jobs.items()):
                value = self._finish_job(name)
                if isinstance(job.step, Output):
                    outputs[job.step.manifest_key or name] = value
        except BaseException:
            for job in self.jobs.values():
                job.job.cancel()
            shutil.rmtree(self.final, ignore_errors=True)  # a half-assembled output is of no use to --resume
            raise
        # the summaries read checkpoints and the manifest lists every output file with its hash: on a
        # cluster's worker under --executor ray
        self.offload(_finish_output, self, ran, outputs, time.perf_counter() - started)
        return self.final

    def run_stage(self, stage: Stage, source: StageCheckpoint | None) -> StageCheckpoint:
        """A per-record stage over its input checkpoint (or over the sources, for ingest)."""
        fn = stage.function()
        reads, writes, carries = stage.columns()
        if getattr(stage, "reads_sources", False):  # (its `writes` are the columns it reads from the sources)
            return self._source_stage(stage, fn if reads is None else Columns(fn, reads, writes, carries, stage.arrow))
        if reads is not None or writes is not None:
            fn = Columns(fn, reads, writes, carries, arrow=stage.arrow)
        return self.map_stage(stage.name, fn, source, *stage.settings(), files=stage.files())

    def run_global(self, step: GlobalStep, source: StageCheckpoint | None) -> StageCheckpoint:
        """Measure, plan on the driver, then apply the plan batch by batch into the step's checkpoint."""
        if step.background:
            self._start_global(step, source)
            return source
        measure = step.measure()
        measured = self.run_stage(measure, source) if measure is not None else None
        inputs = [cp for cp in (source, measured) if cp is not None]
        on_cluster = self.cluster is not None
        cp, stats = self.checkpoint(step.name, *step.settings(), inputs=inputs, files=step.files(),
                                    in_parts=on_cluster and step.applies)
        plan = None
        if stats is None:
            step_started = time.perf_counter()
            counter = StageCounter()
            with open(cp.rejects, "w", encoding="utf-8") as rejects:
                self.open_rejects, self.stop_at_reject = rejects, False
                planned = step.plan_on_cluster(self, self.cluster, measured, cp) if on_cluster else None
                if planned is None and on_cluster and step.applies:
                    # planned on a worker; the plan stays in the object store, for the workers applying it
                    planned = self.cluster.plan(step, self, measured, cp)
                plan, plan_stats = planned if planned is not None else step.plan(self, measured, cp)
                if step.applies and not on_cluster:
                    self._apply(step, plan, source, cp, counter)
            if step.applies and on_cluster:  # each part on a worker; the rejects appended to the plan's
                from corpusctl.distributed import PartShares, apply_part

                parts = self.cluster.inputs(source)
                step_ref = self.cluster.put(step)  # (stored once, not copied into every part's task)
                if isinstance(plan, PartShares):  # cut into parts already
                    calls = [(step_ref, share, path, 0) for share, (path, _, _) in zip(plan, parts, strict=True)]
                else:
                    plan_ref = plan if isinstance(plan, self.cluster.ray.ObjectRef) else self.cluster.put(plan)
                    if type(step).plan_part is not GlobalStep.plan_part:  # each worker gets its part's share
                        calls = [(step_ref, share, path, 0) for share, (path, _, _)
                                 in zip(self.cluster.plan_parts(step, plan_ref, parts), parts)]
                    else:
                        calls = [(step_ref, plan_ref, path, first) for path, first, _ in parts]
                counter = self.cluster.run_parts(cp, apply_part, calls)
            stats = {**plan_stats, **(counter.stats(0) if step.applies else {})}
            stats["seconds"] = round(time.perf_counter() - step_started, 3)
            cp.finish(stats)
            self.stats[step.name] = stats
            self.progress.stage_done(step.name, stats, reused=False)
        self.results[step.name] = step.result(self, cp, plan)
        return cp

    def _apply(self, step: GlobalStep, plan, source: StageCheckpoint, cp: StageCheckpoint, counter) -> None:
        refs = apply_references(source.data)  # (the rows dropped or repeated, every column unchanged)
        writer = ArrowStreamWriter(cp.data, refs)
        first_row = 0
        for batch in read_batches(source.data, BATCH_SIZE, row_ids=refs is not None):
            counter.docs_in += batch.num_rows
            counter.chars_in += batch_chars(batch)
            kept = self._split_bookkeeping(step.name, step.apply(batch, plan, first_row), counter)
            first_row += batch.num_rows
            writer.write(kept)
            counter.docs_out += kept.num_rows
            counter.chars_out += batch_chars(kept)
        writer.close()

    def _start_global(self, step: GlobalStep, source: StageCheckpoint) -> GlobalStep:
        """A global step that plans in a process of its own (the vocabulary); its result is taken when a
        later step needs it, or at the end."""
        cp, stats = self.checkpoint(step.name, *step.settings(), inputs=[source], files=step.files())
        if stats is not None:
            job = Background(lambda: None, inline=True)
        else:
            counter = self.step_counter(step.name, step.progress_total(self, source))
            step.counter = counter if self.cluster is None else None  # (shared memory: this machine only)
            job = self.background(step.plan, self, source, cp)
        self.jobs[step.name] = _Job(step, cp, job)
        self.started.add(step.name)
        self.job_checkpoints[step.name] = cp
        return step

    def _start_output(self, output: Output, source: StageCheckpoint) -> None:
        """Start an output in the background, into its own checkpoint; with --resume, an output whose input
        checkpoint, settings and files did not change is reused instead of written again."""
        cp, stats = self.checkpoint(output.name, *output.settings(), self.strict, inputs=[source],
                                    files=output.files())
        self.stats.pop(cp.name, None)  # an output's statistics are its own manifest section, not a stage's
        if stats is not None:
            job = Background(lambda: stats, inline=True)
        else:
            counter = self.step_counter(output.label, output.rows(self, source))
            job = self.background(_write_output, output, self, source, cp, counter if self.cluster is None else None)
        self.jobs[output.name] = _Job(output, cp, job)
        self.started.add(output.name)

    def _finish_job(self, name: str):
        """Wait for a background step; an output's files go into the output folder. They are moved (the work
        folder is removed after the build; its checkpoint stops being reusable, so a build that fails later
        writes them again on --resume), or copied with --keep-work, so that the output never shares a file
        with the work folder and editing one cannot change the other."""
        job = self.jobs.pop(name, None)
        if job is None:
            return self.results.get(name)
        value = job.job.result()
        if isinstance(job.step, Output):
            files = job.checkpoint.dir / "files"
            if files.is_dir() and self.options.keep_work:
                self.offload(_copy_tree, files, self.final)
            elif files.is_dir():
                job.checkpoint.done_file.unlink()
                self.offload(_move_tree, files, self.final)
            self.progress.step_done(job.step.label)  # (a reused output never started a bar)
            self.timings[job.step.label.lower()] = round(job.job.seconds, 3)
            return value
        if value is None:  # reused
            stats = self.stats[name]
        else:
            _plan, stats = value
            self.progress.step_done(name)
            self.timings[name] = round(job.job.seconds, 3)
            job.checkpoint.finish(stats)
            self.stats[name] = stats
        self.results[name] = job.step.result(self, job.checkpoint, None)
        return self.results[name]

    def _source_stage(self, stage: Stage, scrub) -> StageCheckpoint:
        """Ingest: batches read from the sources (the stage counts what it reads), scrubbed by the executor."""
        if self.cluster is not None and hasattr(stage, "units"):
            return self._source_stage_on_cluster(stage, scrub)
        cp, stats = self.checkpoint(stage.name, *stage.settings(), files=stage.files())
        if stats is not None:
            return cp
        started = time.perf_counter()
        counter = StageCounter()
        writer = ArrowStreamWriter(cp.data)
        self.progress.stage_started(stage.name, None)
        with open(cp.rejects, "w", encoding="utf-8") as rejects:
            self.open_rejects = rejects
            self.stop_at_reject = self.strict and stage.malformed_input_rejects
            batches = stage.read(self, counter, scrub)
            # the scrub runs in the executor's workers, batch by batch, in order (like any map stage)
            for out in self.executor.map(scrub, batches) if scrub else batches:
                kept = self._split_bookkeeping(stage.name, out, counter)
                writer.write(kept)
                counter.docs_out += kept.num_rows
                counter.chars_out += batch_chars(kept)
                self.progress.advance(kept.num_rows, 0)
        writer.close(empty_schema(stage.writes))
        if writer.rows == 0:
            raise CorpusctlError(stage.empty_message(cp))
        return self._finish_stage(cp, counter, started)

    def _source_stage_on_cluster(self, stage: Stage, scrub) -> StageCheckpoint:
        """Ingest on a cluster: each source file read, scrubbed and written as one part by a worker."""
        from corpusctl.distributed import source_part

        cp, stats = self.checkpoint(stage.name, *stage.settings(), files=stage.files(), in_parts=True)
        if stats is not None:
            return cp
        started = time.perf_counter()
        self.progress.stage_started(stage.name, None)
        stop = self.strict and stage.malformed_input_rejects
        scrub_ref = self.cluster.put(scrub)
        stage_ref = self.cluster.put(stage)  # (stored once, not copied into every file's task)
        calls = [(stage_ref, scrub_ref, unit, stop) for unit in stage.units()]
        counter = self.cluster.run_parts(cp, source_part, calls, self.progress)
        if counter.docs_out == 0:
            raise CorpusctlError(stage.empty_message(cp))
        return self._finish_stage(cp, counter, started)

    def _map_on_cluster(self, name: str, fn, source: StageCheckpoint, settings, files) -> StageCheckpoint:
        """A per-record stage on a cluster: one task per part of its input, reading and writing the work
        folder; the driver gets each part's statistics."""
        from corpusctl.distributed import map_part

        cp, stats = self.checkpoint(name, *settings, inputs=[source], files=files, in_parts=True)
        if stats is not None:
            return cp
        started = time.perf_counter()
        self.progress.stage_started(name, self.stats.get(source.name, {}).get("docs_out"))
        fn_ref = self.cluster.put(fn)
        calls = [(name, fn_ref, path) for path, _first, _rows in self.cluster.inputs(source)]
        counter = self.cluster.run_parts(cp, map_part, calls, self.progress)
        return self._finish_stage(cp, counter, started)

    # -- what steps use -----------------------------------------------------------------------------------

    def checkpoint(self, name: str, *settings, inputs: Iterable[StageCheckpoint] = (),
                   files: Iterable[str | Path] = (), in_parts: bool = False) -> tuple[StageCheckpoint, dict | None]:
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
        if in_parts:  # written by a cluster's workers: the finished parts of an interrupted run are kept
            cp.start_parts(self.options.resume)
        else:
            cp.reset()
        return cp, None

    def map_stage(self, name: str, fn: Callable[[dict], dict], source: StageCheckpoint, *settings,
                  files: Iterable[str | Path] = ()) -> StageCheckpoint:
        """Run a batch function over the source checkpoint; rejects and events are split off and counted."""
        if self.cluster is not None:
            return self._map_on_cluster(name, fn, source, settings, files)
        cp, stats = self.checkpoint(name, *settings, inputs=[source], files=files)
        if stats is not None:
            return cp
        started = time.perf_counter()
        counter = StageCounter()
        refs = references(fn, source.data)
        writer = ArrowStreamWriter(cp.data, refs)
        row_ids = RowIds()
        self.progress.stage_started(name, self.stats.get(source.name, {}).get("docs_out"))

        def counted_input():
            for batch in read_batches(source.data, BATCH_SIZE, row_ids=refs is not None):
                counter.docs_in += batch.num_rows
                counter.chars_in += batch_chars(batch)
                self.progress.advance(batch.num_rows, 0)
                yield batch

        with open(cp.rejects, "w", encoding="utf-8") as rejects:
            self.open_rejects, self.stop_at_reject = rejects, False
            for out in self.executor.map(fn, row_ids.strip(counted_input())):
                kept = self._split_bookkeeping(name, row_ids.restore(out), counter)
                writer.write(kept)
                counter.docs_out += kept.num_rows
                counter.chars_out += batch_chars(kept)
        writer.close()
        return self._finish_stage(cp, counter, started)

    def _finish_stage(self, cp: StageCheckpoint, counter: StageCounter, started: float) -> StageCheckpoint:
        stats = counter.stats(time.perf_counter() - started)
        cp.finish(stats)
        self.stats[cp.name] = stats
        self.progress.stage_done(cp.name, stats, reused=False)
        return cp

    def _split_bookkeeping(self, stage: str, batch: pa.RecordBatch, counter: StageCounter) -> pa.RecordBatch:
        return split_bookkeeping(stage, batch, counter, self.reject)

    def reject(self, stage: str, record_id, source, reason: str, detail: str, record) -> None:
        """Write a rejected record to the rejects file of the step running now."""
        if self.stop_at_reject:  # strict is about malformed input, not about quality filtering
            raise InputError(f"{detail or record_id}: {reason} (--strict stops the build at malformed input)")
        self.open_rejects.write(reject_line(stage, record_id, source, reason, detail, record))

    def step_counter(self, name: str, total: int | None):
        """A row counter in shared memory that a global step advances from its own process; the progress
        display polls it (the step's process cannot draw on the terminal itself)."""
        import multiprocessing

        counter = multiprocessing.get_context("fork").RawValue("q", 0)
        self.progress.step_started(name, total, counter)
        return counter

    # -- the whole build ------------------------------------------------------------------------------

    def run(self) -> BuildResult:
        if self.cluster is None:  # (a Ray driver reads and writes no dataset: its workers do, in their own logs)
            import datasets

            datasets.disable_progress_bars()
            datasets.logging.set_verbosity_error()
        lock = BuildLock(self.work, self.output)
        lock.acquire()
        try:
            if not self.options.resume:
                self._discard_checkpoints()
            try:
                final = self.run_plan(PLAN)
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


@dataclass
class _Job:
    """A step running in the background: the step, its checkpoint and the process computing it."""

    step: Step
    checkpoint: StageCheckpoint
    job: Background


def _finish_output(ctx: Build, ran: list, outputs: dict, elapsed: float) -> None:
    """The steps' manifest sections, the rejects, the manifest, the report and the file list, into `ctx.final`."""
    started = time.perf_counter() - elapsed
    for instance, cp in ran:
        if instance.manifest_key:
            outputs[instance.manifest_key] = instance.summary(ctx, cp or ctx.job_checkpoints.get(instance.name))
    write_rejects(ctx, ctx.final)
    outputs["wall_seconds"] = round(time.perf_counter() - started, 3)  # what a person waited
    manifest = make_manifest(ctx, outputs)
    if ctx.recipe.report.enabled:
        from corpusctl.report import write_report

        report_started = time.perf_counter()
        write_report(manifest, ctx.final)
        manifest["step_seconds"]["report"] = round(time.perf_counter() - report_started, 3)
    manifest["files"] = file_entries(ctx.final)
    write_json(ctx.final / "manifest.json", manifest)


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True)


def _move_tree(source: Path, target: Path) -> None:
    """Move every file under `source` to the same place under `target` (renames: the same filesystem)."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, destination)


def _write_output(output: Output, ctx: Build, source: StageCheckpoint, cp: StageCheckpoint, counter) -> dict:
    stats = output.write(ctx, source, cp.dir / "files", counter)
    cp.finish(stats)
    return stats


def build(recipe: Recipe, options: BuildOptions | None = None, progress: Progress | None = None) -> BuildResult:
    from corpusctl.preflight import require_ready

    require_ready(recipe)  # every problem `corpusctl validate` lists stops the build before any work
    return Build(recipe, options or BuildOptions(), progress).run()
