"""Write the bundled sample corpus (sample_data/industrial, sample_data/general) and planted.json.

Deterministic: `python sample_data/make_sample.py` always writes the same bytes. Everything planted for later
stages (duplicates, clutter, homonyms, personal data and decoys, long and junk documents) is chosen here by
position, not by chance, and listed in planted.json with where it is, so tests can check each stage against it.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
from pathlib import Path

try:
    from . import textgen as tg
except ImportError:  # run as a script
    import textgen as tg

HERE = Path(__file__).resolve().parent
try:
    from corpusctl.stages import seeded_rng
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(HERE.parent))
    from corpusctl.stages import seeded_rng
SEED = 20240501

INSPECTION_DOCS = 190
SOP_DOCS = 100
MAINTENANCE_DOCS = 75
OVERHAUL_DOCS = 6
NEWS_DOCS = 100
QA_VARIANTS = 2
MAINTENANCE_FILES = ("2023_pump_and_compressor.txt", "2023_power_and_utilities.txt", "2024_production_lines.txt")


def rng_for(*keys: object) -> random.Random:
    """A private RNG per document, so adding documents never changes the others."""
    return seeded_rng(SEED, *keys)


class Planted:
    """Collects where each planted feature landed."""

    def __init__(self) -> None:
        self.data: dict[str, list] = {k: [] for k in (
            "exact_duplicates", "near_duplicates", "repeated_sentences", "clutter", "pii", "decoys",
            "long_documents", "low_quality", "noise")}

    def add(self, key: str, **item) -> None:
        self.data[key].append(item)


def loc(file: str, key: str) -> dict:
    return {"file": file, "key": key}


def planted_strings(planted: Planted, where: dict) -> tuple[str, ...]:
    """The personal data and decoys planted in a document, with their role cues: a near-duplicate leaves them be."""
    items = [i for what in ("pii", "decoys") for i in planted.data[what] if i["doc"] == where]
    return tuple(s for i in items for s in (i["value"], i.get("cue", "")) if s)


def inherit(planted: Planted, original: dict, copy: dict, text: str) -> None:
    """A duplicate carries its twin's planted items (those that survived the edits of a near-duplicate)."""
    for what in ("pii", "decoys"):
        for item in [i for i in planted.data[what] if i["doc"] == original]:
            if item["value"] in text and item.get("cue", "") in text:  # a name whose role cue was edited away is no longer one
                planted.add(what, **(item | {"doc": copy}))
    for item in [i for i in planted.data["clutter"] if i["doc"] == original]:
        phrases = [p for p in item["phrases"] if p in text]
        if phrases:
            planted.add("clutter", doc=copy, phrases=phrases)


# -- industrial -------------------------------------------------------------------------------------------


def inspection_reports(planted: Planted) -> list[dict]:
    file = "industrial/inspection_reports.jsonl"
    cats = tg.INSPECTION_CATEGORIES
    docs = []
    for i in range(INSPECTION_DOCS):
        rng = rng_for("inspection", i)
        category = cats[i % len(cats)]
        opts = {
            "pii": i % 7 == 3,  # 27 docs
            "clutter": (1 + i % 3) if i % 6 == 1 else 0,  # 32 docs
            "decoys": (1 + i % 2) if i % 5 == 2 or i % 7 == 3 else 0,
            "long": 2 if i in (12, 57, 101, 146) else 1 if i % 13 == 5 else 0,
        }
        if category == "日常巡检":
            opts["clutter"] = 0
        doc = tg.inspection_report(rng, category, **opts)
        key = f"IR-{i + 1:04d}"
        docs.append(_record_industrial(planted, file, key, doc))
    # repeated sentences inside a document
    for i in (8, 44, 120):
        rng = rng_for("inspection-repeat", i)
        docs[i]["content"], sentence = tg.repeat_sentence(rng, docs[i]["content"])
        planted.add("repeated_sentences", doc=loc(file, docs[i]["id"]), sentence=sentence)
    # junk the quality filters should drop
    junk = (("short", "巡检记录"), ("symbols", "设备编号记录"), ("mojibake_gbk", "电气隐患检查记录"),
            ("mojibake_kunkao", "消防检查记录"))
    for n, (kind, title) in enumerate(junk):
        rng = rng_for("inspection-junk", n)
        key = f"IR-{len(docs) + 1:04d}"
        text = tg.low_quality_text(rng, kind, docs[n * 10]["content"][:80])
        docs.append({"id": key, "title": title, "content": text, "category": cats[(n * 3) % len(cats)],
                     "site": docs[n]["site"], "date": docs[n]["date"]})
        planted.add("low_quality", doc=loc(file, key), kind=kind)
    _duplicates(planted, file, docs, "id", "content", exact=(3, 27, 64, 99, 150), near=(15, 33, 78, 111, 160),
                make_key=lambda n: f"IR-{n:04d}")
    return docs


