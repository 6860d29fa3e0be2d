"""Privacy scrub of Chinese personal data (issues #11 and #15), run at ingest on every text-bearing field
before anything is written.

Detection runs on a same-length *view* of the text: each character mapped to its NFKC form when that is one
character (full-width digits and letters, compatibility ideographs) and to OpenCC's simplified character
(陳 → 陈), so 檢查人：陳翊翀 and １３９… are found whatever the normalize settings; spans found in the view are
replaced in the original. One compiled regex finds *candidates* (rare in real text) and small functions
validate them:

- numbers: a run of at least ten digits (ASCII or Chinese numerals 〇零一…九 and 幺), possibly in groups
  split by any run of up to four separators (spaces of every width, dots, hyphens, en/em dashes, slashes,
  brackets, zero-width, bidi and control characters, &nbsp;, HTML tags). The leftmost, longest sequence of
  whole groups whose digits validate is the item: id_card (GB 11643: province, real birth date, ISO 7064
  check character; 15-digit legacy IDs with a real date), mobile (1[3-9] + 9 digits, optional 86/0086/+86),
  landline (area code + 7–8 digit local number, optional extension), bank_card (16–19 digits, Luhn, issuer
  digit 3/4/5/6/9). Groups hold at least three digits (or the digits are spelled one by one); one dot
  between two groups is a decimal point; an 18-digit ID-shaped run with a wrong check character is never a
  card. Digits glued to ASCII letters count only after a label (Tel, ID, Mobile …), never inside a code
  (SN2023…, A138…, 13812345678B).
- email: found from each @ outwards; the local part may be Chinese (张伟@…), the @ may have spaces around it.
- ip (IPv4), only when asked for.
- person: a name after a role: a cue from the built-in list, lexicons/pii_roles.txt and the recipe's
  `pii.roles` lexicon together (each also with its other role ending: 检查人 → 检查人员, 检查员), with or
  without ：/: and a space, or any word ending in a role character (长 员 理 任 管 师 …) before a colon
  (施工队长：). Name rule: a surname from a table of 537 (百家姓 single surnames minus characters that are far
  more often function words — 和 后 有 向 … — plus modern ones such as 付 肖 覃 邝, and the compound
  surnames), then one or two given-name characters; a given-name character may not start a stop word
  (发现, 负责, 在, 对, 已, 的 … and every role cue), so "检查人王建国发现" ends at 王建国. Words that begin
  with a surname character (安全, 车间, 项目 …) are not names. Names listed with 、/和/与/及 are all
  replaced. The cue itself is kept ("检查人：[PERSON]").

JSON values (meta, rejected records) are scrubbed one by one, keys included; a value under a person-like key
(inspector, 负责人 …) is read as if written after a cue; a line that is not valid JSON is scrubbed pair by
pair where it looks like "key": "value", then as a whole.
"""

from __future__ import annotations

import json
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import field_validator

from corpusctl.config import PROJECT_ROOT, RecipePath, StageSection
from corpusctl.errors import CorpusctlError
from corpusctl.lexicons import read_lexicon

PiiType = Literal["id_card", "mobile", "landline", "email", "bank_card", "person", "ip"]
ALL_TYPES: tuple[str, ...] = ("id_card", "mobile", "landline", "email", "bank_card", "person", "ip")
DEFAULT_TYPES: list[str] = ["id_card", "mobile", "landline", "email", "bank_card", "person"]
SHIPPED_ROLES = PROJECT_ROOT / "lexicons" / "pii_roles.txt"


class PiiConfig(StageSection):
    types: list[PiiType] = list(DEFAULT_TYPES)
    """What to scrub; add `ip` for IPv4 addresses (device addresses are usually not personal)."""
    replacement: str = "[{TYPE}]"
    """Placeholder; `{TYPE}` becomes the upper-case type name, e.g. [ID_CARD], [MOBILE], [PERSON]."""
    roles: RecipePath | None = None
    """Role-cue lexicon for `person` (one cue per line, # comments). Its cues are added to the built-in list
    and to lexicons/pii_roles.txt shipped with corpusctl, never replace them."""

    @field_validator("types")
    @classmethod
    def _unique_types(cls, types: list[str]) -> list[str]:
        return list(dict.fromkeys(types))

    @field_validator("replacement")
    @classmethod
    def _valid_replacement(cls, value: str) -> str:
        try:
            value.format(TYPE="ID_CARD")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"replacement {value!r} must be a format string whose only field is {{TYPE}}") from exc
        if not value.strip():
            raise ValueError("replacement must not be empty")
        return value


PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
"""A placeholder the scrub writes with the default `replacement` ([MOBILE], [ID_CARD], [PERSON]): the segmenter
keeps each one a single word and the NER export never tags one."""


def placeholders(config: PiiConfig) -> list[str]:
    """The placeholder tokens the scrub can write (the vocabulary keeps them whole)."""
    return list(dict.fromkeys(config.replacement.format(TYPE=t.upper()) for t in config.types))


