"""Reading an ontology folder: parse, check (each problem with file, line and id), load, and its sizes."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpusctl.errors import CorpusctlError
from corpusctl.ontology.model import (
    CATEGORIES_FILE,
    DEFAULT_CATEGORIES,
    DEFAULT_DIR,
    GENERAL_FILE,
    RELATIONS_FILE,
    Concept,
    Ontology,
    Problem,
    Relations,
    Sense,
    _empty_relations,
    fold,
)

_CONCEPT_KEYS = {"id", "term", "synonyms", "category", "parent", "senses", "default_sense", "gloss"}
_SENSE_KEYS = {"id", "gloss", "category", "parent", "cues", "examples"}
_RELATION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_BAD_SURFACE = re.compile(r"[\s\x00-\x1f\x7f]")


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
    examples = _str_list(raw.get("examples", []))
    if examples is None:
        problems.append(Problem(file, line, cid, f"sense {sid}: `examples` must be a list of strings"))
        examples = ()
    if not isinstance(category, str):
        problems.append(Problem(file, line, cid, f"sense {sid}: `category` must be a string"))
        category = ""
    if parent is not None and not isinstance(parent, str):
        problems.append(Problem(file, line, cid, f"sense {sid}: `parent` must be an id or null"))
        parent = None
    return Sense(sid, gloss if isinstance(gloss, str) else "", category, parent or None,
                 tuple(c for c in cues if c), tuple(e for e in examples if e))


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

    from corpusctl.io.columns import int_values, string_array

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
    value_set = string_array(ids)
    heads, tails = (int_values(pc.index_in(table[column], value_set=value_set)).astype(np.int32) for column in ("head", "tail"))
    encoded = table["relation"].combine_chunks().dictionary_encode()
    names = encoded.dictionary.to_pylist()
    kinds = int_values(encoded.indices).astype(np.int16)
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
        if not (sense.cues or sense.gloss or sense.examples):
            problems.append(Problem(*where, f"sense {sense.id!r} has no cues (nor a gloss or examples to tell it by)"))
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
        for example in sense.examples:
            if not any(fold(surface) in fold(example) for surface in concept.surfaces):
                problems.append(Problem(*where, f"sense {sense.id!r}: example {example!r} does not use the term"))
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

