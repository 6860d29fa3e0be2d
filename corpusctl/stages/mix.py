"""Mix plan: sample documents per kind to hit the target shares of characters or tokens (issue #5).

The HRG-BERT corpus is 60% industrial (inspection reports 35%, SOPs 20%, maintenance logs 5%) and 40%
general (encyclopedia 15%, news 15%, Q&A 10%). Real sources never arrive in those proportions, so the mix
is a global step: it sees one small record per document (id, kind, size, priority; never the text), decides
how many copies of each document to emit (0 = left out, 1, or more when a short kind is repeated) and
reports what it achieved. Documents it leaves out are not rejects; their count and size are reported.

The plan is made from per-kind histograms and the few documents around each kind's budget
(`corpusctl.stages.mix_select`), so it needs no process holding every document: the local executor runs its
passes over the whole measured checkpoint, a Ray cluster over each part file, with the same decisions.

Use from Python:
    plan = plan_mix(kinds, sizes, priorities, ids, config, seed, domains=..., nbytes=...)
    rows = copy_rows(plan.copies)                               # (row index, copy number) per example doc
    manifest["mix"] = plan.stats
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from corpusctl.config import StageSection, parse_size
from corpusctl.errors import CorpusctlError
from corpusctl.io.columns import to_record_batch
from corpusctl.stages import mix_select
from corpusctl.stages.base import GlobalStep, Stage, register
from corpusctl.stages.mix_select import CopyPlan, Decision, Local, Window, copy_plan, decide_mix, decide_pairs

PAPER_SHARES = {
    "inspection_report": 0.35,
    "sop": 0.20,
    "maintenance_log": 0.05,
    "encyclopedia": 0.15,
    "news": 0.15,
    "qa": 0.10,
}
INDUSTRIAL_KINDS = frozenset({"inspection_report", "sop", "maintenance_log"})

_NUMBER = re.compile(r"^\s*[0-9][0-9_]*(\.[0-9]*)?([eE][+-]?[0-9]+)?\s*$")
_COUNT = re.compile(r"^\s*([0-9][0-9_.eE+\-]*)\s*(chars?|characters|tokens?)\s*$", re.IGNORECASE)


def parse_target_size(value: str | int | float) -> tuple[float, str]:
    """'500MB' -> (bytes, 'bytes'); '2e9 chars' -> (2e9, 'chars'); '1e9 tokens'; a bare number is in `unit`."""
    text = str(value).strip()
    try:
        if isinstance(value, (int, float)) or _NUMBER.match(text):
            amount, what = float(text.replace("_", "")), "units"
        elif match := _COUNT.match(text):
            amount = float(match.group(1).replace("_", ""))
            what = "tokens" if match.group(2).lower().startswith("token") else "chars"
        else:
            amount, what = float(parse_size(text)), "bytes"
    except ValueError:
        raise ValueError(
            f"cannot read target size {value!r}; write e.g. '500MB' (UTF-8 bytes), '2e9 chars' or '1e9 tokens'"
        ) from None
    if amount <= 0:
        raise ValueError(f"target size must be positive, got {value!r}")
    return amount, what


class MixConfig(StageSection):
    unit: Literal["chars", "tokens"] = "chars"
    """What shares are measured in. `tokens` approximates BERT-Chinese tokens: one per CJK character or
    punctuation mark, one per run of ASCII letters/digits (see `approx_tokens`)."""
    shares: dict[str, float] = Field(default_factory=lambda: dict(PAPER_SHARES))
    target_size: str | int | None = None
    """Optional corpus size: '500MB' (UTF-8 bytes), '2e9 chars', '1e9 tokens' or a number in `unit`."""
    shortage: Literal["shrink", "repeat"] = "shrink"
    """shrink: the whole corpus shrinks so the shares hold; repeat: repeat short kinds first."""
    max_repeats: int = Field(3, ge=1)
    """The most times one document may appear (repeat mode); 1 means never repeat."""
    allow_renormalize: bool = False
    """A kind with a positive share and no data is an error unless this is true."""

    @field_validator("shares")
    @classmethod
    def _shares_sum_to_one(cls, shares: dict[str, float]) -> dict[str, float]:
        negative = [kind for kind, share in shares.items() if share < 0]
        if negative:
            raise ValueError(f"shares must not be negative: {', '.join(negative)}")
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-3:
            raise ValueError(f"shares sum to {total:g}; they must sum to 1")
        return shares

    @field_validator("target_size")
    @classmethod
    def _readable_target(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            parse_target_size(value)
        return value


# -- sizes ------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9]+|\S")


def approx_tokens(text: str) -> int:
    """Tokens as a BERT-Chinese WordPiece vocabulary sees them, roughly: each CJK character and punctuation
    mark is one token, each ASCII word or number one (WordPiece splits a few into 2-3; the error is small
    on Chinese text). Whitespace is free."""
    return len(_TOKEN.findall(text))


def document_size(title: str, text: str, unit: str = "chars") -> int:
    """The amount a document contributes to the mix: title and text together."""
    if unit == "tokens":
        return approx_tokens(title) + approx_tokens(text)
    return len(title) + len(text)


def measure_batch(batch: pa.RecordBatch | dict[str, list], unit: str = "chars") -> dict[str, list]:
    """The small per-document columns `plan_mix` needs; the text itself is not kept.

    `batch` is a record batch or a dict of lists; sizes and bytes are counted by Arrow."""
    if not isinstance(batch, pa.RecordBatch):
        batch = to_record_batch(dict(batch))
    titles, texts = batch.column("title"), batch.column("text")
    if unit == "tokens":
        size = [approx_tokens(t) + approx_tokens(x) for t, x in zip(titles.to_pylist(), texts.to_pylist(), strict=True)]
    else:
        size = pc.add(pc.utf8_length(titles), pc.utf8_length(texts)).cast(pa.int64()).to_pylist()
    return {
        "id": batch.column("id").to_pylist(),
        "kind": batch.column("kind").to_pylist(),
        "domain": _values(batch, "domain", ""),
        "priority": [float(p or 0.0) for p in _values(batch, "priority", 0.0)],
        "size": size,
        "bytes": pc.add(pc.binary_length(titles), pc.binary_length(texts)).cast(pa.int64()).to_pylist(),
    }


def _values(batch: pa.RecordBatch, name: str, default) -> list:
    return batch.column(name).to_pylist() if name in batch.schema.names else [default] * batch.num_rows


def missing_kinds(config: MixConfig, source_kinds: set[str] | list[str]) -> list[str]:
    """Recipe-time check (`corpusctl validate`): kinds with a positive share that no source provides.
    Empty when the mix is off or renormalizing is allowed."""
    if not config.enabled or config.allow_renormalize:
        return []
    return sorted(kind for kind, share in config.shares.items() if share > 0 and kind not in set(source_kinds))


# -- plan ---------------------------------------------------------------------------------------------------


@dataclass
class MixPlan:
    copies: list[int]
    """Per input row: how many times to emit the document (0 = left out)."""
    stats: dict = field(default_factory=dict)
    """JSON-able summary for manifest['mix'] and the summary table."""


def copy_rows(copies: list[int]) -> list[tuple[int, int]]:
    """(row index, copy number) for every emitted document copy; copy 0 is the original, n>0 a repeat."""
    return [(row, copy) for row, count in enumerate(copies) for copy in range(count)]


def _target_total(
    available: dict[str, int],
    shares: dict[str, float],
    config: MixConfig,
    nbytes_by_kind: dict[str, int] | None,
) -> tuple[float, str, float | None]:
    """The corpus size in units, what limited it, and the desired size (None = all the data)."""
    active = {kind: share for kind, share in shares.items() if share > 0}
    if config.target_size is not None:
        amount, what = parse_target_size(config.target_size)
        if what in ("chars", "tokens") and what != config.unit:
            raise CorpusctlError(
                f"mix.target_size {config.target_size!r} is in {what} but mix.unit is {config.unit}; "
                f"write it in {config.unit} or in bytes (e.g. '500MB')"
            )
        if what == "bytes":
            if nbytes_by_kind is None:
                raise ValueError("plan_mix needs nbytes for a target_size in bytes")
            bytes_per_unit = sum(
                share * nbytes_by_kind[kind] / max(available[kind], 1) for kind, share in active.items()
            )
            desired = amount / max(bytes_per_unit, 1e-12)
        else:
            desired = amount
    else:
        desired = float(sum(available[kind] for kind in active))
    copies = config.max_repeats if config.shortage == "repeat" else 1
    total, limited_by = desired, "target_size" if config.target_size is not None else "available"
    for kind, share in sorted(active.items()):
        cap = copies * available[kind] / share
        if cap < total:
            total, limited_by = cap, kind
    return total, limited_by, desired if config.target_size is not None else None


def _shares(amounts: dict[str, float], keys: list[str]) -> dict[str, float]:
    total = sum(amounts.values())
    return {key: round(amounts.get(key, 0) / total, 6) if total else 0.0 for key in keys}


def plan_mix(
    kinds: list[str],
    chars: list[int],
    priorities: list[float],
    ids: list[str],
    config: MixConfig,
    seed: int,
    domains: dict[str, str] | None = None,
    nbytes: list[int] | None = None,
) -> MixPlan:
    """Decide how many copies of each document to emit so that each kind holds its share of the corpus.

    The corpus size is `target_size` or all the data of the kinds that have a share; in `shrink` mode the
    scarcest kind relative to its share caps it (taken whole), in `repeat` mode short kinds are repeated up
    to `max_repeats` copies and only then does the corpus shrink. Within a kind, documents are taken in a
    seeded priority-weighted order (`mix_select.mix_key`) and, around the budget, greedily by size to land on
    it (`fill_budget`), which keeps every kind within a fraction of a document of its share.
    `domains` maps kind -> domain (from the recipe's sources); kinds it does not name use the paper's split.
    """
    n = len(kinds)
    if not (len(chars) == len(priorities) == len(ids) == n):
        raise ValueError("plan_mix: kinds, chars, priorities and ids must have the same length")
    if nbytes is not None and len(nbytes) != n:
        raise ValueError("plan_mix: nbytes must have one entry per document")
    part = pa.table({"id": pa.array(ids, pa.string()), "kind": pa.array(kinds, pa.string()),
                     "mix_key": pa.array([mix_select.mix_key(seed, i, p) for i, p in zip(ids, priorities)],
                                         pa.float64()),
                     "size": pa.array(chars, pa.int64()), "bytes": pa.array(nbytes or [0] * n, pa.int64())})
    planner = Planner(config, seed, dict(domains or {}), with_bytes=nbytes is not None)
    decision, stats = decide_mix(planner, Local(part))
    return MixPlan(copies=mix_select.mix_copies(part, 0, decision).tolist(), stats=stats)


@dataclass
class _Budgets:
    sums: dict[str, tuple[int, int, int]]
    """Per kind in the data: documents, units, bytes."""
    shares: dict[str, float]
    total: float
    limited_by: str
    desired: float | None
    renormalized: dict | None
    passes: dict[str, int]
    rests: dict[str, float]
    """What is left of a kind's budget after its whole passes, for kinds that get a partial pass."""


@dataclass
class Planner:
    """The mix's budgets from per-kind sums, and the formats' share: what the passes of `mix_select` need
    besides the parts (pickled to the cluster's coordinating task)."""

    config: MixConfig
    seed: int
    domains: dict[str, str]
    formats: bool = False
    share: float = 0.5
    with_bytes: bool = True
    window: int = field(default_factory=lambda: mix_select.WINDOW)

    @property
    def stride(self) -> int:
        return self.config.max_repeats + 1

    def budgets(self, hist: pa.Table) -> _Budgets:
        per_kind = hist.group_by("group").aggregate([("count", "sum"), ("a", "sum"), ("extra", "sum")])
        sums = {kind: (int(d), int(u), int(b)) for kind, d, u, b in zip(
            *(per_kind.column(c).to_pylist() for c in ("group", "count_sum", "a_sum", "extra_sum")))}
        available = {kind: units for kind, (_, units, _) in sums.items()}
        config = self.config
        if not config.enabled:  # mix off: every document once, shares only measured
            return _Budgets(sums, {kind: 0.0 for kind in available}, sum(available.values()), "disabled",
                            None, None, {kind: 1 for kind in sums}, {})
        declared = sum(config.shares.values())
        shares = {kind: float(share) / declared for kind, share in config.shares.items()}
        missing = sorted(kind for kind, share in shares.items() if share > 0 and available.get(kind, 0) <= 0)
        renormalized = None
        if missing:
            if not config.allow_renormalize:
                raise CorpusctlError(
                    f"mix: no data for kind(s) {', '.join(missing)} with a positive share in mix.shares; "
                    "add a source of that kind, set its share to 0, or set mix.allow_renormalize: true"
                )
            for kind in missing:
                shares[kind] = 0.0
            remaining = sum(shares.values())
            if remaining <= 0:
                raise CorpusctlError("mix: none of the kinds in mix.shares has any data")
            shares = {kind: share / remaining for kind, share in shares.items()}
            renormalized = {"missing": missing, "shares": {k: round(v, 6) for k, v in shares.items()}}
        for kind in available:
            shares.setdefault(kind, 0.0)  # kinds in the data but not in the recipe are left out
        for kind in shares:
            available.setdefault(kind, 0)
        nbytes_by_kind = {kind: sums.get(kind, (0, 0, 0))[2] for kind in shares} if self.with_bytes else None
        total, limited_by, desired = _target_total(available, shares, config, nbytes_by_kind)
        limit = config.max_repeats if config.shortage == "repeat" else 1
        passes, rests = {}, {}
        for kind in sorted(sums):
            budget = shares[kind] * total
            if shares[kind] <= 0:
                continue
            passes[kind] = min(limit, int(budget / available[kind] + 1e-9))
            rest = budget - passes[kind] * available[kind]
            if rest > 1e-6 and passes[kind] < limit:
                rests[kind] = rest
        return _Budgets(sums, shares, total, limited_by, desired, renormalized, passes, rests)

    def windows(self, hist: pa.Table) -> dict[str, Window]:
        """Per kind with a partial pass: the key bins around where its budget is reached."""
        rests = self.budgets(hist).rests
        kinds = hist.column("group")
        return {kind: mix_select.window_of(hist.filter(pc.equal(kinds, kind)), rest, 0.0, self.window)
                for kind, rest in rests.items()}

    def decision(self, hist: pa.Table, windows: dict[str, Window], gathered: pa.Table | None):
        b = self.budgets(hist)
        if not self.config.enabled:
            stats = _stats(b, {}, self.config, self.domains, self.with_bytes)
            for key in ("target", "target_domains", "deviation_points"):
                stats[key] = None
            return Decision(everything=True), stats
        rows, taken = mix_select.mix_decide(gathered, windows, b.rests, self.seed, self.window) if windows else ({}, {})
        decision = Decision(b.passes, {kind: win.first_bin for kind, win in windows.items()}, rows)
        return decision, _stats(b, taken, self.config, self.domains, self.with_bytes)

    def pairs(self, passes, decision: Decision) -> mix_select.Pairs:
        if not self.formats:
            return mix_select.Pairs()
        return decide_pairs(passes, decision, self.seed, self.stride, self.share, self.window)


def _stats(b: _Budgets, taken: dict[str, tuple[int, int, int]], config: MixConfig, domains: dict[str, str],
           with_bytes: bool) -> dict:
    """The manifest's mix section from per-kind sums: a kind's documents all get `passes` copies, and those
    its partial pass takes (`taken`: documents, units, bytes) one more."""
    kind_names = sorted(b.shares)
    selected, docs, avail, avail_docs, repeats, left_out = {}, {}, {}, {}, {}, {}
    out_bytes = 0
    for kind in kind_names:
        n, units, nbytes = b.sums.get(kind, (0, 0, 0))
        passes = b.passes.get(kind, 0)
        t_docs, t_units, t_bytes = taken.get(kind, (0, 0, 0))
        avail[kind], avail_docs[kind] = units, n
        selected[kind] = passes * units + t_units
        docs[kind] = passes * n + t_docs
        out_bytes += passes * nbytes + t_bytes
        left_out[kind] = {"docs": n - t_docs, "chars": units - t_units} if passes == 0 else {"docs": 0, "chars": 0}
        if passes >= 2:
            repeats[kind] = {"docs": n, "copies": (passes - 1) * n + t_docs, "chars": (passes - 1) * units + t_units}
        elif passes == 1:
            repeats[kind] = {"docs": t_docs, "copies": t_docs, "chars": t_units}
        else:
            repeats[kind] = {"docs": 0, "copies": 0, "chars": 0}

    def domain_of(kind: str) -> str:
        return domains.get(kind) or ("industrial" if kind in INDUSTRIAL_KINDS else "general")

    shares = b.shares
    domain_names = sorted({domain_of(k) for k in kind_names})
    target_domains = {d: 0.0 for d in domain_names}
    selected_domains = {d: 0 for d in domain_names}
    for kind in kind_names:
        target_domains[domain_of(kind)] += shares[kind]
        selected_domains[domain_of(kind)] += selected[kind]
    achieved = _shares(selected, kind_names)
    stats = {
        "enabled": config.enabled,
        "unit": config.unit,
        "shortage": config.shortage,
        "max_repeats": config.max_repeats,
        "target_size": config.target_size,
        "target_units": round(b.desired, 3) if b.desired is not None else None,
        "planned_units": round(b.total, 3),
        "limited_by": b.limited_by,
        "total": sum(selected.values()),
        "docs": docs,
        "target": {k: round(shares[k], 6) for k in kind_names},
        "achieved": achieved,
        "deviation_points": {k: round(100 * (achieved[k] - shares[k]), 3) for k in kind_names},
        "target_domains": {d: round(v, 6) for d, v in target_domains.items()},
        "achieved_domains": _shares(selected_domains, domain_names),
        "domains": {k: domain_of(k) for k in kind_names},
        "chars": selected,
        "available": {k: {"docs": avail_docs[k], "chars": avail[k]} for k in kind_names},
        "repeats": repeats,
        "left_out": left_out,
        "left_out_docs": sum(v["docs"] for v in left_out.values()),
        "renormalized": b.renormalized,
    }
    if with_bytes:
        stats["bytes"] = out_bytes
    return stats


# -- the registered step ----------------------------------------------------------------------------------


class MixSizes(Stage):
    """The mix's measure: per document, the few numbers the mix and format plans need (not the text)."""

    name = "mix-sizes"
    section = "mix"
    reads = ["id", "kind", "domain", "priority", "title", "text", "terms", "title_terms"]
    carries = []
    arrow = True

    def settings(self) -> list:
        return [self.settings_section.unit, self.recipe.format.model_dump(mode="json"), self.recipe.seed]

    def __call__(self, batch) -> dict:
        from corpusctl.stages.format import format_sizes

        sizes = measure_batch(batch, self.settings_section.unit)
        keys = [mix_select.mix_key(self.recipe.seed, i, p) for i, p in zip(sizes["id"], sizes["priority"])]
        return {**sizes, "mix_key": keys, **format_sizes(batch, self.recipe.format)}


@register
class Mix(GlobalStep):
    """The 60/40 mix and the format of every copy, planned from per-kind histograms (`mix_select`), applied as
    Arrow takes."""

    name = "mix"
    section = "mix"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return True  # with mix.enabled false every document is kept once; formats are still assigned

    def measure(self) -> Stage:
        return MixSizes(self.recipe)

    def settings(self) -> list:
        recipe = self.recipe
        return [*super().settings(), recipe.format.model_dump(mode="json"), recipe.seed,
                {s.kind: s.domain for s in recipe.sources}]

    def planner(self) -> Planner:
        recipe = self.recipe
        return Planner(recipe.mix, recipe.seed, {source.kind: source.domain for source in recipe.sources},
                       formats=recipe.format.enabled, share=recipe.format.title_content_share)

    def plan(self, ctx, measured, checkpoint) -> tuple[CopyPlan, dict]:
        planner, passes = self.planner(), Local(mix_select.read_part(measured.data))
        decision, stats = decide_mix(planner, passes)
        counts, copies = mix_select.copies_of_part(passes.table, decision, planner)
        return copy_plan(counts, mix_select.as_pair(copies, planner.pairs(passes, decision))), {"mix": stats}

    def plan_on_cluster(self, ctx, cluster, measured, checkpoint):
        """The same passes, a Ray task per part file driven by a worker task; each apply task cuts its own
        part's copies and formats from the decisions (`distributed.Deferred`)."""
        from corpusctl.distributed import Deferred, PartShares

        parts = cluster.inputs(measured)
        plan, stats = cluster.remote(mix_select.coordinate, num_returns=2).remote(parts, self.planner())
        return PartShares(Deferred(mix_select.part_share, plan, path, first) for path, first, _ in parts), {
            "mix": cluster.get(stats)}

    def apply(self, batch: pa.RecordBatch, plan: CopyPlan, first_row: int) -> pa.RecordBatch:
        """The chosen copies of these documents, taken in Arrow (no Python rows)."""
        counts = plan.copies[first_row:first_row + batch.num_rows]
        take = [i for i, n in enumerate(counts) for _ in range(n)]
        start = int(plan.first_copy[first_row])
        picked = batch.take(pa.array(take, pa.int32()))
        picked = picked.append_column("_as_pair", pa.array(plan.as_pair[start:start + len(take)], pa.bool_()))
        return picked.append_column("_copy", pa.array([c for n in counts for c in range(n)], pa.int32()))
