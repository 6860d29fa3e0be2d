"""Mix plan: target shares per kind, shortage modes, priority preference, determinism."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from corpusctl.errors import CorpusctlError
from corpusctl.stages.mix import (
    PAPER_SHARES,
    MixConfig,
    approx_tokens,
    copy_rows,
    document_size,
    measure_batch,
    missing_kinds,
    parse_target_size,
    plan_mix,
)


def make_corpus(amounts: dict[str, int], seed: int = 0, low: int = 40, high: int = 600, priority_share: float = 0.2):
    """Documents per kind until each kind holds about `amounts[kind]` characters."""
    rng = random.Random(seed)
    kinds, chars, priorities, ids = [], [], [], []
    for kind, amount in amounts.items():
        total = 0
        i = 0
        while total < amount:
            size = rng.randint(low, high)
            kinds.append(kind)
            chars.append(size)
            priorities.append(rng.choice([1.0, 3.0]) if rng.random() < priority_share else 0.0)
            ids.append(f"{kind}:{i}")
            total += size
            i += 1
    return kinds, chars, priorities, ids


def paper_amounts(scale: int = 1000) -> dict[str, int]:
    return {kind: int(share * 100 * scale) for kind, share in PAPER_SHARES.items()}


def skewed_amounts() -> dict[str, int]:
    amounts = paper_amounts()
    amounts["inspection_report"] *= 10  # one kind 10x too big
    amounts["sop"] //= 4  # one kind too small
    return amounts


def assert_within_one_point(plan, shares=PAPER_SHARES):
    for kind, share in shares.items():
        achieved = plan.stats["achieved"][kind]
        assert abs(achieved - share) <= 0.01, (kind, achieved, share)


def test_skewed_corpus_shrink_holds_shares_without_repeats():
    kinds, chars, priorities, ids = make_corpus(skewed_amounts())
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(shortage="shrink"), seed=42)
    assert_within_one_point(plan)
    assert max(plan.copies) == 1
    assert plan.stats["limited_by"] == "sop"  # the scarcest kind sets the total
    sop_rows = [r for r, k in enumerate(kinds) if k == "sop"]
    assert all(plan.copies[r] == 1 for r in sop_rows)  # the scarce kind is taken whole
    left = plan.stats["left_out"]["inspection_report"]
    assert left["docs"] > 0 and left["chars"] > 0.8 * sum(c for c, k in zip(chars, kinds, strict=True) if k == "inspection_report")
    assert plan.stats["repeats"]["sop"]["copies"] == 0
    industrial = plan.stats["achieved_domains"]["industrial"]
    assert abs(industrial - 0.60) <= 0.01 and plan.stats["target_domains"]["industrial"] == pytest.approx(0.6)


def test_skewed_corpus_repeat_repeats_the_short_kind():
    kinds, chars, priorities, ids = make_corpus(skewed_amounts())
    config = MixConfig(shortage="repeat", max_repeats=3)
    plan = plan_mix(kinds, chars, priorities, ids, config, seed=42)
    assert_within_one_point(plan)
    assert max(plan.copies) <= 3
    assert plan.stats["repeats"]["sop"]["copies"] > 0
    assert plan.stats["repeats"]["inspection_report"]["copies"] == 0
    shrink = plan_mix(kinds, chars, priorities, ids, MixConfig(shortage="shrink"), seed=42)
    assert plan.stats["total"] > 2 * shrink.stats["total"]  # repeating keeps far more data


def test_repeat_caps_at_max_repeats_then_shrinks():
    amounts = paper_amounts()
    amounts["maintenance_log"] //= 20  # 20x too small: 3 repeats are not enough
    kinds, chars, priorities, ids = make_corpus(amounts, low=20, high=120)
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(shortage="repeat", max_repeats=3), seed=1)
    assert_within_one_point(plan)
    logs = [plan.copies[r] for r, k in enumerate(kinds) if k == "maintenance_log"]
    assert set(logs) == {3}
    assert plan.stats["limited_by"] == "maintenance_log"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    factors=st.lists(st.floats(0.2, 10.0), min_size=6, max_size=6),
    shortage=st.sampled_from(["shrink", "repeat"]),
    seed=st.integers(0, 10_000),
)
def test_shares_hold_within_one_point_for_any_imbalance(factors, shortage, seed):
    amounts = {kind: int(PAPER_SHARES[kind] * 60_000 * f) for kind, f in zip(PAPER_SHARES, factors, strict=True)}
    kinds, chars, priorities, ids = make_corpus(amounts, seed=seed, low=20, high=300)
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(shortage=shortage), seed=seed)
    assert_within_one_point(plan)
    achieved = sum(c * n for c, n in zip(chars, plan.copies, strict=True))
    assert achieved == plan.stats["total"]


def test_missing_kind_is_an_error_naming_it():
    amounts = paper_amounts()
    del amounts["maintenance_log"]
    kinds, chars, priorities, ids = make_corpus(amounts)
    with pytest.raises(CorpusctlError, match="maintenance_log"):
        plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=0)


def test_missing_kind_renormalizes_when_allowed():
    amounts = paper_amounts()
    del amounts["maintenance_log"]
    kinds, chars, priorities, ids = make_corpus(amounts)
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(allow_renormalize=True), seed=0)
    renormalized = plan.stats["renormalized"]
    assert renormalized["missing"] == ["maintenance_log"]
    expected = {k: v / 0.95 for k, v in PAPER_SHARES.items() if k != "maintenance_log"}
    assert renormalized["shares"]["inspection_report"] == pytest.approx(0.35 / 0.95, abs=1e-6)
    assert_within_one_point(plan, expected)
    assert plan.stats["achieved"]["maintenance_log"] == 0


def test_kinds_without_a_share_are_left_out_and_reported():
    amounts = paper_amounts()
    amounts["other"] = 5000
    kinds, chars, priorities, ids = make_corpus(amounts)
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=0)
    others = [plan.copies[r] for r, k in enumerate(kinds) if k == "other"]
    assert others and set(others) == {0}
    assert plan.stats["target"]["other"] == 0
    assert plan.stats["left_out"]["other"]["docs"] == len(others)
    assert_within_one_point(plan)


def test_deterministic_for_a_seed_and_different_for_another():
    kinds, chars, priorities, ids = make_corpus(skewed_amounts())
    a = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=42)
    b = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=42)
    c = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=7)
    assert a.copies == b.copies and a.stats == b.stats
    assert a.copies != c.copies


def test_plan_does_not_depend_on_input_order():
    kinds, chars, priorities, ids = make_corpus(skewed_amounts())
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=3)
    order = list(range(len(ids)))
    random.Random(5).shuffle(order)
    shuffled = plan_mix(
        [kinds[i] for i in order], [chars[i] for i in order], [priorities[i] for i in order],
        [ids[i] for i in order], MixConfig(), seed=3,
    )
    assert {ids[i]: plan.copies[i] for i in range(len(ids))} == {
        ids[i]: shuffled.copies[j] for j, i in enumerate(order)
    }


def test_high_priority_documents_are_selected_more_often():
    kinds, chars, priorities, ids = make_corpus(skewed_amounts(), priority_share=0.0)
    rng = random.Random(11)
    priorities = [5.0 if rng.random() < 0.5 else 0.0 for _ in ids]
    rate = {True: [], False: []}
    for seed in range(5):
        plan = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=seed)
        for row, kind in enumerate(kinds):
            if kind == "inspection_report":  # the kind that is heavily subsampled
                rate[priorities[row] > 0].append(plan.copies[row])
    high = sum(rate[True]) / len(rate[True])
    low = sum(rate[False]) / len(rate[False])
    assert high > 2 * low


def test_target_size_in_chars_and_bytes():
    kinds, chars, priorities, ids = make_corpus(paper_amounts())
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(target_size="40000 chars"), seed=0)
    assert plan.stats["total"] == pytest.approx(40_000, rel=0.02)
    assert plan.stats["limited_by"] == "target_size"
    assert_within_one_point(plan)
    nbytes = [3 * c for c in chars]  # CJK text: three UTF-8 bytes per character
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(target_size="120KB"), seed=0, nbytes=nbytes)
    assert plan.stats["bytes"] == pytest.approx(120 * 1024, rel=0.02)
    assert_within_one_point(plan)
    big = plan_mix(kinds, chars, priorities, ids, MixConfig(target_size="1e9 chars"), seed=0)
    assert big.stats["limited_by"] != "target_size" and max(big.copies) == 1
    with pytest.raises(CorpusctlError, match="mix.unit"):
        plan_mix(kinds, chars, priorities, ids, MixConfig(target_size="1e5 tokens"), seed=0)


def test_domains_come_from_the_given_map():
    kinds, chars, priorities, ids = make_corpus(paper_amounts())
    domains = {kind: "general" for kind in PAPER_SHARES} | {"inspection_report": "industrial"}
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(), seed=0, domains=domains)
    assert plan.stats["target_domains"] == {"general": pytest.approx(0.65), "industrial": pytest.approx(0.35)}


def test_config_validation():
    with pytest.raises(ValidationError, match="sum to"):
        MixConfig(shares={"sop": 0.5, "news": 0.3})
    with pytest.raises(ValidationError, match="negative"):
        MixConfig(shares={"sop": 1.2, "news": -0.2})
    with pytest.raises(ValidationError, match="target size"):
        MixConfig(target_size="lots")
    with pytest.raises(ValidationError):
        MixConfig(shortage="grow")
    assert parse_target_size("500MB") == (500 * 1024**2, "bytes")
    assert parse_target_size("2e9 chars") == (2e9, "chars")
    assert parse_target_size("1_000 tokens") == (1000, "tokens")
    assert parse_target_size(5000) == (5000, "units")


def test_sizes_in_chars_and_tokens():
    assert document_size("标题", "正文 text", "chars") == 9
    assert approx_tokens("泵轴承 bearing 过热85℃。") == 9  # 3 + bearing + 2 + 85 + ℃ + 。
    assert approx_tokens("   ") == 0
    batch = {"id": ["a"], "kind": ["sop"], "title": ["标题"], "text": ["正文"], "priority": [None]}
    measured = measure_batch(batch, unit="chars")
    assert measured["size"] == [4] and measured["bytes"] == [12] and measured["priority"] == [0.0]
    assert measure_batch(pa.RecordBatch.from_pydict(batch), unit="chars") == measured
    assert measure_batch(batch, unit="tokens")["size"] == [4]


def test_copy_rows_expands_repeats():
    assert copy_rows([0, 2, 1]) == [(1, 0), (1, 1), (2, 0)]


def test_disabled_mix_keeps_every_document_once_and_measures_shares():
    kinds, chars, priorities, ids = make_corpus(skewed_amounts())
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(enabled=False), seed=0)
    assert set(plan.copies) == {1}
    assert plan.stats["achieved"]["inspection_report"] > 0.7 and plan.stats["target"] is None


def test_shares_are_normalized_and_missing_kinds_checked_at_recipe_time():
    shares = {"inspection_report": 0.3501, "sop": 0.2, "maintenance_log": 0.05, "encyclopedia": 0.15,
              "news": 0.15, "qa": 0.1}  # sums to 1.0001: accepted, planned as normalized shares
    kinds, chars, priorities, ids = make_corpus(paper_amounts())
    plan = plan_mix(kinds, chars, priorities, ids, MixConfig(shares=shares), seed=0)
    assert sum(plan.stats["target"].values()) == pytest.approx(1.0, abs=1e-5)
    assert missing_kinds(MixConfig(), {"inspection_report", "sop", "news"}) == ["encyclopedia", "maintenance_log", "qa"]
    assert missing_kinds(MixConfig(allow_renormalize=True), {"sop"}) == []


# -- the fill around the budget, part by part (mix_select) ---------------------------------------------------


class Parts:
    """The passes of `mix_select` over a table cut into parts, each with its first row (as a cluster's part
    files are), run in this process."""

    def __init__(self, table: pa.Table, cuts: list[int]):
        bounds = [0, *cuts, table.num_rows]
        self.parts = [(table.slice(a, b - a), a) for a, b in zip(bounds, bounds[1:])]

    def map(self, fn, *args):
        return [fn(part, first, *args) for part, first in self.parts]

    def merge(self, tables):
        from corpusctl.stages.mix_select import merge_histograms

        return merge_histograms(*tables)

    def concat(self, tables):
        return pa.concat_tables(tables)


def measured_table(kinds, chars, priorities, ids, seed, titled_share=0.7):
    from corpusctl.stages.mix_select import mix_key

    rng = random.Random(seed)
    titled = [rng.random() < titled_share for _ in ids]
    return pa.table({"id": ids, "kind": kinds, "mix_key": [mix_key(seed, i, p) for i, p in zip(ids, priorities)],
                     "size": chars, "bytes": [3 * c for c in chars], "has_title": titled, "paragraph_chars": chars,
                     "pair_chars": [c + (rng.randint(0, 30) if t else 0) for c, t in zip(chars, titled)]})


@pytest.mark.parametrize("shortage", ["shrink", "repeat"])
def test_the_fill_takes_every_document_before_the_window_and_fill_budget_inside_it(shortage):
    """With a window of 7 documents the mix is the plain algorithm written out here: per kind, documents in
    descending key order, all of those more than 7 before the point where the running total passes the
    budget, and `fill_budget` over the 7 on each side of it."""
    from corpusctl.stages import stable_hash
    from corpusctl.stages.budget import fill_budget
    from corpusctl.stages.mix import Planner
    from corpusctl.stages.mix_select import Local, decide_mix, mix_copies, mix_histogram

    kinds, chars, priorities, ids = make_corpus(skewed_amounts(), seed=5)
    table = measured_table(kinds, chars, priorities, ids, seed=11)
    planner = Planner(MixConfig(shortage=shortage), 11, {}, window=7)
    decision, stats = decide_mix(planner, Local(table))
    copies = mix_copies(table, 0, decision).tolist()

    budgets = planner.budgets(mix_histogram(table))
    keys = table.column("mix_key").to_pylist()
    windowed = 0
    for kind, rest in budgets.rests.items():
        rows = [r for r, k in enumerate(kinds) if k == kind]
        order = sorted(rows, key=lambda r: (keys[r], stable_hash(11, "mix", ids[r]), ids[r], r), reverse=True)
        total, crossing = 0, len(order)
        for i, r in enumerate(order):
            if total + chars[r] > rest:
                crossing = i
                break
            total += chars[r]
        lo, hi = max(0, crossing - 7), min(len(order), crossing + 7)
        windowed += lo > 0
        taken = set(order[:lo]) | set(fill_budget(order[lo:hi], [float(c) for c in chars],
                                                  rest - sum(chars[r] for r in order[:lo])))
        assert {r for r in rows if copies[r] > budgets.passes[kind]} == taken, kind
    assert windowed >= 2, "kinds whose window does not reach their first document test the window"
    assert stats["docs"] == {k: sum(c for c, kk in zip(copies, kinds) if kk == k) for k in stats["docs"]}
    assert stats["chars"] == {k: sum(c * n for c, n, kk in zip(chars, copies, kinds) if kk == k) for k in stats["chars"]}


@pytest.mark.parametrize("window", [3, 50, 100_000])
def test_the_passes_over_parts_decide_as_over_the_whole_table(window):
    from corpusctl.stages.mix import Planner
    from corpusctl.stages.mix_select import Local, as_pair, copies_of, decide_mix, mix_copies

    kinds, chars, priorities, ids = make_corpus(skewed_amounts(), seed=8)
    table = measured_table(kinds, chars, priorities, ids, seed=3)
    planner = Planner(MixConfig(shortage="repeat", max_repeats=2), 3, {}, formats=True, share=0.5, window=window)
    results = []
    for passes in (Local(table), Parts(table, [1, 17, 400, 401, 1500])):
        decision, stats = decide_mix(planner, passes)
        pairs = planner.pairs(passes, decision)
        copies, pair = [], []
        for part, first in getattr(passes, "parts", [(table, 0)]):
            counts = mix_copies(part, first, decision)
            copies.extend(counts.tolist())
            pair.extend(as_pair(copies_of(part, first, counts, 3, planner.stride), pairs).tolist())
        results.append((copies, pair, stats))
    assert results[0] == results[1]
    assert max(results[0][0]) == 2 and 0 in results[0][0] and any(results[0][1]) and not all(results[0][1])
