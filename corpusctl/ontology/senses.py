"""Homonym sense choice from context: evidence profiles per sense, scored in a window, with abstention.

A homonym occurrence is decided by the words around it, not by the cue list alone. Each sense gets a
profile of weighted evidence words, all derived from the ontology itself:

- `cue` — the sense's own cue words (the strongest evidence);
- `gloss` — character bigrams of the sense's gloss (触地、着地：物体接触地面 → 着地, 地面, 接触 …), so a
  sense is recognised by the words that define it;
- `parent` / `ancestor` / `child` / `sibling` / `related` — terms of the ontology near the sense's
  parent concept (its synonyms, is-a ancestors, descendants, siblings and knowledge-graph neighbours):
  叉车, 起重机, 吊钩 next to 行车 are evidence for the crane even when no cue is listed;
- `domain` — any other entity term of the ontology in the window is evidence for every sense that *is*
  an entity (a category), against the general-language senses;
- `theme` — the cue words of the senses of *other* homonyms on the same theme (sharing a parent concept or
  at least two cue words): 熄火 as an engine stalling borrows 钥匙, 驾驶 from 点火 and 开车 as driving;
- `general` — the everyday words of the ontology's `general.txt` (孩子, 股市, 手机 …) are evidence for
  every sense but the default one (the industrial reading a safety corpus expects).
- `example` — character bigrams near the term in the sense's `examples`, natural sentences that use the
  term in that sense (the starter's are the tuning set `ontology/eval/homonyms.tsv`; no sentence of the
  held-out set `homonyms_heldout.tsv` is an example), so a sense learns the words its real contexts hold, not only its listed cues.

Beyond whole words, every character in the window is weak evidence (`char`): a naive-Bayes log-odds of
the character in each sense's profile words against the homonym's other senses, so 病房 leans to the
medical sense of 监护 because 病人 and 医院 are in its profile, 股 and 市 lean to the market sense of 熔断.

Evidence counts once per occurrence, scaled down with distance. The best-scoring sense wins when its
score reaches `min_score` and leads the runner-up by `min_margin`; otherwise the occurrence *abstains*
(no sense, no category, no NER label) rather than guessing the default. Windows stop at sentence ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

WEIGHTS: dict[str, float] = {"cue": 2.0, "gloss": 0.6, "parent": 1.2, "ancestor": 0.5, "child": 0.9, "sibling": 0.6,
                             "related": 0.5, "theme": 0.8, "domain": 0.6, "general": 0.6, "char": 1.0,
                             "example": 0.6}
"""Evidence weight per kind (see the module docstring)."""
KINDS = tuple(WEIGHTS)
MIN_SCORE = 0.4
MIN_MARGIN = 0.2
NEAR = 4
"""Evidence within this many characters counts in full; farther evidence decays as 1 / (1 + (d - NEAR) / 10)."""
SENTENCE_END = "。！？!?；;\n"
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]+")
_NEIGHBOURS_MAX = 200
_THEME_MAX = 30
"""A parent or cue shared by more senses than this is too general to make a theme."""


FUNCTION_CHARS = set("的了是在有和与或及等把被对从到为以而就也都很上下中个之其这那一不")
"""Characters too common to say anything about a sense."""
CHAR_SMOOTHING = 0.5
CHAR_REACH = 12
"""Characters either side of a homonym whose log-odds count (within the window; nearer ones weigh more)."""


@dataclass
class SenseProfiles:
    """Evidence words per homonym sense: rows of (homonym, surface, sense, weight, kind); and character
    log-odds rows (sense, character, weight)."""

    rows: list[tuple[int, str, int, float, int]] = field(default_factory=list)
    chars: list[tuple[int, str, float]] = field(default_factory=list)

    def add(self, homonym: int, surface: str, sense: int, kind: str) -> None:
        self.rows.append((homonym, surface, sense, WEIGHTS[kind], KINDS.index(kind)))


def gloss_bigrams(gloss: str, term: str) -> list[str]:
    """Character bigrams of a gloss's words (ASCII words whole), leaving out any that touch the term itself."""
    text = gloss.replace(term, "\x00")
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if run.isascii():
            out.append(run)
            continue
        out += [run[i:i + 2] for i in range(len(run) - 1)]
    return [b for b in dict.fromkeys(out) if b and term not in b and b not in term]


def example_bigrams(example: str, term: str, reach: int = CHAR_REACH) -> list[str]:
    """Character bigrams (ASCII words whole) of an example sentence within `reach` characters of the term,
    not crossing punctuation, leaving out bigrams with a function character or touching the term."""
    at = example.find(term)
    if at < 0:
        return []
    out: list[str] = []
    for part in (example[max(0, at - reach):at], example[at + len(term):at + len(term) + reach]):
        for run in _CJK_RUN.findall(part):
            if run.isascii():
                out.append(run)
                continue
            out += [run[i:i + 2] for i in range(len(run) - 1)]
    return [b for b in dict.fromkeys(out)
            if len(b) > 1 and not (set(b) & FUNCTION_CHARS) and term not in b and b not in term]


