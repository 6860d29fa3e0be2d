"""The synthetic personal data of this project: one generator for the bundled sample (textgen.py plants its
sentences in documents) and for the privacy tests and bench (tests/test_pii*.py, tests/test_safety_pii.py,
bench/pii.py).

Numbers are made with the scrubber's own definitions (`corpusctl.stages.pii`: the GB 11643 check character,
Luhn, province codes), so a planted ID or card is valid exactly when the scrub's validator says so. Three
users, each with its own pools (changing a pool changes that user's data, e.g. the committed sample):
- the sample: `pii_sentences` and `decoy_sentences` (make_sample.py, generate.py through textgen.py);
- `make_pii_corpus`: inspection-log records with planted items in their usual spellings and decoys;
- `make_forms_corpus`: many spellings of each kind (`PII_FORMS`) in every field, half tuned, half held out.
Every value is a function of a seeded `random.Random`.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

try:
    from corpusctl.stages import seeded_rng
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from corpusctl.stages import seeded_rng
from corpusctl.stages.pii import PROVINCES, STOP_CHARS, SURNAMES, id_check_char, id_shaped, luhn_ok


def _digits(rng, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_complete(body: str) -> str:
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


def bank_card(rng, length: int = 19) -> str:
    """A bank card number: 62 (UnionPay), random digits, the Luhn check digit."""
    return _luhn_complete("62" + _digits(rng, length - 3))


# -- the bundled sample's personal data (make_sample.py; a change here changes the committed sample) --------

SAMPLE_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金廖贾夏韦付方邹孟熊秦邱江尹薛闫段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
)
SAMPLE_GIVEN = (
    "建国 伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 志强 海燕 晓东 春梅 立新 文博 "
    "国庆 卫东 红霞 建华 德胜 永康 玉兰 振宇 子豪 浩然 思远 雨桐 佳琪 俊杰 家豪 宏伟 宇航 晨曦 淑珍 桂芝 长青 保华 "
    "世杰 学军 连生 金凤 国平 爱民 小龙 志刚 海涛 红梅 建军 少华 一鸣 嘉怡 梓萱 继红 新民 永强 晓丽 德明"
).split()

ROLE_CUES = ["检查人", "负责人", "联系人", "值班员", "监护人", "记录人", "审核人", "批准人", "巡检员", "安全员",
             "班长", "维修人员", "报告人", "发现人", "整改人", "复查人", "操作人员", "签字"]

ID_REGIONS = ("110101", "110105", "310104", "320102", "330106", "440305", "510104", "420102", "370102", "610113")
MOBILE_PREFIXES = ("130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158",
                   "159", "177", "180", "182", "186", "187", "189", "199")
AREA_CODES = ("010", "021", "022", "023", "0571", "0512", "0755", "025", "027", "0532", "0311", "0871")
EMAIL_DOMAINS = ("example.com", "example.cn", "plant.example.com", "mail.example.org", "example.net")
PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu",
          "hu", "guo", "he", "gao", "lin", "luo")


def person(rng: random.Random) -> str:
    return rng.choice(SAMPLE_SURNAMES) + rng.choice(SAMPLE_GIVEN)


def id_number(rng: random.Random) -> str:
    body = (rng.choice(ID_REGIONS) + f"{rng.randint(1962, 2001)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + f"{rng.randint(0, 999):03d}")
    return body + id_check_char(body)


def invalid_id_like(rng: random.Random) -> str:
    """An 18-digit batch number shaped like an ID but with a wrong check character (a decoy)."""
    while True:
        body = f"{rng.randint(2019, 2024)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" + _digits(rng, 9)
        last = rng.choice("0123456789")
        if id_check_char(body) != last:
            return body + last


def mobile(rng: random.Random) -> str:
    digits = rng.choice(MOBILE_PREFIXES) + _digits(rng, 8)
    a, b, c = digits[:3], digits[3:7], digits[7:]
    style = rng.randrange(6)
    return [digits, f"{a} {b} {c}", f"{a}-{b}-{c}", f"+86 {a} {b} {c}", f"+86-{digits}", f"+86{digits}"][style]


def landline(rng: random.Random) -> str:
    area = rng.choice(AREA_CODES)
    number = str(rng.randint(2, 8)) + _digits(rng, 7 if len(area) == 3 else 6 + rng.randint(0, 1))
    style = rng.randrange(3)
    return [f"{area}-{number}", f"({area}){number}", f"{area}-{number}转{rng.randint(801, 899)}"][style]


def email(rng: random.Random) -> str:
    local = rng.choice(PINYIN) + rng.choice(("jg", "wei", "min", "hua", "qiang", "lei", ".safety", "_ops", "")) + str(rng.randint(1, 99))
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def pii_sentences(rng: random.Random, kind: str) -> tuple[list[str], list[dict]]:
    """Sentences carrying personal data, and the values planted in them."""
    planted: list[dict] = []

    def name_with_cue() -> str:
        cue, name = rng.choice(ROLE_CUES), person(rng)
        sep = rng.choice(("：", "：", " ", "", ":"))
        planted.append({"type": "person", "value": name, "cue": cue})
        return f"{cue}{sep}{name}"

    def phone() -> str:
        value = mobile(rng)
        planted.append({"type": "mobile", "value": value})
        return value

    sentences = []
    pattern = rng.randrange(5)
    if pattern == 0:
        sentences.append(f"{name_with_cue()}，联系电话{phone()}。")
    elif pattern == 1:
        tel = landline(rng)
        planted.append({"type": "landline", "value": tel})
        sentences.append(f"如有疑问请联系{name_with_cue()}，办公电话{tel}。")
    elif pattern == 2:
        mail = email(rng)
        planted.append({"type": "email", "value": mail})
        sentences.append(f"{name_with_cue()}，手机{phone()}，邮箱{mail}。")
    elif pattern == 3:
        sentences.append(f"{name_with_cue()}；{name_with_cue()}。")
    else:
        tel = landline(rng)
        planted.append({"type": "landline", "value": tel})
        sentences.append(f"现场{name_with_cue()}已签字确认，整改情况请电话回复{tel}。")
    if kind != "maintenance_log" and rng.random() < 0.3:
        idn, name = id_number(rng), person(rng)
        planted.append({"type": "id_card", "value": idn})
        planted.append({"type": "person", "value": name, "cue": "作业人员"})
        sentences.append(f"外来施工单位作业人员{name}（身份证号{idn}）已补办入厂安全教育手续。")
    if rng.random() < 0.12:
        card = bank_card(rng)
        planted.append({"type": "bank_card", "value": card})
        sentences.append(f"安全奖励金将发放至本人工资卡{card}。")
    return sentences, planted


STANDARDS = (
    ("GB 50016-2014", "建筑设计防火规范"),
    ("GB 2811-2019", "头部防护 安全帽"),
    ("GB 6095-2021", "坠落防护 安全带"),
    ("GB 30871-2022", "危险化学品企业特殊作业安全规范"),
    ("GB/T 11651-2008", "个体防护装备选用规范"),
    ("AQ 3009-2007", "危险场所电气防爆安全规范"),
    ("GB 50140-2005", "建筑灭火器配置设计规范"),
    ("GB 50058-2014", "爆炸危险环境电力装置设计规范"),
)


def decoy_sentences(rng: random.Random, count: int = 1) -> tuple[list[str], list[dict]]:
    """Look-alikes of personal data that a privacy scrub must leave alone."""
    planted: list[dict] = []
    out: list[str] = []
    for _ in range(count):
        choice = rng.randrange(7)
        if choice == 0:
            code, name = rng.choice(STANDARDS)
            out.append(f"依据{code}《{name}》第{rng.randint(3, 9)}.{rng.randint(1, 9)}.{rng.randint(1, 9)}条的要求进行判定。")
            planted.append({"type": "standard", "value": code})
        elif choice == 1:
            serial = f"SN{rng.randint(2018, 2024)}{rng.choice(MOBILE_PREFIXES)}" + _digits(rng, 9)
            out.append(f"设备铭牌序列号为{serial}，出厂日期{rng.randint(2015, 2023)}年{rng.randint(1, 12)}月。")
            planted.append({"type": "serial", "value": serial})
        elif choice == 2:
            batch = invalid_id_like(rng)
            out.append(f"涉及物料批次号{batch}，已在台账中登记。")
            planted.append({"type": "batch_id", "value": batch})
        elif choice == 3:
            order = f"WO-{rng.randint(2021, 2024)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(10000, 99999)}"
            out.append(f"维修工单号{order}。")
            planted.append({"type": "work_order", "value": order})
        elif choice == 4:
            value = f"{rng.randint(1, 3)}.{rng.randint(10, 99)} MPa"
            out.append(f"当时出口压力读数为{value}，转速{rng.randint(1380, 2980)} r/min。")
            planted.append({"type": "measurement", "value": value})
        elif choice == 5:
            code = f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(1000000, 9999999)}"
            out.append(f"物料编码{code}的备件库存剩余{rng.randint(2, 40)}件。")
            planted.append({"type": "material_code", "value": code})
        else:
            stamp = f"{rng.randint(2021, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            out.append(f"监控系统记录时间为{stamp}。")
            planted.append({"type": "timestamp", "value": stamp})
    return out, planted


# -- a synthetic corpus with planted personal data and look-alike decoys (make_pii_corpus) ------------------
# Used by tests/test_pii.py, bench/pii.py and the end-to-end test ("no planted item in any output byte").

_EQUIPMENT = ("离心泵 往复式压缩机 换热器 储罐 反应釜 变压器 配电柜 电动机 减速机 安全阀 调节阀 闸阀 止回阀 管道法兰 "
              "冷却塔 锅炉 除尘器 输送皮带 起重机 叉车 空压机 消防水泵 防爆风机 液位计 压力表 可燃气体报警器 灭火器 "
              "应急照明灯 接地线 电缆桥架").split()
_PLACES = ("一号车间 二号车间 罐区 装置区 泵房 配电室 控制室 仓库 装卸站 锅炉房 污水处理站 循环水站 空分装置 成品库 "
           "原料库 东侧管廊 西侧平台 二层操作平台 三号厂房 危化品库").split()
_PROBLEMS = ("存在轻微渗漏 密封面磨损 振动值偏高 温度异常升高 压力表指针不归零 防腐层局部脱落 接地电阻超标 螺栓松动 "
             "警示标识缺失 安全附件超期未检 护栏高度不足 盖板缺失 油位低于下限 运行噪声偏大 保温层破损 "
             "阀门开关不灵活 仪表读数漂移 排污不及时 地脚螺栓锈蚀 防爆接线盒进水").split()
_ACTIONS = ("已通知维修班处理 要求当日整改完毕 已更换密封件 已拧紧复位 已补齐标识 列入周检修计划 已停机隔离 "
            "已加注润滑油 安排专人跟踪 已上报设备部 限期三日内整改 已恢复正常运行 已重新校验 待备件到货后更换").split()
_JUDGEMENTS = "运行正常 参数在允许范围内 未见异常 需持续观察 建议缩短巡检周期".split()
_WORK = "例行保养 润滑加油 对中找正 密封更换 清洗过滤器 紧固检查 绝缘测试 防腐处理".split()
_FILLER_TEMPLATES = (
    "{place}{equipment}{problem}，{action}。",
    "巡检发现{place}的{equipment}{problem}，{action}。",
    "{date}对{place}进行例行检查，{equipment}出口压力{pressure}MPa，温度{temp}℃，{judgement}。",
    "{equipment}累计运行{hours}小时，按规程进行{work}。",
    "本次检查共发现隐患{n}项，其中一般隐患{m}项，均{action}。",
    "{time}{place}{equipment}{problem}，{action}。",
    "{place}共有{equipment}{n}台，本月完成{work}{m}次，{judgement}。",
)
_PLAIN_TEMPLATES = (
    "对{place}的{equipment}进行{work}，{judgement}。",
    "{place}{equipment}外观完好，{judgement}。",
    "针对{equipment}{problem}的问题，{action}。",
)
"""Filler without digits, added until a record's digit share is at most 25 % (quality filters allow 30 %)."""
_GIVEN_CANDIDATES = ("伟芳娜敏静丽磊军洋勇艳杰娟涛超秀霞刚桂英玉兰萍鹏辉鑫浩凯琳婷雪倩颖峰斌波俊帅彬瑶璐翔博宏志"
                     "晨昊睿梓轩欣怡佳琪嘉涵悦瑞丹莉蕾薇燕琴慧巧美月莹楠榕淼焱鸿毅晓菲蓉琦瑜珊")
