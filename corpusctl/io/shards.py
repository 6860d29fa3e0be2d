"""Sharded `datasets` folders written atomically."""

from __future__ import annotations

from corpusctl.config import StageSection


class ShardsConfig(StageSection):
    max_shard_size: str | int = "64MB"
