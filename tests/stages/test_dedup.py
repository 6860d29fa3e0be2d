import importlib.util
import pickle
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusctl.config import PROJECT_ROOT
from corpusctl.stages.dedup import (
    DedupConfig,
    dedup_signatures,
    estimated_jaccard,
    find_duplicates,
    minhash_signatures,
    shingle_hash32,
    shingles,
)
from corpusctl.text.ngrams import ngram_hashes

REPORT = ("今日对二号车间进行例行巡检，发现三号反应釜出口法兰处存在轻微泄漏，现场有刺激性气味。"
          "班组长立即组织人员关闭上游阀门，更换法兰垫片，并对周边区域进行通风处理。"
          "经复查，泄漏点已消除，设备恢复正常运行。要求各班组加强巡检频次，做好交接班记录。")
OTHER = ("本规程适用于公司所属各车间的动火作业管理。作业前必须办理动火作业票，由安全员进行气体检测，"
         "确认可燃气体浓度合格后方可作业。作业过程中设专人监护，配备灭火器材，作业结束后清理现场。")


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_dedup", PROJECT_ROOT / "bench" / "dedup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batch_of(*texts, titles=None):
    return {"id": [f"d{i}" for i in range(len(texts))], "title": titles or [""] * len(texts), "text": list(texts)}


def decide(batch, config=DedupConfig()):
    sigs = dedup_signatures(batch, config)
    return find_duplicates(batch["id"], sigs["_exact"], sigs["_minhash"], config)


def edit(text: str, positions: list[int]) -> str:
    chars = list(text)
    for p in positions:
        chars[p] = "某"
    return "".join(chars)


def test_signatures_equal_datasketch_minhash():
    from datasketch import MinHash

    texts = [REPORT, OTHER, "短文", ""]
    sigs = minhash_signatures(texts, 5, 128)
    for text, sig in zip(texts, sigs, strict=True):
        reference = MinHash(num_perm=128, seed=1, hashfunc=shingle_hash32, scheme="affine32")
        if shingles(text, 5):
            reference.update_batch(shingles(text, 5))
        assert np.array_equal(reference.hashvalues, sig)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet="阀门泄漏检查设备正常，。 \nab", max_size=50), min_size=1, max_size=10),
       st.integers(min_value=1, max_value=9))
def test_signatures_do_not_depend_on_batch_boundaries(texts, cut):
    config = DedupConfig(num_perm=32)
    batch = batch_of(*texts)
    whole = dedup_signatures(batch, config)
    cut = min(cut, len(texts))
    parts = [dedup_signatures({k: v[lo:hi] for k, v in batch.items()}, config)
             for lo, hi in ((0, cut), (cut, len(texts))) if hi > lo]
    for key in ("_exact", "_minhash"):
        assert whole[key] == [x for p in parts for x in p[key]]
    assert whole == dedup_signatures(batch, config)


def test_exact_duplicate_ignores_whitespace_and_names_the_first_copy():
    found = decide(batch_of(REPORT, OTHER, REPORT.replace("。", "。\n ", 2), REPORT))
    assert found == {2: ("exact_duplicate", "d0"), 3: ("exact_duplicate", "d0")}


def test_title_is_part_of_the_exact_key():
    assert decide(batch_of(REPORT, REPORT, titles=["巡检报告", "另一份报告"])) == {1: ("near_duplicate", "d0")}
    assert decide(batch_of(REPORT, REPORT, titles=["巡检报告", "另一份报告"]), DedupConfig(near=False)) == {}


def test_near_duplicate_with_one_percent_edits():
    near = edit(REPORT, [17, 60])  # ~1.6% of the characters
    found = decide(batch_of(REPORT, OTHER, near))
    assert found == {2: ("near_duplicate", "d0")}
    sigs = dedup_signatures(batch_of(REPORT, near), DedupConfig())["_minhash"]
    assert estimated_jaccard(*sigs) >= 0.8


def test_distinct_documents_are_kept():
    assert decide(batch_of(REPORT, OTHER, REPORT[:40] + OTHER[40:])) == {}


def test_switches_and_threshold():
    near = edit(REPORT, [17, 60])
    assert decide(batch_of(REPORT, REPORT), DedupConfig(exact=False)) == {1: ("near_duplicate", "d0")}
    assert decide(batch_of(REPORT, near), DedupConfig(near=False)) == {}
    assert decide(batch_of(REPORT, near), DedupConfig(threshold=0.99)) == {}
    assert decide(batch_of(REPORT, near), DedupConfig(enabled=True, shingle_size=3, num_perm=64)) == {
        1: ("near_duplicate", "d0")}


def test_kept_copy_is_the_first_by_input_order():
    a, b = REPORT, edit(REPORT, [30])
    assert decide(batch_of(a, b)) == {1: ("near_duplicate", "d0")}
    assert decide(batch_of(b, a)) == {1: ("near_duplicate", "d0")}


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="same length"):
        find_duplicates(["a"], [], [], DedupConfig())
    with pytest.raises(ValueError, match="num_perm=128"):
        find_duplicates(["a"], [""], [np.zeros(64, "<u4").tobytes()], DedupConfig(exact=False))


