"""Generate a large synthetic corpus for benchmarks, in the default mix, from the sample's templates.

    python sample_data/generate.py --size 100MB --out DIR [--seed 1] [--dup-rate 0.05] [--near-dup-rate 0.05]

Writes one JSONL per kind (`inspection_report.jsonl`, `sop.jsonl`, `maintenance_log.jsonl`,
`encyclopedia.jsonl`, `news.jsonl`, `qa.jsonl`; fields `id, title, text, category`) whose sizes in bytes follow
the default shares (the paper's 60 % industrial as 35/20/5; its 40 % general split 15/15/10 by corpusctl), plus `recipe.yaml` pointing at them. Deterministic per seed: every document has its own RNG
f(seed, kind, index), so the bytes do not depend on how the run is chunked. Memory stays flat (one kind is
streamed at a time; duplicates are drawn from a bounded window of recent documents).

The general-domain kinds come from a finite set of hand-written facts and Q&A points; at large sizes they are
recombined (digest articles, shuffled points), so a few unplanted near-duplicates among them are expected.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import deque
from pathlib import Path

try:
    from . import textgen as tg
except ImportError:  # run as a script
    import textgen as tg

REPO = Path(__file__).resolve().parent.parent
try:
    from corpusctl.config import parse_size
    from corpusctl.stages import seeded_rng
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(REPO))
    from corpusctl.config import parse_size
    from corpusctl.stages import seeded_rng

SHARES = {"inspection_report": 0.35, "sop": 0.20, "maintenance_log": 0.05, "encyclopedia": 0.15, "news": 0.15,
          "qa": 0.10}
DOMAINS = {"inspection_report": "industrial", "sop": "industrial", "maintenance_log": "industrial",
           "encyclopedia": "general", "news": "general", "qa": "general"}
DUP_WINDOW = 2000


# -- one document per kind --------------------------------------------------------------------------------


def _inspection(rng: random.Random, i: int) -> dict:
    draw = rng.random()
    doc = tg.inspection_report(
        rng, rng.choice(tg.INSPECTION_CATEGORIES), pii=rng.random() < 0.1,
        clutter=rng.randint(1, 3) if rng.random() < 0.1 else 0, decoys=1 if rng.random() < 0.1 else 0,
        long=2 if draw < 0.01 else 1 if draw < 0.06 else 0)
    return {"title": doc["title"], "text": doc["text"], "category": doc["category"]}


def _sop(rng: random.Random, i: int) -> dict:
    draw = rng.random()
    doc = tg.sop(rng, rng.choice(tg.SOP_CATEGORIES), pii=rng.random() < 0.05, decoys=1 if rng.random() < 0.15 else 0,
                 long=2 if draw < 0.01 else 1 if draw < 0.06 else 0)
    return {"title": doc["title"], "text": doc["text"], "category": doc["category"]}


def _maintenance(rng: random.Random, i: int) -> dict:
    if rng.random() < 0.03:
        doc = tg.overhaul_log(rng)
    else:
        doc = tg.maintenance_log(rng, pii=rng.random() < 0.1, routine=rng.random() < 0.08)
    return {"title": "", "text": doc["text"], "category": doc["category"]}


def _encyclopedia(rng: random.Random, i: int) -> dict:
    """Single entries now and then; mostly digests that recombine entries of one topic."""
    if rng.random() < 0.03:
        doc = tg.encyclopedia_entry(rng, rng.randrange(len(tg.ENCYCLOPEDIA)))
        return {"title": doc["title"], "text": doc["text"], "category": doc["category"]}
    topic = rng.choice(tuple(tg.ENCYCLOPEDIA_EXTRA))
    entries = [e for e in tg.ENCYCLOPEDIA if e[1] == topic]
    chosen = rng.sample(entries, rng.randint(2, 4))
    paras = []
    for number, (title, _, facts) in enumerate(chosen):
        paras.append(f"{tg.STEP_NUMBERS[number]}、{title}\n" + tg.retold(rng, facts, rng.randint(3, 5))
                     + "".join(tg.encyclopedia_extras(rng, title, topic, rng.randint(0, 2))))
    paras.append("".join(tg.encyclopedia_extras(rng, rng.choice(chosen)[0], topic, rng.randint(1, 3))))
    heading = rng.choice(("{t}知识摘编：{names}", "{names}——{t}常识", "走近{t}：{names}"))
    title = heading.format(t=topic, names="、".join(c[0] for c in chosen))
    return {"title": title, "text": "\n".join(paras), "category": tg.ENCYCLOPEDIA_CATEGORY[topic]}


def _news(rng: random.Random, i: int) -> dict:
    section = rng.choice(tuple(tg.NEWS_STORIES))
    doc = tg.news_article(rng, section, rng.randrange(len(tg.NEWS_STORIES[section])))
    return {"title": doc["title"], "text": doc["text"], "category": section}


def _qa(rng: random.Random, i: int) -> dict:
    """A question with a random subset of its points (some written two in one), background and a follow-up from
    the same topic."""
    index = rng.randrange(len(tg.QA_ITEMS))
    topic, question, alt, points = tg.QA_ITEMS[index]
    points = tg.joined(rng, rng.sample(points, rng.randint(2, 4)), 0.4, ("，", "，而且", "，同时"), limit=140)
    background = tg.qa_background(rng, topic, rng.randrange(len(tg.QA_BACKGROUND[topic])), rng.randint(1, 3))
    others = [item for item in tg.QA_ITEMS if item[0] == topic and item[1] != question]
    related = rng.choice(others)[3]
    parts = [rng.choice(tg.QA_OPENERS) + "".join(points),
             rng.choice(("另外，", "需要补充的是，", "顺便提一下，", "")) + "".join(rng.sample(related, rng.randint(1, 2))),
             "".join(tg.joined(rng, background + [rng.choice(tg.QA_CLOSINGS[topic])], 0.5, ("，", "，所以", "。总之，"),
                               limit=140)),
             tg.qa_follow_up(rng, index)]
    asker = rng.choice(tg.QA_ASKERS).format(years=rng.choice(("五", "十", "二十")))
    title = asker + rng.choice((question, alt))
    return {"title": title, "text": "\n".join(parts), "category": tg.QA_TOPIC_LABEL[topic]}


COMPOSERS = {"inspection_report": _inspection, "sop": _sop, "maintenance_log": _maintenance,
             "encyclopedia": _encyclopedia, "news": _news, "qa": _qa}


# -- writing ----------------------------------------------------------------------------------------------


def _write_kind(path: Path, kind: str, budget: int, seed: int, dup_rate: float, near_dup_rate: float) -> int:
    """Stream documents of one kind until the file is as close to `budget` bytes as one line allows."""
    compose = COMPOSERS[kind]
    recent: deque[dict] = deque(maxlen=DUP_WINDOW)
    written = 0
    index = 0
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "wb") as out:
        while written < budget:
            rng = seeded_rng(seed, kind, index)
            draw = rng.random()
            if recent and draw < dup_rate:
                doc = dict(rng.choice(recent))
            elif recent and draw < dup_rate + near_dup_rate:
                twin = rng.choice(recent)
                doc = dict(twin, text=tg.near_duplicate(rng, twin["text"], rng.randint(2, 5)))
            else:
                doc = compose(rng, index)
                recent.append(doc)
            line = json.dumps({"id": f"{kind}-{seed}-{index:08d}", **doc}, ensure_ascii=False).encode("utf-8") + b"\n"
            if written and written + len(line) - budget > budget - written:
                break  # stopping here lands closer to the budget than writing one more line
            out.write(line)
            written += len(line)
            index += 1
    tmp.replace(path)
    return written


def generate(out_dir: str | Path, size_bytes: int | str, seed: int = 1, dup_rate: float = 0.05,
             near_dup_rate: float = 0.05, shares: dict[str, float] | None = None) -> dict[str, Path]:
    """Write `<kind>.jsonl` files totalling about `size_bytes` bytes (split by `shares`); return their paths."""
    shares = dict(shares or SHARES)
    if set(shares) - set(COMPOSERS):
        raise ValueError(f"unknown kinds in shares: {sorted(set(shares) - set(COMPOSERS))}")
    if not 0 <= dup_rate + near_dup_rate < 1:
        raise ValueError("dup_rate + near_dup_rate must be in [0, 1)")
    size = parse_size(size_bytes)
    total_share = sum(shares.values())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, share in shares.items():
        path = out_dir / f"{kind}.jsonl"
        _write_kind(path, kind, int(size * share / total_share), seed, dup_rate, near_dup_rate)
        paths[kind] = path
    return paths


def write_recipe(out_dir: str | Path, paths: dict[str, Path] | None = None, *, name: str = "synthetic",
                 seed: int = 42, output: str = "out", shares: dict[str, float] | None = None) -> Path:
    """Write `recipe.yaml` in out_dir that builds the generated files (paths relative to the recipe)."""
    import yaml

    out_dir = Path(out_dir)
    paths = paths or {kind: out_dir / f"{kind}.jsonl" for kind in (shares or SHARES)}
    sources = []
    for kind, path in paths.items():
        sources.append({
            "name": kind, "path": Path(path).resolve().relative_to(out_dir.resolve()).as_posix(),
            "format": "jsonl", "text_field": "text", "title_field": "title", "id_field": "id",
            "label_field": "category", "domain": DOMAINS[kind], "kind": kind,
        })
    recipe = {
        "name": name,
        "seed": seed,
        "output": output,
        "sources": sources,
        "clean": {"pii": {"enabled": True, "types": ["id_card", "mobile", "landline", "email", "bank_card", "person"]}},
        "mix": {"unit": "chars", "shares": dict(shares or SHARES)},
        "format": {"title_content_share": 0.5, "max_seq_len": 512},
        "segment": {"backend": "jieba", "lexicons": [str(REPO / "lexicons" / "industrial_terms.txt")]},
        "shards": {"max_shard_size": "64MB"},
        "ner": {"scheme": "BMEO", "split": [0.8, 0.1, 0.1]},
        "classification": {"split": [0.8, 0.1, 0.1]},
    }
    path = out_dir / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", required=True, help="total size, e.g. 100MB, 2GB, 500000")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dup-rate", type=float, default=0.05, help="share of exact duplicate documents")
    parser.add_argument("--near-dup-rate", type=float, default=0.05, help="share of near-duplicate documents")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = generate(args.out, args.size, args.seed, args.dup_rate, args.near_dup_rate)
    recipe = write_recipe(args.out, paths)
    seconds = time.perf_counter() - started
    total = sum(p.stat().st_size for p in paths.values())
    for kind, path in paths.items():
        print(f"{kind:18s} {path.stat().st_size / 1e6:9.2f} MB  {path}")
    print(f"recipe: {recipe}")
    print(json.dumps({"bytes": total, "seconds": round(seconds, 3), "mb_s": round(total / 1e6 / seconds, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
