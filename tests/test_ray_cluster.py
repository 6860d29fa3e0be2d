"""`--executor ray` on a simulated 3-node cluster (ray.cluster_utils.Cluster: each node its own raylet, CPU and
object store): workers read and write the checkpoints' part files, dedup is planned by shuffles on the
cluster, and the outputs equal the local executor's; a stage interrupted half-way recomputes only its missing
parts on --resume."""

import importlib.util
import json
import os

import numpy as np
import pyarrow as pa
import pytest
from conftest import ROOT, build

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def cluster(sample_out):
    """Three nodes. The local sample build (sample_out) comes first: a process pool forked by this process
    after it connected to Ray waits forever at shutdown for a worker that never exits."""
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    # the workers import corpusctl from this checkout
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 << 20,
                                                          "include_dashboard": False})
    for _ in range(2):
        nodes.add_node(num_cpus=1, object_store_memory=80 << 20)
    nodes.wait_for_nodes()
    yield nodes
    import ray

    if ray.is_initialized():
        ray.shutdown()
    nodes.shutdown()


def digests(out):
    spec = importlib.util.spec_from_file_location("sample_digest", ROOT / "bench" / "sample_digest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.digest_folder(out)


def test_dedup_decisions_on_the_cluster_equal_find_duplicates(cluster, tmp_path):
    import ray

    from corpusctl.distributed import Cluster
    from corpusctl.io.workdir import ArrowStreamWriter, StageCheckpoint, write_json
    from corpusctl.stages.dedup import DedupConfig, dedup_signatures, find_duplicates

    rng = np.random.default_rng(7)
    alphabet = list("巡检发现泄漏阀门法兰垫片更换设备运行正常班组记录压力温度异常处理车间")
    base = ["".join(rng.choice(alphabet, 120)) for _ in range(60)]
    texts = []
    for i in range(400):  # copies, near copies (a few characters changed) and originals, interleaved
        text = base[int(rng.integers(len(base)))]
        if i % 3 == 1:
            chars = list(text)
            for k in rng.integers(0, len(chars), 3):
                chars[k] = "。"
            text = "".join(chars)
        elif i % 3 == 2:
            text = "".join(rng.choice(alphabet, 120))
        texts.append(text)
    texts[10] = ""  # no characters: no signature
    config = DedupConfig()
    measured = StageCheckpoint(tmp_path, "dedup-signatures", "x")
    measured.parts_dir.mkdir(parents=True)
    ids, exact, sigs = [], [], []
    for index, (lo, hi) in enumerate([(0, 37), (37, 37), (37, 200), (200, 333), (333, 400)]):  # one empty part
        batch = {"id": [f"d{i}" for i in range(lo, hi)], "title": [""] * (hi - lo), "text": texts[lo:hi]}
        out = dedup_signatures(batch, config)
        ids += batch["id"]
        exact += out["_exact"]
        sigs += out["_minhash"]

        writer = ArrowStreamWriter(measured.parts_dir / f"part-{index:05d}.arrow")
        writer.write(pa.RecordBatch.from_pydict({"id": batch["id"], **out}))
        writer.close(pa.schema([("id", pa.string()), ("_exact", pa.string()), ("_minhash", pa.binary())]))
        write_json(measured.parts_dir / f"part-{index:05d}.json", {"docs_out": hi - lo})
    expected = find_duplicates(ids, exact, sigs, config)
    assert {r for r, _ in expected.values()} == {"exact_duplicate", "near_duplicate"}
    from corpusctl.stages.dedup import lsh_bands
    from corpusctl.stages.dedup_cluster import plan_on_cluster

    ray.init(address=cluster.address, log_to_driver=False)
    try:
        got = ray.get(plan_on_cluster(Cluster(ray, 3), measured, config, lsh_bands))
    finally:
        ray.shutdown()
    assert got == expected


def test_without_an_address_a_build_starts_a_ray_of_its_own_beside_a_running_one(cluster, tmp_path):
    """`--executor ray` without --ray-address starts its own Ray with --workers CPUs, as the README says, even
    with another Ray running on the machine (plain ray.init() joined that one and refused num_cpus)."""
    import subprocess
    import sys

    (tmp_path / "docs").mkdir()
    line = {"title": "配电箱巡检", "text": "配电箱门未关闭，箱内积灰严重，电工已到现场清理并更换了损坏的漏电保护器。"}
    (tmp_path / "docs" / "a.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: s\noutput: out\nsources:\n  - {name: docs, path: docs, format: jsonl, "
                      "title_field: title, domain: industrial, kind: sop}\nmix: {enabled: false}\n"
                      "ner: {enabled: false}\nclassification: {enabled: false}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    done = subprocess.run([sys.executable, "-m", "corpusctl", "build", str(recipe), "--quiet", "--executor", "ray",
                           "--workers", "1"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "out" / "manifest.json").exists()


def test_strict_stops_at_a_malformed_line_read_by_a_worker(cluster, tmp_path):
    from typer.testing import CliRunner

    from corpusctl.cli import app

    (tmp_path / "docs").mkdir()
    good = {"title": "配电箱巡检", "text": "配电箱门未关闭，箱内积灰严重，电工已到现场清理并更换了损坏的漏电保护器。"}
    (tmp_path / "docs" / "a.jsonl").write_text(json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "docs" / "b.jsonl").write_text('{"title": "x", "text": \n', encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: s\noutput: out\nsources:\n  - {name: docs, path: docs, format: jsonl, "
                      "title_field: title, domain: industrial, kind: sop}\nmix: {enabled: false}\n"
                      "ner: {enabled: false}\nclassification: {enabled: false}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(recipe), "--output", str(tmp_path / "out"), "--quiet", "--strict",
                                      "--executor", "ray", "--ray-address", cluster.address])
    assert result.exit_code != 0 and "b.jsonl:1" in result.output and "--strict" in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_sample_build_on_the_cluster_equals_local_and_resumes_per_part(cluster, sample_out, tmp_path):
    out = build(ROOT / "recipes" / "sample.yaml", tmp_path / "out", "--executor", "ray", "--ray-address",
                cluster.address, "--keep-work")
    local, distributed = digests(sample_out), digests(out)
    assert distributed == local  # every file: pretrain/, masked/, ner/, classification/, the manifest
    assert any(name.startswith("pretrain/") for name in local) and any(name.startswith("ner/") for name in local)
    assert any(name.startswith("classification/") for name in local)
    assert any(name.startswith("masked/") for name in local)
    work = tmp_path / ".out.work"
    parts = sorted((work / "segment" / "parts").glob("part-*.arrow"))
    assert len(parts) > 3 and not (work / "segment" / "data.arrow").exists()
    assert (work / "dedup" / "parts").is_dir()

    # a job killed in the middle of `segment`: its done.json not written yet, one part not finished
    (work / "segment" / "done.json").unlink()
    lost = parts[2]
    for path in lost.parent.glob(f"{lost.name.split('.')[0]}.*"):
        path.unlink()
    (lost.parent / f"{lost.name}.partial").write_bytes(b"half a part")
    kept = {p.name: p.stat().st_mtime_ns for p in parts if p != lost}
    earlier = (work / "clean" / "done.json").stat().st_mtime_ns
    from typer.testing import CliRunner

    from corpusctl.cli import app

    result = CliRunner().invoke(app, ["build", str(ROOT / "recipes" / "sample.yaml"), "--output", str(out),
                                      "--quiet", "--executor", "ray", "--ray-address", cluster.address, "--resume",
                                      "--keep-work"])
    assert result.exit_code == 0, result.output
    assert lost.exists() and not (lost.parent / f"{lost.name}.partial").exists()
    assert {p.name: p.stat().st_mtime_ns for p in parts if p != lost} == kept  # only the missing part was run
    assert (work / "clean" / "done.json").stat().st_mtime_ns == earlier  # earlier stages reused
    assert json.loads((work / "segment" / "done.json").read_text())["stats"]["docs_in"] > 0
    resumed = digests(out)
    assert resumed.pop("manifest.json") and resumed == {k: v for k, v in local.items() if k != "manifest.json"}
    mix_passes_on_the_cluster_equal_the_local_ones(cluster, work)


def mix_passes_on_the_cluster_equal_the_local_ones(cluster, work):
    """The mix and format decisions made by tasks over the cluster build's part files, with a window of 5
    documents (so the bins around each budget are gathered from several parts), equal the same passes
    over the whole measured checkpoint in this process."""
    import ray

    from corpusctl.distributed import Cluster
    from corpusctl.io.workdir import rows_in
    from corpusctl.recipe import load_recipe
    from corpusctl.stages.mix import Mix
    from corpusctl.stages.mix_select import (
        Local,
        OnCluster,
        as_pair,
        copies_of,
        decide_mix,
        mix_copies,
        read_part,
    )

    if not ray.is_initialized():
        ray.init(address=cluster.address)
    planner = Mix(load_recipe(ROOT / "recipes" / "sample.yaml")).planner()
    planner.window = 5
    files = sorted((work / "mix-sizes" / "parts").glob("part-*.arrow"))
    parts, first = [], 0
    for file in files:
        parts.append((str(file), first, rows_in(file)))
        first += parts[-1][2]
    assert len(parts) > 3
    whole = read_part(str(work / "mix-sizes" / "data.arrow"))  # (the parts, read as one)
    decided = []
    for passes in (OnCluster(Cluster(ray, 3), parts), Local(read_part(whole))):
        decision, stats = decide_mix(planner, passes)
        pairs = planner.pairs(passes, decision)
        counts = mix_copies(whole, 0, decision)
        decided.append((counts.tolist(), as_pair(copies_of(whole, 0, counts, planner.seed, planner.stride), pairs).tolist(),
                        stats))
    assert decided[0] == decided[1]
    assert 0 in decided[0][0] and any(decided[0][1]) and not all(decided[0][1])
