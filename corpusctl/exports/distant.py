"""Distant NER labels an annotator can trust: which ontology term spans become entities, and how long.

The ontology stage marks every term; not every term is an entity worth labelling. `refine` keeps a term
span as an entity unless

- it is a generic word (`stop`: 作业, 设备, 人员, 运行, 故障 …) or a concept at the top of its is-a tree
  (depth below `min_depth`; needs the ontology), unless a modifier makes it specific (below);
- it lies inside a longer word of the general dictionary (jieba's, frequency ≥ `DICTIONARY_MIN_FREQ`)
  written around it (法兰 in 法兰克福, 工作服 in 工作者 is no PPE; the segment stage always keeps ontology
  terms whole, so this is the segmentation the text would get without the ontology); when that word
  ends with the term it is a more specific kind of it and becomes the entity (输油 + 管道, 交通 + 事故);
  a far more frequent word across one of its edges means the match is an accident of the characters
  (对重 in 对重点部位: 重点);
- it only modifies a longer noun: the next character is a bound noun-forming morpheme standing alone
  (循环水站: 循环水 + 站 is a station, not the water);
- it lies inside an organisation name (江北汽车零部件有限公司 holds no COMPONENT);
- it is a COMPONENT used as a verb: the segmenter tags it VERB, an aspect particle follows (开关了), or an
  adverb or prohibition precedes it and a noun follows (严禁开关电器);
- it is a homonym (its span has a sense) with no unambiguous entity term within `ANCHOR_REACH`
  characters: a sense chosen in text with nothing else of the domain around (孩子临近高考，压力大 …) is
  not a label worth an annotator's time, whatever the sense model chose; the same holds for a
  two-character HAZARD, PROCEDURE or BEHAVIOR term (`ANCHORED_CATEGORIES`: 冰雪节, 堵塞税收漏洞, 通过验收).
  An anchor is another entity term, not the same word again (the two 冰雪 of 冰雪节上开展冰雪旅游 do not
  vouch for each other).

An entity term right before a word for a person by duty (`ROLE_HEADS`: 司机, 管理员, 班长 …) makes one
ROLE with it (货车司机, 仓库管理员). A generic head right after a modifying word becomes one entity with it
(`compound_heads`: 接班 + 人员 → 接班人员, ROLE; not after an adverb, as in 立即组织人员撤离), and two
entities written together form one head-final compound of the second one's type when the first names what
the second holds or where it is (`COMPOUNDS`: 甲醇 + 储罐 → 甲醇储罐, EQUIPMENT; 车间 + 通道 → 车间通道,
LOCATION): the longest compound, not two labels inside it. A negation and a verb of wearing right before a
PPE item make one BEHAVIOR with it (`NEGATED_USE`: 没有戴 + 安全帽 → 没有戴安全帽). Words are `(start, end, upos)` from the segment
stage (terms are always whole words there); without words only the stop-list, depth and suffix rules apply.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

DEFAULT_STOP = (
    "作业 设备 人员 运行 故障 备用 停机 停用 正常 异常 损坏 部件 零部件 事故 物料 参数 场所 装置 系统 设施 工具 "
    "车辆 机械 材料 现场 状态 隐患 风险 安全 管理 检查 人 带电 停电 办公室 地下室 过期 缺失 "
    "失灵 失效 冒烟 发热 异味 超标 偏高 偏低 过高 不足 "
    "清洗 倒车 卷入 外壳 盖板 楼板 警示牌 作业现场"
).split()
"""Generic words that are never entities by themselves. The last line follows the labelling guidelines
(ontology/eval/GUIDELINES.md): words that only say a thing does not work (失灵, 失效), symptoms (冒烟, 发热)
and deviations from a limit (超标, 不足) are no entities, unlike named defects (裂纹, 松动, 泄漏); nor are generic
activity verbs (清洗, like 检查, 更换), free descriptions of acts or events (倒车, 卷入), generic structural sub-parts
(外壳, 盖板, 楼板), signs (警示牌) and a bare work site (作业现场, like 现场)."""
COMPOUND_HEADS = ("人员",)
"""Generic heads that make a specific entity with the word before them (接班人员, 值班人员)."""
ROLE_HEADS = ("管理员", "操作员", "驾驶员", "司机", "班长", "组长", "队长", "主任")
"""Words for a person by duty that are no ontology terms: an entity term written right before one names the
person's job (货车司机, 仓库管理员, 车间主任), one ROLE entity."""
_ROLE_FIRST = frozenset(head[0] for head in ROLE_HEADS)
"""Their first characters: no other character after a term can start one (most terms: no head to look for)."""
VAGUE_MODIFIERS = frozenset("岗位 相关 有关 所有 全体 其他 其它 工作 专门 专业 一般 各类 有关部门 部门 单位 现场 在场".split())
"""Modifiers that make nothing specific: 岗位人员, 相关人员, 工作人员 stay generic."""
BOUND_SUFFIXES = "站房室间库池厂场塔楼处所馆队组科部班局管节"
"""One-character noun-forming morphemes: a term right before one, standing alone, only modifies it."""
ORG_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司", "研究院", "研究所", "设计院",
                "委员会", "协会", "大学", "学院", "银行", "医院")
