"""Recipe validation: strict keys, paths relative to the recipe, errors that name key and line."""

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpusctl.cli import app
from corpusctl.errors import RecipeError
from corpusctl.recipe import load_recipe

MINIMAL = """\
name: t
seed: 3
output: out
sources:
  - name: a
    path: data/a.jsonl
    format: jsonl
    domain: industrial
    kind: sop
mix: {shares: {sop: 1.0}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_defaults_and_relative_paths(tmp_path):
    recipe = load_recipe(write(tmp_path, MINIMAL))
    assert recipe.output == tmp_path / "out"
    assert recipe.sources[0].path == tmp_path / "data" / "a.jsonl"
    assert recipe.mix.shares == {"sop": 1.0}
    from corpusctl.recipe import Recipe

    assert Recipe.model_fields["mix"].default.shares["inspection_report"] == 0.35
    assert recipe.format.title_content_share == 0.5
    assert recipe.ner.scheme == "BMEO"


def test_misspelt_top_level_key_names_key_and_line(tmp_path):
    path = write(tmp_path, MINIMAL + "maks:\n  epochs: 2\n")
    with pytest.raises(RecipeError) as error:
        load_recipe(path)
    message = str(error.value)
    assert "maks (line 11)" in message
    assert "unknown key" in message


def test_nested_errors_name_path_line_and_expectation(tmp_path):
    text = MINIMAL.replace("format: jsonl", "format: jsn") + "mask:\n  epocs: 1\n"
    with pytest.raises(RecipeError) as error:
        load_recipe(write(tmp_path, text))
    message = str(error.value)
    assert "sources.0.format (line 7)" in message and "'jsn'" in message
    assert "mask.epocs (line 12)" in message


def test_every_section_accepts_enabled_false(tmp_path):
    sections = ["clean", "ontology", "mix", "format", "mask", "ner", "classification", "report"]
    text = MINIMAL.replace("mix: {shares: {sop: 1.0}}\n", "") + "".join(f"{s}: {{enabled: false}}\n" for s in sections)
    recipe = load_recipe(write(tmp_path, text))
    assert all(getattr(recipe, s).enabled is False for s in sections)
    parts = ("normalize", "pii", "quality", "clutter", "dedup", "anomaly")
    assert not any(getattr(recipe.clean, part).enabled for part in parts)  # clean off: each of its parts says so
    assert load_recipe(write(tmp_path, MINIMAL)).clean.pii.enabled  # (and the defaults are not touched)
    with pytest.raises(RecipeError, match="segment.enabled"):  # a required step cannot be switched off
        load_recipe(write(tmp_path, MINIMAL + "segment: {enabled: false}\n"))


def test_share_for_a_kind_without_source_is_an_error(tmp_path):
    with pytest.raises(RecipeError, match="share to news, qa"):
        load_recipe(write(tmp_path, MINIMAL.replace("{sop: 1.0}", "{sop: 0.5, news: 0.3, qa: 0.2}")))
    text = MINIMAL.replace("{sop: 1.0}", "{sop: 0.5, news: 0.5}, allow_renormalize: true")
    assert load_recipe(write(tmp_path, text)).mix.allow_renormalize


def test_duplicate_source_names_rejected(tmp_path):
    source = MINIMAL.split("sources:\n")[1].split("mix:")[0]
    text = MINIMAL.replace("mix:", source + "mix:")
    with pytest.raises(RecipeError, match="used twice"):
        load_recipe(write(tmp_path, text))


def test_yaml_syntax_error_names_line(tmp_path):
    with pytest.raises(RecipeError, match="line 3"):
        load_recipe(write(tmp_path, "name: t\nseed: 1\nfoo: bar: baz\n"))


def test_validate_cli_reports_without_traceback(tmp_path):
    path = write(tmp_path, MINIMAL + "outptu: x\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "outptu" in result.output and "line 11" in result.output
    assert "Traceback" not in result.output


def test_shipped_sample_recipe_validates(root):
    recipe = load_recipe(root / "recipes" / "sample.yaml")
    assert sum(recipe.mix.shares.values()) == pytest.approx(1.0)
    assert {s.kind for s in recipe.sources} == set(recipe.mix.shares)


def test_split_shares_must_sum_to_one(tmp_path):
    with pytest.raises(RecipeError, match=r"ner\.split \(line 11\).*sum to 1"):
        load_recipe(write(tmp_path, MINIMAL + "ner: {split: [0.5, 0.5, 0.5]}\n"))
    with pytest.raises(RecipeError, match=r"classification\.split"):
        load_recipe(write(tmp_path, MINIMAL + "classification: {split: [0.9, 0.2, 0.1]}\n"))
