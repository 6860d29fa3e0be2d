"""Cleaning (after normalize; personal data is already scrubbed at ingest): quality filters,
background-clutter removal, merging repeated sentences, anomaly priority. HRG-BERT section 3.1.2 step 2
plus the usual pre-training quality filters.

Chinese text is measured in characters and shares of characters, never in whitespace-separated words, and
hanzi are letters (Unicode category Lo), never "special characters". Every share is over the non-whitespace
characters of `text`. A row is rejected by the first failing filter, in this order: too_short, too_long,
bad_encoding (first, because mojibake also looks like low CJK share), low_cjk_share, high_symbol_share,
high_digit_share, duplicate_lines, repeated_ngrams. A value exactly at a threshold passes.

Priority: the weights of all anomaly-term occurrences in title + text are summed and squashed with log1p by
default, so a long report that repeats 泄漏 ten times does not outweigh everything else in the mix stage's
sampling by an order of magnitude (ten occurrences of weight 3 give 3.43, one gives 1.39); 0 when none.
"""

from __future__ import annotations

import itertools
import math
import re
from bisect import bisect_right
from functools import cache
from typing import Literal

import numpy as np
from pydantic import Field

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection
from corpusctl.lexicons import read_lexicon
from corpusctl.stages.dedup import (
    SENTENCE_REMOVED,
    DedupConfig,
    merge_repeated_sentences,
    repeating_sentences,
)
from corpusctl.stages.normalize import NormalizeConfig
from corpusctl.stages.normalize import normalize_text as _normalize
from corpusctl.text.chars import codepoints, no_spaces
from corpusctl.text.ngrams import ngram_hashes
from corpusctl.text.sentences import split_sentences, tidy

__all__ = ["AnomalyConfig", "CleanConfig", "CleanStage", "ClutterConfig", "NormalizeConfig", "QualityConfig"]


class QualityConfig(StageSection):
    min_chars: int = Field(20, ge=0)
    """Non-whitespace characters of the text."""
    max_chars: int = Field(1_000_000, ge=1)
    min_cjk_share: float = Field(0.3, ge=0, le=1)
    """Share of Han characters."""
    max_symbol_share: float = Field(0.3, ge=0, le=1)
    """Share of characters that are neither letters/hanzi, digits nor ordinary punctuation (★ ■ → | # _ …)."""
    max_digit_share: float = Field(0.3, ge=0, le=1)
    max_duplicate_line_share: float = Field(0.3, ge=0, le=1)
    """Characters in lines that repeat an earlier line of the document / characters in all lines."""
    repeated_ngram_size: int = Field(10, ge=2)
    max_repeated_ngram_share: float = Field(0.3, ge=0, le=1)
    """Characters covered by a repeat (not the first occurrence) of a character n-gram / all characters."""
    max_bad_encoding_share: float = Field(0.01, ge=0, le=1)
    """U+FFFD and mojibake (é… Ã© â€™ 锟斤拷 烫烫烫 锛 銆 鈥) characters / all characters."""


class ClutterConfig(StageSection):
    lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "clutter.txt"
    unit: Literal["clause", "sentence"] = "clause"
    """Remove only the comma-separated clause holding the phrase, or the whole sentence."""
    scene: bool = True
    """Also remove background description as a class: sentences of scene vocabulary with no safety cue."""
    scene_lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "scene_terms.txt"
    safety_lexicons: list[RecipePath] = [PROJECT_ROOT / "lexicons" / "safety_cues.txt",
                                         PROJECT_ROOT / "lexicons" / "industrial_terms.txt"]
    """Words that make a sentence safety information (first column of each line; jieba dictionaries work)."""
    scene_domains: list[Literal["industrial", "general"]] = ["industrial"]
    """Only documents of these domains (an encyclopedia article about the sky is not clutter)."""
    min_scene_terms: int = Field(2, ge=1)
    """Distinct scene words that make a sentence background description..."""
    min_scene_share: float = Field(0.3, ge=0, le=1)
    """...or, with fewer, the share of its characters they cover."""


