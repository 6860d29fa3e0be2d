"""What a person must be told after a build: the paper's targets (✓/✗) and warnings about silent losses.

Everything here is a pure function of the manifest (plus, for rejected sources, per-source reject counts
the build gathers from its checkpoints), so the terminal summary, manifest.json and report.html say the
same thing.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MIX_TOLERANCE = 0.01
"""The paper's ±1 point for the kind shares and the format split."""
TERM_TOLERANCE = 0.05
"""Term masking aims at ~70 % of the budget: within 5 points counts as on target."""
BAND_IN = 0.99
"""Share of examples whose mask ratio must fall inside their length band."""
MIX_USED_MIN = 0.5
SOURCE_REJECTED_MAX = 0.5


def check(what: str, ok: bool, detail: str) -> dict:
    return {"what": what, "ok": bool(ok), "detail": detail}


def sampling_tolerance(share: float, n: int, floor: float = 0.01) -> float:
    """Two standard errors of a share measured on n examples (never below `floor`): a draw per paragraph
    misses its target by chance on a small corpus, and that is not a failure."""
    return max(floor, 2 * math.sqrt(max(share * (1 - share), 0.0) / max(n, 1)))


def target_checks(manifest: dict) -> list[dict]:
    """One entry per paper target the manifest can judge: mix shares, formats, mask bands, terms, sentences,
    and leaks between NER / classification splits."""
    results = []
    mix = manifest.get("mix") or {}
    if mix.get("target") and mix.get("achieved"):
        gaps = {k: mix["achieved"].get(k, 0) - t for k, t in mix["target"].items()}
        kind, gap = max(gaps.items(), key=lambda kv: abs(kv[1]))
        off = [f"{k} {mix['achieved'].get(k, 0):.1%} vs {mix['target'][k]:.1%}" for k, g in sorted(gaps.items())
               if abs(g) > MIX_TOLERANCE + 1e-9]
        results.append(check("mix: every kind within ±1 point of its target", not off,
                             "; ".join(off) if off else f"largest deviation {abs(gap) * 100:.2f} points ({kind})"))
    formats = manifest.get("formats") or {}
    if formats.get("deviation_points") is not None:
        gap = abs(formats["deviation_points"])
        shares = formats.get("shares") or {}
        detail = ", ".join(f"{k} {v:.1%}" for k, v in sorted(shares.items())) + f"; deviation {gap:.2f} points"
        results.append(check("formats: title+content share within ±1 point", gap <= 100 * MIX_TOLERANCE + 1e-9,
                             detail))
    mask = manifest.get("mask") or {}
    buckets = mask.get("by_length") or {}
    if buckets:
        off = [f"{name} words: {b['in_band']:.1%} of {b['examples']:,} examples in "
               f"{b['target'][0]:.0%}–{b['target'][1]:.0%}" for name, b in buckets.items()
               if b.get("examples") and b.get("in_band") is not None and b["in_band"] < BAND_IN]
        results.append(check("masks: ratio inside its length band", not off,
                             "; ".join(off) if off else f"{mask.get('in_band', 0):.1%} of examples in band"))
    elif mask.get("in_band") is not None:
        results.append(check("masks: ratio inside its length band", mask["in_band"] >= BAND_IN,
                             f"{mask['in_band']:.1%} of examples in band"))
    results += term_share_checks(mask)
    sentence = mask.get("sentence") or {}
    if sentence.get("share") is not None and sentence.get("target") is not None and sentence.get("paragraph_examples"):
        share, target, n = sentence["share"], sentence["target"], sentence["paragraph_examples"]
        tolerance = sampling_tolerance(target, n)
        results.append(check("masks: paragraphs with a masked sentence", abs(share - target) <= tolerance + 1e-9,
                             f"{share:.1%} of {n:,} paragraphs vs {target:.0%} (±{tolerance * 100:.1f} points)"))
    for key, name in (("ner", "NER"), ("classification", "classification")):
        if (manifest.get(key) or {}).get("leaks") is not None:
            leaks = manifest[key]["leaks"]
            results.append(check(f"{name}: no text shared between splits", leaks == 0, f"{leaks} leaks"))
    return results


def term_share_checks(mask: dict) -> list[dict]:
    """The term focus where it can show (examples whose term tokens could fill their budget), and per kind
    either that figure or a plain statement that the kind has too few terms for the target."""
    target = mask.get("term_share_target")
    if target is None or mask.get("term_share") is None:
        return []
    results = []
    suffice = mask.get("term_share_where_terms_suffice")
    if suffice is None and not mask.get("term_share_by_kind"):  # no finer figures: the overall share
        share = mask["term_share"]
        return [check("masks: term share of the budget", abs(share - target) <= TERM_TOLERANCE + 1e-9,
                      f"{share:.1%} of masked tokens are term tokens vs {target:.0%} (±{TERM_TOLERANCE * 100:.0f} "
                      "points)")]
    if suffice is not None:
        results.append(check(f"masks: {target:.0%} of the budget on terms where terms suffice",
                             abs(suffice - target) <= TERM_TOLERANCE + 1e-9,
                             f"{suffice:.1%} in {mask.get('examples_where_terms_suffice', 0):,} examples "
                             f"({mask['term_share']:.1%} of all masked tokens)"))
    for kind, figures in (mask.get("term_share_by_kind") or {}).items():
        share, where = figures.get("term_share"), figures.get("term_share_where_terms_suffice")
        if share is None:
            continue
        if figures.get("terms_suffice"):
            results.append(check(f"masks: {kind} term share within {TERM_TOLERANCE * 100:.0f} points of {target:.0%}",
                                 abs(share - target) <= TERM_TOLERANCE + 1e-9,
                                 f"{share:.1%} of its masked tokens"
                                 + (f", {where:.1%} where an example's terms could fill its budget"
                                    if where is not None else "")))
        else:
            results.append(check(f"masks: {kind} has too few terms for the {target:.0%} term share", False,
                                 f"term share {share:.1%}; terms are {figures.get('term_tokens_share_all') or 0:.1%} "
                                 f"of its tokens, enough in {figures.get('examples_where_terms_suffice', 0)} of "
                                 f"{figures.get('examples', 0)} examples"))
    return results


