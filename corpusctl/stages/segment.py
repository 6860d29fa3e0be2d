"""Word segmentation and POS tagging with the industrial lexicon (issue #6)."""

from __future__ import annotations

from typing import Literal

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection


class SegmentConfig(StageSection):
    backend: Literal["jieba", "rjieba", "pkuseg"] = "jieba"
    lexicons: list[RecipePath] = [PROJECT_ROOT / "lexicons" / "industrial_terms.txt"]
    pos: bool = True
    model: RecipePath | None = None
    """pkuseg only: a model folder trained with `corpusctl segmenter train`."""
