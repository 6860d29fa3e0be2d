"""The segmenter's user dictionary: ontology terms and lexicon words, with jieba frequencies and POS."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from corpusctl.ontology.loader import load_ontology
from corpusctl.ontology.model import Ontology

ONTOLOGY_WORD_FREQ = 10_000
"""jieba frequency given to ontology terms in the segmenter's user dictionary (see `segmenter_terms`)."""

CATEGORY_POS = {"BEHAVIOR": "vn", "PROCEDURE": "vn", "STATE": "vn"}
"""jieba POS for ontology terms by category; `n` otherwise."""


def read_lexicons(paths: Iterable[str | Path]) -> list[tuple[str, int | None, str | None]]:
    """`word [freq] [pos]` entries of lexicon files (the one lexicon grammar, so the segmenter agrees)."""
    from corpusctl.lexicons import user_words

    return [entry for path in paths for entry in user_words(path)]


def segmenter_terms(ontology: Ontology | str | Path | None,
                    lexicon_paths: Iterable[str | Path] = ()) -> list[tuple[str, int | None, str | None]]:
    """The segmenter's user dictionary: every ontology term and synonym, then the lexicon entries.

    Ontology words get `ONTOLOGY_WORD_FREQ`, enough for jieba to keep each one whole next to ordinary
    words, small enough that thousands of terms barely move jieba's total; a lexicon's own frequency and
    POS win when it lists the same word.
    """
    entries: dict[str, list] = {}
    if ontology is not None:
        onto = ontology if isinstance(ontology, Ontology) else load_ontology(ontology)
        for concept in onto.concepts:
            pos = CATEGORY_POS.get(concept.category, "n")
            for surface in concept.surfaces:
                entries.setdefault(surface, [surface, ONTOLOGY_WORD_FREQ, pos])
    for word, freq, pos in read_lexicons(lexicon_paths):
        entry = entries.setdefault(word, [word, None, None])
        if freq is not None:
            entry[1] = max(entry[1] or 0, freq)
        if pos:
            entry[2] = pos
    return [(word, freq, pos) for word, freq, pos in entries.values()]

