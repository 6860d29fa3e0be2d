"""Bring your own ontology: turn a term table (CSV, TSV or Excel `.xlsx`) or a SKOS thesaurus (Turtle, RDF/XML)
into an ontology folder.

A term table has a header and one concept per row: `term` (required), `synonyms` (separated by `;`, `|`
or `、`), `category` (an NER type), `parent` (the parent's term or id), and optionally `id` and `gloss`.
An Excel workbook is read from its first sheet (or `--sheet`); its problems name the sheet row.

Homonyms: rows that share a `term` and fill the `sense` column are the senses of one homonym (`h:<term>`):
each row gives its sense's `gloss`, `category` (may be empty: a general-language sense, not an entity),
`parent`, `cues` (context words, separated like synonyms) and `examples` (sentences using the term in
that sense, separated by `|`); the row marked in a `default` column (1, yes, true, x) — else the first —
is the default sense. In SKOS, concepts that share a `prefLabel` become the senses of one homonym: the
gloss from `skos:definition`/`scopeNote`, cues from the labels of their broader, narrower and related
concepts, examples from `skos:example`.
An optional relations table (`head,relation,tail`, terms or ids) adds knowledge-graph pairs; it is read
with pyarrow, so a million pairs take seconds.

SKOS: every `skos:Concept` becomes a concept: `prefLabel` in the chosen language is the term, `altLabel`s
are synonyms, the first `broader` is the parent (`is_a`), further `broader`s and `related` become
relations. SKOS has no NER type: concepts take `--category`, or the category mapped to their nearest
ancestor's label (`--map 消防器材=EQUIPMENT`).

Every problem names its line (for RDF: the line where the concept's IRI first appears). A synonym that
another concept already uses is dropped with a warning (thesauri often share entry terms); a term that
two concepts claim is an error. The folder written is checked with `validate_ontology`.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from corpusctl.errors import CorpusctlError
from corpusctl.ontology import CATEGORIES_FILE, DEFAULT_CATEGORIES, RELATIONS_FILE, Problem, fold

CONCEPTS_FILE = "concepts.jsonl"
SYNONYM_SPLIT = re.compile(r"[;|、；]")
_BAD = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass
class Draft:
    """A concept on its way into the folder: where it came from, and its parent as written (term or id)."""

    id: str
    term: str
    synonyms: list[str]
    category: str
    parent_ref: str | None
    gloss: str
    line: int
    sense: str = ""
    """Sense id, for a row (or SKOS concept) that is one sense of a homonym."""
    cues: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    default: bool = False
    senses: list[dict] = field(default_factory=list)
    """For a homonym: its senses (`id`, `gloss`, `category`, `parent`, `cues`, `examples`)."""
    default_sense: str | None = None


@dataclass
class ImportResult:
    concepts: int = 0
    relations: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# -- term tables ------------------------------------------------------------------------------------------


TABLE_COLUMNS = ("term", "synonyms", "category", "parent", "id", "gloss", "sense", "cues", "examples", "default")
_YES = {"1", "y", "yes", "true", "x", "default", "是"}


def _csv_rows(path: Path) -> tuple[list[str], Iterable[tuple[int, dict]]]:
    """(header, (line, row) pairs) of a CSV or TSV file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusctlError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}); save the table as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines(), dialect=csv.excel_tab if path.suffix == ".tsv" else csv.excel)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header

    def rows():
        for row in reader:
            yield reader.line_num, row

    return header, rows()


def _excel_rows(path: Path, sheet: str | None = None) -> tuple[list[str], Iterable[tuple[int, dict]]]:
    """(header, (row number, row) pairs) of the first (or the named) sheet of an `.xlsx` workbook; cells
    are read as text (numbers without a trailing `.0`)."""
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise CorpusctlError(f"{path}: not a readable .xlsx workbook ({exc}); an old .xls must be saved as .xlsx "
                             "or UTF-8 CSV") from None
    if sheet is not None and sheet not in book.sheetnames:
        raise CorpusctlError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
    table = book[sheet] if sheet is not None else book.worksheets[0]

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    cells = table.iter_rows(values_only=True)
    first = next(cells, None) or ()
    header = [text(h).strip().lower() for h in first]

    def rows():
        for number, values in enumerate(cells, 2):
            row = {name: text(value) for name, value in zip(header, values, strict=False) if name}
            if any(v.strip() for v in row.values()):
                yield number, row
        book.close()

    return header, rows()


