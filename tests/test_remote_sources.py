"""Sources on S3 (corpusctl/io/remote.py), served by a local S3-compatible server (moto) and read through
pyarrow's S3FileSystem: a build from `s3://` (a file, a folder, a glob) writes the same corpus as the same
files read from disk, a malformed line is rejected as `URI:line`, and a missing bucket or a glob matching
nothing are user errors naming the recipe key. Under `--executor ray` the workers read the store themselves."""

import json
import random
import socket
import textwrap

import pytest
from helpers import build
from typer.testing import CliRunner

from corpusctl.cli import app
from corpusctl.io import remote

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] is not installed (pip install 'moto[server]', in the dev extra): "
                          "the S3 tests need a local S3-compatible server")
boto3 = pytest.importorskip("boto3", reason="boto3 (installed with moto[server]) uploads the test files")

BUCKET = "corpus"
SENTENCES = ["巡检发现二号泵出口阀门法兰垫片渗漏", "更换密封件后试压合格设备运行正常", "班组记录压力温度读数均在正常范围",
             "操作前确认管线已泄压并挂牌上锁", "检修后清理现场恢复保温层", "仪表显示振动值偏高已通知维修车间"]
FILLER = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"


def document(i: int) -> str:
    """A report unlike every other (dedup keeps it): two sentences around random common characters."""
    rng = random.Random(i)
    return SENTENCES[i % 6] + "".join(rng.choice(FILLER) for _ in range(40)) + "。" + SENTENCES[(i + 2) % 6]


def jsonl(first: int, count: int) -> str:
    return "".join(json.dumps({"title": f"报告{i}", "text": document(i)}, ensure_ascii=False) + "\n"
                   for i in range(first, first + count))


def csv_file(first: int, count: int) -> str:
    return "title,body\n" + "".join(f"规程{i},\"{document(i)}\"\n" for i in range(first, first + count))


FILES = {  # the same tree on disk (under data/) and in the bucket (under raw/)
    "reports.jsonl": jsonl(0, 5) + '{"title": "坏行", "text": "没有结束\n' + jsonl(5, 5),  # line 6 is malformed
    "sops/a.csv": csv_file(100, 4),
    "sops/more/b.csv": csv_file(110, 3),
    "sops/notes.md": "不是数据",  # not csv: a folder source reads only its format's files
    "logs/2024-01.jsonl": jsonl(200, 4),
    "logs/2024-02.jsonl": jsonl(210, 4),
    "logs/readme.txt": "不匹配",
}


