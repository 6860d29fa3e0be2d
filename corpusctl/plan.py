"""The build plan: the steps of `corpusctl build`, in order, by name.

Each name is a step registered in its own module (`@register` in corpusctl/stages/ or corpusctl/exports/;
the protocols are in corpusctl/stages/base.py). A step whose recipe section is disabled is skipped. Steps
marked `background` start as soon as the checkpoint they read exists and run alongside the rest.
To add a stage: write its module, then add its name here where it belongs.
"""

PLAN = [
    # documents
    "ingest",                 # sources -> records; personal data scrubbed
    "normalize",              # Unicode, width, punctuation, whitespace
    "clean",                  # quality filters, clutter, anomaly priority
    "dedup",                  # exact and near-duplicate documents (global)
    "fusion",                 # equipment readings read and indexed (global)
    "fusion-join",            # readings joined to the documents
    "ontology",               # term spans and senses
    # examples
    "mix",                    # the 60/40 mix and the format of every copy (global)
    "format",                 # title+content pairs and packed paragraphs
    "segment",                # words and POS
    "ner-label",              # distant NER labels (a branch: read by ner-export only)
    "vocab",                  # WordPiece vocabulary (global, background)
    "tokenize",               # input ids, word/term/POS ids
    # outputs
    "pretrain",               # pretrain/ shards
    "mask",                   # masked/ epochs
    "title-reconstruction",   # title_reconstruction/
    "ner-export",             # ner/ (background)
    "classification-export",  # classification/ (background)
]
