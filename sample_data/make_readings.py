"""Write sample_data/operations/: operational readings for the equipment the industrial sample documents name.

Deterministic (seeded): for every tag id (BY-505, P-305B …) mentioned in an industrial document that has a date
(its `date` field or a date in its text), readings every 6 hours from a day before to a day after that date,
two metrics per equipment type. About a third of the equipment has one reading over its limit close to the
document's time; three lines are malformed on purpose (a bad time, an unknown unit, a value that is not a
number) and must end in rejects/fusion.jsonl. Documents are read as the build reads them after its normalize
step (NFKC, traditional → simplified), so the tag ids of a document typed full-width (ＢＹ－５０５) or written in
traditional characters count too.

    python sample_data/make_readings.py
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    from corpusctl.stages.normalize import to_simplified
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(HERE.parent))
    from corpusctl.stages.normalize import to_simplified
OUT = HERE / "operations"
TAG = re.compile(r"(?<![A-Za-z0-9-])([A-Z]{1,3}-\d{3}[A-Z]?)(?![A-Za-z0-9])")
DATE = re.compile(r"(\d{4})[-年](\d{1,2})[-月](\d{1,2})")
METRICS = [  # (words in the equipment name, [(metric, unit, normal, spread)])
    (("泵",), [("出口压力", "MPa", 0.9, 0.15), ("轴承温度", "℃", 55.0, 6.0)]),
    (("压缩机", "空压机"), [("排气温度", "℃", 88.0, 5.0), ("排气压力", "MPa", 0.75, 0.05)]),
    (("配电", "开关柜", "变压器", "电机"), [("母线温度", "℃", 48.0, 6.0), ("电流", "A", 260.0, 40.0)]),
    (("风机", "输送", "提升机", "叉车"), [("振动速度", "mm/s", 3.2, 0.8), ("电机温度", "℃", 60.0, 6.0)]),
    ((), [("运行温度", "℃", 52.0, 6.0), ("振动速度", "mm/s", 2.8, 0.7)]),
]
LIMITS = {"出口压力": (0.3, 1.6), "轴承温度": (None, 80.0), "排气温度": (None, 105.0), "排气压力": (None, 0.9),
          "母线温度": (None, 75.0), "电流": (None, 400.0), "振动速度": (None, 7.1), "电机温度": (None, 85.0),
          "运行温度": (None, 90.0)}


def documents():
    """(text, date field) of every industrial document, normalized."""
    for text, date in _documents():
        yield to_simplified(unicodedata.normalize("NFKC", text)), date


def _documents():
    """(text, date field) of every industrial document as written."""
    for line in (HERE / "industrial" / "inspection_reports.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        yield record["content"], record.get("date")
    with open(HERE / "industrial" / "sops.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield row["body"], None
    for path in sorted((HERE / "industrial" / "maintenance_logs").glob("*.txt")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            yield block, None


def equipment() -> dict[str, tuple[str, datetime]]:
    found: dict[str, tuple[str, datetime]] = {}
    for text, date in documents():
        when = DATE.search(date or "") or DATE.search(text)
        if not when:
            continue
        day = datetime(*map(int, when.groups()))
        for match in TAG.finditer(text):
            before = text[max(0, match.start() - 12):match.start()]
            found.setdefault(match.group(1), (before, day))
    return dict(sorted(found.items()))


def metrics_for(context: str):
    for words, metrics in METRICS:
        if not words or any(word in context for word in words):
            return metrics
    return METRICS[-1][1]


def main() -> None:
    rng = random.Random(20240607)
    OUT.mkdir(exist_ok=True)
    rows = []
    for tag, (context, day) in equipment().items():
        spike = rng.random() < 0.35
        for metric, unit, normal, spread in metrics_for(context):
            for step in range(9):
                when = day - timedelta(hours=24) + timedelta(hours=6 * step) + timedelta(minutes=rng.randrange(60))
                value = normal + rng.uniform(-spread, spread)
                if spike and step == 5 and metric == metrics_for(context)[0][0]:
                    low, high = LIMITS[metric]
                    value = high * 1.08 if high is not None else low * 0.9
                rows.append([when.strftime("%Y-%m-%d %H:%M"), tag, metric, f"{value:.3g}" if value < 10 else
                             f"{value:.1f}", unit])
    rows[7][0] = "2023-13-45 08:00"  # malformed on purpose: a month that does not exist
    rows[20][4] = "furlong"           # an unknown unit
    rows[33][3] = "n/a"               # not a number
    with open(OUT / "readings.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["timestamp", "tag", "metric", "value", "unit"])
        writer.writerows(rows)
    with open(OUT / "thresholds.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["equipment", "metric", "low", "high", "unit"])
        for metric, (low, high) in LIMITS.items():
            unit = next(u for _, ms in METRICS for m, u, _, _ in ms if m == metric)
            writer.writerow(["*", metric, "" if low is None else low, "" if high is None else high, unit])
    print(f"{len(rows)} readings of {len(equipment())} equipment -> {OUT}")


if __name__ == "__main__":
    main()
