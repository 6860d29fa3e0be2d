"""Readers: every format, stable ids, malformed lines become rejects that name file and line."""

import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusctl.errors import CorpusctlError
from corpusctl.io.readers import Reject, SourceReader
from corpusctl.recipe import SourceConfig


def source(tmp_path, path, fmt, **extra):
    fields = {"name": "s", "path": str(path), "format": fmt, "domain": "industrial", "kind": "sop", **extra}
    return SourceConfig.model_validate(fields, context={"base_dir": tmp_path})


def read(src):
    items = list(SourceReader(src))
    return [i for i in items if not isinstance(i, Reject)], [i for i in items if isinstance(i, Reject)]


def test_jsonl_broken_line_is_rejected_with_file_and_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "一"}\n{"text": "二"}\n{"text": "三\n{"text": "四"}\n', encoding="utf-8")
    docs, rejects = read(source(tmp_path, path, "jsonl"))
    assert [d["text"] for d in docs] == ["一", "二", "四"]
    assert len(rejects) == 1 and rejects[0].origin == f"{path}:3"
    assert f"{path}:3" in rejects[0].detail and rejects[0].reason == "json_error"


def test_ids_are_stable_and_use_id_field(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "r1", "text": "甲", "t": "标题", "c": "leak", "x": 1}\n', encoding="utf-8")
    docs, _ = read(source(tmp_path, path, "jsonl", id_field="id", title_field="t", label_field="c"))
    assert docs[0]["id"] == "s:r1" and docs[0]["title"] == "标题" and docs[0]["label"] == "leak"
    assert json.loads(docs[0]["meta"]) == {"x": 1}
    docs2, _ = read(source(tmp_path, path, "jsonl"))
    assert docs2[0]["id"] == "s:a.jsonl:1" == read(source(tmp_path, path, "jsonl"))[0][0]["id"]


def test_missing_text_field_and_bad_bytes_are_rejects(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"body": "x"}\n' + b'{"text": "\xff\xfe"}\n' + '{"text": "好"}\n'.encode())
    docs, rejects = read(source(tmp_path, path, "jsonl"))
    assert [d["text"] for d in docs] == ["好"]
    assert [(r.reason, r.origin) for r in rejects] == [("missing_field", f"{path}:1"), ("decode_error", f"{path}:2")]


def test_txt_blocks_and_files(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "b.txt").write_text("第一段\n续行\n\n\n第二段\n", encoding="utf-8")
    (folder / "a.txt").write_text("另一个文件\n", encoding="utf-8")
    docs, _ = read(source(tmp_path, folder, "txt"))
    assert [(d["id"], d["text"]) for d in docs] == [("s:a.txt:1", "另一个文件"), ("s:b.txt:1", "第一段\n续行"),
                                                     ("s:b.txt:5", "第二段")]
    docs, _ = read(source(tmp_path, folder, "txt", txt_mode="file"))
    assert [d["id"] for d in docs] == ["s:a.txt", "s:b.txt"]


def test_csv_with_quoted_newlines_and_bad_row(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('title,body\n甲,"一行\n两行"\n乙\n丙,三\n', encoding="utf-8")
    docs, rejects = read(source(tmp_path, path, "csv", text_field="body", title_field="title"))
    assert [(d["title"], d["text"]) for d in docs] == [("甲", "一行\n两行"), ("丙", "三")]
    assert rejects[0].origin == f"{path}:4" and "expected 2 fields" in rejects[0].detail
    assert docs[1]["id"] == "s:a.csv:5"


def test_parquet_arrow_and_hf_and_glob(tmp_path):
    table = pa.table({"text": ["甲", "乙"], "title": ["t1", "t2"]})
    pq.write_table(table, tmp_path / "a.parquet")
    with pa.ipc.new_file(str(tmp_path / "a.arrow"), table.schema) as writer:
        writer.write_table(table)
    datasets.Dataset.from_dict({"text": ["丙"], "title": ["t3"]}).save_to_disk(str(tmp_path / "hf"))
    for fmt, path in [("parquet", tmp_path / "a.parquet"), ("arrow", tmp_path / "a.arrow"), ("hf", tmp_path / "hf")]:
        docs, rejects = read(source(tmp_path, path, fmt, title_field="title"))
        assert not rejects and docs, fmt
    docs, _ = read(source(tmp_path, tmp_path / "a.parquet", "parquet", title_field="title"))
    assert [(d["id"], d["title"]) for d in docs] == [("s:a.parquet:0", "t1"), ("s:a.parquet:1", "t2")]
    (tmp_path / "g").mkdir()
    for name in ("x.jsonl", "y.jsonl"):
        (tmp_path / "g" / name).write_text('{"text": "字"}\n', encoding="utf-8")
    docs, _ = read(source(tmp_path, tmp_path / "g" / "*.jsonl", "jsonl"))
    assert [d["id"] for d in docs] == ["s:x.jsonl:1", "s:y.jsonl:1"]


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusctlError, match="does not exist"):
        read(source(tmp_path, tmp_path / "nope.jsonl", "jsonl"))
