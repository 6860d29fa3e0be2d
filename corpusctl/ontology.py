"""The industrial ontology: load, validate, stats, term annotation and the segmenter's user dictionary.

Files in an ontology folder (DESIGN.md "Lexicons and ontology"):

- `*.jsonl` — one concept per line: `id`, `term`, `synonyms`, `category` (the NER entity type), `parent`
  (id, the is-a hierarchy). A homonym also has `senses` (`[{id, gloss, category, parent, cues}]`) and
  `default_sense`. A sense's `category` may be `""`: a general-language sense that is not an entity
  (接地 as "touching the ground"). `gloss` is allowed on concepts too.
- `relations.tsv` — `head_id<TAB>relation<TAB>tail_id`, the knowledge-graph pairs; no header, no comments.
  Held as numpy arrays, never as one Python object per pair (the paper's graph has 1.2 million).
- `categories.txt` — optional: `NAME<TAB>description` per line, `#` comments; the allowed categories.
  Without it, `DEFAULT_CATEGORIES`.
- `general.txt` — optional: words of everyday writing, one per line, `#` comments; evidence for the
  general-language senses of every homonym (`corpusctl.senses`).

Matching (`Annotator`) is Aho-Corasick (pyahocorasick) over *all* terms, synonyms and homonym cue words at
once, then a vectorised leftmost-longest selection; homonym senses are picked from the cue matches of the
same pass. pyahocorasick's `iter_long` is not used: it misses matches (pyahocorasick #133, #185). Its trie
finds a node's child by a linear scan, which is slow for Chinese (thousands of distinct first characters
at the root), so every character is matched as two symbols from small alphabets (`_Alphabet`).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpusctl.config import PROJECT_ROOT
from corpusctl.errors import CorpusctlError

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

ONTOLOGY_WORD_FREQ = 10_000
"""jieba frequency given to ontology terms in the segmenter's user dictionary (see `segmenter_terms`)."""

CATEGORY_POS = {"BEHAVIOR": "vn", "PROCEDURE": "vn", "STATE": "vn"}
"""jieba POS for ontology terms by category; `n` otherwise."""

_CONCEPT_KEYS = {"id", "term", "synonyms", "category", "parent", "senses", "default_sense", "gloss"}
_SENSE_KEYS = {"id", "gloss", "category", "parent", "cues"}
_RELATION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_BAD_SURFACE = re.compile(r"[\s\x00-\x1f\x7f]")
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


# -- reading ----------------------------------------------------------------------------------------------


def _concept_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*.jsonl") if p.is_file())