def fingerprint(config: PiiConfig) -> dict:
    """The settings that decide the scrub's output, including the role cues actually read (for checkpoints:
    editing lexicons/pii_roles.txt must invalidate a resumed build)."""
    import hashlib

    cues = load_roles(config.roles) if "person" in config.types else []
    return {**config.model_dump(mode="json"),
            "roles_sha256": hashlib.sha256("\n".join(cues).encode("utf-8")).hexdigest()}


# -- reference data ---------------------------------------------------------------------------------------

PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
"""First two digits of GB/T 2260 administrative division codes (provinces, HK 81, Macau 82, Taiwan 71)."""

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_BAIJIAXING = (
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
    "鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄"
    "和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭"
    "梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚"
    "程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫"
    "宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴鬱胥能苍双"
    "闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍卻璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容"
    "向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空"
    "曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公仉督晋楚闫法汝鄢涂钦岳帅缑亢况郈有琴商牟佘佴伯赏"
    "墨哈谯笪年爱阳佟"
)
_MODERN_SURNAMES = "付肖覃冼闫兰隋仝占丘寻赫邝揭谌粟练庹禤麦邸郄衣矫栗苑兀旷苟逢凃佐植鲜肇泮邗郇郁阿芦修檀母腾银"
"""Common modern surnames missing from 百家姓 (邝 冼 覃 谌 粟 …; 阿 for names such as 阿依古丽)."""
_NOT_SURNAMES = "和后有向那都能相查通空别言爱法正须益计经应解双全时从终充阿"
"""Characters of 百家姓 that, right after a role cue, are far more often function words than surnames."""
SURNAMES = frozenset(_BAIJIAXING + _MODERN_SURNAMES) - frozenset(_NOT_SURNAMES)

COMPOUND_SURNAMES = (
    "万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 公孙 仲孙 "
    "轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空 亓官 司寇 子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 公良 "
    "拓跋 夹谷 宰父 谷梁 段干 百里 东郭 南门 呼延 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五 "
    "晋楚 法 闫法 梁丘 左人 公户 公玉 公仪 公乘 公门 公山 公坚 乐羊 叔孙 母丘 第二 独孤 即墨 "
    "哥舒 达奚 贺兰 长孙 宇文 尉迟 范姜 张简 张廖 欧阳 司徒"
).split()
COMPOUND_SURNAMES = list(dict.fromkeys(c for c in COMPOUND_SURNAMES if len(c) == 2 and c not in ("晋楚", "闫法")))

STOP_CHARS = "在于和与及等已对把被向的了是为将从并也都就又再还曾正即所让给跟说称要会未不没应须需到去来均"
"""A given-name character is never one of these: they follow a name ("王强在场", "李四已签字")."""
STOP_WORDS = (
    "发现 负责 签字 签名 确认 进行 检查 同志 师傅 表示 指出 认为 提出 组织 带领 完成 通知 主持 陪同 现场 巡检 "
    "处理 报告 说明 先生 女士 经理 主任 班长 组长 电话 手机 联系 复查 整改 审核 批准 到场 在场 巡查 记录 汇报 "
    "反映 立即 及时 当班 值班 操作 作业 安排 要求 督促 核实 查看 测量 检测 维修 更换 签发 办理 工号 身份 邮箱 "
    "提交 填写 填报 编写 上报 反馈 回复 告诉 透露 介绍 解释 坦言 回应 证实 承认 补充 宣布 "
    "人员 工程 技术 日期 时间 审批 编制 校对 复核 核对 部门 单位"
).split()
NOT_NAMES = (
    "安全 安装 安排 安监 车间 班组 项目 技术 管理 质量 高压 高温 高处 全部 全体 全面 平时 常规 明确 文件 国家 公司 "
    "方面 方案 单位 宁可 程序 包括 包装 国土 国务 国有 国际 宣布 宣传 丁类 石油 石化 温度 成员 成品 钟表 时间 部门 厂长 主管 曾经 余下 任何 任意 "
    "当班 各位 甲方 乙方 施工 专职 兼职 司机 司炉 工程 工长 计划 林业 燕尾 车辆 车队 电工 焊工 "
    "于是 于此 于当 于本 于现 万一 万元 元件 卫生 印章 印发 应急 公示 公开 公告 公章 公布 单据 单独 单位 "
    "周期 周边 周围 周末 周检 周一 周二 周三 周四 周五 周六 周日 上述 上级 上报 上午 下午 白班 夜班 金属 "
    "黄色 红色 蓝色 白色 黑色 严格 严禁 严重 齐全 常规 常见 许可 段长 段落 尚未 经过 经理 谢谢 何时 何处 "
    "刘海 马上 龙门 钱款 孙子 高度 高级 高于 左侧 右侧 东侧 西侧 南侧 北侧 相关 "
    "习惯 关于 关闭 关键 华北 华东 华南 华中 云端 苏州 江苏 浙江 山东 山西 湖南 湖北 广东 广西 海南 "
    "邮件 包含 孔洞 孔径 范围 雷电 祝贺 容器 容量 管道 管线 管理 宋体 楷体 黑体 莫非 莫要 和谐"
).split()
"""Words that begin with a surname character but, after a role cue, name a unit or thing, not a person."""