class AnomalyConfig(StageSection):
    lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "anomaly_terms.txt"
    """`term[TAB weight]` per line (default weight 1.0)."""
    squash: Literal["log1p", "none"] = "log1p"
    negations: list[str] = []
    """Cues such as 未发现 / 无 that cancel a term shortly before it in the same clause (off by default)."""
    negation_window: int = Field(4, ge=1)


class CleanConfig(StageSection):
    """What the clean stage reads. The recipe's `clean` section adds `pii` (the scrub runs at ingest, see
    `corpusctl.recipe.CleanSection`)."""

    normalize: NormalizeConfig = NormalizeConfig()
    quality: QualityConfig = QualityConfig()
    clutter: ClutterConfig = ClutterConfig()
    dedup: DedupConfig = DedupConfig()
    anomaly: AnomalyConfig = AnomalyConfig()


# -- measurements ------------------------------------------------------------------------------------------

_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_DIGIT_RE = re.compile(r"\d")
_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕—…·～,.;:?!'\"()\\[\\]\\-/%°~+="
_SYMBOL_RE = re.compile(rf"[^\w\s{_PUNCT}]|_")
_CP1252_HIGH = "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
_BAD_ENCODING_RE = re.compile(
    f"\ufffd|锟斤拷|烫烫烫|屯屯屯|[锛銆鈥]|[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_HIGH}]+"
)
_BAD_START_RE = re.compile("[\ufffd锟烫屯锛銆鈥\u00c2-\u00f4]")
"""The characters a match of _BAD_ENCODING_RE starts with."""


def duplicate_line_share(text: str) -> float:
    seen: set[str] = set()
    total = repeated = 0
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        total += len(line)
        if line in seen:
            repeated += len(line)
        seen.add(line)
    return repeated / total if total else 0.0


def repeated_ngram_share(text: str, n: int) -> float:
    """Share of characters covered by a later occurrence of some character n-gram (whitespace ignored)."""
    body = no_spaces(text)
    if not body:
        return 0.0
    return int(_repeated_ngram_chars(codepoints(body), np.array([len(body)]), n)[0]) / len(body)


