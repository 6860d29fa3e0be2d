"""Background-clutter removal: precision and recall on a hand-written evaluation set (bench/data/clutter_eval.tsv).

HRG-BERT section 3.1.2 removes background clutter ("concrete floor texture", "warehouse ceiling lighting"): a class
of background description, not a fixed list. The set holds scene descriptions, rewordings of the paper's examples
and of the kinds of phrase lexicons/clutter.txt lists (none of them taken from it), ordinary safety sentences and
safety sentences full of scene words. Each sentence is judged the way the clean stage judges it (a sentence is
clutter when the list matches it, or, with the class rule, when scene_reason gives a reason), with the shipped
lexicons. The list-only baseline is the exact-phrase list alone.

    python bench/clutter.py [--errors]

Two sets: clutter_eval.tsv (119 sentences, written first; the scene and safety lexicons were then written knowing
it, so its figures are optimistic) and clutter_heldout.tsv (50 sentences written after the lexicons were frozen and
never used to change them). Last line: one JSON object with precision and recall of the list + class rule and of
the list-only baseline on both sets together, the held-out and development figures, and per set the details.
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


HELDOUT = DATA.with_name("clutter_heldout.tsv")


def evaluate(stage: CleanStage, rows: list[tuple[bool, str, str]], errors: bool) -> dict:
    """Scores of list + class rule, class rule alone and the list alone on one set (printed as a table)."""
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
    print(f"  {len(rows)} sentences ({sum(truth)} clutter, {len(rows) - sum(truth)} keep)")
    print(f"  {'':24}{'precision':>10}{'recall':>8}{'F1':>8}")
    for name, figures in (("list + class rule", result), ("class rule alone", result["class_only"]),
                          ("list only (baseline)", result["baseline_list_only"])):
        print(f"  {name:24}{figures['precision']:>10.3f}{figures['recall']:>8.3f}{figures['f1']:>8.3f}")
    print("  called clutter per group: " + ", ".join(f"{g} {v}" for g, v in result["called_clutter_by_group"].items()))
    if errors:
        for (label, group, sentence), predicted, reason in zip(rows, combined, reasons, strict=True):
            if label != predicted:
                print(f"    {'missed' if label else 'wrongly removed'} [{group}] {sentence}  ({reason})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print every misjudged sentence with its reason")
    args = parser.parse_args()
    stage = CleanStage(CleanConfig(clutter=ClutterConfig()))
    print(f"development set {DATA.name} (the lexicons were written knowing it):")
    development = evaluate(stage, read_set(DATA), args.errors)
    print(f"held-out set {HELDOUT.name} (written after the lexicons were frozen):")
    heldout = evaluate(stage, read_set(HELDOUT), args.errors)
    both = read_set(DATA) + read_set(HELDOUT)
    print("both sets:")
    combined = evaluate(stage, both, False)
    result = {"precision": combined["precision"], "recall": combined["recall"], "f1": combined["f1"],
              "baseline_precision": combined["baseline_list_only"]["precision"],
              "baseline_recall": combined["baseline_list_only"]["recall"],
              "heldout_precision": heldout["precision"], "heldout_recall": heldout["recall"],
              "heldout_baseline_recall": heldout["baseline_list_only"]["recall"],
              "development_precision": development["precision"], "development_recall": development["recall"],
              "sentences": combined["sentences"], "development": development, "heldout": heldout}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
