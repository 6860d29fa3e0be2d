"""Arrow types of the pipeline's columns, so every batch of a stage is written with one schema.

Batches are built by pure Python functions; without fixed types an all-empty list in the first batch
would be inferred as `list<null>` and clash with the next batch.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SPAN = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("concept_id", pa.string()),
                  ("category", pa.string()), ("sense", pa.string())])
WORD = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("pos", pa.int8())])
"""A word over `text`/`title`; `pos` indexes `corpusctl.segmenter.pos.UPOS`."""
SENTENCE = pa.struct([("start", pa.int32()), ("end", pa.int32())])
ENTITY = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("type", pa.string())])
"""A distant NER label: (start, end, type) in its sentence (the `ner-label` stage's)."""
NER_SENTENCE = pa.struct([("index", pa.int32()), ("start", pa.int32()), ("end", pa.int32()), ("length", pa.int32()),
                          ("priority", pa.uint64()), ("entities", pa.int32())])
"""A sentence for the NER export (`corpusctl.exports.ner.Sentence`): index -1 is the title, start/end bound it in
the title or text, length is what is left after whitespace is dropped, priority its sampling hash, entities
how many of the row's `ner_entities` are its."""
INT_SEQ = pa.list_(pa.int32())

COLUMN_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(), "source": pa.string(), "domain": pa.string(), "kind": pa.string(),
    "title": pa.string(), "text": pa.string(), "label": pa.string(), "origin": pa.string(), "meta": pa.string(),
    "priority": pa.float64(),
    "terms": pa.list_(SPAN), "title_terms": pa.list_(SPAN),
    "doc_ids": pa.list_(pa.string()), "format": pa.string(), "sentences": pa.list_(SENTENCE),
    "words": pa.list_(WORD), "title_words": pa.list_(WORD),
    "ner_sentences": pa.list_(NER_SENTENCE), "ner_entities": pa.list_(ENTITY),
    "input_ids": INT_SEQ, "attention_mask": pa.list_(pa.int8()), "token_type_ids": pa.list_(pa.int8()),
    "special_tokens_mask": pa.list_(pa.int8()), "length": pa.int32(), "num_words": pa.int32(),
    "word_ids": INT_SEQ, "term_ids": INT_SEQ, "pos_ids": pa.list_(pa.int8()), "sentence_ids": INT_SEQ,
    "labels": INT_SEQ, "content": pa.string(), "report_chars": pa.int32(), "report_words": pa.int32(),
    "_reject": pa.string(), "_reject_detail": pa.string(), "_events": pa.list_(pa.string()),
    "_as_pair": pa.bool_(), "_copy": pa.int32(), "_exact": pa.string(), "_minhash": pa.binary(),
}


def string_array(values: list[str]) -> pa.Array:
    """`pa.array(values, pa.string())` built from its two buffers: `pa.array` imports pandas the first
    time it is called (9.5 MB of module reads, ~0.4 CPU-s), which a Ray driver otherwise never needs."""
    encoded = [value.encode() for value in values]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


def int_values(array: pa.Array | pa.ChunkedArray, null: int = -1) -> np.ndarray:
    """An integer Arrow array's values as numpy, nulls as `null`, read from its buffers (`to_numpy` too
    imports pandas the first time, see `string_array`)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not len(array):
        return np.zeros(0, array.type.to_pandas_dtype())
    dtype = np.dtype(f"<{'i' if pa.types.is_signed_integer(array.type) else 'u'}{array.type.bit_width // 8}")
    values = np.frombuffer(array.buffers()[1], dtype, len(array), array.offset * dtype.itemsize)
    if not array.null_count:
        return values.copy()
    valid = np.unpackbits(np.frombuffer(array.buffers()[0], np.uint8), bitorder="little")
    return np.where(valid[array.offset : array.offset + len(array)].astype(bool), values, null)


def schema_for(batch: dict) -> pa.Schema:
    """The schema of a batch: registered types for known columns, inference for the rest."""
    fields = []
    for name, values in batch.items():
        if name in COLUMN_TYPES:
            fields.append(pa.field(name, COLUMN_TYPES[name]))
        else:
            fields.append(pa.field(name, pa.array(values).type))
    return pa.schema(fields)


def to_record_batch(batch: dict, schema: pa.Schema | None = None) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(batch, schema=schema or schema_for(batch))


# -- list columns as flat arrays (offsets + values), for stages that build them with numpy ----------------


def list_offsets(counts: np.ndarray) -> np.ndarray:
    """The offsets of lists with these lengths: [0, c0, c0+c1, ...] (one more than there are lists)."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def list_items(offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Indices of the items of `rows` (in that order) in a flat array of lists with these offsets."""
    counts = offsets[rows + 1] - offsets[rows]
    return np.arange(counts.sum()) + np.repeat(offsets[rows] - list_offsets(counts)[:-1], counts)


def list_array(counts: np.ndarray, values: pa.Array) -> pa.ListArray:
    """A list column of lists with these lengths, cut from `values` in order."""
    return pa.ListArray.from_arrays(pa.array(list_offsets(counts), pa.int32()), values)