def related_index(ontology):
    """A function: concept number → the ids of its knowledge-graph tails (the relation arrays sorted once,
    not scanned per sense)."""
    relations = ontology.relations
    order = np.argsort(relations.heads, kind="stable")
    tails = relations.tails[order]
    offsets = np.zeros(len(relations.ids) + 1, dtype=np.int64)
    if len(relations):
        np.cumsum(np.bincount(relations.heads, minlength=len(relations.ids)), out=offsets[1:])
    bounds = offsets.tolist()

    def tails_of(index: int) -> list[str]:
        a, b = bounds[index], bounds[index + 1]
        return [relations.ids[t] for t in tails[a:min(b, a + _NEIGHBOURS_MAX)].tolist()]

    return tails_of


def neighbourhood(ontology, parent: str | None, tails_of=None) -> list[tuple[str, str]]:
    """(concept id, kind) of the ontology concepts near a sense's parent: itself, ancestors, children and
    grandchildren, siblings, knowledge-graph neighbours (capped, nearest kinds first)."""
    if parent is None or parent not in ontology:
        return []
    out: list[tuple[str, str]] = [(parent, "parent")]
    out += [(a, "ancestor") for a in ontology.ancestors(parent)[:2]]
    children = ontology.children(parent)
    grandchildren = [g for c in children for g in ontology.children(c)]
    out += [(c, "child") for c in (children + grandchildren)[:_NEIGHBOURS_MAX]]
    grand = ontology.get(parent).parent
    if grand is not None:
        out += [(s, "sibling") for s in ontology.children(grand)[:_NEIGHBOURS_MAX] if s != parent]
    tails_of = tails_of or related_index(ontology)
    out += [(r, "related") for r in tails_of(ontology.index[parent])]
    return out


def themes(senses: list[tuple[int, object]]) -> dict[int, set[str]]:
    """Borrowed cue words per global sense: the cues of every sense of another homonym that shares its
    parent concept or two of its cue words (parents and cues shared by more than `_THEME_MAX` senses do
    not count)."""
    from collections import Counter, defaultdict

    by_parent: dict[str, list[int]] = defaultdict(list)
    by_cue: dict[str, list[int]] = defaultdict(list)
    for i, (_, sense) in enumerate(senses):
        if sense.parent is not None:
            by_parent[sense.parent].append(i)
        for cue in set(sense.cues):
            by_cue[cue].append(i)
    out: dict[int, set[str]] = {}
    for i, (h, sense) in enumerate(senses):
        shared = Counter(j for cue in set(sense.cues) if len(by_cue[cue]) <= _THEME_MAX for j in by_cue[cue])
        partners = {j for j, n in shared.items() if n >= 2}
        if sense.parent is not None and len(by_parent[sense.parent]) <= _THEME_MAX:
            partners.update(by_parent[sense.parent])
        for j in partners:
            if senses[j][0] != h:
                out.setdefault(i, set()).update(senses[j][1].cues)
    return out


def build_profiles(ontology, homonyms: Iterable[tuple[int, object, list[int]]]) -> SenseProfiles:
    """Profiles for `(homonym number, concept, global sense numbers)`; a surface that is evidence for every
    sense of a homonym tells nothing and is dropped, and so are the homonym's own term and other homonyms."""
    profiles = SenseProfiles()
    homonyms = list(homonyms)
    homonym_terms = {c.term for c in ontology.homonyms} if ontology is not None else set()
    flat = [(h, sense) for h, concept, _ in homonyms for sense in concept.senses]
    borrowed = themes(flat)
    tails_of = related_index(ontology) if ontology is not None and homonyms else None
    position = 0
    for h, concept, numbers in homonyms:
        term = concept.term
        per_sense: list[dict[str, str]] = []
        for sense in concept.senses:
            words: dict[str, str] = {}
            for cue in sense.cues:
                words[cue] = "cue"
            for cue in sorted(borrowed.get(position, ())):
                words.setdefault(cue, "theme")
            position += 1
            for bigram in gloss_bigrams(sense.gloss, term):
                words.setdefault(bigram, "gloss")
            for example in sense.examples:
                for bigram in example_bigrams(example, term):
                    words.setdefault(bigram, "example")
            if sense.id != concept.default_sense and ontology is not None:
                for word in ontology.general:
                    words.setdefault(word, "general")
            if ontology is not None:
                for cid, kind in neighbourhood(ontology, sense.parent, tails_of):
                    for surface in ontology.get(cid).surfaces:
                        words.setdefault(surface, kind)
            per_sense.append({w: k for w, k in words.items()
                              if w and term not in w and w not in term and (k == "cue" or w not in homonym_terms)})
        shared = set.intersection(*(set(words) for words in per_sense)) if per_sense else set()
        for g, words in zip(numbers, per_sense, strict=True):
            for surface, kind in words.items():
                if surface not in shared or kind == "cue":
                    profiles.add(h, surface, g, kind)
        for g, char, weight in char_log_odds(term, numbers, per_sense):
            profiles.chars.append((g, char, weight))
    return profiles


