"""Cleaning (after normalize and pii): quality filters, background-clutter removal, merging repeated
sentences, anomaly priority. HRG-BERT section 3.1.2 step 2 plus the usual pre-training quality filters.

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

import math
import re
from bisect import bisect_right
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.stages.dedup import DedupConfig, codepoints, ngram_hashes, no_spaces
from corpusctl.stages.normalize import NormalizeConfig, split_sentences
from corpusctl.stages.normalize import normalize_text as _normalize
from corpusctl.stages.pii import PiiConfig

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


class AnomalyConfig(StageSection):
    lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "anomaly_terms.txt"
    """`term[TAB weight]` per line (default weight 1.0)."""
    squash: Literal["log1p", "none"] = "log1p"
    negations: list[str] = []
    """Cues such as 未发现 / 无 that cancel a term shortly before it in the same clause (off by default)."""
    negation_window: int = Field(4, ge=1)


class CleanConfig(StageSection):
    normalize: NormalizeConfig = NormalizeConfig()
    pii: PiiConfig = PiiConfig()
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
_END_MARKS = "。！？；!?，,、：:”’」』）)》】\"'"


def _count(pattern: re.Pattern, text: str) -> int:
    return len(text) - len(pattern.sub("", text))


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
    points = codepoints(no_spaces(text))
    hashes = ngram_hashes(points, n)
    if not len(hashes):
        return 0.0
    _, first = np.unique(hashes, return_index=True)
    later = np.ones(len(hashes), dtype=bool)
    later[first] = False
    starts = np.flatnonzero(later)
    if not len(starts):
        return 0.0
    cover = np.zeros(len(points) + 1, dtype=np.int32)
    np.add.at(cover, starts, 1)
    np.add.at(cover, starts + n, -1)
    return float(np.count_nonzero(np.cumsum(cover[:-1]))) / len(points)


def quality_reject(text: str, config: QualityConfig) -> tuple[str, str] | None:
    """(reason, detail) of the first failing filter, or None; detail shows measured value vs threshold."""
    body = no_spaces(text)
    chars = len(body)
    if chars < config.min_chars:
        return "too_short", f"chars={chars} < {config.min_chars}"
    if chars > config.max_chars:
        return "too_long", f"chars={chars} > {config.max_chars}"
    shares = (
        ("bad_encoding", "bad_encoding_share", lambda: _bad_encoding_chars(body) / chars, config.max_bad_encoding_share, ">"),
        ("low_cjk_share", "cjk_share", lambda: _count(_CJK_RE, body) / chars, config.min_cjk_share, "<"),
        ("high_symbol_share", "symbol_share", lambda: _count(_SYMBOL_RE, body) / chars, config.max_symbol_share, ">"),
        ("high_digit_share", "digit_share", lambda: _count(_DIGIT_RE, body) / chars, config.max_digit_share, ">"),
        ("duplicate_lines", "duplicate_line_share", lambda: duplicate_line_share(text), config.max_duplicate_line_share, ">"),
        (
            "repeated_ngrams",
            f"repeated_{config.repeated_ngram_size}gram_share",
            lambda: repeated_ngram_share(body, config.repeated_ngram_size),
            config.max_repeated_ngram_share,
            ">",
        ),
    )
    if not chars:
        return None
    for reason, name, measure, threshold, op in shares:
        if (op == "<" and threshold <= 0) or (op == ">" and threshold >= 1):
            continue  # disabled
        value = measure()
        if (op == "<" and value < threshold) or (op == ">" and value > threshold):
            return reason, f"{name}={value:.4f} {op} {threshold}"
    return None


def _bad_encoding_chars(text: str) -> int:
    return sum(len(m) for m in _BAD_ENCODING_RE.findall(text))


# -- lexicons ----------------------------------------------------------------------------------------------


def read_lexicon(path: Path, what: str) -> list[tuple[str, float, int]]:
    """(entry, weight, line) per entry of a `term[TAB weight]` file; `#` starts a comment line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusctlError(f"{what} lexicon {path} cannot be read: {exc.strerror or exc}") from None
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        term, _, rest = line.partition("\t")
        weight = 1.0
        if rest.strip():
            try:
                weight = float(rest.split("\t")[0])
            except ValueError:
                raise CorpusctlError(
                    f"{path}:{number}: weight {rest.strip()!r} of {term.strip()!r} is not a number"
                ) from None
        if term.strip():
            entries.append((term.strip(), weight, number))
    return entries


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


# -- text edits ---------------------------------------------------------------------------------------------

_TAIL_RE = re.compile(r"[。！？；!?”’」』）)》】\"'\s]*$")
_CLAUSE_RE = re.compile(r"[^，,]*[，,]|[^，,]+")


def _tidy(text: str) -> str:
    return re.sub(r"[^\S\n]*\n\s*", "\n", text).strip()


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
    return _tidy("".join(pieces)), removed


