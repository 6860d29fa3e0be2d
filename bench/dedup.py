"""Exact + near-duplicate detection speed and quality on a generated corpus with planted duplicates.

    python bench/dedup.py [--size 50MB] [--workers 1] [--batch-size 1000] [--repeats 3] [--seed 7]

Generates varied Chinese documents (words drawn by frequency from jieba's dictionary and the industrial
lexicon, plus shared report boilerplate, and 10% "siblings" that open with a large part of an earlier
document, so distinct documents do overlap), plants exact copies and
near copies (1% of characters substituted, inserted or deleted), runs `dedup_signatures` over batches and
`find_duplicates` once, and prints documents/s, MB/s (UTF-8 bytes of title + text), the recall of exact
and near duplicates, the share of distinct documents wrongly dropped, and peak RSS. Timings are medians
over --repeats; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpusctl.config import parse_size  # noqa: E402
from corpusctl.stages.dedup import DedupConfig, dedup_signatures, find_duplicates  # noqa: E402

BOILERPLATE_HEAD = (
    "检查单位：安全环保部。", "检查部门：设备管理部。", "编制：生产运行部。", "一、检查概况", "巡检记录如下：",
    "本次检查按照年度安全检查计划开展。", "现场检查情况说明：", "检查依据：安全生产法及公司相关制度。",
)
BOILERPLATE_TAIL = (
    "请相关部门按期完成整改并反馈。", "以上情况已通报相关班组。", "整改完成后由安全员复查。", "特此报告。",
    "检查人员已在记录表上签字确认。", "请各车间引以为戒，举一反三。",
)
PUNCT_END = "。。。。。！？；"


def word_pool(top: int = 30000) -> tuple[list[str], list[int]]:
    """Words and frequencies: the `top` most frequent multi-character words of jieba's dictionary + lexicon."""
    import jieba

    entries = []
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            word, freq, *_ = line.split()
            if all("\u4e00" <= ch <= "\u9fff" for ch in word):
                entries.append((int(freq), word))
    entries.sort(reverse=True)
    words = [w for _, w in entries[:top]]
    freqs = [f for f, _ in entries[:top]]
    lexicon = ROOT / "lexicons" / "industrial_terms.txt"
    if lexicon.exists():
        for line in lexicon.read_text(encoding="utf-8").splitlines():
            term = line.split()[0] if line.strip() and not line.startswith("#") else ""
            if term:
                words.append(term)
                freqs.append(2000)
    return words, freqs


class TextMaker:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words, freqs = word_pool()
        self.cum: list[int] = []
        total = 0
        for f in freqs:
            total += f
            self.cum.append(total)
        self.chars = [w[0] for w in self.words[:3000]]

    def sentence(self) -> str:
        rng = self.rng
        clauses = ["".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(3, 8)))
                   for _ in range(rng.randint(1, 3))]
        return "，".join(clauses) + rng.choice(PUNCT_END)

    def document(self, chars: int) -> tuple[str, str]:
        rng = self.rng
        title = "".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(2, 5)))
        parts = [rng.choice(BOILERPLATE_HEAD)] if rng.random() < 0.5 else []
        length = sum(len(p) for p in parts)
        while length < chars:
            sentence = self.sentence()
            if rng.random() < 0.15:
                sentence += "\n"
            parts.append(sentence)
            length += len(sentence)
        if rng.random() < 0.5:
            parts.append(rng.choice(BOILERPLATE_TAIL))
        return title, "".join(parts).strip()

    def edit(self, text: str, rate: float) -> str:
        """Substitute, insert or delete `rate` of the characters at random places."""
        rng = self.rng
        chars = list(text)
        for _ in range(max(1, round(len(text) * rate))):
            at = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.5:
                chars[at] = rng.choice(self.chars)
            elif op < 0.75:
                chars.insert(at, rng.choice(self.chars))
            elif len(chars) > 1:
                del chars[at]
        return "".join(chars)


