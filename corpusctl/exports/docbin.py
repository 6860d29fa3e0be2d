"""spaCy's DocBin (.spacy) files written without importing spaCy (issue 21).

`import spacy` costs ~3 CPU-s (thinc pulls in torch), more than writing the files. A DocBin is a
zlib-compressed msgpack map of numpy arrays and strings, and a string's id is spaCy's StringStore hash:
MurmurHash64A (seed 1) of its UTF-8 bytes, or a symbol's fixed id for the few hundred names spaCy reserves
(ORTH, NOUN, LOC, X, _ …). The symbol table and the norm exceptions are read from the installed spaCy's own
files, without running its package `__init__`, so they follow the spaCy version that will read the files;
tests/exports/test_ner_export.py compares the bytes with a DocBin that real spaCy builds.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import struct
import sys
import zlib
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

Span = tuple[int, int, str]
VERSION = "0.1"
"""`DocBin().version`."""
_MASK = (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A (murmurhash's `hash64`, which spaCy's StringStore uses with seed 1)."""
    m, r = 0xC6A4A7935BD1E995, 47
    h = (seed ^ (len(data) * m)) & _MASK
    body = len(data) - len(data) % 8
    for (k,) in struct.iter_unpack("<Q", data[:body]):
        k = (k * m) & _MASK
        k ^= k >> r
        h ^= (k * m) & _MASK
        h = (h * m) & _MASK
    if body < len(data):
        h = ((h ^ int.from_bytes(data[body:], "little")) * m) & _MASK
    h ^= h >> r
    h = (h * m) & _MASK
    return h ^ (h >> r)


@lru_cache(maxsize=1)
def _spacy_tables() -> tuple[dict[str, int], dict[str, str]]:
    """(spaCy's symbol ids by name, its BASE_NORMS), from the installed package's `symbols` extension and
    `lang/norm_exceptions.py` loaded on their own; a regular import if the files are not where expected."""
    spec = importlib.util.find_spec("spacy")
    folder = Path(spec.origin).parent if spec and spec.origin else None
    symbols = next(folder.glob("symbols.*.so"), None) if folder else None
    norms = folder / "lang" / "norm_exceptions.py" if folder else None
    if symbols is None or norms is None or not norms.is_file():
        from spacy.lang.norm_exceptions import BASE_NORMS
        from spacy.symbols import IDS

        return dict(IDS), dict(BASE_NORMS)
    present = "spacy.symbols" in sys.modules
    loader = importlib.machinery.ExtensionFileLoader("spacy.symbols", str(symbols))
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("spacy.symbols", symbols,
                                                                                     loader=loader))
    loader.exec_module(module)
    if not present:  # (spaCy, imported later, gets the same module object from the extension's own cache)
        sys.modules.pop("spacy.symbols", None)
    norm_spec = importlib.util.spec_from_file_location("_corpusctl_spacy_norms", norms)
    norm_module = importlib.util.module_from_spec(norm_spec)
    norm_spec.loader.exec_module(norm_module)
    return dict(module.IDS), dict(norm_module.BASE_NORMS)


def string_id(string: str) -> int:
    """What `Vocab.strings.add(string)` returns."""
    symbol = _spacy_tables()[0].get(string)
    return symbol if symbol is not None else murmurhash64a(string.encode("utf-8"))


def norm(string: str) -> str:
    """A blank pipeline's `vocab[string].norm_`: the base norm exceptions, else lower case."""
    return _spacy_tables()[1].get(string, string.lower())


def _msgpack_dumps(msg) -> bytes:
    import srsly

    return srsly.msgpack_dumps(msg)


def _bin_header(size: int) -> bytes:
    """The msgpack header of a bin (bytes) value of this size, as srsly's packer writes it."""
    if size < 1 << 8:
        return b"\xc4" + size.to_bytes(1, "big")
    if size < 1 << 16:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")


CHUNK_TOKENS = 1 << 18
"""Tokens packed and compressed at a time: the file is written in pieces, never held whole (issue 21)."""