_ORG_TAILS = tuple(sorted({s[-2:] for s in ORG_SUFFIXES}))
"""The last two characters of every suffix: a text without any of them holds no organisation name."""
_ORG_TAIL_ENDS = re.compile(f"(?=(?:{'|'.join(_ORG_TAILS)}))")
"""Every place where one of `_ORG_TAILS` starts (overlapping ones too)."""
VERB_MARKERS = ("了", "着", "过")
COMPOUNDS = {("MATERIAL", "EQUIPMENT"), ("MATERIAL", "COMPONENT"), ("MATERIAL", "LOCATION"), ("LOCATION", "LOCATION")}
"""(first type, second type) pairs that, written together, are one compound of the second type."""
SPLIT = {(first, "HAZARD", "HAZARD") for first in ("EQUIPMENT", "COMPONENT", "MATERIAL")} | {
    ("EQUIPMENT", "COMPONENT", "COMPONENT"), ("COMPONENT", "COMPONENT", "COMPONENT"),
    ("EQUIPMENT", "EQUIPMENT", "COMPONENT")}
"""(first part's type, second part's type, the whole term's type) of the ontology's compositional terms that
are two entities in running text (ontology/eval/GUIDELINES.md: a part and its defect, 钢丝绳 + 断丝, 氯气 +
泄漏; equipment and a named part, 砂轮机 + 防护罩, or an instrument on it, 储罐 + 液位计), unlike an
established compound of one thing (甲醇储罐, `COMPOUNDS`). With the ontology known, only a term whose second part is its is-a parent is split
(储罐液位计 is-a 液位计; 电缆桥架 stays one part)."""
PROHIBITIONS = ("严禁", "禁止", "不得", "请勿", "切勿", "不要", "不准", "随意", "频繁", "反复", "经常")
_NOUNISH = {"NOUN", "PROPN", "X"}
DICTIONARY_MIN_FREQ = 5
LOCATIVES = "处上下里内外中时前后边旁"
CROSSING_MIN_FREQ = 1000
CROSSING_RATIO = 10
"""A dictionary word that is only the term plus one of these (接头处, 管道内) does not hide the term."""
_REACH = 4
ANCHORED_CATEGORIES = ("HAZARD", "PROCEDURE", "BEHAVIOR")
"""Types whose two-character terms are everyday words as often as domain terms (冰雪, 堵塞, 验收, 吸烟): such
a term is labelled only with another unambiguous entity term within `ANCHOR_REACH` characters."""
ANCHORED_MAX_LEN = 2
_MODIFIERS = {"NOUN", "PROPN", "VERB"}