def recipe(folder, reports: str, sops: str, logs: str):
    path = folder / "recipe.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: remote
        output: out
        sources:
          - {{name: reports, path: "{reports}", format: jsonl, title_field: title, domain: industrial, kind: inspection_report}}
          - {{name: sops, path: "{sops}", format: csv, text_field: body, title_field: title, domain: industrial, kind: sop}}
          - {{name: logs, path: "{logs}", format: jsonl, title_field: title, domain: industrial, kind: maintenance_log}}
        mix: {{enabled: false}}
        mask: {{epochs: 1}}
        ner: {{enabled: false}}
        classification: {{enabled: false}}
        report: {{enabled: false}}
        """), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on 127.0.0.1 holding FILES under s3://corpus/raw/; the AWS_* variables point
    pyarrow at it (dummy credentials, the endpoint through AWS_ENDPOINT_URL)."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_REGION"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        remote._filesystem.cache_clear()
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for name, text in FILES.items():
            client.put_object(Bucket=BUCKET, Key=f"raw/{name}", Body=text.encode("utf-8"))
        yield client
        remote._filesystem.cache_clear()
    server.stop()


@pytest.fixture(scope="module")
def local_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("local") / "data"
    for name, text in FILES.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(text, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def local_out(local_data):
    folder = local_data.parent
    return build(recipe(folder, "data/reports.jsonl", "data/sops", "data/logs/*.jsonl"), folder / "out",
                 "--workers", "1")


def s3_recipe(folder):
    return recipe(folder, f"s3://{BUCKET}/raw/reports.jsonl", f"s3://{BUCKET}/raw/sops/",
                  f"s3://{BUCKET}/raw/logs/*.jsonl")


def corpus_files(out) -> dict[str, bytes]:
    """Every output file but the manifest (it holds the recipe's paths) and the rejects (they name files)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json" and p.parent.name != "rejects"}


def objects(client) -> dict[str, str]:
    return {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}


def test_a_build_from_s3_equals_the_build_from_disk(s3, local_out, tmp_path):
    before = objects(s3)
    out = build(s3_recipe(tmp_path), tmp_path / "out", "--workers", "1")
    files = corpus_files(out)
    assert any(name.startswith("pretrain/") for name in files)
    assert files == corpus_files(local_out)
    assert objects(s3) == before  # nothing written to the store

    rejects = [json.loads(line) for line in (out / "rejects" / "ingest.jsonl").open(encoding="utf-8")]
    assert [(r["reason"], r["detail"].split(": ")[0]) for r in rejects] == \
        [("json_error", f"s3://{BUCKET}/raw/reports.jsonl:6")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    local = json.loads((local_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sources"] == local["sources"]
    assert manifest["recipe"]["sources"][1]["path"] == f"s3://{BUCKET}/raw/sops/"  # kept as written


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_validate_checks_remote_sources_and_names_the_key(s3, tmp_path):
    assert run("validate", s3_recipe(tmp_path)).exit_code == 0
    bad = recipe(tmp_path, "s3://no-such-bucket/raw/reports.jsonl", f"s3://{BUCKET}/raw/sops/",
                 f"s3://{BUCKET}/raw/logs/*.parquet")
    result = run("validate", bad)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # (rich wraps long lines)
    assert "sources.0.path (line 4): source path s3://no-such-bucket/raw/reports.jsonl does not exist: there " \
           "is no bucket 'no-such-bucket'" in output
    assert f"sources.2.path (line 6): source path s3://{BUCKET}/raw/logs/*.parquet matches no jsonl files" in output
    assert "sources.1.path" not in output and "Traceback" not in output
    missing = recipe(tmp_path, f"s3://{BUCKET}/raw/gone/", f"foo://{BUCKET}/x.csv", f"s3://{BUCKET}/raw/logs/")
    output = " ".join(run("validate", missing).output.split())
    assert f"sources.0.path (line 4): source path s3://{BUCKET}/raw/gone/ does not exist" in output
    assert f"sources.1.path (line 5): foo://{BUCKET}/x.csv: unknown scheme foo://" in output
    assert "sources.2.path" not in output


def test_hdfs_without_a_reachable_cluster_is_a_user_error(tmp_path):
    """Here pyarrow finds no libhdfs (or, where it does, no namenode): either way one message, no traceback."""
    result = run("validate", recipe(tmp_path, "hdfs://127.0.0.1:1/corpora/a.jsonl", "../x.csv", "../y.jsonl"))
    output = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in output
    assert "sources.0.path (line 4): hdfs://127.0.0.1:1/corpora/a.jsonl: " in output
    assert "hdfs:// needs Hadoop's native client" in output or "cannot connect to hdfs://127.0.0.1:1" in output


def test_a_build_fails_cleanly_when_access_is_denied(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")  # no credentials: anonymous requests, refused
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "")
    remote._filesystem.cache_clear()
    try:
        result = run("build", s3_recipe(tmp_path), "--output", tmp_path / "out", "--quiet")
    finally:
        remote._filesystem.cache_clear()
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"sources.0.path (line 4): s3://{BUCKET}/raw/reports.jsonl: access denied" in output, output
    assert "Traceback" not in output


def test_every_format_reads_the_same_from_s3(s3, tmp_path):
    """SourceReader over each format, from disk and from the bucket: the same documents and rejects, the
    origins naming the object's URI instead of the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpusctl.io.readers import SourceReader
    from corpusctl.recipe import SourceConfig

    table = pa.table({"title": ["表一", "表二", "表三"], "text": [document(300), document(301), None]})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    with pa.ipc.new_file(tmp_path / "t.arrow", table.schema) as writer:
        writer.write_table(table, max_chunksize=2)
    (tmp_path / "t.txt").write_text("第一段\n续行\n\n第二段\n", encoding="utf-8")
    (tmp_path / "t.tsv").write_text("title\ttext\n甲\t内容一\n乙\t内容二\t多余\n", encoding="utf-8")
    (tmp_path / "t.jsonl").write_bytes('{"text": "好"}\n'.encode() + b'{"text": "\xff"}\n')
    for name in ("t.parquet", "t.arrow", "t.txt", "t.tsv", "t.jsonl"):
        s3.upload_file(str(tmp_path / name), BUCKET, f"formats/{name}")

    def read(path, fmt):
        source = SourceConfig.model_validate({"name": "s", "path": path, "format": fmt, "domain": "general",
                                              "kind": "other", "title_field": "title"},
                                             context={"base_dir": tmp_path})
        return [json.dumps(vars(item) if not isinstance(item, dict) else item, ensure_ascii=False)
                for item in SourceReader(source)]

    for name, fmt in [("t.parquet", "parquet"), ("t.arrow", "arrow"), ("t.txt", "txt"), ("t.tsv", "csv"),
                      ("t.jsonl", "jsonl")]:
        local = read(name, fmt)
        assert len(local) >= 2
        uri = f"s3://{BUCKET}/formats/{name}"
        assert read(uri, fmt) == [line.replace(str(tmp_path / name), uri) for line in local], name


def test_glob_matching_is_globs():
    match = remote._glob_match
    assert match(["*.jsonl"], ["a.jsonl"]) and not match(["*.jsonl"], ["b", "a.jsonl"])
    assert match(["**", "*.jsonl"], ["a.jsonl"]) and match(["**", "*.jsonl"], ["b", "c", "a.jsonl"])
    assert not match(["*.jsonl"], [".hidden.jsonl"]) and not match(["**", "*.jsonl"], [".git", "a.jsonl"])
    assert match(["2024-0[12]", "?.csv"], ["2024-02", "x.csv"]) and not match(["2024-0[12]", "?.csv"], ["2024-03", "x.csv"])


@pytest.mark.ray
def test_ray_workers_read_s3_directly(s3, local_out, tmp_path, monkeypatch):
    """A local 1-CPU Ray: ingest runs as one worker task per S3 object (its workers inherit the AWS_*
    variables, as `ray start` on a node inherits its shell's), and the corpus is the local build's."""
    pytest.importorskip("ray")
    from helpers import ROOT

    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import corpusctl from this checkout
    out = build(s3_recipe(tmp_path), tmp_path / "out", "--executor", "ray", "--workers", "1", "--keep-work")
    assert corpus_files(out) == corpus_files(local_out)
    parts = sorted((tmp_path / ".out.work" / "ingest" / "parts").glob("part-*.json"))
    assert len(parts) == 5  # reports.jsonl, sops/a.csv, sops/more/b.csv, logs/2024-01.jsonl, logs/2024-02.jsonl