def _record_industrial(planted: Planted, file: str, key: str, doc: dict) -> dict:
    info = doc.pop("planted")
    for item in info.get("pii", []):
        planted.add("pii", doc=loc(file, key), **item)
    for item in info.get("decoys", []):
        planted.add("decoys", doc=loc(file, key), **item)
    if info.get("clutter"):
        planted.add("clutter", doc=loc(file, key), phrases=info["clutter"])
    text = doc.pop("text")
    if file.endswith(".jsonl"):
        return {"id": key, "title": doc["title"], "content": text, "category": doc["category"],
                "site": doc["site"], "date": doc["date"]}
    if file.endswith(".csv"):
        return {"doc_no": key, "title": doc["title"], "body": text, "category": doc["category"]}
    return {"key": key, "text": text}


def _duplicates(planted: Planted, file: str, docs: list[dict], key_field: str, text_field: str,
                exact: tuple[int, ...], near: tuple[int, ...], make_key) -> None:
    for i in exact:
        copy = dict(docs[i])
        copy[key_field] = make_key(len(docs) + 1)
        docs.append(copy)
        planted.add("exact_duplicates", doc=loc(file, copy[key_field]), original=loc(file, docs[i][key_field]))
        inherit(planted, loc(file, docs[i][key_field]), loc(file, copy[key_field]), copy[text_field])
    for n, i in enumerate(near):
        rng = rng_for("near", file, i)
        copy = dict(docs[i])
        copy[key_field] = make_key(len(docs) + 1)
        changes = 2 + n % 3
        copy[text_field] = tg.near_duplicate(rng, docs[i][text_field], changes,
                                             planted_strings(planted, loc(file, docs[i][key_field])))
        docs.append(copy)
        planted.add("near_duplicates", doc=loc(file, copy[key_field]), original=loc(file, docs[i][key_field]),
                    changed_chars=changes)
        inherit(planted, loc(file, docs[i][key_field]), loc(file, copy[key_field]), copy[text_field])


SOP_ABBR = dict(zip(tg.SOP_CATEGORIES, ("SB", "DH", "GC", "SX", "DZ", "DQ", "WH", "XF", "JX", "YJ"), strict=True))


def sops(planted: Planted) -> list[dict]:
    file = "industrial/sops.csv"
    cats = tg.SOP_CATEGORIES
    docs = []
    for i in range(SOP_DOCS):
        rng = rng_for("sop", i)
        category = cats[i % len(cats)]
        opts = {"pii": i % 16 == 7, "decoys": 1 + i % 2 if i % 6 == 4 else 0,
                "long": 2 if i in (21, 63, 88) else 1 if i % 19 == 9 else 0}
        doc = tg.sop(rng, category, **opts)
        key = f"SOP-{SOP_ABBR[category]}-{i + 1:03d}"
        docs.append(_record_industrial(planted, file, key, doc))
    rng = rng_for("sop-repeat", 0)
    docs[36]["body"], sentence = tg.repeat_sentence(rng, docs[36]["body"])
    planted.add("repeated_sentences", doc=loc(file, docs[36]["doc_no"]), sentence=sentence)
    _duplicates(planted, file, docs, "doc_no", "body", exact=(5, 48, 77), near=(14, 59, 92),
                make_key=lambda n: f"SOP-CP-{n:03d}")
    return docs