@dataclass
class DistantRules:
    """What makes an ontology span an entity (see the module docstring)."""

    stop: frozenset[str] = frozenset(DEFAULT_STOP)
    min_depth: int = 1
    depth: Mapping[str, int] = field(default_factory=dict)
    """Is-a depth by concept id (`id#sense` for a homonym's sense); empty: no depth rule."""
    compound_heads: frozenset[str] = frozenset(COMPOUND_HEADS)
    dictionary: Mapping[str, int] | None = field(default_factory=lambda: general_dictionary())
    """General word frequencies (jieba's dictionary, by default); None: no dictionary rules."""
    anchored_categories: frozenset[str] = frozenset(ANCHORED_CATEGORIES)
    """Types whose short terms need another entity nearby (see `ANCHORED_CATEGORIES`)."""
    categories: Mapping[str, str] = field(default_factory=dict)
    """Category by surface of the ontology's terms (a homonym: its default sense's), the parts of compositional
    splits; empty: no compositional split."""
    heads: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Surfaces of each term's is-a parent: a term splits only where its second part is its parent (a composed
    term, 钢丝绳断丝 is-a 断丝); empty: any split into two typed terms (no hierarchy known)."""

    def __post_init__(self) -> None:
        self._windows: dict[tuple[str, int, int], tuple[tuple[int, int] | None, bool]] = {}
        self._parts: dict[tuple[str, str], tuple[int, str, str] | None] = {}
        self._closed = prefix_closed(self.dictionary)

    def window(self, text: str, start: int, end: int) -> tuple[tuple[int, int] | None, bool]:
        """(container, crossed) of a span, with a dictionary: the longest dictionary word in `text` that covers
        the span and is longer than it, if any; and whether a two-character span has a dictionary word across
        one of its edges at least `CROSSING_RATIO` times as frequent as the span's own text (and at least
        `CROSSING_MIN_FREQ`; longer terms are rarely matched by accident). Both only read the `_REACH`
        characters either side of the span, so they are computed once per distinct window (templated text
        repeats them; issue 21)."""
        low = max(0, start - _REACH)
        key = (text[low : end + _REACH], start - low, end - low)
        found = self._windows.get(key)
        if found is None:
            window, a, b = key
            found = (_container(self.dictionary, window, a, b, self._closed),
                     b - a == 2 and _crossed(self.dictionary, window, a, b, self._closed))
            if len(self._windows) >= 1_000_000:  # bounded memory on text that does not repeat
                self._windows.clear()
            self._windows[key] = found
        best, crossed = found  # (the container is relative to the window)
        return ((best[0] + low, best[1] + low) if best else None), crossed

    @classmethod
    def from_ontology(cls, ontology, stop: Iterable[str] = DEFAULT_STOP, min_depth: int = 1,
                      compound_heads: Iterable[str] = COMPOUND_HEADS) -> DistantRules:
        depth: dict[str, int] = {}
        categories: dict[str, str] = {}
        heads: dict[str, frozenset[str]] = {}
        if ontology is not None:
            for concept in ontology.concepts:
                depth[concept.id] = len(ontology.ancestors(concept.id))
                for sense in concept.senses:
                    depth[f"{concept.id}#{sense.id}"] = len(ontology.sense_ancestors(sense))
                if concept.category and not concept.senses:
                    categories.update(dict.fromkeys(concept.surfaces, concept.category))
                    if concept.parent is not None and concept.parent in ontology:
                        heads.update(dict.fromkeys(concept.surfaces, frozenset(ontology.get(concept.parent).surfaces)))
            for concept in ontology.concepts:  # a homonym as a part: its default sense's type (电线 + 老化)
                if concept.category and concept.senses:
                    for surface in concept.surfaces:
                        categories.setdefault(surface, concept.category)
        return cls(frozenset(stop), min_depth, depth, frozenset(compound_heads), general_dictionary(),
                   categories=categories, heads=heads)

    def parts(self, surface: str, category: str) -> tuple[int, str, str] | None:
        """Where a term written as two other terms splits, and their types, when it is a composition that
        names two entities (`SPLIT`: 钢丝绳 + 断丝, 储罐 + 液位计), the longest first part first."""
        if not self.categories:
            return None
        key = (surface, category)  # once per distinct term (its cuts cost ~1 CPU-s per 20 MB; issue 21)
        try:
            return self._parts[key]
        except KeyError:
            found = self._parts[key] = _parts(self.categories, surface, category,
                                                 self.heads.get(surface, frozenset()) if self.heads else None)
            return found

    def generic(self, text: str, concept_id: str, sense: str) -> bool:
        if text in self.stop:
            return True
        if not self.depth:
            return False
        key = f"{concept_id}#{sense}" if sense else concept_id
        level = self.depth.get(key)
        return level is not None and level < self.min_depth


def _parts(categories: Mapping[str, str], surface: str, category: str,
           head: frozenset[str] | None = None) -> tuple[int, str, str] | None:
    for cut in range(len(surface) - 1, 0, -1):
        if head is not None and surface[cut:] not in head:
            continue
        first, second = categories.get(surface[:cut]), categories.get(surface[cut:])
        if first and second and (first, second, category) in SPLIT:
            return cut, first, second
    return None


class PrefixClosed(dict):
    """A word → frequency mapping that holds every prefix of its words too (frequency 0 when no word itself),
    so that a scan of ever longer slices can stop at the first one that is not a key (issue 21)."""


def prefix_closed(dictionary: Mapping[str, int] | None) -> bool:
    return isinstance(dictionary, PrefixClosed)


def _container(dictionary: Mapping[str, int], text: str, start: int, end: int,
               closed: bool = False) -> tuple[int, int] | None:
    get = dictionary.get
    best = None
    for a in range(max(0, start - _REACH), start + 1):
        for b in range(end, min(len(text), end + _REACH) + 1):
            freq = get(text[a:b])
            if freq is None and closed:  # no longer slice from `a` is a word either
                break
            if (a, b) == (start, end) or (a == start and b == end + 1 and text[end] in LOCATIVES):
                continue
            if (freq or 0) >= DICTIONARY_MIN_FREQ and (best is None or b - a > best[1] - best[0]):
                best = (a, b)
    return best


def _crossed(dictionary: Mapping[str, int], text: str, start: int, end: int, closed: bool = False) -> bool:
    get = dictionary.get
    floor = max(CROSSING_MIN_FREQ, CROSSING_RATIO * (get(text[start:end]) or 0))
    for a in range(start + 1, end):  # words that start inside the span and end after it
        for b in range(end + 1, min(len(text), end + _REACH) + 1):
            freq = get(text[a:b])
            if freq is None and closed:
                break
            if (freq or 0) >= floor:
                return True
    for a in range(max(0, start - _REACH), start):  # words that start before it and end inside it
        for b in range(start + 1, end):
            freq = get(text[a:b])
            if freq is None and closed:
                break
            if (freq or 0) >= floor:
                return True
    return False


@lru_cache(maxsize=1)
def general_dictionary() -> PrefixClosed:
    """The words of jieba's main dictionary (dict.txt) the rules can use, with their frequencies: those of
    frequency >= `DICTIONARY_MIN_FREQ` (a rarer word neither contains a term nor crosses one, `_crossed`'s
    floor being higher still), and their prefixes. Read once per process from the file (~0.4 CPU-s); jieba's
    own load of all its words and prefixes takes ~1.2 (issue 21). The rules find what they would in
    `jieba.dt.FREQ` (tests/exports/test_ner_distant.py)."""
    import importlib.util

    path = Path(importlib.util.find_spec("jieba").origin).parent / "dict.txt"
    words = PrefixClosed((word, int(freq)) for word, freq in _FREQUENT.findall(path.read_text(encoding="utf-8")))
    for word in list(words):
        for end in range(1, len(word)):
            if word[:end] not in words:
                words[word[:end]] = 0
    return words


_FREQUENT = re.compile(r"^(\S+) ([5-9]|[1-9][0-9]+) ", re.M)
"""A dict.txt line (`word frequency tag`) of a word of frequency >= `DICTIONARY_MIN_FREQ` (5)."""


def organisations(text: str, words: Sequence[tuple[int, int, str]], starts: list[int] | None = None) -> list[tuple[int, int]]:
    """(start, end) of organisation names: a word ending in an organisation suffix (有限公司, 集团 …) with the
    nouns right before it (at most 15 characters in all); a bare suffix word is no name. `starts`: the words'
    starts, when at hand."""
    out: list[tuple[int, int]] = []
    if not any(tail in text for tail in _ORG_TAILS):  # most texts name no organisation: no word loop
        return out
    starts = [w[0] for w in words] if starts is None else starts
    for found in _ORG_TAIL_ENDS.finditer(text):  # only the words that end where a suffix's last two characters do
        i = bisect_right(starts, found.start() + 1) - 1
        start, end, _ = words[i] if i >= 0 else (0, -1, "")
        word = text[start:end]
        if end != found.start() + 2 or not word.endswith(ORG_SUFFIXES):
            continue
        first = i
        while first > 0 and words[first - 1][1] == words[first][0] and words[first - 1][2] in _NOUNISH \
                and end - words[first - 1][0] <= 15:
            first -= 1
        if first < i or word not in ORG_SUFFIXES:
            out.append((words[first][0], end))
    return out


def _word_at(words: Sequence[tuple[int, int, str]], starts: list[int], position: int) -> int:
    """Index of the word that covers `position`, or -1."""
    i = bisect_right(starts, position) - 1
    return i if i >= 0 and words[i][0] <= position < words[i][1] else -1


def verb_use(text: str, start: int, end: int, words: Sequence[tuple[int, int, str]], starts: list[int]) -> bool:
    """A span used as a verb: tagged VERB, followed by an aspect particle, or after an adverb or prohibition
    with a noun right after it."""
    here = _word_at(words, starts, start)
    if here < 0:
        return text.startswith(VERB_MARKERS, end)
    if words[here][2] == "VERB" or text.startswith(VERB_MARKERS, end):
        return True
    before = here - 1 if here > 0 and words[here - 1][1] == start else -1
    after = _word_at(words, starts, end) if end < len(text) else -1
    if before < 0 or after < 0 or words[after][0] != end or words[after][2] not in _NOUNISH:
        return False
    previous = text[words[before][0]:words[before][1]]
    return words[before][2] == "ADV" or previous in PROHIBITIONS


def modifies_a_longer_noun(text: str, end: int, words: Sequence[tuple[int, int, str]] | None,
                           starts: list[int]) -> bool:
    """The character after the span is a bound morpheme standing alone (循环水|站)."""
    if end >= len(text) or text[end] not in BOUND_SUFFIXES:
        return False
    if not words:
        return end + 1 >= len(text) or not ("\u4e00" <= text[end + 1] <= "\u9fff")
    after = _word_at(words, starts, end)
    return after >= 0 and words[after][0] == end and words[after][1] == end + 1


def _modifies_a_noun(end: int, words: Sequence[tuple[int, int, str]], starts: list[int], term_starts: set[int]) -> bool:
    """A noun that is no entity term follows right after: the span names what that noun holds or is made of
    (氢气|管线, 乙烯|装置, 硫酸|桶, 橡胶|衬里), and the compound, not the material, is what the text is about."""
    if not words or end in term_starts:
        return False
    after = _word_at(words, starts, end)
    return after >= 0 and words[after][0] == end and words[after][2] in ("NOUN", "PROPN")


ANCHOR_REACH = 20
"""A homonym's sense is only labelled with another (unambiguous) entity term this near it."""


