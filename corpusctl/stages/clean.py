"""Cleaning (after normalize; personal data is already scrubbed at ingest): quality filters (`quality.py`),
background-clutter removal, merging repeated sentences (`dedup.merge_repeated_sentences`), anomaly priority.
HRG-BERT section 3.1.2 step 2 plus the usual pre-training quality filters.

Priority: the weights of all anomaly-term occurrences in title + text are summed and squashed with log1p by
default, so a long report that repeats 泄漏 ten times does not outweigh everything else in the mix stage's
sampling by an order of magnitude (ten occurrences of weight 3 give 3.43, one gives 1.39); 0 when none.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from bisect import bisect_right
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection
from corpusctl.lexicons import read_lexicon
from corpusctl.stages.base import Stage, register
from corpusctl.stages.dedup import (
    SENTENCE_REMOVED,
    DedupConfig,
    merge_repeated_sentences,
    repeating_sentences,
)
from corpusctl.stages.normalize import NormalizeConfig
from corpusctl.stages.normalize import normalize_text as _normalize
from corpusctl.stages.quality import QualityConfig, quality_rejects
from corpusctl.text.sentences import split_sentences, tidy

__all__ = ["AnomalyConfig", "CleanConfig", "CleanStage", "ClutterConfig", "NormalizeConfig"]


class ClutterConfig(StageSection):
    lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "clutter.txt"
    unit: Literal["clause", "sentence"] = "clause"
    """Remove only the comma-separated clause holding the phrase, or the whole sentence."""
    scene: bool = True
    """Also remove background description as a class: sentences of scene vocabulary with no safety cue."""
    scene_lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "scene_terms.txt"
    safety_lexicons: list[RecipePath] = [PROJECT_ROOT / "lexicons" / "safety_cues.txt",
                                         PROJECT_ROOT / "lexicons" / "industrial_terms.txt"]
    """Words that make a sentence safety information (the terms of lexicon files; jieba dictionaries work)."""
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

    @model_validator(mode="after")
    def _off_switches_every_part_off(self) -> CleanConfig:
        """`enabled: false` turns every sub-section off, so a sub-section's own `enabled` alone says whether its
        step runs (no step need look at its parent's switch)."""
        if not self.enabled:
            for name, section in self:
                if isinstance(section, StageSection) and section.enabled:
                    setattr(self, name, section.model_copy(update={"enabled": False}))
        return self


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


def _has_match(automaton, text: str) -> bool:
    """Whether `_matches` finds anything: its first match only (a veto needs no more; issue 21: building every
    match of the safety lexicon's long list was a fifth of the clean stage in a cProfile run, ad hoc)."""
    return bool(len(automaton)) and bool(text) and next(automaton.iter_long(text), None) is not None


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
    if (_MEASUREMENT_RE.search(sentence) or _DEFICIENT_RE.search(sentence) or _has_match(safety, sentence)
            or _has_match(anomaly, sentence)):
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

    def __init__(self, config: CleanConfig):
        self.config = config
        self._state: tuple | None = None
        self._reason_of = None

    def __getstate__(self) -> dict:
        return {"config": self.config, "_state": None, "_reason_of": None}

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
            clutter_config = self.config.clutter
            # a pure function of the sentence: asked once per distinct sentence (boilerplate repeats across
            # documents; bounded, so memory stays flat on text that does not repeat)
            self._reason_of = functools.lru_cache(maxsize=1 << 16)(functools.partial(
                scene_reason, scene=scene, safety=safety, anomaly=anomaly,
                min_terms=clutter_config.min_scene_terms, min_share=clutter_config.min_scene_share))
        return self._state

    def scene_reason(self, sentence: str) -> str | None:
        """`scene_reason` with this stage's lexicons and thresholds (None when the class rule is off)."""
        config = self.config.clutter
        if not (config.enabled and config.scene):
            return None
        self.setup()
        return self._reason_of(sentence)

    def priorities(self, titles: list[str], texts: list[str]) -> list[tuple[float, list[str]]]:
        """(priority, events) of each (title, text) from the anomaly terms in both (0.0 when there are none);
        all titles, then all texts, are matched in one pass."""
        config = self.config.anomaly
        if not config.enabled:
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
        reason_of = self._reason_of
        for row, text, hit, repeats_in in zip(rows, originals, hits, repeating, strict=True):
            cleaned, removed, repeats = text, 0, 0
            if hit:
                cleaned, removed = remove_clutter(text, clutter, config.clutter.unit)
                events[row].extend(["clutter.removed"] * removed)
            if scene_on and (domains is None or domains[row] in scene_domains):
                cleaned, reasons = remove_scene_sentences(cleaned, reason_of)
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


def zero_priority(batch: dict) -> dict:
    """What clean does when it is disabled: every document gets priority 0 (later stages read the column)."""
    return {**batch, "priority": [0.0] * len(batch["id"])}


@register
class Clean(Stage):
    """The registered step; `CleanStage` is its batch function (`zero_priority` when clean is disabled)."""

    name = "clean"
    section = "clean"

    @classmethod
    def enabled(cls, recipe) -> bool:
        return True

    def settings(self) -> list:
        return super().settings() if self.settings_section.enabled else ["disabled"]

    def files(self) -> list[Path]:
        clean = self.settings_section
        return [s.lexicon for s in (clean.clutter, clean.anomaly) if s.enabled] if clean.enabled else []

    def columns(self):
        """It gets the whole batch and changes only these columns (the others stay as they are)."""
        if not self.settings_section.enabled:
            return None, ["priority"], None
        return None, ["text", "priority", "_reject", "_reject_detail", "_events"], None

    def function(self):
        return CleanStage(self.settings_section) if self.settings_section.enabled else zero_priority