def maintenance_blocks(planted: Planted) -> dict[str, list[str]]:
    """Blocks per file; the key of a block is `block:N` (0-based, blank-line separated) within its file."""
    entries: list[tuple[str, str]] = []  # (file, text)
    for i in range(MAINTENANCE_DOCS):
        rng = rng_for("maintenance", i)
        doc = tg.maintenance_log(rng, pii=i % 8 == 4, routine=i % 5 == 2)
        entries.append((MAINTENANCE_FILES[i % 3], doc))
    for i in range(OVERHAUL_DOCS):
        entries.append((MAINTENANCE_FILES[i % 3], tg.overhaul_log(rng_for("overhaul", i))))
    texts: dict[str, list[str]] = {name: [] for name in MAINTENANCE_FILES}
    pending: list[tuple[str, dict]] = []
    for name, doc in entries:
        texts[name].append(doc["text"])
        pending.append((f"industrial/maintenance_logs/{name}", doc))
    # planted items, now that block numbers are known
    counters = dict.fromkeys(texts, 0)
    for file, doc in pending:
        name = file.rsplit("/", 1)[1]
        key = f"block:{counters[name]}"
        counters[name] += 1
        _record_industrial(planted, file, key, doc)
    extras: list[tuple[str, str, str, dict]] = []  # (name, text, planted-key, info)
    rng = rng_for("maintenance-extra", 0)
    first = MAINTENANCE_FILES[0]
    repeated, sentence = tg.repeat_sentence(rng, texts[first][3])
    texts[first][3] = repeated
    planted.add("repeated_sentences", doc=loc(f"industrial/maintenance_logs/{first}", "block:3"), sentence=sentence)
    for n, kind in enumerate(("short", "symbols", "mojibake_gbk")):
        name = MAINTENANCE_FILES[n]
        extras.append((name, tg.low_quality_text(rng, kind, texts[name][0][:60]), "low_quality", {"kind": kind}))
    for n, index in enumerate((6, 17)):
        name = MAINTENANCE_FILES[n + 1]
        extras.append((name, texts[name][index], "exact_duplicates", {"original": index}))
    for n, index in enumerate((9, 20)):
        name = MAINTENANCE_FILES[(n + 2) % 3]
        keep = planted_strings(planted, loc(f"industrial/maintenance_logs/{name}", f"block:{index}"))
        extras.append((name, tg.near_duplicate(rng, texts[name][index], 3, keep), "near_duplicates",
                       {"original": index, "changed_chars": 3}))
    for name, text, what, info in extras:
        texts[name].append(text)
        file = f"industrial/maintenance_logs/{name}"
        where = loc(file, f"block:{len(texts[name]) - 1}")
        if "original" in info:
            info = info | {"original": loc(file, f"block:{info['original']}")}
            inherit(planted, info["original"], where, text)
        planted.add(what, doc=where, **info)
    return texts


# -- general ----------------------------------------------------------------------------------------------


def encyclopedia() -> list[dict]:
    docs = []
    for i in range(len(tg.ENCYCLOPEDIA)):
        doc = tg.encyclopedia_entry(rng_for("encyclopedia", i), i)
        docs.append({"id": f"ENC-{len(docs) + 1:04d}", "title": doc["title"], "text": doc["text"],
                     "category": doc["category"]})
    for i in range(len(tg.ENCYCLOPEDIA_SURVEYS)):
        doc = tg.encyclopedia_survey(rng_for("survey", i), i)
        docs.append({"id": f"ENC-{len(docs) + 1:04d}", "title": doc["title"], "text": doc["text"],
                     "category": doc["category"]})
    return docs