def _anchored(anchors: list[tuple[int, str]], start: int, end: int, surface: str) -> bool:
    """Another entity term (`anchors`: sorted `(start, text)`) than `surface` within `ANCHOR_REACH`."""
    i = bisect_right(anchors, (start - ANCHOR_REACH - 1, "\uffff"))
    return any(start - ANCHOR_REACH <= a <= end + ANCHOR_REACH and not start <= a < end and word != surface
               for a, word in anchors[i:i + 8])


def _role_head(text: str, end: int, words: Sequence[tuple[int, int, str]], starts: list[int]) -> str:
    """The `ROLE_HEADS` word that starts right at `end` (a whole word when the words are known), or ""."""
    for head in ROLE_HEADS:
        if text.startswith(head, end):
            if words:
                here = _word_at(words, starts, end)
                if here < 0 or words[here][0] != end or words[here][1] != end + len(head):
                    continue
            return head
    return ""


Term = tuple[int, int, str, str, str, bool]
"""A term span as `refine` works on it: (start, end, category, concept id, sense, compound)."""


def as_term(term: Mapping, category: str | None = None) -> Term:
    """A term span (`start`, `end`, `category`, `concept_id`, `sense`, `compound`) as a `Term`; `category`
    replaces the span's own. Unpacked once, not looked up again by each rule (issue 21)."""
    return (int(term["start"]), int(term["end"]), term.get("category") or "" if category is None else category,
            str(term.get("concept_id") or ""), str(term.get("sense") or ""), bool(term.get("compound")))


