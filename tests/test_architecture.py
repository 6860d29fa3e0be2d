"""The build's contracts (issue 19): no import cycle, a runner that names no step, and the docs' example stage
plugged in by one module and one plan line, end to end."""

import ast
import importlib
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT
from typer.testing import CliRunner

from corpusctl import pipeline
from corpusctl.cli import app
from corpusctl.plan import PLAN
from corpusctl.stages.base import STEPS, registry

PACKAGE = ROOT / "corpusctl"


def import_graph() -> dict[str, set[str]]:
    """Module -> corpusctl modules it imports, anywhere in its code (inside functions too)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                # importing a package's __init__ from inside the package is not a cycle of modules
                if target in modules and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_plan_entry_is_registered_and_the_runner_names_none():
    steps = registry()
    assert [name for name in PLAN if name not in steps] == []
    strings = {node.value for node in ast.walk(ast.parse((PACKAGE / "pipeline.py").read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert strings & set(steps) == set()


# -- the docs' example stage, end to end -----------------------------------------------------------------


def example_stage_source() -> str:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text[text.index("## Adding a stage"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def min_length_stage(tmp_path, monkeypatch):
    """The docs' module saved as a file and imported (as corpusctl would import a stage module), and its name
    added to the plan after clean: the only two edits the docs promise."""
    source = example_stage_source()
    assert len(source.splitlines()) <= 25
    (tmp_path / "min_length_stage.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("min_length_stage")
    plan = list(PLAN)
    plan.insert(plan.index("clean") + 1, "min_length")
    monkeypatch.setattr(pipeline, "PLAN", plan)
    yield module
    STEPS.pop("min_length", None)
    sys.modules.pop("min_length_stage", None)


def write_recipe(folder: Path, chars: int) -> Path:
    texts = ["短句。", "这一条巡检记录足够长，写明了现场发现的泄漏点、处置措施和复查结果，应当保留下来。",
             "太短了。", "二号泵房巡检发现机械密封轻微渗漏，已通知维修班组更换密封件并在次日复查确认正常。"]
    (folder / "docs.jsonl").write_text("".join(json.dumps({"title": f"记录{i}", "text": t}, ensure_ascii=False)
                                               + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    recipe = folder / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: plugin
        output: out
        sources:
          - {{name: docs, path: docs.jsonl, format: jsonl, title_field: title, domain: industrial, kind: sop}}
        clean: {{quality: {{enabled: false}}}}
        min_length: {{enabled: true, chars: {chars}}}
        mix: {{enabled: false}}
        mask: {{epochs: 1}}
        ner: {{enabled: false}}
        classification: {{enabled: false}}
        """), encoding="utf-8")
    return recipe


def run_build(recipe: Path, *args: str):
    result = CliRunner().invoke(app, ["build", str(recipe), "--workers", "1", *args])
    assert result.exit_code == 0, result.output
    return json.loads((recipe.parent / "out" / "manifest.json").read_text(encoding="utf-8")), result.output


@pytest.mark.slow
def test_the_docs_example_stage_runs_end_to_end(min_length_stage, tmp_path):
    recipe = write_recipe(tmp_path, chars=10)
    manifest, _ = run_build(recipe, "--keep-work")
    out = tmp_path / "out"
    rejects = [json.loads(line) for line in (out / "rejects" / "min_length.jsonl").read_text("utf-8").splitlines()]
    assert sorted(r["record"]["text"] for r in rejects) == ["太短了。", "短句。"]
    assert {r["reason"] for r in rejects} == {"too_short"} and rejects[0]["stage"] == "min_length"
    assert "characters < 10" in rejects[0]["detail"]
    stats = manifest["stages"]["min_length"]
    assert (stats["docs_in"], stats["docs_out"], stats["rejects"]) == (4, 2, {"too_short": 2})
    assert manifest["recipe"]["min_length"] == {"enabled": True, "chars": 10}
    # its fingerprint: reused when nothing changed, recomputed (with everything after it) when `chars` changes
    manifest, _ = run_build(recipe, "--keep-work", "--resume")
    assert "min_length" in manifest["resumed_stages"]
    recipe.write_text(recipe.read_text("utf-8").replace("chars: 10", "chars: 3"), encoding="utf-8")
    manifest, output = run_build(recipe, "--keep-work", "--resume")
    assert "min_length" not in manifest["resumed_stages"] and "ingest" in manifest["resumed_stages"]
    assert manifest["recomputed_stages"]["min_length"] == "its recipe settings changed"
    assert manifest["stages"]["min_length"]["docs_out"] == 4


def test_a_mistake_in_the_example_stages_section_names_its_key_and_line(min_length_stage, tmp_path):
    recipe = write_recipe(tmp_path, chars=10)
    recipe.write_text(recipe.read_text("utf-8").replace("chars: 10", "chars: ten"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(recipe)])
    assert result.exit_code != 0 and "min_length.chars" in result.output and "line 6" in result.output