def _sentence_key(sentence: str) -> str:
    return no_spaces(sentence).rstrip(_END_MARKS)


def merge_repeated_sentences(text: str, min_chars: int) -> tuple[str, int]:
    """Keep the first occurrence of each sentence (compared without whitespace and end marks)."""
    seen: set[str] = set()
    pieces: list[str] = []
    removed = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        key = _sentence_key(sentence)
        if len(key) >= min_chars and key in seen:
            removed += 1
            pieces.append("\n" if "\n" in sentence else "")
            continue
        seen.add(key)
        pieces.append(sentence)
    return (_tidy("".join(pieces)), removed) if removed else (text, 0)


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

    def __getstate__(self) -> dict:
        return {"config": self.config, "_state": None}

    def setup(self) -> tuple:
        """Read the lexicons and build the automata (once per process); bad lexicons raise CorpusctlError."""
        if self._state is None:
            clutter = anomaly = _automaton({})
            norm = self.config.normalize

            def normalize_text(term: str, config: NormalizeConfig) -> str:  # as the text was normalized
                return _normalize(term, config) if config.enabled else term

            if self.config.clutter.enabled:
                entries = read_lexicon(self.config.clutter.lexicon, "clean.clutter")
                clutter = _automaton({normalize_text(t, norm): 1.0 for t, _, _ in entries})
            if self.config.anomaly.enabled:
                weights: dict[str, float] = {}
                for term, weight, _ in read_lexicon(self.config.anomaly.lexicon, "clean.anomaly"):
                    weights[normalize_text(term, norm)] = weight
                anomaly = _automaton(weights)
            self._state = (clutter, anomaly)
        return self._state

    def priority(self, title: str, text: str) -> tuple[float, list[str]]:
        """(priority, events) from anomaly terms in title and text; 0.0 when there are none."""
        config = self.config.anomaly
        if not (self.config.enabled and config.enabled):
            return 0.0, []
        _, automaton = self.setup()
        total = 0.0
        terms: dict[str, None] = {}
        for field in (title, text):
            for start, _, term, weight in _matches(automaton, field):
                if config.negations and self._negated(field, start, term):
                    continue
                total += weight
                terms[term] = None
        if config.squash == "log1p":
            total = math.log1p(total)
        return round(total, 6), [f"anomaly.{term}" for term in terms]

    def _negated(self, text: str, start: int, term: str) -> bool:
        cues = self.config.anomaly.negations
        if any(term.startswith(cue) for cue in cues):
            return False
        window = text[max(0, start - self.config.anomaly.negation_window) : start]
        window = re.split(r"[，。；！？,;!?\n]", window)[-1]
        return any(cue in window for cue in cues)

    def clean_row(self, title: str, text: str) -> tuple[str, float, str, str, list[str]]:
        """(text, priority, reject reason, reject detail, events) for one document."""
        config = self.config
        events: list[str] = []
        if not config.enabled:
            return text, 0.0, "", "", events
        if config.quality.enabled:
            rejected = quality_reject(text, config.quality)
            if rejected:
                return text, 0.0, rejected[0], rejected[1], events
        clutter, _ = self.setup()
        cleaned, clutter_removed, repeats = text, 0, 0
        if config.clutter.enabled:
            cleaned, clutter_removed = remove_clutter(cleaned, clutter, config.clutter.unit)
            events.extend(["clutter.removed"] * clutter_removed)
        if config.dedup.enabled and config.dedup.sentences:
            cleaned, repeats = merge_repeated_sentences(cleaned, config.dedup.min_sentence_chars)
            events.extend(["dedup.sentence_removed"] * repeats)
        if text.strip() and not cleaned.strip():
            detail = f"nothing left after removing {clutter_removed} clutter and {repeats} repeated sentences"
            return text, 0.0, "empty_after_clean", detail, events
        priority, anomaly_events = self.priority(title, cleaned)
        return cleaned, priority, "", "", events + anomaly_events

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        rows = len(batch["text"])
        if self.config.enabled:
            self.setup()
        titles = batch.get("title") or [""] * rows
        incoming = batch.get("_reject") or [""] * rows
        out = dict(batch)
        texts, priorities, rejects, details = [], [], [], []
        events = [list(e) for e in batch.get("_events") or [[] for _ in range(rows)]]
        old_details = batch.get("_reject_detail") or [""] * rows
        for row in range(rows):
            text = batch["text"][row] or ""
            if incoming[row]:
                texts.append(text)
                priorities.append(0.0)
                rejects.append(incoming[row])
                details.append(old_details[row])
                continue
            text, priority, reason, detail, happened = self.clean_row(titles[row] or "", text)
            texts.append(text)
            priorities.append(priority)
            rejects.append(reason)
            details.append(detail)
            events[row].extend(happened)
        out.update(text=texts, priority=priorities, _reject=rejects, _reject_detail=details, _events=events)
        return out