def _material_heads(text: str, terms: list[Term], rules: DistantRules) -> list[Term]:
    """A material written right before a generic head is one specific entity of the head's type
    (乙烯 + 装置 → 乙烯装置, EQUIPMENT), marked `compound`."""
    out: list[Term] = []
    for term in terms:
        start, end, kind, concept, sense, _ = term
        if out and out[-1][2] == "MATERIAL" and out[-1][1] == start and not out[-1][5] \
                and rules.generic(text[start:end], concept, sense):
            out[-1] = (out[-1][0], end, kind, concept, "", True)
        else:
            out.append(term)
    return out


def _split_compositions(text: str, terms: Iterable[Term], rules: DistantRules) -> list[Term]:
    """Terms that are two entities written together (`DistantRules.parts`) as their two parts."""
    out: list[Term] = []
    for term in terms:
        start, end, kind, _, sense, _ = term
        found = rules.parts(text[start:end], kind) if not sense else None
        if found is None:
            out.append(term)
            continue
        cut, first, second = found
        out.append((start, start + cut, first, "", "", False))
        out.append((start + cut, end, second, "", "", False))
    return out


def _predicate(words: Sequence[tuple[int, int, str]], modifier: int, end: int, starts: list[int]) -> bool:
    """A verb before a head is its predicate, not its modifier, after an adverb (立即组织人员) or when a verb
    follows the head (组织人员撤离)."""
    if words[modifier][2] != "VERB":
        return False
    if modifier > 0 and words[modifier - 1][2] in ("ADV", "AUX"):
        return True
    after = _word_at(words, starts, end)
    return after >= 0 and words[after][0] == end and words[after][2] == "VERB"


