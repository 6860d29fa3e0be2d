"""Shared building blocks for recipe sections: strict models and recipe-relative paths."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo

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


class Section(BaseModel):
    """A recipe section: unknown keys are errors, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class StageSection(Section):
    """An optional stage section; every one accepts `enabled: false`."""

    enabled: bool = True


def parse_size(value: str | int | float) -> int:
    """'64MB' -> 64*1024**2; '2e9' -> 2000000000; plain numbers pass through."""
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().upper().replace(" ", "")
    units = {"KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "K": 1000, "M": 1000**2, "G": 1000**3, "B": 1}
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(float(text))
