"""Classification splits: stratified, deterministic, leak-free (issue #7)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corpusctl.config import StageSection


class ClassificationConfig(StageSection):
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    label_from: Literal["label_field", "kind"] = "label_field"
    min_count: int = Field(2, ge=1)
    rare: Literal["other", "drop"] = "other"
