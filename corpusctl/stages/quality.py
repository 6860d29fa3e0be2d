"""Quality filters of the clean stage: which documents are too short, too long or not text worth training on.

Chinese text is measured in characters and shares of characters, never in whitespace-separated words, and
hanzi are letters (Unicode category Lo), never "special characters". Every share is over the non-whitespace
characters of `text`. A row is rejected by the first failing filter, in this order: too_short, too_long,
bad_encoding (first, because mojibake also looks like low CJK share), low_cjk_share, high_symbol_share,
high_digit_share, duplicate_lines, repeated_ngrams. A value exactly at a threshold passes.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from functools import cache

import numpy as np
from pydantic import Field

from corpusctl.config import StageSection
from corpusctl.text.chars import codepoints, no_spaces
from corpusctl.text.ngrams import ngram_hashes


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