DEFAULT_ROLES = (
    "检查人 检查员 负责人 联系人 值班员 值班人 操作人员 操作人 操作员 监护人 记录人 签字 签名 审核人 批准人 编制人 "
    "巡检员 巡检人 作业人员 作业人 安全员 填报人 报告人 验收人 项目经理 班长 组长 技术员 工程师 维修人员 维修人 "
    "检修人 责任人 经办人 申请人 审批人 签发人 确认人 发现人 整改人 复查人 交班人 接班人 见证人 监理 主管 "
    "车间主任 厂长 经理 主任 队长 科长 站长 处长 部长 主管人 施工员 质检员 监督员 带班人 指挥人 调度员 驾驶员 "
    "押运员 收件人 寄件人 当事人 证明人 委托人 法人 法定代表人 姓名 名字 陪同人员 受伤人员 伤者 患者 工人 师傅 安监员"
).split()
"""Cues built into corpusctl; a `pii.roles` lexicon and lexicons/pii_roles.txt add to them, never replace them.
Form headings that end in a frequent character (审核：, 批准：, 编制：, 甲方代表：) are found by ROLE_SUFFIX_CHARS
before a colon, so the name pattern is not tried at every 对, 核 or 表."""
ROLE_ENDINGS = ("人员", "人", "员")
"""A cue ending in one of these also stands for its stem with the others (检查人 → 检查人员, 检查员)."""
ROLE_SUFFIX_CHARS = "人员长理任管师表者名字核准制班"
"""Before a colon, a word ending in one of these is a role (施工队长：, 设备经理：, 法人代表：) even if not listed."""

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_EMAIL_LOCAL = "A-Za-z0-9._%+\\-"


def _read_cues(path: Path) -> list[str]:
    return [entry.term for entry in read_lexicon(path, "clean.pii.roles")]


def load_roles(path: Path | None) -> list[str]:
    """Role cues: the built-in list, the shipped lexicon and the user's lexicon together. A user's lexicon
    extends the cues (a recipe naming its own roles must not lose 检查人 or 项目经理)."""
    cues = list(DEFAULT_ROLES)
    if SHIPPED_ROLES.is_file():
        cues += _read_cues(SHIPPED_ROLES)
    if path is not None:
        own = _read_cues(path)
        if not own:
            raise CorpusctlError(f"clean.pii.roles: {path} holds no role cues")
        cues += own
    return list(dict.fromkeys(cues))


def expand_roles(cues: Iterable[str]) -> list[str]:
    """Each cue plus its stem's other role endings: 检查人 also matches 检查人员 and 检查员."""
    out = []
    for cue in cues:
        out.append(cue)
        for ending in ROLE_ENDINGS:
            if cue.endswith(ending) and len(cue) > len(ending) + 1:
                out += [cue[: -len(ending)] + other for other in ROLE_ENDINGS]
                break
    return list(dict.fromkeys(out))


# -- validation --------------------------------------------------------------------------------------------


