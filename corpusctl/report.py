"""report.html: one self-contained file (inline SVG plots, no network resources) that shows whether the
corpus came out as the recipe asked and where the data went.

Everything comes from the manifest, except the length histogram and the format split per kind, which read
two small columns of `pretrain/`. Plots are SVG written directly (`corpusctl/svgplot.py`) with text kept as
text, so labels stay selectable and searchable. The page carries its own font: a subset
of Noto Sans CJK SC (from the `noto-cjk-sans-otc` package) holding exactly the glyphs the page uses, as an
inline WOFF, so Chinese is readable in a browser on a machine without any CJK font (labels are placed with
estimated widths of that font's glyphs).
"""

from __future__ import annotations

import base64
import html
import io
import re
from functools import cache
from pathlib import Path

from corpusctl.config import StageSection


class ReportConfig(StageSection):
    top_terms: int = 20
    """How many of the most frequent ontology terms the report plots (the manifest keeps the top 50)."""


EMBEDDED_FONT = "corpusctl Noto Sans CJK SC"
FONT_STACK = (f"'{EMBEDDED_FONT}', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', "
              "'PingFang SC', 'Hiragino Sans GB', sans-serif")
TARGET, ACHIEVED, OTHER = "#9ecae1", "#e6550d", "#31a354"


# -- plotting helpers -----------------------------------------------------------------------------------


@cache
def cjk_font_path() -> str:
    from noto_cjk_sans_otc import FONT_PATH

    return str(FONT_PATH)


@cache
def _cjk_font_index() -> int:
    """Which font of the Noto Sans CJK collection is the Simplified Chinese one."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(cjk_font_path(), lazy=True)
    names = [font["name"].getDebugName(1) for font in collection.fonts]
    return names.index("Noto Sans CJK SC")


def embedded_font_css(text: str) -> str:
    """An @font-face rule holding the glyphs of `text` (subset of Noto Sans CJK SC, inline WOFF, a few tens
    of kB): the browser then needs no CJK font of its own. Deterministic: no timestamps are recalculated."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = [1, 2]
    # recalcBBoxes=False: the font's bounding boxes stay the whole font's (a browser does not need them tight);
    # recomputing them runs every kept glyph's outline again, a third of the subset's ~1 CPU-s
    font = TTFont(cjk_font_path(), fontNumber=_cjk_font_index(), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted({c for c in text if c.isprintable()})))
    subsetter.subset(font)
    font.flavor = "woff"
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"@font-face {{ font-family: '{EMBEDDED_FONT}'; font-style: normal; font-weight: 100 900; "
            f"src: url(data:font/woff;base64,{data}) format('woff'); }}")


def _plot(svg: str) -> str:
    return f'<figure class="plot">{svg}</figure>'


def _bars(title: str, labels: list[str], series: dict[str, list[float]], ylabel: str = "",
          percent: bool = False, horizontal: bool | None = None, colors: list[str] | None = None,
          annotate: bool | None = None) -> str:
    """Grouped bars, one group per label and one bar per series; horizontal when labels are many or long."""
    from corpusctl.svgplot import bars

    count, groups = len(labels), max(1, len(series))
    figure_width = min(11.0, max(5.6, 1.2 + 0.55 * count * (1 + 0.4 * (groups - 1))))
    if horizontal is None:  # labels too wide for their slot under the bars
        horizontal = count * groups > 30 or count * _label_points(labels) > 0.8 * 72 * figure_width
    if annotate is None:
        annotate = count * groups <= 16
    if horizontal:
        width, height = 8.0, min(16.0, max(2.4, 0.8 + 0.22 * count * (1 + 0.5 * (groups - 1))))
    else:
        width, height = figure_width, 3.4
    return _plot(bars(title, labels, series, width=72 * width, height=72 * height, horizontal=horizontal,
                      percent=percent, annotate=annotate, value_label=lambda v: _short(v, percent), colors=colors,
                      axis_label=ylabel))


def _label_points(labels: list[str]) -> float:
    """Width of the longest label at 10 pt, counting a wide (CJK) character as 10 pt and others as 6.5."""
    import unicodedata

    return max((sum(10 if unicodedata.east_asian_width(c) in "WF" else 6.5 for c in str(label)) for label in labels),
               default=0)