NEGATED_USE = re.compile(r"(?:未|没有|没|不)(?:佩戴|穿戴|戴|穿|系挂|系|挂)$")
"""A negation and a verb of wearing written right before a PPE item: the three are one BEHAVIOR (未系安全带,
没有戴安全帽; ontology/eval/GUIDELINES.md, BEHAVIOR); with other words between (未按规定佩戴防护眼镜) the
PPE item stays alone."""
_NEGATED_ANYWHERE = re.compile(NEGATED_USE.pattern.removesuffix("$"))


def _negated_use(text: str, spans: list[tuple[int, int, str]], counts: Counter) -> list[tuple[int, int, str]]:
    """PPE entities right after `NEGATED_USE` extended over it, as one BEHAVIOR entity."""
    if not _NEGATED_ANYWHERE.search(text):  # (most texts: one regex scan instead of a loop over the spans)
        return spans
    out = []
    for start, end, kind in spans:
        if kind == "PPE":
            found = NEGATED_USE.search(text, max(0, start - 4), start)
            if found and (not out or out[-1][1] <= found.start()):
                out.append((found.start(), end, "BEHAVIOR"))
                counts["extended_behavior"] += 1
                continue
        out.append((start, end, kind))
    return out


def _compounds(spans: list[tuple[int, int, str]], counts: Counter) -> list[tuple[int, int, str]]:
    """Adjacent entities of a `COMPOUNDS` pair become one entity of the second type."""
    out: list[tuple[int, int, str]] = []
    for span in spans:
        if out and out[-1][1] == span[0] and out[-1][0] < span[0] and (out[-1][2], span[2]) in COMPOUNDS:
            out[-1] = (out[-1][0], span[1], span[2])
            counts["merged_compound"] += 1
        else:
            out.append(span)
    return out


def refine(text: str, terms: Iterable[Mapping], words: Sequence[tuple[int, int, str]] | None, rules: DistantRules,
           counts: Counter) -> list[tuple[int, int, str]]:
    """The entities `(start, end, type)` among a text's term spans (`start`, `end`, `category`,
    `concept_id`, `sense`), in span order; what was dropped or extended is counted in `counts`."""
    return refine_terms(text, [as_term(t) for t in terms], words, rules, counts)