def news() -> list[dict]:
    sections = list(tg.NEWS_STORIES)
    docs = []
    for i in range(NEWS_DOCS):
        section = sections[i % len(sections)]
        doc = tg.news_article(rng_for("news", i), section, i // len(sections))
        docs.append({"title": doc["title"], "body": doc["text"], "section": section, "date": doc["date"]})
    return docs


def qa() -> list[dict]:
    docs = []
    for variant in range(QA_VARIANTS):
        for i in range(len(tg.QA_ITEMS)):
            docs.append(tg.qa_pair(rng_for("qa", i, variant), i, variant))
    return docs


# -- scanning what landed where ---------------------------------------------------------------------------


def _template_regex(template: str) -> re.Pattern:
    body = template.rstrip("。")
    parts = re.split(r"\{[a-z_0-9]+\}", body)
    return re.compile(".+?".join(re.escape(p) for p in parts))


def scan_homonyms(documents: list[tuple[dict, str]]) -> dict:
    """Find every homonym pool sentence in the corpus (a sentence that starts like a pool entry)."""
    patterns = [(word, sense, _template_regex(t)) for word, senses in tg.HOMONYMS.items()
                for sense, pool in senses.items() for t in pool]
    found: dict[str, dict[str, list]] = {w: {s: [] for s in senses} for w, senses in tg.HOMONYMS.items()}
    for where, text in documents:
        for sentence in tg.sentences_of(text):
            for word, sense, pattern in patterns:
                if word in sentence and pattern.search(sentence):
                    found[word][sense].append({"doc": where, "sentence": sentence})
                    break
    return found


MIN_HOMONYM_HITS = 4
# where a sense that came out rare is topped up: inspection reports of a category, or (general senses) Q&A
TOP_UP_CATEGORY = {"electrical": "电气隐患", "device": "电气隐患", "fuse": "电气隐患", "physical": "泄漏",
                   "spark": "动火作业", "platform": "高处作业", "passage": "通道堵塞", "cooling": "泄漏",
                   "electrical_load": "电气隐患", "ground_contact": "高处作业"}


def top_up_homonyms(found: dict, inspections: list[dict], qa_rows: list[dict]) -> None:
    """Add pool sentences for senses with fewer than MIN_HOMONYM_HITS occurrences (deterministically)."""
    for word, senses in tg.HOMONYMS.items():
        for sense in senses:
            missing = MIN_HOMONYM_HITS - len(found[word][sense])
            if missing <= 0:
                continue
            rng = rng_for("homonym-top-up", word, sense)
            if sense in TOP_UP_CATEGORY:
                targets = [d for d in inspections if d["category"] == TOP_UP_CATEGORY[sense] and word not in d["content"]]
                field = "content"
            else:
                targets = [d for d in qa_rows if word not in d["answer"]]
                field = "answer"
            for doc in targets[:missing]:
                sentence = tg.homonym_sentence(rng, word, sense, domain="industrial" if field == "content" else "general")
                lines = doc[field].split("\n")
                lines[min(1, len(lines) - 1)] += sentence
                doc[field] = "\n".join(lines)


NOISE_RATES = {  # share of a file's documents (the three maintenance files together) per kind of noise
    "traditional": {"inspection": 0.03, "sop": 0.03, "maintenance": 0.04, "encyclopedia": 0.06, "news": 0.06, "qa": 0.06},
    "fullwidth": {"inspection": 0.05, "sop": 0.04, "maintenance": 0.06, "encyclopedia": 0.03, "news": 0.04, "qa": 0.04},
}
"""Web sources (encyclopedia, news, Q&A) come from Hong Kong and Taiwan sites more often; old plant systems and
input methods left in full-width mode write the industrial records."""
FULLWIDTH_MIXED = 0.4
"""Of the full-width documents, the share typed by several people: each ASCII run full-width with probability 1/2."""
NOISE_GROUP = {"industrial/inspection_reports.jsonl": "inspection", "industrial/sops.csv": "sop",
               "general/encyclopedia.jsonl": "encyclopedia", "general/news.csv": "news", "general/qa.jsonl": "qa"}


def _fields(inspections, sop_rows, blocks, enc, news_rows, qa_rows):
    """(location, record, title field or None, text field) of every document; a maintenance block is an item of
    its file's list of blocks."""
    out = [(loc("industrial/inspection_reports.jsonl", d["id"]), d, "title", "content") for d in inspections]
    out += [(loc("industrial/sops.csv", d["doc_no"]), d, "title", "body") for d in sop_rows]
    for name, texts in blocks.items():
        out += [(loc(f"industrial/maintenance_logs/{name}", f"block:{i}"), texts, None, i) for i in range(len(texts))]
    out += [(loc("general/encyclopedia.jsonl", d["id"]), d, "title", "text") for d in enc]
    out += [(loc("general/news.csv", f"row:{i}"), d, "title", "body") for i, d in enumerate(news_rows)]
    out += [(loc("general/qa.jsonl", f"line:{i + 1}"), d, "question", "answer") for i, d in enumerate(qa_rows)]
    return out


def add_noise(planted: Planted, documents: list, homonyms: dict) -> None:
    """Traditional characters and full-width ASCII in a few documents, as scraped Chinese text has them: a
    document from a Hong Kong or Taiwan source written in traditional characters (title and text, OpenCC s2t),
    or one typed with an input method in full-width mode (ＢＹ－５０５, ２０２４年, １．３８　ＭＰａ). A document keeps
    its noise only if every planted string in it (personal data and role cues, decoys, clutter phrases, a repeated
    sentence, homonym sentences) is still there word for word, so planted.json stays true of the files, and only
    if OpenCC's t2s undoes the conversion exactly (于 → 於 stays 於 in some phrases); junk and both sides of a
    duplicate are left alone. Per file (the maintenance files together), NOISE_RATES of its documents get
    each kind: the first that can take it in an order drawn from each document's own RNG."""
    from corpusctl.stages.normalize import to_simplified

    strings: dict[tuple[str, str], list[str]] = {}
    for what in ("pii", "decoys"):
        for i in planted.data[what]:
            strings.setdefault((i["doc"]["file"], i["doc"]["key"]), []).extend(s for s in (i["value"], i.get("cue")) if s)
    for i in planted.data["clutter"]:
        strings.setdefault((i["doc"]["file"], i["doc"]["key"]), []).extend(p + "。" for p in i["phrases"])
    for i in planted.data["repeated_sentences"]:
        strings.setdefault((i["doc"]["file"], i["doc"]["key"]), []).append(i["sentence"])
    for senses in homonyms.values():
        for hits in senses.values():
            for h in hits:
                strings.setdefault((h["doc"]["file"], h["doc"]["key"]), []).append(h["sentence"])
    untouched = {(i["doc"]["file"], i["doc"]["key"]) for what in ("exact_duplicates", "near_duplicates", "low_quality")
                 for i in planted.data[what]}
    untouched |= {(i["original"]["file"], i["original"]["key"]) for what in ("exact_duplicates", "near_duplicates")
                  for i in planted.data[what]}
    groups: dict[str, list] = {}
    for doc in documents:
        groups.setdefault(NOISE_GROUP.get(doc[0]["file"], "maintenance"), []).append(doc)
    for group, docs in groups.items():
        # a document's place in the queue is its own draw; the first that can take the noise get it
        queue = sorted(docs, key=lambda d: rng_for("noise", d[0]["file"], d[0]["key"]).random())
        for kind in ("traditional", "fullwidth"):
            wanted = round(NOISE_RATES[kind][group] * len(docs))
            for where, record, title_field, text_field in queue:
                if wanted == 0:
                    break
                key = (where["file"], where["key"])
                if key in untouched:
                    continue
                rng = rng_for("noise", kind, *key)
                fields = [f for f in (title_field, text_field) if f is not None]
                before = [record[f] for f in fields]
                if kind == "traditional":
                    after = [tg.traditional(v) for v in before]
                    if any(to_simplified(a) != b for a, b in zip(after, before, strict=True)):
                        continue
                    info = {"kind": kind}
                else:
                    share = 0.5 if rng.random() < FULLWIDTH_MIXED else 1.0
                    after = [tg.fullwidth(rng, v, share) for v in before]
                    info = {"kind": kind, "runs": "all" if share == 1.0 else "some"}
                if after == before or not all(s in after[-1] for s in strings.get(key, ())):
                    continue
                changed = sum(abs(len(a) - len(b)) + sum(x != y for x, y in zip(a, b))
                              for a, b in zip(after, before, strict=True))
                for f, value in zip(fields, after, strict=True):
                    record[f] = value
                untouched.add(key)
                planted.add("noise", doc=where, chars=changed, **info)
                wanted -= 1


def long_documents(documents: list[tuple[dict, str]]) -> list[dict]:
    return [{"doc": where, "chars": len(text)} for where, text in documents if len(text) > 800]


# -- writing ----------------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _documents(inspections, sop_rows, blocks, enc, news_rows, qa_rows) -> list[tuple[dict, str]]:
    """(location, text) of every document, for scans."""
    documents: list[tuple[dict, str]] = []
    documents += [(loc("industrial/inspection_reports.jsonl", d["id"]), d["content"]) for d in inspections]
    documents += [(loc("industrial/sops.csv", d["doc_no"]), d["body"]) for d in sop_rows]
    for name, texts in blocks.items():
        documents += [(loc(f"industrial/maintenance_logs/{name}", f"block:{i}"), t) for i, t in enumerate(texts)]
    documents += [(loc("general/encyclopedia.jsonl", d["id"]), d["text"]) for d in enc]
    documents += [(loc("general/news.csv", f"row:{i}"), d["body"]) for i, d in enumerate(news_rows)]
    documents += [(loc("general/qa.jsonl", f"line:{i + 1}"), d["answer"]) for i, d in enumerate(qa_rows)]
    return documents


def build(root: Path = HERE) -> dict:
    planted = Planted()
    inspections = inspection_reports(planted)
    sop_rows = sops(planted)
    blocks = maintenance_blocks(planted)
    enc, news_rows, qa_rows = encyclopedia(), news(), qa()
    top_up_homonyms(scan_homonyms(_documents(inspections, sop_rows, blocks, enc, news_rows, qa_rows)),
                    inspections[:INSPECTION_DOCS], qa_rows)
    add_noise(planted, _fields(inspections, sop_rows, blocks, enc, news_rows, qa_rows),
              scan_homonyms(_documents(inspections, sop_rows, blocks, enc, news_rows, qa_rows)))

    write_jsonl(root / "industrial/inspection_reports.jsonl", inspections)
    write_csv(root / "industrial/sops.csv", sop_rows, ["doc_no", "title", "body", "category"])
    for name, texts in blocks.items():
        path = root / "industrial/maintenance_logs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    write_jsonl(root / "general/encyclopedia.jsonl", enc)
    write_csv(root / "general/news.csv", news_rows, ["title", "body", "section", "date"])
    write_jsonl(root / "general/qa.jsonl", qa_rows)

    documents = _documents(inspections, sop_rows, blocks, enc, news_rows, qa_rows)
    result = dict(planted.data)
    result["long_documents"] = long_documents(documents)
    result["homonyms"] = scan_homonyms(documents)
    (root / "planted.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    out = build()
    counts = {k: len(v) for k, v in out.items() if isinstance(v, list)}
    counts["homonym_senses"] = {w: {s: len(v) for s, v in senses.items()} for w, senses in out["homonyms"].items()}
    print(json.dumps(counts, ensure_ascii=False))