_PLANT_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭高林罗郑梁谢宋唐许韩冯邓曹彭曾田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢姜"
_PLANT_COMPOUNDS = ("欧阳", "司马", "诸葛", "上官", "慕容", "东方", "令狐", "皇甫")
_PLANT_CUES = ("检查人", "负责人", "联系人", "值班员", "操作人员", "监护人", "记录人", "签字")
_NAME_TAILS = ("发现", "已到场", "在场", "，", "。", "对此负责", "签字确认", "已", "等")
_EMAIL_DOMAINS = ("example.com", "example.cn", "plant.example.com", "mail.example.org")
_PINYIN = "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo gao lin luo zheng".split()
_STANDARDS = ("GB 50016-2014", "GB/T 2260-2007", "AQ 3013-2008", "GB 50058-2014", "SH/T 3503-2017", "GB 30871-2022")


def _filler_chars() -> set[str]:
    pools = (_EQUIPMENT, _PLACES, _PROBLEMS, _ACTIONS, _JUDGEMENTS, _WORK, _FILLER_TEMPLATES, _PLAIN_TEMPLATES,
             _PLANT_CUES, _NAME_TAILS, _STANDARDS)
    return {ch for pool in pools for item in pool for ch in item}


# Given-name characters never occur in the filler, so a planted name can only appear where it was planted.
_GIVEN = "".join(c for c in dict.fromkeys(_GIVEN_CANDIDATES)
                 if c not in _filler_chars() and c not in STOP_CHARS and c not in SURNAMES)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _birth(rng) -> tuple[int, int, int]:
    return rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)


