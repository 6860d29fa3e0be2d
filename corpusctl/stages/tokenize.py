"""Vocabulary and tokenization with per-token word/term/POS/sentence metadata."""

from __future__ import annotations

from pydantic import Field

from corpusctl.config import RecipePath, StageSection


class VocabConfig(StageSection):
    path: RecipePath | None = None
    """An existing vocab.txt to use instead of building one from the corpus."""
    size: int = Field(21128, ge=16)
    min_frequency: int = Field(1, ge=1)