def read_term_table(path: Path, categories: Mapping[str, str], default_category: str | None,
                    problems: list[Problem], sheet: str | None = None) -> list[Draft]:
    """Drafts from a CSV/TSV/Excel term table; problems name the file (and sheet) and line."""
    if path.suffix.lower() == ".xlsx":
        header, rows = _excel_rows(path, sheet)
    else:
        header, rows = _csv_rows(path)
    name = path.name
    if "term" not in header:
        raise CorpusctlError(f"{path}:1: the header must name a `term` column (and optionally "
                             f"{', '.join(TABLE_COLUMNS[1:])}); got {header}")
    drafts: list[Draft] = []
    for line, row in rows:
        term = (row.get("term") or "").strip()
        if not term:
            problems.append(Problem(name, line, None, "empty `term`"))
            continue
        if _BAD.search(term):
            problems.append(Problem(name, line, None, f"term {term!r} holds whitespace or a control character"))
            continue
        sense = (row.get("sense") or "").strip()
        category = (row.get("category") or "").strip()
        if not sense:  # a sense's category may be empty: a general-language sense
            category = category or (default_category or "")
            if not category:
                problems.append(Problem(name, line, None, f"{term}: no category (fill the column or pass "
                                                          "--category)"))
                continue
        if category and category not in categories:
            problems.append(Problem(name, line, None, f"{term}: unknown category {category!r} (allowed: "
                                                      f"{', '.join(categories)})"))
            continue
        synonyms = [s.strip() for s in SYNONYM_SPLIT.split(row.get("synonyms") or "") if s.strip()]
        bad = [s for s in synonyms if _BAD.search(s)]
        if bad:
            problems.append(Problem(name, line, None, f"{term}: synonym {bad[0]!r} holds whitespace"))
            synonyms = [s for s in synonyms if s not in bad]
        cid = (row.get("id") or "").strip() or (f"h:{term}" if sense else f"c:{term}")
        parent = (row.get("parent") or "").strip() or None
        cues = [c.strip() for c in SYNONYM_SPLIT.split(row.get("cues") or "") if c.strip()]
        examples = [e.strip() for e in (row.get("examples") or "").split("|") if e.strip()]
        if (cues or examples) and not sense:
            problems.append(Problem(name, line, None, f"{term}: `cues` and `examples` belong to a sense; fill the "
                                                      "`sense` column"))
            continue
        drafts.append(Draft(cid, term, synonyms, category, parent, (row.get("gloss") or "").strip(), line,
                            sense=sense, cues=cues, examples=examples,
                            default=(row.get("default") or "").strip().lower() in _YES))
    return merge_senses(drafts, name, problems)


