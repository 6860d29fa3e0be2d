"""report.html: self-contained, every figure the issue asks for, numbers that agree with manifest.json."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from corpusctl.report import checks, render_report, stage_rows

CHROMIUM = Path("/usr/bin/chromium") if Path("/usr/bin/chromium").exists() else Path(shutil.which("chromium") or "/usr/bin/chromium")
SECTIONS = ["mix", "stages", "lengths", "formats", "masking", "ontology", "pii", "ner", "classification"]


class ReportParser(HTMLParser):
    """Tags with their attributes, visible text, <style> text, <svg> count, and every table as rows of cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.svgs = 0
        self._stack: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._stack.append(tag)
        if tag == "svg":
            self.svgs += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        while self._stack:
            if self._stack.pop() == tag:
                break

    def handle_data(self, data):
        if self._stack and self._stack[-1] == "style":
            self.styles.append(data)
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, first_headers: list[str]) -> list[list[str]]:
        for table in self.tables:
            if table and table[0][: len(first_headers)] == first_headers:
                return table
        raise AssertionError(f"no table starting with columns {first_headers}")


@pytest.fixture(scope="module")
def report(sample_out):
    parser = ReportParser()
    parser.feed((sample_out / "report.html").read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.fixture(scope="module")
def manifest(sample_out):
    return json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))


def test_report_has_inline_figures_and_no_network_resources(report, sample_out):
    assert report.svgs >= 10  # each section's plots are inline SVG; the minimum is 5
    for tag, attrs in report.tags:
        for name in ("src", "href", "xlink:href", "data", "poster", "srcset"):
            value = (attrs.get(name) or "").strip().lower()
            assert not re.match(r"(https?:)?//", value), f"<{tag} {name}={value!r}> loads from the network"
        assert not (tag == "script" and "src" in attrs)
        assert not (tag == "link" and "href" in attrs)
        assert tag not in ("img", "iframe", "object", "embed")
    css = "".join(report.styles)
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    raw = (sample_out / "report.html").read_text(encoding="utf-8")
    assert "<metadata>" not in raw and "<?xml" not in raw


def test_report_mentions_kinds_formats_and_masks(report, manifest):
    text = " ".join(report.text)
    for kind in {source["kind"] for source in manifest["recipe"]["sources"]}:
        assert kind in text
    assert "title_content" in text and "paragraph" in text
    assert "realized mask ratio by length bucket vs target band" in text  # the plot's title is SVG text
    ids = {attrs.get("id") for tag, attrs in report.tags if tag == "section"}
    assert set(SECTIONS) <= ids
    for anchor in SECTIONS:  # the navigation links to every section
        assert ("a", {"href": f"#{anchor}"}) in report.tags


def test_mix_and_format_numbers_agree_with_the_manifest(report, manifest):
    mix = manifest["mix"]
    rows = {row[0]: row for row in report.table(["kind", "domain", "target", "achieved"])[1:]}
    assert set(rows) == set(mix["achieved"])
    for kind, share in mix["achieved"].items():
        assert rows[kind][1] == mix["domains"][kind]
        assert rows[kind][2] == f"{mix['target'][kind]:.1%}"
        assert rows[kind][3] == f"{share:.1%}"
        assert rows[kind][4] == f"{manifest['formats']['kind_shares'][kind]:.1%}"
        assert rows[kind][5] == f"{mix['chars'][kind]:,}"
    formats = {row[0]: row for row in report.table(["format", "target", "achieved"])[1:]}
    for name, share in manifest["formats"]["shares"].items():
        assert formats[name][2] == f"{share:.1%}"
        assert formats[name][4] == f"{manifest['formats']['examples'][name]:,}"


def test_stage_counts_and_rejects_agree_with_the_manifest(report, manifest):
    stages = manifest["stages"]
    rows = {row[0].split(" ")[0]: row for row in report.table(["stage", "rows in", "rows out"])[1:]}
    counted = [name for name, stats in stages.items() if "docs_in" in stats]
    assert set(rows) == set(counted)
    for name in counted:
        assert rows[name][1:4] == [f"{stages[name]['docs_in']:,}", f"{stages[name]['docs_out']:,}",
                                   f"{sum(stages[name].get('rejects', {}).values()):,}"]
    rejects = report.table(["stage", "reason", "documents"])[1:]
    expected = sorted((n, r, f"{c:,}") for n, s in stages.items() for r, c in (s.get("rejects") or {}).items())
    assert expected and sorted(tuple(row[:3]) for row in rejects) == expected


