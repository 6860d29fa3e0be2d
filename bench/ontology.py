"""Ontology at the paper's scale: load time, peak memory and term-matching throughput on one core.

    python bench/ontology.py [--terms 85000] [--pairs 1200000] [--size 8MB] [--repeats 3] [--keep DIR]

1. Generates, in a temporary folder, an ontology of --terms concepts (compositional industrial terms:
   qualifier + equipment + part, e.g. 防爆离心泵机械密封, in a 4-level is-a hierarchy, ~10 % of the parts
   with a synonym (防爆离心泵的机械密封), 1 % homonyms with 2–3 senses and 6 cue words each) and --pairs knowledge-graph pairs in
   `relations.tsv` over 14 relation types.
2. `load_s`: `load_ontology` (read + full validation) plus building the `Annotator` (automaton), cold, in a
   fresh process; `peak_rss_mb` is that process's maximum resident set after loading and matching.
3. Generates --size of inspection-report-like text (UTF-8 bytes): ordinary Chinese clauses with ontology
   terms drawn Zipf-like (about a third of the characters), homonyms with and without their cues.
4. `match_mb_s`: `Annotator.match_many` over batches of --batch documents (what the pipeline stage calls:
   all matches, leftmost-longest selection, homonym senses), median of --repeats. `annotate_mb_s` also
   builds the stage's span dicts (`spans_many`).

Targets (issue #4): load_s ≤ 5, match_mb_s ≥ 20. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpusctl.config import parse_size  # noqa: E402
from corpusctl.ontology import Annotator, load_ontology, validate_ontology  # noqa: E402

CLASSES = [  # (category, class term, equipment under it)
    ("EQUIPMENT", "特种设备", "锅炉 储罐 反应釜 换热器 分离器 气瓶 储气罐 缓冲罐 塔器 蒸压釜 起重机 塔吊 龙门吊 电动葫芦 卷扬机 "
                          "升降机 叉车 堆高车 牵引车 电梯 扶梯"),
    ("EQUIPMENT", "电气设备", "配电箱 配电柜 开关柜 控制柜 变压器 发电机 电动机 电焊机 电缆桥架 照明灯 防爆灯 应急灯 变频器 "
                          "电容柜 充电机 整流器"),
    ("EQUIPMENT", "流体机械", "离心泵 往复泵 齿轮泵 螺杆泵 隔膜泵 潜水泵 真空泵 计量泵 压缩机 空压机 风机 引风机 鼓风机 "
                          "排风扇 冷却塔 管道"),
    ("EQUIPMENT", "机械设备", "车床 铣床 钻床 磨床 砂轮机 刨床 冲床 剪板机 折弯机 液压机 输送机 皮带机 提升机 破碎机 "
                          "球磨机 搅拌机 离心机 注塑机 压铸机 包装机 机械手"),
    ("EQUIPMENT", "施工机械", "挖掘机 装载机 推土机 压路机 泵车 打桩机 脚手架 吊篮 升降平台 钻机"),
    ("EQUIPMENT", "检测仪器", "压力表 温度计 液位计 流量计 万用表 兆欧表 气体检测仪 测温仪 测厚仪 探伤仪 声级计"),
]
QUALIFIERS = ("碳钢 不锈钢 铸铁 合金钢 铝合金 防爆 高压 低压 中压 立式 卧式 移动式 固定式 手提式 推车式 电动 气动 液压 "
              "手动 自动 大型 小型 双梁 单梁 临时 备用 应急 一号 二号 三号 四号 东区 西区 南区 北区 新建 原有 "
              "一车间 二车间 三车间 四车间 主 副 上游 下游 进口 出口 循环 冷却 加热 干燥 除尘 排污 消防 生活 "
              "工艺 公用 备品 检修 试验 在线 离线").split()
PARTS = ("轴承 齿轮 联轴器 皮带 链条 叶轮 机械密封 螺栓 法兰 垫片 阀芯 阀杆 壳体 底座 支架 防护罩 电机 减速机 "
         "制动器 限位器 安全阀 压力表 液位计 温度计 接地线 接线盒 端子 按钮 指示灯 油管 管接头 滤网 喷嘴 刀具 "
         "卡盘 主轴 导轨 吊钩 钢丝绳 滑轮 卷筒 货叉 门架 轮胎 蓄电池 油箱 风扇 散热器 冷却器 加热器 传感器 "
         "探头 密封圈 油封 盘根 托辊 滚筒 张紧装置 急停按钮 行程开关 漏电保护器 断路器 接触器 继电器 熔断器 "
         "电缆 插座 插头 母线 绝缘子 变送器 控制器 显示屏 警示灯 报警器").split()
DEFECTS = "泄漏 渗漏 腐蚀 锈蚀 过热 磨损 断丝 变形 裂纹 松动 老化 失灵 缺失 损坏 破损 堵塞 异响 振动 卡阻 跑偏".split()
RELATIONS = ("is_a part_of made_of has_hazard causes prevents requires_ppe located_in inspected_by governed_by "
             "operated_by measured_by stored_in requires").split()
FILLER = ("经检查发现 现场 存在 要求 立即整改 负责人 由于 没有按照规定 进行了 情况 目前 已经 对此 同时 并且 "
          "相关人员 在巡查中 发现 部分 区域 的 了 和 与 及 等 问题 隐患 记录 处理 安排 落实 检查组 指出 "
          "班组 当班 本周 上午 下午 夜间 期间 必须 严禁 应当 及时 按照 规定 标准 措施 加强 管理 培训 教育 "
          "开展 组织 通知 单位 部门 完成 复查 合格 不合格 整改完成 继续 观察 一名 两名 三名 员工 人员 工作 "
          "正在 使用 操作 运行 维修 更换 清理 一台 一处 多处 附近 下方 上方 旁边 内部 外侧 周围").split()
CUES = ("电气 漏电 外壳 防雷 静电 电阻 电工 保护 飞机 着陆 落地 双脚 心理 情绪 员工 加班 焦虑 缓解 管道 "
        "容器 蒸汽 介质 超压 泄压 学生 老师 家庭 课后 道路 司机 车速 行人 网络 软件 在线 数据 信号 传感器 "
        "采集 输出 股市 指数 交易 投保 理赔 社保 金属 应力 交变 疲劳 熬夜 睡眠 天气 气温 夏季 户外 炉膛 "
        "燃烧器 火焰 发动机 钥匙 车辆 轮胎 鞭炮 春节 爆破 炸药 井下 矿车 斜井 绞车 品牌 豪车").split()


def generate_ontology(folder: Path, n_terms: int, n_pairs: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    lines: list[str] = []
    ids: list[str] = []
    terms: list[str] = []
    homonym_rows: list[int] = []
    used: set[str] = set()

    def add(term: str, category: str, parent: str | None, synonyms=(), **extra) -> None:
        cid = f"c{len(ids)}"
        record = {"id": cid, "term": term, "synonyms": list(synonyms), "category": category, "parent": parent, **extra}
        lines.append(json.dumps(record, ensure_ascii=False))
        ids.append(cid)
        terms.append(term)
        used.update((term, *synonyms))

    add("设备", "EQUIPMENT", None)
    equipment: list[tuple[str, str]] = []  # (term, id)
    for category, cls, members in CLASSES:
        add(cls, category, "c0")
        cls_id = ids[-1]
        for term in members.split():
            if term not in used:
                add(term, category, cls_id)
                equipment.append((term, ids[-1]))
    # homonyms: two-character words from the filler's characters, 2–3 senses, 6 cues per sense
    n_homonyms = max(1, n_terms // 100)
    chars = sorted(set("".join(FILLER + CUES)))
    attempts = 0
    while len(homonym_rows) < n_homonyms and attempts < 100 * n_homonyms:
        attempts += 1
        term = "".join(rng.choice(chars, 2))
        if term in used or any(term in cue or cue in term for cue in CUES):
            continue
        k = int(rng.integers(2, 4))
        cues = rng.choice(CUES, 6 * k, replace=False)
        senses = [{"id": f"s{j}", "gloss": "", "category": "HAZARD" if j == 0 else "", "parent": "c0" if j == 0
                   else None, "cues": cues[6 * j:6 * j + 6].tolist()} for j in range(k)]
        if any(term in cue for cue in cues):
            continue
        homonym_rows.append(len(ids))
        add(term, "HAZARD", "c0", senses=senses, default_sense="s0")
    # qualifier + equipment, then qualifier + equipment + part, then + defect, until n_terms
    pairs = [(q, e) for q in QUALIFIERS for e in equipment]
    order = rng.permutation(len(pairs))
    level2: list[tuple[str, str]] = []
    for index in order.tolist():
        if len(ids) >= n_terms:
            break
        q, (e, eid) = pairs[index]
        term = q + e
        if term not in used:
            add(term, "EQUIPMENT", eid)
            level2.append((term, ids[-1]))
    combos = rng.permutation(len(level2) * len(PARTS))
    for index in combos.tolist():
        if len(ids) >= n_terms:
            break
        (base, bid), part = level2[index // len(PARTS)], PARTS[index % len(PARTS)]
        term = base + part
        if term in used:
            continue
        synonym = [base + "的" + part] if rng.random() < 0.1 else []
        add(term, "COMPONENT", bid, [s for s in synonym if s not in used])
    # relations: random distinct (head, relation, tail) triples
    n = len(ids)
    heads = rng.integers(0, n, size=int(n_pairs * 1.1))
    tails = rng.integers(0, n, size=len(heads))
    kinds = rng.integers(0, len(RELATIONS), size=len(heads))
    keys = (heads.astype(np.int64) * len(RELATIONS) + kinds) * n + tails
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first[heads[first] != tails[first]])[:n_pairs]
    (folder / "concepts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (folder / "relations.tsv").open("w", encoding="utf-8") as handle:
        handle.write("\n".join(f"c{h}\t{RELATIONS[k]}\tc{t}" for h, k, t in
                               zip(heads[first].tolist(), kinds[first].tolist(), tails[first].tolist(), strict=True)))
        handle.write("\n")
    return {"terms": len(ids), "pairs": int(len(first)), "homonyms": len(homonym_rows), "words": terms,
            "homonym_terms": [terms[i] for i in homonym_rows],
            "homonym_cues": [json.loads(lines[i])["senses"][0]["cues"] for i in homonym_rows]}


def generate_text(info: dict, size: int, seed: int, doc_chars: int = 1500) -> list[str]:
    """Documents of clauses: filler words with ontology terms (Zipf-like) and homonyms, some next to a cue."""
    rng = np.random.default_rng(seed + 1)
    words, homs, cues = info["words"], info["homonym_terms"], info["homonym_cues"]
    rank = rng.permutation(len(words))
    docs: list[str] = []
    total = 0
    while total < size:
        parts: list[str] = []
        length = 0
        while length < doc_chars:
            roll = rng.random()
            if roll < 0.30:
                piece = words[rank[min(int(rng.zipf(1.15)) - 1, len(words) - 1)]]
            elif roll < 0.33:
                h = int(rng.integers(len(homs)))
                piece = homs[h] + (rng.choice(FILLER) + rng.choice(cues[h]) if rng.random() < 0.6 else "")
            else:
                piece = rng.choice(FILLER)
                if rng.random() < 0.12:
                    piece += "，" if rng.random() < 0.7 else "。"
            parts.append(str(piece))
            length += len(piece)
        doc = "".join(parts)
        docs.append(doc)
        total += len(doc.encode("utf-8"))
    return docs


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM (ru_maxrss would include the parent's peak, kept across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(folder: Path, text_file: Path, batch: int, repeats: int) -> dict:
    """Runs in a fresh process so that peak RSS covers loading and matching only."""
    texts = text_file.read_text(encoding="utf-8").split("\n")
    text_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    ontology = load_ontology(folder)
    loaded = time.perf_counter()
    annotator = Annotator(ontology)
    built = time.perf_counter()
    load_s, build_s = loaded - started, built - loaded
    print(f"load_ontology {load_s:.2f} s + Annotator {build_s:.2f} s = {load_s + build_s:.2f} s "
          f"({len(ontology.surfaces):,} surfaces, {len(ontology.relations):,} relations); "
          f"peak RSS {peak_rss_mb():.0f} MB (process with the text read: {rss_before:.0f} MB)")
    batches = [texts[i:i + batch] for i in range(0, len(texts), batch)]
    match_times, annotate_times = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        results = [annotator.match_many(b) for b in batches]
        match_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        for b in batches:
            annotator.spans_many(b)
        annotate_times.append(time.perf_counter() - started)
    matches = [m for result in results for m in result]
    spans = sum(len(m) for m in matches)
    homonyms = sum(int((m.senses >= 0).sum()) for m in matches)
    unresolved = sum(int(((m.senses >= 0) & ~m.resolved).sum()) for m in matches)
    match_mb_s = text_mb / statistics.median(match_times)
    annotate_mb_s = text_mb / statistics.median(annotate_times)
    print(f"text {text_mb:.1f} MB in {len(texts):,} documents: {spans:,} spans ({spans / text_mb:,.0f}/MB), "
          f"{homonyms:,} homonym occurrences ({unresolved:,} without a deciding cue)")
    print(f"match {match_mb_s:.1f} MB/s (median of {repeats}: {', '.join(f'{t:.2f}' for t in match_times)} s); "
          f"with the stage's span dicts {annotate_mb_s:.1f} MB/s")
    peak = peak_rss_mb()
    started = time.perf_counter()
    problems = validate_ontology(folder)
    validate_s = time.perf_counter() - started
    print(f"peak RSS after loading and matching {peak:.0f} MB; validate_ontology {validate_s:.2f} s, "
          f"{len(problems)} problems")
    return {
        "surfaces": len(ontology.surfaces), "load_s": round(load_s + build_s, 3), "load_ontology_s": round(load_s, 3),
        "build_annotator_s": round(build_s, 3), "validate_s": round(validate_s, 3),
        "match_mb_s": round(match_mb_s, 2), "annotate_mb_s": round(annotate_mb_s, 2), "text_mb": round(text_mb, 2),
        "spans": spans, "homonym_occurrences": homonyms, "unresolved": unresolved,
        "peak_rss_mb": round(peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--terms", type=int, default=85_000)
    parser.add_argument("--pairs", type=int, default=1_200_000)
    parser.add_argument("--size", default="8MB", help="text to match, UTF-8 bytes")
    parser.add_argument("--batch", type=int, default=256, help="documents per match_many call")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the generated ontology and text here and keep them")
    parser.add_argument("--measure", nargs=2, type=Path, metavar=("ONTOLOGY_DIR", "TEXT_FILE"),
                        help=argparse.SUPPRESS)  # internal: the measuring child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.batch, args.repeats)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        folder, text_file = work / "ontology", work / "text.txt"
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        info = generate_ontology(folder, args.terms, args.pairs, args.seed)
        files_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        text_file.write_text("\n".join(generate_text(info, parse_size(args.size), args.seed)), encoding="utf-8")
        print(f"generated {info['terms']:,} concepts, {info['pairs']:,} pairs, {info['homonyms']} homonyms "
              f"({files_mb:.1f} MB) and {text_file.stat().st_size / 1e6:.1f} MB of text in "
              f"{time.perf_counter() - started:.1f} s")
        del info
        child = subprocess.run([sys.executable, __file__, "--measure", str(folder), str(text_file),
                                "--batch", str(args.batch), "--repeats", str(args.repeats)],
                               capture_output=True, text=True)
        if child.returncode != 0:
            sys.exit(child.stderr)
        *lines, last = child.stdout.strip().splitlines()
        print("\n".join(lines))
        figures = json.loads(last)
    result = {"terms": args.terms, "pairs": args.pairs, **figures}
    result["targets_met"] = result["load_s"] <= 5 and result["match_mb_s"] >= 20
    print(json.dumps(result))


if __name__ == "__main__":
    main()
