"""Pipeline stages. Each module owns its recipe config and pure functions over batches of columns."""

from __future__ import annotations

import gc
import hashlib
import random
from contextlib import contextmanager


def stable_hash(*keys: object) -> int:
    """A 64-bit hash of the keys that is the same in every process and Python version."""
    digest = hashlib.blake2b("\x1f".join(str(k) for k in keys).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def seeded_rng(seed: int, *keys: object) -> random.Random:
    """A private RNG for one decision: f(seed, keys), independent of workers and batch boundaries."""
    return random.Random(stable_hash(seed, *keys))


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector (as a decorator: while the function runs). A batch function makes
    hundreds of thousands of small objects (tuples, strings) that reference counting frees, and whose
    allocations would start collections walking every object alive again and again: ~15 % of the NER labelling
    stage's CPU (issue 21). Cycles made meanwhile are collected once it runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
