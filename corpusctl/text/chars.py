"""Characters as numpy code points, and whitespace, for the stages that measure text in bulk."""

from __future__ import annotations

from functools import cache

import numpy as np


def codepoints(text: str) -> np.ndarray:
    """The text's code points as a uint32 array (one element per character, astral ones included)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def no_spaces(text: str) -> str:
    """The text without any whitespace (str.split is several times faster than a regex here)."""
    return "".join(text.split())


@cache
def _space_table() -> np.ndarray:
    # str.isspace() is true for no code point above U+3000 (the ideographic space)
    return np.array([chr(c).isspace() for c in range(0x3001)] + [False])


def is_space(points: np.ndarray) -> np.ndarray:
    """str.isspace() per code point of a uint32 array (see `codepoints`)."""
    return _space_table()[np.minimum(points, 0x3001)]