def _id18(rng, check: str = "") -> str:
    while True:
        y, m, d = _birth(rng)
        body = f"{rng.choice(sorted(PROVINCES))}{_digits(rng, 4)}{y}{m:02d}{d:02d}{_digits(rng, 3)}"
        if not check or id_check_char(body) == check:
            return body + id_check_char(body)


def _plant_item(rng, kind: str) -> str:
    """One personal-data item in one of its usual spellings."""
    if kind == "id_card":
        style = rng.randrange(6)
        if style == 1:
            return _id18(rng, "X")
        if style == 2:
            return _id18(rng, "X").lower()
        if style == 3:
            y, m, d = _birth(rng)
            return f"{rng.choice(sorted(PROVINCES))}{_digits(rng, 4)}{y % 100:02d}{m:02d}{d:02d}{_digits(rng, 3)}"
        if style == 4:
            value = _id18(rng)
            return f"{value[:6]} {value[6:14]} {value[14:]}"
        return _id18(rng)
    if kind == "mobile":
        digits = f"1{rng.choice('3456789')}{_digits(rng, 9)}"
        a, b, c = digits[:3], digits[3:7], digits[7:]
        return rng.choice((digits, digits, f"{a} {b} {c}", f"{a}-{b}-{c}", f"+86 {digits}", f"+86-{a}-{b}-{c}",
                           f"86{digits}", f"（+86）{digits}"))
    if kind == "landline":
        area = rng.choice(("010", "021", "022", "0571", "0755", "0512", "027", "0532"))
        local = str(rng.randint(2, 8)) + _digits(rng, 7 if len(area) == 3 else rng.choice((6, 7)))
        return rng.choice((f"{area}-{local}", f"({area}){local}", f"（{area}）{local}",
                           f"{area}-{local}转{rng.randint(1, 999)}", f"{area}-{local[:-4]} {local[-4:]}",
                           f"{area}-{local} ext. {rng.randint(10, 9999)}"))
    if kind == "bank_card":
        length = rng.choice((16, 16, 17, 18, 19, 19))
        prefix = rng.choice(("62", "62", "4", "5")) if length == 16 else "62"
        while True:  # an 18-digit card that looks like an ID is judged as an ID: don't plant one
            card = _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
            if not id_shaped(card):
                break
        if len(card) in (16, 19) and rng.random() < 0.4:
            return " ".join(card[i:i + 4] for i in range(0, len(card), 4))
        return card
    if kind == "email":
        local = f"{rng.choice(_PINYIN)}{rng.choice(('', '.', '_'))}{rng.choice(_PINYIN)}{rng.randint(1, 999)}"
        return f"{local}@{rng.choice(_EMAIL_DOMAINS)}"
    if rng.random() < 0.15:
        return rng.choice(_PLANT_COMPOUNDS) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return rng.choice(_PLANT_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


_CONTEXTS = {
    "id_card": ("外来施工人员身份证号{x}，已完成入厂安全教育。", "作业票附身份证{x}复印件。"),
    "mobile": ("如有异常请拨打{x}。", "联系电话{x}，请保持畅通。", "手机：{x}。"),
    "landline": ("值班室电话{x}。", "如需协调请致电{x}。"),
    "bank_card": ("安全奖励金发放至工资卡{x}。", "收款账号{x}，开户行为工商银行。"),
    "email": ("整改报告请发送至{x}。", "邮箱{x}，抄送设备部。"),
}


def _decoy(rng) -> str:
    """A look-alike that a scrub must leave alone (NFKC-stable, so normalization keeps it too)."""
    style = rng.randrange(11)
    if style == 0:  # right shape, wrong check character
        value = _id18(rng)
        return value[:17] + rng.choice([c for c in "0123456789X" if c != value[17]])
    if style == 1:  # impossible birth date, correct check character
        month_day = rng.choice(("0230", "1301", "0431", "0000"))
        body = f"{rng.choice(sorted(PROVINCES))}{_digits(rng, 4)}19{rng.randint(50, 99)}{month_day}{_digits(rng, 3)}"
        return body + id_check_char(body)
    if style == 2:  # legacy 15 digits with an impossible month
        date = f"{rng.randint(50, 99)}{rng.randint(13, 19)}{rng.randint(10, 28)}"
        return f"{rng.choice(sorted(PROVINCES))}{_digits(rng, 4)}{date}{_digits(rng, 3)}"
    if style == 3:  # card-shaped, failing Luhn
        value = _luhn_complete("62" + _digits(rng, rng.choice((13, 16))))
        return value[:-1] + str((int(value[-1]) + rng.randint(1, 9)) % 10)
    if style == 4:  # a phone inside a serial (letters around a digit run)
        return f"SN{rng.randint(2018, 2024)}1{rng.choice('3589')}{_digits(rng, 9)}"
    if style == 5:  # a phone inside a longer digit run
        return f"{rng.randint(2019, 2024)}{rng.randint(1, 12):02d}1{rng.choice('3589')}{_digits(rng, 9)}"
    if style == 6:
        return rng.choice(_STANDARDS)
    if style == 7:
        date = f"{rng.randint(2021, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return f"{date} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    if style == 8:  # measurements and phone-length numbers that are not phones
        return rng.choice((f"{rng.randint(1, 99)}.{_digits(rng, 9)}MPa", f"12{_digits(rng, 9)}",
                           f"1{rng.choice('3589')}{_digits(rng, 8)}", f"{rng.randint(1000, 2980)}r/min"))
    if style == 9:  # order numbers and timestamps of card length
        date = f"{rng.randint(2019, 2024)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        return date + _digits(rng, rng.choice((8, 10, 11)))
    return rng.choice(("检查人员发现", "负责人对此高度重视", "联系人:设备科", "签字确认", "值班员全部到岗",
                       "监护人应当全程在场", "记录人员", "负责人:车间主任"))


_DECOY_CONTEXTS = ("经核对，编号{x}与台账一致。", "备注：{x}。", "资料显示{x}，无需处理。")


@dataclass
class PiiCorpus:
    """Records with planted personal data and decoys.

    records: JSONL-ready dicts with `id`, `title`, `text` and, for some, `inspector` / `contact` fields (read
    into `meta` by ingest). planted: per record, (type, surface) of every item planted in title, text or
    fields. decoys: per record, look-alikes planted in `text` that must survive unchanged.
    """

    records: list[dict]
    planted: list[list[tuple[str, str]]]
    decoys: list[list[str]]

    def forbidden(self) -> set[str]:
        """Strings that must not appear in any output byte: each planted surface, its NFKC form and, for
        numbers, its bare digits (a mobile also without its country code)."""
        out: set[str] = set()
        for items in self.planted:
            for kind, surface in items:
                normal = unicodedata.normalize("NFKC", surface)
                out.update((surface, normal))
                if kind not in ("person", "email"):
                    bare = re.sub(r"[^0-9Xx]", "", normal)
                    out.add(bare[-11:] if kind == "mobile" else bare)
        return out

    def batch(self) -> dict[str, list]:
        """The records as an ingest-shaped batch: id, title, text, meta (JSON of the other fields)."""
        meta = [json.dumps({k: v for k, v in r.items() if k not in ("id", "title", "text")}, ensure_ascii=False)
                for r in self.records]
        return {"id": [r["id"] for r in self.records], "title": [r["title"] for r in self.records],
                "text": [r["text"] for r in self.records], "meta": meta}

    def write_jsonl(self, path: Path | str) -> Path:
        return write_records(self.records, path)


def _filler(rng, templates: tuple[str, ...] = _FILLER_TEMPLATES) -> str:
    return rng.choice(templates).format(
        place=rng.choice(_PLACES), equipment=rng.choice(_EQUIPMENT), problem=rng.choice(_PROBLEMS),
        action=rng.choice(_ACTIONS), judgement=rng.choice(_JUDGEMENTS), work=rng.choice(_WORK),
        date=f"{rng.randint(2019, 2024)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
        time=f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        pressure=f"{rng.randint(0, 9)}.{rng.randint(1, 99)}",
        temp=rng.randint(20, 180), hours=rng.randint(200, 9000), n=rng.randint(2, 12), m=rng.randint(1, 3))


def make_pii_document(seed: int, index: int, *, items: tuple[int, int] = (1, 4), decoys: tuple[int, int] = (1, 3),
                      sentences: tuple[int, int] = (8, 16), fullwidth_share: float = 0.05) -> tuple[dict, list, list]:
    """One record (a function of seed and index only), its planted items and its decoys."""
    rng = seeded_rng(seed, "pii-corpus", index)
    planted: list[tuple[str, str]] = []
    parts = [_filler(rng) for _ in range(rng.randint(*sentences))]
    for _ in range(rng.randint(*items)):
        kind = rng.choice(("id_card", "mobile", "landline", "bank_card", "email", "person", "person"))
        if kind == "person":
            names = [_plant_item(rng, "person") for _ in range(1 if rng.random() < 0.8 else 2)]
            cue, sep = rng.choice(_PLANT_CUES), rng.choice(("：", ":", " ", "", "："))
            sentence = f"{cue}{sep}{'、'.join(names)}{rng.choice(_NAME_TAILS)}"
            planted.extend(("person", name) for name in names)
        else:
            value = _plant_item(rng, kind)
            if kind in ("mobile", "id_card") and rng.random() < fullwidth_share:
                value = _fullwidth(value)
            sentence = rng.choice(_CONTEXTS[kind]).format(x=value)
            planted.append((kind, value))
        parts.insert(rng.randint(0, len(parts)), sentence)
    chosen = [_decoy(rng) for _ in range(rng.randint(*decoys))]
    for decoy in chosen:
        context = "{x}。" if decoy[0] in "检负联签值监记" else rng.choice(_DECOY_CONTEXTS)
        parts.insert(rng.randint(0, len(parts)), context.format(x=decoy))
    while sum(map(str.isdigit, "".join(parts))) > 0.25 * sum(map(len, parts)):
        parts.insert(rng.randint(0, len(parts)), _filler(rng, _PLAIN_TEMPLATES))
    record = {"id": f"pii-{seed}-{index}", "title": f"{rng.choice(_PLACES)}{rng.choice(_EQUIPMENT)}巡检记录",
              "text": "".join(parts)}
    if rng.random() < 0.3:
        name = _plant_item(rng, "person")
        record["title"] = f"检查人{name}提交的{record['title']}"
        planted.append(("person", name))
    if rng.random() < 0.3:
        record["inspector"] = _plant_item(rng, "person")
        planted.append(("person", record["inspector"]))
    if rng.random() < 0.2:
        record["contact"] = _plant_item(rng, "mobile")
        planted.append(("mobile", record["contact"]))
    return record, planted, chosen


def make_pii_corpus(n_docs: int = 200, seed: int = 0, **options) -> PiiCorpus:
    """`n_docs` inspection-log records with planted personal data and decoys; record i depends only on
    (seed, i). Decoys survive the default `types` (no `ip`). Options: see make_pii_document."""
    docs = [make_pii_document(seed, i, **options) for i in range(n_docs)]
    return PiiCorpus([d[0] for d in docs], [d[1] for d in docs], [d[2] for d in docs])


# -- forms: many spellings of each kind of personal data, in every field --------------------------------
# Written for issue 15 independently of the scrubber's own lists: each form is how people actually write a
# phone, an ID, a card, an address or a name in reports and spreadsheets. Half the forms (and their
# sentences) are "tuned" (the scrubber was developed against them), the other half "held_out" (written
# alongside, never used to adjust the scrubber), so bench/pii.py can show how it does on spellings it was
# not fitted to.

_CN = "〇一二三四五六七八九"
_TRAD_SURNAMES = "陳張劉黃趙吳孫馬鄭謝韓馮鄧蕭葉蘇盧蔣賈錢許楊鍾"
_TRAD_GIVEN = "偉華強麗國軍傑濤鵬輝靜穎翊翀銘凱嘉誠豪慧瑩"
_RARE_SURNAMES = {"tuned": "邝冼覃谌粟揭禤庹", "held_out": "芦修檀母靳佘訾笪鄢逯"}
_HELD_OUT_COMPOUNDS = ("端木", "独孤", "呼延", "南宫", "公孙", "尉迟")


def _mobile_digits(rng) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _split(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, pos = [], 0
    for size in sizes:
        parts.append(digits[pos:pos + size])
        pos += size
    return sep.join(parts)


def _to_cn(digits: str, one: str = "一") -> str:
    return "".join(one if d == "1" else _CN[int(d)] for d in digits)


def _landline_parts(rng) -> tuple[str, str]:
    area = rng.choice(("010", "021", "020", "0571", "0755", "0512", "0531", "0898"))
    return area, str(rng.randint(2, 8)) + _digits(rng, 7)


def _given(rng) -> str:
    return "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def _name(rng, surnames: str = _PLANT_SURNAMES) -> str:
    return rng.choice(surnames) + _given(rng)


def _trad_name(rng) -> str:
    return rng.choice(_TRAD_SURNAMES) + "".join(rng.choice(_TRAD_GIVEN) for _ in range(rng.randint(1, 2)))


@dataclass(frozen=True)
class PiiForm:
    """One way of writing one kind of personal data. `make(rng)` returns (written, secret): what goes into
    the record and the part of it that must not survive (a name without its role cue)."""

    name: str
    kind: str
    half: str
    make: object


def _value(fn):
    return lambda rng: (lambda v: (v, v))(fn(rng))


def _person(template: str, name_fn=_name):
    return lambda rng: (lambda n: (template.format(n=n), n))(name_fn(rng))


def _two_people(template: str, name_fn=_name):
    def make(rng):
        a, b = name_fn(rng), name_fn(rng)
        while b == a:
            b = name_fn(rng)
        return template.format(a=a, b=b), a + "|" + b
    return make


PII_FORMS: tuple[PiiForm, ...] = (
    # mobile
    PiiForm("mobile_plain", "mobile", "tuned", _value(_mobile_digits)),
    PiiForm("mobile_3_4_4_spaces", "mobile", "tuned", _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), " "))),
    PiiForm("mobile_3_8_space", "mobile", "tuned", _value(lambda r: _split(_mobile_digits(r), (3, 8), " "))),
    PiiForm("mobile_7_4_space", "mobile", "tuned", _value(lambda r: _split(_mobile_digits(r), (7, 4), " "))),
    PiiForm("mobile_dots", "mobile", "tuned", _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), "."))),
    PiiForm("mobile_em_dashes", "mobile", "tuned", _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), "—"))),
    PiiForm("mobile_chinese_numerals", "mobile", "tuned", _value(lambda r: _to_cn(_mobile_digits(r)))),
    PiiForm("mobile_glued_tel", "mobile", "tuned", lambda r: (lambda d: ("Tel" + d, d))(_mobile_digits(r))),
    PiiForm("mobile_plus86_dashes", "mobile", "tuned",
            lambda r: (lambda d: ("+86-" + _split(d, (3, 4, 4), "-"), d))(_mobile_digits(r))),
    PiiForm("mobile_fullwidth", "mobile", "tuned", _value(lambda r: _fullwidth(_mobile_digits(r)))),
    PiiForm("mobile_zero_width", "mobile", "held_out", _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), "\u200b"))),
    PiiForm("mobile_ideographic_space", "mobile", "held_out",
            _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), "\u3000"))),
    PiiForm("mobile_en_dashes_spaced", "mobile", "held_out",
            _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), " – "))),
    PiiForm("mobile_yao_numerals", "mobile", "held_out", _value(lambda r: _to_cn(_mobile_digits(r), "幺"))),
    PiiForm("mobile_chinese_grouped", "mobile", "held_out",
            _value(lambda r: _split(_to_cn(_mobile_digits(r)), (3, 4, 4), " "))),
    PiiForm("mobile_0086_spaces", "mobile", "held_out",
            lambda r: (lambda d: ("0086 " + _split(d, (3, 4, 4), " "), d))(_mobile_digits(r))),
    PiiForm("mobile_nbsp", "mobile", "held_out", _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), "\u00a0"))),
    PiiForm("mobile_fullwidth_hyphens", "mobile", "held_out",
            _value(lambda r: _split(_mobile_digits(r), (3, 4, 4), "－"))),
    PiiForm("mobile_glued_mobile_label", "mobile", "held_out",
            lambda r: (lambda d: ("Mobile" + d, d))(_mobile_digits(r))),
    # resident ID
    PiiForm("id_plain", "id_card", "tuned", _value(lambda r: _id18(r))),
    PiiForm("id_lowercase_x", "id_card", "tuned", _value(lambda r: _id18(r, "X").lower())),
    PiiForm("id_6_8_4_dashes", "id_card", "tuned", _value(lambda r: _split(_id18(r), (6, 8, 4), "-"))),
    PiiForm("id_glued_label", "id_card", "tuned", lambda r: (lambda v: ("ID" + v, v))(_id18(r))),
    PiiForm("id_legacy_15", "id_card", "tuned",
            _value(lambda r: (lambda y, m, d: f"{r.choice(sorted(PROVINCES))}{_digits(r, 4)}{y % 100:02d}{m:02d}"
                                               f"{d:02d}{_digits(r, 3)}")(*_birth(r)))),
    PiiForm("id_6_8_4_spaces", "id_card", "held_out", _value(lambda r: _split(_id18(r), (6, 8, 4), " "))),
    PiiForm("id_fullwidth", "id_card", "held_out", _value(lambda r: _fullwidth(_id18(r)))),
    PiiForm("id_6_4_4_4_spaces", "id_card", "held_out", _value(lambda r: _split(_id18(r), (6, 4, 4, 4), " "))),
    PiiForm("id_dots", "id_card", "held_out", _value(lambda r: _split(_id18(r), (6, 8, 4), "."))),
    # landline
    PiiForm("landline_dash", "landline", "tuned", _value(lambda r: "-".join(_landline_parts(r)))),
    PiiForm("landline_brackets", "landline", "tuned", _value(lambda r: "({}){}".format(*_landline_parts(r)))),
    PiiForm("landline_extension", "landline", "tuned",
            _value(lambda r: "{}-{}转{}".format(*_landline_parts(r), r.randint(100, 899)))),
    PiiForm("landline_spaces", "landline", "held_out",
            _value(lambda r: (lambda a, n: f"{a} {n[:4]} {n[4:]}")(*_landline_parts(r)))),
    PiiForm("landline_fullwidth_brackets", "landline", "held_out",
            _value(lambda r: "（{}）{}".format(*_landline_parts(r)))),
    PiiForm("landline_dots", "landline", "held_out",
            _value(lambda r: (lambda a, n: f"{a}.{n[:4]}.{n[4:]}")(*_landline_parts(r)))),
    # bank card
    PiiForm("card_plain", "bank_card", "tuned", _value(lambda r: bank_card(r))),
    PiiForm("card_groups_of_4", "bank_card", "tuned", _value(lambda r: _split(bank_card(r, 16), (4, 4, 4, 4), " "))),
    PiiForm("card_dashes", "bank_card", "held_out", _value(lambda r: _split(bank_card(r, 16), (4, 4, 4, 4), "-"))),
    PiiForm("card_4_4_4_4_3", "bank_card", "held_out", _value(lambda r: _split(bank_card(r), (4, 4, 4, 4, 3), " "))),
    # e-mail
    PiiForm("email_ascii", "email", "tuned", _value(lambda r: f"{r.choice(_PINYIN)}.{r.choice(_PINYIN)}@example.com")),
    PiiForm("email_chinese_local", "email", "tuned", _value(lambda r: f"{_name(r)}@example.cn")),
    PiiForm("email_spaces_around_at", "email", "tuned",
            _value(lambda r: f"{r.choice(_PINYIN)}{r.randint(1, 99)} @ mail.example.org")),
    PiiForm("email_fullwidth_at", "email", "held_out", _value(lambda r: f"{r.choice(_PINYIN)}{r.choice(_PINYIN)}＠example.com")),
    PiiForm("email_chinese_with_digits", "email", "held_out", _value(lambda r: f"{_name(r)}{r.randint(1980, 2005)}@example.net")),
    PiiForm("email_upper_case", "email", "held_out",
            _value(lambda r: f"{r.choice(_PINYIN).title()}.{r.choice(_PINYIN).title()}@Example.COM")),
    # person names after roles
    PiiForm("person_cue_colon", "person", "tuned", _person("检查人员：{n}")),
    PiiForm("person_cue_no_colon", "person", "tuned", _person("检查人员{n}")),
    PiiForm("person_project_manager", "person", "tuned", _person("项目经理：{n}")),
    PiiForm("person_rare_surname", "person", "tuned", _person("负责人：{n}", lambda r: _name(r, _RARE_SURNAMES["tuned"]))),
    PiiForm("person_traditional", "person", "tuned", _person("檢查人：{n}", _trad_name)),
    PiiForm("person_compound_surname", "person", "tuned", _person("监护人：{n}", lambda r: r.choice(_PLANT_COMPOUNDS) + _given(r))),
    PiiForm("person_list", "person", "tuned", _two_people("记录人：{a}、{b}")),
    PiiForm("person_role_word_colon", "person", "held_out", _person("施工队长：{n}")),
    PiiForm("person_cue_space", "person", "held_out", _person("安全员 {n}")),
    PiiForm("person_traditional_list", "person", "held_out", _two_people("聯繫人：{a}、{b}", _trad_name)),
    PiiForm("person_form_heading", "person", "held_out", _person("审核：{n}")),
    PiiForm("person_markup", "person", "held_out", _person("检查人：<b>{n}</b>")),
    PiiForm("person_colon_space", "person", "held_out", _person("值班负责人： {n}")),
    PiiForm("person_rare_surname_held_out", "person", "held_out",
            _person("联系人{n}", lambda r: _name(r, _RARE_SURNAMES["held_out"]))),
    PiiForm("person_held_out_compound", "person", "held_out",
            _person("技术负责人：{n}", lambda r: r.choice(_HELD_OUT_COMPOUNDS) + _given(r))),
)

