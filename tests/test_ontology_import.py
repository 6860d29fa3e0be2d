"""Bring your own ontology (issue #17): `corpusctl ontology import` from a term table and from SKOS."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import ROOT, build
from typer.testing import CliRunner

from corpusctl.cli_ontology import app
from corpusctl.ontology import DEFAULT_DIR, load_ontology, validate_ontology
from corpusctl.ontology.importer import import_ontology

runner = CliRunner()

TABLE = """term,synonyms,category,parent,gloss
消防器材,,EQUIPMENT,,
灭火器,灭火筒;灭火瓶,EQUIPMENT,消防器材,扑救初起火灾的器具
干粉灭火器,,EQUIPMENT,灭火器,
消火栓,消防栓、灭火瓶,EQUIPMENT,消防器材,
"""

TURTLE = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/fire#> .

ex:equipment a skos:Concept ;
    skos:prefLabel "消防器材"@zh , "fire equipment"@en .

ex:extinguisher a skos:Concept ;
    skos:prefLabel "灭火器"@zh ;
    skos:altLabel "灭火筒"@zh ;
    skos:broader ex:equipment ;
    skos:related ex:hydrant .

ex:hydrant a skos:Concept ;
    skos:prefLabel "消火栓"@zh ;
    skos:broader ex:equipment .

ex:smoke a skos:Concept ;
    skos:prefLabel "烟雾"@zh .
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_term_table_becomes_a_valid_folder(tmp_path):
    source = write(tmp_path / "terms.csv", TABLE)
    relations = write(tmp_path / "pairs.csv", "head,relation,tail\n灭火器,located_in,消火栓\n")
    result = import_ontology(source, tmp_path / "out", relations=relations)
    assert result.problems == [] and result.concepts == 4
    assert [str(w) for w in result.warnings] == ["terms.csv:5: c:消火栓: synonym '灭火瓶' also names c:灭火器; dropped here"]
    onto = load_ontology(tmp_path / "out")
    assert onto.lookup("灭火筒").id == "c:灭火器" and onto.ancestors("c:干粉灭火器") == ("c:灭火器", "c:消防器材")
    assert onto.get("c:灭火器").term == "灭火器"
    assert onto.relations.counts() == {"is_a": 3, "located_in": 1}


def test_term_table_problems_name_their_lines(tmp_path):
    source = write(tmp_path / "bad.csv", TABLE + ",,EQUIPMENT,,\n叉车,,VEHICLE,,\n喷头,,COMPONENT,消防水炮,\n灭火器,,EQUIPMENT,,\n")
    relations = write(tmp_path / "pairs.csv", "灭火器,located_in,仓库\n灭火器,Bad-Name,消火栓\n")
    result = import_ontology(source, tmp_path / "out", relations=relations)
    messages = [str(p) for p in result.problems]
    assert "bad.csv:6: empty `term`" in messages
    assert any(m.startswith("bad.csv:7: 叉车: unknown category 'VEHICLE'") for m in messages)
    assert any(m.startswith("bad.csv:8: c:喷头:") and "消防水炮" in m for m in messages)
    assert any(m.startswith("bad.csv:9: c:灭火器: id used twice (first on line 3)") for m in messages)
    assert "pairs.csv:1: unknown tail '仓库'" in messages
    assert any(m.startswith("pairs.csv:2: bad relation name 'Bad-Name'") for m in messages)
    assert not (tmp_path / "out").exists()  # nothing is written when something is wrong


def test_skos_turtle_with_category_mapping(tmp_path):
    source = write(tmp_path / "fire.ttl", TURTLE)
    result = import_ontology(source, tmp_path / "out", mapping={"消防器材": "EQUIPMENT"}, category="HAZARD")
    assert result.problems == [] and result.concepts == 4
    onto = load_ontology(tmp_path / "out")
    assert onto.lookup("灭火筒").id == "skos:extinguisher"
    assert onto.get("skos:extinguisher").category == "EQUIPMENT"  # below the mapped 消防器材
    assert onto.get("skos:smoke").category == "HAZARD"  # the default
    assert ("related", "skos:hydrant") in onto.relations.of(onto.index["skos:extinguisher"])


def test_skos_problems_name_the_line_of_the_concept(tmp_path):
    source = write(tmp_path / "fire.ttl", TURTLE + '\nex:nozzle a skos:Concept ;\n    skos:prefLabel "nozzle"@en .\n')
    result = import_ontology(source, tmp_path / "out", category="EQUIPMENT")
    assert [str(p) for p in result.problems] == ["fire.ttl:20: skos:nozzle: no skos:prefLabel@zh"]
    no_category = import_ontology(write(tmp_path / "f2.ttl", TURTLE), tmp_path / "out2")
    assert str(no_category.problems[0]).startswith("f2.ttl:4: skos:equipment: 消防器材: no category")
    broken = runner.invoke(app, ["import", str(write(tmp_path / "b.ttl", "ex:a a skos:Concept .\n")),
                                 str(tmp_path / "out3"), "--category", "EQUIPMENT"])
    assert broken.exit_code == 2 and "not valid turtle" in broken.output and "line 1" in broken.output


def test_cli_import_refuses_a_non_empty_folder_and_reports(tmp_path):
    source = write(tmp_path / "terms.csv", TABLE)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    refused = runner.invoke(app, ["import", str(source), str(out)])
    assert refused.exit_code == 2 and "not empty" in refused.output
    done = runner.invoke(app, ["import", str(source), str(tmp_path / "new")])
    assert done.exit_code == 0, done.output
    assert "4 concepts" in done.output and validate_ontology(tmp_path / "new") == []
    bad = runner.invoke(app, ["import", str(write(tmp_path / "b.csv", "term,category\n叉车,VEHICLE\n")), str(tmp_path / "n2")])
    assert bad.exit_code == 1 and "b.csv:2:" in bad.output


# -- end to end: the sample built with an imported ontology ------------------------------------------------


def shipped_as_sources(folder: Path) -> tuple[Path, Path, dict[str, str]]:
    """The shipped ontology as a user would bring it: a term table with parents by term and one row per
    homonym sense, and a SKOS file (without the homonyms: SKOS cannot say that a sense is no entity);
    plus the category of each root for `--map`."""
    onto = load_ontology(DEFAULT_DIR)
    table = folder / "terms.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["term", "synonyms", "category", "parent", "sense", "gloss", "cues", "examples", "default"])
        for c in onto.concepts:
            if not c.senses:
                parent = onto.get(c.parent).term if c.parent else ""
                writer.writerow([c.term, ";".join(c.synonyms), c.category, parent, "", "", "", "", ""])
            for s in c.senses:
                parent = onto.get(s.parent).term if s.parent else ""
                writer.writerow([c.term, ";".join(c.synonyms), s.category, parent, s.id, s.gloss, ";".join(s.cues),
                                 "|".join(s.examples), "yes" if s.id == c.default_sense else ""])
    concepts = [c for c in onto.concepts if not c.senses]
    keep = {c.id for c in concepts}
    local = {c.id: f"c{i}" for i, c in enumerate(concepts)}
    lines = ["@prefix skos: <http://www.w3.org/2004/02/skos/core#> .", "@prefix ex: <http://example.org/onto#> .", ""]
    for c in concepts:
        parts = [f"skos:prefLabel {json.dumps(c.term, ensure_ascii=False)}@zh"]
        parts += [f"skos:altLabel {json.dumps(s, ensure_ascii=False)}@zh" for s in c.synonyms]
        if c.parent in keep:
            parts.append(f"skos:broader ex:{local[c.parent]}")
        lines.append(f"ex:{local[c.id]} a skos:Concept ;\n    " + " ;\n    ".join(parts) + " .")
    skos = folder / "thesaurus.ttl"
    skos.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roots = {c.term: c.category for c in concepts if c.parent not in keep}
    return table, skos, roots


@pytest.mark.slow
def test_the_sample_builds_with_ontologies_imported_from_csv_and_skos(tmp_path):
    table, skos, roots = shipped_as_sources(tmp_path)
    from_csv = import_ontology(table, tmp_path / "from_csv")
    from_skos = import_ontology(skos, tmp_path / "from_skos", mapping=roots)
    assert from_csv.problems == [] and from_skos.problems == []
    assert from_csv.concepts == len(load_ontology(DEFAULT_DIR)) and from_skos.concepts > 1900
    shipped, imported = load_ontology(DEFAULT_DIR), load_ontology(tmp_path / "from_csv")
    assert [(c.term, c.default_sense, [(s.id, s.category, s.cues, s.examples) for s in c.senses])
            for c in imported.homonyms] == [(c.term, c.default_sense, [(s.id, s.category, s.cues, s.examples)
                                                                       for s in c.senses]) for c in shipped.homonyms]
    for name, folder in (("csv", tmp_path / "from_csv"), ("skos", tmp_path / "from_skos")):
        out = build(ROOT / "recipes" / "sample.yaml", tmp_path / f"out_{name}", "--workers", "2",
                    "--set", f"ontology.dir={folder}")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        summary = manifest["ontology"]
        assert summary["ontology"]["concepts"] == (from_csv if name == "csv" else from_skos).concepts
        assert summary["ontology"]["homonyms"] == (56 if name == "csv" else 0)
        assert summary["entity_spans"] > 5000
        labels = json.loads((out / "ner" / "labels.json").read_text(encoding="utf-8"))
        assert {"EQUIPMENT", "PPE", "LOCATION"} <= set(labels["entity_types"])
        assert (out / "pretrain").is_dir() and (out / "report.html").is_file()


def test_plain_statements_take_the_fast_path_and_the_rest_goes_to_rdflib(tmp_path):
    from corpusctl.ontology.importer import split_simple_statements

    lines = ["@prefix skos: <http://www.w3.org/2004/02/skos/core#> .", "@prefix ex: <http://e.org/#> .",
             "ex:a skos:related ex:b .", "ex:a skos:related", "    ex:c , ex:e .", 'ex:a skos:note """x',
             'ex:a skos:related ex:d .', '""" .', "<http://e.org/#b> skos:broader ex:a . # comment",
             'ex:b a skos:Concept ; skos:prefLabel "火"@ZH, "fire"@en ;', '    skos:altLabel "烟" .',
             'ex:c skos:prefLabel "a\\"b"@zh .', "ex:d skos:related [ skos:related ex:a ] .", "zz:x skos:related ex:a ."]
    text, triples, first = split_simple_statements(lines)
    e, skos = "http://e.org/#", "http://www.w3.org/2004/02/skos/core#"
    assert triples == [(e + "a", skos + "related", e + "b"), (e + "a", skos + "related", e + "c"),
                       (e + "a", skos + "related", e + "e"), (e + "b", skos + "broader", e + "a"),
                       (e + "b", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", skos + "Concept"),
                       (e + "b", skos + "prefLabel", ("火", "zh")), (e + "b", skos + "prefLabel", ("fire", "en")),
                       (e + "b", skos + "altLabel", ("烟", None))]
    assert first == {e + "a": 3, e + "b": 9}
    kept = text.split("\n")
    assert len(kept) == len(lines) and kept[2:5] == ["", "", ""] and kept[8:11] == ["", "", ""]  # line numbers stay
    assert kept[5:8] == lines[5:8] and kept[11:] == lines[11:]  # long literals, escapes, blank nodes, unknown prefixes
    source = write(tmp_path / "fire.ttl", TURTLE + "ex:smoke skos:related ex:hydrant .\nex:smoke skos:broader ex:equipment .\n")
    result = import_ontology(source, tmp_path / "out", mapping={"消防器材": "EQUIPMENT"})
    assert result.problems == []
    onto = load_ontology(tmp_path / "out")
    assert onto.get("skos:smoke").parent == "skos:equipment"
    assert ("related", "skos:hydrant") in onto.relations.of(onto.index["skos:smoke"])


HOMONYM_TABLE = """term,synonyms,category,parent,sense,gloss,cues,examples,default
电气设备,,EQUIPMENT,,,,,,
电气安全措施,,PROCEDURE,,,,,,
配电柜,,EQUIPMENT,电气设备,,,,,
接地,,PROCEDURE,电气安全措施,grounding,电气接地：设备外壳与大地作导电连接,漏电;外壳;电阻,配电柜的外壳没有接地。|电焊机接地线松了。,yes
接地,,,,ground_contact,触地、着地,落地;着陆,飞机平稳接地后开始减速。,
"""


def test_term_table_rows_with_a_sense_become_one_homonym(tmp_path):
    result = import_ontology(write(tmp_path / "h.csv", HOMONYM_TABLE), tmp_path / "out")
    assert result.problems == []
    onto = load_ontology(tmp_path / "out")
    (homonym,) = onto.homonyms
    assert homonym.id == "h:接地" and homonym.default_sense == "grounding" and homonym.category == "PROCEDURE"
    grounding, contact = homonym.senses
    assert grounding.parent == "c:电气安全措施" and grounding.cues == ("漏电", "外壳", "电阻")
    assert grounding.examples == ("配电柜的外壳没有接地。", "电焊机接地线松了。")
    assert contact.category == "" and contact.parent is None and contact.cues == ("落地", "着陆")
    from corpusctl.ontology import Annotator

    spans = Annotator(onto).annotate("配电柜外壳接地不良，要测接地电阻。")
    assert [(s["text"], s["sense"]) for s in spans if s["concept_id"] == "h:接地"] == [("接地", "grounding")] * 2


def test_sense_rows_problems_name_their_lines(tmp_path):
    table = HOMONYM_TABLE + "开关,,COMPONENT,,device,,灯,,\n叉车,,EQUIPMENT,,,,货叉,,\n"
    result = import_ontology(write(tmp_path / "h.csv", table), tmp_path / "out")
    messages = [str(p) for p in result.problems]
    assert any(m.startswith("h.csv:7:") and "at least two sense rows" in m for m in messages)
    assert any(m.startswith("h.csv:8: 叉车: `cues` and `examples` belong to a sense") for m in messages)


def test_an_excel_term_table_imports_like_its_csv(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "术语"
    for row in csv.reader(HOMONYM_TABLE.splitlines()):
        sheet.append(row)
    sheet.append(["喷头", "", "COMPONENT", "消防水炮", "", "", "", "", ""])  # row 7: unknown parent
    book.save(tmp_path / "terms.xlsx")
    bad = import_ontology(tmp_path / "terms.xlsx", tmp_path / "bad")
    assert [str(p) for p in bad.problems][0].startswith("terms.xlsx:7: c:喷头: 喷头: parent '消防水炮'")
    sheet.delete_rows(7)
    book.save(tmp_path / "terms.xlsx")
    done = runner.invoke(app, ["import", str(tmp_path / "terms.xlsx"), str(tmp_path / "xl"), "--sheet", "术语"])
    assert done.exit_code == 0, done.output
    from_csv = import_ontology(write(tmp_path / "h.csv", HOMONYM_TABLE), tmp_path / "csv")
    assert from_csv.problems == []
    assert (tmp_path / "xl" / "concepts.jsonl").read_text(encoding="utf-8") == \
        (tmp_path / "csv" / "concepts.jsonl").read_text(encoding="utf-8")
    missing = runner.invoke(app, ["import", str(tmp_path / "terms.xlsx"), str(tmp_path / "x2"), "--sheet", "nope"])
    assert missing.exit_code == 2 and "no sheet 'nope'" in missing.output


def test_skos_concepts_sharing_a_label_become_the_senses_of_one_homonym(tmp_path):
    turtle = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/el#> .
ex:safety a skos:Concept ; skos:prefLabel "电气安全措施"@zh .
ex:leak a skos:Concept ; skos:prefLabel "漏电"@zh ; skos:related ex:grounding .
ex:grounding a skos:Concept ; skos:prefLabel "接地"@zh ; skos:broader ex:safety ;
    skos:definition "电气接地：设备外壳与大地作导电连接"@zh ; skos:example "配电柜的外壳没有接地。"@zh .
ex:touchdown a skos:Concept ; skos:prefLabel "接地"@zh ; skos:definition "触地、着地：物体接触地面"@zh ;
    skos:example "飞机平稳接地后开始减速。"@zh .
ex:rod a skos:Concept ; skos:prefLabel "接地极"@zh ; skos:broader ex:grounding .
"""
    result = import_ontology(write(tmp_path / "el.ttl", turtle), tmp_path / "out", category="PROCEDURE")
    assert result.problems == [] and result.concepts == 4
    onto = load_ontology(tmp_path / "out")
    (homonym,) = onto.homonyms
    assert homonym.id == "h:接地" and homonym.default_sense == "grounding"
    grounding, touchdown = homonym.senses
    assert grounding.parent == "skos:safety" and set(grounding.cues) == {"电气安全措施", "漏电"}
    assert touchdown.gloss.startswith("触地") and touchdown.examples == ("飞机平稳接地后开始减速。",)
    assert onto.get("skos:rod").parent == "h:接地"  # narrower concepts of a sense hang under the homonym
    assert ("related", "h:接地") in onto.relations.of(onto.index["skos:leak"])


TRICKY_TURTLE = r'''@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/x#> .
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
# a comment line with "quotes" and <brackets>
ex:a a skos:Concept ; skos:prefLabel "泵 #1"@zh ; skos:altLabel "C# pump"@en .   # trailing comment
ex:b a skos:Concept ;
    skos:prefLabel "阀门"@zh-Hans , "valve"@EN ;
    skos:broader ex:a ;
    .
ex:c skos:prefLabel "含\"引号\"的词"@zh ; skos:related ex:a .
ex:d skos:prefLabel """多行
标签"""@zh .
ex:e skos:prefLabel "typed"^^<http://www.w3.org/2001/XMLSchema#string> ; skos:related [ skos:prefLabel "匿名"@zh ] .
ex:f skos:related ( ex:a ex:b ) .
ex:g rdfs:label 'single quoted'@zh ; skos:related ex:a.
<http://example.org/x#h> skos:broader <http://example.org/x#a> .
ex:i.j skos:related ex:k-l .
ex:m skos:related ex:n , ex:o ; skos:prefLabel "m"@zh ;; skos:altLabel "m2"@zh .
'''


def test_the_fast_statement_reader_and_rdflib_read_the_same_triples():
    """What the plain-statement reader takes plus what rdflib reads of the rest equals rdflib on the whole
    text: the fast path may decline a statement, never read one differently."""
    import rdflib

    from corpusctl.ontology.importer import split_simple_statements

    def term(value):
        if isinstance(value, tuple):
            return rdflib.Literal(value[0], lang=value[1])
        return rdflib.URIRef(value)

    def plain(graph):  # blank nodes named by what they hold, so two parses compare equal
        return {(s, p, o) for s, p, o in graph if not isinstance(s, rdflib.BNode) and not isinstance(o, rdflib.BNode)}

    whole = rdflib.Graph().parse(data=TRICKY_TURTLE, format="turtle")
    rest, triples, _ = split_simple_statements(TRICKY_TURTLE.splitlines())
    assert triples  # the fast path read some statements
    combined = rdflib.Graph().parse(data=rest, format="turtle")
    for s, p, o in triples:
        combined.add((term(s), term(p), term(o)))
    assert len(combined) == len(whole)
    assert plain(combined) == plain(whole)