def merge_senses(drafts: list[Draft], file: str, problems: list[Problem]) -> list[Draft]:
    """Drafts with a `sense` that share a term become one homonym draft (in the place of the first), whose
    category and parent are its default sense's; a lone sense row or a term used with and without a
    sense is a problem."""
    groups: dict[str, list[Draft]] = {}
    for draft in drafts:
        if draft.sense:
            groups.setdefault(fold(draft.term), []).append(draft)
    plain = {fold(d.term) for d in drafts if not d.sense}
    out: list[Draft] = []
    for draft in drafts:
        if not draft.sense:
            out.append(draft)
            continue
        group = groups[fold(draft.term)]
        if draft is not group[0]:
            continue
        if fold(draft.term) in plain:
            problems.append(Problem(file, draft.line, draft.id, f"{draft.term}: rows with and without a `sense`"))
            continue
        if len(group) < 2:
            problems.append(Problem(file, draft.line, draft.id, f"{draft.term}: a homonym needs at least two sense "
                                                               "rows"))
            continue
        defaults = [d for d in group if d.default] or [group[0]]
        if len(defaults) > 1:
            problems.append(Problem(file, defaults[1].line, draft.id, f"{draft.term}: more than one default sense "
                                                                     f"(also line {defaults[0].line})"))
        default = defaults[0]
        synonyms = list(dict.fromkeys(s for d in group for s in d.synonyms))
        merged = Draft(draft.id, draft.term, synonyms, default.category, default.parent_ref,
                       next((d.gloss for d in group if d.gloss), ""), draft.line, default_sense=default.sense)
        merged.senses = [{"id": d.sense, "gloss": d.gloss, "category": d.category, "parent": d.parent_ref,
                          "cues": d.cues, "examples": d.examples, "line": d.line} for d in group]
        out.append(merged)
    return out


