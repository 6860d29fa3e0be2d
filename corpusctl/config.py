"""Shared building blocks for recipe sections: strict models and recipe-relative paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, WrapValidator

from corpusctl.io.remote import is_uri

# Shipped data (lexicons/, ontology/) lives beside the package in the repository.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = Path(value).expanduser()
    if not value.is_absolute() and base is not None:
        value = Path(base) / value
    return Path(str(value))  # keep globs intact; no resolve() so '..' stays readable


RecipePath = Annotated[Path, AfterValidator(_resolve)]
"""A path written in a recipe: relative paths are relative to the recipe file."""


def _resolve_source(value, as_path, info: ValidationInfo) -> Path | str:
    return value if is_uri(value) else _resolve(as_path(value), info)


SourcePath = Annotated[Path, WrapValidator(_resolve_source)]
"""A source's path: a local path (a RecipePath) or a URI kept as written (`s3://bucket/prefix/`, io/remote.py)."""


class Section(BaseModel):
    """A recipe section: unknown keys are errors, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class StageSection(Section):
    """An optional stage section; every one accepts `enabled: false`."""

    enabled: bool = True


_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]*)?(?:E[+-]?[0-9]+)?)(TB|GB|MB|KB|K|M|G|B)?$")
_UNITS = {"TB": 1024**4, "GB": 1024**3, "MB": 1024**2, "KB": 1024, "K": 1000, "M": 1000**2, "G": 1000**3, "B": 1}


def parse_size(value: str | int | float) -> int:
    """'64MB' -> 64*1024**2; '2e9' -> 2000000000; plain numbers pass through.

    Strict, so a typo ('64XB', '-1MB') is an error at recipe load instead of a crash hours into a build.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as '64MB', got {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().upper().replace(" ", "").replace("_", "")
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"cannot read size {value!r}; write a number with an optional unit B, KB, MB, GB, TB "
                         "(powers of 1024) or K, M, G (powers of 1000), e.g. '64MB'")
    return int(float(match.group(1)) * _UNITS[match.group(2) or "B"])


def positive_size(value: str | int | float) -> str | int | float:
    """A validator for size keys: readable by parse_size and at least one byte (0 or '-1MB' is a mistake)."""
    if parse_size(value) < 1:
        raise ValueError("size must be at least 1 byte, e.g. '64MB'")
    return value