_FORM_SENTENCES = {
    "tuned": {
        "number": ("夜班如遇泵房异常，请直接拨打{x}找当班同事。", "外协单位的联络方式为{x}，工作日有人值守。",
                   "登记信息：{x}，已录入门禁系统。"),
        "person": ("{x}，已在整改单上签字。", "本次巡查由{x}带队完成。", "{x}在现场确认隔离措施到位。"),
    },
    "held_out": {
        "number": ("来访人员留下的信息是{x}，复印件存档。", "如需补发材料，可联系{x}。", "请将结果同步给{x}。"),
        "person": ("{x}对三号罐区进行了复查。", "（{x}）", "签收：{x}；日期见封面。"),
    },
}

_FORM_DECOYS: tuple[tuple[str, object], ...] = (
    ("standard", lambda r: r.choice(_STANDARDS)),
    ("datetime", lambda r: f"{r.randint(2019, 2024)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} "
                           f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}"),
    ("order_number", lambda r: f"{r.randint(2019, 2024)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{_digits(r, 8)}"),
    ("id_wrong_check", lambda r: (lambda v: v[:17] + r.choice([c for c in "0123456789" if c != v[17]]))(_id18(r))),
    ("card_failing_luhn", lambda r: (lambda v: v[:-1] + str((int(v[-1]) + 5) % 10))(bank_card(r))),
    ("serial_with_phone_digits", lambda r: f"SN{r.randint(2018, 2024)}{_mobile_digits(r)}"),
    ("model_number", lambda r: f"ZL{r.randint(10, 99)}-{r.randint(1000, 9999)}-{r.randint(100, 999)}"),
    ("pressure_reading", lambda r: f"{r.randint(1, 9)}.{_digits(r, 9)}MPa"),
    ("chinese_year", lambda r: _to_cn(str(r.randint(1990, 2024)), "一") + "年"),
    ("cue_without_name", lambda r: r.choice(("检查人员发现", "负责人：车间主任", "项目经理部", "联系人：设备科"))),
    ("part_code", lambda r: _mobile_digits(r) + "B"),
    ("version_and_ip_like", lambda r: f"V{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 99)}"),
)