def refine_terms(text: str, terms: list[Term], words: Sequence[tuple[int, int, str]] | None, rules: DistantRules,
                 counts: Counter) -> list[tuple[int, int, str]]:
    """`refine` of terms given as `Term` tuples."""
    words = words if isinstance(words, list) else list(words or ())
    starts = list(map(itemgetter(0), words))
    orgs = organisations(text, words, starts) if words else []
    terms = _material_heads(text, _split_compositions(text, terms, rules), rules)
    term_starts = {t[0] for t in terms if t[2]}
    anchors = sorted((t[0], text[t[0]:t[1]]) for t in terms if t[2] and not t[4])
    dictionary, window = rules.dictionary, rules.window
    out = []
    for start, end, kind, concept, sense, extended in terms:
        if not kind:
            continue
        if not 0 <= start < end <= len(text):  # not a span of this text: the caller counts and drops it
            out.append((start, end, kind))
            continue
        surface = text[start:end]
        generic = rules.generic(surface, concept, sense)
        head = _role_head(text, end, words, starts) if text[end:end + 1] in _ROLE_FIRST else ""
        if head and not generic and not (orgs and any(a <= start and end <= b for a, b in orgs)):
            out.append((start, end + len(head), "ROLE"))
            counts["extended_role"] += 1
            continue
        if surface in rules.compound_heads and words:
            here = _word_at(words, starts, start)
            if here > 0 and words[here - 1][1] == start and words[here - 1][2] in _MODIFIERS \
                    and not _predicate(words, here - 1, end, starts):
                modifier = text[words[here - 1][0]:start]
                if len(modifier) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in modifier) \
                        and modifier not in rules.stop and modifier not in VAGUE_MODIFIERS:
                    start, extended = words[here - 1][0], True
                    counts["extended_compound"] += 1
        if orgs and any(a <= start and end <= b for a, b in orgs):
            counts["dropped_in_organisation"] += 1
            continue
        if sense and not _anchored(anchors, start, end, surface):
            counts["dropped_unanchored_homonym"] += 1
            continue
        if kind in rules.anchored_categories and end - start <= ANCHORED_MAX_LEN and not extended \
                and not _anchored(anchors, start, end, surface):
            counts["dropped_isolated"] += 1
            continue
        # a generic word that was not extended is dropped whatever contains it: no dictionary look-up; the
        # container and the crossing word come from one look-up of the span's window (`crossed` is only read
        # while the span is the one looked up: not extended)
        if extended or generic or not dictionary:
            container, crossed = None, False
        else:
            container, crossed = window(text, start, end)
        if container is not None and container[1] == end and not generic \
                and not (orgs and any(a <= container[0] < b for a, b in orgs)):
            start, container, extended = container[0], None, True
            counts["extended_compound"] += 1
        if not extended and generic:
            counts["dropped_generic"] += 1
        elif container is not None or (not extended and crossed):
            counts["dropped_inside_longer_word"] += 1
        elif modifies_a_longer_noun(text, end, words, starts) \
                or (kind == "MATERIAL" and not extended and _modifies_a_noun(end, words, starts, term_starts)):
            counts["dropped_inside_longer_word"] += 1
        elif kind == "COMPONENT" and words and verb_use(text, start, end, words, starts):
            counts["dropped_verb_use"] += 1
        else:
            out.append((start, end, kind))
    return _compounds(_negated_use(text, out, counts), counts)  # overlaps, if an extension made any, are left to the caller


def with_words(rows: Iterable[dict], recipe_json: Mapping | None, batch_size: int = 500):
    """(rows with the segment stage's `words` / `title_words` added, ontology folder or None) for a NER
    export from pretrain/, which keeps no word spans: the build's segmenter (its recipe section, the
    ontology's terms, the term spans as fixed words) cuts the texts again, so the labels match the build's.
    Without a usable recipe the rows come back as they are (the word rules then do not apply)."""
    from corpusctl.ontology import segmenter_terms
    from corpusctl.stages.ontology import OntologyConfig
    from corpusctl.stages.segment import SegmentConfig, SegmentStage

    recipe_json = dict(recipe_json or {})
    try:  # only the two sections the segmenter reads (a build's manifest holds them resolved)
        ontology = OntologyConfig.model_validate(recipe_json["ontology"])
        segment = SegmentConfig.model_validate(recipe_json["segment"])
    except (KeyError, TypeError, ValueError):
        return iter(rows), None
    ontology_dir = ontology.dir if ontology.enabled else None
    stage = SegmentStage(segment, segmenter_terms(ontology_dir, list(segment.lexicons)))

    def generate():
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield from _segmented(stage, batch)
                batch = []
        if batch:
            yield from _segmented(stage, batch)

    return generate(), ontology_dir


def _segmented(stage, batch: list[dict]) -> list[dict]:
    columns = {name: [row.get(name) or ([] if name.endswith("terms") else "") for row in batch]
               for name in ("text", "title", "terms", "title_terms")}
    words = stage(columns)
    return [{**row, **{name: words[name][i].as_py() for name in words}} for i, row in enumerate(batch)]