def _repeated_ngram_chars(points: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Per text (the code points of texts laid end to end): characters covered by an n-gram that occurs
    earlier in the same text. N-grams are compared by a 64-bit hash of their characters."""
    found = np.zeros(len(lengths), dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    hashes = ngram_hashes(points, n)
    starts = np.flatnonzero(owner[: len(hashes)] == owner[n - 1 :])  # n-grams inside one text
    if not len(starts):
        return found
    hashes, texts = hashes[starts], owner[starts].astype(np.uint64)
    # n-grams whose (text, top bits of hash) occurs more than once: one sort of both packed into 64 bits
    bits = np.uint64(max(1, (len(lengths) - 1).bit_length()))
    key = (texts << (np.uint64(64) - bits)) | (hashes >> bits)
    order = np.argsort(key)
    same = key[order[1:]] == key[order[:-1]]
    pick = order[np.r_[same, False] | np.r_[False, same]]
    # among those (few), the equal (text, hash) pairs, and all but the earliest of each
    texts, hashes, starts = texts[pick], hashes[pick], starts[pick]
    order = np.lexsort((starts, hashes, texts))
    texts, hashes, starts = texts[order], hashes[order], starts[order]
    begin = starts[1:][(texts[1:] == texts[:-1]) & (hashes[1:] == hashes[:-1])]
    covered = np.unique((begin[:, None] + np.arange(n)).ravel())
    return found + np.bincount(owner[covered], minlength=len(lengths))


@cache
def _bmp_classes() -> np.ndarray:
    """Per BMP code point: 1 if _CJK_RE matches it, 2 if _SYMBOL_RE does, 4 if _DIGIT_RE does."""
    chars = "".join(map(chr, range(0x10000)))
    table = np.zeros(0x10000, dtype=np.uint8)
    for bit, pattern in ((1, _CJK_RE), (2, _SYMBOL_RE), (4, _DIGIT_RE)):
        table[[m.start() for m in pattern.finditer(chars)]] |= bit
    return table


def _classes(points: np.ndarray) -> np.ndarray:
    classes = _bmp_classes()[np.minimum(points, 0xFFFF)]
    astral = points > 0xFFFF
    if astral.any():
        for point in np.unique(points[astral]).tolist():
            bits = sum(bit for bit, pattern in ((1, _CJK_RE), (2, _SYMBOL_RE), (4, _DIGIT_RE))
                       if pattern.fullmatch(chr(point)))
            classes[points == point] = bits
    return classes


def quality_reject(text: str, config: QualityConfig) -> tuple[str, str] | None:
    """(reason, detail) of the first failing filter, or None; detail shows measured value vs threshold."""
    return quality_rejects([text], config)[0]


def quality_rejects(texts: list[str], config: QualityConfig) -> list[tuple[str, str] | None]:
    """`quality_reject` of each text; the shares of all texts are counted in a few passes over their code points."""
    filters = [
        ("bad_encoding", "bad_encoding_share", config.max_bad_encoding_share, ">"),
        ("low_cjk_share", "cjk_share", config.min_cjk_share, "<"),
        ("high_symbol_share", "symbol_share", config.max_symbol_share, ">"),
        ("high_digit_share", "digit_share", config.max_digit_share, ">"),
        ("duplicate_lines", "duplicate_line_share", config.max_duplicate_line_share, ">"),
        ("repeated_ngrams", f"repeated_{config.repeated_ngram_size}gram_share", config.max_repeated_ngram_share, ">"),
    ]
    filters = [f for f in filters if not ((f[3] == "<" and f[2] <= 0) or (f[3] == ">" and f[2] >= 1))]  # enabled
    bodies = [no_spaces(text) for text in texts]
    counts = _share_counts(bodies, {reason for reason, *_ in filters}, config.repeated_ngram_size)
    out: list[tuple[str, str] | None] = []
    for row, (text, body) in enumerate(zip(texts, bodies, strict=True)):
        chars = len(body)
        if chars < config.min_chars:
            out.append(("too_short", f"chars={chars} < {config.min_chars}"))
            continue
        if chars > config.max_chars:
            out.append(("too_long", f"chars={chars} > {config.max_chars}"))
            continue
        out.append(None)
        if not chars:
            continue
        for reason, name, threshold, op in filters:
            value = duplicate_line_share(text) if reason == "duplicate_lines" else counts[reason][row] / chars
            if (op == "<" and value < threshold) or (op == ">" and value > threshold):
                out[-1] = (reason, f"{name}={value:.4f} {op} {threshold}")
                break
    return out


def _share_counts(bodies: list[str], reasons: set[str], n: int) -> dict[str, list[int]]:
    """For the filters named whose share is a count of characters: the count in each text (without whitespace)."""
    lengths = np.fromiter(map(len, bodies), np.int64, len(bodies))
    points = codepoints("".join(bodies))
    counts = {}
    if "bad_encoding" in reasons:
        counts["bad_encoding"] = _bad_encoding_chars(bodies)
    if reasons & {"low_cjk_share", "high_symbol_share", "high_digit_share"}:
        owner = np.repeat(np.arange(len(bodies)), lengths)
        per_class = np.bincount(owner * 8 + _classes(points), minlength=8 * len(bodies)).reshape(-1, 8)
        for reason, bit in (("low_cjk_share", 1), ("high_symbol_share", 2), ("high_digit_share", 4)):
            counts[reason] = per_class[:, [c for c in range(8) if c & bit]].sum(axis=1)
    if "repeated_ngrams" in reasons:
        counts["repeated_ngrams"] = _repeated_ngram_chars(points, lengths, n)
    return {reason: values.tolist() for reason, values in counts.items()}


def _bad_encoding_chars(bodies: list[str]) -> np.ndarray:
    """Per text: characters in U+FFFD and mojibake runs, looked for only in texts holding a character such a
    run starts with (found in one pass over all texts)."""
    found = np.zeros(len(bodies), dtype=np.int64)
    starts = list(itertools.accumulate((len(body) + 1 for body in bodies), initial=0))
    for row in sorted({bisect_right(starts, m.start()) - 1 for m in _BAD_START_RE.finditer("\x00".join(bodies))}):
        found[row] = sum(map(len, _BAD_ENCODING_RE.findall(bodies[row])))
    return found


# -- lexicons ----------------------------------------------------------------------------------------------


def _automaton(entries: dict[str, float]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for term, weight in entries.items():
        automaton.add_word(term, (term, weight))
    if len(automaton):
        automaton.make_automaton()
    return automaton


def _matches(automaton, text: str) -> list[tuple[int, int, str, float]]:
    """Leftmost-longest non-overlapping matches: (start, end, term, weight)."""
    if not len(automaton) or not text:
        return []
    return [(end - len(term) + 1, end + 1, term, weight) for end, (term, weight) in automaton.iter_long(text)]


def _matches_many(automaton, texts: list[str]) -> list[list[tuple[int, int, str, float]]]:
    """`_matches` of each text, in one pass over the texts joined by "\x00": with no entry holding it, the
    automaton is back at its root after it, as at the start of a text of its own."""
    if any("\x00" in term for term, _ in automaton.values()):
        return [_matches(automaton, text) for text in texts]
    found: list[list[tuple[int, int, str, float]]] = [[] for _ in texts]
    if not len(automaton):
        return found
    starts = list(itertools.accumulate((len(text) + 1 for text in texts), initial=0))
    row = 0
    for end, (term, weight) in automaton.iter_long("\x00".join(texts)):
        while end >= starts[row + 1]:
            row += 1
        found[row].append((end - len(term) + 1 - starts[row], end + 1 - starts[row], term, weight))
    return found


# -- text edits ---------------------------------------------------------------------------------------------

_TAIL_RE = re.compile(r"[。！？；!?”’」』）)》】\"'\s]*$")
_CLAUSE_RE = re.compile(r"[^，,]*[，,]|[^，,]+")


def remove_clutter(text: str, automaton, unit: str = "clause") -> tuple[str, int]:
    """Drop each clause (or sentence) that holds a clutter phrase; returns the text and the number removed.

    A sentence whose clauses all hold clutter goes as a whole, line break included only if nothing else
    on its line remains; a removed last clause leaves the sentence's end mark to the clause before it.
    """
    hits = [start for start, _, _, _ in _matches(automaton, text)]
    if not hits:
        return text, 0
    spans = split_sentences(text)
    starts = [s for s, _ in spans]
    hit_sentences: dict[int, list[int]] = {}
    for position in hits:
        hit_sentences.setdefault(bisect_right(starts, position) - 1, []).append(position)
    pieces: list[str] = []
    removed = 0
    for index, (start, end) in enumerate(spans):
        sentence = text[start:end]
        if index not in hit_sentences:
            pieces.append(sentence)
            continue
        tail_at = _TAIL_RE.search(sentence).start()
        body, tail = sentence[:tail_at], sentence[tail_at:]
        kept: list[str] = []
        dropped = 0
        if unit == "clause":
            offset = 0
            for clause in _CLAUSE_RE.findall(body):
                lo, hi = start + offset, start + offset + len(clause)
                offset += len(clause)
                if any(lo <= p < hi for p in hit_sentences[index]):
                    dropped += 1
                else:
                    kept.append(clause)
        if kept and "".join(kept).strip("，, "):
            pieces.append("".join(kept).rstrip("，, ") + tail)
            removed += dropped
        else:
            pieces.append("\n" if "\n" in tail else "")
            removed += 1
    return tidy("".join(pieces)), removed


_MEASUREMENT_RE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:MPa|kPa|Pa|°C|℃|kV|kW|MW|V|A|%|ppm|mm/s|r/min|rpm|m³/h|m3/h|t/h|dB|Hz|mg/m)")
_HAN_RE = re.compile("[\u3400-\u9fff]")


_SCENE_CHARS = frozenset("树林花草叶山池湖石云雨雪雾霞晴阴阳光灯墙窗檐顶楼屋廊柱梁砖瓦旗钟画")
"""Characters of scenery, weather, light, building parts and decoration: evidence beside the scene words."""
_COLOUR_RE = re.compile("[红橙黄绿青蓝紫白黑灰棕褐金银米茶]色")
_DESCRIBE_RE = re.compile("是|为|有|着|呈|可见|看到|望见|看见|种|挂|立|铺|贴|摆|照")
"""Existence and appearance: how a description of a scene is said."""
_DEFICIENT_RE = re.compile("未|没有|无法|不能|不足|不全|不完整|不清|不亮|不平|不稳|破|裂|漏|锈|损|坏|松|脱|堵|乱")
"""Deficiency and fault: a sentence that says something is wrong is never clutter."""


PLACES = frozenset({"车间", "厂房", "厂区", "仓库", "库房", "厂内", "现场", "办公楼", "办公室", "会议室", "门卫室",
                    "宿舍", "食堂", "园区", "楼道", "走廊"})
"""Where something is, not what is wrong: an industrial lexicon lists them, but they say nothing about safety
(车间的屋顶是蓝色的), so they never make a sentence safety information."""

_SHORT = 16
"""A short describing sentence needs only one piece of scene evidence (是一排杨树, 是个大晴天)."""


def scene_reason(sentence: str, scene, safety, anomaly, min_terms: int, min_share: float) -> str | None:
    """Why `sentence` is background clutter (`scene:地面+纹理`), or None. A pure function of the sentence and
    the three automata.

    Vetoes: a safety cue (hazard, fault, person or action, equipment, rule, assessment), an anomaly term, a
    measurement with a technical unit, or a word of deficiency (未, 不足, 破, 裂 …). Without one, the sentence is
    clutter when it holds `min_terms` distinct scene words, or scene words covering `min_share` of its Han
    characters, or two pieces of scene evidence (scene words, scene characters such as 树 云 灯 墙 窗 outside
    them, colour words) in a sentence that describes (是 为 有 着 呈 可见 挂 铺 …), or one in such a sentence
    of at most 16 Han characters.
    """
    if (_MEASUREMENT_RE.search(sentence) or _DEFICIENT_RE.search(sentence) or _matches(safety, sentence)
            or _matches(anomaly, sentence)):
        return None
    cues = _matches(scene, sentence)
    words = list(dict.fromkeys(term for _, _, term, _ in cues))
    han = len(_HAN_RE.findall(sentence)) or 1
    covered = sum(end - start for start, end, _, _ in cues)
    if words and (len(words) >= min_terms or covered / han >= min_share):
        return "scene:" + "+".join(words[:4])
    inside = {p for start, end, _, _ in cues for p in range(start, end)}
    chars = list(dict.fromkeys(ch for p, ch in enumerate(sentence) if ch in _SCENE_CHARS and p not in inside))
    colours = list(dict.fromkeys(m.group() for m in _COLOUR_RE.finditer(sentence) if m.start() not in inside))
    evidence = words + chars + colours
    if evidence and (len(evidence) >= 2 or han <= _SHORT) and _DESCRIBE_RE.search(sentence):
        return "scene:" + "+".join(evidence[:4])
    return None


def remove_scene_sentences(text: str, reason_of) -> tuple[str, list[str]]:
    """Drop each sentence `reason_of` gives a reason for; returns the text and the reasons, one per removal."""
    pieces: list[str] = []
    reasons: list[str] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        reason = reason_of(sentence.strip())
        if reason:
            reasons.append(reason)
            pieces.append("\n" if "\n" in sentence else "")
        else:
            pieces.append(sentence)
    return (tidy("".join(pieces)), reasons) if reasons else (text, [])


# -- the stage ----------------------------------------------------------------------------------------------


class CleanStage:
    """Batch callable: quality filters, clutter removal, repeated-sentence merge, anomaly priority.

    Adds `priority` (float), `_reject`, `_reject_detail` and `_events`; rows that arrive already rejected
    pass through untouched. Picklable: the Aho-Corasick automata are built lazily in each worker.
    """

    name = "clean"

    def __init__(self, config: CleanConfig):
        self.config = config
        self._state: tuple | None = None
        self._scene: tuple | None = None

    def __getstate__(self) -> dict:
        return {"config": self.config, "_state": None, "_scene": None}

    def setup(self) -> tuple:
        """Read the lexicons and build the automata (once per process); bad lexicons raise CorpusctlError."""
        if self._state is None:
            clutter = anomaly = _automaton({})
            norm = self.config.normalize

            def normalize_text(term: str, config: NormalizeConfig) -> str:  # as the text was normalized
                return _normalize(term, config) if config.enabled else term

            scene = safety = _automaton({})
            if self.config.clutter.enabled:
                entries = read_lexicon(self.config.clutter.lexicon, "clean.clutter.lexicon", pos=False)
                clutter = _automaton({normalize_text(e.term, norm): 1.0 for e in entries})
                if self.config.clutter.scene:
                    scene_words = {normalize_text(e.term, norm): 1.0 for e in read_lexicon(
                        self.config.clutter.scene_lexicon, "clean.clutter.scene_lexicon", pos=False)}
                    scene = _automaton(scene_words)
                    safety = _automaton({word: 1.0 for path in self.config.clutter.safety_lexicons
                                         for e in read_lexicon(path, "clean.clutter.safety_lexicons")
                                         if (word := normalize_text(e.term, norm)) not in scene_words
                                         and word not in PLACES})
            if self.config.anomaly.enabled:
                weights: dict[str, float] = {}
                for e in read_lexicon(self.config.anomaly.lexicon, "clean.anomaly.lexicon", pos=False):
                    weights[normalize_text(e.term, norm)] = 1.0 if e.weight is None else e.weight
                anomaly = _automaton(weights)
            self._state = (clutter, anomaly)
            self._scene = (scene, safety, anomaly)
        return self._state

    def scene_reason(self, sentence: str) -> str | None:
        """`scene_reason` with this stage's lexicons and thresholds (None when the class rule is off)."""
        config = self.config.clutter
        if not (self.config.enabled and config.enabled and config.scene):
            return None
        self.setup()
        return scene_reason(sentence, *self._scene, config.min_scene_terms, config.min_scene_share)

    def priorities(self, titles: list[str], texts: list[str]) -> list[tuple[float, list[str]]]:
        """(priority, events) of each (title, text) from the anomaly terms in both (0.0 when there are none);
        all titles, then all texts, are matched in one pass."""
        config = self.config.anomaly
        if not (self.config.enabled and config.enabled):
            return [(0.0, [])] * len(texts)
        _, automaton = self.setup()
        totals = [0.0] * len(texts)
        terms: list[dict[str, None]] = [{} for _ in texts]
        for fields in (titles, texts):
            for row, (field, matches) in enumerate(zip(fields, _matches_many(automaton, fields), strict=True)):
                for start, _, term, weight in matches:
                    if config.negations and self._negated(field, start, term):
                        continue
                    totals[row] += weight
                    terms[row][term] = None
        if config.squash == "log1p":
            totals = [math.log1p(total) for total in totals]
        return [(round(total, 6), [f"anomaly.{term}" for term in found])
                for total, found in zip(totals, terms, strict=True)]

    def _negated(self, text: str, start: int, term: str) -> bool:
        cues = self.config.anomaly.negations
        if any(term.startswith(cue) for cue in cues):
            return False
        window = text[max(0, start - self.config.anomaly.negation_window) : start]
        window = re.split(r"[，。；！？,;!?\n]", window)[-1]
        return any(cue in window for cue in cues)

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        rows = len(batch["text"])
        if self.config.enabled:
            self.setup()
        titles = [title or "" for title in batch.get("title") or [""] * rows]
        texts = [text or "" for text in batch["text"]]
        incoming = batch.get("_reject") or [""] * rows
        old_details = batch.get("_reject_detail") or [""] * rows
        rejects = [reason or "" for reason in incoming]
        details = [detail if reason else "" for reason, detail in zip(incoming, old_details, strict=True)]
        events = [list(e) for e in batch.get("_events") or [[] for _ in range(rows)]]
        priorities = [0.0] * rows
        if self.config.enabled:
            domains = batch.get("domain")  # None: no domain column, the class rule applies to every row
            self._clean([row for row in range(rows) if not incoming[row]], titles, texts, priorities, rejects,
                        details, events, domains)
        out = dict(batch)
        out.update(text=texts, priority=priorities, _reject=rejects, _reject_detail=details, _events=events)
        return out

    def _clean(self, rows: list[int], titles: list[str], texts: list[str], priorities: list[float],
               rejects: list[str], details: list[str], events: list[list[str]], domains: list[str] | None = None
               ) -> None:
        """Filter, clean and score the rows named, in place. Each step looks at all rows at once: it finds
        which rows it would change (clutter phrases, repeated sentences) and edits only those."""
        config = self.config
        if config.quality.enabled:
            verdicts = quality_rejects([texts[row] for row in rows], config.quality)
            for row, verdict in zip(rows, verdicts, strict=True):
                if verdict:
                    rejects[row], details[row] = verdict
            rows = [row for row, verdict in zip(rows, verdicts, strict=True) if not verdict]
        clutter, _ = self.setup()
        originals = [texts[row] for row in rows]
        hits = _matches_many(clutter, originals) if config.clutter.enabled else [[]] * len(rows)
        merge = config.dedup.enabled and config.dedup.sentences
        repeating = repeating_sentences(originals, config.dedup.min_sentence_chars) if merge else [False] * len(rows)
        kept = []
        scene_on = config.clutter.enabled and config.clutter.scene
        scene_domains = set(config.clutter.scene_domains)
        for row, text, hit, repeats_in in zip(rows, originals, hits, repeating, strict=True):
            cleaned, removed, repeats = text, 0, 0
            if hit:
                cleaned, removed = remove_clutter(text, clutter, config.clutter.unit)
                events[row].extend(["clutter.removed"] * removed)
            if scene_on and (domains is None or domains[row] in scene_domains):
                cleaned, reasons = remove_scene_sentences(cleaned, self.scene_reason)
                removed += len(reasons)
                # one event per removed sentence: its reason is the class rule (the cues are in the bench's output)
                events[row].extend(["clutter.removed_scene"] * len(reasons))
            if merge and (repeats_in or cleaned != text):
                cleaned, repeats = merge_repeated_sentences(cleaned, config.dedup.min_sentence_chars)
                events[row].extend([SENTENCE_REMOVED] * repeats)
            if text.strip() and not cleaned.strip():
                rejects[row] = "empty_after_clean"
                details[row] = f"nothing left after removing {removed} clutter and {repeats} repeated sentences"
                continue
            texts[row] = cleaned
            kept.append(row)
        for row, (priority, happened) in zip(kept, self.priorities([titles[r] for r in kept], [texts[r] for r in kept]),
                                             strict=True):
            priorities[row] = priority
            events[row].extend(happened)
