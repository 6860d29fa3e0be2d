"""Gold segmentation files, word F1 and agreement between backends (`corpusctl segmenter eval`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from corpusctl.errors import CorpusctlError
from corpusctl.segmenter.backends import merge_user_words
from corpusctl.segmenter.core import Segmenter
from corpusctl.segmenter.pos import PKU_TO_UPOS, Span

# -- gold data, evaluation, agreement ---------------------------------------------------------------------

_TAGGED = re.compile(r"(.+)/([A-Za-z]{1,5})")


def parse_gold_line(line: str) -> list[tuple[str, str | None]]:
    """Words of a gold line (SIGHAN: words separated by whitespace), with their tag when written `word/tag`."""
    out: list[tuple[str, str | None]] = []
    for token in line.split():
        if token.startswith("[") and len(token) > 1:
            token = token[1:]  # People's Daily compound brackets: [中国/ns 政府/n]nt
        token = re.sub(r"\][A-Za-z]+$", "", token)
        match = _TAGGED.fullmatch(token)
        if match and match.group(2) in PKU_TO_UPOS:
            out.append((match.group(1), match.group(2)))
        elif token:
            out.append((token, None))
    return out


def read_gold(path: str | Path) -> list[list[tuple[str, str | None]]]:
    """Non-empty gold sentences of a file; a CorpusctlError when it is missing, not UTF-8 or empty."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusctlError(f"{path}: gold file not found") from None
    except UnicodeDecodeError as exc:
        raise CorpusctlError(f"{path}: gold file is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    sentences = [words for words in map(parse_gold_line, text.lstrip("\ufeff").splitlines()) if words]
    if not sentences:
        raise CorpusctlError(f"{path}: no gold sentences (expected words separated by spaces, one sentence "
                             "per line)")
    return sentences


def word_spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """Character spans of consecutive words, as a set for scoring."""
    spans, cursor = set(), 0
    for word in words:
        spans.add((cursor, cursor + len(word)))
        cursor += len(word)
    return spans


def word_f1(gold: Iterable[Iterable[str]], predicted: Iterable[Iterable[str]]) -> dict:
    """Word-level precision/recall/F1 (SIGHAN scoring): a word counts when both its ends match."""
    hits = n_gold = n_pred = 0
    for g, p in zip(gold, predicted, strict=True):
        gs, ps = word_spans(g), word_spans(p)
        hits += len(gs & ps)
        n_gold += len(gs)
        n_pred += len(ps)
    precision = hits / n_pred if n_pred else 0.0
    recall = hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "gold_words": n_gold, "predicted_words": n_pred}


def evaluate(segmenter: Segmenter, sentences: Sequence[Sequence[tuple[str, str | None]]]) -> dict:
    """Scores a segmenter on gold sentences (as `read_gold` returns them); spaces inside words are dropped."""
    gold = [[word for word, _tag in sentence] for sentence in sentences]
    predicted = [segmenter.words("".join(words)) for words in gold]
    return {"sentences": len(gold), **word_f1(gold, predicted)}


def compare(reference: Sequence[Sequence[Span]], candidate: Sequence[Sequence[Span]]) -> dict:
    """Agreement of two segmentations of the same texts: `identical_share` (texts with identical word
    sequences), `word_f1` (candidate words scored against reference words) and `upos_accuracy` (same UPOS
    on the words both cut alike)."""
    same = same_pos = hits = pos_hits = n_ref = n_cand = 0
    for ref, cand in zip(reference, candidate, strict=True):
        ref_pos = {(s, e): p for s, e, p in ref}
        ref_spans = list(ref_pos)
        cand_spans = [(s, e) for s, e, _ in cand]
        same += ref_spans == cand_spans
        same_pos += list(ref) == list(cand)
        common = [(s, e, p) for s, e, p in cand if (s, e) in ref_pos]
        hits += len(common)
        pos_hits += sum(ref_pos[(s, e)] == p for s, e, p in common)
        n_ref += len(ref_spans)
        n_cand += len(cand_spans)
    precision = hits / n_cand if n_cand else 1.0
    recall = hits / n_ref if n_ref else 1.0
    texts = len(reference)
    return {"texts": texts, "identical_share": round(same / texts, 4) if texts else 1.0,
            "identical_with_pos_share": round(same_pos / texts, 4) if texts else 1.0,
            "word_f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "upos_accuracy": round(pos_hits / hits, 4) if hits else 1.0}


def agreement(texts: Iterable[str], user_words: Iterable[Sequence] = (), pos: bool = True) -> dict:
    """How often rjieba gives jieba's words, with the same user dictionary.

    Plain cut first: `identical_share` (texts whose word sequences are identical) and `word_f1` (rjieba's
    words scored against jieba's). With `pos`, POS mode too, where jieba segments out-of-vocabulary runs
    through its joint word/POS HMM: `pos_identical_share` (same words), `pos_word_f1`, and `upos_accuracy`
    (same UPOS on the words both cut alike).
    """
    texts = [t for t in texts if t and not t.isspace()]
    user_words = merge_user_words(user_words)
    result: dict = {"texts": len(texts), "chars": sum(len(t) for t in texts)}
    for tagged in (False, True) if pos else (False,):
        jieba = Segmenter("jieba", user_words, pos=tagged)
        rjieba = Segmenter("rjieba", user_words, pos=tagged)
        scores = compare([jieba.segment(t) for t in texts], [rjieba.segment(t) for t in texts])
        prefix = "pos_" if tagged else ""
        result[f"{prefix}identical_share"] = scores["identical_share"]
        result[f"{prefix}word_f1"] = scores["word_f1"]
        if tagged:
            result["upos_accuracy"] = scores["upos_accuracy"]
    return result
