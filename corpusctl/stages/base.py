"""The contracts every step of the build follows, and the registry the build plan is resolved against.

The build plan (`corpusctl.plan.PLAN`) is a list of step names; `corpusctl.runner` runs it without naming
any step. A step is one of three kinds:

- `Stage`: a pure function over batches of columns (`__call__(batch) -> columns`), run by the executor on
  every record of its input checkpoint. It declares the columns it reads and writes; rows it drops say why in
  a `_reject` column and what happened to a row goes to `_events` (the runner turns both into rejects files
  and counts).
- `GlobalStep`: a decision that needs the whole corpus (dedup, the mix, the vocabulary, the readings that
  fusion joins). An optional `measure` stage reduces every record to a few compact columns, `plan()` decides
  from them on the driver, and `apply(batch, plan, first_row)` carries the decision out batch by batch.
- `Output`: writes part of the output folder from a finished checkpoint (shards, masks, exports); with
  `background = True` it runs in a process of its own, into a checkpoint of its own, alongside the build.

Every step names its recipe `section` (a dotted path such as `clean.normalize`) and may bring its own config
model (`config`): a step outside the package then needs no edit to the recipe model. Its fingerprint (what
`--resume` compares) is, by default, that section's settings and the contents of the files it names; the
runner adds the fingerprints of its inputs and the code version.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # the runner passes itself as `ctx`; steps never import it
    import pyarrow as pa

    from corpusctl.io.workdir import StageCheckpoint
    from corpusctl.runner import Build


def section_of(recipe, path: str):
    """The recipe section at a dotted path (`clean.normalize`), None for the empty path."""
    value = recipe
    for part in filter(None, path.split(".")):
        value = getattr(value, part)
    return value


class Step:
    """What the three kinds share: a name, a recipe section, settings, files and a manifest entry."""

    name: ClassVar[str]
    """Checkpoint folder, rejects file (`rejects/<name>.jsonl`) and manifest key of its statistics."""
    section: ClassVar[str] = ""
    """The recipe section holding its settings, as a dotted path."""
    config: ClassVar[type | None] = None
    """A config model for a new top-level section (the built-in sections are declared in recipe.py)."""
    input: ClassVar[str | None] = None
    """The step whose checkpoint it reads; None: the latest document or example checkpoint. A stage that names
    its input is a branch: its checkpoint feeds only the steps that name it, the later ones read on from
    where the stream was (the NER labels beside tokenize)."""
    needs: ClassVar[tuple[str, ...]] = ()
    """Global steps whose results it uses (it waits for them; `self.results[name]`)."""

    def __init__(self, recipe, results: dict[str, Any] | None = None):
        self.recipe = recipe
        self.results = results or {}
        self.settings_section = section_of(recipe, self.section)

    def __getstate__(self) -> dict:
        """A stage pickled to a worker leaves the results of global steps behind (a tokenizer, checkpoints)."""
        return {**self.__dict__, "results": {}}

    @classmethod
    def enabled(cls, recipe) -> bool:
        section = section_of(recipe, cls.section)
        return bool(getattr(section, "enabled", True))

    def settings(self) -> list:
        """What decides its output besides its input and files: by default its section's settings."""
        section = self.settings_section
        return [section.model_dump(mode="json") if hasattr(section, "model_dump") else section]

    def files(self) -> list[Path]:
        """Files whose contents decide its output (lexicons, an ontology); editing one invalidates it."""
        return []

    def summary(self, ctx: Build, checkpoint: StageCheckpoint | None) -> dict | None:
        """Its manifest section (under `manifest_key`), computed after the build; None: no section."""
        return None

    manifest_key: ClassVar[str | None] = None


class Stage(Step):
    """A per-record stage. `function()` is what the executor pickles to its workers (by default the stage
    itself, calling `__call__`); heavy state should be built lazily inside it, on first call."""

    reads: ClassVar[list[str] | None] = None
    """Columns the function gets; None: the whole batch (and it returns the whole batch)."""
    writes: ClassVar[list[str] | None] = None
    """Columns it returns (`_reject`, `_reject_detail`, `_events` included when it uses them); with `reads`
    None it gets and returns the whole batch, and `writes` names the columns it changes or adds."""
    carries: ClassVar[list[str] | None] = None
    """Input columns passed through unchanged; None: all not written; []: none (rows need not map 1:1).
    Its checkpoint stores what it writes; the columns it carries are references to the files holding them."""
    arrow: ClassVar[bool] = False
    """The function takes the Arrow record batch itself (and may return Arrow arrays)."""

    def function(self) -> Callable[[dict], dict]:
        return self

    def __call__(self, batch: dict) -> dict:
        raise NotImplementedError(f"{type(self).__name__} defines no batch function")

    def columns(self) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
        """(reads, writes, carries): instance-level so that a stage may depend on its settings."""
        return self.reads, self.writes, self.carries


