"""NER export: BMEO (and BIO/BIOES/BMES) files, JSONL, spaCy DocBin, leak-free splits (issue #7)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corpusctl.config import RecipePath, StageSection

Scheme = Literal["BMEO", "BIO", "BIOES", "BMES"]


class NerConfig(StageSection):
    scheme: Scheme = "BMEO"
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    annotations: list[RecipePath] = Field(default_factory=list)
    """Human annotation files (Label Studio JSON, doccano JSONL, CLUENER JSON, CoNLL) that override distant labels."""
