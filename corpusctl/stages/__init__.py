"""Pipeline stages. Each module owns its recipe config and pure functions over batches of columns."""

from __future__ import annotations

import hashlib
import random


def stable_hash(*keys: object) -> int:
    """A 64-bit hash of the keys that is the same in every process and Python version."""
    digest = hashlib.blake2b("\x1f".join(str(k) for k in keys).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def seeded_rng(seed: int, *keys: object) -> random.Random:
    """A private RNG for one decision: f(seed, keys), independent of workers and batch boundaries."""
    return random.Random(stable_hash(seed, *keys))