def make_corpus(
    n_docs: int | None = None,
    size_bytes: int | None = None,
    seed: int = 7,
    exact_share: float = 0.05,
    near_share: float = 0.05,
    edit_rate: float = 0.01,
    sibling_share: float = 0.1,
    chars: tuple[int, int] = (150, 2500),
) -> tuple[dict[str, list], dict]:
    """A batch (`id`, `title`, `text`) and the truth: {"exact": [(copy_id, source_id)], "near": [...],
    "distinct": [ids]}. Each planted copy comes after its source; a source has at most one copy.

    `sibling_share` of the distinct documents open with 30-75% of an earlier document's text (Jaccard up to
    about 0.6): they must be kept, which tests the confirmation of LSH candidates.
    """
    maker = TextMaker(seed)
    rng = maker.rng
    docs: list[tuple[str, str, str]] = []
    total = 0
    while (n_docs is not None and len(docs) < n_docs) or (size_bytes is not None and total < size_bytes):
        title, text = maker.document(rng.randint(*chars))
        if docs and rng.random() < sibling_share:  # distinct, but shares its opening with an earlier document
            _, _, earlier = docs[rng.randrange(len(docs))]
            shared = earlier[: int(len(earlier) * rng.uniform(0.3, 0.75))]
            text = shared + text[: max(1, len(earlier) - len(shared))]
        docs.append((f"doc-{len(docs)}", title, text))
        total += len((title + text).encode("utf-8"))
    n_exact = round(len(docs) * exact_share)
    n_near = round(len(docs) * near_share)
    sources = rng.sample(range(len(docs)), n_exact + n_near)
    keyed = [(float(i), doc) for i, doc in enumerate(docs)]
    truth: dict = {"exact": [], "near": [], "distinct": [d[0] for d in docs]}
    for k, source in enumerate(sources):
        doc_id, title, text = docs[source]
        kind = "exact" if k < n_exact else "near"
        if kind == "exact":
            copy = (f"exact-{k}", title, text.replace("\n", "\n ", 1))  # whitespace differences are still exact
        else:
            copy = (f"near-{k}", title, maker.edit(text, edit_rate))
        keyed.append((rng.uniform(source + 0.5, len(docs)), copy))
        truth[kind].append((copy[0], doc_id))
    keyed.sort(key=lambda item: item[0])
    batch = {
        "id": [d[0] for _, d in keyed],
        "title": [d[1] for _, d in keyed],
        "text": [d[2] for _, d in keyed],
    }
    return batch, truth


def signatures(batch: dict[str, list], config: DedupConfig, batch_size: int, workers: int) -> dict[str, list]:
    chunks = [{k: v[lo : lo + batch_size] for k, v in batch.items()} for lo in range(0, len(batch["id"]), batch_size)]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(partial(dedup_signatures, config=config), chunks))
    else:
        parts = [dedup_signatures(chunk, config) for chunk in chunks]
    return {"_exact": [x for p in parts for x in p["_exact"]], "_minhash": [x for p in parts for x in p["_minhash"]]}


def score(batch: dict[str, list], found: dict[int, tuple[str, str]], truth: dict) -> dict:
    dropped = {batch["id"][row]: twin for row, (_, twin) in found.items()}
    exact_hits = sum(copy in dropped for copy, _ in truth["exact"])
    near_hits = sum(copy in dropped for copy, _ in truth["near"])
    twins_right = sum(dropped.get(copy) == source for copy, source in truth["exact"] + truth["near"])
    caught = exact_hits + near_hits
    false_drops = sum(doc in dropped for doc in truth["distinct"])
    return {
        "exact_recall": exact_hits / max(1, len(truth["exact"])),
        "near_recall": near_hits / max(1, len(truth["near"])),
        "twin_accuracy": twins_right / max(1, caught),
        "false_drop_rate": false_drops / max(1, len(truth["distinct"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="50MB", help="corpus size in UTF-8 bytes (default 50MB)")
    parser.add_argument("--workers", type=int, default=1, help="processes computing signatures")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    config = DedupConfig()

    started = time.perf_counter()
    batch, truth = make_corpus(size_bytes=parse_size(args.size), seed=args.seed)
    n_docs = len(batch["id"])
    megabytes = sum(len((t + x).encode("utf-8")) for t, x in zip(batch["title"], batch["text"], strict=True)) / 1e6
    print(f"corpus: {n_docs} documents, {megabytes:.1f} MB ({len(truth['exact'])} exact and "
          f"{len(truth['near'])} near copies planted) in {time.perf_counter() - started:.1f}s")

    sig_times, find_times = [], []
    for _ in range(max(1, args.repeats)):
        started = time.perf_counter()
        sigs = signatures(batch, config, args.batch_size, args.workers)
        sig_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = find_duplicates(batch["id"], sigs["_exact"], sigs["_minhash"], config)
        find_times.append(time.perf_counter() - started)
    sig_s, find_s = statistics.median(sig_times), statistics.median(find_times)
    total_s = sig_s + find_s
    result = {
        "docs": n_docs,
        "mb": round(megabytes, 1),
        "workers": args.workers,
        "signatures_s": round(sig_s, 2),
        "find_duplicates_s": round(find_s, 2),
        "docs_s": round(n_docs / total_s, 1),
        "mb_s": round(megabytes / total_s, 2),
        "signatures_mb_s": round(megabytes / sig_s, 2),
        **{k: round(v, 4) for k, v in score(batch, found, truth).items()},
        "dropped": len(found),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"signatures: {sig_s:.2f}s ({result['signatures_mb_s']} MB/s), find_duplicates: {find_s:.2f}s")
    print(f"throughput: {result['docs_s']} docs/s, {result['mb_s']} MB/s (median of {args.repeats})")
    print(f"exact recall {result['exact_recall']:.4f}, near recall {result['near_recall']:.4f} "
          f"(twin named right {result['twin_accuracy']:.4f}), distinct wrongly dropped "
          f"{result['false_drop_rate']:.4f}; peak RSS {result['peak_rss_mb']} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