def read_relation_table(path: Path, resolve: Mapping[str, str], problems: list[Problem]) -> list[tuple[str, str, str]]:
    """(head id, relation, tail id) from a `head,relation,tail` CSV (header optional); heads and tails may be
    terms or ids. Read with pyarrow; unknown names are reported with their line (at most 50)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = ["head", "relation", "tail"]
    try:
        table = pcsv.read_csv(path, read_options=pcsv.ReadOptions(column_names=names),
                              parse_options=pcsv.ParseOptions(delimiter="\t" if path.suffix == ".tsv" else ","),
                              convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
    except pa.ArrowInvalid as exc:
        raise CorpusctlError(f"{path}: {exc}") from None
    heads, relations, tails = (table[n].to_pylist() for n in names)
    del table
    start = 1
    if heads and heads[0] == "head" and tails[0] == "tail":
        start = 2
    out = []
    reported = 0
    for line, head, relation, tail in zip(range(start, len(heads) + 1), heads[start - 1:], relations[start - 1:],
                                          tails[start - 1:], strict=True):
        h, t = resolve.get(head or ""), resolve.get(tail or "")
        if h is None or t is None or not relation or not re.fullmatch(r"[a-z][a-z0-9_]*", relation):
            if reported < 50:
                what = (f"unknown head {head!r}" if h is None else f"unknown tail {tail!r}" if t is None
                        else f"bad relation name {relation!r} (want snake_case)")
                problems.append(Problem(path.name, line, None, what))
            reported += 1
            continue
        out.append((h, relation, t))
    if reported > 50:
        problems.append(Problem(path.name, None, None, f"… and {reported - 50} more bad relation lines"))
    return out


# -- SKOS -------------------------------------------------------------------------------------------------


_PREFIX = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*\.?\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"""\s*(?:<([A-Za-z][\w+.-]*:[^<>"\s]*)>"""     # 1: <absolute iri>
                    r'|"([^"\\\n]*)"(?:@([A-Za-z][A-Za-z0-9-]*))?(?![\^@\w])'  # 2, 3: "literal"@lang
                    r"|([A-Za-z][\w-]*):((?:[\w.-]*[\w-])?)"         # 4, 5: prefix:local
                    r"|(a)(?=[\s<])"                                  # 6: a (rdf:type)
                    r"|([;,.]))")                                      # 7: punctuation
_NAME = r"(<[A-Za-z][\w+.-]*:[^<>\"\s]*>|[A-Za-z][\w-]*:(?:[\w.-]*[\w-])?)"
_ONE_LINE = re.compile(rf"\s*{_NAME}\s+{_NAME}\s+{_NAME}\s*\.\s*$")
"""`subject predicate object .` on one line, all three IRIs or prefixed names (most `skos:related` pairs)."""
_COMMENT = re.compile(r"\s#[^\"'<>]*$")
"""A comment at the end of a line (no quote or IRI after the `#`)."""
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
Literal = tuple[str, "str | None"]
"""A literal object: (text, language or None)."""


def _statement_triples(statement: str, prefixes: Mapping[str, str]) -> list[tuple[str, str, str | Literal]] | None:
    """The triples of one plain Turtle statement (`subject verb object, object ; verb object .` with IRIs,
    prefixed names, `a` and plain or language-tagged literals without escapes), or None for anything else."""
    values: list = []  # each token: ("iri", text) | ("lit", (text, lang)) | ("p", punctuation)
    position, size = 0, len(statement)
    while position < size:
        match = _TOKEN.match(statement, position)
        if match is None:
            if statement[position:].strip():
                return None
            break
        iri, literal, lang, prefix, local, a, punct = match.groups()
        if iri is not None:
            values.append(("iri", iri))
        elif literal is not None:
            values.append(("lit", (literal, lang.lower() if lang else None)))
        elif prefix is not None:
            if prefix not in prefixes:
                return None
            values.append(("iri", prefixes[prefix] + local))
        elif a is not None:
            values.append(("a", RDF_TYPE))
        else:
            values.append(("p", punct))
        position = match.end()
    return _triples(values)


def _triples(values: list) -> list[tuple[str, str, str | Literal]] | None:
    """subject (verb object (, object)*) (; verb object (, object)*)* ;? . — or None."""
    if len(values) < 4 or values[0][0] != "iri" or values[-1] != ("p", "."):
        return None
    subject, out, i = values[0][1], [], 1
    while i < len(values) - 1:
        kind, verb = values[i]
        if kind not in ("iri", "a"):
            return None
        i += 1
        while True:
            kind, obj = values[i]
            if kind not in ("iri", "lit"):
                return None
            out.append((subject, verb, obj))
            i += 1
            if values[i] != ("p", ","):
                break
            i += 1
        if values[i] == ("p", ";"):
            i += 1
            while values[i] == ("p", ";"):
                i += 1
        elif i != len(values) - 1:
            return None
    return out or None


def split_simple_statements(lines: list[str]) -> tuple[str, list[tuple[str, str, str | Literal]], dict[str, int]]:
    """Turtle text with its plain statements taken out (as blank lines, so rdflib's line numbers stay right),
    those statements' triples (objects: an IRI string or a (text, language) literal), and the line where each
    of their subjects is first described. rdflib's Turtle parser manages ~20,000 triples/s; a thesaurus is
    mostly plain statements (`ex:c a skos:Concept ; skos:prefLabel "…"@zh ; skos:broader ex:p .`, one-line
    `skos:related` pairs), which this reads many times faster. Anything else (blank nodes, lists, escapes,
    datatypes, long literals, unknown prefixes, a `@base`) is left to rdflib."""
    prefixes: dict[str, str] = {}
    kept: list[str] = []
    triples: list[tuple[str, str, str | Literal]] = []
    first: dict[str, int] = {}
    pending: list[str] = []
    raw = in_long_literal = based = False
    names: dict[str, str | None] = {}  # written name -> IRI (None: unknown prefix)

    def expand(name: str) -> str | None:
        if name not in names:
            if name.startswith("<"):
                names[name] = name[1:-1]
            else:
                prefix, _, local = name.partition(":")
                names[name] = prefixes[prefix] + local if prefix in prefixes else None
        return names[name]

    for number, line in enumerate(lines, 1):
        if not pending and not raw and not based:
            one = _ONE_LINE.match(line)
            if one:
                a, b, c = one.groups()
                s, p, o = expand(a), expand(b), expand(c)
                if s and p and o:
                    triples.append((s, p, o))
                    first.setdefault(s, number)
                    kept.append("")
                    continue
        stripped = line.strip()
        if raw or '"""' in line or "'''" in line:  # to rdflib as written, up to the statement's end
            kept += pending
            pending = []
            kept.append(line)
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_long_literal = not in_long_literal
            raw = in_long_literal or not stripped.endswith(".")
            continue
        if not pending:
            if not stripped or stripped.startswith("#"):
                kept.append(line)
                continue
            if stripped[0] in "@PpBb" and stripped.lower().startswith(("@base", "base ", "@prefix", "prefix ")):
                declared = _PREFIX.match(line)
                if declared:
                    prefixes[declared.group(1) or ""] = declared.group(2)
                    names.clear()
                else:
                    based = True
                kept.append(line)
                continue
        pending.append(_COMMENT.sub("", line) if "#" in line else line)
        if not pending[-1].rstrip().endswith("."):
            continue
        found = None if based else _statement_triples("\n".join(pending), prefixes)
        if found is None:
            kept += pending
        else:
            triples += found
            first.setdefault(found[0][0], number - len(pending) + 1)
            kept += [""] * len(pending)
        pending = []
    kept += pending
    return "\n".join(kept), triples, first


def _iri_lines(lines: list[str]) -> dict[str, int]:
    """First line that starts with each `<iri>` or `prefix:local` token (where a subject is described), and
    for RDF/XML the line of each `rdf:about`; for RDF problems."""
    first: dict[str, int] = {}
    token = re.compile(r"\s*(?:<([^>\s]+)>|([A-Za-z][\w-]*:[^\s;,()<>\"]*[^\s;,.()<>\"]))")
    about = re.compile(r'rdf:about="([^"]+)"')
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        match = token.match(line)
        if match:
            first.setdefault(match.group(1) or match.group(2), number)
        if "rdf:about" in line:
            for found in about.finditer(line):
                first.setdefault(found.group(1), number)
    return first


def read_skos(path: Path, lang: str, categories: Mapping[str, str], default_category: str | None,
              mapping: Mapping[str, str], problems: list[Problem], warnings: list[Problem]
              ) -> tuple[list[Draft], list[tuple[str, str, str]]]:
    """Drafts and extra relations from a SKOS file (Turtle `.ttl`, RDF/XML `.rdf`/`.owl`/`.xml`, N-Triples `.nt`)."""
    import rdflib
    from rdflib.namespace import SKOS

    fmt = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".owl": "xml", ".xml": "xml", ".n3": "n3"}.get(
        path.suffix.lower(), "turtle")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CorpusctlError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    triples: list[tuple[str, str, str | Literal]] = []
    where: dict[str, int] = {}
    text = "\n".join(lines)
    if fmt in ("turtle", "nt"):
        text, triples, where = split_simple_statements(lines)
        lines = text.split("\n")
    graph = rdflib.Graph()
    try:
        graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises many types; each names the line for Turtle
        raise CorpusctlError(f"{path}: not valid {fmt}: {exc}") from None
    del text
    # one index of everything: (subject, predicate) -> objects (IRI strings or (text, language) literals)
    index: defaultdict[tuple[str, str], list] = defaultdict(list)
    for s, p, o in triples:
        index[s, p].append(o)
    del triples
    for s, p, o in graph:
        index[str(s), str(p)].append((str(o), o.language.lower() if o.language else None)
                                     if isinstance(o, rdflib.Literal) else str(o))
    for key, number in _iri_lines(lines).items():
        where.setdefault(key, number)
    del lines
    namespaces = [(str(ns), prefix) for prefix, ns in graph.namespaces()]
    del graph
    BROADER, RELATED, CONCEPT = str(SKOS.broader), str(SKOS.related), str(SKOS.Concept)

    def line_of(iri: str) -> int | None:
        if iri in where:
            return where[iri]
        for ns, prefix in namespaces:
            if iri.startswith(ns) and f"{prefix}:{iri[len(ns):]}" in where:
                return where[f"{prefix}:{iri[len(ns):]}"]
        return None

    def local_id(iri: str) -> str:
        return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri

    def label(iri: str, predicate) -> list[str]:
        values = [o for o in index.get((iri, str(predicate)), ()) if isinstance(o, tuple)]
        wanted = [v.strip() for v, language in values if (language or "").split("-")[0] == lang]
        return wanted or [v.strip() for v, language in values if language is None]

    def iris(iri: str, predicate: str) -> list[str]:
        return [o for o in index.get((iri, predicate), ()) if isinstance(o, str)]

    lines_of = {iri: line_of(iri) for (iri, predicate), objects in index.items()
                if predicate == RDF_TYPE and CONCEPT in objects}
    concepts = sorted(lines_of, key=lambda iri: (lines_of[iri] or 0, iri))
    ids: dict[str, str] = {}  # IRI -> concept id
    used: set[str] = set()
    for iri in concepts:
        base = f"skos:{local_id(iri)}"
        ids[iri] = base if base not in used else f"skos:{iri}"
        used.add(ids[iri])
    drafts: list[Draft] = []
    extra: list[tuple[str, str, str]] = []
    for iri in concepts:
        cid = ids[iri]
        line = lines_of[iri] or 0
        preferred = label(iri, SKOS.prefLabel)
        if not preferred:
            problems.append(Problem(path.name, line, cid, f"no skos:prefLabel@{lang}"))
            continue
        all_broader = iris(iri, BROADER)
        broader = list(dict.fromkeys(b for b in all_broader if b in ids))
        for b in dict.fromkeys(b for b in all_broader if b not in ids):
            warnings.append(Problem(path.name, line, cid, f"broader {b} is not a skos:Concept here; ignored"))
        parent = ids[broader[0]] if broader else None
        extra += [(cid, "broader", ids[b]) for b in sorted(broader[1:])]
        related = set(iris(iri, RELATED))
        extra += [(cid, "related", ids[r]) for r in sorted(related) if r in ids]
        notes = label(iri, SKOS.definition) or label(iri, SKOS.scopeNote)
        drafts.append(Draft(cid, preferred[0], preferred[1:] + label(iri, SKOS.altLabel), "", parent,
                            notes[0] if notes else "", line, examples=label(iri, SKOS.example)))
    _categorise(drafts, categories, default_category, mapping, path.name, problems)
    return _skos_homonyms(drafts, extra, path.name, problems)


def _skos_homonyms(drafts: list[Draft], extra: list[tuple[str, str, str]], file: str,
                   problems: list[Problem]) -> tuple[list[Draft], list[tuple[str, str, str]]]:
    """Concepts that share a prefLabel become the senses of one homonym `h:<label>` (the first concept is
    the default sense). A sense's cues are the labels of its broader, narrower and related concepts (not
    containing the term); what pointed at a sense concept (children, relations) points at the homonym."""
    by_term: dict[str, list[Draft]] = {}
    for draft in drafts:
        by_term.setdefault(fold(draft.term), []).append(draft)
    shared = {key: group for key, group in by_term.items() if len(group) > 1}
    if not shared:
        return drafts, extra
    terms = {d.id: d.term for d in drafts}
    near: dict[str, list[str]] = {}
    for draft in drafts:
        if draft.parent_ref:
            near.setdefault(draft.id, []).append(draft.parent_ref)
            near.setdefault(draft.parent_ref, []).append(draft.id)
    for head, _relation, tail in extra:
        near.setdefault(head, []).append(tail)
        near.setdefault(tail, []).append(head)
    moved: dict[str, str] = {}
    for group in shared.values():
        term = group[0].term
        homonym = f"h:{term}"
        for draft in group:
            moved[draft.id] = homonym
        senses = []
        for draft in group:
            cues = [terms[n] for n in dict.fromkeys(near.get(draft.id, ())) if n in terms
                    and fold(term) not in fold(terms[n])]
            senses.append({"id": draft.id.split(":", 1)[-1], "gloss": draft.gloss, "category": draft.category,
                           "parent": draft.parent_ref, "cues": cues[:30], "examples": draft.examples,
                           "line": draft.line})
        merged = Draft(homonym, term, list(dict.fromkeys(s for d in group for s in d.synonyms)), group[0].category,
                       group[0].parent_ref, "", group[0].line, default_sense=senses[0]["id"])
        merged.senses = senses
        group[0].senses, group[0].default_sense = merged.senses, merged.default_sense
        group[0].__dict__.update({k: getattr(merged, k) for k in ("id", "synonyms", "gloss")})
    out = [d for d in drafts if d.senses or d.id not in moved]
    for draft in out:
        if draft.parent_ref in moved and not draft.senses:
            draft.parent_ref = moved[draft.parent_ref]
    for draft in out:
        for sense in draft.senses:
            if sense["parent"] in moved:
                sense["parent"] = moved[sense["parent"]]
    extra = [(moved.get(h, h), r, moved.get(t, t)) for h, r, t in extra]
    return out, [pair for pair in extra if pair[0] != pair[2]]


def _categorise(drafts: list[Draft], categories: Mapping[str, str], default: str | None, mapping: Mapping[str, str],
                file: str, problems: list[Problem]) -> None:
    """The category of each draft: that mapped to itself or its nearest ancestor's term, else the default."""
    by_id = {d.id: d for d in drafts}
    for name in [*mapping.values(), *([default] if default else [])]:
        if name not in categories:
            raise CorpusctlError(f"unknown category {name!r} (allowed: {', '.join(categories)})")
    for draft in drafts:
        node, seen, category = draft, set(), None
        while node is not None and node.id not in seen:
            seen.add(node.id)
            if node.term in mapping:
                category = mapping[node.term]
                break
            node = by_id.get(node.parent_ref) if node.parent_ref else None
        draft.category = category or default or ""
        if not draft.category:
            problems.append(Problem(file, draft.line, draft.id, f"{draft.term}: no category (pass --category or "
                                                               "--map LABEL=CATEGORY for one of its ancestors)"))


# -- assembling the folder --------------------------------------------------------------------------------


def resolve_parents(drafts: list[Draft], file: str, problems: list[Problem]) -> dict[str, str]:
    """Parent references (term or id) become ids; returns the name → id table (ids, terms, synonyms)."""
    names: dict[str, str] = {}
    for draft in drafts:
        names.setdefault(draft.id, draft.id)
    for draft in drafts:
        names.setdefault(draft.term, draft.id)
    for draft in drafts:
        ref = draft.parent_ref
        if ref is None:
            continue
        target = names.get(ref)
        if target is None:
            problems.append(Problem(file, draft.line, draft.id, f"{draft.term}: parent {ref!r} is neither a term "
                                                               "nor an id of this table"))
            draft.parent_ref = None
        elif target == draft.id:
            problems.append(Problem(file, draft.line, draft.id, f"{draft.term}: is its own parent"))
            draft.parent_ref = None
        else:
            draft.parent_ref = target
    for draft in drafts:
        for sense in draft.senses:
            ref = sense["parent"]
            if ref is None:
                continue
            target = names.get(ref)
            if target is None or target == draft.id:
                problems.append(Problem(file, sense["line"], draft.id, f"{draft.term}: sense {sense['id']!r}: parent "
                                        f"{ref!r} " + ("is the homonym itself" if target else
                                                       "is neither a term nor an id of this table")))
                sense["parent"] = None
            else:
                sense["parent"] = target
    return names


def deduplicate(drafts: list[Draft], file: str, problems: list[Problem], warnings: list[Problem]) -> list[Draft]:
    """One surface, one concept: a repeated id or term is an error, a synonym already taken is dropped."""
    owners: dict[str, Draft] = {}
    ids: dict[str, Draft] = {}
    kept: list[Draft] = []
    for draft in drafts:
        if draft.id in ids:
            problems.append(Problem(file, draft.line, draft.id, f"id used twice (first on line {ids[draft.id].line})"))
            continue
        owner = owners.get(fold(draft.term))
        if owner is not None:
            problems.append(Problem(file, draft.line, draft.id, f"term {draft.term!r} already names {owner.id} "
                                                               f"(line {owner.line})"))
            continue
        ids[draft.id] = owners[fold(draft.term)] = draft
        kept.append(draft)
    for draft in kept:
        synonyms = []
        for synonym in dict.fromkeys(draft.synonyms):
            owner = owners.setdefault(fold(synonym), draft)
            if owner is draft:
                synonyms.append(synonym)
            else:
                warnings.append(Problem(file, draft.line, draft.id, f"synonym {synonym!r} also names {owner.id}; "
                                                                   "dropped here"))
        draft.synonyms = synonyms
    return kept


def write_folder(out: Path, drafts: list[Draft], relations: Iterable[tuple[str, str, str]],
                 categories: Mapping[str, str]) -> int:
    """concepts.jsonl, relations.tsv (is_a from the parents, then the others, duplicates dropped) and
    categories.txt; returns the number of relations."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / CONCEPTS_FILE).open("w", encoding="utf-8") as handle:
        for d in drafts:
            record = {"id": d.id, "term": d.term, "synonyms": d.synonyms, "category": d.category, "parent": d.parent_ref}
            if d.gloss:
                record["gloss"] = d.gloss
            if d.senses:
                record["senses"] = [{k: v for k, v in sense.items() if k != "line" and (v or k in ("category",
                                                                                                "parent"))}
                                    for sense in d.senses]
                record["default_sense"] = d.default_sense
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    seen: set[tuple[str, str, str]] = set()
    count = 0
    with (out / RELATIONS_FILE).open("w", encoding="utf-8") as handle:
        pairs = [(d.id, "is_a", d.parent_ref) for d in drafts if d.parent_ref]
        pairs += [(d.id, "sense_of", s["parent"]) for d in drafts for s in d.senses
                  if s["parent"] and s["parent"] != d.parent_ref]
        for chunk in (pairs, relations):
            lines = []
            for pair in chunk:
                if pair in seen:
                    continue
                seen.add(pair)
                lines.append("\t".join(pair) + "\n")
            handle.writelines(lines)
            count += len(lines)
    (out / CATEGORIES_FILE).write_text("".join(f"{name}\t{text}\n" for name, text in categories.items()),
                                       encoding="utf-8")
    return count


def import_ontology(source: Path, out: Path, *, relations: Path | None = None, category: str | None = None,
                    mapping: Mapping[str, str] | None = None, lang: str = "zh",
                    categories: Mapping[str, str] | None = None, force: bool = False,
                    sheet: str | None = None) -> ImportResult:
    """Import a term table or SKOS file into the folder `out` (which must be new or empty, unless `force`).

    Nothing is written when a problem is found: the result lists them, each with its line."""
    source, out = Path(source), Path(out)
    if not source.is_file():
        raise CorpusctlError(f"{source}: no such file")
    if out.exists() and any(out.iterdir()) and not force:
        raise CorpusctlError(f"{out}: exists and is not empty (pass --force to overwrite its ontology files)")
    categories = dict(categories or DEFAULT_CATEGORIES)
    result = ImportResult()
    extra: list[tuple[str, str, str]] = []
    if source.suffix.lower() in (".csv", ".tsv", ".xlsx"):
        drafts = read_term_table(source, categories, category, result.problems, sheet)
    elif source.suffix.lower() == ".xls":
        raise CorpusctlError(f"{source}: the old binary .xls format is not read; save the sheet as .xlsx or UTF-8 CSV")
    else:
        drafts, extra = read_skos(source, lang, categories, category, mapping or {}, result.problems,
                                  result.warnings)
    drafts = deduplicate(drafts, source.name, result.problems, result.warnings)
    names = resolve_parents(drafts, source.name, result.problems)
    if relations is not None:
        extra += read_relation_table(Path(relations), names, result.problems)
    if result.problems:
        result.problems.sort(key=lambda p: (p.file, p.line or 0))
        return result
    result.relations = write_folder(out, drafts, extra, categories)
    result.concepts = len(drafts)
    from corpusctl.ontology import validate_ontology

    result.problems = validate_ontology(out)
    return result
