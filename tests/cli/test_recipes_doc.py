"""recipes/README.md documents every recipe key, with the right default, so the docs cannot drift."""

import re
import typing
from pathlib import Path

import yaml
from helpers import ROOT
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from corpusctl.config import StageSection
from corpusctl.recipe import Recipe

DOC = ROOT / "recipes" / "README.md"


def _section_model(annotation) -> tuple[type[BaseModel] | None, bool]:
    """The nested model of a field (and whether it is a list of them), else (None, False)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None, False


def recipe_keys(model: type[BaseModel] = Recipe, prefix: str = "") -> dict[str, object]:
    """Every dotted key path of the recipe (`clean.dedup.threshold`, `sources[].label_field`) -> its field."""
    keys: dict[str, object] = {}
    for name, field in model.model_fields.items():
        path = prefix + name
        keys[path] = field
        nested, is_list = _section_model(field.annotation)
        if nested is not None:
            keys.update(recipe_keys(nested, path + ("[]." if is_list else ".")))
    return keys


def documented_rows() -> dict[str, list[str]]:
    """Table rows of the reference whose first cell is a key path: key -> [type, default, description]."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([a-z_\[\].]+)` \|(.*)\|\s*$", line)
        if match:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", match.group(2))]
            assert match.group(1) not in rows, f"{match.group(1)} is documented twice"
            rows[match.group(1)] = cells
    return rows


def test_walk_finds_nested_and_list_keys():
    keys = recipe_keys()
    assert {"clean.dedup.threshold", "sources[].label_field", "clean.pii.types", "mask.pos_weights",
            "report.top_terms"} <= set(keys)
    assert len(keys) > 100


def test_every_recipe_key_is_documented_in_a_table_row():
    rows = documented_rows()
    missing = [key for key in recipe_keys() if key not in rows]
    assert not missing, f"recipes/README.md does not document: {', '.join(missing)}"


def test_every_documented_key_exists():
    stale = [key for key in documented_rows() if key not in recipe_keys()]
    assert not stale, f"recipes/README.md documents keys the recipe no longer has: {', '.join(stale)}"


def test_documented_defaults_and_required_keys_match_the_schema():
    rows = documented_rows()
    for key, field in recipe_keys().items():
        kind, default, description = rows[key][:3]
        assert description, f"{key} has no description"
        if field.is_required():
            assert default == "required", f"{key} is required, the docs say {default!r}"
            continue
        value = field.get_default(call_default_factory=True)
        if isinstance(value, BaseModel):
            assert default == "section" and kind == "section", key
            continue
        if isinstance(value, Path) or (isinstance(value, list) and value and isinstance(value[0], Path)):
            assert "(shipped)" in default, f"{key}: say which shipped file the default is"
            continue
        code = re.fullmatch(r"`(.*)`", default)
        assert code, f"{key}: the default should be a code span, got {default!r}"
        assert yaml.safe_load(code.group(1)) == to_jsonable_python(value), f"{key}: documented default {default}"


def test_documented_types_name_every_choice():
    rows = documented_rows()
    for key, field in recipe_keys().items():
        for literal in _literals(field.annotation):
            for choice in typing.get_args(literal):
                assert str(choice) in rows[key][0], f"{key}: type should list {choice!r}"


def _literals(annotation) -> list:
    if typing.get_origin(annotation) is typing.Literal:
        return [annotation]
    return [lit for arg in typing.get_args(annotation) for lit in _literals(arg)]


def test_every_optional_section_documents_enabled():
    sections = [key for key, field in recipe_keys().items()
                if isinstance(field.annotation, type) and issubclass(field.annotation, StageSection)]
    assert len(sections) >= 14
    rows = documented_rows()
    for section in sections:
        assert f"{section}.enabled" in rows


def test_notes_and_full_example():
    text = DOC.read_text(encoding="utf-8")
    for note in ("relative to the recipe file", "Unknown keys are errors", "enabled: false", "--output", "--seed"):
        assert note in text
    example = re.search(r"## Full example\n.*?```yaml\n(.*?)```", text, re.S)
    assert example, "the full example is missing"
    sample = (ROOT / "recipes" / "sample.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(example.group(1)) == yaml.safe_load(sample), "the example must be recipes/sample.yaml"
    Recipe.model_validate(yaml.safe_load(example.group(1)), context={"base_dir": ROOT / "recipes"})
