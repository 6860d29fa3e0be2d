"""Masking policy: dynamic ratio, term-level, sentence-level, POS-weighted, 80/10/10 (issue #6)."""

from __future__ import annotations

from pydantic import Field

from corpusctl.config import StageSection


class MaskConfig(StageSection):
    epochs: int = Field(2, ge=0)
    short_words: int = Field(100, ge=1)
    long_words: int = Field(500, ge=1)
    short_ratio: tuple[float, float] = (0.15, 0.25)
    long_ratio: tuple[float, float] = (0.30, 0.50)
    term_share: float = Field(0.7, ge=0, le=1)
    sentence_share: float = Field(0.15, ge=0, le=1)
    replace_mask: float = Field(0.8, ge=0, le=1)
    replace_random: float = Field(0.1, ge=0, le=1)
    pos_weights: dict[str, float] = Field(
        default_factory=lambda: {"NOUN": 3.0, "PROPN": 3.0, "VERB": 2.5, "ADJ": 2.0, "ADV": 1.5}
    )
    default_pos_weight: float = Field(0.5, ge=0)