def mix_warning(mix: dict) -> dict | None:
    """A warning when the mix used under half of the available data, naming the kind that capped it."""
    available = {k: (v or {}).get("chars", 0) for k, v in (mix.get("available") or {}).items()}
    total_available = sum(available.values())
    if not mix.get("target") or not total_available:
        return None
    repeated = sum((v or {}).get("chars", 0) for v in (mix.get("repeats") or {}).values())
    used = mix.get("total", 0) - repeated
    if used >= MIX_USED_MIN * total_available:
        return None
    unit = "characters" if mix.get("unit", "chars") == "chars" else "tokens"
    limited = mix.get("limited_by")
    message = f"the mix used only {used:,} of {total_available:,} available {unit} ({used / total_available:.1%})"
    if limited in available:
        share = mix["target"].get(limited, 0)
        message += (f": kind {limited} limited it — its {available[limited]:,} {unit} "
                    f"({(mix['available'][limited] or {}).get('docs', 0):,} documents) at a {share:.1%} share cap "
                    f"the corpus at {mix.get('planned_units', used):,.0f}; add {limited} data, lower its share in "
                    "mix.shares, or set mix.shortage: repeat")
    elif limited == "target_size":
        message += f": mix.target_size {mix.get('target_size')!r} asked for that much"
    return {"code": "mix_used_little", "message": message, "kind": limited, "used": used,
            "available": total_available}


@dataclass
class SourceRejects:
    """Per source: records read and records rejected, by reason, with the first example location."""

    read: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    reasons: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)

    def add_reject(self, line: dict) -> None:
        source = line.get("source") or "?"
        key = f"{line.get('stage')}: {line.get('reason')}"
        self.rejected[source] += 1
        self.reasons.setdefault(source, Counter())[key] += 1
        self.examples.setdefault((source, key), reject_location(line))


def reject_location(line: dict) -> str:
    """file:line of a rejected record: its `origin`, else the file:line its detail starts with, else its id."""
    record = line.get("record")
    if isinstance(record, dict) and record.get("origin"):
        return str(record["origin"])
    match = re.match(r"(.+?:\d+)", str(line.get("detail") or ""))
    return match.group(1) if match else str(line.get("id") or line.get("detail") or "")


def gather_rejects(files: Iterable[Path], rejects: SourceRejects | None = None) -> SourceRejects:
    """Stream rejects.jsonl files (one JSON object per line) into per-source counts."""
    rejects = rejects or SourceRejects()
    for path in files:
        if not path.is_file():
            continue
        with open(path, encoding="utf-8") as handle:
            for text in handle:
                if text.strip():
                    rejects.add_reject(json.loads(text))
    return rejects


def top_reasons(rejects: SourceRejects, source: str, top: int = 3) -> list[str]:
    return [f"{reason} ×{count:,} (e.g. {rejects.examples[(source, reason)]})"
            for reason, count in rejects.reasons.get(source, Counter()).most_common(top)]


def source_warnings(rejects: SourceRejects) -> list[dict]:
    """A warning per source that lost at least half of its records."""
    out = []
    for source in sorted(rejects.read):
        read, rejected = rejects.read[source], rejects.rejected[source]
        if read and rejected / read >= SOURCE_REJECTED_MAX:
            out.append({"code": "source_rejected", "source": source, "read": read, "rejected": rejected,
                        "message": f"source {source}: {rejected:,} of {read:,} records rejected "
                                   f"({rejected / read:.0%}): " + "; ".join(top_reasons(rejects, source))})
    return out


def reject_summary(rejects: SourceRejects, top: int = 3) -> str:
    """The top reject reasons over all sources, with an example file:line each (for a build that stops)."""
    total: Counter = Counter()
    where: dict[str, str] = {}
    for source, reasons in rejects.reasons.items():
        for reason, count in reasons.items():
            total[reason] += count
            where.setdefault(reason, rejects.examples[(source, reason)])
    if not total:
        return ""
    return "records rejected so far: " + "; ".join(f"{reason} ×{count:,} (e.g. {where[reason]})"
                                                   for reason, count in total.most_common(top))


def build_warnings(manifest: dict, rejects: SourceRejects | None = None) -> list[dict]:
    """Everything a person should look at: a small mix, sources mostly rejected, paper targets missed."""
    warnings = []
    mix_note = mix_warning(manifest.get("mix") or {})
    if mix_note:
        warnings.append(mix_note)
    if rejects is not None:
        warnings += source_warnings(rejects)
    return warnings + missed_targets(manifest.get("checks") or target_checks(manifest))


def missed_targets(checks: list[dict]) -> list[dict]:
    return [{"code": "target_missed", "message": f"target missed — {item['what']}: {item['detail']}"}
            for item in checks if not item["ok"]]


def recheck(manifest: dict) -> dict:
    """The manifest with its checks and target warnings recomputed after an output changed (`ner export`);
    warnings about the build's data (mix, sources) stay as the build found them."""
    checks = target_checks(manifest)
    kept = [w for w in manifest.get("warnings") or [] if w.get("code") != "target_missed"]
    return {**manifest, "checks": checks, "warnings": kept + missed_targets(checks)}
