"""Formats: title+content pairs and continuous paragraphs (issue #5)."""

from __future__ import annotations

from pydantic import Field

from corpusctl.config import StageSection


class FormatConfig(StageSection):
    title_content_share: float = Field(0.5, ge=0, le=1)
    max_seq_len: int = Field(512, ge=16)