def _read_categories(root: Path) -> tuple[dict[str, str], list[Problem]]:
    path = root / CATEGORIES_FILE
    if not path.exists():
        return dict(DEFAULT_CATEGORIES), []
    categories: dict[str, str] = {}
    problems: list[Problem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, description = text.partition("\t")
        name = name.strip()
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            problems.append(Problem(CATEGORIES_FILE, number, None, f"bad category name {name!r} (want UPPER_CASE)"))
        elif name in categories:
            problems.append(Problem(CATEGORIES_FILE, number, None, f"category {name} listed twice"))
        else:
            categories[name] = description.strip()
    return categories, problems


def _read_general(root: Path) -> tuple[list[str], list[Problem]]:
    """The everyday words of `general.txt` (absent: none)."""
    path = root / GENERAL_FILE
    if not path.exists():
        return [], []
    words: list[str] = []
    problems: list[Problem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        if _BAD_SURFACE.search(word):
            problems.append(Problem(GENERAL_FILE, number, None, f"one word per line, got {word!r}"))
        else:
            words.append(word)
    return list(dict.fromkeys(words)), problems


def _str_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _parse_sense(raw: Any, where: tuple[str, int, str], problems: list[Problem]) -> Sense | None:
    file, line, cid = where
    if not isinstance(raw, dict):
        problems.append(Problem(file, line, cid, "each sense must be an object"))
        return None
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        problems.append(Problem(file, line, cid, "a sense has no `id`"))
        return None
    unknown = sorted(set(raw) - _SENSE_KEYS)
    if unknown:
        problems.append(Problem(file, line, cid, f"sense {sid}: unknown keys {unknown}"))
    cues = _str_list(raw.get("cues", []))
    category, parent, gloss = raw.get("category", ""), raw.get("parent"), raw.get("gloss", "")
    if cues is None:
        problems.append(Problem(file, line, cid, f"sense {sid}: `cues` must be a list of strings"))
        cues = ()
    if not isinstance(category, str):
        problems.append(Problem(file, line, cid, f"sense {sid}: `category` must be a string"))
        category = ""
    if parent is not None and not isinstance(parent, str):
        problems.append(Problem(file, line, cid, f"sense {sid}: `parent` must be an id or null"))
        parent = None
    return Sense(sid, gloss if isinstance(gloss, str) else "", category, parent or None,
                 tuple(c for c in cues if c))


def _parse_concept(raw: Any, file: str, line: int, problems: list[Problem]) -> Concept | None:
    if not isinstance(raw, dict):
        problems.append(Problem(file, line, None, "a line must hold one JSON object"))
        return None
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid.strip():
        problems.append(Problem(file, line, None, "missing or empty `id`"))
        return None
    unknown = sorted(set(raw) - _CONCEPT_KEYS)
    if unknown:
        problems.append(Problem(file, line, cid, f"unknown keys {unknown}"))
    term, category, parent = raw.get("term"), raw.get("category"), raw.get("parent")
    synonyms = _str_list(raw.get("synonyms", []))
    if not isinstance(term, str) or not term:
        problems.append(Problem(file, line, cid, "missing or empty `term`"))
        return None
    if synonyms is None:
        problems.append(Problem(file, line, cid, "`synonyms` must be a list of strings"))
        synonyms = ()
    if not isinstance(category, str):
        problems.append(Problem(file, line, cid, "missing `category`"))
        category = ""
    if parent is not None and not isinstance(parent, str):
        problems.append(Problem(file, line, cid, "`parent` must be an id or null"))
        parent = None
    senses: list[Sense] = []
    raw_senses = raw.get("senses")
    if raw_senses is not None:
        if not isinstance(raw_senses, list):
            problems.append(Problem(file, line, cid, "`senses` must be a list"))
        else:
            senses = [s for s in (_parse_sense(r, (file, line, cid), problems) for r in raw_senses) if s]
    default = raw.get("default_sense")
    return Concept(cid, term, synonyms, category, parent or None, tuple(senses),
                   default if isinstance(default, str) else None, file, line)


def _read_concepts(root: Path) -> tuple[list[Concept], list[Problem]]:
    concepts: list[Concept] = []
    problems: list[Problem] = []
    files = _concept_files(root)
    if not files:
        problems.append(Problem(str(root), None, None, "no *.jsonl concept file in the folder"))
    loads = json.loads
    for path in files:
        name = path.name
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, None, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"))
            continue
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(name, number, None, f"bad JSON: {exc.msg} at column {exc.colno}"))
                continue
            concept = _parse_concept(raw, name, number, problems)
            if concept is not None:
                concepts.append(concept)
    return concepts, problems


def _read_relations(root: Path, ids: Sequence[str]) -> tuple[Relations, list[Problem]]:
    """Fast path with pyarrow (one column at a time, freed as soon as it is turned into indices); on a
    malformed file, a line-by-line pass that names every bad line."""
    path = root / RELATIONS_FILE
    if not path.exists() or path.stat().st_size == 0:
        return _empty_relations(ids), []
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    columns = ["head", "relation", "tail"]
    problems: list[Problem] = []
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=columns),
            parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False,
                                            ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()),
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        lines = np.arange(1, table.num_rows + 1)
    except (pa.ArrowInvalid, UnicodeDecodeError):  # blank or malformed lines: find them one by one
        *values, line_list, problems = _read_relations_slowly(path)
        table = pa.table(dict(zip(columns, (pa.array(v, pa.string()) for v in values), strict=True)))
        lines = np.asarray(line_list, dtype=np.int64)
    value_set = pa.array(list(ids), pa.string())
    heads = pc.fill_null(pc.index_in(table["head"], value_set=value_set), -1).to_numpy().astype(np.int32)
    tails = pc.fill_null(pc.index_in(table["tail"], value_set=value_set), -1).to_numpy().astype(np.int32)
    encoded = table["relation"].combine_chunks().dictionary_encode()
    names = encoded.dictionary.to_pylist()
    kinds = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int16)
    for k, name in enumerate(names):
        if not _RELATION_NAME.match(name):
            line = int(lines[np.argmax(kinds == k)])
            problems.append(Problem(RELATIONS_FILE, line, None, f"bad relation name {name!r} (want snake_case)"))
    for values, column in ((heads, "head"), (tails, "tail")):
        for row in np.flatnonzero(values < 0)[:50].tolist():
            problems.append(Problem(RELATIONS_FILE, int(lines[row]), table[column][row].as_py(),
                                    f"{column} id does not name a concept"))
    del table, encoded
    pa.default_memory_pool().release_unused()
    valid = (heads >= 0) & (tails >= 0)
    keys = (heads.astype(np.int64) * max(len(names), 1) + kinds) * max(len(ids), 1) + tails
    ordered = np.sort(keys)
    if (ordered[1:] == ordered[:-1]).any():  # rare: find the repeated lines
        _, first = np.unique(keys, return_index=True)
        seen = np.zeros(len(keys), dtype=bool)
        seen[first] = True
        for row in np.flatnonzero(~seen & valid)[:50].tolist():
            problems.append(Problem(RELATIONS_FILE, int(lines[row]), ids[heads[row]],
                                    f"duplicate pair {names[kinds[row]]} {ids[tails[row]]}"))
    del keys, ordered
    return Relations(ids, heads[valid], kinds[valid], tails[valid], names), problems


def _read_relations_slowly(path: Path) -> tuple[list[str], list[str], list[str], list[int], list[Problem]]:
    heads: list[str] = []
    names: list[str] = []
    tails: list[str] = []
    lines: list[int] = []
    problems: list[Problem] = []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not all(f.strip() for f in fields):
                problems.append(Problem(RELATIONS_FILE, number, fields[0] or None,
                                        f"expected `head_id<TAB>relation<TAB>tail_id`, got {line[:80]!r}"))
                continue
            heads.append(fields[0])
            names.append(fields[1])
            tails.append(fields[2])
            lines.append(number)
    return heads, names, tails, lines, problems


# -- checks -----------------------------------------------------------------------------------------------