def _date_ok(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= (_MONTH_DAYS[month] if month != 2 else
                                             29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28)


_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of an 18-character resident ID."""
    return ID_CHECK[sum(map(operator.mul, map(int, first17[:17]), ID_WEIGHTS)) % 11]


def id_shaped(s: str) -> bool:
    """18 characters with a province prefix and 19/20 where the birth year goes: judged as an ID only."""
    return len(s) == 18 and s[:2] in PROVINCES and s[6:8] in ("19", "20") and s[:17].isdigit()


def id_card_ok(s: str) -> bool:
    """A valid 18-character (GB 11643) or 15-digit legacy resident ID."""
    if len(s) == 18:
        return (id_shaped(s) and _date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))
                and id_check_char(s) == s[17].upper())
    if len(s) == 15 and s.isdigit():
        return s[:2] in PROVINCES and _date_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))
    return False


_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_ok(digits: str) -> bool:
    odd = sum(map(int, digits[-1::-2]))
    even = sum(map(_LUHN_DOUBLE.__getitem__, map(int, digits[-2::-2])))
    return (odd + even) % 10 == 0


def bank_card_ok(digits: str) -> bool:
    return 16 <= len(digits) <= 19 and digits.isdigit() and digits[0] in "345469" and luhn_ok(digits)


_MOBILE = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0(?:10|2[0-9])[2-9][0-9]{6,7}|0[3-9][0-9]{2}[2-9][0-9]{6,7}")


def classify_digits(d: str, types: frozenset[str]) -> str | None:
    """The personal-data type of a digit string (separators removed), or None. Length and first digit
    decide which checks run (most runs are dates and quantities that fail at once)."""
    n = len(d)
    if n < 10 or n > 19:
        return None
    if n == 18 and id_shaped(d):
        return "id_card" if "id_card" in types and id_card_ok(d) else None
    if n == 15 and id_card_ok(d):
        return "id_card" if "id_card" in types else None
    if not d.isdigit():
        return None
    if "mobile" in types and n in (11, 13, 15) and _MOBILE.fullmatch(d):
        return "mobile"
    if "landline" in types and d[0] == "0" and n <= 12 and _LANDLINE.fullmatch(d):
        return "landline"
    if "bank_card" in types and n >= 16 and bank_card_ok(d):
        return "bank_card"
    return None


# -- the detection view ------------------------------------------------------------------------------------

_KEEP_PUNCT = "，：；？！（）～\u3000"
"""Left out of the view's table (the patterns accept both forms), so ordinary Chinese text needs no view."""


@lru_cache(maxsize=1)
def view_table() -> dict[int, int]:
    """Per-character map to the spelling detection works on: the NFKC form of a character when it is one
    character (full-width digits, circled numbers, compatibility ideographs) and OpenCC's t2s character
    (陳 → 陈). One character to one, so a span found in the view is the same span in the original text."""
    table: dict[int, int] = {}
    for cp in [*range(0xA0, 0xD800), *range(0xE000, 0x10000)]:
        ch = chr(cp)
        if ch in _KEEP_PUNCT:
            continue
        normal = unicodedata.normalize("NFKC", ch)
        if len(normal) == 1 and normal != ch:
            table[cp] = ord(normal)
    for trad, simple in _t2s_characters():
        if ord(trad) < 0x10000:  # a BMP-only class keeps the trigger fast (see _view_trigger)
            table[ord(trad)] = table.get(ord(simple), ord(simple))
    return table


def _t2s_characters() -> list[tuple[str, str]]:
    """Single-character traditional → simplified pairs of the installed OpenCC (empty without OpenCC)."""
    try:
        import opencc
    except ImportError:
        return []
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    if not path.is_file():
        return []
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            simple = parts[1].split(" ")[0]
            if len(parts[0]) == 1 and len(simple) == 1 and simple != parts[0]:
                pairs.append((parts[0], simple))
    return pairs


@lru_cache(maxsize=1)
def _view_trigger() -> re.Pattern:
    """One character class of every mapped character (all in the BMP, so the regex engine tests each
    character with one bitmap lookup: ~500 MB/s)."""
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(view_table())) + "]")


def detection_view(text: str) -> str:
    """The text as detection sees it (same length); the text itself when no character needs mapping."""
    trigger = _view_trigger()
    if text.isascii() or not trigger.search(text):  # no mapped character is ASCII
        return text
    table = _view_chars()
    return trigger.sub(lambda m: table[m.group()], text)  # a few characters: faster than translate()


@lru_cache(maxsize=1)
def _view_chars() -> dict[str, str]:
    return {chr(a): chr(b) for a, b in view_table().items()}


# -- the combined pattern ----------------------------------------------------------------------------------


