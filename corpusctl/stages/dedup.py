"""Redundancy removal: exact and near-duplicate documents, repeated sentences inside a document."""

from __future__ import annotations

from pydantic import Field

from corpusctl.config import StageSection


class DedupConfig(StageSection):
    exact: bool = True
    near: bool = True
    threshold: float = Field(0.8, gt=0, le=1)
    shingle_size: int = Field(5, ge=1)
    num_perm: int = Field(128, ge=16)
    sentences: bool = True