def _check_senses(concept: Concept, categories: Mapping[str, str], ids: Mapping[str, Concept]) -> list[Problem]:
    where = (concept.file, concept.line, concept.id)
    problems: list[Problem] = []
    if len(concept.senses) < 2:
        problems.append(Problem(*where, "a homonym needs at least two senses"))
    sense_ids = [s.id for s in concept.senses]
    for sid, n in Counter(sense_ids).items():
        if n > 1:
            problems.append(Problem(*where, f"sense id {sid!r} used {n} times"))
    if concept.default_sense not in sense_ids:
        problems.append(Problem(*where, f"default_sense {concept.default_sense!r} is not one of the senses "
                                        f"{sense_ids}"))
    term = fold(concept.term)
    owners: list[tuple[str, str]] = []  # (folded cue, sense id)
    for sense in concept.senses:
        if not sense.cues:
            problems.append(Problem(*where, f"sense {sense.id!r} has no cues"))
        if sense.category and sense.category not in categories:
            problems.append(Problem(*where, f"sense {sense.id!r}: unknown category {sense.category!r}"))
        if sense.parent is not None and sense.parent not in ids:
            problems.append(Problem(*where, f"sense {sense.id!r}: parent {sense.parent!r} does not exist"))
        if sense.parent == concept.id:
            problems.append(Problem(*where, f"sense {sense.id!r}: parent is the homonym itself"))
        for cue in sense.cues:
            folded = fold(cue)
            if _BAD_SURFACE.search(cue):
                problems.append(Problem(*where, f"sense {sense.id!r}: cue {cue!r} holds whitespace"))
            elif term in folded:
                problems.append(Problem(*where, f"sense {sense.id!r}: cue {cue!r} contains the term itself"))
            owners.append((folded, sense.id))
    for (cue_a, sense_a), (cue_b, sense_b) in itertools.permutations(owners, 2):
        if sense_a != sense_b and cue_a in cue_b:
            problems.append(Problem(*where, f"cue {cue_a!r} of sense {sense_a!r} also matches inside cue "
                                            f"{cue_b!r} of sense {sense_b!r}"))
    return problems


def _find_cycles(ids: Mapping[str, Concept]) -> list[Problem]:
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    for start in ids:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in ids and node not in state:
            state[node] = 1
            path.append(node)
            node = ids[node].parent
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            anchor = min((ids[i] for i in cycle), key=lambda c: (c.file, c.line))
            problems.append(Problem(anchor.file, anchor.line, anchor.id,
                                    "parent cycle: " + " -> ".join([*cycle, cycle[0]])))
        for visited in path:
            state[visited] = 2
    return problems


def _check_concepts(concepts: list[Concept], categories: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, Concept] = {}
    for concept in concepts:
        first = ids.setdefault(concept.id, concept)
        if first is not concept:
            problems.append(Problem(concept.file, concept.line, concept.id,
                                    f"duplicate id (first at {first.file}:{first.line})"))
    owners: dict[str, Concept] = {}
    allowed = ", ".join(categories)
    for concept in concepts:
        where = (concept.file, concept.line, concept.id)
        if concept.category not in categories:
            problems.append(Problem(*where, f"unknown category {concept.category!r} (allowed: {allowed})"))
        if concept.parent is not None and concept.parent not in ids:
            problems.append(Problem(*where, f"parent {concept.parent!r} does not exist"))
        for surface in dict.fromkeys(concept.surfaces):
            if _BAD_SURFACE.search(surface):
                problems.append(Problem(*where, f"term {surface!r} holds whitespace or a control character"))
                continue
            owner = owners.setdefault(fold(surface), concept)
            if owner.id != concept.id:
                problems.append(Problem(*where, f"term {surface!r} also names {owner.id} ({owner.file}:"
                                                f"{owner.line}); one surface, one concept (or a homonym)"))
        if concept.senses or concept.default_sense is not None:
            problems.extend(_check_senses(concept, categories, ids))
    problems.extend(_find_cycles(ids))
    return problems


def _read_all(directory: str | Path) -> tuple[Path, list[Concept], dict[str, str], Relations, list[Problem],
                                             list[str]]:
    root = Path(directory)
    if not root.is_dir():
        raise CorpusctlError(f"{root}: ontology folder not found")
    categories, problems = _read_categories(root)
    general, more = _read_general(root)
    problems += more
    concepts, more = _read_concepts(root)
    problems += more
    problems += _check_concepts(concepts, categories)
    first: dict[str, Concept] = {}
    for concept in concepts:
        first.setdefault(concept.id, concept)
    unique = list(first.values())
    relations, more = _read_relations(root, list(first))
    problems += more
    return root, unique, categories, relations, problems, general


def validate_ontology(directory: str | Path = DEFAULT_DIR) -> list[Problem]:
    """Everything wrong with an ontology folder; each problem names the file, line and id."""
    return _read_all(directory)[4]


def load_ontology(directory: str | Path = DEFAULT_DIR) -> Ontology:
    """Reads and checks an ontology folder; a folder with problems is an error (see `validate_ontology`)."""
    root, concepts, categories, relations, problems, general = _read_all(directory)
    if problems:
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CorpusctlError(f"{root}: invalid ontology ({len(problems)} problems; run "
                             f"`corpusctl ontology validate {root}`)\n{shown}{more}")
    return Ontology(concepts, categories, relations, root, general)


def ontology_stats(source: Ontology | str | Path = DEFAULT_DIR) -> dict:
    """Sizes of an ontology: concepts, terms, synonyms, categories, homonyms, relations, hierarchy depth."""
    ontology = source if isinstance(source, Ontology) else load_ontology(source)
    categories = Counter(c.category for c in ontology.concepts)
    homonyms = ontology.homonyms
    return {
        "concepts": len(ontology),
        "terms": len(ontology.surfaces),
        "synonyms": sum(len(c.synonyms) for c in ontology.concepts),
        "categories": dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        "homonyms": len(homonyms),
        "senses": sum(len(c.senses) for c in homonyms),
        "cues": sum(len(s.cues) for c in homonyms for s in c.senses),
        "relations": len(ontology.relations),
        "relation_types": dict(sorted(ontology.relations.counts().items(), key=lambda kv: (-kv[1], kv[0]))),
        "depth": ontology.depth(),
        "roots": sum(1 for c in ontology.concepts if c.parent is None),
    }


# -- lexicons and the segmenter's user dictionary ---------------------------------------------------------


