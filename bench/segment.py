"""Segmentation throughput of each backend (cut, and cut + Universal POS) on the same text, one core.

    python bench/segment.py [--size 2MB] [--repeats 3] [--epochs 3] [--seed 1]

Text: a generated corpus of about --size (sample_data/generate.py when present, else the bundled
sample_data/ files repeated, else PKU gold sentences mixed with templated industrial sentences), with the
shipped industrial lexicon as user dictionary. For each backend, MB/s (UTF-8 bytes) of `Segmenter.segment`
over all texts, median of --repeats, plus `SegmentStage` (the pipeline's batch function, which also builds
the `words` dicts) for rjieba. pkuseg needs a model: one is trained on the fly on the first 1,000 lines of
../shared/external/seg/pku_test_gold.utf8 (skipped with a reason when absent), and the word F1 of pkuseg,
jieba and rjieba on the other lines is reported too. rjieba/jieba agreement is measured on the outputs
of the timed runs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpusctl.config import parse_size  # noqa: E402
from corpusctl.lexicons import user_words as read_user_words  # noqa: E402
from corpusctl.segmenter.core import Segmenter  # noqa: E402
from corpusctl.segmenter.evaluation import compare, evaluate, read_gold  # noqa: E402
from corpusctl.segmenter.training import train_pkuseg  # noqa: E402
from corpusctl.stages.segment import SegmentConfig, SegmentStage  # noqa: E402

PKU_GOLD = ROOT.parent / "shared" / "external" / "seg" / "pku_test_gold.utf8"
LEXICON = ROOT / "lexicons" / "industrial_terms.txt"
TEMPLATES = ("检查{a}时发现{b}存在{c}，已要求班组立即整改。", "对{a}进行了全面的{b}，未发现{c}。",
             "{a}附近的{b}出现{c}，值班员已上报。", "操作人员应当定期检查{a}和{b}，防止{c}。",
             "因{a}故障导致{b}停运，现场没有发生{c}。", "请维修人员更换{a}的{b}，并做好{c}记录。")


def _texts_from_files(files: list[Path]) -> list[str]:
    texts: list[str] = []
    for path in files:
        if path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    texts += [v for k, v in record.items() if k in ("title", "text", "content") and
                              isinstance(v, str) and v.strip()]
        elif path.suffix == ".txt":
            texts += [block for block in path.read_text(encoding="utf-8").split("\n\n") if block.strip()]
    return texts


def _fill(texts: list[str], size: int) -> list[str]:
    """Repeats the texts until they hold about `size` UTF-8 bytes."""
    out, total = [], 0
    while texts and total < size:
        for text in texts:
            out.append(text)
            total += len(text.encode("utf-8"))
            if total >= size:
                break
    return out


def bench_texts(size: int, seed: int, terms: list[str]) -> tuple[list[str], str]:
    """About `size` bytes of text to segment, and where it came from."""
    try:
        from sample_data.generate import generate

        with tempfile.TemporaryDirectory() as tmp:
            files = generate(Path(tmp), size, seed)
            texts = _texts_from_files([Path(f) for f in files] if files else sorted(Path(tmp).rglob("*")))
        if texts:
            return _fill(texts, size), "sample_data.generate"
    except ImportError:
        pass
    sample = sorted(p for p in (ROOT / "sample_data").rglob("*") if p.suffix in (".jsonl", ".txt"))
    texts = _texts_from_files(sample)
    if texts:
        return _fill(texts, size), "sample_data files (repeated)"
    rng = random.Random(seed)
    pku = [line.replace(" ", "").strip() for line in PKU_GOLD.read_text(encoding="utf-8").splitlines()] \
        if PKU_GOLD.exists() else []
    texts = []
    for i in range(20000):
        if pku and i % 2:
            texts.append(rng.choice(pku))
        else:
            a, b, c = rng.sample(terms, 3)
            texts.append(rng.choice(TEMPLATES).format(a=a, b=b, c=c))
    return _fill(texts, size), "generated (PKU gold sentences + templated industrial sentences)"


def mb_s(fn, texts: list[str], nbytes: int, repeats: int):
    """Median MB/s over repeats, and the last run's output."""
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn(texts)
        seconds.append(time.perf_counter() - started)
    return nbytes / 1e6 / statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="2MB")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="pkuseg training epochs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    user_words = read_user_words(LEXICON) if LEXICON.exists() else []
    terms = [w for w, _, _ in user_words] or ["离心泵", "安全阀", "泄漏", "灭火器", "接地线", "压力表"]
    texts, source = bench_texts(parse_size(args.size), args.seed, terms)
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    print(f"text: {len(texts):,} texts, {nbytes / 1e6:.2f} MB from {source}; {len(user_words)} user words")
    figures: dict = {"mb": round(nbytes / 1e6, 2), "texts": len(texts), "source": source}
    outputs: dict = {}

    def run(name: str, segmenter: Segmenter, pos: bool) -> None:
        key = f"{name}_{'pos' if pos else 'cut'}_mb_s"
        speed, result = mb_s(lambda ts: [segmenter.segment(t) for t in ts], texts, nbytes, args.repeats)
        figures[key] = round(speed, 3)
        outputs[(name, pos)] = result
        print(f"{key:<22} {speed:8.3f}")

    for name in ("jieba", "rjieba"):
        for pos in (False, True):
            run(name, Segmenter(name, user_words, pos=pos), pos)

    stage = SegmentStage(SegmentConfig(backend="rjieba"), user_words)
    batch = {"text": texts, "title": [""] * len(texts), "terms": [[] for _ in texts],
             "title_terms": [[] for _ in texts]}
    speed, _ = mb_s(lambda _ts: stage(batch), texts, nbytes, args.repeats)
    figures["rjieba_stage_mb_s"] = round(speed, 3)
    print(f"{'rjieba_stage_mb_s':<22} {speed:8.3f}   (SegmentStage: + Arrow word columns)")

    cut = compare(outputs[("jieba", False)], outputs[("rjieba", False)])
    tagged = compare(outputs[("jieba", True)], outputs[("rjieba", True)])
    figures.update(agreement=cut["identical_share"], agreement_word_f1=cut["word_f1"],
                   pos_agreement=tagged["identical_share"], pos_agreement_word_f1=tagged["word_f1"],
                   upos_accuracy=tagged["upos_accuracy"])
    print(f"rjieba vs jieba, cut: {cut['identical_share']:.2%} of texts identical, word F1 {cut['word_f1']:.4f}; "
          f"POS mode: {tagged['identical_share']:.2%} identical words, word F1 {tagged['word_f1']:.4f}, "
          f"same UPOS on {tagged['upos_accuracy']:.2%} of shared words")

    if not PKU_GOLD.exists():
        figures["pkuseg_skipped"] = f"{PKU_GOLD} not found: no gold text to train a pkuseg model"
        print(f"pkuseg skipped: {figures['pkuseg_skipped']}")
    else:
        lines = PKU_GOLD.read_text(encoding="utf-8").splitlines()
        with tempfile.TemporaryDirectory() as tmp:
            train_file = Path(tmp) / "train.txt"
            train_file.write_text("\n".join(lines[:1000]) + "\n", encoding="utf-8")
            started = time.perf_counter()
            train_pkuseg(train_file, Path(tmp) / "model", user_words, epochs=args.epochs)
            figures["pkuseg_train_s"] = round(time.perf_counter() - started, 1)
            for pos in (False, True):
                run("pkuseg", Segmenter("pkuseg", user_words, model=Path(tmp) / "model", pos=pos), pos)
            held_out = Path(tmp) / "test.txt"
            held_out.write_text("\n".join(lines[1000:]) + "\n", encoding="utf-8")
            gold = read_gold(held_out)
            for name in ("pkuseg", "jieba", "rjieba"):
                segmenter = Segmenter(name, user_words, model=Path(tmp) / "model", pos=False)
                figures[f"{name}_pku_f1"] = evaluate(segmenter, gold)["f1"]
        print(f"pkuseg trained on 1,000 PKU lines ({args.epochs} epochs, {figures['pkuseg_train_s']} s); word F1 "
              f"on the other {len(gold)}: pkuseg {figures['pkuseg_pku_f1']:.4f}, jieba {figures['jieba_pku_f1']:.4f}, "
              f"rjieba {figures['rjieba_pku_f1']:.4f}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
