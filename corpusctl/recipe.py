"""The recipe: a YAML file that says which sources to read and how every stage behaves.

Validation is strict (unknown keys are errors) and every problem is reported with its key path, the line
in the YAML file and what was expected, so a typo never silently changes a corpus.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from corpusctl.config import RecipePath, Section
from corpusctl.errors import RecipeError
from corpusctl.exports.classification import ClassificationConfig
from corpusctl.exports.ner import NerConfig
from corpusctl.io.shards import ShardsConfig
from corpusctl.report import ReportConfig
from corpusctl.stages.clean import CleanConfig
from corpusctl.stages.format import FormatConfig
from corpusctl.stages.mask import MaskConfig
from corpusctl.stages.mix import MixConfig
from corpusctl.stages.ontology import OntologyConfig
from corpusctl.stages.segment import SegmentConfig
from corpusctl.stages.tokenize import VocabConfig

Domain = Literal["industrial", "general"]
Kind = Literal["inspection_report", "sop", "maintenance_log", "encyclopedia", "news", "qa", "other"]
Format = Literal["jsonl", "txt", "csv", "parquet", "arrow", "hf"]


class SourceConfig(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    path: RecipePath
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


class Recipe(Section):
    name: str
    seed: int = 42
    output: RecipePath
    strict: bool = False
    sources: list[SourceConfig] = Field(min_length=1)
    clean: CleanConfig = CleanConfig()
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
    _recipe_file: Path | None = PrivateAttr(default=None)

    @property
    def recipe_file(self) -> Path | None:
        """The YAML file this recipe was read from (None when built in code); an output may never hold it."""
        return self._recipe_file

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

    def section_fingerprint(self, *names: str) -> str:
        """Hash of the named sections only, so a checkpoint is invalidated only by what affects it."""
        data = self.to_json()
        picked = {name: data.get(name) for name in names}
        return hashlib.sha256(json.dumps(picked, sort_keys=True).encode()).hexdigest()[:16]


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


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _describe(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see recipes/README.md for the keys this section accepts)"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"expected one of {expected}, got {error.get('input')!r}"
    return f"{error['msg']} (got {error.get('input')!r})" if "input" in error and not isinstance(
        error.get("input"), (dict, list)
    ) else error["msg"]


def load_recipe(path: str | Path, overrides: dict | None = None) -> Recipe:
    """Read and validate a recipe; raise RecipeError naming key path, line and expectation."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(path, [f"cannot read the recipe: {exc.strerror or exc}"]) from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise RecipeError(path, [f"{where}not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise RecipeError(path, ["line 1: expected a mapping of recipe keys (name, seed, output, sources, ...)"])
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    lines = _key_lines(root) if root is not None else {}
    try:
        recipe = Recipe.model_validate(data, context={"base_dir": path.resolve().parent})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = ".".join(str(part) for part in loc) or "(top level)"
            line = _line_for(lines, loc)
            problems.append(f"{key} (line {line}): {_describe(error)}")
        raise RecipeError(path, problems) from None
    recipe._recipe_file = path.resolve()
    return recipe