def read_lexicons(paths: Iterable[str | Path]) -> list[tuple[str, int | None, str | None]]:
    """`word [freq] [pos]` entries of lexicon files (the segmenter's reader, so both agree on the format)."""
    from corpusctl.lexicons import user_words

    return [entry for path in paths for entry in user_words(path)]


def segmenter_terms(ontology: Ontology | str | Path | None,
                    lexicon_paths: Iterable[str | Path] = ()) -> list[tuple[str, int | None, str | None]]:
    """The segmenter's user dictionary: every ontology term and synonym, then the lexicon entries.

    Ontology words get `ONTOLOGY_WORD_FREQ`, enough for jieba to keep each one whole next to ordinary
    words, small enough that thousands of terms barely move jieba's total; a lexicon's own frequency and
    POS win when it lists the same word.
    """
    entries: dict[str, list] = {}
    if ontology is not None:
        onto = ontology if isinstance(ontology, Ontology) else load_ontology(ontology)
        for concept in onto.concepts:
            pos = CATEGORY_POS.get(concept.category, "n")
            for surface in concept.surfaces:
                entries.setdefault(surface, [surface, ONTOLOGY_WORD_FREQ, pos])
    for word, freq, pos in read_lexicons(lexicon_paths):
        entry = entries.setdefault(word, [word, None, None])
        if freq is not None:
            entry[1] = max(entry[1] or 0, freq)
        if pos:
            entry[2] = pos
    return [(word, freq, pos) for word, freq, pos in entries.values()]


# -- annotation -------------------------------------------------------------------------------------------

_SYMBOL_BASE = 0x4E00