def test_mask_ner_classification_and_pii_numbers_agree(report, manifest):
    buckets = report.table(["length bucket", "examples", "mean"])[1:]
    assert len(buckets) == len(manifest["mask"]["by_length"])
    for row, stats in zip(buckets, manifest["mask"]["by_length"].values(), strict=True):
        assert row[1] == f"{stats['examples']:,}"
        assert row[2] == ("—" if stats["mean"] is None else f"{stats['mean']:.1%}")
    splits = {row[0]: row for row in report.table(["split", "sentences"])[1:]}
    for name, sentences in manifest["ner"]["sentences"].items():
        assert splits[name][1] == f"{sentences:,}"
        assert splits[name][3] == f"{sum(manifest['ner']['entities'][name].values()):,}"
    labels = {row[0]: row for row in report.table(["split", "rows", "labels"])[1:]}
    for name, counts in manifest["classification"]["label_counts"].items():
        assert labels[name][1:] == [f"{sum(counts.values()):,}", f"{len(counts):,}"]
    pii = report.table(["source", "type", "replacements"])[1:]
    assert sum(int(row[2].replace(",", "")) for row in pii) == manifest["pii"]["total"] > 0
    text = " ".join(report.text)
    assert f"{manifest['pretrain']['rows']:,}" in text and "pre-training examples" in text


def test_chinese_labels_are_text_drawn_by_the_browser(sample_out, manifest):
    raw = (sample_out / "report.html").read_text(encoding="utf-8")
    top_term = next(iter(manifest["ontology"]["top_terms"]))
    homonym = next(iter(manifest["ontology"]["homonyms"]["decisions"]))
    assert re.search(rf"<text[^>]*>{re.escape(top_term)}</text>", raw)  # svg.fonttype=none: a <text>, not paths
    assert f"<td>{homonym}</td>" in raw
    assert "Noto Sans CJK SC" in raw and "svg text" in raw


def test_report_is_rendered_from_the_manifest_deterministically(sample_out, manifest):
    assert render_report(manifest, sample_out) == (sample_out / "report.html").read_text(encoding="utf-8")


def test_stage_rows_derive_missing_characters_from_neighbours():
    stages = {
        "clean": {"docs_in": 10, "docs_out": 9, "chars_in": 1000, "chars_out": 900, "rejects": {"too_short": 1}},
        "dedup-signatures": {"docs_in": 9, "docs_out": 9, "chars_in": 900, "chars_out": 0},
        "dedup": {"docs_in": 9, "docs_out": 8, "rejects": {"exact_duplicate": 1}},
        "vocab": {"size": 100},
        "ontology": {"docs_in": 8, "docs_out": 8, "chars_in": 800, "chars_out": 800},
    }
    rows = {row["name"]: row for row in stage_rows(stages)}
    assert "vocab" not in rows
    assert rows["dedup-signatures"]["side"] and rows["dedup-signatures"]["chars_out"] is None
    assert (rows["dedup"]["chars_in"], rows["dedup"]["chars_out"], rows["dedup"]["derived"]) == (900, 800, True)
    assert rows["clean"]["rejects"] == 1 and not rows["clean"]["derived"]


def test_checks_flag_a_mix_off_target():
    manifest = {"mix": {"target": {"a": 0.5, "b": 0.5}, "achieved": {"a": 0.52, "b": 0.48}},
                "mask": {"in_band": 1.0}, "ner": {"leaks": 2}}
    results = {what.split(":")[0]: ok for what, ok, _ in checks(manifest)}
    assert results == {"mix": False, "masks": True, "NER": False}


def test_report_of_a_partial_build_says_what_is_off(tmp_path):
    manifest = {"recipe": {"name": "tiny"}, "seed": 1, "stages": {"ingest": {"docs_in": 3, "docs_out": 3}},
                "mix": {"achieved": {"news": 1.0}, "target": None, "chars": {"news": 30}},
                "mask": {"enabled": False}, "ner": {"enabled": False}, "classification": {"enabled": False}}
    page = render_report(manifest, tmp_path)  # no pretrain/ folder: the length plots are left out
    assert "The mix is disabled" in page and "masking is disabled" in page
    assert "NER export is disabled" in page and "classification export is disabled" in page
    assert 'id="lengths"' not in page and page.count("<svg") == 2


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium with no network, no GPU, a throwaway profile; skips the test where it cannot run."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is absent (Debian: apt-get install chromium); .ci/run installs it when it can")
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", "--virtual-time-budget=10000", f"--user-data-dir={tmp_path / 'profile'}", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish within 180 s in this environment")


def _screenshot(tmp_path: Path, page: Path, width: int, height: int):
    import matplotlib.image

    png = tmp_path / f"{page.stem}.png"
    _chromium(tmp_path, f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri())
    assert png.exists(), "chromium wrote no screenshot"
    return matplotlib.image.imread(str(png))[..., :3]  # floats in [0, 1]


def _page_height(tmp_path: Path, raw: str) -> int:
    """The rendered height of the page (a script writes it into the title; --dump-dom prints the DOM)."""
    probe = tmp_path / "height.html"
    probe.write_text(raw.replace("</body>", "<script>document.title = 'height=' + "
                                 "document.documentElement.scrollHeight</script></body>"), encoding="utf-8")
    result = _chromium(tmp_path, "--dump-dom", "--window-size=1200,1000", probe.as_uri())
    match = re.search(r"height=(\d+)", result.stdout)
    assert match, f"chromium printed no height: {result.stderr[-2000:]}"
    return int(match.group(1))