def test_signature_function_is_picklable_for_workers():
    function = pickle.loads(pickle.dumps(partial(dedup_signatures, config=DedupConfig())))
    assert function(batch_of(REPORT))["_exact"] == dedup_signatures(batch_of(REPORT), DedupConfig())["_exact"]


@pytest.fixture(scope="module")
def planted():
    bench = load_bench()
    batch, truth = bench.make_corpus(n_docs=3000, seed=11, chars=(80, 400), exact_share=0.05, near_share=0.05)
    return bench, batch, truth


def test_planted_duplicates_are_caught(planted):
    bench, batch, truth = planted
    found = decide(batch)
    result = bench.score(batch, found, truth)
    assert len(truth["exact"]) == len(truth["near"]) == 150
    assert result["exact_recall"] >= 0.95
    assert result["near_recall"] >= 0.80
    assert result["false_drop_rate"] <= 0.02
    assert result["twin_accuracy"] >= 0.99
    reasons = {batch["id"][row]: reason for row, (reason, _) in found.items()}
    assert all(reasons[copy] == "exact_duplicate" for copy, _ in truth["exact"])


def test_planted_result_is_deterministic_and_batch_independent(planted):
    _, batch, _ = planted
    config = DedupConfig()
    whole = dedup_signatures(batch, config)
    parts = [dedup_signatures({k: v[lo : lo + 700] for k, v in batch.items()}, config)
             for lo in range(0, len(batch["id"]), 700)]
    joined = {key: [x for p in parts for x in p[key]] for key in whole}
    assert joined == whole
    first = find_duplicates(batch["id"], whole["_exact"], whole["_minhash"], config)
    assert first == find_duplicates(batch["id"], joined["_exact"], joined["_minhash"], config)


def test_lsh_weights_are_validated():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="sum to 1"):
        DedupConfig(lsh_weights=(0.5, 0.6))
    assert DedupConfig(lsh_weights=[0.5, 0.5]).lsh_weights == (0.5, 0.5)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 10, 16, 33, 60, 61])
def test_ngram_hashes_are_the_polynomial_hash_of_each_window(n):
    mask = 2**64 - 1

    def fmix64(h: int) -> int:
        h ^= h >> 33
        h = h * 0xFF51AFD7ED558CCD & mask
        h ^= h >> 33
        h = h * 0xC4CEB9FE1A85EC53 & mask
        return h ^ (h >> 33)

    points = np.random.default_rng(n).integers(0, 0x10FFFF, 60).astype("<u4")
    expected = []
    for i in range(len(points) - n + 1):
        h = 0
        for point in points[i:i + n].tolist():
            h = (h * 0x100000001B3 + point) & mask
        expected.append(fmix64(h))
    assert ngram_hashes(points, n).tolist() == expected


def datasketch_decisions(ids, exact_hashes, minhashes, config):
    """The same decisions taken the plain way: rows in input order, queried against and inserted into
    datasketch's MinHashLSH."""
    from datasketch import LeanMinHash, MinHashLSH

    from corpusctl.stages.dedup import lsh_bands

    lsh = MinHashLSH(num_perm=config.num_perm, params=lsh_bands(config))
    found, first, kept = {}, {}, {}
    for row, (key, blob) in enumerate(zip(exact_hashes, minhashes, strict=True)):
        if first.setdefault(key, row) != row:
            found[row] = ("exact_duplicate", ids[first[key]])
            continue
        sig = np.frombuffer(blob, dtype="<u4")
        if (sig == 0xFFFFFFFF).all():
            continue
        minhash = LeanMinHash(seed=1, hashvalues=sig, scheme="affine32")
        twins = sorted(c for c in lsh.query(minhash)
                       if np.count_nonzero(kept[c] == sig) >= config.threshold * config.num_perm)
        if twins:
            found[row] = ("near_duplicate", ids[twins[0]])
            continue
        lsh.insert(row, minhash)
        kept[row] = sig
    return found


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.99])  # (0.99: the 2-band fallback)
def test_decisions_equal_datasketch_lsh_in_input_order(planted, threshold):
    _, batch, _ = planted
    config = DedupConfig(threshold=threshold)
    sigs = dedup_signatures(batch, config)
    expected = datasketch_decisions(batch["id"], sigs["_exact"], sigs["_minhash"], config)
    assert sum(reason == "near_duplicate" for reason, _ in expected.values()) > (10 if threshold < 0.9 else -1)
    assert find_duplicates(batch["id"], sigs["_exact"], sigs["_minhash"], config) == expected


def test_signature_column_reads_arrow_binary_without_python_bytes():
    import pyarrow as pa

    from corpusctl.stages.dedup import signature_column

    sigs = dedup_signatures(batch_of(REPORT, "", OTHER, REPORT[:40]), DedupConfig(num_perm=16))["_minhash"]
    column = pa.array([b""] + sigs, pa.binary()).slice(1)  # an offset into the buffers, as in a sliced batch
    matrix = signature_column(column, 16)
    assert matrix.shape == (4, 16)
    assert [row.astype("<u4").tobytes() for row in matrix] == sigs