class _Alphabet:
    """Writes text as two symbols per character for the automaton, folding case and width on the way.

    Characters are numbered by frequency in the patterns (1, 2, …; 0 = in no pattern) and code `c` becomes
    `(c % width, c // width)` from two disjoint symbol ranges, so a pattern can only match at a character
    boundary and every trie node has at most `width` (first symbol) or a few hundred (second symbol)
    children, frequent characters first. Unknown characters get a first symbol no pattern uses.
    """

    def __init__(self, patterns: Iterable[str], width: int = 16):
        freq = Counter(itertools.chain.from_iterable(patterns))
        chars = sorted(freq, key=lambda ch: (-freq[ch], ch))
        self.width = width
        table = np.zeros(0x110000, dtype=np.uint32)
        if chars:
            table[np.fromiter(map(ord, chars), np.int64, len(chars))] = np.arange(1, len(chars) + 1)
        for upper in range(ord("A"), ord("Z") + 1):
            table[upper] = table[upper + 32]
        for wide in range(0xFF01, 0xFF5F):  # full-width ASCII folds like its half-width form
            table[wide] = table[ord(fold(chr(wide)))]
        self.table = table
        # the two symbols of every code point, looked up rather than computed per character
        self.low = np.where(table > 0, _SYMBOL_BASE + table % width, _SYMBOL_BASE + width).astype("<u4")
        self.high = (_SYMBOL_BASE + width + 1 + table // width).astype("<u4")

    def encode(self, text: str, points: np.ndarray | None = None) -> str:
        """The symbols of `text` (whose code points, `points`, may be given)."""
        if points is None:
            points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        symbols = np.empty(2 * len(points), dtype="<u4")
        symbols[0::2] = self.low[points]
        symbols[1::2] = self.high[points]
        return symbols.tobytes().decode("utf-32-le")


def _leftmost_longest(starts: np.ndarray, ends: np.ndarray, entries: np.ndarray):
    """Non-overlapping matches: from left to right, the longest match at the leftmost free position.

    Vectorised: a match no earlier match reaches into is always kept, a match inside one of those is
    dropped; only what is left of runs of overlapping matches is walked in Python.
    """
    if len(starts) == 0:
        return starts, ends, entries
    lengths = ends - starts
    longest = int(lengths.max()) + 1
    order = np.argsort(starts * longest + (longest - 1 - lengths), kind="stable")  # by start, longest first
    ordered = starts[order]
    head = np.ones(len(order), dtype=bool)  # the longest match at each start
    np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
    order = order[head]
    starts, ends, entries = starts[order], ends[order], entries[order]
    reach = np.maximum.accumulate(ends)
    free = np.ones(len(starts), dtype=bool)
    np.greater_equal(starts[1:], reach[:-1], out=free[1:])
    if free.all():
        return starts, ends, entries
    keep = free.copy()
    free_reach = np.maximum.accumulate(np.where(free, ends, 0))
    open_ = np.flatnonzero(~free & (starts >= free_reach))  # the rest lie inside a kept match
    last = 0
    for i, start, end in zip(open_.tolist(), starts[open_].tolist(), ends[open_].tolist(), strict=True):
        if start >= last:
            keep[i] = True
            last = end
    return starts[keep], ends[keep], entries[keep]


@dataclass(frozen=True)
class Matches:
    """Term occurrences in one text as arrays: `senses` is a global sense number (-1: not a homonym, or a
    homonym whose context did not decide); `resolved` is False only for a homonym that abstained."""

    starts: np.ndarray
    ends: np.ndarray
    entries: np.ndarray
    senses: np.ndarray
    resolved: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class _Homonyms:
    """Sense tables: global sense g has `names[g]`, `categories[g]`, `parents[g]` (ancestor ids); homonym h
    owns the senses `first[h]` … `first[h] + count[h] - 1`."""

    names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    parents: list[tuple[str, ...]] = field(default_factory=list)
    default: list[int] = field(default_factory=list)  # per homonym: its default sense
    first: list[int] = field(default_factory=list)
    count: list[int] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """Evidence rows for homonym occurrences: occurrence number, global sense, weight (after distance
    decay), pattern number (for a `char` row: -1 - the character's code point), distance in characters
    and kind (index into `senses.KINDS`)."""

    occurrence: np.ndarray
    sense: np.ndarray
    weight: np.ndarray
    pattern: np.ndarray
    distance: np.ndarray
    kind: np.ndarray


@functools.cache
def _sentence_end_table() -> np.ndarray:
    """True at the code points of `senses.SENTENCE_END`."""
    from corpusctl.senses import SENTENCE_END

    table = np.zeros(0x110000, dtype=bool)
    table[[ord(c) for c in SENTENCE_END]] = True
    return table


def _sentence_bounds(text: str, points: np.ndarray) -> np.ndarray:
    """Positions of sentence-ending characters in `text` (its code points `points`)."""
    return np.flatnonzero(_sentence_end_table()[points])


class Annotator:
    """Marks ontology terms (and extra lexicon words) in text: leftmost-longest, non-overlapping spans.

    A homonym's sense is chosen from the words within `window` characters either side of it, in the same
    sentence (`corpusctl.senses`: cue words, gloss words, terms near the sense in the ontology, other
    entity terms); when the evidence is too weak or too even the occurrence abstains: no sense, no
    category. Lexicon words that the ontology lacks become spans with `concept_id = "lex:<word>"` and
    category "". Text is matched in folded form (case, full width); offsets are into the text as given.
    """

    def __init__(self, ontology: Ontology | None = None, lexicon: Iterable[str] = (), window: int = 20,
                 min_score: float | None = None, min_margin: float | None = None):
        import ahocorasick

        from corpusctl import senses as sense_model

        self.ontology = ontology
        self.window = int(window)
        self.min_score = sense_model.MIN_SCORE if min_score is None else float(min_score)
        self.min_margin = sense_model.MIN_MARGIN if min_margin is None else float(min_margin)
        concepts = ontology.concepts if ontology is not None else []
        self.entry_ids = [c.id for c in concepts]
        self.entry_terms = [c.term for c in concepts]
        self.entry_categories = [c.category for c in concepts]
        entry_hom: list[int] = [-1] * len(concepts)
        patterns: dict[str, int] = {}
        pat_entry: list[int] = []
        homs = _Homonyms()

        def pattern(surface: str) -> int:
            key = fold(surface)
            index = patterns.get(key)
            if index is None:
                index = patterns[key] = len(pat_entry)
                pat_entry.append(-1)
            return index

        for number, concept in enumerate(concepts):
            for surface in concept.surfaces:
                p = pattern(surface)
                if pat_entry[p] < 0:
                    pat_entry[p] = number
            if concept.senses:
                h = entry_hom[number] = len(homs.default)
                homs.default.append(-1)
                homs.first.append(len(homs.names))
                homs.count.append(len(concept.senses))
                homs.concepts.append(concept)
                for sense in concept.senses:
                    g = len(homs.names)
                    if sense.id == concept.default_sense or homs.default[h] < 0:
                        homs.default[h] = g
                    homs.names.append(sense.id)
                    homs.categories.append(sense.category)
                    homs.parents.append(ontology.sense_ancestors(sense) if ontology is not None else ())
        for word in lexicon:
            p = pattern(word)
            if pat_entry[p] < 0:
                pat_entry[p] = len(self.entry_ids)
                self.entry_ids.append(f"lex:{word}")
                self.entry_terms.append(word)
                self.entry_categories.append("")
                entry_hom.append(-1)
        n_terms = len(pat_entry)
        profiles = sense_model.build_profiles(
            ontology, [(h, c, list(range(homs.first[h], homs.first[h] + homs.count[h])))
                       for h, c in enumerate(homs.concepts)])
        rows = [(h, pattern(surface), g, w, k) for h, surface, g, w, k in profiles.rows]

        self._homonyms = homs
        self._entry_hom = np.asarray(entry_hom, dtype=np.int64)
        self._hom_default = np.asarray(homs.default, dtype=np.int64)
        self._hom_first = np.asarray(homs.first, dtype=np.int64)
        self._hom_count = np.asarray(homs.count, dtype=np.int64)
        self._sense_entity = np.asarray([bool(c) for c in homs.categories], dtype=bool)
        self._pat_entry = np.asarray(pat_entry, dtype=np.int64)
        self._pat_len = np.fromiter(map(len, patterns), np.int64, len(patterns))
        self._n_patterns = max(len(patterns), 1)
        # evidence for one homonym's senses, looked up by key = homonym * patterns + pattern (sorted)
        keys = np.asarray([h * self._n_patterns + p for h, p, *_ in rows], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self._ev_keys = keys[order]
        self._ev_sense = np.asarray([r[2] for r in rows], dtype=np.int64)[order]
        self._ev_weight = np.asarray([r[3] for r in rows], dtype=np.float64)[order]
        self._ev_kind = np.asarray([r[4] for r in rows], dtype=np.int64)[order]
        # other entity terms (not homonyms, not lexicon words) are domain evidence
        domain = np.zeros(len(patterns), dtype=bool)
        if n_terms:
            entries = self._pat_entry[:n_terms]
            known = entries >= 0
            ent = np.zeros(n_terms, dtype=bool)
            safe = np.where(known, entries, 0)
            cat_ok = np.asarray([bool(c) for c in self.entry_categories], dtype=bool)
            ent[known] = cat_ok[safe[known]] & (self._entry_hom[safe[known]] < 0)
            domain[:n_terms] = ent
        self._pat_domain = domain
        self._pat_evidence = domain.copy()
        chars = sorted({c for _, c, _ in profiles.chars})
        self._char_codes = np.asarray([ord(c) for c in chars], dtype=np.int64)
        # senses × characters, and a last row and column of zeros (for `_char_scores`)
        self._char_weight = np.zeros((len(homs.names) + 1, len(chars) + 1), dtype=np.float64)
        self._char_column = np.full(0x110000, -1, dtype=np.int32)  # code point -> column of `_char_weight`
        self._char_column[self._char_codes] = np.arange(len(chars), dtype=np.int32)
        if chars:
            column = {c: i for i, c in enumerate(chars)}
            g_rows = np.asarray([g for g, _, _ in profiles.chars], dtype=np.int64)
            c_cols = np.asarray([column[c] for _, c, _ in profiles.chars], dtype=np.int64)
            self._char_weight[g_rows, c_cols] = [w for _, _, w in profiles.chars]
        # each distinct key once, with its first row and number of rows; and the patterns in any profile
        self._ev_unique, self._ev_first, self._ev_count = np.unique(self._ev_keys, return_index=True,
                                                                    return_counts=True)
        self._pat_profile = np.zeros(len(patterns), dtype=bool)
        self._pat_profile[self._ev_unique % self._n_patterns] = True
        self._pat_evidence |= self._pat_profile

        self._alphabet = _Alphabet(patterns)
        self._patterns = list(patterns)
        self._automaton = None
        if patterns:
            surfaces = list(patterns)
            encoded = self._alphabet.encode("".join(surfaces))
            bounds = list(itertools.accumulate((2 * len(s) for s in surfaces), initial=0))
            words = [encoded[a:b] for a, b in itertools.pairwise(bounds)]
            automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
            for index in sorted(range(len(words)), key=words.__getitem__):  # children in symbol order
                automaton.add_word(words[index], index)
            automaton.make_automaton()
            self._automaton = automaton

    @classmethod
    def from_paths(cls, ontology_dir: str | Path | None = DEFAULT_DIR, lexicon_paths: Iterable[str | Path] = (),
                   window: int = 20) -> Annotator:
        ontology = load_ontology(ontology_dir) if ontology_dir is not None else None
        return cls(ontology, [word for word, _freq, _pos in read_lexicons(lexicon_paths)], window)

    # -- matching --

    def _scan(self, text: str, points: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pattern occurrence (overlapping): start, end (exclusive) and pattern number (`points`: the
        code points of `text`, if already at hand)."""
        if self._automaton is None or not text:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        found = self._automaton.iter(self._alphabet.encode(text, points))
        flat = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64)
        patterns = flat[1::2]
        ends = (flat[0::2] + 1) // 2  # the last symbol of character i is 2i + 1
        return ends - self._pat_len[patterns], ends, patterns

    def _find(self, texts: Sequence[str]) -> tuple:
        """Everything the matching and the explanation share: the term spans, the homonym occurrences among
        them with their windows, and the evidence pattern occurrences."""
        texts = list(texts)
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        doc_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
        doc_ends = doc_starts + lengths
        joined = "\x00".join(texts)
        points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        starts, ends, patterns = self._scan(joined, points)
        entries = self._pat_entry[patterns]
        is_term = entries >= 0
        s, e, x = _leftmost_longest(starts[is_term], ends[is_term], entries[is_term])
        hom = self._entry_hom[x] if len(x) else np.zeros(0, dtype=np.int64)
        on = np.flatnonzero(hom >= 0)
        window = None
        if len(on):
            hs, he = s[on], e[on]
            doc = np.searchsorted(doc_starts, hs, side="right") - 1
            stops = _sentence_bounds(joined, points)
            before = np.searchsorted(stops, hs, side="left") - 1
            prev_stop = np.where(before >= 0, stops[np.maximum(before, 0)] + 1 if len(stops) else 0, 0)
            after = np.searchsorted(stops, he, side="left")
            next_stop = np.where(after < len(stops), stops[np.minimum(after, len(stops) - 1)] if len(stops) else 0,
                                 np.iinfo(np.int64).max)
            lo = np.maximum.reduce([hs - self.window, doc_starts[doc], prev_stop])
            hi = np.minimum.reduce([he + self.window, doc_ends[doc], next_stop])
            useful = self._pat_evidence[patterns]
            window = (hs, he, hom[on], lo, hi, starts[useful], ends[useful], patterns[useful], points)
        return texts, doc_starts, s, e, x, on, window

    def match_many(self, texts: Sequence[str]) -> list[Matches]:
        """Matches for each text, found in one pass over all of them (texts never share a match or a cue)."""
        if not len(texts):
            return []
        texts, doc_starts, s, e, x, on, window = self._find(texts)
        senses = np.full(len(s), -1, dtype=np.int64)
        resolved = np.ones(len(s), dtype=bool)
        if window is not None:
            senses[on], resolved[on] = self._resolve(window)
        bounds = np.searchsorted(s, doc_starts).tolist() + [len(s)]
        offset = np.repeat(doc_starts, np.diff(bounds))  # offsets into each match's own text
        s, e = s - offset, e - offset
        return [Matches(s[a:b], e[a:b], x[a:b], senses[a:b], resolved[a:b]) for a, b in itertools.pairwise(bounds)]

    def match(self, text: str) -> Matches:
        return self.match_many([text])[0]

    def _evidence(self, window: tuple, chars: bool = True) -> Evidence:
        """Evidence rows for the homonym occurrences of `window` (see `_find`); `chars=False` leaves out the
        `char` rows (`_char_scores` sums those without listing them)."""
        hs, he, hh, lo, hi, cs, ce, cp, _ = window
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
        nothing = Evidence(empty_i, empty_i, empty_f, empty_i, empty_i, empty_i)
        parts = [self._char_evidence(window) if chars else (empty_i, empty_i, empty_f, empty_i, empty_i, empty_i)]
        if len(cs) == 0:
            return Evidence(*parts[0])
        order = np.argsort(cs, kind="stable")
        cs, ce, cp = cs[order], ce[order], cp[order]
        first = np.searchsorted(cs, lo, side="left")
        counts = np.searchsorted(cs, hi, side="left") - first
        total = int(counts.sum())
        if total == 0:
            return Evidence(*parts[0]) if len(parts[0][0]) else nothing
        owner = np.repeat(np.arange(len(hs)), counts)
        pick = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(first, counts)
        c_start, c_end, c_pat = cs[pick], ce[pick], cp[pick]
        ok = (c_end <= hi[owner]) & ((c_end <= hs[owner]) | (c_start >= he[owner]))
        owner, c_start, c_end, c_pat = owner[ok], c_start[ok], c_end[ok], c_pat[ok]
        distance = np.where(c_end <= hs[owner], hs[owner] - c_end, c_start - he[owner])
        from corpusctl.senses import KINDS, decay

        scale = decay(distance)
        # the profile words of the homonym's senses (only patterns in some profile are looked up)
        candidate = np.flatnonzero(self._pat_profile[c_pat])
        key = hh[owner[candidate]] * self._n_patterns + c_pat[candidate]
        j = np.minimum(np.searchsorted(self._ev_unique, key), max(len(self._ev_unique) - 1, 0))
        hit = self._ev_unique[j] == key if len(self._ev_unique) else np.zeros(len(key), dtype=bool)
        candidate, a, n = candidate[hit], self._ev_first[j[hit]], self._ev_count[j[hit]]
        row = np.repeat(candidate, n)
        idx = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(a, n)
        parts.append((owner[row], self._ev_sense[idx], self._ev_weight[idx] * scale[row], c_pat[row],
                      distance[row], self._ev_kind[idx]))
        # other entity terms: domain evidence for each sense of the homonym that is an entity
        dom = np.flatnonzero(self._pat_domain[c_pat])
        if len(dom):
            k = self._hom_count[hh[owner[dom]]]
            row = np.repeat(dom, k)
            g = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + np.repeat(self._hom_first[hh[owner[dom]]], k)
            keep = self._sense_entity[g]
            row, g = row[keep], g[keep]
            from corpusctl.senses import WEIGHTS

            parts.append((owner[row], g, WEIGHTS["domain"] * scale[row], c_pat[row], distance[row],
                          np.full(len(row), KINDS.index("domain"), np.int64)))
        return Evidence(*(np.concatenate([p[i] for p in parts]) for i in range(6)))

    def _char_evidence(self, window: tuple) -> tuple:
        """`char` rows: each character of the window (outside the homonym) with its log-odds per sense."""
        from corpusctl.senses import KINDS, WEIGHTS, decay

        hh = window[2]
        owner, column, distance, code = self._char_positions(window)
        k = self._hom_count[hh[owner]]
        row = np.repeat(np.arange(len(owner)), k)
        g = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + np.repeat(self._hom_first[hh[owner]], k)
        distance = distance[row]
        weight = self._char_weight[g, column[row]] * WEIGHTS["char"] * decay(distance)
        keep = weight != 0
        return (owner[row][keep], g[keep], weight[keep], -1 - code[row][keep], distance[keep],
                np.full(int(keep.sum()), KINDS.index("char"), np.int64))

    def _char_positions(self, window: tuple) -> tuple:
        """(occurrence, column, distance, code point) of each character in the windows that has a log-odds."""
        from corpusctl.senses import CHAR_REACH

        hs, he, hh, lo, hi, *_, points = window
        lo, hi = np.maximum(lo, hs - CHAR_REACH), np.minimum(hi, he + CHAR_REACH)
        counts = np.maximum(hi - lo, 0)
        total = int(counts.sum())
        if total == 0 or len(self._char_codes) == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty
        owner = np.repeat(np.arange(len(hs)), counts)
        pos = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
        outside = (pos < hs[owner]) | (pos >= he[owner])
        owner, pos = owner[outside], pos[outside]
        code = points[pos].astype(np.int64)
        column = self._char_column[code].astype(np.int64)
        known = column >= 0
        owner, pos, code, column = owner[known], pos[known], code[known], column[known]
        distance = np.where(pos < hs[owner], hs[owner] - pos - 1, pos - he[owner])
        return owner, column, distance, code

    def _char_scores(self, window: tuple) -> np.ndarray:
        """The `char` evidence summed per occurrence and local sense (what `_char_evidence` lists row by row).

        The characters within `CHAR_REACH` of an occurrence sit at fixed offsets, so they are read as an
        offsets × occurrences matrix and added offset by offset, left to right (the order `_char_evidence`
        lists them in, so the sums are the same to the last bit)."""
        from corpusctl.senses import CHAR_REACH, WEIGHTS, decay

        hs, he, hh, lo, hi, *_, points = window
        width = int(self._hom_count.max(initial=1))
        scores = np.zeros((len(hh), width), dtype=np.float64)
        if len(hh) == 0 or len(self._char_codes) == 0:
            return scores
        reach = np.arange(CHAR_REACH)
        offsets = np.concatenate([-1 - reach[::-1], reach])[:, None]  # left of the homonym, farthest first
        left = offsets < 0
        pos = np.where(left, hs, he) + offsets
        column = self._char_column[points[np.clip(pos, 0, len(points) - 1)]]
        inside = np.where(left, pos >= lo, pos < hi) & (column >= 0)
        column = np.where(inside, column, len(self._char_codes))  # the zero column
        scale = (decay(np.concatenate([reach[::-1], reach])) * WEIGHTS["char"])[:, None]
        first, count = self._hom_first[hh], self._hom_count[hh]
        weights, columns = self._char_weight.ravel(), self._char_weight.shape[1]
        for local in range(width):
            row = np.where(count > local, first + local, len(self._char_weight) - 1)  # the zero row
            weight = weights[row * columns + column] * scale
            total = np.zeros(len(hh), dtype=np.float64)
            for at_offset in weight:
                total += at_offset
            scores[:, local] += total
        return scores

    def _scores(self, window: tuple, evidence: Evidence) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences × local senses score matrix, and the mask of senses each homonym has."""
        hh = window[2]
        width = int(self._hom_count.max(initial=1))
        scores = np.zeros((len(hh), width), dtype=np.float64)
        if len(evidence.occurrence):
            local = evidence.sense - self._hom_first[hh[evidence.occurrence]]
            flat = np.bincount(evidence.occurrence * width + local, weights=evidence.weight, minlength=len(hh) * width)
            scores += flat.reshape(len(hh), width)
        valid = np.arange(width)[None, :] < self._hom_count[hh][:, None]
        return scores, valid

    def _resolve(self, window: tuple) -> tuple[np.ndarray, np.ndarray]:
        """(global sense or -1, decided) per homonym occurrence of `window`."""
        from corpusctl.senses import decide

        scores, valid = self._scores(window, self._evidence(window, chars=False))
        scores += self._char_scores(window)
        choice, _ = decide(scores, valid, self.min_score, self.min_margin)
        decided = choice >= 0
        senses = np.where(decided, self._hom_first[window[2]] + np.maximum(choice, 0), -1)
        return senses.astype(np.int64), decided

    # -- output --

    def _category(self, entry: int, sense: int) -> str:
        if sense >= 0:
            return self._homonyms.categories[sense]
        return "" if self.is_homonym(entry) else self.entry_categories[entry]

    def is_homonym(self, entry: int) -> bool:
        return bool(self._entry_hom[entry] >= 0) if entry < len(self._entry_hom) else False

    def spans(self, matches: Matches) -> list[dict]:
        """The pipeline's span records: {start, end, concept_id, category, sense}; an abstaining homonym has
        neither category nor sense."""
        ids, names = self.entry_ids, self._homonyms.names
        out = []
        for start, end, x, g in zip(matches.starts.tolist(), matches.ends.tolist(), matches.entries.tolist(),
                                    matches.senses.tolist(), strict=True):
            out.append({"start": start, "end": end, "concept_id": ids[x], "category": self._category(x, g),
                        "sense": names[g] if g >= 0 else ""})
        return out

    def spans_many(self, texts: Sequence[str]) -> list[list[dict]]:
        return [self.spans(m) for m in self.match_many(texts)]

    def parents(self, entry: int, sense: int = -1) -> tuple[str, ...]:
        """Ancestor ids of a match, nearest first (a homonym's come from its chosen sense; none if it abstained)."""
        if sense >= 0:
            return self._homonyms.parents[sense]
        if self.ontology is None or entry >= len(self.ontology.concepts) or self.is_homonym(entry):
            return ()
        return self.ontology.ancestors(self.entry_ids[entry])

    def sense_name(self, sense: int) -> str:
        return self._homonyms.names[sense] if sense >= 0 else ""

    def sense_category(self, sense: int) -> str:
        return self._homonyms.categories[sense] if sense >= 0 else ""

    def annotate(self, text: str) -> list[dict]:
        """Full records for people and the CLI: the pipeline's fields plus `text`, `term`, `resolved`
        (False: a homonym that abstained), `parents` (ids, nearest first) and `parent_terms`."""
        matches = self.match(text)
        by_id = self.ontology.by_id if self.ontology is not None else {}
        out = []
        for span, x, g, ok in zip(self.spans(matches), matches.entries.tolist(), matches.senses.tolist(),
                                  matches.resolved.tolist(), strict=True):
            parents = list(self.parents(x, g))
            out.append({**span, "text": text[span["start"]:span["end"]], "term": self.entry_terms[x],
                        "resolved": ok, "parents": parents, "parent_terms": [by_id[p].term for p in parents]})
        return out

    def _word(self, pattern: int) -> str:
        return self._patterns[pattern] if pattern >= 0 else chr(-1 - pattern)

    def explain(self, text: str) -> list[dict]:
        """Per homonym occurrence in `text`: the sense chosen (or "" when it abstained), and per sense its
        score and the evidence words (`word`, `kind`, `distance`, `weight`) that made it, strongest first."""
        from corpusctl.senses import KINDS, decide

        _, _, s, e, x, on, window = self._find([text])
        if window is None:
            return []
        evidence = self._evidence(window)
        scores, valid = self._scores(window, evidence)
        choice, margin = decide(scores, valid, self.min_score, self.min_margin)
        homs = self._homonyms
        out = []
        for i, span in enumerate(on.tolist()):
            h = int(window[2][i])
            first = homs.first[h]
            senses = []
            for local in range(homs.count[h]):
                g = first + local
                rows = np.flatnonzero((evidence.occurrence == i) & (evidence.sense == g))
                rows = rows[np.argsort(-evidence.weight[rows], kind="stable")]
                senses.append({
                    "sense": homs.names[g], "category": homs.categories[g], "default": g == homs.default[h],
                    "score": round(float(scores[i, local]), 3),
                    "evidence": [{"word": self._word(int(evidence.pattern[r])),
                                  "kind": KINDS[int(evidence.kind[r])], "distance": int(evidence.distance[r]),
                                  "weight": round(float(evidence.weight[r]), 3)} for r in rows.tolist()],
                })
            chosen = int(choice[i])
            out.append({"start": int(s[span]), "end": int(e[span]), "text": text[int(s[span]):int(e[span])],
                        "concept_id": self.entry_ids[int(x[span])],
                        "sense": homs.names[first + chosen] if chosen >= 0 else "",
                        "margin": round(float(margin[i]), 3), "senses": senses})
        return out