def _trie(words: Iterable[str]) -> str:
    """An alternation of literal words as a prefix tree (the regex engine tries fewer branches)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?" if len(branches) == 1 else body + "?"
        return body

    return build(root)


DIGITS = "0123456789〇零一二三四五六七八九幺"
_TO_ASCII = str.maketrans("〇零一二三四五六七八九幺", "001234567891")
_D = f"[{DIGITS}]"
NUMBER_SEPARATORS = (" \t.\\-_/·・‐‑‒–—―−﹣~\u3000\u00a0\u00ad\u2002-\u200f\u2028-\u202f\u2060-\u206f\ufeff()（）+"
                     "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f")
"""Characters that may sit between digit groups, in any run of up to four: spaces of every width, dots,
hyphens and dashes, slashes, brackets, zero-width, bidi and control characters (normalize removes those,
which would join the groups after the scrub)."""
_MARKUP = r"&(?:nbsp|ensp|emsp|thinsp|#160|#xa0|#x3000|#12288);|</?[A-Za-z][^<>]{0,40}>"
"""A space entity or an HTML tag: normalize turns 139&nbsp;5746 and 检查人：<b>王强</b> into plain text."""
_SEP = f"(?:[{NUMBER_SEPARATORS}]|{_MARKUP})"
_GROUP = re.compile("([0-9]+[Xx]?|[〇零一二三四五六七八九幺]+)")
"""Digit groups: ASCII digits and Chinese numerals are separate groups (统一13957468219 is 统一 + a phone)."""
NUMBER_LABELS = frozenset(
    "tel tell phone mobile mob mp cell cellphone ph t m fax id idno idcard no sfz sfzh card acct account "
    "wx qq hp contact num number tel.no".split())
"""ASCII words that may be glued to a number (Tel13957468219, ID510105…); any other letters glued to it
make it a code (SN2023…, A138…, x_138…)."""
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IP = rf"(?<![0-9A-Za-z_.]){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9]|\.[0-9])"
NAME_SEPARATORS = "、/和与及"
_EXTENSION = re.compile(r"[ ]?(?:转|分机|ext\.?|EXT\.?|Ext\.?|[xX#-])[ ]?[0-9]{1,5}(?![0-9])")


def _person_pattern(cues: list[str]) -> str:
    """A name after a role: the match starts at the cue's last character (then checked backwards by one
    fixed-width look-behind per length of the cues ending in that character), or at a colon after a
    role-like word (施工队长：)."""
    cues = expand_roles(cues)
    compound = _trie(COMPOUND_SURNAMES)
    single = "[" + "".join(sorted(SURNAMES | {c.translate(view_table()) for c in SURNAMES})) + "]"  # 卻 → 却
    stop = "(?:" + _trie(list(STOP_WORDS) + cues) + f"|[{STOP_CHARS}])"
    given = f"(?:(?!{stop})[{_HAN}])"
    name = f"(?!{_trie(NOT_NAMES + cues)})(?:{compound}|{single}){given}{given}?"
    by_last: dict[str, dict[int, list[str]]] = {}
    for cue in cues:
        by_last.setdefault(cue[-1], {}).setdefault(len(cue), []).append(cue)
    branches = []
    for last, by_length in sorted(by_last.items()):
        behind = "|".join(f"(?<={_trie(words)})" for _, words in sorted(by_length.items()))
        branches.append(f"{re.escape(last)}(?:{behind})")
    role = f"(?:(?:{'|'.join(branches)})[:：]?|[:：](?<=[{ROLE_SUFFIX_CHARS}][:：]))"
    return (f"(?P<person>{role}(?:{_MARKUP})*[ \u3000]?[【\\[「『“\"]?(?:{_MARKUP})*"
            f"(?P<names>{name}(?:[{NAME_SEPARATORS}]{name}){{0,29}}))")


def _person_firsts(cues: Iterable[str]) -> str:
    return "".join(sorted({re.escape(c[-1]) for c in expand_roles(cues)})) + ":："


@lru_cache(maxsize=16)
def compile_pattern(types: tuple[str, ...], cues: tuple[str, ...]) -> re.Pattern:
    """One regex for numbers and names, scanned once over the detection view.

    Speed comes from failing fast: a leading look-ahead on the possible first characters skips ordinary
    hanzi with one character-class test; a number is tried only where a digit run starts and fails inside
    the regex when fewer than ten digits follow; a name is tried only at a cue's last character or a colon.
    """
    enabled = set(types)
    digits = DIGITS
    alternatives: list[str] = []
    firsts = ""
    if "ip" in enabled:
        alternatives.append(f"(?P<ip>{_IP})")
        firsts += "0-9"
    if enabled & {"id_card", "mobile", "landline", "bank_card"}:
        d = f"[{digits}]"
        grouped = f"(?:(?:00)?86{_SEP}{{1,4}})?(?:{d}{{10,}}|{d}{{3,}}+(?:{_SEP}{{1,4}}{d}{{3,}}+)+)"
        spelled = f"{d}(?:[ .\\-]{d}){{10,17}}"
        plain = f"(?<![A-Za-z_]){d}{{10,19}}[Xx]?(?![{digits}A-Za-z_])(?![.][0-9])"
        run = f"[+(（]{{0,2}}(?=(?:{_SEP}{{0,4}}{d}){{10}})(?:{grouped}|{spelled})(?:[Xx](?![A-Za-z]))?"
        # shared by both: a run starts here (not inside digits or after a decimal point) with three digits,
        # 86 or digits spelled one by one; most numbers in text (5月, 3台, 0.5MPa) fail this at once
        start = f"(?<![{digits}])(?<![0-9][.])(?=[+(（]{{0,2}}(?:{d}{{3}}|86|{d}[ .\\-]{d}[ .\\-]{d}))"
        alternatives.append(f"{start}(?:(?P<plain>{plain})|(?P<number>{run}))")
        firsts += digits + "+(（"
    if "person" in enabled and cues:
        alternatives.append(_person_pattern(list(cues)))
        firsts += _person_firsts(cues)
    if not alternatives:
        return re.compile(r"(?!)")
    return re.compile(f"(?=[{firsts}])(?:{'|'.join(alternatives)})")


_EMAIL_LOCAL_REVERSED = re.compile(rf"[ \u3000]{{0,3}}[{_EMAIL_LOCAL}]*(?:[{_HAN}]{{1,4}}[{_EMAIL_LOCAL}]*)?")
_EMAIL_DOMAIN = re.compile(
    r"[ \u3000]{0,3}[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-])")
"""An e-mail address around an @: the local part may be Chinese (张伟@…) and the @ may have spaces around it."""


def email_spans(view: str) -> list[tuple[int, int]]:
    """E-mail addresses, found from each @ outwards: the domain forwards, the local part backwards (on the
    reversed text before the @, so the regex is anchored instead of tried at every position)."""
    spans = []
    at = view.find("@")
    while at >= 0:
        domain = _EMAIL_DOMAIN.match(view, at + 1)
        if domain:
            before = view[max(0, at - 72):at][::-1]
            start = at - _EMAIL_LOCAL_REVERSED.match(before).end()
            while start < at and view[start] in "._%+-":
                start += 1
            if start < at and view[start] not in " \u3000":
                spans.append((_email_start(view, start, at), domain.end()))
        at = view.find("@", at + 1)
    return spans


# -- numbers: which digit groups of a run form an item -----------------------------------------------------


def _glued_label_ok(view: str, start: int) -> bool:
    """A number glued to ASCII letters counts only after a label such as Tel or ID (not SN2023…, A138…)."""
    if start == 0 or not (view[start - 1].isascii() and (view[start - 1].isalpha() or view[start - 1] == "_")):
        return True
    word_start = start
    while word_start > 0 and view[word_start - 1].isascii() and view[word_start - 1].isalpha():
        word_start -= 1
    if word_start > 0 and view[word_start - 1].isascii() and (view[word_start - 1].isalnum() or view[word_start - 1] == "_"):
        return False
    return view[word_start:start].lower() in NUMBER_LABELS


def _groups_ok(groups: list[str], seps: list[str], kind: str) -> bool:
    """Whether digit groups joined by separators read as one item: each group holds at least three digits
    (86 before a mobile, a short last group of a card excepted), or the digits are spelled out one by one;
    one dot alone between two groups is a decimal point."""
    if len(groups) == 1:
        return True
    if len(seps) == 1 and seps[0] == ".":
        return False
    sizes = list(map(len, groups))
    if max(sizes) == 1:
        return len(set(seps)) == 1 and len(seps[0]) == 1
    if kind == "mobile" and groups[0] in ("86", "0086"):
        sizes = sizes[1:]
    if kind == "bank_card" and len(sizes) >= 4:
        sizes = sizes[:-1]
    return min(sizes) >= 3


_DECIMAL_TAIL = re.compile(r"\.[0-9]")


def _glued_after(view: str, end: int, kind: str) -> bool:
    """Letters right after a phone, ID or card number make it a code (13812345678B)."""
    return kind != "landline" and view[end:end + 1].isascii() and view[end:end + 1].isalpha()


def _ip_shaped(groups: list[str], seps: list[str]) -> bool:
    return len(groups) == 4 and all(s == "." for s in seps) and all(len(g) <= 3 for g in groups)


def _number_spans(view: str, start: int, run: str, types: frozenset[str]) -> list[tuple[int, int, str]]:
    """Items inside one digit run: the leftmost, longest sequence of whole groups whose digits validate."""
    if run.isdigit() and run.isascii():  # one contiguous group: the common case
        kind = classify_digits(run, types) if len(run) >= 10 else None
        if (kind is None or not _glued_label_ok(view, start) or _glued_after(view, start + len(run), kind)
                or _DECIMAL_TAIL.match(view, start + len(run))):
            return []
        end = start + len(run)
        if kind == "landline" and (ext := _EXTENSION.match(view, end)):
            end = ext.end()
        return [(start, end, kind)]
    parts = _GROUP.split(run)  # separator, group, separator, group, …, separator
    raw, seps = parts[1::2], parts[2:-1:2]
    digits = raw if run.isascii() else [g.translate(_TO_ASCII) for g in raw]
    found, pos = [], len(parts[0])
    for group, sep in zip(raw, parts[2::2]):
        found.append((pos, pos + len(group)))
        pos += len(group) + len(sep)
    if _ip_shaped(digits, seps):
        return []
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(found):
        best = None
        if (i > 0 and seps[i - 1] == "." and len(digits[i - 1]) <= 3) or not _glued_label_ok(view, start + found[i][0]):
            i += 1
            continue
        ends, total = [], 0
        for j in range(i, len(found)):
            total += len(digits[j])
            if total > 20:
                break
            if total >= 10:
                ends.append(j)
        for j in reversed(ends):  # the longest sequence of groups from i that validates
            if j + 1 < len(found) and seps[j] == "." and len(digits[j + 1]) <= 3 and j == i:
                continue  # 138….5: the integer part of a decimal
            joined = "".join(digits[i:j + 1])
            kind = classify_digits(joined.upper(), types)
            if kind is None and joined[-1] in "Xx":
                kind = classify_digits(joined[:-1], types)
                end = found[j][1] - 1
            else:
                end = found[j][1]
            if kind and _groups_ok(digits[i:j + 1], seps[i:j], kind):
                best = (start + found[i][0], start + end, kind, j)
                break
        if best is None:
            i += 1
            continue
        s, e, kind, j = best
        if _glued_after(view, e, kind):
            i = j + 1
            continue  # letters glued after the number: a code (13812345678B)
        if kind == "mobile" and i == 0 and run[:found[0][0]]:
            s = start  # (+86) / + before the number belongs to it
        if kind == "landline":
            if j + 1 < len(found) and len(digits[j + 1]) <= 5 and seps[j].strip(" ") in ("-", "转"):
                e = start + found[j + 1][1]
                j += 1
            elif (ext := _EXTENSION.match(view, e)):
                e = ext.end()
            if i == 0 and run[:found[0][0]]:
                s = start
        spans.append((s, e, kind))
        i = j + 1
    return spans


# -- the scrubber ------------------------------------------------------------------------------------------

_NAME_SPLIT = re.compile(f"([{NAME_SEPARATORS}])")
_ASCII_CANDIDATE = re.compile("[0-9@]")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_COMPOUNDS = frozenset(COMPOUND_SURNAMES)
_LOOSE_PAIR = re.compile(r'"((?:[^"\\]|\\.){0,200})"\s*:\s*"((?:[^"\\]|\\.)*)"')
"""A "key": "value" pair inside a line that is not valid JSON (a rejected record is still scrubbed per field)."""


def _email_start(view: str, start: int, at: int) -> int:
    """Where an e-mail's local part starts: Chinese before an ASCII local part is context (发送至wang@…)
    unless it starts with a surname (张伟wang@…); a Chinese local part starts at its first surname."""
    local = view[start:at]
    han = 0
    while han < len(local) and _HAN_CHAR.match(local[han]):
        han += 1
    if han == 0:
        return start
    for k in range(han):
        if (local[k] in SURNAMES or local[k:k + 2] in _COMPOUNDS) and (han - k >= 2 or han < len(local.strip())):
            return start + k
    return start + han if han < len(local.strip()) else start


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans in order; overlapping ones become one (a phone inside an e-mail is one e-mail)."""
    out: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end, out[-1][2])
            continue
        out.append((start, end, kind))
    return out


