"""report.html: one self-contained file (inline SVG plots, no network resources) that shows whether the
corpus came out as the recipe asked and where the data went.

Plots are drawn by matplotlib as SVG with text kept as text (`svg.fonttype = none`), so Chinese labels
are rendered by the browser's fonts instead of needing a CJK font on the build machine.
"""

from __future__ import annotations

import html
import io
import warnings
from pathlib import Path

from corpusctl.config import StageSection


class ReportConfig(StageSection):
    top_terms: int = 20


FONT_STACK = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"


def _figure(width: float = 6.4, height: float = 3.2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["svg.hashsalt"] = "corpusctl"  # stable ids: the same corpus gives the same report
    return plt.subplots(figsize=(width, height))


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    with warnings.catch_warnings():  # glyphs missing from the build machine's fonts: the browser draws them
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.tight_layout()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _bars(title: str, labels: list[str], series: dict[str, list[float]], ylabel: str = "",
          percent: bool = False) -> str:
    fig, ax = _figure(max(6.4, 0.6 * len(labels) * max(1, len(series))), 3.4)
    width = 0.8 / max(1, len(series))
    for number, (name, values) in enumerate(series.items()):
        ax.bar([i + number * width for i in range(len(labels))], values, width=width, label=name)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(labels))])
    ax.set_xticklabels(labels, rotation=30, ha="right")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    if len(series) > 1:
        ax.legend()
    return _svg(fig)


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# -- sections -------------------------------------------------------------------------------------------


def mix_section(manifest: dict) -> str:
    mix = manifest.get("mix") or {}
    achieved = mix.get("achieved") or {}
    if not achieved:
        return ""
    target = mix.get("target") or {}
    kinds = sorted(set(target) | set(achieved))
    parts = ["<h2>Mix: target vs achieved share of characters</h2>",
             _bars("share per kind", kinds, {"target": [target.get(k, 0) for k in kinds],
                                             "achieved": [achieved.get(k, 0) for k in kinds]}, percent=True)]
    domains_target, domains_achieved = mix.get("target_domains") or {}, mix.get("achieved_domains") or {}
    if domains_achieved:
        names = sorted(set(domains_target) | set(domains_achieved))
        parts.append(_bars("share per domain", names, {"target": [domains_target.get(d, 0) for d in names],
                                                       "achieved": [domains_achieved.get(d, 0) for d in names]},
                           percent=True))
    parts.append(_table(["kind", "target", "achieved"],
                        [[k, f"{target.get(k, 0):.1%}", f"{achieved.get(k, 0):.1%}"] for k in kinds]))
    return "\n".join(parts)


def stages_section(manifest: dict) -> str:
    stages = manifest.get("stages") or {}
    names = [n for n, s in stages.items() if "docs_in" in s]
    parts = ["<h2>Documents through the stages</h2>",
             _bars("rows in / out per stage", names, {"in": [stages[n].get("docs_in", 0) for n in names],
                                                      "out": [stages[n].get("docs_out", 0) for n in names]})]
    with_chars = [n for n in names if "chars_in" in stages[n]]
    if with_chars:
        parts.append(_bars("characters in / out per stage", with_chars,
                           {"in": [stages[n]["chars_in"] for n in with_chars],
                            "out": [stages[n].get("chars_out", 0) for n in with_chars]}))
    rows = [[n, reason, count] for n, s in stages.items() for reason, count in (s.get("rejects") or {}).items()]
    parts.append("<h3>Rejects by reason</h3>" + (_table(["stage", "reason", "records"], rows) if rows else
                                                   "<p>No record was rejected.</p>"))
    return "\n".join(parts)


def lengths_section(out_dir: Path) -> str:
    pretrain = out_dir / "pretrain"
    if not pretrain.exists():
        return ""
    import pyarrow.compute as pc
    from datasets import load_from_disk

    table = load_from_disk(str(pretrain)).data.table.select(["kind", "format", "text", "title"])
    lengths = pc.add(pc.utf8_length(table.column("text")), pc.utf8_length(table.column("title"))).to_pylist()
    kinds = table.column("kind").to_pylist()
    formats = table.column("format").to_pylist()
    fig, ax = _figure(6.4, 3.4)
    for kind in sorted(set(kinds)):
        ax.hist([n for n, k in zip(lengths, kinds) if k == kind], bins=30, alpha=0.5, label=kind)
    ax.set_title("example length (characters) per kind")
    ax.set_xlabel("characters")
    ax.legend(fontsize=7)
    histogram = _svg(fig)
    chars_by_format: dict[str, int] = {}
    for n, f in zip(lengths, formats):
        chars_by_format[f] = chars_by_format.get(f, 0) + n
    total = sum(chars_by_format.values()) or 1
    names = sorted(chars_by_format)
    split = _bars("format split (share of characters)", names, {"share": [chars_by_format[f] / total for f in names]},
                  percent=True)
    rows = [[f, chars_by_format[f], f"{chars_by_format[f] / total:.1%}"] for f in names]
    return ("<h2>Lengths and formats</h2>" + histogram + "<h3>Formats</h3>" + split
            + _table(["format", "characters", "share"], rows))


