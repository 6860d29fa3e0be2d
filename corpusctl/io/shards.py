"""Sharded `datasets` folders written atomically."""

from __future__ import annotations

from corpusctl.config import Section


class ShardsConfig(Section):
    """A required step: no `enabled` key (it cannot be switched off)."""

    max_shard_size: str | int = "64MB"