class GlobalStep(Step):
    """A decision over the whole corpus, made from compact per-record columns and applied batch by batch."""

    background: ClassVar[bool] = False
    """Plan in a process of its own while the build goes on (when it is only needed later)."""

    def measure(self) -> Stage | None:
        """The stage reducing each record to what `plan` needs (its checkpoint: `<name>-<measure name>`)."""
        return None

    def plan(self, ctx: Build, measured: StageCheckpoint | None, checkpoint: StageCheckpoint) -> tuple[Any, dict]:
        """(plan, statistics); anything the plan writes goes into `checkpoint.dir`. Runs on the driver, or
        in a process of its own with `background` (then the plan must be picklable, and `ctx` read-only)."""
        raise NotImplementedError

    def plan_on_cluster(self, ctx: Build, cluster, measured: StageCheckpoint | None,
                        checkpoint: StageCheckpoint) -> tuple[Any, dict] | None:
        """Under `--executor ray`: the plan computed by the cluster's workers with bounded driver memory
        (`cluster` is a `corpusctl.distributed.Cluster`: tasks over the parts of `measured`, shuffles); the
        same plan as `plan`'s. The plan may be a `distributed.PartShares` (one share per part of the input,
        e.g. `distributed.Deferred` shares each apply task computes itself, as the mix's): `plan_part` is then
        not used. None (the default): `plan` runs on the driver."""
        return None

    applies: ClassVar[bool] = True
    """Whether `apply` changes the stream; a step that only produces a result (vocabulary, readings) does not."""

    def plan_part(self, plan: Any, first_row: int, rows: int) -> Any:
        """The share of the plan that `apply` needs for the rows `first_row ... first_row + rows - 1`, to be
        applied with row numbers counted from the share's first row (0). A cluster's worker applying the
        plan to one part then gets only that part's share. None (the default): workers get the whole plan."""
        return None

    def apply(self, batch: pa.RecordBatch, plan: Any, first_row: int) -> pa.RecordBatch:
        """The decision for the rows `first_row ...` of the input; may drop rows (via `_reject`) or repeat them
        (in order) and add columns, and keeps the input's columns as they are, row numbers `_row0`... included:
        the checkpoint stores the added columns and references the others."""
        return batch

    def result(self, ctx: Build, checkpoint: StageCheckpoint, plan: Any) -> Any:
        """What later steps get in `results[name]`: by default the checkpoint (its files hold the plan)."""
        return checkpoint


class Output(Step):
    """Writes part of the output folder from a finished checkpoint; returns its manifest section."""

    background: ClassVar[bool] = False
    """Run in a process of its own, into the checkpoint `<name>` whose `files/` mirrors the output."""

    def rows(self, ctx: Build, source: StageCheckpoint) -> int | None:
        """Rows it will read (for a progress bar); None: unknown."""
        return None

    def write(self, ctx: Build, source: StageCheckpoint, out: Path, counter=None) -> dict:
        raise NotImplementedError


STEPS: dict[str, type[Step]] = {}
_BUILTIN_PACKAGES = ("corpusctl.stages", "corpusctl.exports")


def register(cls: type[Step]) -> type[Step]:
    """Class decorator: make a step available to the plan under its `name`."""
    if cls.name in STEPS and STEPS[cls.name] is not cls:
        raise ValueError(f"two steps are named {cls.name!r}: {STEPS[cls.name].__module__} and {cls.__module__}")
    STEPS[cls.name] = cls
    return cls


_loaded = False


def registry() -> dict[str, type[Step]]:
    """Every registered step; the built-in ones register when their modules are imported, here."""
    global _loaded
    if not _loaded:
        for package_name in _BUILTIN_PACKAGES:
            package = importlib.import_module(package_name)
            for module in pkgutil.iter_modules(package.__path__):
                importlib.import_module(f"{package_name}.{module.name}")
        _loaded = True
    return STEPS


def step(name: str) -> type[Step]:
    steps = registry()
    if name not in steps:
        raise KeyError(f"the build plan names {name!r}, which no module registers (known: {', '.join(sorted(steps))})")
    return steps[name]


def plugin_sections() -> dict[str, type]:
    """Top-level recipe sections brought by registered steps (`config` set, a key recipe.py does not declare)."""
    return {cls.section: cls.config for cls in STEPS.values() if cls.config is not None and "." not in cls.section}
