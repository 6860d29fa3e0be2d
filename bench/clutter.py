"""Background-clutter removal: precision and recall on a hand-written evaluation set (bench/data/clutter_eval.tsv).

HRG-BERT section 3.1.2 removes background clutter ("concrete floor texture", "warehouse ceiling lighting"): a class
of background description, not a fixed list. The set holds scene descriptions, rewordings of the paper's examples
and of the kinds of phrase lexicons/clutter.txt lists (none of them taken from it), ordinary safety sentences and
safety sentences full of scene words. Each sentence is judged the way the clean stage judges it (a sentence is
clutter when the list matches it, or, with the class rule, when scene_reason gives a reason), with the shipped
lexicons. The list-only baseline is the exact-phrase list alone.

    python bench/clutter.py [--errors]

Last line: one JSON object with precision, recall and F1 of the class rule (with the list), of the class rule
alone and of the list-only baseline, and per group how many sentences were called clutter.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpusctl.stages.clean import CleanConfig, CleanStage, ClutterConfig, _matches  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "clutter_eval.tsv"


def read_set(path: Path = DATA) -> list[tuple[bool, str, str]]:
    """(is clutter, group, sentence) per line of the evaluation set."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, group, sentence = line.split("\t")
        rows.append((label == "clutter", group, sentence))
    return rows


def scores(truth: list[bool], predicted: list[bool]) -> dict:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "tp": tp, "fp": fp,
            "fn": fn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print every misjudged sentence with its reason")
    args = parser.parse_args()
    rows = read_set()
    stage = CleanStage(CleanConfig(clutter=ClutterConfig()))
    clutter_list, _ = stage.setup()
    started = time.perf_counter()
    on_list = [bool(_matches(clutter_list, sentence)) for _, _, sentence in rows]
    reasons = [stage.scene_reason(sentence) for _, _, sentence in rows]
    seconds = time.perf_counter() - started
    truth = [label for label, _, _ in rows]
    combined = [a or bool(b) for a, b in zip(on_list, reasons, strict=True)]
    result = {
        "sentences": len(rows), "clutter": sum(truth), "keep": len(rows) - sum(truth),
        **scores(truth, combined),
        "class_only": scores(truth, [bool(r) for r in reasons]),
        "baseline_list_only": scores(truth, on_list),
        "called_clutter_by_group": {},
        "sentences_s": round(len(rows) / max(seconds, 1e-9)),
    }
    for group in dict.fromkeys(g for _, g, _ in rows):
        here = [c for (_, g, _), c in zip(rows, combined, strict=True) if g == group]
        result["called_clutter_by_group"][group] = f"{sum(here)}/{len(here)}"
    print(f"evaluation set: {len(rows)} sentences ({sum(truth)} clutter, {len(rows) - sum(truth)} keep)")
    print(f"{'':24}{'precision':>10}{'recall':>8}{'F1':>8}")
    for name, figures in (("list + class rule", result), ("class rule alone", result["class_only"]),
                          ("list only (baseline)", result["baseline_list_only"])):
        print(f"{name:24}{figures['precision']:>10.3f}{figures['recall']:>8.3f}{figures['f1']:>8.3f}")
    print("called clutter per group: " + ", ".join(f"{g} {v}" for g, v in result["called_clutter_by_group"].items()))
    if args.errors:
        for (label, group, sentence), predicted, reason in zip(rows, combined, reasons, strict=True):
            if label != predicted:
                print(f"  {'missed' if label else 'wrongly removed'} [{group}] {sentence}  ({reason})")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
