"""The recipe: a YAML file that says which sources to read and how every stage behaves.

Validation is strict (unknown keys are errors) and every problem is reported with its key path, the line
in the YAML file and what was expected, so a typo never silently changes a corpus.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import yaml
from pydantic import Field, PrivateAttr, ValidationError, create_model, field_validator, model_validator

from corpusctl.config import RecipePath, Section, SourcePath
from corpusctl.errors import RecipeError
from corpusctl.exports.classification import ClassificationConfig
from corpusctl.exports.ner import NerConfig
from corpusctl.io.shards import ShardsConfig
from corpusctl.report import ReportConfig
from corpusctl.stages.base import plugin_sections
from corpusctl.stages.clean import CleanConfig
from corpusctl.stages.format import FormatConfig
from corpusctl.stages.fusion import FusionConfig
from corpusctl.stages.mask import MaskConfig
from corpusctl.stages.mix import MixConfig
from corpusctl.stages.ontology import OntologyConfig
from corpusctl.stages.pii import PiiConfig
from corpusctl.stages.segment import SegmentConfig
from corpusctl.stages.vocab import VocabConfig

Domain = Literal["industrial", "general"]
Kind = Literal["inspection_report", "sop", "maintenance_log", "encyclopedia", "news", "qa", "other"]
Format = Literal["jsonl", "txt", "csv", "parquet", "arrow", "hf"]


class SourceConfig(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    path: SourcePath
    """A file, a folder or a glob; relative to the recipe file, or a URI (s3://, hdfs://: io/remote.py)."""
    format: Format
    text_field: str = "text"
    title_field: str | None = None
    id_field: str | None = None
    label_field: str | None = None
    domain: Domain
    kind: Kind
    txt_mode: Literal["blocks", "file"] = "blocks"
    """txt only: one document per blank-line-separated block, or one per file."""
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        """An unknown codec would otherwise turn every line into a reject, or stop the build midway."""
        try:
            info = codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}; use a Python codec name such as utf-8, gbk, gb18030, "
                             "big5 or utf-16") from None
        if not getattr(info, "_is_text_encoding", True):
            raise ValueError(f"{value!r} is not a text encoding; use e.g. utf-8, gbk, gb18030, big5 or utf-16")
        return value


class CleanSection(CleanConfig):
    """The recipe's `clean` section: the clean stage's settings plus `pii`, the privacy scrub, which runs at
    ingest but is configured here beside normalization (recipes keep writing `clean.pii`)."""

    pii: PiiConfig = PiiConfig()


class Recipe(Section):
    name: str
    seed: int = 42
    output: RecipePath
    strict: bool = False
    sources: list[SourceConfig] = Field(min_length=1)
    clean: CleanSection = CleanSection()
    fusion: FusionConfig = FusionConfig()
    ontology: OntologyConfig = OntologyConfig()
    mix: MixConfig = MixConfig()
    format: FormatConfig = FormatConfig()
    segment: SegmentConfig = SegmentConfig()
    vocab: VocabConfig = VocabConfig()
    mask: MaskConfig = MaskConfig()
    shards: ShardsConfig = ShardsConfig()
    ner: NerConfig = NerConfig()
    classification: ClassificationConfig = ClassificationConfig()
    report: ReportConfig = ReportConfig()
    _path: Path | None = PrivateAttr(None)
    """The recipe file it was loaded from (for messages)."""

    @property
    def recipe_file(self) -> Path | None:
        """The YAML file this recipe was read from (None when built in code); an output may never hold it."""
        return self._path
    _lines: dict = PrivateAttr(default_factory=dict)
    """Key path -> line in the recipe file (and "--set ..." for overridden keys), for messages after loading."""

    def where(self, *loc) -> str:
        """`sources.0.path (line 7)`: how a problem found after loading names its key."""
        return _where(self._lines, loc)

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for source in sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice; names must be unique")
            seen.add(source.name)
        return sources

    @model_validator(mode="after")
    def _kinds_match_mix(self) -> Recipe:
        from corpusctl.stages.mix import missing_kinds

        missing = missing_kinds(self.mix, {source.kind for source in self.sources})
        if missing:
            raise ValueError(f"mix.shares gives a share to {', '.join(missing)} but no source has that kind "
                             "(add a source, set the share to 0, or set mix.allow_renormalize: true)")
        return self

    def to_json(self) -> dict:
        """The resolved recipe as plain JSON (paths as strings), as stored in the manifest."""
        return json.loads(self.model_dump_json())

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


_MODELS: dict[tuple, type[Recipe]] = {}