def char_log_odds(term: str, numbers: list[int], per_sense: list[dict[str, str]]) -> list[tuple[int, str, float]]:
    """(sense, character, log-odds) for the characters of the senses' profile words: log p(c | sense) minus
    its mean over the homonym's senses (add-`CHAR_SMOOTHING`), each word counted with its kind's weight."""
    import math

    counts: list[dict[str, float]] = []
    for words in per_sense:
        tally: dict[str, float] = {}
        for word, kind in words.items():
            for char in set(word):
                if char in FUNCTION_CHARS or char in term or not char.strip():
                    continue
                tally[char] = tally.get(char, 0.0) + WEIGHTS[kind]
        counts.append(tally)
    vocabulary = sorted(set().union(*counts)) if counts else []
    if len(counts) < 2 or not vocabulary:
        return []
    size = len(vocabulary)
    logs = []
    for tally in counts:
        total = sum(tally.values()) + CHAR_SMOOTHING * size
        logs.append({c: math.log((tally.get(c, 0.0) + CHAR_SMOOTHING) / total) for c in vocabulary})
    out = []
    for char in vocabulary:
        mean = sum(log[char] for log in logs) / len(logs)
        for g, log in zip(numbers, logs, strict=True):
            out.append((g, char, log[char] - mean))
    return out


def decay(distance: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.maximum(distance - NEAR, 0) / 10.0)


def decide(scores: np.ndarray, valid: np.ndarray, min_score: float = MIN_SCORE,
           min_margin: float = MIN_MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """(local sense index or -1, margin) per row of `scores` (occurrences × senses; `valid` masks senses
    a homonym does not have)."""
    masked = np.where(valid, scores, -np.inf)
    if masked.shape[1] == 0:
        return np.full(len(scores), -1), np.zeros(len(scores))
    order = np.argsort(-masked, axis=1, kind="stable")
    best = np.take_along_axis(masked, order[:, :1], axis=1)[:, 0]
    second = np.take_along_axis(masked, order[:, 1:2], axis=1)[:, 0] if masked.shape[1] > 1 else np.zeros(len(best))
    second = np.where(np.isfinite(second), second, 0.0)
    margin = best - second
    choice = np.where((best >= min_score) & (margin >= min_margin), order[:, 0], -1)
    return choice, margin


# -- evaluation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalItem:
    """One line of a homonym evaluation file: which split, the term, the right sense, the sentence."""

    line: int
    split: str
    term: str
    sense: str
    text: str
    file: str = ""


def read_eval_set(path) -> list[EvalItem]:
    """`split<TAB>term<TAB>sense<TAB>sentence` lines (`#` comments); the term must occur in the sentence
    exactly once. Errors name the line."""
    from pathlib import Path

    from corpusctl.errors import CorpusctlError

    items: list[EvalItem] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not all(f.strip() for f in fields):
            raise CorpusctlError(f"{path}:{number}: expected `split<TAB>term<TAB>sense<TAB>sentence`")
        split, term, sense, text = (f.strip() for f in fields)
        if text.count(term) != 1:
            raise CorpusctlError(f"{path}:{number}: {term!r} must occur exactly once in the sentence")
        items.append(EvalItem(number, split, term, sense, text, str(path)))
    return items


def evaluate(annotate, items: list[EvalItem], defaults: dict[str, str]) -> dict:
    """Accuracy overall and on non-default senses, and abstentions, per split and in all.

    `annotate(text)` gives span dicts (`start`, `end`, `sense`); `defaults` maps a term to its default
    sense. An occurrence not marked as the homonym (a longer term took it) counts as wrong."""
    tallies: dict[str, dict] = {}
    errors: list[dict] = []
    for item in items:
        start = item.text.index(item.term)
        spans = [s for s in annotate(item.text) if s["start"] == start and s["end"] == start + len(item.term)]
        got = spans[0]["sense"] if spans else None
        for split in (item.split, "all"):
            t = tallies.setdefault(split, {"n": 0, "correct": 0, "non_default": 0, "non_default_correct": 0,
                                           "abstained": 0, "unmatched": 0})
            t["n"] += 1
            t["correct"] += got == item.sense
            t["abstained"] += got == ""
            t["unmatched"] += got is None
            if item.sense != defaults.get(item.term):
                t["non_default"] += 1
                t["non_default_correct"] += got == item.sense
        if got != item.sense:
            errors.append({"file": item.file, "line": item.line, "split": item.split, "term": item.term, "want": item.sense,
                           "got": got if got is not None else "(no match)", "text": item.text})
    figures = {}
    for split, t in tallies.items():
        figures[split] = {**t,
                          "accuracy": round(t["correct"] / t["n"], 4) if t["n"] else 0.0,
                          "non_default_accuracy": round(t["non_default_correct"] / t["non_default"], 4)
                          if t["non_default"] else 0.0,
                          "abstention_rate": round(t["abstained"] / t["n"], 4) if t["n"] else 0.0}
    return {"splits": figures, "errors": errors}