def write_docbin(path: Path, texts: list[str], entities: list[Sequence[Span]]) -> None:
    """Write the .spacy file that a DocBin(attrs=[ORTH, ENT_IOB, ENT_TYPE]) holding one Doc per text -- a token
    per character, no spaces, the spans as `doc.ents`, a blank "zh" vocabulary -- would write, byte for byte,
    from arrays over all texts (a Doc per sentence costs ~50 us, and DocBin.to_bytes loops over per-Doc arrays).
    The msgpack map is packed a value at a time and the token table a chunk at a time into one zlib stream,
    which gives the bytes of `zlib.compress` of the whole map with a fraction of its memory (the table is
    24 bytes per character; whole, it and its copies were most of the 100 MB NER export's peak, measured ad hoc). Spans must be in
    range and non-overlapping."""
    ids = _spacy_tables()[0]
    attrs = [ids["ORTH"], *sorted((ids["ENT_IOB"], ids["ENT_TYPE"]))]  # DocBin: ORTH first, the rest sorted
    orth, iob, ent_type = (attrs.index(ids[name]) for name in ("ORTH", "ENT_IOB", "ENT_TYPE"))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype="<u4")
    chars = [chr(c) for c in np.flatnonzero(np.bincount(codes)).tolist()]  # the distinct characters
    orth_of = np.zeros(ord(chars[-1]) + 1 if chars else 0, dtype=np.uint64)
    orth_of[[ord(c) for c in chars]] = [string_id(c) for c in chars]
    iob_of = np.full(len(codes), 2, np.uint8)  # spaCy's ENT_IOB codes: 1 = I, 2 = O, 3 = B
    label_of = np.zeros(len(codes), np.int32)  # 0: none, else 1 + the label's index
    labels: dict[str, int] = {}
    starts = (np.cumsum(lengths) - lengths).tolist()
    flat = [(base + s, e - s, labels.setdefault(k, len(labels)))  # (first character, length, label) per entity
            for base, spans in zip(starts, entities) for s, e, k in spans]
    if flat:
        first, length, label = np.fromiter(chain.from_iterable(flat), np.int64, count=3 * len(flat)).reshape(-1, 3).T
        covered = np.repeat(first - np.cumsum(length) + length, length) + np.arange(length.sum())  # their characters
        iob_of[covered] = 1
        iob_of[first] = 3
        label_of[covered] = 1 + np.repeat(label, length)
    label_ids = np.array([0, *(string_id(k) for k in labels)], dtype=np.uint64)
    # what DocBin.add keeps per token (text, norm, entity label, the empty tag/lemma/morph/dep/kb ids) and per Doc
    strings = {*chars, *map(norm, chars), *labels, ""} if len(codes) else set()
    compressor = zlib.compressobj()
    with open(path, "wb") as handle:
        def put(*pieces) -> None:
            for piece in pieces:
                handle.write(compressor.compress(piece))

        put(b"\x89", _msgpack_dumps("version"), _msgpack_dumps(VERSION), _msgpack_dumps("attrs"), _msgpack_dumps(attrs),
            _msgpack_dumps("tokens"), _bin_header(len(codes) * len(attrs) * 8))
        for lo in range(0, len(codes), CHUNK_TOKENS):
            tokens = np.empty((min(CHUNK_TOKENS, len(codes) - lo), len(attrs)), np.uint64)
            tokens[:, orth] = orth_of[codes[lo : lo + len(tokens)]]
            tokens[:, iob] = iob_of[lo : lo + len(tokens)]
            tokens[:, ent_type] = label_ids[label_of[lo : lo + len(tokens)]]
            put(tokens.data)
        put(_msgpack_dumps("spaces"), _bin_header(len(codes)), bytes(len(codes)),  # bool False per token
            _msgpack_dumps("lengths"), _msgpack_dumps(lengths.astype(np.int32).tobytes("C")),
            _msgpack_dumps("strings"), _msgpack_dumps(sorted(strings)),
            _msgpack_dumps("cats"), _msgpack_dumps([{}] * len(texts)),
            _msgpack_dumps("flags"), _msgpack_dumps([{"has_unknown_spaces": False}] * len(texts)),
            _msgpack_dumps("span_groups"), _msgpack_dumps([_msgpack_dumps([])] * len(texts)))  # an empty Doc.spans
        handle.write(compressor.flush())