class Scrubber:
    """Replaces personal data in text with placeholders; one compiled pattern, validation only on candidates.

    Detection runs on a same-length view of the text (NFKC per character, traditional → simplified per
    character), so full-width digits and 陳翊翀 are found whatever the normalize settings; the spans found
    are replaced in the original text."""

    def __init__(self, config: PiiConfig | None = None):
        config = config or PiiConfig()
        self.types = frozenset(config.types)
        cues = tuple(load_roles(config.roles)) if "person" in self.types else ()
        self.pattern = compile_pattern(tuple(sorted(self.types)), cues)
        # Put before a value stored under a person-like key (负责人, inspector …) so it reads as after a cue.
        self.key_prefix = cues[0] + "：" if cues else ""
        self.placeholder = {t: config.replacement.format(TYPE=t.upper()) for t in ALL_TYPES}

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, type) of every item, in order."""
        if text.isascii() and not _ASCII_CANDIDATE.search(text):
            return []  # no digit and no @: nothing to find (names need hanzi, numbers digits, e-mails an @)
        view = detection_view(text)
        spans: list[tuple[int, int, str]] = []
        for match in self.pattern.finditer(view):
            kind = match.lastgroup
            if kind == "plain":  # ten or more digits alone: validation only
                digits = match.group()
                kind = classify_digits(digits if digits.isascii() else digits.translate(_TO_ASCII), self.types)
                if kind:
                    end = match.end()
                    if kind == "landline" and (ext := _EXTENSION.match(view, end)):
                        end = ext.end()
                    spans.append((match.start(), end, kind))
            elif kind == "person":
                names = match.group("names")
                pos = match.start("names")
                if len(names) <= 4:  # one name (a list of two is at least 5 characters)
                    spans.append((pos, pos + len(names), "person"))
                    continue
                for piece in _NAME_SPLIT.split(names):
                    if piece and piece not in NAME_SEPARATORS:
                        spans.append((pos, pos + len(piece), "person"))
                    pos += len(piece)
            elif kind == "number":
                spans += _number_spans(view, match.start(), match.group(), self.types)
            else:
                spans.append((match.start(), match.end(), kind))
        if "email" in self.types and "@" in view:
            spans += [(start, end, "email") for start, end in email_spans(view)]
        return _merge(spans) if len(spans) > 1 else spans

    def replace(self, text: str) -> tuple[str, list[tuple[int, int, str]]]:
        """The text with every item replaced, and the spans replaced (in the original text)."""
        spans = self.find(text) if text else []
        if not spans:
            return text, spans
        pieces, pos = [], 0
        for start, end, kind in spans:
            pieces.append(text[pos:start])
            pieces.append(self.placeholder[kind])
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces), spans

    def scrub(self, text: str) -> tuple[str, Counter]:
        """The text with every item replaced, and how many of each type were replaced."""
        new, spans = self.replace(text)
        return new, Counter(kind for _, _, kind in spans)

    def scrub_value(self, value: object, counts: Counter, key: str | None = None) -> object:
        """Scrub the strings (and long integers) inside a JSON value, keys included. A value under a key
        that is a role cue or a person-like field name (负责人, inspector, name …) is read as if written
        after that cue."""
        if isinstance(value, str):
            prefix = self.key_prefix if key is not None and is_person_key(key) else ""
            new, found = self.scrub(prefix + value)
            counts.update(found)
            return new[len(prefix):] if found else value
        if isinstance(value, bool) or not isinstance(value, (int, list, dict)):
            return value
        if isinstance(value, int):
            new = self.scrub_value(str(value), counts)
            return value if new == str(value) else new
        if isinstance(value, list):
            return [self.scrub_value(v, counts, key) for v in value]
        return {self.scrub_value(str(k), counts): self.scrub_value(v, counts, str(k)) for k, v in value.items()}

    def scrub_json(self, raw: str) -> tuple[str, Counter]:
        """Scrub a JSON document's values; the string is returned untouched when nothing was found. Text
        that is not JSON is scrubbed pair by pair where it looks like "key": "value", then as a whole."""
        counts: Counter = Counter()
        if not raw or raw in ("{}", "[]", "null"):
            return raw, counts
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return self.scrub_loose(raw)
        new = self.scrub_value(value, counts)
        return (json.dumps(new, ensure_ascii=False) if counts else raw), counts

    def scrub_loose(self, raw: str) -> tuple[str, Counter]:
        """Scrub a line that may be broken JSON: each "key": "value" string with its key's context, then the
        rest of the line."""
        counts: Counter = Counter()

        def pair(match: re.Match) -> str:
            key, value = match.group(1), match.group(2)
            new = self.scrub_value(value, counts, key)
            return match.group() if new == value else match.group()[: match.start(2) - match.start()] + new + '"'

        text = _LOOSE_PAIR.sub(pair, raw) if '"' in raw else raw
        text, rest = self.scrub(text)
        counts.update(rest)
        return text, counts


PERSON_KEYS = frozenset(
    "name names person people inspector inspectors checker contact contacts operator operators reporter recorder "
    "signer signature supervisor guardian owner responsible responsible_person duty_officer on_duty author "
    "reviewer approver manager engineer foreman leader worker employee staff driver patient victim witness "
    "applicant full_name fullname realname real_name first_name last_name surname given_name contact_name "
    "inspector_name person_name user_name username "
    "姓名 名字 人员 检查人 负责人 联系人 值班员 记录人 监护人 操作人 签字 签名 审核 批准 编制 校对 经理 主任 班长 组长 "
    "队长 厂长 签收 经办".split()
)


def is_person_key(key: str) -> bool:
    k = key.strip().lower()
    return k in PERSON_KEYS or (k.endswith(("人", "员")) and len(k) <= 6)


# -- the pipeline stage ------------------------------------------------------------------------------------


SCRUBBED_COLUMNS = ("id", "title", "text", "label", "meta", "origin")
"""Every text-bearing column of an ingested record; `meta` is JSON and is scrubbed value by value; `origin`
(file:line) too, for a file named after a person or a phone number."""


class PiiStage:
    """Batch callable: scrubs every text-bearing column (id, title, text, label, the string values of the
    `meta` JSON) and emits one `pii.<type>` event per replacement. Build.ingest runs it on each batch before
    the batch is written, so no raw personal data reaches the work folder. An id that held personal data
    becomes the row's `_fallback_id` (source + file + line, stable and unique), never a placeholder shared
    by other rows nor a hash of the number (which could be reversed by trying every phone number).
    Picklable; the pattern is compiled on first use in each worker."""

    def __init__(self, config: PiiConfig | None = None):
        self.config = config or PiiConfig()
        self._scrubber: Scrubber | None = None

    def __getstate__(self) -> dict:
        return {"config": self.config, "_scrubber": None}

    @property
    def scrubber(self) -> Scrubber:
        if self._scrubber is None:
            self._scrubber = Scrubber(self.config)
        return self._scrubber

    def __call__(self, batch: dict[str, list]) -> dict[str, list]:
        if not self.config.enabled or not self.config.types:
            return batch
        scrubber = self.scrubber
        out = dict(batch)
        fallback = out.pop("_fallback_id", None)
        rows = len(next(iter(batch.values()))) if batch else 0
        events = [list(e) for e in batch.get("_events", [[] for _ in range(rows)])]
        for column in SCRUBBED_COLUMNS:
            if column not in batch:
                continue
            values = []
            for row, value in enumerate(batch[column]):
                if column == "meta":
                    new, counts = scrubber.scrub_json(value or "")
                    found = sorted(counts.elements()) if counts else None
                else:
                    new, spans = scrubber.replace(value or "")
                    found = sorted(kind for _, _, kind in spans) if spans else None
                if not found:
                    values.append(value)
                    continue
                if column == "id" and fallback is not None:
                    new = scrubber.replace(fallback[row])[0]
                values.append(new)
                events[row].extend(f"pii.{kind}" for kind in found)
            out[column] = values
        out["_events"] = events
        return out
