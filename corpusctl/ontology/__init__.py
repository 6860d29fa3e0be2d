"""The industrial ontology: load, validate, stats, term annotation and the segmenter's user dictionary.

Files in an ontology folder (DESIGN.md "Lexicons and ontology"):

- `*.jsonl` — one concept per line: `id`, `term`, `synonyms`, `category` (the NER entity type), `parent`
  (id, the is-a hierarchy). A homonym also has `senses` (`[{id, gloss, category, parent, cues}]`) and
  `default_sense`. A sense's `category` may be `""`: a general-language sense that is not an entity
  (接地 as "touching the ground"). `gloss` is allowed on concepts too.
- `relations.tsv` — `head_id<TAB>relation<TAB>tail_id`, the knowledge-graph pairs; no header, no comments.
  Held as numpy arrays, never as one Python object per pair (the paper's graph has 1.2 million).
- `categories.txt` — optional: `NAME<TAB>description` per line, `#` comments; the allowed categories.
  Without it, `DEFAULT_CATEGORIES`.
- `general.txt` — optional: words of everyday writing, one per line, `#` comments; evidence for the
  general-language senses of every homonym (`corpusctl.ontology.senses`).

Modules, one job each:

- `model` — the data model (`Concept`, `Sense`, `Relations`, `Ontology`), file names, `fold`;
- `loader` — reading and checking a folder (`load_ontology`, `validate_ontology`, `ontology_stats`);
- `dictionary` — the segmenter's user dictionary (`segmenter_terms`);
- `matching` — the automaton's alphabet and leftmost-longest selection;
- `senses` — the context model that picks a homonym's sense (or abstains);
- `annotator` — `Annotator`: terms and senses in text;
- `importer` — a CSV term table or a SKOS thesaurus turned into an ontology folder.
"""

from corpusctl.ontology.annotator import Annotator, Evidence, Matches
from corpusctl.ontology.dictionary import CATEGORY_POS, ONTOLOGY_WORD_FREQ, read_lexicons, segmenter_terms
from corpusctl.ontology.loader import load_ontology, ontology_stats, validate_ontology
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
    fold,
)

__all__ = [
    "CATEGORIES_FILE", "CATEGORY_POS", "DEFAULT_CATEGORIES", "DEFAULT_DIR", "GENERAL_FILE", "ONTOLOGY_WORD_FREQ",
    "RELATIONS_FILE", "Annotator", "Concept", "Evidence", "Matches", "Ontology", "Problem", "Relations", "Sense",
    "fold", "load_ontology", "ontology_stats", "read_lexicons", "segmenter_terms", "validate_ontology",
]
