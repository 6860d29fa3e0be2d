"""The ontology's data model: concepts, homonym senses, relation arrays, the `Ontology` index and `fold`.

Constants name the files of an ontology folder and the default categories; reading and checking the
folder is `corpusctl.ontology.loader`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpusctl.config import PROJECT_ROOT

DEFAULT_DIR = PROJECT_ROOT / "ontology"
RELATIONS_FILE = "relations.tsv"
CATEGORIES_FILE = "categories.txt"
GENERAL_FILE = "general.txt"

DEFAULT_CATEGORIES: dict[str, str] = {
    "EQUIPMENT": "machines, vehicles, installations, instruments",
    "COMPONENT": "parts, fittings and safety devices of equipment",
    "HAZARD": "hazardous factors, defects and unsafe conditions",
    "PPE": "personal protective equipment",
    "BEHAVIOR": "acts of people, safe or unsafe",
    "LOCATION": "places, areas and spaces",
    "MATERIAL": "substances and materials",
    "PROCEDURE": "work types, operations, inspections, management measures",
    "PARAMETER": "measured quantities and limits",
    "ACCIDENT": "accident types and occupational diseases",
    "DOCUMENT": "permits, rules, records, signs",
    "ROLE": "people by job or duty",
    "STATE": "operating states of equipment",
}

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(surface: str) -> str:
    """The matching form of a term: NFKC, ASCII lower-cased (text is folded the same way, length-preserving)."""
    return unicodedata.normalize("NFKC", surface).translate(_ASCII_LOWER)


# -- data model -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an ontology folder, located so a person can fix it."""

    file: str
    line: int | None
    id: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.id}: {self.message}" if self.id else f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Sense:
    id: str
    gloss: str
    category: str
    parent: str | None
    cues: tuple[str, ...]
    examples: tuple[str, ...] = ()
    """Natural sentences that use the term in this sense: training contexts for the sense model."""


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    term: str
    synonyms: tuple[str, ...] = ()
    category: str = ""
    parent: str | None = None
    senses: tuple[Sense, ...] = ()
    default_sense: str | None = None
    file: str = ""
    line: int = 0

    @property
    def surfaces(self) -> tuple[str, ...]:
        return (self.term, *self.synonyms)

    @property
    def is_homonym(self) -> bool:
        return bool(self.senses)


@dataclass
class Relations:
    """Knowledge-graph pairs as arrays: `heads`/`tails` index `ids`, `kinds` index `names`."""

    ids: Sequence[str]
    heads: np.ndarray
    kinds: np.ndarray
    tails: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return int(self.heads.shape[0])

    def counts(self) -> dict[str, int]:
        counts = np.bincount(self.kinds, minlength=len(self.names)) if len(self) else [0] * len(self.names)
        return {name: int(n) for name, n in zip(self.names, counts, strict=True) if n}

    def of(self, index: int, relation: str | None = None) -> list[tuple[str, str]]:
        """(relation, tail id) pairs whose head is concept number `index`."""
        mask = self.heads == index
        if relation is not None:
            if relation not in self.names:
                return []
            mask &= self.kinds == self.names.index(relation)
        rows = np.flatnonzero(mask)
        return [(self.names[k], self.ids[t]) for k, t in zip(self.kinds[rows].tolist(), self.tails[rows].tolist(),
                                                               strict=True)]


def _empty_relations(ids: Sequence[str]) -> Relations:
    empty = np.zeros(0, np.int32)
    return Relations(ids, empty, np.zeros(0, np.int16), empty.copy(), [])


class Ontology:
    """Concepts by id (file order), a folded-surface index, ancestor chains and the relation arrays."""

    def __init__(self, concepts: list[Concept], categories: Mapping[str, str], relations: Relations | None = None,
                 root: Path | None = None, general: Sequence[str] = ()):
        self.root = root
        self.general = tuple(general)
        self.concepts = concepts
        self.categories = dict(categories)
        self.by_id = {c.id: c for c in concepts}
        self.index = {c.id: i for i, c in enumerate(concepts)}
        self.relations = relations if relations is not None else _empty_relations([c.id for c in concepts])
        self.surfaces: dict[str, str] = {}
        for concept in concepts:
            for surface in concept.surfaces:
                self.surfaces.setdefault(fold(surface), concept.id)
        self._ancestors: dict[str, tuple[str, ...]] = {}
        self._children: dict[str, list[str]] | None = None

    def children(self, concept_id: str) -> list[str]:
        """Ids of the concepts whose is-a parent is `concept_id`, in file order."""
        if self._children is None:
            self._children = {}
            for concept in self.concepts:
                if concept.parent is not None:
                    self._children.setdefault(concept.parent, []).append(concept.id)
        return self._children.get(concept_id, [])

    def __len__(self) -> int:
        return len(self.concepts)

    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self.by_id

    def get(self, concept_id: str) -> Concept:
        return self.by_id[concept_id]

    def lookup(self, surface: str) -> Concept | None:
        """The concept a term or synonym names (folded, so case and full-width forms agree)."""
        concept_id = self.surfaces.get(fold(surface))
        return None if concept_id is None else self.by_id[concept_id]

    def ancestors(self, concept_id: str) -> tuple[str, ...]:
        """Ids of the is-a parents, nearest first (灭火器 → 便携式消防器材 → 消防器材 → …)."""
        cached = self._ancestors.get(concept_id)
        if cached is not None:
            return cached
        chain: list[str] = []
        seen = {concept_id}
        parent = self.by_id[concept_id].parent
        while parent is not None and parent in self.by_id and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.by_id[parent].parent
        self._ancestors[concept_id] = result = tuple(chain)
        return result

    def sense_ancestors(self, sense: Sense) -> tuple[str, ...]:
        if sense.parent is None or sense.parent not in self.by_id:
            return ()
        return (sense.parent, *self.ancestors(sense.parent))

    @property
    def homonyms(self) -> list[Concept]:
        return [c for c in self.concepts if c.senses]

    def depth(self) -> int:
        """Levels of the deepest is-a chain (a concept and its ancestors)."""
        return max((1 + len(self.ancestors(c.id)) for c in self.concepts), default=0)