@dataclass
class FormsCorpus:
    """Records with one planted item per (form, field) slot and look-alike decoys in the text.

    records: JSONL-ready dicts (`id`, `title`, `text`, `label`, plus meta fields). plants: per record,
    (form name, half, field, secret) for each item; secret may hold several names joined by "|".
    decoys: per record, (decoy name, surface) planted in `text`."""

    records: list[dict]
    plants: list[list[tuple[str, str, str, str]]]
    decoys: list[list[tuple[str, str]]]

    def batch(self, source: str = "forms") -> dict[str, list]:
        """An ingest-shaped batch (meta as JSON of the other fields, ids as the build writes them)."""
        meta = [json.dumps({k: v for k, v in r.items() if k not in ("id", "title", "text", "label")},
                           ensure_ascii=False, sort_keys=True) for r in self.records]
        return {"id": [f"{source}:{r['id']}" for r in self.records], "title": [r["title"] for r in self.records],
                "text": [r["text"] for r in self.records], "label": [r["label"] for r in self.records],
                "meta": meta, "source": [source] * len(self.records),
                "_fallback_id": [f"{source}:forms.jsonl:{i + 1}" for i in range(len(self.records))]}

    def secrets(self) -> set[str]:
        """Every planted secret as written, NFKC-normalized and, for numbers, as bare ASCII digits."""
        out: set[str] = set()
        for plants in self.plants:
            for _, _, _, secret in plants:
                out.update(_secret_forms(secret))
        return out

    def write_jsonl(self, path: Path | str) -> Path:
        return write_records(self.records, path)