def recipe_model() -> type[Recipe]:
    """`Recipe`, plus a top-level section for every registered step that brings its own config model
    (a stage outside this package needs no edit here; its section is validated like the others)."""
    extra = tuple(sorted((name, model) for name, model in plugin_sections().items()
                         if name not in Recipe.model_fields))
    if not extra:
        return Recipe
    if extra not in _MODELS:
        _MODELS[extra] = create_model("Recipe", __base__=Recipe,
                                      **{name: (model, model()) for name, model in extra})
    return _MODELS[extra]


# -- reading YAML safely -----------------------------------------------------------------------------------

MAX_RECIPE_BYTES = 1 << 20
"""A recipe is a few kilobytes; a bigger file is a mistake (a data file passed as the recipe)."""
MAX_DEPTH = 50
"""Nesting deeper than this is refused while composing, long before Python's recursion limit."""
MAX_NODES = 100_000
"""Values counted as if every alias were expanded: stops alias bombs ("billion laughs") before they expand."""


class _RecipeLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting as it composes (its composer recurses once per level)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels; a recipe needs a handful",
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """Number of values `node` stands for once aliases are expanded (shared nodes are counted per use)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise yaml.composer.ComposerError(None, None, "an alias refers to the collection it is inside of",
                                          node.start_mark)
    open_nodes.add(id(node))
    size = 1
    if isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes, open_nodes) + _expanded_size(v, sizes, open_nodes)
                    for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes, open_nodes) for item in node.value)
    open_nodes.discard(id(node))
    sizes[id(node)] = size = min(size, MAX_NODES + 1)
    return size


def _duplicate_keys(root: yaml.Node) -> list[str]:
    """`key 'output' appears twice (lines 3 and 9)` for every mapping that repeats a key (YAML's last-wins
    would silently override the first)."""
    found: list[tuple[int, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    line = key_node.start_mark.line + 1
                    if key_node.value in first:
                        name = ".".join(str(p) for p in path + (key_node.value,))
                        found.append((line, f"{name} (line {line}): key {key_node.value!r} appears twice, on "
                                            f"lines {first[key_node.value]} and {line}; keep one"))
                    else:
                        first[key_node.value] = line
                stack.append((value_node, path + (key_node.value,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (index,)) for index, item in enumerate(node.value))
    return [problem for _, problem in sorted(found)]


def _yaml_error(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}: " if mark else ""
    return f"{where}not valid YAML: {getattr(exc, 'problem', None) or exc}"


def read_yaml(text: str, source: str = "the recipe") -> tuple[object, yaml.Node | None]:
    """Parse YAML with limits on depth and alias expansion and no duplicate keys -> (data, node tree).

    Raises ValueError with one line per problem (line numbers included).
    """
    loader = _RecipeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        if _expanded_size(root, {}, set()) > MAX_NODES:
            raise ValueError(f"{source} expands to more than {MAX_NODES:,} values through its aliases "
                             "(an alias bomb?); write the values out or use fewer aliases")
        duplicates = _duplicate_keys(root)
        if duplicates:
            raise ValueError("\n".join(duplicates))
        try:
            return loader.construct_document(root), root
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
            raise ValueError(f"not valid YAML: {exc}") from None
    except yaml.YAMLError as exc:
        raise ValueError(_yaml_error(exc)) from None
    finally:
        loader.dispose()


# -- line numbers -----------------------------------------------------------------------------------------


def _key_lines(node: yaml.Node, prefix: tuple = ()) -> dict[tuple, int]:
    """Map every key path in a composed YAML tree to its 1-based line number."""
    lines: dict[tuple, int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = prefix + (key_node.value,)
            lines.update(_key_lines(value_node, path))
            lines[path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_key_lines(item, prefix + (index,)))
    return lines


def _line_for(lines: dict[tuple, int | str], loc: tuple) -> int | str | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _where(lines: dict[tuple, int | str], loc: tuple) -> str:
    """`sources.0.path (line 7)`, or `(--set sources.0.path=x)` for a key set on the command line."""
    key = ".".join(str(part) for part in loc) or "(top level)"
    line = _line_for(lines, loc)
    if line is None:
        return key
    return f"{key} ({line})" if isinstance(line, str) else f"{key} (line {line})"


def _describe(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see recipes/README.md for the keys this section accepts)"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"expected one of {expected}, got {error.get('input')!r}"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if "input" not in error or isinstance(value, (dict, list)) or repr(value) in message:
        return message
    return f"{message} (got {value!r})"


# -- --set KEY=VALUE ----------------------------------------------------------------------------------------


def parse_set(item: str) -> tuple[tuple, object]:
    """`mask.epochs=3` -> (("mask", "epochs"), 3); the value is YAML, so `[0.8, 0.1, 0.1]` or `false` work.

    Raises ValueError naming the option when it is not KEY=VALUE.
    """
    key, sep, raw = item.partition("=")
    parts = tuple(part.strip() for part in key.split("."))
    if not sep or not all(parts):
        raise ValueError(f"--set {item!r}: expected KEY=VALUE with a dotted key, e.g. --set mask.epochs=3 or "
                         "--set sources.0.encoding=gbk")
    try:
        value, _ = read_yaml(raw, f"--set {key}")
    except ValueError as exc:
        raise ValueError(f"--set {item!r}: the value is {exc}") from None
    return tuple(int(p) if p.isdigit() else p for p in parts), value


def apply_set(data: dict, path: tuple, value) -> None:
    """Put `value` at `path` in the recipe data, creating missing sections; ValueError if the path cannot
    exist (a list index out of range, or a key under a plain value)."""
    node = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        here = ".".join(str(p) for p in path[: depth + 1])
        if isinstance(node, list):
            if not isinstance(part, int) or not 0 <= part < len(node):
                raise ValueError(f"--set {'.'.join(map(str, path))}: {here} is not an item of a list of "
                                 f"{len(node)} (use an index from 0 to {len(node) - 1})")
        elif isinstance(node, dict):
            part = str(part)
            if not last and node.get(part) is None:
                node[part] = {}
        else:
            raise ValueError(f"--set {'.'.join(map(str, path))}: {here.rsplit('.', 1)[0]} is a plain value, "
                             "it has no keys")
        if last:
            node[part] = value
        else:
            node = node[part]


# -- loading ------------------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    """The recipe's text; RecipeError for an unreadable, oversized or non-UTF-8 file (with the line)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_RECIPE_BYTES + 1)
    except OSError as exc:
        raise RecipeError(path, [f"cannot read the recipe: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_RECIPE_BYTES:
        raise RecipeError(path, [f"the recipe is larger than {MAX_RECIPE_BYTES // 1024} KB; is it a recipe?"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecipeError(path, [f"line {line}: the recipe is not UTF-8 (byte 0x{raw[exc.start]:02x}); "
                                 "save it as UTF-8"]) from None


def load_recipe(path: str | Path, overrides: dict | None = None, sets: list[str] | tuple = ()) -> Recipe:
    """Read and validate a recipe; raise RecipeError naming key path, line and expectation.

    `overrides` replace top-level keys (the CLI's --output/--seed); `sets` are `KEY=VALUE` strings
    (`--set mask.epochs=3`), validated like the file, with "--set KEY=VALUE" in place of a line number.
    """
    path = Path(path)
    try:
        data, root = read_yaml(_read_text(path))
    except ValueError as exc:
        raise RecipeError(path, str(exc).splitlines()) from None
    if not isinstance(data, dict):
        raise RecipeError(path, ["line 1: expected a mapping of recipe keys (name, seed, output, sources, ...)"])
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    lines: dict[tuple, int | str] = _key_lines(root) if root is not None else {}
    lines.update({(key,): f"--{key}" for key, value in (overrides or {}).items() if value is not None})
    problems = []
    for item in sets:
        try:
            key, value = parse_set(item)
            apply_set(data, key, value)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        lines = {loc: line for loc, line in lines.items() if loc[: len(key)] != key}
        lines[key] = f"--set {item}"
    context = {"base_dir": path.resolve().parent}
    try:
        recipe = recipe_model().model_validate(data, context=context)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(f"{_where(lines, tuple(error['loc']))}: {_describe(error)}")
        raise RecipeError(path, problems + _file_problems_of_valid_parts(data, context, lines)) from None
    if problems:  # (bad --set options; the rest was checked above so that every problem is listed)
        raise RecipeError(path, problems)
    recipe._lines = lines
    recipe._path = path
    return recipe


FILE_SECTIONS = ("clean", "segment", "ontology", "vocab", "ner")
"""Sections that name files the preflight checks read (lexicons, ontology, models, annotations)."""


def _file_problems_of_valid_parts(data: dict, context: dict, lines: dict) -> list[str]:
    """Preflight file problems of the sources and sections that validate on their own, so that a recipe with
    schema errors still gets one report listing its file problems too."""
    from corpusctl import preflight

    sources = data.get("sources")
    problems = []
    for index, raw in enumerate(sources if isinstance(sources, list) else []):
        try:
            source = SourceConfig.model_validate(raw, context=context)
        except ValidationError:
            continue
        where = _where(lines, ("sources", index, "path"))
        problems += [f"{where}: {problem}" for problem in preflight.source_problems(source)]
    parts = SimpleNamespace(where=lambda *loc: _where(lines, loc))
    for name in FILE_SECTIONS:
        try:
            section = Recipe.model_fields[name].annotation.model_validate(data.get(name) or {}, context=context)
        except ValidationError:
            section = None
        setattr(parts, name, section)
    return problems + preflight.lexicon_problems(parts)
