"""The ontology pipeline stage, its manifest summary and the `corpusctl ontology` commands."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from corpusctl.cli_ontology import app
from corpusctl.ontology import DEFAULT_DIR
from corpusctl.stages.ontology import OntologyConfig, OntologyStage, ontology_manifest

BATCH = {
    "id": ["r1", "r2", "r3"],
    "title": ["灭火器月度检查", "", None],
    "text": ["车间配备的灭火器和灭火器箱均已检查，配电箱外壳必须可靠接地，电工负责。",
             "飞机在跑道上接地后滑行。",
             "接地"],
}


@pytest.fixture(scope="module")
def stage() -> OntologyStage:
    return OntologyStage(OntologyConfig())


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lex") / "terms.txt"
    path.write_text("# test lexicon\n灭火器箱 10 n\n滑行\n", encoding="utf-8")
    return path


def check_spans(text: str, spans: list[dict]) -> None:
    assert spans == sorted(spans, key=lambda s: s["start"])
    for before, after in zip(spans, spans[1:], strict=False):
        assert before["end"] <= after["start"]
    for span in spans:
        assert set(span) == {"start", "end", "concept_id", "category", "sense"}
        assert 0 <= span["start"] < span["end"] <= len(text)


def test_stage_adds_terms_title_terms_and_events(stage):
    out = stage(BATCH)
    assert out["id"] == BATCH["id"] and out["text"] == BATCH["text"]
    for text, spans in zip(out["text"], out["terms"], strict=True):
        check_spans(text, spans)
    first = {out["text"][0][s["start"]:s["end"]]: s for s in out["terms"][0]}
    assert first["灭火器"]["concept_id"] == "eq:灭火器" and first["灭火器"]["category"] == "EQUIPMENT"
    assert (first["接地"]["sense"], first["接地"]["category"]) == ("grounding", "PROCEDURE")
    assert first["电工"]["category"] == "ROLE"
    assert [(s["concept_id"], s["sense"], s["category"]) for s in out["terms"][1] if s["concept_id"] == "h:接地"] == [
        ("h:接地", "ground_contact", "")]
    assert out["title_terms"][0][0] == {"start": 0, "end": 3, "concept_id": "eq:灭火器", "category": "EQUIPMENT",
                                        "sense": ""}
    assert out["title_terms"][1] == [] and out["title_terms"][2] == []
    events = [Counter(e) for e in out["_events"]]
    assert events[0]["ontology.category.EQUIPMENT"] >= 3  # 灭火器 ×2 in the text, 配电箱, + the title's
    assert events[0]["ontology.homonym.接地.grounding"] == 1 and events[0]["ontology.homonym_resolved"] == 1
    assert events[1]["ontology.homonym.接地.ground_contact"] == 1
    assert events[2]["ontology.homonym_abstained"] == 1 and events[2]["ontology.homonym.接地.(abstained)"] == 1
    assert out["terms"][2] == [{"start": 0, "end": 2, "concept_id": "h:接地", "category": "", "sense": ""}]


def test_stage_output_does_not_depend_on_batch_boundaries(stage):
    whole = stage(BATCH)
    for row in range(3):
        single = stage({key: values[row:row + 1] for key, values in BATCH.items()})
        for column in ("terms", "title_terms", "_events"):
            assert single[column][0] == whole[column][row]


def test_stage_is_picklable_and_builds_lazily(lexicon):
    stage = OntologyStage(OntologyConfig(), [lexicon])
    assert stage._annotator is None
    stage(BATCH)
    clone = pickle.loads(pickle.dumps(stage))
    assert clone._annotator is None
    assert clone(BATCH)["terms"] == stage(BATCH)["terms"]


def test_record_batches_give_the_columns_of_dicts(stage):
    from corpusctl.io.columns import to_record_batch

    batch = {**BATCH, "_events": [["pii.mobile"], [], None]}
    out = stage(to_record_batch({k: batch[k] for k in ("text", "title", "_events")}))
    expected = stage(batch)
    assert set(out) == {"terms", "title_terms", "_events"}
    assert {name: column.to_pylist() for name, column in out.items()} == {k: expected[k] for k in out}
    enriched = OntologyStage(OntologyConfig(enrich=True))
    out = enriched(to_record_batch({k: BATCH[k] for k in ("text", "title")}))
    assert out["text"] == enriched(BATCH)["text"]


def test_stage_keeps_earlier_events(stage):
    batch = {**BATCH, "_events": [["pii.mobile"], [], ["clean.x"]]}
    out = stage(batch)
    assert out["_events"][0][0] == "pii.mobile" and out["_events"][2][0] == "clean.x"


def test_lexicon_words_are_spans_and_the_only_ones_when_disabled(lexicon):
    enabled = OntologyStage(OntologyConfig(), [lexicon])(BATCH)
    text = BATCH["text"][0]
    by_text = {text[s["start"]:s["end"]]: s for s in enabled["terms"][0]}
    assert by_text["灭火器箱"] == {**by_text["灭火器箱"], "concept_id": "lex:灭火器箱", "category": ""}
    assert "ontology.lexicon" in enabled["_events"][0]
    disabled = OntologyStage(OntologyConfig(enabled=False), [lexicon])(BATCH)
    assert [s["concept_id"] for s in disabled["terms"][0]] == ["lex:灭火器箱"]
    assert [s["concept_id"] for s in disabled["terms"][1]] == ["lex:滑行"]
    assert all(s["category"] == "" for spans in disabled["terms"] for s in spans)
    assert not any(e.startswith("ontology.category") for events in disabled["_events"] for e in events)


def test_enrichment_inserts_the_parent_after_the_first_mention():
    original = OntologyStage(OntologyConfig())(BATCH)
    enriched = OntologyStage(OntologyConfig(enrich=True))(BATCH)
    text = enriched["text"][0]
    assert text.startswith("车间（生产区域）配备的灭火器（便携式消防器材）和灭火器")
    assert text.count("（便携式消防器材）") == 1  # first mention only
    assert enriched["title"] == BATCH["title"]
    assert enriched["title_terms"] == original["title_terms"]
    for before, after in zip(original["terms"][0], enriched["terms"][0], strict=True):
        assert BATCH["text"][0][before["start"]:before["end"]] == text[after["start"]:after["end"]]
        assert {k: v for k, v in before.items() if k not in ("start", "end")} == \
               {k: v for k, v in after.items() if k not in ("start", "end")}
    assert Counter(enriched["_events"][0])["ontology.enriched"] == text.count("（")
    assert enriched["text"][1] == BATCH["text"][1]  # a general-language sense has no parent to add
    assert enriched["text"][2] == "接地"  # an abstaining homonym has no parent to add


def test_manifest_summary():
    events = Counter({"ontology.category.EQUIPMENT": 5, "ontology.category.PPE": 2, "ontology.lexicon": 3,
                      "ontology.homonym.接地.grounding": 4, "ontology.homonym.接地.ground_contact": 1,
                      "ontology.homonym.接地.(abstained)": 2,
                      "ontology.homonym_resolved": 5, "ontology.homonym_abstained": 2, "ontology.enriched": 1,
                      "pii.mobile": 7})
    summary = ontology_manifest(events, stats={"concepts": 10})
    assert summary["entity_spans"] == 7 and summary["lexicon_spans"] == 3
    assert list(summary["categories"]) == ["EQUIPMENT", "PPE"]
    assert summary["homonyms"] == {"occurrences": 7, "resolved": 5, "abstained": 2, "abstention_rate": 0.2857,
                                   "per_sense": {"接地.grounding": 4, "接地.ground_contact": 1},
                                   "decisions": {"接地": {"grounding": 4, "(abstained)": 2, "ground_contact": 1}}}
    assert summary["enriched"] == 1 and summary["ontology"] == {"concepts": 10}
    json.dumps(summary)


def test_config_is_strict():
    assert OntologyConfig().dir == DEFAULT_DIR
    with pytest.raises(ValidationError):
        OntologyConfig(windw=3)
    with pytest.raises(ValidationError):
        OntologyConfig(window=0)


# -- CLI --------------------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_validate_the_shipped_ontology():
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "homonyms" in result.output


def test_cli_validate_names_the_problems(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    lines = [{"id": "a", "term": "甲", "category": "EQUIPMENT", "parent": "b"},
             {"id": "b", "term": "乙", "category": "EQUIPMENT", "parent": "a"},
             {"id": "c", "term": "丙", "category": "EQUIPMENT", "parent": "zz"}]
    (folder / "concepts.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "concepts.jsonl:1: a: parent cycle: a -> b -> a" in result.output
    assert "concepts.jsonl:3: c: parent 'zz' does not exist" in result.output


def test_cli_stats_json():
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert {"concepts", "categories", "homonyms", "relations", "depth"} <= set(stats)
    assert runner.invoke(app, ["stats"]).exit_code == 0


def test_cli_annotate(lexicon):
    result = runner.invoke(app, ["annotate", "--json", "--lexicon", str(lexicon), "灭火器箱旁的灭火器"])
    assert result.exit_code == 0, result.output
    spans = json.loads(result.output)
    assert [(s["text"], s["concept_id"]) for s in spans] == [("灭火器箱", "lex:灭火器箱"), ("灭火器", "eq:灭火器")]
    assert spans[1]["parent_terms"][:2] == ["便携式消防器材", "消防器材"]
    table = runner.invoke(app, ["annotate", "电工检查接地"])
    assert table.exit_code == 0 and "grounding" in table.output and "电气安全措施" in table.output


def test_cli_missing_folder(tmp_path):
    result = runner.invoke(app, ["stats", "--dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_cli_annotate_explain_shows_evidence_per_sense():
    result = runner.invoke(app, ["annotate", "--explain", "厂区大门口禁止停车。"])
    assert result.exit_code == 0, result.output
    assert "停车 @7-9: parking" in result.output
    assert "parking [not an entity] score" in result.output and "大门口 cue" in result.output
    assert "shutdown (default) [PROCEDURE]" in result.output
    data = json.loads(runner.invoke(app, ["annotate", "--explain", "--json", "接地"]).output)
    assert data["spans"][0]["sense"] == "" and data["homonyms"][0]["sense"] == ""  # abstained: no evidence


def test_cli_eval_prints_accuracy_non_default_and_abstentions(tmp_path):
    files = [str(DEFAULT_DIR / "eval" / "homonyms.tsv"), str(DEFAULT_DIR / "eval" / "homonyms_heldout.tsv")]
    result = runner.invoke(app, ["eval", *files, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) == {"tuned", "heldout", "all"}
    assert figures["all"]["n"] == figures["tuned"]["n"] + figures["heldout"]["n"] >= 400
    assert {"accuracy", "non_default_accuracy", "abstention_rate"} <= set(figures["all"])
    table = runner.invoke(app, ["eval", *files, "--errors"])
    assert table.exit_code == 0 and "heldout" in table.output and "abstained" in table.output
    bad = tmp_path / "bad.tsv"
    bad.write_text("tuned\t接地\tflying\t飞机在跑道上接地。\nheldout\t叉车\tx\t叉车倒车。\ntuned\t接地\tgrounding\t没有那个词。\n",
                   encoding="utf-8")
    wrong = runner.invoke(app, ["eval", str(bad)])
    assert wrong.exit_code == 2 and "bad.tsv:3:" in wrong.output  # the term must occur once
    bad.write_text("tuned\t接地\tflying\t飞机在跑道上接地。\nheldout\t叉车\tx\t叉车倒车。\n", encoding="utf-8")
    wrong = runner.invoke(app, ["eval", str(bad)])
    assert wrong.exit_code == 2 and "bad.tsv:1: 接地 has no sense 'flying'" in wrong.output
    assert "bad.tsv:2: '叉车' is not a homonym" in wrong.output


def test_report_shows_abstentions_and_the_most_frequent_entity_strings_per_type():
    from corpusctl.report import ontology_section

    manifest = {
        "ontology": {"entity_spans": 12, "lexicon_spans": 1, "categories": {"EQUIPMENT": 9, "ROLE": 3},
                     "homonyms": {"occurrences": 10, "resolved": 7, "abstained": 3,
                                  "decisions": {"接地": {"grounding": 6, "(abstained)": 3, "ground_contact": 1}}}},
        "ner": {"top_entities": {"EQUIPMENT": {f"设备{i}": 30 - i for i in range(25)}, "ROLE": {"电工": 4}}},
    }
    html = ontology_section(manifest, top=20)
    assert "7 resolved from their context" in html and "3 abstained" in html
    assert "The 20 most frequent entity strings per type" in html
    assert "设备0 30" in html and "设备19 11" in html and "设备20" not in html and "电工 4" in html


def test_ner_manifest_lists_top_entity_strings(tmp_path):
    from corpusctl.exports.ner import NerConfig, export_ner

    rows = [{"id": f"r{i}", "title": "", "text": "叉车撞上了货架。配电室很干净。", "sentences": [],
             "terms": [{"start": 0, "end": 2, "concept_id": "eq:叉车", "category": "EQUIPMENT", "sense": ""},
                       {"start": 5, "end": 7, "concept_id": "eq:货架", "category": "EQUIPMENT", "sense": ""},
                       {"start": 8, "end": 11, "concept_id": "loc:配电室", "category": "LOCATION", "sense": ""}]}
            for i in range(3)]
    stats = export_ner(rows, tmp_path / "ner", NerConfig(near_duplicate_threshold=1.0), seed=1)
    assert stats["top_entities"]["EQUIPMENT"] == {"叉车": 3, "货架": 3}
    assert stats["top_entities"]["LOCATION"] == {"配电室": 3}


def test_entity_surfaces_read_the_typed_spans_of_sliced_batches():
    """The summary's top terms come from the flat span arrays (issue 21): only spans with a category, of the
    right row, whatever slice of a batch is read."""
    import pyarrow as pa

    from corpusctl.io.columns import SPAN
    from corpusctl.stages.ontology import entity_surfaces

    texts = pa.array(["阀门泄漏", "管道腐蚀严重", None, "检查安全阀"])
    spans = pa.array([
        [{"start": 0, "end": 2, "concept_id": "c1", "category": "COMPONENT", "sense": None},
         {"start": 2, "end": 4, "concept_id": "c2", "category": "", "sense": None}],
        [{"start": 0, "end": 2, "concept_id": "c3", "category": "EQUIPMENT", "sense": None},
         {"start": 2, "end": 4, "concept_id": "c4", "category": "FAULT", "sense": None}],
        None,
        [{"start": 2, "end": 5, "concept_id": "c5", "category": None, "sense": None}],
    ], pa.list_(SPAN))
    assert entity_surfaces(texts, spans) == ["阀门", "管道", "腐蚀"]
    assert entity_surfaces(texts.slice(1), spans.slice(1)) == ["管道", "腐蚀"]
    assert entity_surfaces(texts.slice(2), spans.slice(2)) == []