def write_records(records: list[dict], path: Path | str) -> Path:
    """The records as a JSONL source file (what a test or bench builds from)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _secret_forms(secret: str) -> set[str]:
    out: set[str] = set()
    for part in secret.split("|"):
        normal = unicodedata.normalize("NFKC", part)
        out.update((part, normal))
        bare = re.sub(r"[^0-9Xx]", "", normal.translate(str.maketrans("〇零一二三四五六七八九幺", "001234567891")))
        if len(bare) >= 10:
            out.add(bare[-11:] if len(bare) in (13, 15) and bare.startswith(("86", "0086")) else bare)
    return out


def _form_for(rng, forms: tuple[PiiForm, ...], kinds: tuple[str, ...] | None = None) -> PiiForm:
    pool = [f for f in forms if kinds is None or f.kind in kinds]
    return rng.choice(pool)


def make_forms_document(seed: int, index: int, forms: tuple[PiiForm, ...] = PII_FORMS) -> tuple[dict, list, list]:
    """One record of 8-16 filler sentences with 1-4 forms in its text (the density of make_pii_document),
    and with some probability one in its title, label, id and meta; 1-3 decoys. A function of (seed, index)
    only."""
    rng = seeded_rng(seed, "pii-forms", index)
    plants: list[tuple[str, str, str, str]] = []
    parts = [_filler(rng) for _ in range(rng.randint(8, 16))]
    for _ in range(rng.randint(1, 4)):
        form = _form_for(rng, forms)
        written, secret = form.make(rng)
        group = "person" if form.kind == "person" else "number"
        parts.insert(rng.randint(0, len(parts)), rng.choice(_FORM_SENTENCES[form.half][group]).format(x=written))
        plants.append((form.name, form.half, "text", secret))
    decoys = []
    for _ in range(rng.randint(1, 3)):
        name, make = rng.choice(_FORM_DECOYS)
        surface = make(rng)
        parts.insert(rng.randint(0, len(parts)), f"备注：{surface}。")
        decoys.append((name, surface))
    record = {"id": f"doc-{seed}-{index}", "title": f"{rng.choice(_PLACES)}{rng.choice(_EQUIPMENT)}巡检记录",
              "text": "".join(parts), "label": rng.choice(("inspection", "maintenance", "sop"))}
    if rng.random() < 0.3:
        form = _form_for(rng, forms)
        written, secret = form.make(rng)
        record["title"] = f"{record['title']}（{written}）"
        plants.append((form.name, form.half, "title", secret))
    numbers = ("mobile", "id_card", "landline", "bank_card", "email")
    if rng.random() < 0.2:
        form = _form_for(rng, forms, numbers)
        written, secret = form.make(rng)
        record["label"] = written
        plants.append((form.name, form.half, "label", secret))
    if rng.random() < 0.15:
        form = _form_for(rng, forms, numbers)
        written, secret = form.make(rng)
        record["id"] = written
        plants.append((form.name, form.half, "id", secret))
    if rng.random() < 0.35:
        form = _form_for(rng, forms)
        written, secret = form.make(rng)
        if form.kind == "person" and "|" not in secret and rng.random() < 0.5:
            record["inspector"] = secret  # a bare name under a person-like key
        else:
            record["note"] = rng.choice(_FORM_SENTENCES[form.half]["person" if form.kind == "person" else "number"]
                                        ).format(x=written)
        plants.append((form.name, form.half, "meta", secret))
    return record, plants, decoys


def make_forms_corpus(n_docs: int = 400, seed: int = 0) -> FormsCorpus:
    """`n_docs` records covering every form of PII_FORMS in every field they fit, plus decoys."""
    docs = [make_forms_document(seed, i) for i in range(n_docs)]
    return FormsCorpus([d[0] for d in docs], [d[1] for d in docs], [d[2] for d in docs])
