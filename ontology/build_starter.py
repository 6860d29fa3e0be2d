"""Builds the starter ontology shipped in this folder: `concepts.jsonl`, `relations.tsv`, `categories.txt`.

Run `python ontology/build_starter.py` from the repository root; the output is deterministic (no
randomness, fixed order), so a rebuild with unchanged tables gives byte-identical files.

Sources, all written for this project, are the data files of `starter/` (this script holds no data):
- `categories.tsv`: the categories, their id prefixes and descriptions.
- `trees.txt`: hand-written is-a hierarchies per category, one concept per line, two spaces of indent per
  level, synonyms after `|`. A line `@term` refers to a concept defined elsewhere (a homonym) so that
  children can hang under it.
- `homonyms.jsonl`: ambiguous terms with their senses (gloss, category, parent term) and context cue words.
- `families.json`: compositional families for volume, each a real pattern of industrial-safety writing:
  material + equipment (不锈钢储罐), equipment + part (叉车货叉), part + defect (钢丝绳断丝), 未佩戴 + PPE,
  equipment + inspection (叉车日常检查), equipment + 安全操作规程, substance + 中毒.
- `rules.tsv`: relations stated between classes and expanded to every concept below the head class.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "starter"


def _lines(name: str) -> list[str]:
    """The lines of a data file of `starter/`, without `#` comment lines."""
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def read_categories() -> tuple[dict[str, str], dict[str, str]]:
    """(category: description, category: id prefix), in file order."""
    categories, prefix = {}, {}
    for line in _lines("categories.tsv"):
        if line.strip():
            name, short, description = line.split("\t")
            categories[name], prefix[name] = description, short
    return categories, prefix


def read_trees() -> dict[str, str]:
    """category: its hierarchy text (`[CATEGORY]` sections of trees.txt)."""
    trees: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _lines("trees.txt"):
        if line.startswith("[") and line.rstrip().endswith("]"):
            current = trees.setdefault(line.strip()[1:-1], [])
        elif line.strip():
            if current is None:
                raise SystemExit(f"{DATA / 'trees.txt'}: {line!r} before any [CATEGORY] header")
            current.append(line)
    return {category: "\n".join(lines) + "\n" for category, lines in trees.items()}


def read_homonyms() -> list[tuple[str, str, list[tuple[str, str, str, str | None, list[str], list[str]]]]]:
    """(term, default sense, senses); a sense: (id, gloss, category or "" for a general-language sense,
    parent term or None, cue words). Cues are words that sit near the term in that sense's writing; a
    sense's `context_cues` (added from the tuned half of eval/homonyms.tsv) follow its `cues`; `examples` are
    natural sentences using the term in that sense (the tuning set eval/homonyms.tsv)."""
    out = []
    for line in _lines("homonyms.jsonl"):
        if line.strip():
            raw = json.loads(line)
            out.append((raw["term"], raw["default_sense"],
                        [(s["id"], s["gloss"], s["category"], s["parent"], [*s["cues"], *s.get("context_cues", ())],
                          s.get("examples", [])) for s in raw["senses"]]))
    return out


def read_families() -> dict[str, object]:
    """The compositional tables by name (see each one's `about` in families.json)."""
    raw = json.loads((DATA / "families.json").read_text(encoding="utf-8"))
    return {name: entry["table"] for name, entry in raw.items()}


def read_rules() -> list[tuple[str, str, list[str]]]:
    """(head class or term, relation, tails); a head is expanded to every concept below it."""
    rules = []
    for line in _lines("rules.tsv"):
        if line.strip():
            head, relation, tails = line.split("\t")
            rules.append((head, relation, tails.split()))
    return rules


CATEGORIES, PREFIX = read_categories()
TREES = read_trees()
HOMONYMS = read_homonyms()
RULES = read_rules()
_FAMILIES = read_families()
MATERIAL_EQUIPMENT: dict[str, list[str]] = _FAMILIES["material_equipment"]
SHORT_MATERIAL: dict[str, str] = _FAMILIES["short_material"]
EQUIPMENT_PARTS: list[list] = _FAMILIES["equipment_parts"]
EXTRA_PARTS: dict[str, str] = _FAMILIES["extra_parts"]
DEFECTS: dict[str, list[str]] = _FAMILIES["defects"]
PPE_VERBS: dict[str, str] = _FAMILIES["ppe_verbs"]
SHORT_VERB: dict[str, str] = _FAMILIES["short_verb"]
INSPECTIONS: dict[str, list[str]] = _FAMILIES["inspections"]
OPERATING_RULES: list[str] = _FAMILIES["operating_rules"]
EMERGENCY_PLANS: list[str] = _FAMILIES["emergency_plans"]
POISONS: dict[str, list[str]] = _FAMILIES["poisons"]
EXTINGUISHER_AGENTS: list[str] = _FAMILIES["extinguisher_agents"]
EXPLOSIONS: list[str] = _FAMILIES["explosions"]
EXTRA_TERMS: dict[str, list] = _FAMILIES["extra_terms"]


class Builder:
    def __init__(self) -> None:
        self.concepts: dict[str, dict] = {}  # id -> record
        self.by_term: dict[str, str] = {}  # every surface -> id
        self.relations: list[tuple[str, str, str]] = []
        self.seen_relations: set[tuple[str, str, str]] = set()

    # -- concepts --

    def add(self, term: str, category: str, parent: str | None, synonyms=(), cid: str | None = None) -> str:
        cid = cid or f"{PREFIX[category]}:{term}"
        synonyms = [s for s in dict.fromkeys(synonyms) if s != term]
        for surface in (term, *synonyms):
            if surface in self.by_term:
                raise SystemExit(f"term {surface!r} of {cid} already names {self.by_term[surface]}")
        if cid in self.concepts:
            raise SystemExit(f"duplicate id {cid}")
        self.concepts[cid] = {"id": cid, "term": term, "synonyms": synonyms, "category": category, "parent": parent}
        for surface in (term, *synonyms):
            self.by_term[surface] = cid
        return cid

    def id(self, term: str) -> str:
        term = term.lstrip("@")
        if term not in self.by_term:
            raise SystemExit(f"unknown term {term!r}")
        return self.by_term[term]

    def add_compound(self, term: str, category: str, parent: str, synonyms=()) -> str:
        """A generated concept; an existing one with the same term is reused (hand-written wins)."""
        if term in self.by_term:
            return self.by_term[term]
        free = [s for s in synonyms if s not in self.by_term and s != term]
        return self.add(term, category, parent, free)

    def tree(self, category: str, text: str) -> None:
        stack: list[tuple[int, str]] = []
        for raw in text.strip("\n").splitlines():
            if not raw.strip():
                continue
            depth = (len(raw) - len(raw.lstrip(" "))) // 2
            while stack and stack[-1][0] >= depth:
                stack.pop()
            parent = stack[-1][1] if stack else None
            names = raw.strip().split("|")
            if names[0].startswith("@"):
                cid = self.id(names[0])
                self.concepts[cid]["_tree_parent"] = parent
            else:
                cid = self.add(names[0], category, parent, names[1:])
            stack.append((depth, cid))

    def homonyms(self) -> None:
        for term, default, senses in HOMONYMS:
            self.add(term, "EQUIPMENT", None, cid=f"h:{term}")  # category and parent set in resolve()
            record = self.concepts[f"h:{term}"]
            record["senses"] = []
            for sid, gloss, category, parent, cues, examples in senses:
                sense = {"id": sid, "gloss": gloss, "category": category, "parent": parent,
                         "cues": list(dict.fromkeys(cues))}
                if examples:
                    sense["examples"] = list(examples)
                record["senses"].append(sense)
            record["default_sense"] = default

    def resolve_homonyms(self) -> None:
        for record in self.concepts.values():
            if "senses" not in record:
                continue
            for sense in record["senses"]:
                if sense["parent"] is not None:
                    sense["parent"] = self.id(sense["parent"])
            default = next(s for s in record["senses"] if s["id"] == record["default_sense"])
            record["category"] = default["category"]
            record["parent"] = default["parent"]
            record.pop("_tree_parent", None)

    # -- relations --

    def relate(self, head: str, relation: str, tail: str) -> None:
        key = (head, relation, tail)
        if head != tail and key not in self.seen_relations:
            self.seen_relations.add(key)
            self.relations.append(key)

    def below(self, cid: str) -> list[str]:
        """The concept and every concept whose parent chain reaches it, in file order."""
        out = []
        for other in self.concepts:
            node: str | None = other
            while node is not None:
                if node == cid:
                    out.append(other)
                    break
                node = self.concepts[node]["parent"]
        return out


def build() -> Builder:
    b = Builder()
    b.homonyms()
    for category, text in TREES.items():
        b.tree(category, text)
    for term, (category, parent, synonyms) in EXTRA_TERMS.items():
        b.add(term, category, b.id(parent), synonyms)
    for term, parent in EXTRA_PARTS.items():
        b.add(term, "COMPONENT", b.id(parent))
    b.resolve_homonyms()

    # material + equipment
    for equipment, materials in MATERIAL_EQUIPMENT.items():
        eq_id = b.id(equipment)
        name = equipment.lstrip("@")
        for material in materials:
            synonyms = [SHORT_MATERIAL[material] + name] if material in SHORT_MATERIAL else []
            cid = b.add_compound(material + name, b.concepts[eq_id]["category"], eq_id, synonyms)
            b.relate(cid, "made_of", b.id(material))
    # equipment + part
    for prefixes, equipment, parts in EQUIPMENT_PARTS:
        eq_id = b.id(equipment)
        for part in parts:
            part_id = b.id(part)
            names = [prefix + part for prefix in prefixes]
            cid = b.add_compound(names[0], "COMPONENT", part_id, names[1:])
            b.relate(cid, "part_of", eq_id)
            b.relate(part_id, "part_of", eq_id)
    # target + defect
    for defect, targets in DEFECTS.items():
        defect_id = b.id(defect)
        for target in targets:
            cid = b.add_compound(target.lstrip("@") + defect.lstrip("@"), "HAZARD", defect_id)
            b.relate(cid, "affects", b.id(target))
    # 未佩戴 + PPE
    not_wearing = b.id("未按规定佩戴劳动防护用品")
    for ppe, verb in PPE_VERBS.items():
        name = ppe.lstrip("@")
        short = SHORT_VERB[verb]
        synonyms = [f"没{short}{name}", f"不{short}{name}"] + ([f"未{short}{name}"] if short != verb else [])
        cid = b.add_compound(f"未{verb}{name}", "BEHAVIOR", not_wearing, synonyms)
        b.relate(cid, "violates_use_of", b.id(ppe))
    # inspections of equipment
    for procedure, targets in INSPECTIONS.items():
        proc_id = b.id("设备维护" if procedure == "维护保养" else procedure)
        for target in targets:
            cid = b.add_compound(target + procedure, "PROCEDURE", proc_id)
            b.relate(cid, "applies_to", b.id(target))
            b.relate(b.id(target), "inspected_by", cid)
    # operating rules
    rules_id = b.id("安全操作规程")
    for equipment in OPERATING_RULES:
        cid = b.add_compound(equipment + "安全操作规程", "DOCUMENT", rules_id)
        b.relate(b.id(equipment), "governed_by", cid)
    for accident in EMERGENCY_PLANS:
        b.add_compound(accident + "应急预案", "DOCUMENT", b.id("专项应急预案"))
        b.add_compound(accident + "现场处置方案", "DOCUMENT", b.id("现场处置方案"))
    for agent in EXTINGUISHER_AGENTS:
        agent_id = b.id(agent + "灭火器")
        for carrier in ("手提式", "推车式"):
            b.add_compound(carrier + agent + "灭火器", "EQUIPMENT", agent_id)
    # poisoning, asphyxia, explosions
    for outcome, substances in POISONS.items():
        outcome_id = b.id(outcome)
        for substance in substances:
            cid = b.add_compound(substance + outcome, "ACCIDENT", outcome_id)
            b.relate(b.id(substance), "causes", cid)
    for fuel in EXPLOSIONS:
        cid = b.add_compound(fuel + "爆炸", "ACCIDENT", b.id("其他爆炸"))
        if fuel in b.by_term and b.by_term[fuel] != cid:
            b.relate(b.id(fuel), "causes", cid)

    # is-a, homonym senses, class rules
    for cid, record in b.concepts.items():
        if record["parent"] is not None:
            b.relate(cid, "is_a", record["parent"])
        for sense in record.get("senses", []):
            if sense["parent"] is not None and sense["parent"] != record["parent"]:
                b.relate(cid, "sense_of", sense["parent"])
    for head, relation, tails in RULES:
        tail_ids = [b.id(t) for t in tails]
        for member in b.below(b.id(head)):
            for tail in tail_ids:
                b.relate(member, relation, tail)
    return b


def write(b: Builder, out: Path) -> None:
    with (out / "concepts.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for record in b.concepts.values():
            record = {k: v for k, v in record.items() if not k.startswith("_")}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (out / "relations.tsv").open("w", encoding="utf-8", newline="\n") as handle:
        for head, relation, tail in b.relations:
            handle.write(f"{head}\t{relation}\t{tail}\n")
    with (out / "categories.txt").open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("# Allowed concept categories (NER entity types): NAME<TAB>description\n")
        for name, description in CATEGORIES.items():
            handle.write(f"{name}\t{description}\n")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    b = build()
    write(b, out)
    print(f"{len(b.concepts)} concepts, {len(b.relations)} relations -> {out}")


if __name__ == "__main__":
    main()