def mask_section(manifest: dict) -> str:
    mask = manifest.get("mask") or {}
    buckets = mask.get("by_length") or {}
    if not buckets:
        return ""
    names = [b for b in buckets if buckets[b].get("examples")]
    fig, ax = _figure(6.4, 3.4)
    means = [buckets[b]["mean"] for b in names]
    ax.bar(names, means, label="realized mean ratio")
    for i, b in enumerate(names):
        low, high = (buckets[b].get("target") or [None, None])[:2]
        if low is not None:
            ax.plot([i - 0.4, i + 0.4], [low, low], "k--", linewidth=1)
            ax.plot([i - 0.4, i + 0.4], [high, high], "k--", linewidth=1)
    ax.set_title("mask ratio by length bucket (dashed: target band)")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    parts = ["<h2>Masking</h2>", _svg(fig)]
    pos_masked, pos_all = (mask.get("pos") or {}).get("masked") or {}, (mask.get("pos") or {}).get("all") or {}
    if pos_all:
        tags = sorted(pos_all, key=lambda t: -pos_all[t])
        parts.append(_bars("POS of masked tokens vs all tokens", tags,
                           {"masked": [pos_masked.get(t, 0) for t in tags], "all": [pos_all.get(t, 0) for t in tags]},
                           percent=True))
    summary = [[k, v] for k, v in mask.items() if isinstance(v, (int, float, str))]
    summary += [[f"replacement {k}", v] for k, v in (mask.get("replacement") or {}).items() if k != "target"]
    summary += [["paragraphs with a masked sentence", (mask.get("sentence") or {}).get("share")]]
    parts.append(_table(["statistic", "value"], summary))
    return "\n".join(parts)


def ontology_section(manifest: dict, top: int) -> str:
    ontology = manifest.get("ontology") or {}
    categories = ontology.get("categories") or {}
    if not categories:
        return ""
    names = sorted(categories, key=lambda c: -categories[c])
    parts = ["<h2>Ontology annotations</h2>",
             _bars("term occurrences per category", names, {"occurrences": [categories[c] for c in names]})]
    terms = ontology.get("top_terms") or {}
    if terms:
        items = sorted(terms.items(), key=lambda kv: -kv[1])[:top]
        parts.append(_bars("most frequent terms", [t for t, _ in items], {"occurrences": [n for _, n in items]}))
    homonyms = ontology.get("homonyms") or {}
    decisions = homonyms.get("decisions") or {}
    if decisions:
        rows = [[term, sense, n] for term, senses in decisions.items() for sense, n in senses.items()]
        parts.append(f"<h3>Homonym decisions</h3><p>{homonyms.get('resolved', 0)} resolved by context cues, "
                     f"{homonyms.get('unresolved', 0)} fell back to the default sense.</p>"
                     + _table(["term", "sense", "occurrences"], rows))
    return "\n".join(parts)


def ner_section(manifest: dict) -> str:
    ner = manifest.get("ner") or {}
    entities = ner.get("entities") or {}
    if not entities:
        return ""
    types = sorted({t for counts in entities.values() for t in counts})
    sentences = ner.get("sentences") or {}
    parts = ["<h2>NER</h2>",
             _bars("entities per type and split", types, {name: [counts.get(t, 0) for t in types]
                                                          for name, counts in entities.items()})]
    parts.append(_table(["split", "sentences", "entities"],
                        [[n, sentences.get(n, 0), sum(c.values())] for n, c in entities.items()]))
    return "\n".join(parts)


def classification_section(manifest: dict) -> str:
    classification = manifest.get("classification") or {}
    counts = classification.get("label_counts") or {}
    if not counts:
        return ""
    labels = sorted({label for c in counts.values() for label in c})
    shown = labels[:40]
    parts = ["<h2>Classification</h2>",
             _bars("label share per split" + (" (first 40 labels)" if len(labels) > 40 else ""), shown,
                   {name: [c.get(label, 0) / max(1, sum(c.values())) for label in shown] for name, c in counts.items()},
                   percent=True)]
    parts.append(_table(["split", "rows", "labels"], [[n, sum(c.values()), len(c)] for n, c in counts.items()]))
    return "\n".join(parts)


def pii_section(manifest: dict) -> str:
    pii = manifest.get("pii") or {}
    by_type = pii.get("by_type") or {}
    if not by_type:
        return ""
    rows = [[source, kind, n] for source, counts in sorted((pii.get("by_source") or {}).items())
            for kind, n in sorted(counts.items())]
    return ("<h2>Personal data scrubbed</h2>"
            + _bars("replacements per type", sorted(by_type), {"replacements": [by_type[k] for k in sorted(by_type)]})
            + _table(["source", "type", "replacements"], rows))


CSS = f"""
body {{ font-family: {FONT_STACK}; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #f2f2f2; }}
svg {{ max-width: 100%; height: auto; display: block; margin: 0.5em 0; }}
svg text {{ font-family: {FONT_STACK} !important; }}
"""


def render_report(manifest: dict, out_dir: Path, config: ReportConfig | None = None) -> str:
    config = config or ReportConfig()
    recipe = manifest.get("recipe") or {}
    sections = [
        mix_section(manifest),
        stages_section(manifest),
        lengths_section(out_dir),
        mask_section(manifest),
        ontology_section(manifest, config.top_terms),
        pii_section(manifest),
        ner_section(manifest),
        classification_section(manifest),
    ]
    header = (f"<h1>corpusctl report: {html.escape(str(recipe.get('name', '')))}</h1>"
              f"<p>seed {manifest.get('seed')} · recipe hash <code>{manifest.get('recipe_hash', '')[:16]}</code>"
              f" · corpusctl {manifest.get('corpusctl_version', '')}</p>")
    body = header + "\n".join(s for s in sections if s)
    return (f"<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>corpusctl report</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def write_report(manifest: dict, out_dir: Path) -> Path:
    config = ReportConfig.model_validate((manifest.get("recipe") or {}).get("report") or {})
    path = out_dir / "report.html"
    path.write_text(render_report(manifest, out_dir, config), encoding="utf-8")
    return path
