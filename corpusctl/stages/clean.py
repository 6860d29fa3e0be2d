"""Cleaning: normalization, privacy scrub, quality filters, clutter removal, anomaly priority.

(Issue #3 implements the behaviour; the schema below is the recipe contract.)
"""

from __future__ import annotations

from pydantic import Field

from corpusctl.config import PROJECT_ROOT, RecipePath, Section, StageSection
from corpusctl.stages.dedup import DedupConfig
from corpusctl.stages.pii import PiiConfig


class NormalizeConfig(StageSection):
    nfkc: bool = True
    fullwidth_to_halfwidth: bool = True
    traditional_to_simplified: bool = False
    strip_html: bool = True
    remove_urls: bool = True


class QualityConfig(StageSection):
    min_chars: int = Field(20, ge=0)
    max_chars: int = Field(1_000_000, ge=1)
    min_cjk_share: float = Field(0.3, ge=0, le=1)
    max_symbol_share: float = Field(0.3, ge=0, le=1)
    max_digit_share: float = Field(0.3, ge=0, le=1)
    max_duplicate_line_share: float = Field(0.3, ge=0, le=1)
    repeated_ngram_size: int = Field(10, ge=2)
    max_repeated_ngram_share: float = Field(0.3, ge=0, le=1)
    max_bad_encoding_share: float = Field(0.01, ge=0, le=1)


class ClutterConfig(StageSection):
    lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "clutter.txt"


class AnomalyConfig(StageSection):
    lexicon: RecipePath = PROJECT_ROOT / "lexicons" / "anomaly_terms.txt"


class CleanConfig(StageSection):
    normalize: NormalizeConfig = NormalizeConfig()
    pii: PiiConfig = PiiConfig()
    quality: QualityConfig = QualityConfig()
    clutter: ClutterConfig = ClutterConfig()
    dedup: DedupConfig = DedupConfig()
    anomaly: AnomalyConfig = AnomalyConfig()


_ = Section  # re-exported for stage modules that extend the schema