def _short(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.1%}"
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value) -> str:
    """A table cell; numbers and percentages are right-aligned."""
    text = _fmt(value)
    numeric = isinstance(value, (int, float)) or bool(re.fullmatch(r"[\d.,%–— -]+", text))
    return f'<td{" class=num" if numeric else ""}>{html.escape(text)}</td>'


def _details(summary: str, content: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{content}</details>"


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{body}</section>'


def _disabled(manifest: dict, key: str) -> bool:
    return (manifest.get(key) or {}).get("enabled") is False


# -- summary header -------------------------------------------------------------------------------------


def key_figures(manifest: dict) -> list[tuple[str, str]]:
    """(label, value) pairs for the header: what went in, what came out."""
    stages = manifest.get("stages") or {}
    sources = manifest.get("sources") or {}
    mix = manifest.get("mix") or {}
    formats = manifest.get("formats") or {}
    pretrain = manifest.get("pretrain") or {}
    mask = manifest.get("mask") or {}
    ner = manifest.get("ner") or {}
    classification = manifest.get("classification") or {}
    rejected = sum(sum((s.get("rejects") or {}).values()) for s in stages.values() if isinstance(s, dict))
    figures = [
        ("documents read", sources.get("documents_read")),
        ("documents rejected", rejected),
        ("documents in the mix", (stages.get("mix") or {}).get("docs_out")),
        ("characters in the corpus", sum((formats.get("chars") or {}).values()) or mix.get("total")),
        ("pre-training examples", pretrain.get("rows")),
        ("tokens (without [CLS]/[SEP])", mask.get("maskable_tokens")),
        ("Arrow shards", pretrain.get("shards")),
        ("vocabulary", (manifest.get("vocab") or {}).get("size")),
        ("masked epochs", mask.get("epochs")),
        ("NER sentences", sum((ner.get("sentences") or {}).values()) or None),
        ("classification rows", classification.get("rows_out")),
        ("personal data replaced", (manifest.get("pii") or {}).get("total")),
        ("build time (wall clock)", _duration(manifest["wall_seconds"]) if manifest.get("wall_seconds") else None),
    ]
    return [(label, value if isinstance(value, str) else _fmt(value)) for label, value in figures
            if value is not None]


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def checks(manifest: dict) -> list[tuple[str, bool, str]]:
    """(what, passed, detail) for the numbers the recipe promises (as the build recorded them)."""
    from corpusctl.build_checks import target_checks

    return [(c["what"], c["ok"], c["detail"]) for c in manifest.get("checks") or target_checks(manifest)]


def warnings_block(manifest: dict) -> str:
    """The build's warnings (each ✗) and the paper targets (✓/✗), first thing on the page."""
    from corpusctl.build_checks import build_warnings

    notes = manifest["warnings"] if "warnings" in manifest else build_warnings(manifest)
    others = [w for w in notes if w.get("code") != "target_missed"]
    items = "".join(f'<li class="bad">✗ {html.escape(w["message"])}</li>' for w in others)
    items += "".join(f'<li class="{"ok" if ok else "bad"}">{"✓" if ok else "✗"} {html.escape(what)} '
                     f'<span class="dim">({html.escape(detail)})</span></li>' for what, ok, detail in checks(manifest))
    if not items:
        return ""
    title = f"Warnings ({len(notes)})" if notes else "No warnings"
    return f'<div id="warnings"><h2>{title}</h2><ul class="checks">{items}</ul></div>'


def header(manifest: dict) -> str:
    recipe = manifest.get("recipe") or {}
    cards = "".join(f'<div class="card"><div class="value">{html.escape(value)}</div>'
                    f'<div class="label">{html.escape(label)}</div></div>' for label, value in key_figures(manifest))
    return (f"<header><h1>corpusctl report: {html.escape(str(recipe.get('name', '')))}</h1>"
            f"<p class=dim>seed {html.escape(str(manifest.get('seed')))} · recipe hash "
            f"<code>{html.escape(str(manifest.get('recipe_hash', ''))[:16])}</code> · corpusctl "
            f"{html.escape(str(manifest.get('corpusctl_version', '')))} · output "
            f"<code>{html.escape(str(recipe.get('output', '')))}</code></p>"
            + warnings_block(manifest) + f'<div class="cards">{cards}</div></header>')


# -- sections -------------------------------------------------------------------------------------------


def mix_section(manifest: dict) -> str:
    mix = manifest.get("mix") or {}
    achieved = mix.get("achieved") or {}
    if not achieved:
        return ""
    target = mix.get("target") or {}
    final = (manifest.get("formats") or {}).get("kind_shares") or {}
    kinds = sorted(set(target) | set(achieved))
    unit = "characters" if mix.get("unit", "chars") == "chars" else "tokens"
    parts = []
    if not target:
        parts.append("<p>The mix is disabled: every document was used once; the shares are only measured.</p>")
    parts.append(_bars(f"share of {unit} per kind", kinds,
                       {"target": [target.get(k, 0) for k in kinds], "achieved": [achieved.get(k, 0) for k in kinds]},
                       percent=True, colors=[TARGET, ACHIEVED]))
    domains_target, domains_achieved = mix.get("target_domains") or {}, mix.get("achieved_domains") or {}
    if domains_achieved:
        names = sorted(set(domains_target) | set(domains_achieved))
        parts.append(_bars(f"share of {unit} per domain", names,
                           {"target": [domains_target.get(d, 0) for d in names],
                            "achieved": [domains_achieved.get(d, 0) for d in names]},
                           percent=True, colors=[TARGET, ACHIEVED]))
    domains, chars = mix.get("domains") or {}, mix.get("chars") or {}
    docs, available = mix.get("docs") or {}, mix.get("available") or {}
    left_out, repeats = mix.get("left_out") or {}, mix.get("repeats") or {}
    rows = [[k, domains.get(k, ""), _pct(target.get(k)), _pct(achieved.get(k)), _pct(final.get(k)),
             chars.get(k), docs.get(k), (available.get(k) or {}).get("docs"), (left_out.get(k) or {}).get("docs"),
             (repeats.get(k) or {}).get("copies")] for k in kinds]
    parts.append(_table(["kind", "domain", "target", "achieved", "in the examples", unit, "documents",
                         "available", "left out", "repeat copies"], rows))
    notes = []
    if mix.get("limited_by"):
        notes.append(f"The corpus size was limited by <b>{html.escape(str(mix['limited_by']))}</b> "
                     f"(shortage policy: {html.escape(str(mix.get('shortage')))}).")
    notes.append("<i>achieved</i> is the mix plan over whole documents; <i>in the examples</i> is the share of the "
                 "written pre-training examples (titles included).")
    parts.append("<p class=dim>" + " ".join(notes) + "</p>")
    return _section("mix", "Mix: target vs achieved share", "\n".join(parts))


def stage_rows(stages: dict) -> list[dict]:
    """One entry per stage that counts rows. Side steps (signatures, sizes, masks: rows go out, text does not)
    get no characters out; a stage that recorded no characters gets them from its neighbours in the text flow
    (what the previous text stage put out came in; what the next one took in went out), flagged `derived`."""
    rows = []
    for name, stats in stages.items():
        if not isinstance(stats, dict) or "docs_in" not in stats:
            continue
        side = stats.get("chars_in", 0) > 0 and stats.get("chars_out") == 0 and stats.get("docs_out", 0) > 0
        rows.append({"name": name, "docs_in": stats.get("docs_in"), "docs_out": stats.get("docs_out"),
                     "chars_in": stats.get("chars_in"), "chars_out": None if side else stats.get("chars_out"),
                     "rejects": sum((stats.get("rejects") or {}).values()), "seconds": stats.get("seconds"),
                     "side": side, "derived": False})
    text_flow = [row for row in rows if not row["side"]]
    for index, row in enumerate(text_flow):
        if row["chars_in"] is None and index > 0 and text_flow[index - 1]["chars_out"] is not None:
            row["chars_in"], row["derived"] = text_flow[index - 1]["chars_out"], True
        if row["chars_out"] is None and index + 1 < len(text_flow) and text_flow[index + 1]["chars_in"] is not None:
            row["chars_out"], row["derived"] = text_flow[index + 1]["chars_in"], True
    return rows


def stages_section(manifest: dict) -> str:
    stages = manifest.get("stages") or {}
    rows = stage_rows(stages)
    if not rows:
        return ""
    names = [r["name"] for r in rows]
    parts = [_bars("documents / examples in and out per stage", names,
                   {"in": [r["docs_in"] or 0 for r in rows], "out": [r["docs_out"] or 0 for r in rows]},
                   horizontal=True, colors=[TARGET, ACHIEVED])]
    flow = [r for r in rows if r["chars_in"] is not None and r["chars_out"] is not None]
    if flow:
        parts.append(_bars("characters in and out per stage", [r["name"] for r in flow],
                           {"in": [r["chars_in"] for r in flow], "out": [r["chars_out"] for r in flow]},
                           horizontal=True, colors=[TARGET, ACHIEVED]))
    table = [[r["name"] + (" (side data)" if r["side"] else "") + (" *" if r["derived"] else ""), r["docs_in"],
              r["docs_out"], r["rejects"], r["chars_in"], r["chars_out"], r["seconds"]] for r in rows]
    parts.append(_table(["stage", "rows in", "rows out", "rejected", "chars in", "chars out", "seconds"], table))
    if any(r["derived"] for r in rows):
        parts.append("<p class=dim>* the stage records no characters; they are taken from the stages before "
                     "and after it. Side-data steps (signatures, sizes, masks) write no text.</p>")
    rejects = [(name, reason, count) for name, stats in stages.items() if isinstance(stats, dict)
               for reason, count in sorted((stats.get("rejects") or {}).items(), key=lambda kv: -kv[1])]
    parts.append("<h3>Rejects by reason</h3>")
    if rejects:
        parts.append(_bars("rejected documents by stage and reason", [f"{n}: {r}" for n, r, _ in rejects],
                           {"documents": [c for *_, c in rejects]}, horizontal=True, colors=[ACHIEVED]))
        by_stage = {r["name"]: r["docs_in"] for r in rows}
        parts.append(_table(["stage", "reason", "documents", "share of the stage's input"],
                            [[n, r, c, _pct(c / by_stage[n]) if by_stage.get(n) else None] for n, r, c in rejects]))
        parts.append("<p class=dim>Every rejected record is in <code>rejects/&lt;stage&gt;.jsonl</code> with its "
                     "reason and detail.</p>")
    else:
        parts.append("<p>No record was rejected.</p>")
    events = event_rows(stages)
    if events:
        parts.append("<h3>What the stages changed</h3>"
                     + _table(["stage", "event", "count", "distinct"], events))
    return _section("stages", "Where the data went", "\n".join(parts))


def event_rows(stages: dict) -> list[list]:
    """Per stage, event counts; families with many members (one per anomaly term, per category) are summed."""
    rows = []
    for stage, stats in stages.items():
        events = (stats.get("events") or {}) if isinstance(stats, dict) else {}
        groups: dict[str, dict[str, int]] = {}
        for name, count in events.items():
            parts = name.split(".")
            key = ".".join(parts[:2]) if len(parts) > 2 else name
            groups.setdefault(parts[0], {}).setdefault(key, 0)
            groups[parts[0]][key] += count
        for family, members in sorted(groups.items()):
            if len(members) > 10:
                rows.append([stage, f"{family}.*", sum(members.values()), len(members)])
                continue
            for key, count in sorted(members.items()):
                distinct = sum(1 for name in events if name == key or name.startswith(key + "."))
                rows.append([stage, key + (".*" if distinct > 1 or key not in events else ""), count, distinct])
    return rows


def pretrain_table(out_dir: Path):
    """kind, format and character count per pre-training example (memory-mapped shards, three columns kept)."""
    pretrain = out_dir / "pretrain"
    if not (pretrain / "state.json").exists():
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    from datasets import load_from_disk

    table = load_from_disk(str(pretrain)).data.table
    chars = pc.add(pc.utf8_length(table.column("text")), pc.utf8_length(table.column("title")))
    return pa.table({"kind": table.column("kind"), "format": table.column("format"), "chars": chars})


def lengths_section(table) -> str:
    """Small multiples: one length histogram per kind, shared bins (`table` from `pretrain_table`)."""
    if table is None or table.num_rows == 0:
        return ""
    import numpy as np
    import pyarrow.compute as pc

    kinds = sorted(set(table.column("kind").unique().to_pylist()))
    chars = table.column("chars").to_numpy()
    edges = np.histogram_bin_edges(chars, bins=30)
    from corpusctl.svgplot import histograms

    ncols = min(3, len(kinds))
    panels = []
    for kind in kinds:
        lengths = table.filter(pc.equal(table.column("kind"), kind)).column("chars").to_numpy()
        counts, _ = np.histogram(lengths, bins=edges)
        panels.append((f"{kind} ({len(lengths):,} examples, median {int(np.median(lengths)):,})",
                       [int(c) for c in counts]))
    svg = histograms("example length per kind (characters, title + text)", panels, [float(e) for e in edges],
                     width=72 * 9.0, ncols=ncols, xlabel="characters", color=OTHER)
    return _section("lengths", "Example lengths per kind", _plot(svg))


def formats_section(manifest: dict, table) -> str:
    formats = manifest.get("formats") or {}
    shares = formats.get("shares") or {}
    if not shares:
        return ""
    target = formats.get("target") or {}
    names = sorted(shares)
    parts = [_bars("format split (share of characters)", names,
                   {"target": [target.get(f, 0) for f in names], "achieved": [shares[f] for f in names]},
                   percent=True, colors=[TARGET, ACHIEVED])]
    if table is not None and table.num_rows:
        grouped = table.group_by(["kind", "format"]).aggregate([("chars", "sum")]).to_pylist()
        kinds = sorted({row["kind"] for row in grouped})
        per_kind = {k: sum(r["chars_sum"] for r in grouped if r["kind"] == k) or 1 for k in kinds}
        amount = {(r["kind"], r["format"]): r["chars_sum"] for r in grouped}
        parts.append(_bars("format split per kind (share of the kind's characters)", kinds,
                           {f: [amount.get((k, f), 0) / per_kind[k] for k in kinds] for f in names},
                           percent=True, colors=[OTHER, ACHIEVED]))
    chars, examples = formats.get("chars") or {}, formats.get("examples") or {}
    parts.append(_table(["format", "target", "achieved", "characters", "examples"],
                        [[f, _pct(target.get(f)), _pct(shares[f]), chars.get(f), examples.get(f)] for f in names]))
    return _section("formats", "Formats: title+content pairs and paragraphs", "\n".join(parts))


def _bucket_label(name: str) -> str:
    return name.replace("<=", "≤ ") + " words"


def mask_section(manifest: dict) -> str:
    mask = manifest.get("mask") or {}
    if _disabled(manifest, "mask"):
        return _section("masking", "Masking", "<p>No pre-drawn masks: masking is disabled or epochs is 0 "
                        "(the training collator masks on the fly).</p>")
    buckets = mask.get("by_length") or {}
    if not buckets:
        return ""
    from corpusctl.svgplot import bands

    names = list(buckets)
    items = []
    for name in names:
        bucket = buckets[name]
        low, high = (bucket.get("target") or [None, None])[:2]
        item = {"low": low, "high": high}
        if bucket.get("examples"):
            item.update(mean=bucket["mean"], min=bucket["min"], max=bucket["max"])
        else:
            item["note"] = "no examples"
        items.append(item)
    labels = [[_bucket_label(n), f"({buckets[n].get('examples', 0):,} examples)"] for n in names]
    parts = [_plot(bands("realized mask ratio by length bucket vs target band", labels, items, width=72 * 6.4,
                         height=72 * 3.4, band_color=TARGET, point_color=ACHIEVED))]
    parts.append(f"<p class=dim>Length: of the {'report the example was cut from' if mask.get('length_from') != 'example' else 'example itself'}"
                 " (<code>mask.length_from</code>). In band: strictly; within rounding: half a token of slack.</p>")
    parts.append(_table(["length bucket", "examples", "mean", "min", "max", "target band", "in band",
                         "within rounding"],
                        [[_bucket_label(n), b.get("examples"), _pct(b.get("mean")), _pct(b.get("min")),
                          _pct(b.get("max")), "–".join(_pct(v) for v in (b.get("target") or [])), _pct(b.get("in_band")),
                          _pct(b.get("in_band_within_rounding"))]
                         for n, b in buckets.items()]))
    pos = mask.get("pos") or {}
    pos_masked, pos_all = pos.get("masked") or {}, pos.get("all") or {}
    if pos_all:
        tags = [t for t in sorted(pos_all, key=lambda t: -pos_all[t]) if pos_all[t] or pos_masked.get(t)]
        parts.append(_bars("Universal POS of masked tokens vs all tokens", tags,
                           {"all tokens": [pos_all.get(t, 0) for t in tags],
                            "masked tokens": [pos_masked.get(t, 0) for t in tags]},
                           percent=True, colors=[TARGET, ACHIEVED], annotate=False))
    sentence, replacement = mask.get("sentence") or {}, mask.get("replacement") or {}
    target_replacement = replacement.get("target") or [None, None, None]
    summary = [
        ["masked share of all tokens", _pct(mask.get("ratio")), "by length (above)"],
        ["masked tokens that belong to terms", _pct(mask.get("term_share")), _pct(mask.get("term_share_target"))],
        ["… where terms suffice", _pct(mask.get("term_share_where_terms_suffice")),
         _pct(mask.get("term_share_target"))],
        ["tokens that belong to terms", _pct(mask.get("term_tokens_share_all")), ""],
        ["paragraphs with a masked sentence", _pct(sentence.get("share")), _pct(sentence.get("target"))],
        ["masked tokens → [MASK]", _pct(replacement.get("mask")), _pct(target_replacement[0])],
        ["masked tokens → random token", _pct(replacement.get("random")), _pct(target_replacement[1])],
        ["masked tokens unchanged", _pct(replacement.get("unchanged")), _pct(target_replacement[2])],
        ["content words (NOUN PROPN VERB ADJ ADV) among masked", _pct(pos.get("content_share_masked")),
         f"{_pct(pos.get('content_share_all'))} among all"],
    ]
    parts.append(_table(["statistic", "achieved", "target"], summary))
    by_kind = mask.get("term_share_by_kind") or {}
    if by_kind:
        parts.append(_table(["kind", "examples", "term share", "where terms suffice", "term tokens among all",
                             "terms suffice"],
                            [[k, f.get("examples"), _pct(f.get("term_share")),
                              _pct(f.get("term_share_where_terms_suffice")), _pct(f.get("term_tokens_share_all")),
                              "yes" if f.get("terms_suffice") else "no: too few terms"] for k, f in by_kind.items()]))
    epochs = mask.get("per_epoch") or {}
    if epochs:
        parts.append(_details(f"per epoch ({len(epochs)})", _table(
            ["epoch", "masked tokens", "ratio", "in band", "term share", "sentence share"],
            [[e, s.get("masked_tokens"), _pct(s.get("ratio")), _pct(s.get("in_band")), _pct(s.get("term_share")),
              _pct((s.get("sentence") or {}).get("share"))] for e, s in epochs.items()])))
    return _section("masking", "Masking: realized ratio, terms, sentences, POS", "\n".join(parts))


def fusion_section(manifest: dict) -> str:
    """Operational-data fusion: readings read/kept/rejected, documents linked and fused, anomalies."""
    fusion = manifest.get("fusion") or {}
    if not fusion or fusion.get("enabled") is False:
        return ""
    rows = [
        ["readings read", fusion.get("readings_read")],
        ["readings kept", fusion.get("readings_ok")],
        ["readings rejected (rejects/fusion.jsonl)",
         ", ".join(f"{k} {v}" for k, v in (fusion.get("readings_rejected") or {}).items()) or "0"],
        ["readings over a limit", fusion.get("readings_over_limit")],
        ["equipment with readings", fusion.get("equipment")],
        ["documents that mention equipment with readings", fusion.get("documents_linked")],
        ["… without a date", fusion.get("documents_undated")],
        ["… with no reading in the time window", fusion.get("documents_without_readings_in_window")],
        ["documents fused", fusion.get("documents_fused")],
        ["readings used in fused context", fusion.get("readings_used")],
        ["anomalies (over-limit readings used)", fusion.get("anomalies")],
        ["documents whose priority was raised", fusion.get("documents_priority_raised")],
    ]
    note = (f"<p class=dim>Mode <code>{html.escape(str(fusion.get('mode')))}</code>: the context is "
            + ("appended to the text as its last line." if fusion.get("mode") == "sentence"
               else "kept in the <code>fusion</code> column.") + "</p>")
    return _section("fusion", "Fusion: operational readings joined to documents",
                    note + _table(["what", "count"], rows))


def ontology_section(manifest: dict, top: int) -> str:
    ontology = manifest.get("ontology") or {}
    categories = ontology.get("categories") or {}
    if not categories:
        return ""
    names = sorted(categories, key=lambda c: -categories[c])
    parts = [f"<p>{_fmt(ontology.get('entity_spans'))} entity mentions and {_fmt(ontology.get('lexicon_spans'))} "
             "lexicon-only terms annotated in the documents.</p>",
             _bars("term occurrences per category", names, {"occurrences": [categories[c] for c in names]},
                   horizontal=True, colors=[OTHER])]
    terms = ontology.get("top_terms") or {}
    if terms:
        items = sorted(terms.items(), key=lambda kv: -kv[1])[:top]
        parts.append(_bars(f"the {len(items)} most frequent terms", [t for t, _ in items],
                           {"occurrences": [n for _, n in items]}, horizontal=True, colors=[ACHIEVED]))
    homonyms = ontology.get("homonyms") or {}
    decisions = homonyms.get("decisions") or {}
    if decisions:
        ordered = sorted(decisions.items(), key=lambda kv: -sum(kv[1].values()))
        rows = [[term, sum(senses.values()), ", ".join(f"{s} {n:,}" for s, n in sorted(senses.items(),
                                                                                      key=lambda kv: -kv[1]))]
                for term, senses in ordered]
        parts.append(f"<h3>Homonym decisions</h3><p>{_fmt(homonyms.get('occurrences'))} homonym occurrences: "
                     f"{_fmt(homonyms.get('resolved', 0))} resolved from their context, "
                     f"{_fmt(homonyms.get('abstained', 0))} abstained (no sense, no category, no NER label: the "
                     "context did not decide).</p>"
                     + _table(["term", "occurrences", "senses chosen"], rows[:top])
                     + (_details(f"the other {len(rows) - top} homonyms", _table(["term", "occurrences", "senses chosen"],
                                                                     rows[top:])) if len(rows) > top else ""))
    parts.append(_entity_strings(manifest, top=20))
    stats = ontology.get("ontology") or {}
    if stats:
        parts.append(f"<p class=dim>Ontology: {_fmt(stats.get('concepts'))} concepts, {_fmt(stats.get('terms'))} "
                     f"terms, {_fmt(stats.get('homonyms'))} homonyms, {_fmt(stats.get('relations'))} relations.</p>")
    return _section("ontology", "Ontology: categories, terms, homonyms", "\n".join(parts))


def _entity_strings(manifest: dict, top: int) -> str:
    """The most frequent entity strings per type among the NER export's distant labels, so generic words
    labelled as entities show at a glance."""
    strings = (manifest.get("ner") or {}).get("top_entities") or {}
    if not strings:
        return ""
    rows = [[kind, ", ".join(f"{text} {count:,}" for text, count in list(counts.items())[:top])]
            for kind, counts in sorted(strings.items())]
    return (f"<h3>The {top} most frequent entity strings per type (NER labels)</h3>"
            + _table(["type", "strings (occurrences)"], rows))


def ner_section(manifest: dict) -> str:
    if _disabled(manifest, "ner"):
        return _section("ner", "NER", "<p>The NER export is disabled in the recipe.</p>")
    ner = manifest.get("ner") or {}
    entities = ner.get("entities") or {}
    if not entities:
        return ""
    types = sorted({t for counts in entities.values() for t in counts})
    sentences = ner.get("sentences") or {}
    total = sum(sentences.values()) or 1
    parts = [f"<p>Scheme <b>{html.escape(str(ner.get('scheme', '')))}</b>; entities are ontology terms whose "
             "concept has a category (distant supervision) unless human annotations override them.</p>",
             _bars("entities per type and split", types, {name: [counts.get(t, 0) for t in types]
                                                          for name, counts in entities.items()})]
    parts.append(_table(["split", "sentences", "share", "entities"],
                        [[n, sentences.get(n, 0), _pct(sentences.get(n, 0) / total), sum(c.values())]
                         for n, c in entities.items()]))
    parts.append(_details("entities per type", _table(["type", *entities], [[t, *(entities[s].get(t, 0)
                                                                                   for s in entities)]
                                                                           for t in types])))
    return _section("ner", "NER: entities per type and split sizes", "\n".join(parts))


def classification_section(manifest: dict) -> str:
    if _disabled(manifest, "classification"):
        return _section("classification", "Classification", "<p>The classification export is disabled.</p>")
    classification = manifest.get("classification") or {}
    counts = classification.get("label_counts") or {}
    if not counts:
        return ""
    labels = sorted({label for c in counts.values() for label in c},
                    key=lambda label: -sum(c.get(label, 0) for c in counts.values()))
    parts = [_bars("label share per split", labels,
                   {name: [c.get(label, 0) / max(1, sum(c.values())) for label in labels] for name, c in counts.items()},
                   percent=True, horizontal=len(labels) > 8, annotate=False)]
    parts.append(_table(["split", "rows", "labels"], [[n, sum(c.values()), len(c)] for n, c in counts.items()]))
    parts.append(_details("rows per label and split", _table(["label", *counts],
                                                             [[label, *(c.get(label, 0) for c in counts.values())]
                                                              for label in labels])))
    notes = [f"{_fmt(classification.get('rows_out'))} labelled rows of {_fmt(classification.get('rows_in'))}",
             f"{_fmt(classification.get('skipped_no_label'))} without a label"]
    if classification.get("rare_classes"):
        notes.append(f"{classification['rare_classes']} rare classes ({classification.get('rare_policy')})")
    if classification.get("max_share_gap_points") is not None:
        notes.append(f"largest train/test label-share gap {classification['max_share_gap_points']:.2f} points")
    parts.append("<p class=dim>" + "; ".join(notes) + ".</p>")
    return _section("classification", "Classification: labels per split", "\n".join(parts))


def pii_section(manifest: dict) -> str:
    pii = manifest.get("pii") or {}
    by_type = pii.get("by_type") or {}
    if not by_type:
        return ""
    names = sorted(by_type, key=lambda k: -by_type[k])
    rows = [[source, kind, n] for source, counts in sorted((pii.get("by_source") or {}).items())
            for kind, n in sorted(counts.items())]
    return _section("pii", "Personal data scrubbed",
                    f"<p>{_fmt(pii.get('total'))} replacements with placeholders such as [MOBILE].</p>"
                    + _bars("replacements per type", names, {"replacements": [by_type[k] for k in names]},
                            colors=[ACHIEVED])
                    + _table(["source", "type", "replacements"], rows))


CSS = f"""
body {{ font-family: {FONT_STACK}; margin: 0 auto; padding: 1.5em 2em 4em; max-width: 1100px; color: #222;
       line-height: 1.45; }}
h1 {{ margin-bottom: 0.2em; }}
h2 {{ border-bottom: 2px solid #e6550d; padding-bottom: 0.2em; margin-top: 2em; }}
nav {{ font-size: 0.9em; margin: 1em 0; }}
nav a {{ margin-right: 1em; color: #08519c; text-decoration: none; }}
.dim {{ color: #666; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 0.6em; margin: 1em 0; }}
.card {{ background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 6px; padding: 0.6em 0.8em; }}
.card .value {{ font-size: 1.35em; font-weight: 600; }}
.card .label {{ font-size: 0.8em; color: #555; }}
.checks {{ list-style: none; padding: 0; }}
#warnings {{ border: 1px solid #d0d7de; border-radius: 6px; padding: 0.2em 1em; margin: 1em 0; }}
#warnings h2 {{ margin-top: 0.4em; font-size: 1.15em; }}
.checks .ok {{ color: #1a7f37; }}
.checks .bad {{ color: #cf222e; font-weight: 600; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.88em; }}
th, td {{ border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
th {{ background: #f2f2f2; }}
details {{ margin: 0 0 1.5em; }}
figure.plot {{ margin: 0.8em 0; }}
figure.plot svg {{ max-width: 100%; height: auto; display: block; }}
svg text {{ font-family: {FONT_STACK} !important; }}
"""

SECTIONS = [("mix", "Mix"), ("stages", "Stages"), ("fusion", "Fusion"), ("lengths", "Lengths"), ("formats", "Formats"),
            ("masking", "Masking"), ("ontology", "Ontology"), ("pii", "Personal data"), ("ner", "NER"),
            ("classification", "Classification")]


def render_report(manifest: dict, out_dir: Path, config: ReportConfig | None = None) -> str:
    config = config or ReportConfig()
    examples = pretrain_table(out_dir)
    sections = [
        mix_section(manifest),
        stages_section(manifest),
        fusion_section(manifest),
        lengths_section(examples),
        formats_section(manifest, examples),
        mask_section(manifest),
        ontology_section(manifest, config.top_terms),
        pii_section(manifest),
        ner_section(manifest),
        classification_section(manifest),
    ]
    present = [(anchor, name) for (anchor, name), body in zip(SECTIONS, sections, strict=True) if body]
    nav = "<nav>" + "".join(f'<a href="#{anchor}">{name}</a>' for anchor, name in present) + "</nav>"
    body = header(manifest) + nav + "\n".join(s for s in sections if s)
    title = html.escape(f"corpusctl report: {(manifest.get('recipe') or {}).get('name', '')}")
    return (f"<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<style>{embedded_font_css(html.unescape(title + body))}\n{CSS}</style></head><body>{body}</body></html>\n")


def write_report(manifest: dict, out_dir: Path) -> Path:
    config = ReportConfig.model_validate((manifest.get("recipe") or {}).get("report") or {})
    path = out_dir / "report.html"
    path.write_text(render_report(manifest, out_dir, config), encoding="utf-8")
    return path
