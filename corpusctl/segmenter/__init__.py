"""Word segmentation and POS tagging behind the segment stage: pos (UPOS tables), backends, core
(`Segmenter`), evaluation and pkuseg training. The contract is described in corpusctl/stages/segment.py."""
