"""Ontology stage: annotate industrial terms, disambiguate homonyms, add hierarchical context (issue #4)."""

from __future__ import annotations

from pydantic import Field

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection


class OntologyConfig(StageSection):
    dir: RecipePath = PROJECT_ROOT / "ontology"
    window: int = Field(20, ge=1)
    """Characters either side of a homonym in which sense cues are looked for."""
    enrich: bool = False
    """Insert the parent category in brackets after a concept's first mention."""
