"""Synthetic pre-training rows with ontology spans, for NER export tests (made here, not from the ontology)."""

import random

TERMS = {
    "DEVICE": ["阀门", "压力表", "灭火器", "配电柜", "离心泵", "叉车", "吊钩"],
    "FAULT": ["泄漏", "过热", "锈蚀", "短路", "松动", "漏电"],
    "PLACE": ["泵房", "仓库", "配电室", "车间", "罐区"],
    "SUBSTANCE": ["氨气", "柴油", "液化气", "氧气"],
    "STANDARD": ["GB50016", "AQ3013"],
    "": ["检查", "巡检"],  # lexicon-only terms: no NER type
}
FILLERS = ["今天", "上午", "发现", "附近", "存在", "情况", "请", "立即", "处理", "班组", "已经", "报告", "现场", "再次"]
UNIT = "缸"  # a one-character DEVICE entity
BOILERPLATE = [("请立即处理阀门泄漏。", [(5, 7, "DEVICE"), (7, 9, "FAULT")]), ("仓库内禁止存放柴油。", [(0, 2, "PLACE"), (7, 9, "SUBSTANCE")])]


def make_sentence(rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    if rng.random() < 0.04:  # repeated boilerplate: exact duplicates across documents
        return rng.choice(BOILERPLATE)
    parts, spans, text = [], [], ""
    for _ in range(rng.randint(3, 7)):
        if rng.random() < 0.45:
            kind = rng.choice(list(TERMS))
            term = rng.choice(TERMS[kind])
        elif rng.random() < 0.05:
            kind, term = "DEVICE", UNIT
        else:
            kind, term = None, rng.choice(FILLERS) + rng.choice(FILLERS)
        if kind is not None:
            spans.append((len(text), len(text) + len(term), kind))
        text += term
        parts.append(term)
    return text + "。", spans


def make_rows(n_docs: int, seed: int = 0) -> list[dict]:
    """Pre-training rows as the format stage writes them, with ontology spans and sentence bounds."""
    rng = random.Random(seed)
    rows = []
    for d in range(n_docs):
        text, terms, sentences = "", [], []
        for _ in range(rng.randint(2, 5)):
            sentence, spans = make_sentence(rng)
            if rng.random() < 0.05:
                sentence = " " + sentence  # whitespace is dropped from NER sentences
                spans = [(s + 1, e + 1, k) for s, e, k in spans]
            sentences.append({"start": len(text), "end": len(text) + len(sentence)})
            terms += [{"start": len(text) + s, "end": len(text) + e, "concept_id": f"c:{k}", "category": k, "sense": ""} for s, e, k in spans]
            text += sentence
        title, title_spans = make_sentence(rng) if rng.random() < 0.5 else ("", [])
        title_terms = [{"start": s, "end": e, "concept_id": "c", "category": k, "sense": ""} for s, e, k in title_spans]
        rows.append({"id": f"reports:{d}#p0", "title": title, "text": text, "terms": terms, "title_terms": title_terms, "sentences": sentences})
    return rows