def test_screenshot_of_the_whole_report_in_headless_chromium(sample_out, tmp_path):
    raw = (sample_out / "report.html").read_text(encoding="utf-8")
    height = _page_height(tmp_path, raw)
    assert height > 3000
    page = tmp_path / "report.html"
    page.write_text(raw, encoding="utf-8")
    pixels = _screenshot(tmp_path, page, 1200, height)
    assert pixels.shape[:2] == (height, 1200)
    non_white = (pixels < 0.95).any(axis=-1)
    assert non_white.mean() > 0.03, f"only {non_white.mean():.1%} of the screenshot is not white"
    # every tenth of the page, down to its end, holds something drawn
    tenths = [non_white[i * height // 10:(i + 1) * height // 10].mean() for i in range(10)]
    assert min(tenths) > 0.005, f"a part of the page is blank: {[f'{t:.1%}' for t in tenths]}"
    # the 'achieved' bars are orange; the section rules are too, but they cover well under 1 % of the page
    orange = ((abs(pixels[..., 0] - 230 / 255) < 0.06) & (abs(pixels[..., 1] - 85 / 255) < 0.06)
              & (abs(pixels[..., 2] - 13 / 255) < 0.06)).mean()
    assert orange > 0.01, "no 'achieved' bars were drawn: the inline SVG plots did not render"


CELL = 48
TOFU = ["\ue000", "\U0010fffd", "\u0378"]
"""Code points no font draws (private use, unassigned): whatever Chromium shows for them is its tofu."""


def _glyph_cells(tmp_path: Path, style: str, chars: list[str], name: str) -> list:
    """Each character drawn alone in a CELL×CELL box with the report's fonts; the cells as 0/1 ink arrays."""
    columns = 30
    cells = "".join(f'<span style="position:absolute;left:{(i % columns) * CELL}px;top:{(i // columns) * CELL}px;'
                    f'width:{CELL}px;height:{CELL}px;line-height:{CELL}px;text-align:center">{c}</span>'
                    for i, c in enumerate(chars))
    page = tmp_path / f"{name}.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{style}'
                    "body { margin: 0; padding: 0; font-size: 32px; }</style></head>"
                    f"<body>{cells}</body></html>", encoding="utf-8")
    rows = (len(chars) + columns - 1) // columns
    pixels = _screenshot(tmp_path, page, columns * CELL, rows * CELL + CELL)
    ink = (pixels < 0.5).any(axis=-1)
    return [ink[(i // columns) * CELL:(i // columns + 1) * CELL, (i % columns) * CELL:(i % columns + 1) * CELL]
            for i in range(len(chars))]


def _tofu(cells: list, references: list) -> list[int]:
    """Indices of cells drawn as tofu: like a no-font reference cell, or identical to another cell (all
    missing glyphs look alike; distinct Chinese characters never do)."""
    import numpy as np

    bad = {i for i, cell in enumerate(cells) for ref in references if np.array_equal(cell, ref)}
    seen: dict[bytes, int] = {}
    for i, cell in enumerate(cells):
        key = np.packbits(cell).tobytes()
        if key in seen:
            bad |= {i, seen[key]}
        seen[key] = i
    return sorted(bad)


def test_every_chinese_character_of_the_report_is_drawn_without_tofu(sample_out, tmp_path):
    """The whole page's Chinese, drawn with the report's own <style> (its embedded font): no tofu, even on a
    machine without CJK fonts (CI). Where the machine has none, the same characters without the embedded
    font must come out as tofu, which shows that the check can fail."""
    import html as html_lib

    raw = (sample_out / "report.html").read_text(encoding="utf-8")
    style = re.search(r"<style>(.*?)</style>", raw, flags=re.S).group(1)
    body = html_lib.unescape(raw[raw.index("<body>"):])
    chars = sorted({c for c in body if re.match(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]", c)})
    assert len(chars) > 50
    cells = _glyph_cells(tmp_path, style, chars + TOFU, "glyphs")
    drawn, references = cells[:len(chars)], cells[len(chars):]
    tofu = _tofu(drawn, references)
    assert not tofu, f"drawn as tofu: {''.join(chars[i] for i in tofu)}"
    no_cjk_font = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip() == ""
    if no_cjk_font and shutil.which("fc-list"):
        without = re.sub(r"@font-face \{.*?\}", "", style, flags=re.S)
        cells = _glyph_cells(tmp_path, without, chars + TOFU, "without")
        assert len(_tofu(cells[:len(chars)], cells[len(chars):])) > 0.9 * len(chars)


def test_build_time_is_the_wall_clock_of_the_build(report, manifest):
    """Stages run one after another and the exports alongside them: the wall clock is at least the sum of
    the stage times and at least any export's time (a sum of stage seconds would leave the exports out)."""
    wall = manifest["wall_seconds"]
    assert wall >= sum(s.get("seconds", 0) for s in manifest["stages"].values()) - 0.01
    assert wall >= max(v for k, v in manifest["step_seconds"].items() if k != "report") - 0.01
    from corpusctl.report import _duration

    cards = " ".join(report.text)
    assert f"{_duration(wall)} build time (wall clock)" in " ".join(cards.split())
