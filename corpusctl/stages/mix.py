"""Mix plan: sample documents per kind to hit the target character shares (issue #5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corpusctl.config import StageSection

PAPER_SHARES = {
    "inspection_report": 0.35,
    "sop": 0.20,
    "maintenance_log": 0.05,
    "encyclopedia": 0.15,
    "news": 0.15,
    "qa": 0.10,
}


class MixConfig(StageSection):
    unit: Literal["chars", "tokens"] = "chars"
    shares: dict[str, float] = Field(default_factory=lambda: dict(PAPER_SHARES))
    target_size: str | int | None = None
    shortage: Literal["shrink", "repeat"] = "shrink"
    max_repeats: int = Field(3, ge=1)
    allow_renormalize: bool = False
