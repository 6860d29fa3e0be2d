"""Templates and vocabulary shared by make_sample.py (the bundled sample) and generate.py (benchmarks).

Every sentence here was written for corpusctl. Documents are composed from these pools so that they read
like real inspection reports, SOPs, maintenance logs, encyclopedia entries, news and Q&A, while staying
varied enough that only the deliberately planted duplicates look alike to a deduplicator.
Each composer takes a `random.Random` and returns a dict; planted personal data and decoys are reported
under the key `planted` so the sample's README/planted.json can say exactly what is where.
"""

from __future__ import annotations

import random
import re
from functools import cache

try:
    from .pii_forms import decoy_sentences, pii_sentences
except ImportError:  # run as a script
    from pii_forms import decoy_sentences, pii_sentences

# -- background clutter (each phrase is also a line of lexicons/clutter.txt) ------------------------------

CLUTTER = (
    "地面为灰色混凝土地面纹理", "仓库顶棚照明为白色LED灯", "墙面刷有白色涂料", "地面铺设绿色环氧树脂地坪",
    "车间顶部为蓝色彩钢板屋顶", "屋顶采光带透入自然光线", "窗外天空呈淡蓝色", "当天天气晴朗", "现场天气为多云",
    "远处可见厂区绿化带", "厂房外墙为浅灰色铝塑板", "车间内照明为条形日光灯", "地面有规则的方形地砖纹理",
    "背景为米黄色墙面", "墙角摆放有绿色盆栽", "厂区道路两侧种植有行道树", "顶棚钢结构桁架整齐排列",
    "立柱表面涂有黄色油漆", "走廊墙面挂有企业文化宣传画", "窗户为铝合金推拉窗", "画面右侧为一面白色墙壁",
    "画面背景为仓库货架", "天花板为白色矿棉吸音板", "地面有浅色水泥抹面", "厂房大门为灰色卷帘门",
    "远处天空有少量白云", "阳光从侧窗斜射进车间", "背景中可见厂区办公楼", "地面反射顶部灯光形成光斑",
    "墙面下半部贴有灰色瓷砖", "室内光线较为均匀柔和", "车间顶部悬挂有工业吊扇", "画面左侧可见红砖围墙",
    "厂区路面为沥青路面", "地面划有白色停车位标线", "墙上挂有圆形石英钟", "背景中的货架为蓝橙配色",
    "屋顶排水管沿外墙垂直铺设", "傍晚天色略暗", "现场有轻微薄雾", "厂区草坪修剪整齐", "办公区墙面为浅木纹饰面",
)


def clutter_sentences(rng: random.Random, count: int) -> list[str]:
    return [phrase + "。" for phrase in rng.sample(CLUTTER, count)]


# -- homonyms: the same word in two senses (scanned by make_sample.py, listed in README) ------------------

HOMONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "接地": {
        "electrical": (
            "配电柜外壳接地线松动，接地电阻实测为{ohm}Ω，超过4Ω的要求。",
            "电焊机二次回路未可靠接地，焊把线破损处有打火痕迹。",
            "储罐防静电接地装置连接螺栓锈蚀，需重新打磨并紧固。",
            "所有金属外壳必须可靠接地，接地电阻不得大于4Ω。",
            "检修前应验电并挂设临时接地线，确认无电压后方可作业。",
            "电动机接地端子有油污和锈迹，清理后重新压接。",
        ),
        "ground_contact": (
            "吊物接地后应先确认稳固，再由司索工摘钩。",
            "吊装作业时重物缓慢下降，待吊物平稳接地后方可松开吊带。",
            "货物码放时底层托盘四角应同时接地，防止倾斜。",
            "跳远运动员起跳后身体在空中展开，双脚接地时应屈膝缓冲。",
            "飞机着陆时后轮先接地，随后前轮落下并开始减速。",
            "梯子两脚应同时接地并设防滑垫，不得一脚悬空。",
        ),
    },
    "压力": {
        "physical": (
            "出口压力表读数为{mpa}MPa，高于工艺卡片规定的上限。",
            "灭火器压力表指针位于红色区域，压力不足，已不能正常使用。",
            "系统压力降至零后方可拆卸法兰，严禁带压作业。",
            "液体内部某一点的压力随深度增加而增大。",
            "管道试压时压力应分级缓慢升高，每级稳压不少于10分钟。",
        ),
        "stress": (
            "该员工自述近期工作压力大，连续上了多个夜班，精神状态不佳。",
            "受访者表示，年底考核临近，工作压力大，常常加班到深夜。",
            "长期的心理压力会影响睡眠质量，需要学会合理安排工作与休息。",
            "班组长反映新员工面对考证和生产任务，心理压力较大。",
            "面对升学压力，不少家长希望为孩子减负。",
        ),
    },
    "开关": {
        "device": (
            "配电箱内空气开关外壳有烧灼痕迹，已更换同型号开关。",
            "照明开关面板破损，带电部位外露，存在触电风险。",
            "防爆区域内使用了非防爆型开关，不符合防爆要求。",
            "墙上的开关应安装在距地面约1.3米的位置，便于操作。",
        ),
        "operate": (
            "开关阀门时应缓慢操作，防止产生水锤冲击管道。",
            "操作人员开关阀门前应确认流程，并侧身站立。",
            "频繁开关冷库门会造成库温波动，应尽量减少开关次数。",
            "值班人员按调度指令开关阀门，并在记录本上登记时间。",
        ),
    },
    "保险": {
        "fuse": (
            "控制回路保险丝熔断，更换同规格保险后设备恢复运行。",
            "严禁用铜丝代替保险丝，保险的额定电流应与负载匹配。",
            "配电箱内的保险管外壳发黑，说明曾经过流。",
        ),
        "insurance": (
            "公司已为全体员工缴纳工伤保险，并为高危岗位购买了意外伤害保险。",
            "购买商业保险前应仔细阅读保险条款，特别是免责部分。",
            "车辆保险到期前一个月，保险公司会发出续保提醒。",
            "出险后应在规定时间内向保险公司报案并保留现场照片。",
        ),
    },
    "火花": {
        "spark": (
            "砂轮机打磨时火花飞溅方向朝向可燃物堆放区，已责令调整。",
            "动火点下方未铺设接火盆，焊接火花落入下层平台。",
            "电机碳刷磨损后火花明显增大，需及时更换碳刷。",
            "在爆炸危险区域使用铁质工具敲击可能产生火花。",
        ),
        "figurative": (
            "不同专业背景的团队成员在讨论中碰撞出思想的火花。",
            "这场展览让传统工艺与现代设计擦出了新的火花。",
            "两位老同学在论坛上再次相遇，碰撞出合作的火花。",
        ),
    },
    "通道": {
        "passage": (
            "消防通道内堆放了大量纸箱，宽度不足1米。",
            "叉车通道与人行通道之间未设置隔离栏。",
            "安全出口前的疏散通道被空托盘占用，已要求立即清理。",
            "车间主通道地面有油污，行人通行存在滑倒风险。",
        ),
        "channel": (
            "医院为老年患者开设了就医绿色通道，缩短了排队时间。",
            "政务服务中心开通了企业办事专门通道，材料齐全可当日办结。",
            "学校为家长提供了线上反馈通道，意见会在三个工作日内回复。",
        ),
    },
    "负荷": {
        "electrical_load": (
            "变压器负荷率长期超过85%，油温偏高，需要调整用电负荷。",
            "夏季用电高峰期间，电网负荷创下新高。",
            "电机在超负荷状态下运行，电流明显高于额定值。",
        ),
        "workload": (
            "教师的工作负荷过重会影响教学质量。",
            "岗位合并后单人工作负荷明显增加，班组建议增配人员。",
            "专家提醒，长期高负荷工作容易导致颈椎和腰椎问题。",
        ),
    },
    "短路": {
        "electrical": (
            "电缆绝缘破损导致相间短路，上级开关跳闸。",
            "雨水渗入接线盒造成端子短路，已做防水处理。",
            "排查发现插座内部短路，墙面有明显烧灼痕迹。",
        ),
        "figurative": (
            "考试时一紧张，脑子突然短路，连最熟悉的公式都想不起来。",
            "他在台上讲到一半大脑短路，停顿了好几秒才接上话。",
            "沟通链条一旦短路，基层的诉求就难以反映上来。",
        ),
    },
    "冷却": {
        "cooling": (
            "冷却水流量偏低，换热器出口温度持续上升。",
            "停机后应继续通冷却水，待轴承温度降至常温再停泵。",
            "冷却塔风机叶片积垢严重，冷却效果明显下降。",
        ),
        "figurative": (
            "随着调控政策出台，部分城市的楼市逐渐冷却。",
            "双方关系一度冷却，直到去年才重新恢复往来。",
            "专家认为，消费热情冷却后市场将回归理性。",
        ),
    },
    "平台": {
        "platform": (
            "二层操作平台护栏缺失一段，临边无防护。",
            "检修平台上堆放了拆下的阀门和工具，影响通行。",
            "平台踢脚板高度不足10厘米，工具容易滑落。",
        ),
        "online": (
            "该市上线了统一的政务服务平台，群众办事可以网上申请。",
            "电商平台推出以旧换新活动，家电销量明显上升。",
            "学校借助在线学习平台开展课后辅导。",
        ),
    },
}


GENERAL_HOMONYM_SENTENCES = frozenset((
    "跳远运动员起跳后身体在空中展开，双脚接地时应屈膝缓冲。", "飞机着陆时后轮先接地，随后前轮落下并开始减速。",
    "液体内部某一点的压力随深度增加而增大。", "受访者表示，年底考核临近，工作压力大，常常加班到深夜。",
    "长期的心理压力会影响睡眠质量，需要学会合理安排工作与休息。", "面对升学压力，不少家长希望为孩子减负。",
    "墙上的开关应安装在距地面约1.3米的位置，便于操作。", "频繁开关冷库门会造成库温波动，应尽量减少开关次数。",
    "购买商业保险前应仔细阅读保险条款，特别是免责部分。", "车辆保险到期前一个月，保险公司会发出续保提醒。",
    "出险后应在规定时间内向保险公司报案并保留现场照片。", "夏季用电高峰期间，电网负荷创下新高。",
    "教师的工作负荷过重会影响教学质量。", "专家提醒，长期高负荷工作容易导致颈椎和腰椎问题。",
))


def homonym_sentence(rng: random.Random, word: str, sense: str, ctx: dict | None = None,
                     domain: str = "industrial") -> str:
    """A sentence using `word` in `sense`, chosen among those that fit the document's domain."""
    pool = HOMONYMS[word][sense]
    fitting = [t for t in pool if (t in GENERAL_HOMONYM_SENTENCES) == (domain == "general")]
    template = rng.choice(fitting or pool)
    return template.format_map(ctx or _measurements(rng))


def _measurements(rng: random.Random) -> dict:
    return {"ohm": f"{rng.uniform(4.5, 12):.1f}", "mpa": f"{rng.uniform(0.6, 2.6):.2f}"}


# -- industrial settings ----------------------------------------------------------------------------------

INDUSTRIES: dict[str, dict[str, tuple[str, ...]]] = {
    "化工": {
        "plants": ("东湖精细化工有限公司", "临江石化分公司", "华源化工园区合成厂", "青峰新材料有限公司"),
        "workshops": ("合成车间", "精馏工段", "储罐区", "危化品仓库", "包装车间", "污水处理站", "装车栈台", "中控室"),
        "equipment": ("反应釜", "离心泵", "精馏塔", "换热器", "储罐", "冷凝器", "真空泵", "离心机", "氢气压缩机", "屏蔽泵"),
        "media": ("甲醇", "甲苯", "液氨", "氢气", "硫酸", "导热油", "丙酮", "二甲苯", "氢氧化钠"),
        "codes": ("R", "P", "T", "E", "V", "C"),
    },
    "钢铁": {
        "plants": ("北方钢铁集团第二炼钢厂", "江南特钢轧钢厂", "西岭钢铁公司"),
        "workshops": ("炼钢车间", "轧钢车间", "原料仓库", "动力车间", "成品库", "机修间"),
        "equipment": ("转炉", "桥式起重机", "辊道", "布袋除尘器", "空压机", "冷却塔", "液压站", "稀油站", "退火炉"),
        "media": ("氧气", "氮气", "液压油", "冷却水", "高炉煤气", "润滑油"),
        "codes": ("ZL", "QZ", "YY", "KY", "CC"),
    },
    "电力": {
        "plants": ("滨江热电厂", "南山变电运维站", "北湖生物质电厂"),
        "workshops": ("锅炉房", "汽机房", "配电室", "变电站", "输煤栈桥", "化水车间", "中控室"),
        "equipment": ("锅炉", "汽轮机", "给水泵", "变压器", "开关柜", "引风机", "皮带输送机", "除氧器", "凝汽器"),
        "media": ("蒸汽", "变压器油", "润滑油", "压缩空气", "循环水", "盐酸"),
        "codes": ("GL", "QJ", "BY", "KG", "YF"),
    },
    "机械": {
        "plants": ("城南机械制造厂", "江北汽车零部件有限公司", "远航船舶修造厂", "恒力重工装备公司"),
        "workshops": ("机加工车间", "焊接车间", "装配车间", "涂装车间", "喷漆房", "成品仓库"),
        "equipment": ("数控机床", "冲床", "剪板机", "电焊机", "行车", "空压机", "工业机器人", "砂轮机", "折弯机", "加工中心"),
        "media": ("油漆", "稀释剂", "切削液", "液压油", "压缩空气", "氧气", "乙炔"),
        "codes": ("CNC", "CC", "JB", "HJ", "KY"),
    },
    "物流": {
        "plants": ("临港物流中心", "华北区域配送中心", "西部冷链物流园"),
        "workshops": ("成品仓库", "月台", "装卸台", "冷库", "充电间", "分拣区"),
        "equipment": ("叉车", "电动叉车", "堆垛机", "皮带输送机", "货梯", "升降平台", "冷水机组"),
        "media": ("柴油", "蓄电池电解液", "液压油", "润滑油", "液氨"),
        "codes": ("CH", "DD", "SS", "HT", "LK"),
    },
    "食品": {
        "plants": ("南岭食品加工厂", "金穗乳业生产基地", "清泉饮料有限公司"),
        "workshops": ("包装车间", "蒸煮车间", "冷库", "锅炉房", "原料仓库", "灌装车间"),
        "equipment": ("蒸汽锅炉", "灌装机", "包装机", "搅拌机", "冷水机组", "空压机", "杀菌锅", "均质机"),
        "media": ("液氨", "蒸汽", "天然气", "次氯酸钠", "润滑油", "食用碱液"),
        "codes": ("GZ", "BZ", "JB", "LS", "GL"),
    },
}

SPOTS = ("东侧通道", "二层操作平台", "北侧管廊下方", "设备检修区", "配电柜前", "物料堆放区", "楼梯口", "三号门附近",
         "西侧卸料口", "控制室门口", "南侧装卸区", "中间过道", "泵房入口", "屋面检修口", "五号工位", "一号线末端",
         "循环水泵房", "成品码放区", "原料暂存区", "综合管架旁")
WORKERS = ("操作工", "巡检工", "维修工", "外包施工人员", "叉车司机", "行车司机", "电焊工", "电工", "装卸工", "清洁工",
           "实习员工", "班组长")
TASKS = ("更换阀门垫片", "清理设备积料", "巡回检查", "搬运原料桶", "紧固法兰螺栓", "调整输送带", "取样分析",
         "拆装管道", "吊运钢材", "清扫地面", "补刷防腐漆", "更换滤网")
DEPTS = ("安全环保部", "设备管理部", "生产运行部", "质量安全部", "安全监察科", "综合管理部")
TEAMS = ("甲班", "乙班", "丙班", "丁班", "白班", "夜班")
SEASONS = ("春季", "夏季高温", "汛期", "秋冬季", "冬季防冻", "节前", "年底", "复工复产")

INSPECTION_CATEGORIES = ("未佩戴安全帽", "工装不规范", "消防隐患", "泄漏", "睡岗", "玩手机", "高处作业", "动火作业",
                         "电气隐患", "通道堵塞", "日常巡检")

SOP_CATEGORIES = ("设备操作", "动火作业", "高处作业", "受限空间作业", "吊装作业", "电气作业", "危化品管理",
                  "消防管理", "设备检维修", "应急处置")


def industrial_context(rng: random.Random, industry: str | None = None) -> dict:
    """One coherent setting for a document: plant, workshop, equipment, medium and measurements."""
    industry = industry or rng.choice(tuple(INDUSTRIES))
    prof = INDUSTRIES[industry]
    year = rng.choice((2022, 2023, 2023, 2024))
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.choice((1, 2, 3, 4, 8, 9, 10, 14, 15, 16, 21, 23)), rng.randint(0, 59)
    code = f"{rng.choice(prof['codes'])}-{rng.randint(1, 6)}{rng.randint(0, 2)}{rng.randint(1, 9)}{rng.choice(('', 'A', 'B'))}"
    return {
        "industry": industry,
        "plant": rng.choice(prof["plants"]),
        "ws": rng.choice(prof["workshops"]),
        "eq": rng.choice(prof["equipment"]),
        "eq2": rng.choice(prof["equipment"]),
        "code": code,
        "medium": rng.choice(prof["media"]),
        "spot": rng.choice(SPOTS),
        "wt": rng.choice(WORKERS),
        "task": rng.choice(TASKS),
        "dept": rng.choice(DEPTS),
        "team": rng.choice(TEAMS),
        "n": rng.choice(("两", "三", "四", "2", "3")),
        "year": year, "month": month, "day": day,
        "date": f"{year}-{month:02d}-{day:02d}",
        "date_cn": f"{year}年{month}月{day}日",
        "time": f"{hour:02d}:{minute:02d}",
        "temp": rng.randint(68, 115),
        "temp_ok": rng.randint(35, 58),
        "mpa": f"{rng.uniform(0.6, 2.6):.2f}",
        "mpa_ok": f"{rng.uniform(0.3, 1.2):.2f}",
        "lel": rng.randint(12, 45),
        "ohm": f"{rng.uniform(4.5, 12):.1f}",
        "days": rng.choice((1, 2, 3, 5, 7, 10, 15)),
        "mm": rng.choice((3, 5, 8, 12, 20, 30)),
        "meters": rng.choice((2.5, 3, 4, 5.5, 6, 8, 12)),
        "vib": f"{rng.uniform(4.6, 11.2):.1f}",
        "vib_ok": f"{rng.uniform(0.8, 2.8):.1f}",
        "amp": rng.randint(18, 260),
        "hours": rng.choice((2, 4, 8, 24, 48, 72)),
        "pct": rng.randint(3, 35),
        "drops": rng.choice(("十几", "二十多", "三十余", "四五十")),
        "mins": rng.choice(("二十", "三十", "四十", "五十", "十五")),
        "count": rng.randint(12, 46),
        "spot2": rng.choice(SPOTS),
        "k": rng.choice(("三", "四", "五", "六")),
        "hours2": rng.choice(("一个多", "两", "两个半", "三", "近四")),
        "season": rng.choice(SEASONS),
        "photos": rng.randint(9, 64),
        "wt2": rng.choice(WORKERS),
    }


# -- inspection reports -----------------------------------------------------------------------------------

FINDINGS: dict[str, tuple[str, ...]] = {
    "未佩戴安全帽": (
        "{time}巡检时发现{spot}有{n}名{wt}未佩戴安全帽进入作业区域，其中一人把安全帽挂在{eq}旁的护栏上。",
        "在{spot}进行{task}的{wt}虽然戴了安全帽，但未系下颏带，弯腰时安全帽多次滑落。",
        "外来施工单位人员在{ws}搬运物料时未佩戴安全帽，现场管理人员未及时制止。",
        "{wt}从{eq}下方通行时未佩戴安全帽，上方正在进行吊装作业，存在物体打击风险。",
        "抽查发现{n}顶安全帽帽衬破损、帽壳有裂纹，已超过使用年限仍在使用。",
        "视频监控显示，{wt}进入{ws}后随手摘下安全帽放在地上，作业全程未佩戴安全帽。",
        "{team}交接班时，有人员戴着普通遮阳帽进入生产区域，未按规定佩戴安全帽。",
        "检修现场一名{wt}将安全帽反戴，帽檐朝后，且帽带松脱。",
    ),
    "工装不规范": (
        "{wt}在{eq}旁作业时未穿工作服，身着短袖便装，手臂裸露。",
        "巡查发现{n}名员工工作服衣襟敞开，袖口未扣紧，靠近{eq}旋转部位作业，存在卷入风险。",
        "{spot}有人员穿拖鞋进入生产区域，未穿劳保鞋。",
        "操作{eq}的员工戴手套操作旋转设备，违反车间安全操作规程。",
        "{team}一名女员工长发未盘入工作帽内，在{eq}附近来回走动。",
        "{spot}装卸区作业人员未穿反光背心，夜间与叉车混行，辨识度低。",
        "{ws}作业人员所穿工作服为化纤材质，不符合防静电工作服的要求。",
        "{ws}焊接作业人员未戴焊接面罩，仅佩戴普通护目镜，面部有灼伤风险。",
    ),
    "消防隐患": (
        "{spot}配置的{n}具干粉灭火器压力表指针位于红色区域，压力不足。",
        "{ws}室内消火栓箱前堆放了物料，消火栓被遮挡，紧急情况下无法快速取用。",
        "抽查的灭火器中有{n}具已超过检验有效期，瓶体有锈蚀。",
        "{ws}应急照明灯按下试验按钮后不亮，蓄电池已失效。",
        "{ws}疏散指示标志损坏脱落，{spot}的安全出口指示灯不亮。",
        "{spot}的防火门被木楔长期固定在常开状态，闭门器已损坏。",
        "{eq}附近堆放了浸油的油棉纱和废弃包装物，距离热源不足1米。",
        "{ws}有{n}个烟感探测器被塑料袋包裹，无法起到火灾探测作用。",
        "{spot}消火栓箱内消防水带接口缺失，水枪被挪作他用。",
    ),
    "泄漏": (
        "{eq}（位号{code}）出口法兰处发生{medium}泄漏，地面有明显积液。",
        "{eq}机械密封渗漏，每分钟滴漏约{drops}滴，周边有刺激性异味。",
        "可燃气体报警器在{time}报警，现场检测浓度达到{lel}%LEL，确认为管道阀门填料函泄漏。",
        "{ws}一段{medium}输送管道弯头处腐蚀减薄，出现针孔状泄漏。",
        "储罐底部排污阀关闭不严，{medium}持续渗漏至防火堤内。",
        "{eq}视镜密封垫老化，有{medium}渗出并在设备表面形成结晶。",
        "巡检发现{spot}地面油污面积较大，追查为{eq}液压管接头松动漏油。",
        "{code}调节阀阀杆处冒出白色蒸汽，密封失效。",
    ),
    "睡岗": (
        "{time}视频巡查发现{ws}值班人员趴在操作台上睡觉，持续约{mins}分钟未查看监控画面。",
        "夜间突击检查时，{spot}岗位人员靠在椅子上睡岗，呼叫后才醒来。",
        "{team}一名{wt}在休息室内睡觉，岗位无人值守，{eq}处于运行状态。",
        "{time}前后，中控室两名值班人员中一人睡岗，另一人离岗未归，操作画面无人监视。",
        "巡检记录显示凌晨{time}之后无人签到，调取录像确认当班人员在值班室睡岗。",
        "{wt}在{eq}旁的纸箱上躺卧休息，设备报警灯闪烁时未能及时发现。",
    ),
    "玩手机": (
        "{wt}在操作{eq}期间低头玩手机，未观察设备运行状态。",
        "视频监控发现{ws}值班人员连续{mins}分钟使用手机观看视频。",
        "叉车司机驾驶过程中单手持手机通话，车辆在{spot}转弯处未减速。",
        "{ws}行车司机在吊运过程中看手机，吊物从人员上方经过。",
        "{spot}一名员工边走边看手机，险些与转运小车相撞。",
        "巡检人员在巡检路线上停留玩手机，多个点位未到位检查却补签了记录。",
        "防爆区域内有{n}名人员携带非防爆手机并在罐区接打电话。",
    ),
    "高处作业": (
        "{spot}有人员在{meters}米高处{task}时未系安全带，下方未设置警戒区域。",
        "作业人员虽然系了安全带，但挂点选在下方管道上，属于低挂高用。",
        "{ws}搭设的脚手架未经验收即投入使用，缺少验收合格牌。",
        "{eq}旁的脚手架作业层未满铺脚手板，外侧护栏和踢脚板缺失。",
        "二层平台临边护栏拆除后{days}天未恢复，也未设置临时防护。",
        "{wt}在人字梯上作业时无人扶梯，梯子限位拉链未挂好。",
        "{ws}屋面作业时遇大风天气仍继续施工，未及时撤离。",
        "{eq}检修的高处作业票上，作业高度、监护等信息填写不全。",
    ),
    "动火作业": (
        "{spot}正在进行焊接作业，现场未见动火作业票，属于未办理作业票擅自动火。",
        "动火点周围{meters}米范围内的可燃物未清理，地面散落油棉纱。",
        "{spot}的氧气瓶与乙炔瓶间距不足5米，且距动火点不足10米。",
        "{ws}有{n}只乙炔瓶卧放使用，未安装回火防止器。",
        "{eq}动火作业现场未配备灭火器，监护人离开现场。",
        "动火前未进行气体检测，{eq}内部残留{medium}未置换合格。",
        "{spot}切割作业火花溅落到下层平台，下方未设置接火盆。",
        "动火作业票有效期已过{hours}小时，作业人员仍在继续施工。",
    ),
    "电气隐患": (
        "{ws}配电箱门未关闭，箱内接线凌乱，带电部位外露。",
        "{spot}存在私拉乱接临时电线的情况，电线直接拖地并被叉车碾压。",
        "{eq}电源电缆绝缘破损，内部芯线裸露。",
        "{ws}配电箱的漏电保护器按下试验按钮后不动作，已失去保护功能。",
        "{spot}的插座过热发黑，周边塑料外壳变形。",
        "防爆区域内{eq}的接线盒盖缺失螺栓，防爆性能失效。",
        "{ws}临时用电未办理审批手续，一闸多机使用。",
        "{spot}电缆沟盖板缺失{n}块，沟内积水浸泡电缆接头。",
    ),
    "通道堵塞": (
        "{ws}消防通道被成品货物占用，通道宽度不足1米。",
        "{ws}安全出口门外堆放纸箱和废旧设备，出口无法完全打开。",
        "{spot}疏散通道上停放了{n}辆转运小车，影响人员疏散。",
        "{spot}叉车通道上放置了待检物料，叉车只能绕行人行通道。",
        "楼梯间堆放了拆下的阀门和管件，占用通道一半以上宽度，已有{days}天未清理。",
        "{spot}应急通道的地面标线模糊不清，物料越线码放。",
        "{ws}外侧消防车道被私家车和货车长期占用。",
    ),
    "日常巡检": (
        "按巡检路线对{ws}{eq}、{eq2}等设备逐一检查，运行参数在规定范围内。",
        "{eq}（位号{code}）出口压力{mpa_ok}MPa，轴承温度{temp_ok}℃，振动值{vib_ok}mm/s，均处于正常范围。",
        "{spot}现场安全标志齐全清晰，作业人员按要求穿戴劳保用品。",
        "{ws}消防器材按点位摆放，检查标签填写完整，最近一次点检为{month}月{day}日。",
        "{team}交接班记录填写规范，设备运行台账与现场一致。",
        "各岗位人员在岗在位，{ws}巡检记录按时签到，共{count}个点位。",
        "{ws}地面整洁，物料按定置区域码放。",
        "配电室门窗完好，挡鼠板安装到位，室内温度{temp_ok}℃左右。",
    ),
}

RISKS: dict[str, tuple[str, ...]] = {
    "未佩戴安全帽": ("头部防护缺失，一旦发生高处落物或碰撞，极易造成头部伤害。",
                   "该区域上方有管廊和行车运行，物体打击风险较高。",
                   "班组安全教育流于形式，员工对个人防护用品的重要性认识不足。",
                   "{spot}上方有管廊和行车运行，头部一旦被落物击中后果严重。", "{ws}近{days}个月已是第二次发现类似问题，说明提醒没有起到作用。"),
    "工装不规范": ("衣物卷入旋转部位是机械伤害事故的常见原因。",
                  "劳保用品穿戴不规范反映出班组日常检查不到位。",
                  "化纤衣物摩擦易产生静电，在易燃场所可能引发事故。",
                  "{eq}的旋转部位没有完全封闭，衣袖、长发都可能被卷入。", "{team}对劳保用品穿戴的互查没有坚持下来。"),
    "消防隐患": ("消防器材失效将导致初期火灾无法得到及时扑救。",
                "疏散设施缺陷会延误人员撤离，后果严重。",
                "日常消防检查未落实到位，点检记录与实际情况不符。",
                "{ws}存放有{medium}等物料，初期火灾如不能及时扑灭，极易扩大。", "{spot}一带人员密集，疏散设施缺陷会延误撤离。"),
    "泄漏": ("{medium}泄漏遇点火源可能引发火灾爆炸，也可能造成人员中毒。",
            "设备密封件长期未按周期更换，老化后失效。",
            "泄漏介质腐蚀周边设备和地面，扩大了隐患范围。",
            "{ws}内通风条件一般，{medium}积聚后可能达到危险浓度。", "{eq}（{code}）密封件已运行{count}个月未更换，老化明显。"),
    "睡岗": ("值班人员睡岗将导致异常工况无法及时发现和处置。",
            "据了解，该岗位近期人员紧张，夜班连续排班，员工疲劳。",
            "夜间管理人员查岗频次不足，劳动纪律松懈。",
            "{ws}夜间只有{n}人值守，一人睡岗就意味着监控中断。", "{team}近{days}天连续上夜班，员工疲劳明显。"),
    "玩手机": ("操作时分心是误操作和机械伤害事故的重要诱因。",
              "非防爆手机在爆炸危险区域使用可能成为点火源。",
              "班组对岗位手机管理规定执行不严。",
              "{eq}运行中需要随时观察参数，分心几分钟就可能错过报警。", "{ws}的手机管理规定只贴在墙上，没有人检查。"),
    "高处作业": ("高处坠落是造成人员死亡的主要事故类型之一。",
                "作业前未进行安全交底，作业人员对风险认识不足。",
                "脚手架搭设和验收管理存在漏洞。",
                "{spot}作业高度约{meters}米，坠落后果不堪设想。", "{team}作业前没有进行安全交底，作业人员对风险认识不足。"),
    "动火作业": ("动火作业管理失控极易引发火灾甚至爆炸事故。",
                "作业票审批和现场监护流于形式。",
                "气瓶使用不规范会带来回火和爆炸风险。",
                "{ws}周边存有{medium}，动火管理一旦失控极易引发火灾。", "{eq}内部残余物料未清理干净，动火前的条件确认流于形式。"),
    "电气隐患": ("带电部位外露可能造成人员触电。",
                "线路过热或短路可能引发电气火灾。",
                "临时用电管理松散，未执行审批和验收程序。",
                "{ws}地面潮湿，带电部位外露极易造成触电。", "{eq}长期超电流运行，线路过热可能引发电气火灾。"),
    "通道堵塞": ("通道堵塞将影响紧急情况下的人员疏散和消防救援。",
                "物料定置管理不到位，现场缺少明确的码放区域。",
                "叉车与行人混行，车辆伤害风险增加。",
                "{spot}是{ws}人员疏散的必经之路，堵塞后果严重。", "{ws}物料周转量大，现场缺少明确的暂存区域。"),
    "日常巡检": ("本次巡检各项指标正常。", "设备状态良好，现场管理有序。", "岗位人员对设备状态掌握清楚。",
    "{ws}本周各项巡检记录完整，无遗漏点位。", "{eq}运行参数与上周相比无明显变化。"),
}

ACTIONS: dict[str, tuple[str, ...]] = {
    "未佩戴安全帽": ("当场责令相关人员停止作业，佩戴合格安全帽并系紧下颏带后方可继续作业。",
                   "收缴破损和超期的安全帽，统一更换为符合国家标准的新安全帽。",
                   "在{ws}入口设置劳保用品穿戴检查点和提示牌。"),
    "工装不规范": ("责令相关人员立即整改，按规定穿戴工作服和劳保鞋。",
                  "组织班组学习劳保用品穿戴标准，每班班前会进行互查。",
                  "为装卸区作业人员补发反光背心。"),
    "消防隐患": ("立即更换失效灭火器，对全部消防器材重新点检并建立台账。",
                "清理消火栓前的杂物，划设禁止占用标线。",
                "修复应急照明和疏散指示标志，每月进行一次功能试验。"),
    "泄漏": ("立即对{eq}进行隔离，切换至备用设备运行，泄漏物用吸附材料收集处理。",
            "更换法兰垫片和密封件，紧固后进行气密性检测。",
            "在泄漏点附近设置警戒区域，禁止无关人员进入，并持续监测可燃气体浓度。"),
    "睡岗": ("对当事人进行批评教育并按考勤制度考核。",
            "调整夜班排班，避免连续夜班超过三天，增加夜间查岗频次。",
            "在中控室安装离岗和睡岗智能识别报警功能。"),
    "玩手机": ("责令当事人立即停止使用手机，并按公司岗位纪律规定进行考核。",
              "在岗位入口设置手机存放柜，作业期间手机统一存放。",
              "对防爆区域的手机使用进行专项检查。"),
    "高处作业": ("立即停止高处作业，待安全带挂设、护栏恢复后方可继续。",
                "脚手架重新验收，挂设验收合格牌后方可使用。",
                "作业前必须办理高处作业票并落实专人监护。"),
    "动火作业": ("立即停止动火作业，补办动火作业票并重新进行气体检测。",
                "清理动火点周边可燃物，配备两具以上灭火器和接火盆。",
                "气瓶按规定直立固定，保持安全间距。"),
    "电气隐患": ("立即断电处理，由持证电工更换破损电缆和失效元件。",
                "拆除私拉乱接的电线，临时用电必须办理审批手续。",
                "配电箱加锁管理，定期检查漏电保护器的动作情况。"),
    "通道堵塞": ("立即清理通道内的物料和杂物，恢复通道畅通。",
                "重新施划通道标线，设置禁止占用标识。",
                "将通道检查纳入每班交接内容。"),
    "日常巡检": ("继续按巡检路线和频次开展检查。", "做好设备运行记录，发现异常及时上报。", "保持现场整洁，落实定置管理。"),
}

MANAGEMENT_CAUSES = (
    "{ws}班组长对现场违章行为习以为常，未能及时纠正。",
    "岗位安全责任制在{ws}落实不到位，“谁主管谁负责”的要求没有真正落地。",
    "隐患排查停留在填表阶段，{ws}的检查记录与现场实际情况不一致。",
    "{team}新入职员工较多，岗位技能和安全意识还需提高。",
    "外来施工单位管理存在漏洞，入厂安全教育只用了不到{hours}个小时就草草结束。",
    "{ws}对{season}的风险预判不足，防范措施准备不充分。",
    "夜班和节假日期间管理力量薄弱，{ws}一周内的查岗记录只有寥寥几条。",
    "{eq}的维护保养计划执行不严格，部分项目超期未做。",
    "安全投入不足，{spot}一带的部分防护设施老化后未及时更新。",
    "对上次检查发现的同类问题整改不彻底，{ws}存在反复。",
    "现场作业安排过于紧凑，赶工期的心态导致{team}简化了安全程序。",
    "考核奖惩力度不够，违章成本低，{wt}对规定不以为然。",
    "{ws}的安全检查表多年未修订，{eq}等新增设备没有列入检查项目。",
    "{wt}岗位调整频繁，交接不清，新到岗人员对{ws}的风险点了解有限。",
    "车间把主要精力放在产量上，近{days}周没有召开过班组安全活动。",
)
CAUSE_LEADS = ("究其原因，", "从管理上看，", "深层次原因在于：", "据了解，", "检查组认为，", "", "", "")

GENERAL_REQUIREMENTS = (
    "{ws}各班组要利用班前会通报本次检查发现的问题，做到人人知晓。",
    "{ws}要对照问题清单举一反三，对同类设备和区域开展全面排查。",
    "对重复出现的问题，要追查{ws}的管理责任，严肃考核。",
    "整改期间要落实临时管控措施，{spot}一带每班至少巡查{n}次。",
    "加强对外来施工人员的现场监管，{ws}内的作业一律执行作业许可制度。",
    "结合本次问题修订{ws}岗位安全检查表，补充遗漏的检查项目。",
    "安全员要每日跟踪整改进度，每周{n}次向{dept}报送整改情况。",
    "针对{team}人员开展一次专项安全教育，强化劳动纪律。",
    "本次检查结果将纳入{ws}{month}月份安全绩效考核。",
    "整改完成后要留存整改前后照片，{days}日内形成完整的隐患闭环资料。",
    "{dept}将把{ws}列为下月重点检查对象。",
    "{eq}所在区域的责任人要在{days}日内完成一次全面自查。",
    "各车间要在{days}日内把自查情况书面报{dept}。",
)
REQUIREMENT_LEADS = ("另外，", "同时，", "此外，", "请{ws}注意：", "", "", "")

INTROS = (
    "本次检查以现场查看为主，同时抽查了{ws}近{days}天的交接班记录和巡检记录。",
    "检查范围包括{ws}的生产装置、{eq}及附属管线、配电设施和消防器材。",
    "检查重点为特殊作业管理、个人防护用品使用和{ws}现场定置管理。",
    "检查组采取“四不两直”方式，未提前通知{ws}，直接到{spot}查看。",
    "此次检查结合{season}特点，重点关注防火、用电安全和登高作业。",
    "检查前，检查组调阅了{ws}近一个月的隐患台账和整改记录，共{count}条。",
    "检查过程中，{ws}管理人员全程陪同，并对发现的问题逐一确认。",
    "本次为{plant}{season}安全大检查的一部分，共分{n}个小组同步开展。",
    "检查组对照隐患排查清单逐项核对，对发现的问题拍照留存，共形成照片{photos}张。",
    "检查依据{plant}安全生产检查管理制度和{ws}岗位安全操作规程。",
    "检查时{ws}处于正常生产状态，{eq}和{eq2}均在运行。",
    "检查组共{k}人，由{dept}牵头，设备、工艺和电气专业人员参加。",
    "检查历时{hours2}小时，覆盖{ws}的{spot}、{spot2}等重点部位。",
    "上月{ws}曾发生一起未遂事件，本次检查对相关区域进行了回头看。",
    "检查组还随机询问了{n}名{wt}，了解其对岗位风险的掌握情况。",
)

DEADLINES = (
    "责任单位：{ws}，督办部门：{dept}，整改期限{days}天。",
    "请{ws}于{days}日内完成整改，并将整改结果报{dept}。",
    "整改责任落实到{team}，整改完成前由当班人员加强巡查。",
    "上述问题已下发隐患整改通知单（编号{year}-{count}），要求限期整改。",
    "整改所需备件已申请采购，预计{days}天内到货。",
    "{dept}已将上述问题录入隐患排查系统，整改期限{days}天。",
    "能立即整改的问题已在检查当日整改完毕，其余问题{days}日内完成。",
    "",
)

REVIEWS = (
    "{days}日后复查，问题已整改完毕，符合要求。",
    "复查时发现{ws}整改基本到位，个别问题需继续跟踪。",
    "整改完成后由{dept}组织验收，形成闭环。",
    "该问题已列入隐患台账，整改期限为{days}天。",
    "{team}已提交整改照片和说明，待{dept}现场复查确认。",
    "{month}月{day}日复查时，{spot}的问题已处理完毕。",
    "复查安排在{month}月{day}日以后，届时将对照照片逐项核对。",
    "",
)

TITLE_PATTERNS = (
    "{plant}{ws}{subject}检查记录",
    "关于{ws}{subject}问题的通报",
    "{date_cn}{ws}安全巡检报告",
    "{ws}{spot}{subject}隐患整改通知",
    "{plant}{subject}专项检查报告",
    "{ws}{team}{subject}情况说明",
    "{date_cn}{plant}隐患排查记录",
    "{month}月份{ws}{subject}检查情况",
    "{plant}{season}安全检查（{ws}）",
)

SUBJECTS = {
    "未佩戴安全帽": ("未佩戴安全帽", "安全帽佩戴", "头部防护"),
    "工装不规范": ("工装不规范", "劳保用品穿戴", "着装"),
    "消防隐患": ("消防隐患", "消防器材", "消防设施"),
    "泄漏": ("泄漏", "设备泄漏", "跑冒滴漏"),
    "睡岗": ("睡岗", "夜班值守", "劳动纪律"),
    "玩手机": ("玩手机", "岗位手机使用", "作业分心"),
    "高处作业": ("高处作业", "脚手架", "临边防护"),
    "动火作业": ("动火作业", "动火作业票", "焊接切割"),
    "电气隐患": ("电气隐患", "临时用电", "配电设施"),
    "通道堵塞": ("通道堵塞", "消防通道占用", "疏散通道"),
    "日常巡检": ("日常巡检", "设备巡回检查", "例行检查"),
}

HEADERS = (
    "检查时间：{date_cn} {time}。检查地点：{plant}{ws}{spot}。",
    "{date_cn}{time}，{dept}对{plant}{ws}开展安全检查。",
    "根据月度隐患排查计划，{dept}于{date_cn}对{ws}进行了现场检查。",
    "{date_cn}，{team}当班期间，{dept}检查组到{ws}{spot}检查。",
    "{date_cn}上午，{dept}会同{ws}管理人员对{plant}{spot}一带进行了现场检查。",
    "{date_cn}{time}起，{dept}对{ws}开展{season}专项检查，历时约{hours2}小时。",
    "{date_cn}{time}，检查组一行{k}人进入{ws}，沿{spot}、{spot2}一线逐点查看。",
    "本次检查于{date_cn}进行，被检查单位为{plant}{ws}，{team}当班。",
)

FINDING_LEADS = ("在{spot}，", "{ws}{spot}处，", "巡查到{spot2}时，", "另外，", "此外，", "与此同时，", "检查中还看到，")
FINDING_TAILS = ("，现场已拍照留存", "，已录入隐患台账", "，已下发整改通知单", "，与上次检查发现的问题类似",
                 "，{ws}管理人员当场确认", "，已通知{ws}和中控室", "，{team}交接班时未作说明")
ACTION_LEADS = ("针对上述问题，", "检查组要求：", "经与{ws}沟通，", "现场已", "", "", "")
ACTION_TAILS = ("，{days}日内完成", "，由{team}负责落实", "，整改结果报{dept}", "，{dept}将跟踪复查",
                "，并举一反三排查{ws}其他部位")

IMAGE_LEADS = ("现场照片描述：", "监控截图显示：", "图像识别结果：", "现场图片：")
IMAGE_BODY = {
    "未佩戴安全帽": ("画面中{n}名作业人员站在{eq}旁，头部无安全帽。", "截图中一名{wt}在{spot}作业，未戴安全帽。",
                   "照片显示{wt}手提安全帽从{eq}旁经过，未戴在头上。"),
    "工装不规范": ("画面中一名员工穿短袖便装在{eq}旁操作。", "照片中{wt}穿拖鞋站在{spot}，未穿劳保鞋。",
                  "截图显示{wt}工作服敞开，袖口未扣，靠近{eq}。"),
    "消防隐患": ("画面中灭火器压力表指针指向红区。", "照片中{spot}的消火栓箱前堆着物料。",
                "截图显示{ws}一处疏散指示标志不亮。"),
    "泄漏": ("画面中{eq}法兰下方地面有大片液体痕迹。", "照片中{eq}（{code}）密封处有液体滴落。",
            "截图显示{spot}管道下方积有{medium}。"),
    "睡岗": ("画面中值班人员趴在操作台上，头部枕在手臂上。", "截图时间{time}，{ws}值班人员靠在椅背上闭眼。",
            "照片中{wt}躺在{spot}的纸箱上休息。"),
    "玩手机": ("画面中操作人员低头看着手中的手机。", "截图显示{wt}在{eq}旁单手持手机。",
              "照片中{spot}一名{wt}边走边看手机。"),
    "高处作业": ("画面中一名工人在高处作业，腰间未见安全带。", "照片中{spot}上方约{meters}米处有人作业，下方无警戒。",
                "截图显示脚手架作业层缺少护栏。"),
    "动火作业": ("画面中焊接火花四溅，周围堆有纸箱。", "照片中{spot}的气瓶间距明显不足。",
                "截图显示动火点旁没有配备灭火器。"),
    "电气隐患": ("画面中配电箱门敞开，内部线缆杂乱。", "照片中{spot}的临时电线拖在地上。",
                "截图显示{eq}的电源电缆外皮破损。"),
    "通道堵塞": ("画面中通道内堆满纸箱和托盘。", "照片中{spot}的安全出口被货物挡住一半。",
                "截图显示{n}辆转运小车停在疏散通道上。"),
    "日常巡检": ("画面中设备运行平稳，地面整洁。", "照片中{eq}仪表显示正常，标识清楚。",
                "截图显示{ws}各岗位人员在岗。"),
}

NO_PII_SIGN = ("检查组：{dept}", "检查单位：{dept}，{date_cn}", "编制：{dept}（{month}月{day}日）", "检查部门：{dept}、{ws}",
               "{dept}检查组，{date_cn}")


def fill(template: str, ctx: dict) -> str:
    return template.format_map(ctx)


def picks(rng: random.Random, pool: tuple[str, ...], k: int, ctx: dict) -> list[str]:
    return [fill(t, ctx) for t in rng.sample(pool, min(k, len(pool)))]


# -- varying the sentences: how people actually write lists of findings, measures and rules ----------------
# A pool sentence is rarely reused as it stands: it may get a lead (where, when, who says so) or a tail (by
# when, by whom), and two short ones are often written as one sentence. Leads and tails carry the document's
# own details (workshop, spot, team, deadline), so the same rule reads differently in two documents.

_NO_LEAD = ("另", "此外", "同时", "其中", "据", "从", "在", "对", "经", "针对", "如", "若", "当", "与此", "第")


def clause(sentence: str) -> str:
    """A sentence without its closing mark, ready to be continued."""
    return sentence.rstrip("。；;")


def with_lead(rng: random.Random, sentence: str, leads: tuple[str, ...], ctx: dict, p: float) -> str:
    """`sentence` with a lead clause now and then (not before one that already starts with a connective)."""
    if not sentence or rng.random() >= p or sentence.startswith(_NO_LEAD):
        return sentence
    return fill(rng.choice(leads), ctx) + sentence


def with_tail(rng: random.Random, sentence: str, tails: tuple[str, ...], ctx: dict, p: float) -> str:
    """`sentence` continued by a tail clause now and then (before its closing mark)."""
    if not sentence.endswith("。") or rng.random() >= p or len(sentence) > 60:
        return sentence
    return clause(sentence) + fill(rng.choice(tails), ctx) + "。"


JOINERS = ("，", "，", "，同时", "，并且")


def joined(rng: random.Random, sentences: list[str], p: float = 0.5, joiners: tuple[str, ...] = JOINERS,
           limit: int = 90) -> list[str]:
    """Adjacent short sentences written as one now and then (at most two in one)."""
    out: list[str] = []
    fresh = False
    for sentence in sentences:
        if (fresh and out and out[-1].endswith("。") and rng.random() < p
                and len(out[-1]) + len(sentence) <= limit):
            out[-1] = clause(out[-1]) + rng.choice(joiners) + sentence
            fresh = False
        else:
            out.append(sentence)
            fresh = True
    return out


def varied(rng: random.Random, pool: tuple[str, ...], k: int, ctx: dict, *, leads: tuple[str, ...] = (),
           tails: tuple[str, ...] = (), p_lead: float = 0.3, p_tail: float = 0.3, p_join: float = 0.4,
           joiners: tuple[str, ...] = JOINERS) -> list[str]:
    """`k` pool sentences filled from ctx, with leads, tails and joins drawn per sentence."""
    out = []
    tails = tuple(rng.sample(tails, len(tails)))  # a tail at most once per call
    for n, sentence in enumerate(picks(rng, pool, k, ctx)):
        if tails:
            sentence = with_tail(rng, sentence, tails[n % len(tails):n % len(tails) + 1], ctx, p_tail)
        if leads:
            sentence = with_lead(rng, sentence, leads, ctx, p_lead)
        out.append(sentence)
    return joined(rng, out, p_join, joiners)


def inspection_report(rng: random.Random, category: str, *, pii: bool = False, clutter: int = 0,
                      decoys: int = 0, long: int = 0, image: bool | None = None) -> dict:
    """A safety inspection report: header, findings, cause, actions, review, sign-off.

    long=1 adds one to three further findings sections (a monthly report), long=2 six to eight.
    """
    ctx = industrial_context(rng)
    ctx["subject"] = rng.choice(SUBJECTS[category])
    if category == "睡岗":  # found on night rounds
        ctx["time"] = f"{rng.randint(0, 4):02d}:{rng.randint(0, 59):02d}"
    title = fill(rng.choice(TITLE_PATTERNS), ctx)
    planted: dict[str, list] = {"pii": [], "decoys": []}
    paras = [fill(rng.choice(HEADERS), ctx) + "".join(joined(rng, picks(rng, INTROS, rng.randint(1, 3), ctx), 0.3))]
    cats = [category]
    if long:
        others = [c for c in INSPECTION_CATEGORIES if c not in (category, "日常巡检")]
        cats += rng.sample(others, rng.randint(6, 8) if long >= 2 else rng.randint(1, 3))
    numerals = "一二三四五六七八九十"
    for index, cat in enumerate(cats):
        if len(cats) > 1:
            sub = industrial_context(rng, ctx["industry"]) | {"plant": ctx["plant"]}
        else:
            sub = ctx
        found = []
        tails = rng.sample(FINDING_TAILS, len(FINDING_TAILS))  # each tail at most once per section
        for n, sentence in enumerate(picks(rng, FINDINGS[cat], rng.randint(3, 5), sub)):
            sentence = with_tail(rng, sentence, (tails[n],), sub, 0.3)
            if found and sub["spot"] not in sentence and sub["time"] not in sentence:
                sentence = with_lead(rng, sentence, FINDING_LEADS, sub, 0.35)
            found.append(sentence)
        if cat == "睡岗" and rng.random() < 0.6:
            found.append(homonym_sentence(rng, "压力", "stress", sub))
        if cat == "电气隐患" and rng.random() < 0.7:
            found.append(_electrical_homonym(rng, sub))
        if cat == "消防隐患" and rng.random() < 0.4:
            found.append(homonym_sentence(rng, "通道", "passage", sub))
        risk = picks(rng, RISKS[cat], rng.randint(1, 2), sub)
        if cat != "日常巡检":
            risk += [fill(rng.choice(CAUSE_LEADS), sub) + c for c in picks(rng, MANAGEMENT_CAUSES, rng.randint(1, 2), sub)]
        routine = cat == "日常巡检"  # nothing to put right: no deadlines or owners on the round's own notes
        act = varied(rng, ACTIONS[cat], rng.randint(2, 3), sub, leads=() if routine else ACTION_LEADS,
                     tails=() if routine else ACTION_TAILS, p_lead=0.25, p_tail=0.45, p_join=0.3)
        if len(cats) > 1:
            label = f"{numerals[index]}、{rng.choice(SUBJECTS[cat])}问题"
            paras.append(label + "。" + "".join(found))
            paras.append("原因分析：" + "".join(risk) + "整改要求：" + "".join(act))
        else:
            paras.append(rng.choice(("发现问题：", "检查情况：", "存在问题：", "")) + "".join(found))
            paras.append(rng.choice(("原因分析：", "风险分析：", "")) + "".join(risk))
            paras.append(rng.choice(("整改措施：", "处理情况：", "整改要求：")) + "".join(act))
    show_image = clutter > 0 or (image if image is not None else rng.random() < 0.3)
    if show_image:
        scene = fill(rng.choice(IMAGE_BODY[category]), ctx)
        extra = clutter_sentences(rng, clutter) if clutter else []
        planted["clutter"] = [s[:-1] for s in extra]
        body = [scene] + extra
        rng.shuffle(body)
        paras.insert(1 + rng.randint(0, 1), rng.choice(IMAGE_LEADS) + "".join(body))
    if decoys:
        sents, info = decoy_sentences(rng, decoys)
        planted["decoys"] += info
        paras[1] += "".join(sents)
    if category != "日常巡检":
        paras.append(rng.choice(("工作要求：", "其他要求：", "")) + "".join(varied(
            rng, GENERAL_REQUIREMENTS, rng.randint(1, 3), ctx, leads=REQUIREMENT_LEADS, p_lead=0.3, p_join=0.3)))
    if long:
        paras.append(long_closing(rng, ctx))
    paras.append(fill(rng.choice(DEADLINES), ctx) + fill(rng.choice(REVIEWS), ctx))
    if pii:
        sents, info = pii_sentences(rng, "inspection_report")
        planted["pii"] += info
        paras.append("".join(sents))
    else:
        paras.append(fill(rng.choice(NO_PII_SIGN), ctx) + "。")
    return {"title": title, "text": "\n".join(paras), "category": category,
            "site": f"{ctx['plant']}{ctx['ws']}", "date": ctx["date"], "planted": planted}


def _electrical_homonym(rng: random.Random, ctx: dict) -> str:
    word, sense = rng.choice((("接地", "electrical"), ("开关", "device"), ("保险", "fuse"), ("短路", "electrical")))
    return homonym_sentence(rng, word, sense, ctx)


CLOSING_OPENINGS = (
    "本次检查共抽查岗位{count}个，覆盖生产、仓储、检修等主要区域。",
    "本月共开展综合检查{n}次、专项检查{k}次，发现各类问题{count}项。",
    "检查采取听取汇报、查阅记录、现场查看和随机提问相结合的方式，共走访{ws}等{k}个单位。",
    "总体来看，{ws}安全管理基础工作有所加强，但现场管理仍存在薄弱环节。",
    "与上月相比，{plant}的问题数量有所下降，但同类问题重复出现的情况仍然较多。",
)
CLOSING_FINDINGS = (
    "隐患主要集中在特殊作业管理、个人防护和现场定置管理三个方面，反映出基层班组在制度执行上仍有差距。",
    "部分员工安全意识淡薄，习惯性违章时有发生，夜班尤为突出。",
    "{ws}和{spot}一带的问题相对集中，{count}项问题中有近一半出在这两处。",
    "外来施工单位的问题占比明显上升，主要是作业票办理和现场监护不到位。",
    "设备类问题多与维护保养不到位有关，{eq}、{eq2}等设备的点检记录存在漏项。",
    "从时间分布看，交接班前后和{time}前后是问题多发时段。",
)
CLOSING_STEPS = (
    "各车间对照本次检查发现的问题举一反三，开展自查自纠",
    "{dept}将在{days}日内组织复查，对整改不到位的单位进行通报",
    "加强夜班和节假日期间的查岗频次，落实领导带班制度",
    "结合本次问题开展专题安全培训，重点讲解个人防护用品使用、特殊作业管理和应急处置要求",
    "{ws}要明确整改责任人和整改期限，整改完成后将整改照片和说明报{dept}备案",
    "对于短期内无法整改的问题，必须制定可靠的临时防范措施，确保整改期间的安全",
    "把{eq}等关键设备的点检纳入每班交接内容",
    "{month}月底前完成{ws}岗位安全检查表的修订",
)
CLOSING_ENDS = (
    "各单位要把隐患排查治理作为日常工作的重点，做到隐患早发现、早整改、早消除。",
    "请各单位高度重视，严格落实安全生产责任制。",
    "下次综合检查定于{month}月下旬进行，届时将重点核查本次问题的整改情况。",
    "",
)


def long_closing(rng: random.Random, ctx: dict) -> str:
    """The summary that ends a multi-section (monthly) report: overview, what stands out, next steps."""
    steps = picks(rng, CLOSING_STEPS, rng.randint(2, 4), ctx)
    style = rng.randrange(3)
    if style == 0:
        listed = "；".join(f"{'一二三四'[i]}是{s}" for i, s in enumerate(steps)) + "。"
        steps_text = rng.choice(("下一步工作：", "下一步，", "针对以上情况，提出以下要求：")) + listed
    elif style == 1:
        steps_text = "".join(f"{i + 1}. {s}。" for i, s in enumerate(steps))
    else:
        steps_text = "下一步，" + "，".join(steps[:2]) + "。" + "".join(s + "。" for s in steps[2:])
    return ("".join(picks(rng, CLOSING_OPENINGS, rng.randint(1, 2), ctx))
            + "".join(picks(rng, CLOSING_FINDINGS, rng.randint(1, 2), ctx)) + steps_text
            + fill(rng.choice(CLOSING_ENDS), ctx))


# -- standard operating procedures ------------------------------------------------------------------------

_DIGITS = "一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1..99 as Chinese numerals (十一, 二十, 三十五)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens - 1] + "十"
    return head + (_DIGITS[ones - 1] if ones else "")


STEP_NUMBERS = tuple(chinese_numeral(n) for n in range(1, 61))

SOP_TITLES = {
    "设备操作": ("{eq}安全操作规程", "{eq}开停车标准作业程序", "{ws}{eq}运行操作规程"),
    "动火作业": ("动火作业安全管理规程", "{ws}动火作业标准作业程序", "焊接与切割作业安全操作规程"),
    "高处作业": ("高处作业安全操作规程", "脚手架搭设与使用标准作业程序", "{ws}登高作业操作规程"),
    "受限空间作业": ("受限空间作业安全操作规程", "{eq}内部检修进入作业程序", "储罐清罐作业标准作业程序"),
    "吊装作业": ("吊装作业安全操作规程", "{eq}吊运标准作业程序", "行车司索指挥作业规程"),
    "电气作业": ("电气设备停送电操作规程", "低压配电柜检修标准作业程序", "临时用电安全操作规程"),
    "危化品管理": ("{medium}装卸安全操作规程", "危险化学品储存与领用作业程序", "{medium}取样标准作业程序"),
    "消防管理": ("消防器材点检标准作业程序", "灭火器使用与维护规程", "消防设施日常检查作业程序"),
    "设备检维修": ("{eq}检修标准作业程序", "{eq}机械密封更换作业规程", "设备检修能量隔离与上锁挂牌程序"),
    "应急处置": ("{medium}泄漏应急处置程序", "人员触电应急处置规程", "初期火灾应急处置程序"),
}

SOP_PURPOSE = {
    "设备操作": ("规范{eq}的启动、运行和停机操作，防止误操作造成设备损坏和人员伤害。",
               "明确{eq}操作人员的操作步骤和检查要点，保证设备安全稳定运行。"),
    "动火作业": ("加强动火作业管理，防止因动火引发火灾和爆炸事故。", "规范焊接、切割等动火作业的审批、准备和现场监护。"),
    "高处作业": ("规范高处作业的安全防护措施，预防高处坠落和物体打击事故。", "明确登高作业前的检查、作业中的防护和作业后的清理要求。"),
    "受限空间作业": ("规范受限空间作业，防止发生中毒、窒息和火灾爆炸事故。", "明确进入设备内部作业的审批、检测、通风和监护要求。"),
    "吊装作业": ("规范吊装作业的指挥、司索和操作，防止起重伤害事故。", "明确吊装前检查、吊运过程控制和吊物放置要求。"),
    "电气作业": ("规范电气设备停送电和检修操作，防止触电和电气误操作。", "明确电气作业的工作票、验电、接地和挂牌要求。"),
    "危化品管理": ("规范{medium}的储存、装卸和使用，防止泄漏、中毒和火灾事故。", "明确危险化学品作业的防护和应急要求。"),
    "消防管理": ("保证消防器材和设施完好有效，确保初期火灾能够得到及时扑救。", "规范消防器材的日常点检、维护和更换。"),
    "设备检维修": ("规范{eq}检修作业，确保检修质量和检修过程安全。", "明确设备检修前的能量隔离、检修中的质量控制和检修后的验收。"),
    "应急处置": ("指导现场人员在突发事件发生后迅速、有序地进行处置，减少人员伤亡和财产损失。",
               "明确事故发生后的报告程序、初期处置措施和人员疏散要求。"),
}

SOP_SCOPE = ("本规程适用于{plant}{ws}。", "本程序适用于{plant}所属各车间和进入{ws}的外来施工单位。",
             "本规程适用于{ws}范围内的{eq}及其附属设备。", "本程序适用于{ws}所有涉及该类作业的岗位人员。",
             "本规程适用于{plant}{ws}及{spot}一带的同类作业，其他车间可参照执行。",
             "本程序适用于{ws}{team}及检修期间进入现场的维保人员。")

SOP_PREP = {
    "设备操作": ("检查{eq}地脚螺栓和联轴器护罩是否紧固完好", "检查润滑油油位在视镜二分之一至三分之二之间",
               "确认进出口阀门位置正确，压力表、温度计完好", "确认电源已送电，急停按钮已复位",
               "盘车两至三圈，确认转动灵活无卡涩", "清理设备周围杂物，确认无人在危险区域内"),
    "动火作业": ("办理动火作业票，明确动火等级、动火人和监护人", "清理动火点周围可燃物，无法清理的用阻燃布覆盖",
               "对动火点及周边进行气体检测，可燃气体浓度合格", "配备不少于两具灭火器和接火盆",
               "检查电焊机、焊把线和气瓶减压器完好", "氧气瓶与乙炔瓶直立固定，间距不小于5米"),
    "高处作业": ("办理高处作业票，确认作业高度和作业等级", "检查安全带、安全绳和防坠器完好有效",
               "检查脚手架验收合格牌，确认脚手板满铺、护栏齐全", "在作业下方设置警戒区域和警示标识",
               "作业人员身体状况良好，无高血压等禁忌症", "遇五级以上大风、雷雨天气停止露天高处作业"),
    "受限空间作业": ("办理受限空间作业票，明确作业人和监护人", "对{eq}进行能量隔离，加装盲板并上锁挂牌",
                  "用氮气和空气置换后进行气体检测，氧含量在19.5%至21%之间", "打开人孔进行强制通风",
                  "准备正压式空气呼吸器、安全绳和救援三脚架", "使用电压不超过12V的安全行灯"),
    "吊装作业": ("确认吊物重量，选择合适的吊具和钢丝绳", "检查吊钩防脱装置、钢丝绳和吊带有无断丝、磨损",
               "检查{eq}限位开关、制动器动作灵敏可靠", "划定吊装警戒区域，无关人员撤离",
               "明确指挥人员和指挥信号", "确认吊运路线上方无电线、下方无人员"),
    "电气作业": ("办理电气工作票，核对设备名称和编号", "准备合格的绝缘手套、绝缘鞋和验电器",
               "确认停电范围，通知相关岗位", "检查接地线、标示牌和遮栏齐全",
               "作业人员持有效电工作业证", "确认作业环境无积水、无易燃物"),
    "危化品管理": ("确认{medium}的安全技术说明书已张贴在作业现场", "佩戴防毒面具、耐酸碱手套和化学防护服",
                "检查装卸鹤管、软管和快速接头完好", "连接静电接地夹，确认接地良好",
                "准备吸附棉、应急沙和洗眼器", "确认槽车已熄火、拉好手刹并放置止轮器"),
    "消防管理": ("准备点检表、检查标签和记号笔", "熟悉责任区域内消防器材的配置点位",
               "准备备用灭火器，用于替换失效器材", "确认消防控制室值班人员在岗"),
    "设备检维修": ("办理设备检修工作票，明确检修内容和安全措施", "对{eq}断电、泄压、排空，并上锁挂牌",
                "确认系统压力降至零、温度降至常温", "准备检修工具、备件和专用拉马",
                "检修人员熟悉设备结构和检修方案", "在检修区域设置警戒线"),
    "应急处置": ("熟悉应急物资存放位置", "确认应急通讯畅通", "掌握报警电话和内部应急联络程序", "定期参加应急演练"),
}

SOP_STEPS = {
    "设备操作": ("打开{eq}进口阀门，排净泵体内气体，确认充满介质", "点动电机，确认转向正确",
               "启动{eq}，观察电流是否在额定值范围内", "缓慢打开出口阀门，调整流量至工艺要求",
               "检查出口压力稳定在{mpa_ok}MPa左右", "检查轴承温度不超过70℃，振动无异常",
               "检查机械密封无泄漏，冷却水畅通", "每两小时巡检一次并填写运行记录",
               "停机时先关闭出口阀门，再按停止按钮", "停机后关闭进口阀门，冬季排净存液防止冻裂"),
    "动火作业": ("动火人持票到现场，与监护人共同确认安全措施", "再次检测动火点可燃气体浓度",
               "先试焊确认设备正常，再正式作业", "作业中监护人不得离开现场，随时观察火花飞溅方向",
               "动火间断超过30分钟，需重新进行气体检测", "作业结束后清理焊渣，检查有无阴燃",
               "确认现场无火种后，监护人在作业票上签字关闭", "动火结束30分钟后再次巡查现场"),
    "高处作业": ("穿戴好安全帽、安全带和防滑鞋，系好下颏带", "沿爬梯上下，手中不得持物",
               "到达作业位置后先挂好安全带，遵守高挂低用原则", "工具放入工具袋，较大工具系防坠绳",
               "移动作业位置时交替使用双钩安全带，始终保持一钩挂牢", "不得在平台护栏上坐靠或跨越",
               "作业中不得向下抛掷物料", "作业结束后清理平台上的工具和材料"),
    "受限空间作业": ("作业前30分钟内再次进行气体检测", "作业人员系好安全绳进入，监护人在人孔外监护",
                  "保持持续通风，每隔两小时检测一次气体", "监护人与作业人员保持联系，每十分钟确认一次",
                  "发现气体超标或人员不适，立即撤离", "作业结束后清点人员和工具，确认无遗留",
                  "封闭人孔，拆除盲板，解除上锁挂牌"),
    "吊装作业": ("司索人员按吊点绑扎吊物，棱角处加垫护角", "指挥人员发出信号后，先试吊离地200毫米左右",
               "确认制动可靠、吊物平衡后再正式起吊", "吊运过程中吊物下方严禁站人",
               "吊物接近就位点时降低速度，由司索人员用牵引绳调整方向",
               "吊物接地后应先确认稳固，再由司索工摘钩", "作业结束后将吊钩升至安全高度，切断电源"),
    "电气作业": ("断开{eq}电源开关，拉开隔离开关，并在操作手柄上挂“禁止合闸，有人工作”标示牌",
               "用合格的验电器在设备进线侧逐相验电", "确认无电压后，在检修设备两侧挂设临时接地线",
               "检修中不得擅自变更安全措施", "检修完成后清点工具，拆除临时接地线",
               "确认设备上无人员工作后，摘除标示牌", "按送电顺序合闸，观察电压和电流正常"),
    "危化品管理": ("槽车停靠到位后，连接静电接地夹", "缓慢打开阀门，控制初始流速不大于1米每秒",
                "装卸过程中操作人员不得离开现场，随时观察液位和压力", "发现泄漏立即关闭紧急切断阀",
                "装卸完毕关闭阀门，静置五分钟后拆除软管", "拆除静电接地夹，清理现场并登记台账"),
    "消防管理": ("检查灭火器压力表指针是否在绿色区域", "检查灭火器瓶体有无锈蚀、变形，喷管是否完好",
               "检查铅封和保险销是否完好", "打开消火栓箱，检查水带、水枪和接口齐全",
               "检查应急照明和疏散指示标志工作正常", "在检查标签上填写日期和检查人",
               "对不合格器材立即更换，并报安全管理部门"),
    "设备检维修": ("拆卸联轴器护罩，测量并记录联轴器对中数据", "按顺序拆卸{eq}端盖、叶轮和机械密封",
                "检查轴承、密封面和叶轮磨损情况，测量关键间隙", "更换损坏零件，安装新机械密封时保持密封面清洁",
                "按对角顺序紧固螺栓，力矩符合要求", "重新找正，径向偏差不大于0.05毫米",
                "回装护罩，解除上锁挂牌，办理检修交付手续", "试运行两小时，检查温度、振动和密封情况"),
    "应急处置": ("发现险情的人员立即向班长和中控室报告，说明地点、介质和人员情况",
               "在确保自身安全的前提下，关闭上游阀门切断源头", "启动现场报警，组织无关人员沿上风向撤离",
               "佩戴正压式空气呼吸器的救援人员进入现场处置", "对受伤人员进行现场急救并拨打急救电话",
               "设置警戒区域，禁止车辆和人员进入", "险情消除后检测现场气体浓度，合格后解除警戒"),
}

SOP_CAUTIONS = (
    "严禁在{eq}运行时进行清理、加油或调整。", "操作人员必须经培训合格，持证上岗。",
    "发现异常情况应立即停机并报告中控室。", "严禁酒后上岗，作业期间不得使用手机。",
    "{ws}内严禁吸烟和携带火种。", "所有安全装置不得随意拆除或短接。",
    "交接班时应交清{eq}运行状况和存在问题。", "雨雪天气室外作业应采取防滑措施。",
    "夜间作业必须保证足够照明。", "作业完成后做到工完料净场地清。",
    "涉及交叉作业时，应明确各方的安全责任并设专人协调。", "新员工必须在师傅带领下操作。",
    "{medium}相关作业应备好对应的防护用品和应急物资。", "{spot}一带作业时应注意来往叉车。",
    "作业票未经审批，不得开始作业。", "连续作业超过{hours}小时应安排轮换休息。",
)
CAUTION_LEADS = ("特别注意：", "在{ws}，", "{eq}附近作业时，", "", "", "")

SOP_EMERGENCY = (
    "发生人员受伤时，立即停止作业，进行现场急救并拨打120。",
    "发生火情时，使用就近的灭火器扑救初期火灾，火势较大时立即撤离并拨打119。",
    "发生{medium}泄漏时，立即切断泄漏源，疏散无关人员，佩戴防护用品处置。",
    "发生触电时，先切断电源，再对触电者进行心肺复苏。",
    "{eq}出现异常振动、异响或冒烟时，立即停机检查。",
    "{ws}发生险情时，当班人员应第一时间向中控室报告，说明地点和人员情况。",
    "人员撤离时沿{spot}方向的疏散路线前往集合点，清点人数后报告{dept}。",
)

SOP_RECORDS = ("相关记录：{ws}设备运行记录、交接班记录。", "相关记录：作业票、气体检测记录（保存{n}年）。",
               "相关记录：{eq}检修记录、试运行记录。", "相关记录：点检表、{ws}隐患整改台账。",
               "本规程执行中形成的记录由{ws}归档保存。")

SOP_HOMONYMS = {
    "设备操作": (("开关", "operate"), ("压力", "physical"), ("冷却", "cooling")),
    "动火作业": (("火花", "spark"),),
    "高处作业": (("平台", "platform"), ("接地", "ground_contact")),
    "吊装作业": (("接地", "ground_contact"),),
    "电气作业": (("接地", "electrical"), ("保险", "fuse"), ("负荷", "electrical_load"), ("开关", "device")),
    "设备检维修": (("压力", "physical"), ("冷却", "cooling")),
    "危化品管理": (("开关", "operate"),),
    "消防管理": (("通道", "passage"), ("压力", "physical")),
}


SOP_EQUIPMENT = {
    "设备操作": ("离心泵", "循环水泵", "给水泵", "螺杆泵", "屏蔽泵", "计量泵", "磁力泵", "隔膜泵"),
    "设备检维修": ("离心泵", "循环水泵", "给水泵", "螺杆泵", "屏蔽泵", "引风机", "鼓风机", "减速机"),
    "吊装作业": ("桥式起重机", "门式起重机", "电动葫芦", "汽车吊", "行车"),
    "电气作业": ("配电柜", "开关柜", "低压柜", "控制柜", "变频器", "电动机"),
    "受限空间作业": ("反应釜", "储罐", "换热器", "精馏塔", "搅拌釜", "缓冲罐", "除尘器"),
}

SOP_RISKS = {
    "设备操作": ("转动部位可能造成机械伤害", "介质泄漏可能造成灼烫或中毒", "电气部分可能造成触电", "超压运行可能造成设备损坏"),
    "动火作业": ("火灾", "爆炸", "灼烫", "触电", "有毒气体中毒"),
    "高处作业": ("高处坠落", "物体打击", "脚手架坍塌", "触电"),
    "受限空间作业": ("中毒", "窒息", "火灾爆炸", "机械伤害", "淹溺"),
    "吊装作业": ("起重伤害", "物体打击", "吊物坠落", "触电", "挤压"),
    "电气作业": ("触电", "电弧灼伤", "误操作", "高处坠落"),
    "危化品管理": ("泄漏", "中毒", "灼烫", "火灾爆炸", "静电"),
    "消防管理": ("灭火器失效", "消防通道堵塞", "器材缺失"),
    "设备检维修": ("机械伤害", "物体打击", "介质残留导致的灼烫", "能量意外释放"),
    "应急处置": ("次生事故", "救援人员中毒窒息", "火势蔓延"),
}

SOP_TERMS = {
    "动火作业": "动火作业：指在禁火区内进行焊接、切割、打磨等可能产生火焰、火花和炽热表面的非常规作业。",
    "高处作业": "高处作业：指在距坠落高度基准面2米及以上有可能坠落的高处进行的作业。",
    "受限空间作业": "受限空间：指进出受限、通风不良、可能存在有毒有害气体或缺氧环境的封闭或半封闭空间。",
    "吊装作业": "吊装作业：指利用起重机械将设备、材料等物体进行位置移动的作业。",
    "电气作业": "工作票：指准许在电气设备上工作的书面命令，也是明确安全职责、落实安全措施的依据。",
    "危化品管理": "安全技术说明书：指化学品生产或销售企业提供的关于化学品危险性和安全使用的综合性资料。",
    "设备检维修": "上锁挂牌：指对危险能量源进行隔离后加锁并悬挂警示牌，防止设备被意外启动。",
}

SOP_TRAINING = (
    "新入厂员工必须经过三级安全教育，考试合格后方可上岗。",
    "岗位人员每年至少接受一次本规程的培训和考核。",
    "规程修订后，{ws}应在一周内组织全员学习。",
    "班组每月结合本规程开展一次岗位练兵。",
    "外来施工人员进入现场前，应由{dept}进行安全交底。",
    "考核不合格的人员应重新培训，再次考核合格后方可上岗。",
    "{ws}每季度组织一次本规程的现场考问，抽查不少于{n}人。",
    "{team}新调入人员须跟班学习{days}天，经考核后独立操作。",
)

SOP_AFTER = (
    "作业结束后，作业负责人检查现场，确认{eq}恢复到正常状态。",
    "清点工具和剩余材料，清理{ws}作业现场的垃圾和油污。",
    "填写作业记录，注明作业内容、发现的问题和处理结果。",
    "向接班人员交代作业情况和注意事项。",
    "拆除临时设施和警戒线，恢复{spot}的安全标志。",
    "将作业票交回{dept}存档。",
    "对{eq}再观察{mins}分钟，确认运行稳定。",
)

STEP_TAILS = ("，并在巡检记录中注明时间", "，确认无误后再进行下一步", "，发现异常立即停止并报告中控室",
              "，必要时设置警戒线", "，完成后在作业票上注明时间", "，{ws}当班人员应在场", "，并在交接班时说明")
TERM_FORMS = ("{term}：{body}", "本规程所称{term}，{body}", "{term}——{body}")


def sop(rng: random.Random, category: str, *, decoys: int = 0, long: int = 0, pii: bool = False) -> dict:
    """A standard operating procedure: purpose, scope, preparation, numbered steps, cautions."""
    ctx = industrial_context(rng)
    if category in SOP_EQUIPMENT:
        ctx["eq"] = rng.choice(SOP_EQUIPMENT[category])
    planted: dict[str, list] = {"pii": [], "decoys": []}
    title = fill(rng.choice(SOP_TITLES[category]), ctx)
    sections = [("目的", fill(rng.choice(SOP_PURPOSE[category]), ctx)), ("适用范围", fill(rng.choice(SOP_SCOPE), ctx))]
    if rng.random() < 0.5 or long:
        sections.append(("职责", fill(rng.choice((
            "{ws}负责人负责本规程的组织实施，班组长负责现场监督，操作人员严格按规程执行。",
            "{dept}负责本规程的编制和监督检查，各岗位人员负责执行。",
            "作业负责人对作业安全全面负责，监护人负责现场监护，作业人员对本岗位安全负责。")), ctx)))
    hazards = rng.sample(SOP_RISKS[category], rng.randint(2, len(SOP_RISKS[category])))
    sections.append(("主要风险", fill(rng.choice((
        "本作业的主要风险包括{h}等。", "作业过程中可能发生{h}，须采取相应防护措施。",
        "经风险辨识，主要危险有害因素为{h}。")), {"h": "、".join(hazards)})))
    if category in SOP_TERMS and rng.random() < 0.7:
        term, _, body = SOP_TERMS[category].partition("：")
        sections.append(("术语和定义", rng.choice(TERM_FORMS).format(term=term, body=body)))
    prep = [fill(t, ctx) for t in rng.sample(SOP_PREP[category], rng.randint(3, len(SOP_PREP[category])))]
    sections.append(("作业前准备", "".join(f"{i + 1}. {p}。" for i, p in enumerate(prep))))
    pool = SOP_STEPS[category]
    if long:
        others = [c for c in SOP_CATEGORIES if c != category and c != "应急处置"]
        steps = list(pool)
        for extra in rng.sample(others, 2 if long == 1 else 6):
            steps += list(SOP_STEPS[extra])
    else:
        keep = sorted(rng.sample(range(len(pool)), rng.randint(max(4, len(pool) - 3), len(pool))))
        steps = [pool[i] for i in keep]
    steps = [fill(t, ctx) + (fill(rng.choice(STEP_TAILS), ctx) if rng.random() < 0.3 else "")
             for t in steps[: len(STEP_NUMBERS)]]
    if category in SOP_HOMONYMS and rng.random() < 0.8:
        word, sense = rng.choice(SOP_HOMONYMS[category])
        extra = homonym_sentence(rng, word, sense, ctx).rstrip("。")
        if extra not in steps:
            steps.insert(rng.randint(1, len(steps)), extra)
            steps = steps[: len(STEP_NUMBERS)]
    style = rng.randrange(3)
    if style == 0:
        body = "".join(f"第{STEP_NUMBERS[i]}步，{s}。" for i, s in enumerate(steps))
    elif style == 1:
        body = "\n".join(f"第{STEP_NUMBERS[i]}步：{s}。" for i, s in enumerate(steps))
    else:
        body = "".join(f"（{i + 1}）{s}；" for i, s in enumerate(steps)).rstrip("；") + "。"
    sections.append(("操作步骤", body))
    sections.append(("作业后检查", "".join(varied(rng, SOP_AFTER, rng.randint(2, 4), ctx, p_join=0.5))))
    sections.append(("注意事项", "".join(varied(rng, SOP_CAUTIONS, rng.randint(3, 5) + (3 if long else 0), ctx,
                                                leads=CAUTION_LEADS, p_lead=0.3, p_join=0.5, joiners=("，", "，", "，并且")))))
    if rng.random() < 0.6 or category == "应急处置" or long:
        sections.append(("应急处置", "".join(varied(rng, SOP_EMERGENCY, rng.randint(2, 4), ctx, p_join=0.3))))
    if rng.random() < 0.6 or long:
        sections.append(("培训要求", "".join(varied(rng, SOP_TRAINING, rng.randint(2, 3), ctx, p_join=0.4))))
    if decoys:
        sents, info = decoy_sentences(rng, decoys)
        planted["decoys"] += info
        sections.append(("引用标准与记录", "".join(sents)))
    tail = fill(rng.choice(SOP_RECORDS), ctx)
    if pii:
        sents, info = pii_sentences(rng, "sop")
        planted["pii"] += info
        tail += "".join(sents)
    else:
        tail += fill(rng.choice(("编制部门：{dept}。", "本规程由{dept}负责解释。", "本规程自{date_cn}起执行。")), ctx)
    sections.append(("附则", tail))
    heading = rng.choice(("{cn}、{name}\n", "{n} {name}\n", "【{name}】", "{n}. {name}：", "【{name}】", "{n}. {name}：",
                          "{cn}、{name}：", "{n}）{name}："))
    text = "\n".join(heading.format(cn=STEP_NUMBERS[i], n=i + 1, name=name) + content
                     for i, (name, content) in enumerate(sections))
    return {"title": title, "text": text, "category": category, "planted": planted}


# -- maintenance logs -------------------------------------------------------------------------------------

FAULTS = (
    {"eq": ("离心泵", "循环水泵", "引风机", "鼓风机", "电动机", "减速机"), "parts": "轴承两套、润滑脂一桶",
     "symptoms": ("运行中轴承部位有异响，测得轴承温度{temp}℃，振动速度值{vib}mm/s",
                  "驱动端轴承异响明显，手摸轴承座烫手，振动值达到{vib}mm/s"),
     "causes": ("拆检发现轴承保持架磨损，滚道有麻点", "润滑脂干涸结块，轴承缺油运行"),
     "actions": ("更换驱动端和非驱动端轴承，重新加注润滑脂，复查对中偏差0.05mm以内",
                 "清洗轴承箱，更换同型号轴承并按量加注润滑脂"),
     "results": ("试运行{hours}小时，轴承温度{temp_ok}℃，振动{vib_ok}mm/s，恢复正常", "运行平稳，异响消除")},
    {"eq": ("离心泵", "屏蔽泵", "给水泵", "螺杆泵", "反应釜"), "parts": "机械密封一套、密封圈若干",
     "symptoms": ("机械密封处泄漏，{medium}呈线状流出", "密封冲洗液带出物料，设备下方积液"),
     "causes": ("动静环密封面磨损，弹簧压缩量不足", "密封圈老化变硬，失去弹性"),
     "actions": ("隔离泄压后更换整套机械密封", "更换密封圈和静环，清理密封腔内的结晶物"),
     "results": ("投用后观察{hours}小时无泄漏", "密封处无滴漏，压力稳定在{mpa_ok}MPa")},
    {"eq": ("电动机", "防爆电机", "电机"), "parts": "接线端子一组",
     "symptoms": ("电机外壳过热，实测表面温度{temp}℃，运行电流{amp}A偏大", "电机运行中冒烟，伴有焦糊味"),
     "causes": ("接线盒内一相接线端子松动，造成缺相运行", "绕组绝缘老化，匝间短路"),
     "actions": ("重新压接端子并紧固，检测三相电流平衡", "将电机返厂重绕，临时换用备用电机"),
     "results": ("三相电流平衡，温升正常", "备用电机运行正常，原电机待修复后入库")},
    {"eq": ("皮带输送机", "输送带", "斗式提升机"), "parts": "托辊四组",
     "symptoms": ("输送带跑偏，边缘与机架摩擦", "输送带打滑，物料在转运点堆积"),
     "causes": ("尾部托辊卡涩不转，托辊轴承损坏", "张紧装置配重不足，输送带松弛"),
     "actions": ("更换卡涩托辊{n}组，调整调心托辊", "调整张紧装置，增加配重后重新校正"),
     "results": ("空载和满载试运行均不再跑偏", "运行正常，无打滑现象")},
    {"eq": ("调节阀", "紧急切断阀", "截止阀", "蝶阀"), "parts": "阀座一件、填料一套",
     "symptoms": ("阀门动作迟缓，开度与指令偏差较大", "阀门关闭后仍有内漏，下游压力持续上升"),
     "causes": ("阀芯和阀座结垢，阀杆卡涩", "阀座密封面冲刷出沟槽"),
     "actions": ("解体清洗阀芯阀座，更换填料并重新校验定位器", "研磨密封面，无法修复部分更换阀座"),
     "results": ("全行程动作灵活，偏差小于1%", "关闭严密，无内漏")},
    {"eq": ("液压站", "稀油站", "液压系统"), "parts": "回油滤芯两支、液压油两桶",
     "symptoms": ("系统压力偏低，执行机构动作无力", "油温升高至{temp}℃，油箱有泡沫"),
     "causes": ("回油滤芯堵塞，油位低于下限", "冷却器水侧结垢，换热效果下降"),
     "actions": ("更换回油滤芯，补充同牌号液压油至正常油位", "拆洗冷却器，清除水垢后回装"),
     "results": ("系统压力恢复到{mpa_ok}MPa", "油温稳定在{temp_ok}℃")},
    {"eq": ("空压机", "螺杆空压机", "活塞式压缩机"), "parts": "进气滤芯、油细分离器各一件",
     "symptoms": ("排气温度高报警，机组自动停机", "加载时间变长，排气量下降"),
     "causes": ("油冷却器表面积尘严重，散热不良", "进气滤芯堵塞，进气量不足"),
     "actions": ("用压缩空气反吹冷却器并清洗散热片", "更换进气滤芯和油细分离器"),
     "results": ("排气温度降至{temp_ok}℃，运行正常", "加载时间恢复正常")},
    {"eq": ("开关柜", "配电柜", "低压柜"), "parts": "电缆终端头一套、导电膏",
     "symptoms": ("过流保护动作跳闸，下级设备全部停电", "柜内有放电声，柜门缝隙可见闪光"),
     "causes": ("电缆头绝缘击穿，相间短路", "母排连接螺栓松动，接触不良发热"),
     "actions": ("重新制作电缆头并做耐压试验", "紧固母排螺栓，打磨氧化层，涂导电膏"),
     "results": ("送电后运行正常", "红外测温复查，温度正常")},
    {"eq": ("振动筛", "破碎机", "引风机", "工艺管道"), "parts": "焊材若干、减振垫四块",
     "symptoms": ("支架焊缝处发现裂纹，长约{mm}mm", "支吊架脱落，管线下沉"),
     "causes": ("长期振动造成疲劳开裂", "支架底部锈蚀严重，强度不足"),
     "actions": ("打磨裂纹至无缺陷后补焊，焊后着色探伤", "更换支吊架，加装减振垫"),
     "results": ("探伤合格，恢复使用", "恢复原位，振动明显减小")},
    {"eq": ("压力表", "液位计", "流量计", "温度变送器"), "parts": "经检定合格的仪表一台",
     "symptoms": ("显示值与中控数据不一致", "就地与远传偏差较大，显示失准"),
     "causes": ("指针松动，已超过检定周期", "浮子或取压管被杂物堵住"),
     "actions": ("更换经检定合格的仪表", "拆下清理取压管和浮子室，重新校验"),
     "results": ("就地与远传数据一致", "显示正常")},
    {"eq": ("工艺管道", "储罐", "蒸汽管道"), "parts": "防腐漆两桶、保温棉若干",
     "symptoms": ("外壁大面积锈蚀，保温层破损", "防腐层起皮脱落，局部有点蚀坑"),
     "causes": ("保温层破损后雨水渗入", "防腐涂层超期老化"),
     "actions": ("拆除破损保温，除锈后刷防腐漆，重新包覆保温", "喷砂除锈，重新涂刷防腐涂层"),
     "results": ("外观良好，已列入定期检查", "涂层厚度检测合格")},
)

LOG_SAFETY = (
    "检修前办理了工作票，切断电源并上锁挂牌，验电确认无电压。",
    "作业前关闭{eq}进出口阀门，泄压排空，确认压力表回零。",
    "设备已切换至备用机组运行，对故障设备进行隔离。",
    "现场设置警戒线，检修期间由{team}操作人员监护。",
    "拆检前对设备内部介质进行置换，气体检测合格。",
    "因涉及登高，作业人员系挂安全带并办理了高处作业票。",
    "{time}办理工作票，{ws}配合停机并挂“禁止启动”牌。",
    "断开{eq}电源后在开关柜上锁，钥匙由{team}保管。",
)

LOG_TIMELINE = (
    "{time}接到中控室通知，维修人员约{mins}分钟后到达现场。",
    "{team}操作工在巡检中发现异常后立即汇报中控室。",
    "故障发生时正值交接班，由{team}接班人员跟进处理。",
    "该设备{days}天前点检时已有轻微异常，本次趋势加重。",
    "在线监测系统{time}发出预警，维修人员按预警信息到场核实。",
    "{ws}工艺人员发现参数波动后通知维修，{time}前后到场。",
    "{time}出现报警，值班维修工先做临时处理，停机窗口再彻底检修。",
)

LOG_READINGS = (
    "处理前记录：电流{amp}A，温度{temp}℃。", "复测数据：出口压力{mpa_ok}MPa，轴承温度{temp_ok}℃，振动{vib_ok}mm/s。",
    "停机时间{time}，累计运行约{count}00小时。", "故障前一班的运行记录显示电流由{amp}A逐步上升。",
    "本月该设备已是第{n}次报修。", "设备上次大修距今约{count}个月。",
)

LOG_FOLLOW = (
    "遗留问题：备用{eq}需同步检查。", "建议将{eq}的点检周期缩短到{days}天。", "已通知{ws}工艺人员注意观察运行参数。",
    "更换下来的旧件已送备件库登记，待{dept}鉴定。", "后续需跟踪运行{days}天。", "已将故障原因录入设备故障库，编号{year}-{count}。",
    "同型号设备共{n}台，计划在下次停车时一并检查。", "备件库存不足，已提交采购申请，预计{days}天到货。",
    "{team}接班后继续观察{eq}的运行情况。", "本次处理情况已向{dept}汇报。",
)

ROUTINE_MAINTENANCE = (
    "按保养计划对{eq}进行定期保养：更换润滑油和油滤，清洁进气滤网，紧固各部位螺栓。保养后试运行，各项参数正常。"
    "本次保养用时约{hours}小时，记录已录入设备台账。",
    "{eq}季度保养：检查联轴器弹性块，加注轴承润滑脂，清理电机散热片积尘。运行电流{amp}A，温度{temp_ok}℃，状态良好。"
    "下次保养计划安排在三个月后。",
    "对{eq}进行点检：地脚螺栓紧固，油位正常，防护罩齐全，运行声音平稳。本次无需处理。点检结果已在点检表上签字确认，"
    "各项数据与上次点检相比无明显变化。",
    "{eq}年度检修：全面解体检查，更换易损件{n}件，清洗油路，重新校验安全阀和压力表。验收合格后投入运行。"
    "检修过程中对照检修方案逐项确认，检修质量符合要求。",
    "冬季防冻检查：对{eq}及附属管线的伴热和保温进行检查，补包保温{n}处，排净停用管线存水。检查中重点关注了低点排凝和"
    "仪表引压管，已全部落实防冻措施。",
)


def maintenance_log(rng: random.Random, *, pii: bool = False, routine: bool = False) -> dict:
    """One maintenance log entry (no title): equipment, fault, action, result."""
    ctx = industrial_context(rng)
    planted: dict[str, list] = {"pii": [], "decoys": []}
    head = f"{ctx['date']} {ctx['time']}"
    if routine:
        where = f"{ctx['ws']}{ctx['eq']}（{ctx['code']}）"
        body = fill(rng.choice(ROUTINE_MAINTENANCE), ctx) + fill(rng.choice(LOG_READINGS[:2] + LOG_READINGS[4:]), ctx)
        body += "".join(picks(rng, LOG_FOLLOW[1:], rng.randint(0, 2), ctx))
        text = rng.choice((f"{head} {where}\n{body}", f"【{head}】{where}：{body}", f"日期：{ctx['date_cn']}。设备：{where}。{body}"))
        category = "定期保养"
    else:
        fault = rng.choice(FAULTS)
        ctx["eq"] = rng.choice(fault["eq"])
        where = f"{ctx['ws']}{ctx['eq']}（{ctx['code']}）"
        k = rng.randrange(2)
        symptom, cause = fill(fault["symptoms"][k], ctx), fill(fault["causes"][k], ctx)
        action, result = fill(fault["actions"][k], ctx), fill(fault["results"][k], ctx)
        prep = fill(rng.choice(LOG_SAFETY), ctx)
        when = fill(rng.choice(LOG_TIMELINE), ctx)
        style = rng.randrange(3)
        if style == 0:
            text = (f"【{head}】{where}\n故障现象：{symptom}。{when}\n安全措施：{prep}\n原因分析：{cause}。\n"
                    f"处理措施：{action}。更换备件：{fault['parts']}。\n处理结果：{result}。")
        elif style == 1:
            text = (f"{ctx['date_cn']}{ctx['time']}，{ctx['team']}巡检发现{where}{symptom}。{when}"
                    f"{prep}拆检后确认{cause}。随即{action}，共更换{fault['parts']}。{result}。"
                    f"本次检修耗时约{ctx['hours']}小时。")
        else:
            text = (f"日期：{ctx['date']}；班次：{ctx['team']}；设备：{where}；故障：{symptom}；"
                    f"原因：{cause}；安全措施：{prep.rstrip('。')}；处理：{action}；备件：{fault['parts']}；结果：{result}。")
        category = "故障维修"
        if rng.random() < 0.6:
            text += fill(rng.choice(LOG_READINGS), ctx)
        text += "".join(picks(rng, LOG_FOLLOW, rng.randint(1, 2), ctx))
        if rng.random() < 0.3:
            word, sense = rng.choice((("压力", "physical"), ("冷却", "cooling"), ("接地", "electrical"), ("开关", "operate")))
            text += homonym_sentence(rng, word, sense, ctx)
    if pii:
        sents, info = pii_sentences(rng, "maintenance_log")
        planted["pii"] += info
        text += "\n" + "".join(sents)
    elif rng.random() < 0.5:
        text += "\n" + fill(rng.choice(("维修班组：{team}。", "维修班组：{team}（{ws}）。", "记录：{ws}维修班，{date_cn}。")), ctx)
    return {"title": "", "text": text, "category": category, "planted": planted}


def overhaul_log(rng: random.Random) -> dict:
    """A long maintenance entry: one planned shutdown covering several faults in turn."""
    ctx = industrial_context(rng)
    parts = [f"{ctx['date_cn']}至{ctx['month']}月{min(ctx['day'] + rng.randint(3, 9), 28)}日，{ctx['plant']}{ctx['ws']}"
             f"按计划停车检修。检修前由{ctx['dept']}组织召开检修动员会，明确检修项目、安全措施和质量要求，"
             "所有检修项目均办理了工作票，涉及动火、登高和受限空间的作业另行办理特殊作业票。"]
    for index, fault in enumerate(rng.sample(FAULTS, rng.randint(4, 6))):
        sub = industrial_context(rng, ctx["industry"])
        sub["eq"] = rng.choice(fault["eq"])
        k = rng.randrange(2)
        parts.append(f"{index + 1}. {sub['eq']}（{sub['code']}）：检修前{fill(fault['symptoms'][k], sub)}。"
                     f"解体检查发现{fill(fault['causes'][k], sub)}。{fill(fault['actions'][k], sub)}，"
                     f"更换{fault['parts']}。{fill(fault['results'][k], sub)}。")
    parts.append(fill(rng.choice((
        "检修期间未发生安全事故，共消除设备缺陷{count}项，检修后装置开车一次成功。",
        "本次检修共完成计划项目{count}项，临时增加项目{n}项，全部按期完成并通过验收。",
    )), ctx) + "".join(picks(rng, LOG_FOLLOW, 2, ctx)))
    return {"title": "", "text": "\n".join(parts), "category": "停车检修", "planted": {"pii": [], "decoys": []}}


# -- encyclopedia -----------------------------------------------------------------------------------------
# (title, category, fact sentences). Facts are stated in general terms; the wording is this project's own.

ENCYCLOPEDIA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("压强", "物理", (
        "压强是表示压力作用效果的物理量，等于物体单位面积上受到的压力。",
        "压强的国际单位是帕斯卡，简称帕，符号为Pa，这一单位以法国科学家帕斯卡的名字命名。",
        "在压力一定时，受力面积越小，压强越大；受力面积一定时，压力越大，压强越大。",
        "书包背带做得较宽、载重汽车安装较多的车轮，都是通过增大受力面积来减小压强；刀刃磨得锋利则是为了增大压强。",
        "液体内部向各个方向都有压强，同一深度处各方向的压强相等，深度越大压强越大，因此拦河坝通常修成上窄下宽的形状。")),
    ("浮力", "物理", (
        "浮力是浸在液体或气体中的物体受到的竖直向上的托力。",
        "古希腊学者阿基米德总结出，浸在液体中的物体受到的浮力，大小等于它排开的液体所受的重力，这就是阿基米德原理。",
        "物体的浮沉取决于浮力与重力的大小关系：浮力大于重力时上浮，小于重力时下沉，二者相等时悬浮或漂浮。",
        "钢铁制成的轮船能浮在水面上，是因为船体做成空心，排开了大量的水；潜水艇则靠改变自身重力实现上浮和下潜。",
        "热气球和飞艇利用的是空气的浮力，通过加热空气或充入密度较小的气体使整体密度小于周围空气。")),
    ("摩擦力", "物理", (
        "摩擦力是两个相互接触的物体发生相对运动或具有相对运动趋势时，在接触面上产生的阻碍相对运动的力。",
        "摩擦力分为静摩擦力、滑动摩擦力和滚动摩擦力，在相同条件下滚动摩擦通常远小于滑动摩擦。",
        "滑动摩擦力的大小与接触面间的压力和接触面的粗糙程度有关，压力越大、接触面越粗糙，摩擦力越大。",
        "汽车轮胎上的花纹、鞋底的纹路是为了增大有益摩擦；在机器的转动部位加润滑油、安装滚动轴承，则是为了减小有害摩擦。",
        "没有摩擦力，人无法正常行走，车辆也无法启动和刹车。")),
    ("惯性", "物理", (
        "惯性是物体保持原有运动状态不变的性质，一切物体在任何情况下都具有惯性。",
        "牛顿第一定律指出，一切物体在没有受到外力作用时，总保持静止状态或匀速直线运动状态，因此该定律又称惯性定律。",
        "质量是惯性大小的唯一量度，质量越大的物体，运动状态越难改变。",
        "公交车突然刹车时，乘客身体会向前倾；拍打衣服可以除去灰尘；跳远运动员助跑可以跳得更远，这些都与惯性有关。",
        "为减小惯性带来的危害，交通法规要求驾乘人员系好安全带，并限制车辆超速和超载。")),
    ("电流", "物理", (
        "电荷的定向移动形成电流，物理学中规定正电荷定向移动的方向为电流的方向。",
        "电流的国际单位是安培，简称安，符号为A，以法国物理学家安培的名字命名。",
        "电流的大小等于单位时间内通过导体横截面的电荷量，常用电流表串联在电路中进行测量。",
        "电流分为直流电和交流电，干电池提供的是直流电，家庭电路使用的是交流电，我国民用交流电的频率为50赫兹。",
        "电流通过导体时会产生热效应、磁效应和化学效应，电热水壶、电磁铁和电镀分别利用了这三种效应。")),
    ("电阻", "物理", (
        "电阻表示导体对电流阻碍作用的大小，国际单位是欧姆，符号为Ω。",
        "导体的电阻由导体的材料、长度、横截面积决定，还与温度有关；一般金属导体的电阻随温度升高而增大。",
        "德国物理学家欧姆通过实验得出，导体中的电流与导体两端的电压成正比，与导体的电阻成反比，这一规律称为欧姆定律。",
        "某些材料在温度降低到一定程度时电阻会突然变为零，这种现象称为超导现象。",
        "电路中常用的电阻器有固定电阻和滑动变阻器，后者通过改变接入电路的电阻丝长度来调节电流。")),
    ("电磁感应", "物理", (
        "电磁感应是指闭合电路的一部分导体在磁场中做切割磁感线运动时，导体中产生电流的现象，产生的电流叫感应电流。",
        "1831年，英国科学家法拉第经过多年实验发现了电磁感应现象，进一步揭示了电与磁之间的联系。",
        "感应电流的方向与导体的运动方向和磁场方向有关，改变其中一个方向，感应电流的方向随之改变。",
        "发电机是根据电磁感应原理制成的，它把机械能转化为电能；变压器、电磁炉和无线充电也都应用了电磁感应。",
        "电磁感应的发现为人类进入电气时代奠定了基础。")),
    ("热传递", "物理", (
        "热传递是热量从高温物体传到低温物体，或从物体的高温部分传到低温部分的过程。",
        "热传递有传导、对流和辐射三种基本方式：固体中以传导为主，液体和气体中以对流为主，辐射则不需要介质。",
        "金属一般是热的良导体，木材、塑料、空气是热的不良导体，因此炒锅的手柄常用木头或塑料制成。",
        "冬天穿的棉衣保暖，是因为棉花纤维间夹有大量不易流动的空气，减少了热量散失。",
        "太阳的热量穿过真空到达地球，依靠的就是热辐射。")),
    ("光的折射", "物理", (
        "光从一种介质斜射入另一种介质时，传播方向一般会发生偏折，这种现象叫做光的折射。",
        "光从空气斜射入水或玻璃中时，折射角小于入射角；光垂直射向界面时，传播方向不变。",
        "插入水中的筷子看起来向上弯折，池水看起来比实际的浅，都是光的折射造成的。",
        "凸透镜和凹透镜利用折射改变光的传播路径，照相机、投影仪、放大镜和眼镜都离不开透镜。",
        "白光经过三棱镜后分解成各种颜色的光，这种现象叫光的色散，雨后的彩虹就是阳光被空气中的小水滴色散形成的。")),
    ("声音", "物理", (
        "声音是由物体的振动产生的，振动停止，发声也随之停止。",
        "声音的传播需要介质，固体、液体和气体都能传声，真空不能传声；在15℃的空气中，声速约为340米每秒。",
        "声音的特性包括音调、响度和音色：音调由振动频率决定，响度与振幅有关，音色取决于发声体的材料和结构。",
        "人耳能听到的声音频率范围大约在20赫兹到20000赫兹之间，高于这一范围的是超声波，低于这一范围的是次声波。",
        "控制噪声可以从声源处、传播过程中和人耳处三个环节入手。")),
    ("静电", "物理", (
        "静电是指处于静止状态的电荷，用摩擦的方法使物体带电叫做摩擦起电。",
        "同种电荷相互排斥，异种电荷相互吸引；用丝绸摩擦过的玻璃棒带正电，用毛皮摩擦过的橡胶棒带负电。",
        "干燥的冬季脱毛衣时听到的噼啪声，手碰到金属门把手时的刺痛感，都是静电放电的结果。",
        "在加油站、面粉厂等场所，静电放电可能引燃可燃气体或粉尘，因此油罐车尾部常拖一条铁链，让电荷通过接地导走。",
        "静电也可以被利用，静电除尘、静电喷涂和复印机都应用了静电原理。")),
    ("杠杆", "物理", (
        "在力的作用下能绕着固定点转动的硬棒叫做杠杆，这个固定点称为支点。",
        "杠杆的平衡条件是动力乘以动力臂等于阻力乘以阻力臂。",
        "动力臂大于阻力臂的是省力杠杆，如撬棒、开瓶器；动力臂小于阻力臂的是费力杠杆，如筷子、镊子，但可以省距离。",
        "天平是典型的等臂杠杆，既不省力也不费力。",
        "古希腊的阿基米德曾说过，给他一个支点，他就能撬动地球，形象地说明了杠杆省力的道理。")),
    ("比热容", "物理", (
        "比热容是单位质量的某种物质温度升高1℃所吸收的热量，是物质的一种特性。",
        "水的比热容较大，约为4.2×10³焦每千克摄氏度，因此相同质量的水和沙石吸收相同热量时，水的温度变化较小。",
        "沿海地区昼夜温差比内陆地区小，就是因为海水的比热容大。",
        "汽车发动机用水作冷却剂、北方冬季暖气用水作传热介质，都利用了水比热容大的特点。",
        "不同物质的比热容一般不同，可以用来粗略鉴别物质。")),
    ("大气压强", "物理", (
        "大气对浸在其中的物体产生的压强叫做大气压强，简称大气压。",
        "1654年，德国马德堡市长格里克做了著名的马德堡半球实验，有力地证明了大气压的存在。",
        "意大利科学家托里拆利最早测出了大气压的数值，一个标准大气压约等于760毫米水银柱产生的压强。",
        "大气压随海拔升高而减小，高原地区水的沸点低于100℃，因此需要使用高压锅煮饭。",
        "用吸管喝饮料、钢笔吸墨水、吸盘挂钩贴在墙上，都是大气压作用的结果。")),
    ("氢", "化学元素", (
        "氢是元素周期表中的第1号元素，元素符号为H，是最轻的元素，也是宇宙中含量最多的元素。",
        "常温常压下氢气是无色无味的气体，密度约为空气的十四分之一，极易燃烧，与空气混合达到一定比例时遇明火会发生爆炸。",
        "氢气在氧气中燃烧只生成水，热值高、无污染，被视为清洁能源。",
        "工业上氢气大量用于合成氨、石油加氢精制，也用于燃料电池汽车。",
        "氢有氕、氘、氚三种同位素，其中氘和氚是核聚变研究的重要原料。")),
    ("氦", "化学元素", (
        "氦是第2号元素，元素符号为He，属于稀有气体，化学性质极不活泼。",
        "氦是除氢以外密度最小的气体，而且不会燃烧，常用于填充气球和飞艇。",
        "液氦的沸点极低，是获得超低温的重要冷却剂，医院核磁共振设备的超导磁体就需要液氦冷却。",
        "氦最早是在太阳光谱中被发现的，其名称来源于希腊语中的“太阳”一词。",
        "深海潜水时，潜水员呼吸的混合气体中常用氦代替部分氮，以减轻氮麻醉。")),
    ("碳", "化学元素", (
        "碳是第6号元素，元素符号为C，是构成有机物的核心元素，一切已知生命都以碳为基础。",
        "碳有多种同素异形体，金刚石是自然界中最硬的物质之一，石墨则质软、能导电，常用作电极和铅笔芯。",
        "二十世纪后期以来，人们又发现了富勒烯、碳纳米管和石墨烯等新型碳材料。",
        "碳在氧气充足时燃烧生成二氧化碳，氧气不足时生成有毒的一氧化碳。",
        "钢中碳的含量决定了钢的硬度和韧性，含碳量越高，钢越硬但越脆。")),
    ("氮", "化学元素", (
        "氮是第7号元素，元素符号为N，氮气约占空气体积的78%。",
        "常温下氮气化学性质不活泼，常用作食品包装、粮食储存和化工生产中的保护气。",
        "氮是植物生长必需的营养元素，工业上用氮气和氢气合成氨，再制成尿素等氮肥。",
        "液氮的温度约为零下196℃，可用于冷冻保存生物样本和医疗冷冻治疗。",
        "豆科植物根部的根瘤菌能够把空气中的氮转化为植物可以吸收的形式，这一过程叫做生物固氮。")),
    ("氧", "化学元素", (
        "氧是第8号元素，元素符号为O，是地壳中含量最多的元素，氧气约占空气体积的21%。",
        "氧气是无色无味的气体，能支持燃烧，也是绝大多数生物呼吸所必需的物质。",
        "在医疗急救、潜水、登山和航空中，常需要补充氧气。",
        "炼钢时向熔融的生铁中吹入氧气，可以除去多余的碳和杂质。",
        "高空中的臭氧层由氧元素组成，能吸收大部分紫外线，保护地面生物。")),
    ("钠", "化学元素", (
        "钠是第11号元素，元素符号为Na，是一种银白色的金属，质地柔软，可以用小刀切割。",
        "钠的化学性质非常活泼，能与水剧烈反应生成氢氧化钠和氢气，因此实验室中把钠保存在煤油里。",
        "钠在自然界中只以化合物的形式存在，最常见的是氯化钠，也就是食盐。",
        "钠离子对维持人体细胞内外的渗透压和神经传导有重要作用。",
        "高压钠灯发出的黄光透雾能力强，曾广泛用于道路照明。")),
    ("铝", "化学元素", (
        "铝是第13号元素，元素符号为Al，是地壳中含量最多的金属元素。",
        "铝的密度较小，约为铁的三分之一，具有良好的导电性、导热性和延展性。",
        "铝在空气中表面会生成一层致密的氧化铝薄膜，阻止内部的铝继续被氧化，因此铝制品比较耐腐蚀。",
        "铝合金强度高、重量轻，广泛用于飞机、高铁车厢、门窗和电子产品外壳。",
        "工业上通常电解熔融的氧化铝来制取铝，生产过程耗电量很大，因此回收利用废铝意义重大。")),
    ("硅", "化学元素", (
        "硅是第14号元素，元素符号为Si，在地壳中的含量仅次于氧。",
        "硅在自然界中主要以二氧化硅和硅酸盐的形式存在，沙子、石英和许多岩石的主要成分都含有硅。",
        "高纯度的单晶硅是最重要的半导体材料，集成电路芯片和大多数太阳能电池都以硅为基础。",
        "二氧化硅是制造玻璃和光导纤维的原料。",
        "有机硅材料具有耐高温、防水等特点，常用于密封胶和医用材料。")),
    ("硫", "化学元素", (
        "硫是第16号元素，元素符号为S，单质硫是淡黄色的晶体，俗称硫黄。",
        "硫在空气中燃烧产生淡蓝色火焰，生成有刺激性气味的二氧化硫。",
        "煤和石油中含有硫，燃烧后排放的二氧化硫是形成酸雨的主要原因之一，因此燃煤电厂需要进行脱硫处理。",
        "硫是制造硫酸的原料，硫酸被称为化学工业之母。",
        "橡胶中加入硫进行硫化处理，可以提高橡胶的弹性和强度。")),
    ("氯", "化学元素", (
        "氯是第17号元素，元素符号为Cl，氯气是一种黄绿色、有强烈刺激性气味的有毒气体。",
        "氯气溶于水生成的次氯酸具有强氧化性，能杀菌消毒，因此被广泛用于自来水消毒。",
        "氯是重要的化工原料，可用于生产盐酸、漂白剂和聚氯乙烯塑料。",
        "氯在自然界中以氯化物的形式存在，海水中含有大量的氯化钠。",
        "氯气泄漏时应向上风方向撤离，并用湿毛巾捂住口鼻。")),
    ("铁", "化学元素", (
        "铁是第26号元素，元素符号为Fe，是人类使用最广泛的金属。",
        "纯铁是银白色的，具有良好的延展性，能被磁铁吸引。",
        "铁在潮湿的空气中容易生锈，铁锈的主要成分是氧化铁，涂漆、镀锌和制成不锈钢都是常用的防锈方法。",
        "生铁和钢都是铁碳合金，钢的含碳量较低，韧性更好。",
        "铁是人体必需的微量元素，血红蛋白中的铁负责运输氧气，缺铁会引起贫血。")),
    ("铜", "化学元素", (
        "铜是第29号元素，元素符号为Cu，是一种紫红色的金属。",
        "铜的导电性和导热性都很好，仅次于银，因此被大量用于制造电线、电缆和散热器。",
        "铜与锡的合金叫青铜，我国商周时期的青铜器工艺水平很高，司母戊鼎是其中的代表。",
        "铜在潮湿空气中会生成绿色的铜锈，俗称铜绿。",
        "铜与锌的合金叫黄铜，常用于制造阀门、管件和乐器。")),
    ("金", "化学元素", (
        "金是第79号元素，元素符号为Au，是一种具有黄色光泽的贵金属。",
        "金的化学性质非常稳定，在空气中不会被氧化，俗话说“真金不怕火炼”。",
        "金的延展性极好，一克金可以拉成很长的细丝，也可以捶打成极薄的金箔。",
        "金除用于首饰和货币储备外，还因导电稳定而用于电子元件的接点镀层。",
        "纯金较软，首饰常使用金与其他金属的合金，并用K金表示含金量。")),
    ("汞", "化学元素", (
        "汞是第80号元素，元素符号为Hg，俗称水银，是常温下唯一呈液态的金属。",
        "汞易挥发，汞蒸气有毒，长期吸入会损害神经系统和肾脏。",
        "汞曾被广泛用于温度计、血压计和荧光灯，目前许多国家正在逐步淘汰含汞产品。",
        "体温计打碎后，应开窗通风，用湿润的棉签或胶带收集汞珠，不能用吸尘器清理。",
        "汞能溶解金、银等金属形成汞齐，历史上曾用于提炼黄金和镀金。")),
    ("铅", "化学元素", (
        "铅是第82号元素，元素符号为Pb，是一种密度大、质地柔软的蓝灰色金属。",
        "铅的主要用途是制造铅酸蓄电池，汽车启动电源和不间断电源中大量使用这类电池。",
        "铅能有效阻挡X射线，医院放射科的防护门和防护服中常含有铅。",
        "铅及其化合物有毒，会损害儿童的神经发育，汽油无铅化就是为了减少铅污染。",
        "废旧铅酸蓄电池必须交给有资质的单位回收处理。")),
    ("长江", "地理", (
        "长江是中国第一长河，全长约6300公里，长度位居世界第三。",
        "长江发源于青藏高原唐古拉山脉主峰各拉丹冬雪山的西南侧，自西向东流经多个省级行政区，最后在上海注入东海。",
        "长江流域面积广阔，水量丰沛，是我国水资源最丰富的河流，干支流通航里程很长，有“黄金水道”之称。",
        "长江三峡由瞿塘峡、巫峡和西陵峡组成，三峡水利枢纽工程具有防洪、发电和航运等综合效益。",
        "长江中下游平原地势低平，河湖众多，是我国重要的粮食产区。")),
    ("黄河", "地理", (
        "黄河是中国第二长河，全长约5464公里，被称为中华民族的母亲河。",
        "黄河发源于青海省巴颜喀拉山脉北麓，呈“几”字形流经九个省区，最后在山东注入渤海。",
        "黄河中游流经黄土高原，大量泥沙随水流下，使黄河成为世界上含沙量最大的河流之一。",
        "由于泥沙淤积，黄河下游河床高出两岸地面，形成了著名的“地上河”。",
        "近年来，通过植树种草、修建淤地坝等措施，黄河流域的水土流失状况明显改善。")),
    ("珠江", "地理", (
        "珠江是中国南方最大的河流，由西江、北江、东江和珠江三角洲诸河汇聚而成。",
        "珠江流域地处亚热带，降水丰富，年径流量在全国河流中仅次于长江。",
        "珠江经八大口门注入南海，入海口附近形成了广阔的珠江三角洲。",
        "珠江三角洲河网密布，土地肥沃，是我国经济最发达的地区之一。",
        "珠江水系航运便利，西江被称为“黄金水道”的重要组成部分。")),
    ("秦岭—淮河一线", "地理", (
        "秦岭—淮河一线是中国东部地区一条重要的地理分界线。",
        "这条线大致与一月0℃等温线和800毫米年等降水量线重合。",
        "线以北为暖温带，河流冬季有结冰期，农业以旱地为主，主要种植小麦；线以南为亚热带，河流不结冰，农业以水田为主，主要种植水稻。",
        "秦岭山地阻挡了冬季南下的冷空气，也阻挡了夏季北上的暖湿气流，使南北两侧的气候差异明显。",
        "淮河发源于河南省桐柏山，流经河南、安徽、江苏等省。")),
    ("青海湖", "地理", (
        "青海湖位于青海省东北部，是中国面积最大的内陆湖，也是最大的咸水湖。",
        "青海湖湖面海拔约3200米，四周被群山环抱，湖水呈蓝色，景色壮美。",
        "湖中的鸟岛是多种候鸟的繁殖地，每年春夏之交，斑头雁、鸬鹚等鸟类在此栖息。",
        "青海湖特有的裸鲤俗称湟鱼，生长缓慢，是国家重点保护的水生动物。",
        "环青海湖地区是重要的牧区，也是著名的自行车赛事举办地。")),
    ("鄱阳湖", "地理", (
        "鄱阳湖位于江西省北部，是中国最大的淡水湖。",
        "鄱阳湖承纳赣江、抚河、信江、饶河、修河等河流来水，经湖口注入长江。",
        "鄱阳湖水位季节变化很大，丰水期湖面辽阔，枯水期则露出大片草洲，有“洪水一片，枯水一线”之说。",
        "每年冬季，大量白鹤、鸿雁等候鸟来到鄱阳湖越冬，这里是世界重要的候鸟越冬地之一。",
        "鄱阳湖对调蓄长江洪水、维护区域生态平衡具有重要作用。")),
    ("太湖", "地理", (
        "太湖位于江苏省南部和浙江省北部交界处，是中国五大淡水湖之一。",
        "太湖湖岸曲折，湖中岛屿众多，周边分布着苏州、无锡、湖州等城市。",
        "太湖地区气候温和，物产丰富，自古就是著名的鱼米之乡。",
        "太湖石以“瘦、皱、漏、透”著称，是江南古典园林中常用的造景石材。",
        "近年来通过控源截污、生态清淤等措施，太湖水质总体有所好转。")),
    ("珠穆朗玛峰", "地理", (
        "珠穆朗玛峰是喜马拉雅山脉的主峰，也是世界最高峰，位于中国与尼泊尔边界上。",
        "2020年，中国和尼泊尔共同宣布珠穆朗玛峰的最新高程为8848.86米。",
        "珠峰峰顶终年积雪，山上分布着大量冰川，气候寒冷，空气稀薄。",
        "珠峰地区是研究板块运动和高原隆升的重要区域，其岩层中曾发现海洋生物化石。",
        "登山者一般选择在春季天气相对稳定的窗口期冲顶。")),
    ("泰山", "地理", (
        "泰山位于山东省中部，古称岱山，是五岳中的东岳，被誉为“五岳之首”。",
        "泰山主峰玉皇顶海拔约1545米，虽然不算太高，但拔地而起，气势雄伟。",
        "历史上许多帝王曾到泰山举行封禅大典，山上留下了大量摩崖石刻和古建筑。",
        "泰山日出、云海玉盘、晚霞夕照等是著名的自然景观。",
        "1987年，泰山被列入世界文化与自然双重遗产名录。")),
    ("黄山", "地理", (
        "黄山位于安徽省南部，以奇松、怪石、云海、温泉“四绝”闻名于世。",
        "黄山的山体主要由花岗岩构成，经过长期的风化和侵蚀，形成了峰林、石柱等奇特地貌。",
        "迎客松生长在玉屏楼附近的岩石缝中，是黄山的标志性景观。",
        "明代旅行家徐霞客曾两次游览黄山，并留下了详细的游记。",
        "1990年，黄山被列入世界文化与自然双重遗产名录。")),
    ("塔克拉玛干沙漠", "地理", (
        "塔克拉玛干沙漠位于新疆塔里木盆地中部，是中国面积最大的沙漠，也是世界著名的流动沙漠之一。",
        "沙漠地区降水稀少，蒸发强烈，昼夜温差很大，常有大风和沙尘天气。",
        "沙漠边缘分布着依靠高山冰雪融水灌溉的绿洲，塔里木河沿岸生长着大片胡杨林。",
        "塔里木沙漠公路穿越沙漠腹地，道路两侧种植了草方格和防护林，以阻挡流沙。",
        "沙漠地下蕴藏着丰富的石油和天然气资源。")),
    ("青藏高原", "地理", (
        "青藏高原是中国最大、世界海拔最高的高原，平均海拔在4000米以上，被称为“世界屋脊”。",
        "高原上雪山连绵，冰川广布，是长江、黄河、澜沧江等大河的发源地，有“亚洲水塔”之称。",
        "高原气候寒冷，空气稀薄，太阳辐射强，日照时间长。",
        "青藏铁路是世界上海拔最高、线路最长的高原铁路，解决了多年冻土等工程难题。",
        "高原上生活着藏羚羊、野牦牛等珍稀动物。")),
    ("四川盆地", "地理", (
        "四川盆地位于中国西南部，四周被高山和高原环绕，是中国四大盆地之一。",
        "盆地内广泛分布着紫红色的砂岩和泥岩，风化后形成紫色土，因此又称“紫色盆地”。",
        "盆地西部的成都平原土地肥沃，得益于都江堰水利工程的灌溉，自古被称为“天府之国”。",
        "四川盆地冬季温和，夏季湿热，多云雾，日照较少。",
        "盆地内天然气资源丰富，是我国重要的天然气产区。")),
    ("长白山", "地理", (
        "长白山位于吉林省东南部，是中国东北地区的最高山。",
        "长白山是一座休眠火山，山顶的天池是火山口积水形成的湖泊，也是松花江、图们江、鸭绿江的发源地。",
        "长白山植被随海拔升高呈明显的垂直分布，依次为针阔混交林、针叶林、岳桦林和高山苔原。",
        "长白山自然保护区是东北虎、梅花鹿等珍稀动物的栖息地。",
        "冬季的长白山积雪深厚，是重要的冰雪运动区域。")),
    ("黄土高原", "地理", (
        "黄土高原位于中国中部偏北，是世界上面积最大的黄土堆积区。",
        "黄土颗粒细小，土质疏松，植被遭到破坏后极易被流水侵蚀，形成千沟万壑的地表形态。",
        "黄土高原是我国水土流失最严重的地区之一，大量泥沙进入黄河。",
        "当地居民利用黄土直立性好的特点挖掘窑洞居住，窑洞冬暖夏凉。",
        "通过退耕还林还草和修筑梯田，黄土高原的植被覆盖率显著提高。")),
    ("造纸术", "历史", (
        "造纸术是中国古代四大发明之一。",
        "考古发现表明，西汉时期已经出现了早期的植物纤维纸，东汉时蔡伦总结经验，改进了造纸工艺。",
        "蔡伦采用树皮、麻头、破布和旧渔网等原料，经过浸泡、捣碎、抄造、晾干等工序制成纸张，降低了成本，提高了质量。",
        "纸张逐渐取代竹简和缣帛，成为主要的书写材料，极大地促进了文化的传播。",
        "造纸术后来经中亚传入阿拉伯地区，又传到欧洲，对世界文明产生了深远影响。")),
    ("活字印刷术", "历史", (
        "活字印刷术是中国古代四大发明之一，由北宋平民毕昇发明。",
        "据北宋沈括的《梦溪笔谈》记载，毕昇用胶泥刻字，每字一印，用火烧硬后成为泥活字。",
        "印刷时把活字排在铁板上，用松脂、蜡等固定，印完后再把活字拆下，可以重复使用。",
        "与雕版印刷相比，活字印刷省时省料，大大提高了印书效率。",
        "后来人们又发明了木活字、铜活字等，活字印刷术也逐渐传播到其他国家。")),
    ("指南针", "历史", (
        "指南针是中国古代四大发明之一，是利用磁石指极性制成的指示方向的仪器。",
        "战国时期，人们已经用天然磁石制成了“司南”，其形状像一把勺子，放在光滑的底盘上，勺柄指向南方。",
        "北宋时期，人们掌握了人工磁化的方法，制成了指南鱼和指南针，并开始将其用于航海。",
        "沈括在《梦溪笔谈》中记载了磁针指向略偏东南的现象，即磁偏角。",
        "指南针的应用为后来的远洋航行提供了重要条件。")),
    ("火药", "历史", (
        "火药是中国古代四大发明之一，起源于古代炼丹家的实践。",
        "黑火药由硝石、硫黄和木炭按一定比例混合而成，点燃后迅速燃烧并产生大量气体。",
        "唐代文献中已有关于火药配方的记载，到了宋代，火药开始大量用于军事，出现了火箭、火炮等武器。",
        "火药也被用于制作烟花爆竹，成为节日庆典的重要组成部分。",
        "火药经阿拉伯传入欧洲，对世界军事和采矿技术产生了重大影响。")),
    ("都江堰", "历史", (
        "都江堰位于四川省成都市都江堰市，是战国时期秦国蜀郡太守李冰主持修建的大型水利工程。",
        "都江堰主要由鱼嘴分水堤、飞沙堰溢洪道和宝瓶口进水口三部分组成，巧妙地利用地形实现了分水、排沙和引水。",
        "工程建成后，成都平原从此水旱从人，成为沃野千里的“天府之国”。",
        "两千多年来，都江堰一直在发挥作用，是世界上年代久远、仍在使用的无坝引水工程。",
        "2000年，都江堰与青城山一起被列入世界文化遗产名录。")),
    ("京杭大运河", "历史", (
        "京杭大运河北起北京，南到浙江杭州，是世界上开凿最早、里程最长的人工运河之一。",
        "春秋时期吴国开凿的邗沟是运河最早的河段，隋朝时大规模开凿并贯通了以洛阳为中心的运河体系。",
        "元朝定都北京后，对运河进行了截弯取直，形成了今天京杭大运河的基本走向。",
        "大运河沟通了海河、黄河、淮河、长江和钱塘江五大水系，对古代南北经济文化交流起了重要作用。",
        "2014年，中国大运河被列入世界文化遗产名录。")),
    ("丝绸之路", "历史", (
        "丝绸之路是古代连接中国与亚洲、非洲、欧洲的陆上商贸通道，因运输的商品中丝绸最具代表性而得名。",
        "西汉时，张骞奉命出使西域，打通了中原与西域的交通，为丝绸之路的形成奠定了基础。",
        "丝绸之路以长安为起点，经河西走廊进入新疆，再向西延伸到中亚、西亚和地中海沿岸。",
        "通过这条道路，丝绸、瓷器、茶叶向西传播，葡萄、苜蓿、胡椒等物产以及多种宗教和艺术传入中国。",
        "2014年，“丝绸之路：长安—天山廊道的路网”被列入世界文化遗产名录。")),
    ("郑和下西洋", "历史", (
        "郑和下西洋是明朝初年的大规模远洋航海活动。",
        "从1405年到1433年，郑和率领庞大的船队先后七次远航，到达东南亚、南亚、西亚和非洲东海岸的许多国家和地区。",
        "船队中最大的宝船长达数十丈，船员总数达两万多人，展示了当时中国先进的造船和航海技术。",
        "郑和的船队带去了丝绸、瓷器等物品，加强了中国与沿途各国的经济文化交流。",
        "郑和下西洋比欧洲航海家的远洋航行早了半个多世纪。")),
    ("赵州桥", "历史", (
        "赵州桥又名安济桥，位于河北省赵县，由隋朝工匠李春设计建造。",
        "赵州桥是世界上现存年代最早、保存最完整的单孔敞肩石拱桥。",
        "大拱两肩各有两个小拱，既减轻了桥身重量、节省了石料，又便于洪水宣泄，减少水流对桥身的冲击。",
        "赵州桥历经一千四百多年，经受了多次洪水和地震，至今仍然屹立。",
        "它的敞肩拱设计比欧洲类似的桥梁早了许多个世纪。")),
    ("万里长城", "历史", (
        "长城是中国古代规模最大的军事防御工程，被称为“万里长城”。",
        "长城的修筑始于春秋战国时期，秦统一六国后，把原来各国的长城连接起来并加以扩建。",
        "今天人们看到的长城大多是明朝修建的，东起辽宁丹东虎山，西至甘肃嘉峪关。",
        "长城由城墙、关隘、敌楼、烽火台等组成，形成了完整的防御体系。",
        "1987年，长城被列入世界文化遗产名录。")),
    ("第一次工业革命", "历史", (
        "第一次工业革命是18世纪60年代从英国开始的一场技术革命，以机器生产逐步取代手工劳动为主要标志。",
        "工业革命首先在棉纺织业中兴起，珍妮纺纱机等新机器大大提高了纺纱效率。",
        "瓦特改良了蒸汽机，使其成为可以广泛应用的动力机械，人类由此进入“蒸汽时代”。",
        "蒸汽机被用于火车和轮船后，交通运输业发生了巨大变化。",
        "工业革命推动了城市化进程，也带来了环境污染和劳工问题。")),
    ("第二次工业革命", "历史", (
        "第二次工业革命开始于19世纪70年代，以电力的广泛应用为主要标志，人类进入“电气时代”。",
        "发电机和电动机的发明，使电力成为新的动力；电灯、电话相继问世并走进人们的生活。",
        "内燃机的发明推动了汽车和飞机的出现，也带动了石油开采和石油化工的发展。",
        "这一时期，科学技术与工业生产的结合更加紧密，化学工业和钢铁工业迅速发展。",
        "第二次工业革命在多个国家同时展开，企业规模不断扩大。")),
    ("秦统一度量衡", "历史", (
        "公元前221年，秦王嬴政灭六国，建立了中国历史上第一个统一的中央集权国家，自称始皇帝。",
        "统一之前，各国的货币、度量衡和文字差别很大，给经济文化交流带来很大不便。",
        "秦始皇下令以秦国的标准统一度量衡，并把标准器发放到各地，作为校准的依据。",
        "与此同时，秦朝还统一了货币，以圆形方孔的半两钱作为通行货币，并以小篆作为规范文字。",
        "这些措施促进了各地经济文化的交流，对巩固国家统一产生了深远影响。")),
    ("地动仪", "历史", (
        "地动仪是东汉科学家张衡在132年制成的测报地震方位的仪器，史称候风地动仪。",
        "据史书记载，地动仪用精铜铸成，形似酒樽，外面有八条龙，龙口各含一颗铜珠，下面对应八只张口的蟾蜍。",
        "哪个方向发生地震，那个方向龙口中的铜珠就会落入蟾蜍口中，从而知道地震的方向。",
        "史书记载，地动仪曾准确测知了陇西发生的一次地震。",
        "张衡还制作了浑天仪，并在天文学和数学方面有很多成就。")),
    ("能量守恒定律", "物理", (
        "能量守恒定律指出，能量既不会凭空产生，也不会凭空消失，只能从一种形式转化为另一种形式，或者从一个物体转移到另一个物体。",
        "在转化和转移的过程中，能量的总量保持不变，这是自然界最普遍的基本规律之一。",
        "十九世纪中叶，迈尔、焦耳、亥姆霍兹等科学家从不同角度独立提出并论证了这一定律。",
        "水力发电把水的机械能转化为电能，电动机把电能转化为机械能，燃料燃烧把化学能转化为内能。",
        "根据能量守恒定律，不消耗能量却能源源不断对外做功的“永动机”是不可能制成的。")),
    ("光的反射", "物理", (
        "光射到物体表面时，有一部分光会被物体表面反射回去，这种现象叫做光的反射。",
        "光的反射遵循反射定律：反射光线、入射光线和法线在同一平面内，反射角等于入射角。",
        "平行光射到光滑表面上发生镜面反射，射到粗糙表面上则发生漫反射，我们能从各个方向看到不发光的物体，就是因为漫反射。",
        "平面镜成的是正立、等大的虚像，像与物体关于镜面对称。",
        "汽车后视镜使用凸面镜以扩大视野，手电筒和汽车前灯则利用凹面镜把光汇聚成平行光束。")),
    ("钙", "化学元素", (
        "钙是第20号元素，元素符号为Ca，是一种银白色的碱土金属。",
        "钙的化学性质活泼，在自然界中以化合物形式存在，石灰石、大理石和石膏的主要成分都含有钙。",
        "钙是人体内含量最多的金属元素，骨骼和牙齿的主要成分是含钙的化合物。",
        "青少年缺钙可能影响骨骼发育，老年人缺钙则容易发生骨质疏松。",
        "生石灰与水反应生成熟石灰并放出大量热，熟石灰可用于改良酸性土壤和配制建筑砂浆。")),
    ("锌", "化学元素", (
        "锌是第30号元素，元素符号为Zn，是一种略带蓝色的银白色金属。",
        "锌在空气中表面会生成一层保护膜，因此常把锌镀在钢铁表面以防止锈蚀，这种钢材叫镀锌钢。",
        "锌与铜组成的合金称为黄铜，广泛用于制造阀门和装饰品。",
        "锌是人体必需的微量元素，对生长发育和免疫功能有重要作用。",
        "常见的干电池以锌筒作为负极。")),
    ("海南岛", "地理", (
        "海南岛位于中国南部海域，是中国的第二大岛。",
        "海南岛属于热带季风气候，全年高温，雨量充沛，夏秋季节常受台风影响。",
        "岛上中部山地较高，五指山是岛上的著名山峰，四周逐渐降低为丘陵、台地和平原。",
        "海南岛盛产椰子、橡胶、胡椒等热带作物，也是我国重要的冬季瓜菜生产基地。",
        "海南岛沿海沙滩洁白、海水清澈，热带海岛风光吸引了大量游客。")),
    ("天山", "地理", (
        "天山是横贯中国新疆中部、西端延伸至中亚的巨大山系。",
        "天山把新疆分为南北两部分，北面是准噶尔盆地，南面是塔里木盆地。",
        "天山高处分布着大量冰川和积雪，冰雪融水是山麓绿洲农业的重要水源，因此天山被称为“固体水库”。",
        "天山山地植被垂直分布明显，从山麓荒漠到山地草原、针叶林，再到高山草甸和冰雪带。",
        "2013年，新疆天山被列入世界自然遗产名录。")),
    ("三江源", "地理", (
        "三江源位于青海省南部，是长江、黄河和澜沧江的源头汇水区，被誉为“中华水塔”。",
        "这里平均海拔在4000米以上，分布着大量雪山、冰川、湖泊和沼泽湿地。",
        "三江源地区每年向下游输送大量清洁的水资源，对我国乃至亚洲的水安全十分重要。",
        "由于气候变化和过度放牧，这里曾一度出现草场退化和湿地萎缩等问题。",
        "2021年，三江源国家公园正式设立，生态保护进入新阶段。")),
    ("朱鹮", "生物", (
        "朱鹮是一种中型涉禽，羽毛白中带粉，脸部皮肤呈朱红色，被誉为“东方宝石”。",
        "朱鹮曾广泛分布于东亚地区，二十世纪中期后数量急剧减少，一度被认为在野外已经灭绝。",
        "1981年，科研人员在陕西洋县发现了仅存的七只野生朱鹮，由此开始了艰苦的保护工作。",
        "经过数十年的就地保护和人工繁育，朱鹮种群数量已大幅增长。",
        "朱鹮喜欢在水田、沼泽和溪流附近觅食，保护稻田湿地对它的生存至关重要。")),
    ("藏羚羊", "生物", (
        "藏羚羊是青藏高原特有的有蹄类动物，是国家一级保护野生动物。",
        "藏羚羊体形轻捷，善于奔跑，雄性头上长着一对细长而笔直的角。",
        "每年夏季，大批雌性藏羚羊会长途迁徙到可可西里等地产仔，随后再带着幼仔返回越冬地。",
        "藏羚羊的绒毛极为细软，过去曾遭到严重的非法盗猎。",
        "通过设立自然保护区和严厉打击盗猎，藏羚羊种群已明显恢复。")),
    ("红树林", "生物", (
        "红树林是生长在热带和亚热带海岸潮间带的木本植物群落。",
        "红树林植物具有发达的支柱根和呼吸根，能够适应海水浸泡和缺氧的淤泥环境。",
        "有些红树植物的种子在母树上就开始萌发，形成胎生苗，落下后能迅速扎根。",
        "红树林能防风消浪、护堤固岸，还为鱼类、贝类和鸟类提供了栖息场所，被称为“海岸卫士”。",
        "我国的红树林主要分布在广东、广西、海南和福建等省区的沿海地区。")),
    ("科举制度", "历史", (
        "科举制度是中国古代通过分科考试选拔官员的制度。",
        "科举制度创立于隋朝，唐朝进一步完善，宋朝以后成为选拔官员的主要途径。",
        "明清时期的科举考试分为院试、乡试、会试和殿试等级别，殿试第一名称为状元。",
        "科举制度打破了门第限制，使出身普通的读书人有机会进入仕途。",
        "1905年，清政府宣布废除科举制度，这一延续了一千三百多年的制度从此退出历史舞台。")),
    ("敦煌莫高窟", "历史", (
        "莫高窟位于甘肃省敦煌市，俗称千佛洞，是世界上现存规模最大、内容最丰富的佛教艺术宝库之一。",
        "莫高窟始建于十六国时期，此后历经多个朝代不断开凿，现存洞窟七百余个。",
        "洞窟中保存着大量精美的壁画和彩塑，其中飞天形象尤为著名。",
        "二十世纪初，藏经洞中发现了数万件古代文书和艺术品，由此形成了一门国际性学问——敦煌学。",
        "1987年，莫高窟被列入世界文化遗产名录。")),
    ("天工开物", "历史", (
        "《天工开物》是明代科学家宋应星所著的一部综合性科学技术著作，刊行于1637年。",
        "全书记载了农业和手工业的多种生产技术，包括谷物种植、纺织、制盐、制糖、陶瓷、冶铸、造纸、采矿和兵器制造等。",
        "书中配有大量插图，详细描绘了各种工具和生产过程，具有很高的史料价值。",
        "《天工开物》被誉为“中国十七世纪的工艺百科全书”，后来传到日本和欧洲。",
        "这部著作反映了明代后期手工业和农业生产的较高水平。")),
    ("可编程逻辑控制器", "技术", (
        "可编程逻辑控制器简称PLC，是一种专为工业环境设计的数字运算控制装置。",
        "PLC最早出现于二十世纪六十年代末，用来取代汽车生产线上复杂的继电器控制柜。",
        "PLC通过输入模块采集按钮、传感器等信号，按照用户编写的程序进行运算，再通过输出模块控制电机、阀门等执行机构。",
        "PLC具有可靠性高、抗干扰能力强、编程简单、扩展方便等优点。",
        "在自动化生产线、楼宇控制和水处理等领域，PLC都得到了广泛应用。")),
    ("大熊猫", "生物", (
        "大熊猫是中国特有的珍稀哺乳动物，被誉为“国宝”。",
        "大熊猫体形肥壮，毛色黑白相间，眼周、耳朵和四肢是黑色的。",
        "野生大熊猫主要分布在四川、陕西和甘肃的山区竹林中，食物以竹子为主。",
        "大熊猫繁殖能力较低，幼仔出生时体重只有一百多克。",
        "经过多年保护，野生大熊猫数量稳步增长，其受威胁等级已由“濒危”调整为“易危”。")),
    ("银杏", "生物", (
        "银杏是现存最古老的裸子植物之一，被称为植物界的“活化石”。",
        "银杏的叶子呈扇形，叶脉为二叉分枝，秋季叶片变为金黄色，观赏价值很高。",
        "银杏雌雄异株，雌株结出的种子俗称白果，外种皮有特殊气味。",
        "银杏树寿命很长，我国许多地方都有树龄上千年的古银杏。",
        "银杏对烟尘和病虫害有较强的抵抗力，常被用作行道树。")),
    ("丹顶鹤", "生物", (
        "丹顶鹤是一种大型涉禽，因头顶有一块裸露的红色皮肤而得名。",
        "丹顶鹤全身羽毛大部分为白色，颈部和飞羽后端为黑色，体态优雅。",
        "丹顶鹤在我国东北的扎龙等湿地繁殖，冬季迁徙到江苏盐城等沿海滩涂越冬。",
        "丹顶鹤是国家一级保护野生动物，湿地的减少是它面临的主要威胁。",
        "在中国传统文化中，丹顶鹤象征着长寿和吉祥。")),
    ("扬子鳄", "生物", (
        "扬子鳄是中国特有的鳄类，主要分布在长江中下游地区，是国家一级保护野生动物。",
        "扬子鳄体长一般不到两米，性情较为温和，很少主动攻击人。",
        "扬子鳄喜欢栖息在湖泊、池塘边的洞穴中，冬季会进入洞穴冬眠。",
        "扬子鳄是现存最古老的爬行动物之一，对研究古代爬行动物有重要价值。",
        "安徽等地建立了扬子鳄繁育中心，人工繁育的个体已开始放归野外。")),
    ("水稻", "生物", (
        "水稻是世界上最重要的粮食作物之一，全球有一半以上的人口以稻米为主食。",
        "中国是栽培稻的起源地之一，浙江等地的考古遗址中发现了距今数千年的炭化稻谷。",
        "水稻喜高温多湿，一般在水田中种植，生长过程包括育秧、插秧、分蘖、抽穗和成熟等阶段。",
        "袁隆平院士带领团队培育的杂交水稻大幅提高了单位面积产量。",
        "我国南方的长江中下游平原、珠江三角洲和东北平原都是重要的水稻产区。")),
    ("茶树", "生物", (
        "茶树是一种常绿灌木或小乔木，原产于中国西南地区。",
        "茶树喜欢温暖湿润的气候和酸性土壤，多种植在丘陵山坡上。",
        "根据加工方法不同，茶叶可以分为绿茶、红茶、乌龙茶、白茶、黄茶和黑茶等类型。",
        "茶叶中含有茶多酚、咖啡碱、氨基酸等成分，适量饮茶有提神作用。",
        "唐代陆羽所著的《茶经》是世界上第一部关于茶的专著。")),
    ("蜜蜂", "生物", (
        "蜜蜂是一种社会性昆虫，一个蜂群通常由一只蜂王、少量雄蜂和大量工蜂组成。",
        "蜂王负责产卵，雄蜂负责与蜂王交配，工蜂则承担采蜜、哺育、筑巢和守卫等工作。",
        "工蜂通过特殊的“舞蹈”向同伴传递蜜源的方向和距离。",
        "蜜蜂在采集花粉和花蜜的同时为植物传粉，对农业生产和生态系统非常重要。",
        "蜂巢由六边形的蜂房组成，这种结构既节省材料又十分坚固。")),
    ("竹子", "生物", (
        "竹子是禾本科竹亚科植物的统称，主要分布在热带和亚热带地区，中国是世界上竹类资源最丰富的国家之一。",
        "竹子生长速度极快，有些种类在生长旺季一天可以长高几十厘米。",
        "竹子茎秆中空有节，质地坚韧，可用于建筑、家具、编织和造纸，竹笋还可以食用。",
        "竹子大多数时间依靠地下茎进行无性繁殖，开花的周期很长。",
        "在中国传统文化中，竹与梅、兰、菊并称“四君子”，象征着正直和气节。")),
    ("中华鲟", "生物", (
        "中华鲟是一种大型洄游性鱼类，是地球上古老的脊椎动物之一，被称为“水中活化石”。",
        "中华鲟平时生活在近海，成熟后洄游到长江上游产卵，幼鱼再顺江而下回到海洋。",
        "中华鲟体形修长，体表有五行骨板，成年个体体长可达数米。",
        "由于栖息地变化等原因，野生中华鲟数量大幅减少，已被列为国家一级保护野生动物。",
        "科研机构通过人工繁殖和放流，努力保护这一珍稀物种。")),
    ("半导体", "技术", (
        "半导体是导电性能介于导体和绝缘体之间的材料，常见的有硅、锗和砷化镓等。",
        "在纯净的半导体中掺入少量杂质，可以显著改变其导电性能，形成N型半导体和P型半导体。",
        "P型和N型半导体结合形成的PN结具有单向导电性，是二极管和晶体管的基础。",
        "把大量晶体管和电路元件集成在一块小小的硅片上，就构成了集成电路，也就是通常所说的芯片。",
        "半导体技术是现代电子信息产业的基石，计算机、手机和家用电器都离不开它。")),
    ("光纤通信", "技术", (
        "光纤通信是以光波为载体、以光导纤维为传输介质的通信方式。",
        "光纤由纤芯和包层组成，光在纤芯与包层的界面上发生全反射，从而沿着光纤向前传播。",
        "华裔科学家高锟提出用高纯度玻璃纤维进行远距离通信的设想，因此获得2009年诺贝尔物理学奖。",
        "与电缆通信相比，光纤通信具有传输容量大、损耗低、抗电磁干扰能力强等优点。",
        "如今，跨洋海底光缆和城市宽带网络都以光纤为主干。")),
    ("锂离子电池", "技术", (
        "锂离子电池是一种可充电电池，依靠锂离子在正极和负极之间往返嵌入和脱出来工作。",
        "充电时锂离子从正极脱出，经过电解质嵌入负极；放电时过程相反。",
        "锂离子电池能量密度高、自放电小、没有记忆效应，广泛用于手机、笔记本电脑和电动汽车。",
        "2019年诺贝尔化学奖授予了在锂离子电池研发方面作出突出贡献的三位科学家。",
        "锂离子电池在过充、挤压或高温条件下可能发生热失控，因此需要配备电池管理系统。")),
    ("太阳能电池", "技术", (
        "太阳能电池是利用光伏效应把光能直接转化为电能的装置。",
        "当阳光照射到半导体PN结上时，会产生电子和空穴，在内部电场作用下形成电流。",
        "目前应用最广泛的是晶体硅太阳能电池，此外还有薄膜电池和钙钛矿电池等新型电池。",
        "太阳能电池发电过程不产生污染，被广泛用于光伏电站、屋顶发电和人造卫星。",
        "光伏发电受天气和昼夜影响较大，常需要与储能系统配合使用。")),
    ("北斗卫星导航系统", "技术", (
        "北斗卫星导航系统是中国自主建设、独立运行的全球卫星导航系统。",
        "北斗系统的建设分三步走，2020年北斗三号全球卫星导航系统正式开通。",
        "北斗系统能够为全球用户提供定位、导航和授时服务，还具有独特的短报文通信功能。",
        "北斗已广泛应用于交通运输、农业、渔业、防灾减灾和电力调度等领域。",
        "智能手机中的定位芯片大多已经支持北斗信号。")),
    ("高速铁路", "技术", (
        "高速铁路通常指设计速度在每小时250公里以上的新建铁路，简称高铁。",
        "2008年，京津城际铁路开通运营，这是中国第一条设计时速350公里的高速铁路。",
        "高速铁路采用无砟轨道、长钢轨和先进的列车控制系统，运行平稳、准点率高。",
        "中国已建成世界上规模最大的高速铁路网，“复兴号”动车组是中国标准动车组的代表。",
        "高铁缩短了城市之间的时空距离，推动了沿线地区的经济发展。")),
    ("变压器", "技术", (
        "变压器是利用电磁感应原理改变交流电压的装置，主要由铁芯和绕在铁芯上的原、副线圈组成。",
        "原、副线圈的电压之比等于它们的匝数之比，因此改变匝数就能升高或降低电压。",
        "远距离输电时，先用升压变压器提高电压，以减小线路上的电能损失，到用户附近再用降压变压器降低电压。",
        "变压器只能改变交流电压，不能改变直流电压。",
        "大型电力变压器运行时会发热，通常浸在变压器油中冷却和绝缘。")),
    ("工业机器人", "技术", (
        "工业机器人是面向工业领域的多关节机械手或多自由度的机器装置，能够按照程序自动完成作业。",
        "工业机器人一般由机械本体、控制器、伺服驱动系统和传感器等部分组成。",
        "焊接、喷涂、搬运、装配和码垛是工业机器人最常见的应用。",
        "工业机器人可以连续工作，动作精度高，能代替人在高温、有毒等恶劣环境中作业。",
        "近年来，能与人近距离协同工作的协作机器人发展迅速。")),
    ("增材制造", "技术", (
        "增材制造俗称3D打印，是一种根据三维模型数据，通过逐层堆积材料来制造实体零件的技术。",
        "与传统的切削加工相比，增材制造不需要模具，可以制造形状非常复杂的零件。",
        "常用的增材制造材料包括塑料、树脂、金属粉末和陶瓷等。",
        "增材制造已应用于航空航天零部件、医疗植入物、建筑模型和个性化产品等领域。",
        "目前增材制造在速度、成本和材料性能方面仍有待进一步提高。")),
)

ENGLISH_NAMES = {
    "压强": "Pressure", "浮力": "Buoyancy", "摩擦力": "Friction", "惯性": "Inertia", "电流": "Electric current",
    "电阻": "Electrical resistance", "电磁感应": "Electromagnetic induction", "热传递": "Heat transfer",
    "光的折射": "Refraction", "声音": "Sound", "静电": "Static electricity", "杠杆": "Lever",
    "比热容": "Specific heat capacity", "大气压强": "Atmospheric pressure", "氢": "Hydrogen", "氦": "Helium",
    "碳": "Carbon", "氮": "Nitrogen", "氧": "Oxygen", "钠": "Sodium", "铝": "Aluminium", "硅": "Silicon",
    "硫": "Sulfur", "氯": "Chlorine", "铁": "Iron", "铜": "Copper", "金": "Gold", "汞": "Mercury", "铅": "Lead",
    "长江": "Yangtze River", "黄河": "Yellow River", "珠江": "Pearl River", "秦岭—淮河一线": "Qinling-Huaihe Line",
    "青海湖": "Qinghai Lake", "鄱阳湖": "Poyang Lake", "太湖": "Taihu Lake", "珠穆朗玛峰": "Mount Qomolangma",
    "泰山": "Mount Tai", "黄山": "Mount Huangshan", "塔克拉玛干沙漠": "Taklimakan Desert",
    "青藏高原": "Qinghai-Tibet Plateau", "四川盆地": "Sichuan Basin", "长白山": "Changbai Mountain",
    "黄土高原": "Loess Plateau", "造纸术": "Papermaking", "活字印刷术": "Movable type printing",
    "指南针": "Compass", "火药": "Gunpowder", "都江堰": "Dujiangyan", "京杭大运河": "Grand Canal",
    "丝绸之路": "Silk Road", "郑和下西洋": "Zheng He's voyages", "赵州桥": "Zhaozhou Bridge",
    "万里长城": "Great Wall", "第一次工业革命": "First Industrial Revolution",
    "第二次工业革命": "Second Industrial Revolution", "秦统一度量衡": "Qin standardisation of measures",
    "地动仪": "Houfeng seismoscope", "大熊猫": "Giant panda", "银杏": "Ginkgo", "丹顶鹤": "Red-crowned crane",
    "扬子鳄": "Chinese alligator", "水稻": "Rice", "茶树": "Tea plant", "蜜蜂": "Honey bee", "竹子": "Bamboo",
    "中华鲟": "Chinese sturgeon", "半导体": "Semiconductor", "光纤通信": "Optical fiber communication",
    "锂离子电池": "Lithium-ion battery", "太阳能电池": "Solar cell", "北斗卫星导航系统": "BeiDou Navigation Satellite System",
    "高速铁路": "High-speed rail", "能量守恒定律": "Law of conservation of energy", "光的反射": "Reflection",
    "钙": "Calcium", "锌": "Zinc", "海南岛": "Hainan Island", "天山": "Tianshan Mountains",
    "三江源": "Three-River Headwaters", "朱鹮": "Crested ibis", "藏羚羊": "Tibetan antelope", "红树林": "Mangrove",
    "科举制度": "Imperial examination", "敦煌莫高窟": "Mogao Caves", "天工开物": "Tiangong Kaiwu",
    "可编程逻辑控制器": "Programmable logic controller", "变压器": "Transformer", "工业机器人": "Industrial robot", "增材制造": "Additive manufacturing",
}

ENCYCLOPEDIA_EXTRA = {  # {t} is the entry's title
    "物理": ("{t}是中学物理课程中的基础内容，也是理解许多工程问题的出发点。",
           "与{t}有关的规律可以通过简单的实验加以验证，学生在实验中能够直观地观察到现象，并学会用控制变量的方法进行探究。",
           "在工程实践中，设计人员需要充分考虑{t}的影响，才能保证机械、建筑和电气设备安全可靠。",
           "日常生活中的许多现象都可以用{t}的知识加以解释，学习时应注意把物理知识与生活实际联系起来。",
           "历史上，人们对{t}的研究经历了从现象观察到定量描述的过程，体现了实验与理论相结合的科学方法。",
           "在国际单位制中，与{t}相关的物理量都有明确的定义和单位，计算时必须统一单位。",
           "理解{t}时，要注意区分相近的物理量，避免把它们混为一谈。",
           "现代测量仪器能够以很高的精度测定与{t}有关的物理量，为科学研究和工业生产提供数据支撑。",
           "许多教材在介绍{t}时，会配合演示实验和生活实例，帮助读者建立直观印象。",
           "在解决实际问题时，通常需要把{t}的规律与能量守恒、力的平衡等基本原理结合起来。"),
    "化学元素": ("在实验室中使用含{t}的试剂时，应遵守相应的安全操作规范，做好个人防护。",
             "{t}的单质和化合物在工农业生产中都有重要用途，相关产业规模很大。",
             "元素周期表按照原子序数排列元素，{t}与同族元素最外层电子数相同，化学性质相似。",
             "人们对{t}的认识经历了漫长的过程，相关研究至今仍在继续。",
             "了解{t}的性质有助于理解物质之间的相互转化，也是学习化学的基础。",
             "{t}在自然界中的分布很不均匀，有的地方富集成矿，有的地方则分散存在于岩石和海水中。",
             "{t}的研究与分析技术的进步密切相关，光谱分析等手段让人们对它的认识更加深入。",
             "在生产和储存含{t}的物质时，应根据其危险特性采取相应的防火、防毒或防腐措施。",
             "{t}与生命活动的关系也受到关注，但任何物质摄入过量都可能对健康造成危害。",
             "对含{t}的废弃物进行回收利用，既能节约资源，又能减少环境污染。"),
    "地理": ("{t}的自然环境独特，每年吸引大量游客前来观光，旅游业已成为当地的重要产业。",
           "{t}的自然地理特征深刻影响着周边居民的生产和生活方式。",
           "近年来，{t}所在地区持续加强生态环境保护，划定了生态保护红线，生态状况不断改善。",
           "{t}是中学地理课程中的重要内容，常与气候、地形和河流知识结合考查。",
           "科研人员在{t}长期开展气候、水文和生态观测，积累了大量宝贵的数据。",
           "历代文人为{t}留下了许多诗词和游记，使它不仅是自然景观，也承载着丰富的人文内涵。",
           "交通条件的改善使{t}与外界的联系日益密切，也给生态保护带来了新的挑战。",
           "{t}一带气候的季节变化明显，不同季节呈现出不同的景观特点。",
           "在全球气候变化背景下，{t}的冰川、湖泊或植被正在发生可以观测到的变化。",
           "合理开发利用{t}的自然资源、实现人与自然和谐共生，是当地发展面临的重要课题。"),
    "历史": ("{t}体现了中国古代劳动人民的智慧和创造力。",
           "与{t}相关的文物和遗址如今已成为重要的历史文化资源，受到国家法律的保护。",
           "历史学家通过文献记载和考古发现，不断加深对{t}的认识，一些传统说法也得到了修正。",
           "{t}对后世的政治、经济和文化都产生了深远影响。",
           "今天，人们仍可以在博物馆中看到与{t}相关的珍贵实物和复原模型。",
           "中学历史教材对{t}有专门介绍，它也是理解相应时代社会面貌的重要线索。",
           "围绕{t}这一主题，各地举办过多次专题展览和学术研讨会。",
           "从世界范围看，{t}与同时期其他文明的成果相互交流、相互影响。",
           "关于{t}的起源和细节，学术界至今仍有不同观点，需要更多的证据加以判断。",
           "{t}所体现的开拓进取精神，至今仍具有重要的现实意义。"),
    "生物": ("保护{t}，首先要保护它赖以生存的栖息环境。",
           "科研人员通过野外调查和长期监测，掌握了{t}分布范围和数量的变化情况。",
           "{t}与人类的生产生活有着密切联系，具有重要的经济价值或文化价值。",
           "在生态系统中，{t}扮演着特定的角色，与其他物种相互依存、相互制约。",
           "公众对{t}的保护意识不断增强，为保护工作创造了良好的社会氛围。",
           "分子生物学研究为了解{t}的起源和演化提供了新的证据。",
           "栖息地破碎化、环境污染和过度利用是{t}等许多物种面临的共同威胁。",
           "对{t}的保护采取了就地保护和迁地保护相结合的方式。",
           "在科普教育中，{t}常被用作介绍生物适应环境的典型例子。",
           "{t}的保护工作需要政府、科研机构和当地社区的共同参与。"),
    "技术": ("{t}的发展离不开材料、电子和信息等多个学科的共同进步。",
           "随着成本下降和性能提升，{t}的应用范围正在不断扩大。",
           "我国在{t}领域的研究和产业化近年来取得了长足进步，部分指标已处于国际前列。",
           "相关国家标准和行业规范对{t}的安全应用提出了明确要求。",
           "业内专家认为，{t}在未来仍有很大的发展空间。",
           "在推广{t}的过程中，人才培养和标准体系建设同样重要。",
           "{t}的普及深刻改变了人们的生产和生活方式。",
           "与{t}相关的专利数量逐年增加，反映出研发活动的活跃程度。",
           "在使用与{t}相关的产品时，用户应按照说明书操作，注意用电和用火安全。",
           "未来，{t}有望与人工智能、物联网等新技术深度融合。"),
}

ENCYCLOPEDIA_CATEGORY = {"物理": "science", "化学元素": "science", "地理": "geography", "历史": "history",
                         "生物": "biology", "技术": "technology"}

ENCYCLOPEDIA_SURVEYS = (
    ("中国古代四大发明", "历史", ("造纸术", "活字印刷术", "指南针", "火药"),
     "中国古代四大发明是指造纸术、印刷术、指南针和火药，它们对中国古代的政治、经济、文化发展产生了巨大的推动作用，"
     "并经由各种途径传到世界各地，对世界文明的发展作出了重要贡献。"),
    ("中国主要河流", "地理", ("长江", "黄河", "珠江", "秦岭—淮河一线"),
     "中国河流众多，流域面积在一千平方公里以上的河流有一千五百多条。受地势西高东低的影响，大多数河流自西向东流入太平洋。"),
    ("中国主要湖泊", "地理", ("青海湖", "鄱阳湖", "太湖"),
     "中国湖泊数量多、类型多样，按成因可分为构造湖、火山口湖、堰塞湖等，按湖水含盐量可分为淡水湖和咸水湖。"),
    ("中国著名山地与高原", "地理", ("珠穆朗玛峰", "泰山", "黄山", "青藏高原", "长白山"),
     "中国地形复杂多样，山区面积广大，地势西高东低，呈三级阶梯状分布。"),
    ("常见金属元素", "化学元素", ("钠", "铝", "铁", "铜", "金"),
     "金属元素约占已知元素的五分之四，大多具有金属光泽，具有良好的导电性、导热性和延展性。"),
    ("古代水利与交通工程", "历史", ("都江堰", "京杭大运河", "赵州桥", "万里长城"),
     "中国古代劳动人民修建了许多规模宏大的工程，其中不少至今仍在使用，是珍贵的世界文化遗产。"),
    ("工业革命", "历史", ("第一次工业革命", "第二次工业革命"),
     "工业革命是人类历史上生产方式的深刻变革，它使机器大生产代替了手工劳动，极大地提高了社会生产力。"),
    ("力学基础概念", "物理", ("压强", "浮力", "摩擦力", "惯性", "杠杆", "大气压强"),
     "力学是研究物体机械运动规律的学科，是物理学中历史最悠久、基础最扎实的分支。"),
    ("电学基础概念", "物理", ("电流", "电阻", "电磁感应", "静电"),
     "电学研究电荷、电流、电场和磁场等现象及其规律，是现代电力和电子技术的理论基础。"),
    ("中国珍稀动植物", "生物", ("大熊猫", "银杏", "丹顶鹤", "扬子鳄", "中华鲟"),
     "中国是世界上生物多样性最丰富的国家之一，有许多特有的珍稀动植物。"),
    ("中国主要地形区", "地理", ("塔克拉玛干沙漠", "四川盆地", "黄土高原", "三江源", "天山", "海南岛"),
     "中国地形多种多样，山地、高原、盆地、平原和丘陵五种基本地形都有分布，而且山区面积约占全国总面积的三分之二。"),
    ("中国古代科技与文化遗产", "历史", ("地动仪", "天工开物", "敦煌莫高窟", "科举制度", "秦统一度量衡"),
     "中国古代在天文、农学、工艺和制度建设等方面取得了许多成就，留下了丰富的文化遗产。"),
    ("常见非金属元素", "化学元素", ("氢", "氦", "碳", "氮", "氧", "硅", "硫", "氯"),
     "非金属元素数量虽然不多，但在地壳、大气、海洋和生物体中广泛存在，是构成生命和众多材料的基础。"),
    ("光学与热学基础", "物理", ("光的折射", "光的反射", "热传递", "比热容", "声音", "能量守恒定律"),
     "光学、声学和热学研究的现象与日常生活关系密切，是物理学入门的重要内容。"),
    ("新能源与信息技术", "技术", ("半导体", "光纤通信", "锂离子电池", "太阳能电池", "北斗卫星导航系统"),
     "新能源与信息技术是当今发展最快的技术领域，正在深刻改变能源结构和社会生活。"),
)

_BY_TITLE = {title: (topic, facts) for title, topic, facts in ENCYCLOPEDIA}


INFOBOX_FORMS = ("中文名：{title}，外文名：{english}，所属类别：{topic}", "{title}（{english}），{topic}条目",
                 "【{title}】外文名：{english}，分类：{topic}")
SURVEY_JOINERS = ("，", "，此外，", "，与此同时，", "，另一方面，", "，而且")


def encyclopedia_extras(rng: random.Random, title: str, topic: str, k: int) -> list[str]:
    """k of the topic's general remarks, written about `title`."""
    return [t.format(t=title) for t in rng.sample(ENCYCLOPEDIA_EXTRA[topic], k)]


def retold(rng: random.Random, facts: tuple[str, ...] | list[str], k: int) -> str:
    """k of an entry's facts retold for an overview: the first kept, the others two by two in one sentence."""
    chosen = [facts[0]] + rng.sample(list(facts[1:]), min(k, len(facts)) - 1)
    alone = rng.random() < 0.5  # the definition on its own, or joined with the next fact
    out = [chosen[0]] if alone else []
    for n in range(1 if alone else 0, len(chosen), 2):
        pair = chosen[n:n + 2]
        if len(pair) == 2:
            joiner = rng.choice(SURVEY_JOINERS)
            out.append(clause(pair[0]) + joiner + pair[1])
        else:
            out.append(rng.choice(("另外，", "值得一提的是，", "还应指出，")) + pair[0])
    return "".join(out)


def encyclopedia_entry(rng: random.Random, index: int) -> dict:
    """An encyclopedia article for entry `index`: an infobox line, lead, body paragraphs, see-also."""
    title, topic, facts = ENCYCLOPEDIA[index % len(ENCYCLOPEDIA)]
    extras = encyclopedia_extras(rng, title, topic, 5)
    infobox = rng.choice(INFOBOX_FORMS).format(title=title, english=ENGLISH_NAMES[title], topic=topic)
    same = [t for t, tp, _ in ENCYCLOPEDIA if tp == topic and t != title]
    paras = [infobox, facts[0] + facts[1] + extras[0], facts[2] + facts[3] + extras[1],
             facts[4] + extras[2] + extras[3] + extras[4], "相关条目：" + "、".join(rng.sample(same, 3))]
    return {"title": title, "text": "\n".join(paras), "category": ENCYCLOPEDIA_CATEGORY[topic]}


def encyclopedia_survey(rng: random.Random, index: int) -> dict:
    """A long overview article that walks through several related entries, retelling their facts."""
    title, topic, members, lead = ENCYCLOPEDIA_SURVEYS[index % len(ENCYCLOPEDIA_SURVEYS)]
    paras = [lead]
    for number, member in enumerate(members):
        facts = _BY_TITLE[member][1]
        paras.append(f"{STEP_NUMBERS[number]}、{member}\n" + retold(rng, facts, 5)
                     + encyclopedia_extras(rng, member, topic, 1)[0])
    paras.append("".join(encyclopedia_extras(rng, title, topic, 2)))
    return {"title": title, "text": "\n".join(paras), "category": ENCYCLOPEDIA_CATEGORY[topic]}


# -- news -------------------------------------------------------------------------------------------------

CITIES = ("杭州", "成都", "武汉", "西安", "苏州", "青岛", "合肥", "长沙", "郑州", "南京", "宁波", "厦门", "昆明",
          "贵阳", "兰州", "太原", "南昌", "济南", "福州", "大连", "无锡", "佛山", "烟台", "洛阳")

NEWS_STORIES: dict[str, tuple[dict, ...]] = {
    "经济": (
        {"lead": "记者从{city}市统计局获悉，今年前{q}个月，全市规模以上工业增加值同比增长{pct}.{d}%，增速比上年同期加快{d2}个百分点。",
         "details": ("其中，装备制造业增长较快，新能源汽车、工业机器人和集成电路产量分别增长{p2}%、{p3}%和{p4}%。",
                     "从企业类型看，民营企业对工业增长的贡献率超过六成。", "高技术制造业占规模以上工业的比重进一步提高。",
                     "工业用电量保持稳定增长，反映出企业生产活动较为活跃。", "重点项目建设有序推进，一批技改项目陆续投产。",
                     "外贸出口方面，机电产品出口保持增长，对新兴市场出口增势明显。",
                     "消费市场持续回暖，社会消费品零售总额稳步增长。", "部分传统行业受原材料价格波动影响，利润有所下降。"),
         "quote": ("市统计局有关负责人分析说，工业经济运行总体平稳、稳中有进，但外部环境不确定因素仍然较多。",
                   "业内人士认为，产业结构的持续优化是工业保持增长的重要原因。")},
        {"lead": "{city}市日前出台支持中小企业发展的若干措施，从融资、用地、人才等方面推出{n2}条具体举措。",
         "details": ("措施提出，对符合条件的小微企业新增贷款给予贴息支持。", "设立中小企业发展专项资金，重点支持专精特新企业。",
                     "简化工业项目审批流程，推行“拿地即开工”。", "鼓励企业开展数字化改造，对购买工业软件给予补助。",
                     "对新引进的高层次人才给予住房和子女入学方面的保障。", "建立企业诉求快速响应机制，问题办结时限压缩到五个工作日。",
                     "加大政府采购支持力度，预留一定份额专门面向中小企业。"),
         "quote": ("一家机械加工企业负责人表示，贴息政策能明显降低企业的融资成本。",
                   "市工业和信息化局相关负责人介绍，措施将在年内全部落地。")},
        {"lead": "{month}月{day}日，{city}一季度重大项目集中开工活动举行，{n2}个项目总投资约{money}亿元。",
         "details": ("开工项目涵盖先进制造、新能源、生物医药和城市基础设施等领域。", "其中产业项目占比超过一半。",
                     "一个投资额较大的动力电池项目计划两年内建成投产。", "多个项目采用“标准地”方式供地，从签约到开工仅用了两个月。",
                     "项目建成后预计可新增就业岗位数千个。", "相关部门将建立项目推进台账，实行清单化管理。",
                     "部分项目配套建设了分布式光伏和储能设施。"),
         "quote": ("项目所在区的负责人表示，将全力做好服务保障，推动项目早建成、早见效。",
                   "一位投资方代表表示，当地良好的营商环境是他们选择落户的主要原因。")},
    ),
    "科技": (
        {"lead": "{city}一所高校的科研团队近日在{field}领域取得新进展，相关成果已在国际学术期刊上发表。",
         "details": ("研究团队历时三年，攻克了材料稳定性差的难题。", "实验结果显示，新方法可使能量转换效率提高约{pct}%。",
                     "该技术有望降低相关产品的生产成本。", "团队已与企业合作，开展中试生产。",
                     "研究得到了国家自然科学基金等项目的资助。", "团队成员平均年龄不到三十五岁。",
                     "下一步将重点解决大面积制备和长期可靠性问题。"),
         "quote": ("团队负责人介绍，从实验室到产业化还有很长的路要走，需要持续投入。",
                   "业内专家评价说，这项成果为相关领域提供了新的技术路线。")},
        {"lead": "{city}智能制造创新中心日前发布一款面向中小企业的工业互联网平台，首批已有{n2}家企业接入。",
         "details": ("平台可以实时采集设备运行数据，帮助企业发现设备异常。", "企业通过手机即可查看订单进度和设备状态。",
                     "平台提供能耗分析功能，帮助企业节约用电。", "接入企业的设备综合效率平均提高了{pct}%。",
                     "平台采用按需付费模式，降低了中小企业的使用门槛。", "数据安全方面，平台通过了网络安全等级保护测评。",
                     "该中心还将为企业提供数字化改造诊断服务。"),
         "quote": ("一家纺织企业的生产主管说，以前设备坏了才知道，现在能提前收到预警。",
                   "创新中心负责人表示，希望用低成本的方案让更多中小企业用得起数字化工具。")},
        {"lead": "在日前举行的{city}科技活动周上，{n2}余项科技成果集中展示，吸引了大批市民参观。",
         "details": ("展区设置了人工智能、航空航天、生命健康等多个主题。", "不少孩子在机器人展台前驻足，亲手操作机械臂。",
                     "一款可以识别作业人员是否佩戴安全帽的视觉系统受到工业企业关注。",
                     "科普讲座和实验表演轮番上演。", "部分高校实验室向公众开放。", "活动期间还举办了科技成果对接会。",
                     "主办方设置了线上展厅，市民可以在家参观。"),
         "quote": ("一位带孩子参观的家长说，这样的活动让孩子对科学产生了浓厚兴趣。",
                   "主办方介绍，本届活动更加注重互动体验。")},
    ),
    "社会": (
        {"lead": "{city}市{district}区近日启动老旧小区改造工程，涉及{n2}个小区、约{n3}户居民。",
         "details": ("改造内容包括加装电梯、更新供水管网、增设充电桩和改造老化电线。", "改造方案通过居民议事会广泛征求了意见。",
                     "施工期间，社区设置了临时通道，方便居民出行。", "部分小区将闲置空地改造为口袋公园。",
                     "消防设施同步升级，楼道内的杂物被集中清理。", "改造完成后将引入物业服务，建立长效管理机制。",
                     "社区还为行动不便的老人提供上门服务。"),
         "quote": ("住在小区二十多年的一位老人说，最盼的就是加装电梯，以后上下楼方便多了。",
                   "社区工作人员表示，将全程跟进施工质量和安全。")},
        {"lead": "{city}市今年新建{n2}个社区养老服务中心，为老年人提供助餐、日间照料和康复护理等服务。",
         "details": ("老人在社区食堂就餐可享受优惠。", "服务中心配备了专业护理人员和康复器材。",
                     "部分中心引入了智能手环，可以监测老人的心率和位置。", "志愿者定期上门陪伴独居老人。",
                     "中心还开设了书法、合唱等兴趣课程。", "有关部门对服务中心的消防安全进行了专项检查。",
                     "部分中心与附近医院签约，开通了就医绿色通道。"),
         "quote": ("一位八十多岁的老人说，中午在这里吃饭，下午还能和老朋友下下棋，很开心。",
                   "市民政局相关负责人表示，将继续扩大服务覆盖面。")},
        {"lead": "{month}月以来，{city}市开展燃气安全专项整治，已排查餐饮场所{n3}家，整改隐患{n2}处。",
         "details": ("检查发现，部分餐馆存在燃气软管老化、未安装可燃气体报警器等问题。", "执法人员督促商户更换不锈钢波纹管。",
                     "对拒不整改的商户依法予以处罚。", "燃气企业同步开展入户安检。",
                     "社区通过发放宣传单、张贴海报等方式普及燃气安全知识。", "居民发现燃气泄漏时应立即关闭阀门、开窗通风，严禁开关电器。",
                     "专项整治将持续到年底。"),
         "quote": ("执法人员提醒，燃气安全无小事，经营者必须落实主体责任。",
                   "一家餐馆老板说，报警器装上后心里踏实多了。")},
    ),
    "体育": (
        {"lead": "{month}月{day}日，{city}马拉松鸣枪开跑，来自国内外的{n3}名跑者参加了比赛。",
         "details": ("赛道途经城市主要景点和滨江绿道。", "组委会沿线设置了多个补给站和医疗点。",
                     "今年首次引入芯片计时和实时成绩查询。", "志愿者在终点为选手提供保温毯和补给。",
                     "比赛期间部分道路实行临时交通管制。", "不少跑者身着特色服装，为赛事增添了节日气氛。",
                     "赛后组委会对赛道进行了快速清扫。"),
         "quote": ("一名业余跑者说，沿途市民的加油声让他坚持到了终点。",
                   "组委会表示，将根据跑者反馈继续优化赛事服务。")},
        {"lead": "在刚刚结束的全省青少年{sport}锦标赛上，{city}代表队获得{n2}枚金牌，位列奖牌榜前列。",
         "details": ("代表队以年轻队员为主，多人是首次参加省级比赛。", "在团体项目中，队员们配合默契，逆转取胜。",
                     "教练组赛前针对对手特点进行了专门训练。", "赛事期间，运动员严格遵守作息和饮食安排。",
                     "多名队员打破了个人最好成绩。", "当地体育部门对获奖运动员和教练员进行了表彰。"),
         "quote": ("主教练说，孩子们顶住了比赛压力，发挥出了平时的水平。", "一名获得金牌的队员表示，下一步要继续苦练基本功。")},
    ),
    "文化": (
        {"lead": "{city}博物馆新推出的“{exhibit}”特展近日开幕，共展出文物和展品{n3}余件。",
         "details": ("展览分为多个单元，按时间顺序展示相关历史。", "部分文物为首次公开展出。",
                     "展厅设置了多媒体互动区，观众可以通过触摸屏了解文物背后的故事。",
                     "为保护文物，展柜内的温度和湿度实行全天自动监测。", "展览期间将举办多场专家讲座。",
                     "博物馆实行预约参观，周末参观人数较多。", "文创商店推出了以展品为原型的纪念品。"),
         "quote": ("策展人介绍，希望通过展览让观众感受到传统工艺的魅力。",
                   "一位观众说，看了展览才知道古人的技术这么先进。")},
        {"lead": "第{n2}届{city}非物质文化遗产展示周开幕，{n3}余位传承人现场展示传统技艺。",
         "details": ("剪纸、刺绣、木雕、竹编等传统技艺吸引了众多市民围观。", "不少年轻人在传承人的指导下体验制作过程。",
                     "展示周还设置了非遗美食和非遗演出区域。", "部分非遗项目与设计师合作开发了新产品。",
                     "主办方通过网络直播扩大了活动影响。", "当地中小学组织学生前来参观学习。"),
         "quote": ("一位从事竹编四十多年的传承人说，最希望的是有更多年轻人愿意学。",
                   "主办方表示，传统技艺与现代设计的结合擦出了新的火花。")},
    ),
    "环境": (
        {"lead": "{city}市生态环境局发布数据显示，去年全市空气质量优良天数达到{n3}天，细颗粒物平均浓度同比下降{pct}%。",
         "details": ("工业企业超低排放改造是空气质量改善的重要原因。", "全市淘汰了一批高排放老旧车辆。",
                     "建筑工地全面落实扬尘防治措施。", "重点行业企业安装了在线监测设备。",
                     "城市绿化覆盖率继续提高。", "夏季臭氧污染问题仍需重点关注。"),
         "quote": ("市生态环境局有关负责人表示，将继续推进结构调整和污染治理。",
                   "一位晨练的市民说，现在蓝天白云的日子明显多了。")},
        {"lead": "{city}市启动{river}综合治理工程，计划用{n2}年时间实现水质稳定达标。",
         "details": ("工程内容包括截污纳管、河道清淤和生态护岸建设。", "沿河排污口已完成全面排查和分类整治。",
                     "河道两岸将建设滨水步道和湿地公园。", "全面推行河长制，每段河道都有专人负责。",
                     "治理过程中将种植水生植物，恢复河道自净能力。", "居民可以通过热线电话反映河道问题。"),
         "quote": ("附近居民说，小时候常在河里游泳，希望能再看到清澈的河水。",
                   "水务部门负责人表示，治水是一项长期工作，需要久久为功。")},
    ),
    "交通": (
        {"lead": "{city}地铁{line}号线日前开通初期运营，线路全长约{km}公里，设车站{n2}座。",
         "details": ("新线开通后，沿线居民进城的通勤时间大幅缩短。", "列车采用全自动运行系统，最高速度每小时80公里。",
                     "车站配备了无障碍电梯和母婴室。", "开通初期，列车最小行车间隔为六分钟左右。",
                     "部分车站与公交站点实现了无缝换乘。", "运营单位在各站配备了应急处置人员和设备。"),
         "quote": ("一位乘客说，以前坐公交要一个多小时，现在四十分钟就到单位了。",
                   "地铁运营公司表示，将根据客流情况逐步加密班次。")},
        {"lead": "为缓解早晚高峰拥堵，{city}市交警部门对{n2}个主要路口的信号灯配时进行了优化。",
         "details": ("优化后，主干道平均通行时间缩短了约{pct}%。", "部分路口增设了左转待转区。",
                     "交警部门利用大数据分析各路口的车流量。", "学校周边设置了上下学临时停车区。",
                     "交警提醒驾驶人遵守交通信号，不要闯红灯。", "市民可以通过热线反映路口通行问题。"),
         "quote": ("一位出租车司机说，早高峰过这几个路口明显顺畅了。", "交警部门表示，将继续对其他路口开展评估和优化。")},
    ),
    "教育": (
        {"lead": "新学期开学前，{city}市教育部门组织对全市中小学校开展安全大检查，覆盖学校{n3}所。",
         "details": ("检查重点包括校舍安全、食堂卫生、消防设施和校车管理。", "对发现的问题建立台账，限期整改。",
                     "部分学校更新了教室照明设备。", "学校周边设置了护学岗和交通警示标志。",
                     "开学第一课以安全教育为主题。", "各校组织了应急疏散演练。"),
         "quote": ("市教育局有关负责人说，学校安全是底线，必须抓细抓实。", "一位家长表示，看到学校这么重视安全，心里很放心。")},
        {"lead": "{city}市职业技术学院与当地{n2}家制造企业签订合作协议，共同培养技术技能人才。",
         "details": ("企业将派技术骨干到学校授课。", "学生在校期间可以到企业实习，参与真实的生产项目。",
                     "双方共同开发了智能制造、工业机器人等专业课程。", "企业为优秀学生设立奖学金。",
                     "学校新建了实训车间，设备与企业生产线保持一致。", "毕业生经考核可以直接进入合作企业就业。"),
         "quote": ("一家企业的人力资源经理说，这种模式培养的学生上手快，能够很快适应岗位。",
                   "学院负责人表示，将根据产业需求动态调整专业设置。")},
    ),
}

NEWS_EXTRA_STORIES: dict[str, tuple[dict, ...]] = {
    "体育": (
        {"lead": "{city}市全民健身中心日前正式对外开放，场馆总建筑面积约{n3}平方米，设有游泳、篮球、羽毛球等{n2}个运动项目场地。",
         "details": ("场馆实行工作日错时开放，方便上班族下班后锻炼。", "市民通过手机预约即可入场，部分时段免费或低收费开放。",
                     "馆内配备了体质监测站，市民可以免费进行体质测试。", "社会体育指导员定期开展健身指导。",
                     "场馆屋顶安装了光伏板，可以满足部分照明用电。", "周边新增了停车位和公交站点。",
                     "场馆还将承接省市级体育赛事。"),
         "quote": ("一位经常来打羽毛球的市民说，家门口有了好场馆，锻炼的积极性更高了。",
                   "场馆运营方表示，将根据市民需求调整开放时间和项目。")},
    ),
    "文化": (
        {"lead": "{city}图书馆日前推出“城市书房”服务，首批{n2}个城市书房在社区和公园中开放。",
         "details": ("城市书房实行全天候开放，读者刷身份证或扫码即可进入。", "每个书房藏书数千册，并与市图书馆实现通借通还。",
                     "书房配备了空调、阅读灯和自助借还设备。", "部分书房定期举办亲子阅读和读书分享会。",
                     "书房的选址充分考虑了居民的步行距离。", "图书馆根据借阅数据定期调整各书房的图书种类。"),
         "quote": ("一位在书房看书的大学生说，这里环境安静，离家又近，周末经常来。",
                   "市图书馆相关负责人表示，今后将继续增加城市书房的数量。")},
    ),
    "环境": (
        {"lead": "{city}市生活垃圾分类工作推行{n2}年来，居民分类投放准确率稳步提高，全市已建成{n3}个标准化投放点。",
         "details": ("各小区普遍实行定时定点投放，并安排志愿者现场指导。", "厨余垃圾经处理后制成有机肥料，用于园林绿化。",
                     "可回收物通过回收站点进入再生利用环节。", "有害垃圾单独收集，交由有资质的单位处置。",
                     "部分社区推出积分兑换活动，激发居民参与热情。", "城管部门对分类不规范的单位进行督促整改。"),
         "quote": ("社区志愿者说，刚开始很多居民不习惯，现在大家都能自觉分好类。",
                   "市城管部门负责人表示，将进一步完善分类收运体系。")},
    ),
    "交通": (
        {"lead": "{city}长江大桥维修加固工程近日完工，大桥恢复双向{n2}车道通行。",
         "details": ("工程主要对桥面铺装、伸缩缝和护栏进行了更换。", "施工单位还对部分桥墩进行了加固处理。",
                     "维修期间，交通部门通过分流引导减少了对市民出行的影响。", "大桥安装了健康监测系统，可以实时监测结构状态。",
                     "桥面新增了降噪路面，行车噪声明显降低。", "维修工程比原计划提前了半个月完成。"),
         "quote": ("一位经常过桥的货车司机说，路面平整了，开车舒服多了。",
                   "工程负责人表示，此次维修将有效延长大桥的使用寿命。")},
    ),
    "教育": (
        {"lead": "{city}市今年秋季学期起在全市中小学推行课后服务“一校一案”，参与学生达{n3}人。",
         "details": ("课后服务包括作业辅导、体育锻炼、艺术活动和科普兴趣小组。", "学校引入了校外专业机构和志愿者参与服务。",
                     "课后服务坚持家长自愿原则，费用实行低收费或免费。", "部分学校开设了编程、机器人等特色课程。",
                     "教育部门对课后服务的安全管理提出了明确要求。", "为减轻教师负担，学校实行弹性上下班制度。"),
         "quote": ("一位家长说，孩子放学后在学校完成作业，家长下班再接，省心不少。",
                   "市教育局相关负责人表示，将持续提升课后服务质量。")},
    ),
}
for _section, _stories in NEWS_EXTRA_STORIES.items():
    NEWS_STORIES[_section] = NEWS_STORIES[_section] + _stories

NEWS_CONTEXT = {
    "经济": ("今年以来，面对复杂多变的外部环境，当地围绕稳增长出台了一系列政策措施。", "专家认为，消费热情冷却后市场将回归理性。",
           "夏季用电高峰期间，电网负荷创下新高，也从侧面反映出企业生产较为活跃。", "金融机构加大了对实体经济的信贷投放。",
           "随着一批重点企业扩产，产业链上下游的协同效应逐步显现。", "统计数据显示，居民人均可支配收入稳步增长。",
           "不少企业表示，订单情况比年初有所好转。", "数字经济核心产业增加值占地区生产总值的比重持续提高。"),
    "科技": ("近年来，当地研发投入强度不断提高，高新技术企业数量持续增长。", "科技成果转化是创新链条中的关键环节。",
           "多所高校和科研院所在当地设立了研究机构。", "知识产权保护力度的加大，激发了企业的创新活力。",
           "不同专业背景的团队成员在讨论中碰撞出思想的火花。", "青年科技人才正在成为创新的重要力量。",
           "产学研合作模式让科研更加贴近产业需求。", "专家建议，应进一步完善对基础研究的长期稳定支持。"),
    "社会": ("民生工作关系群众切身利益，一直是当地工作的重点。", "医院为老年患者开设了就医绿色通道，缩短了排队时间。",
           "政务服务中心开通了企业办事专门通道，材料齐全可当日办结。", "社区网格员在政策宣传和入户走访中发挥了重要作用。",
           "公司已为全体员工缴纳工伤保险，并为高危岗位购买了意外伤害保险。", "志愿服务队伍不断壮大，注册志愿者人数持续增加。",
           "群众满意度调查结果显示，居民对社区服务的评价明显提高。", "有关部门还开通了热线电话，受理群众咨询和投诉。"),
    "体育": ("全民健身活动在当地蓬勃开展，经常参加体育锻炼的人口比例持续提高。", "跳远运动员起跳后身体在空中展开，双脚接地时应屈膝缓冲。",
           "体育赛事的举办带动了餐饮、住宿和旅游消费。", "青少年体育培训受到越来越多家庭的重视。",
           "专业人士提醒，运动前要充分热身，避免运动损伤。", "当地正在规划建设更多的社区健身设施。",
           "受访者表示，年底考核临近，工作压力大，常常加班到深夜，锻炼成了难得的放松方式。"),
    "文化": ("近年来，当地公共文化服务体系不断完善，文化惠民活动日益丰富。", "这场展览让传统工艺与现代设计擦出了新的火花。",
           "博物馆、图书馆、文化馆等公共文化场馆实行免费开放。", "文旅融合为传统文化注入了新的活力。",
           "两位老同学在论坛上再次相遇，碰撞出合作的火花。", "数字技术让更多文物“活”了起来。",
           "年轻观众的比例明显提高，成为文化消费的主力。"),
    "环境": ("生态环境保护是一项系统工程，需要全社会共同参与。", "当地持续推进能源结构调整，清洁能源占比不断提高。",
           "环保部门运用卫星遥感和无人机加强对污染源的监管。", "绿色低碳的生活方式正在成为越来越多市民的选择。",
           "企业环境信息公开制度让公众监督更加便利。", "夏季用电高峰期间，电网负荷创下新高，节约用电成为共识。",
           "湿地保护和生物多样性监测工作同步推进。"),
    "交通": ("城市交通网络的不断完善，让市民出行更加便捷。", "飞机着陆时后轮先接地，随后前轮落下并开始减速，机场近期对跑道进行了维护。",
           "车辆保险到期前一个月，保险公司会发出续保提醒，车主应及时办理。", "公共交通出行比例逐年提高。",
           "智慧交通系统可以实时发布路况信息。", "交通部门提醒市民合理安排出行时间，错峰出行。",
           "新能源公交车在城市公交中的比例持续提高。"),
    "教育": ("教育是民生之基，当地持续加大教育投入。", "教师的工作负荷过重会影响教学质量。",
           "面对升学压力，不少家长希望为孩子减负。", "学校借助在线学习平台开展课后辅导。",
           "考试时一紧张，脑子突然短路，连最熟悉的公式都想不起来，这是不少学生都有过的经历。",
           "校园安全、食品安全和心理健康教育受到普遍重视。", "家校共育的理念逐渐深入人心。"),
}

NEWS_COMMENTARY = (
    "记者在{district}区采访时了解到，群众最关心的是政策能否真正落地见效。",
    "从实际效果看，这项工作既解决了眼前的问题，也为{city}的长远发展打下了基础。",
    "也有受访者提出，{source}的相关配套措施还需要进一步细化，信息公开也应更加及时。",
    "好的政策要让群众看得见、摸得着，{city}的经验是抓落实、重实效。",
    "采访中，{district}区不少基层工作人员坦言，工作推进中遇到过不少困难，但看到群众满意，觉得付出是值得的。",
    "业内人士指出，类似工作需要{source}等多个部门协同配合，形成工作合力。",
    "有专家建议，{city}应建立长效机制，避免“一阵风”式的做法。",
    "这项工作还需接受时间和群众的检验，本报将持续关注{city}的后续进展。",
    "从全国范围看，类似的探索正在多地展开，{city}的做法有自己的侧重。",
    "记者在{district}区注意到，年轻人正在成为相关活动的积极参与者。",
    "一位在{district}区生活了{years}年的居民说，这几年身边的变化看得见。",
    "也有市民担心后续管理跟不上，希望{source}把工作做细。",
)

NEWS_BACKGROUND = (
    "近年来，{city}坚持把高质量发展作为首要任务，各项工作取得积极进展。",
    "据了解，这是{city}今年推出的又一项惠民举措。",
    "此前，{source}已经进行了多轮调研和论证。",
    "这一做法在国内其他城市已有成功经验，{city}结合本地实际作了调整。",
    "相关工作被列入{city}今年的重点民生实事。",
    "据{source}介绍，相关工作从去年{season2}开始筹备。",
    "{source}去年曾在{district}区先行试点。",
    "",
)

NEWS_OUTLOOK = (
    "下一步，{source}将加强跟踪评估，及时总结经验。",
    "据悉，相关工作将在{city}全市范围内逐步推广。",
    "{source}表示，欢迎市民积极参与并提出意见建议。",
    "业内人士认为，这一举措将在{city}周边城市产生示范效应。",
    "接下来，{city}还将出台配套的实施细则。",
    "{source}计划在{month2}月底前完成阶段性评估，并向社会公布结果。",
    "{district}区居民如有意见建议，可拨打12345热线反映。",
)

NEWS_LEADS = ("据{source}介绍，", "记者从{source}了解到，", "据悉，", "目前，", "记者注意到，", "{source}相关人士透露，",
              "据{district}区有关方面介绍，")
NEWS_SOURCES = {
    "经济": ("市统计局", "市发展改革委", "市工业和信息化局", "市商务局"),
    "科技": ("市科技局", "市科协", "相关高校", "市工业和信息化局"),
    "社会": ("市住房和城乡建设局", "市民政局", "市应急管理局", "街道办事处"),
    "体育": ("市体育局", "赛事组委会", "市体育总会"),
    "文化": ("市文化广电旅游局", "市博物馆", "市图书馆"),
    "环境": ("市生态环境局", "市水务局", "市城市管理局"),
    "交通": ("市交通运输局", "市公安局交警支队", "地铁运营公司"),
    "教育": ("市教育局", "区教育局", "市职业技术学院"),
}

NEWS_SLOTS = {
    "field": ("钙钛矿太阳能电池", "固态电池", "工业视觉检测", "氢能储运", "柔性传感器", "新型催化材料"),
    "sport": ("游泳", "田径", "乒乓球", "羽毛球", "射击", "举重"),
    "exhibit": ("青铜时代", "丝路遗珍", "古代瓷器精品", "江南园林", "古代科技", "运河记忆"),
    "district": ("东城", "西湖", "高新", "江北", "城南", "新城", "滨江"),
    "river": ("护城河", "南渠", "东沙河", "清水河", "北环河"),
}


def news_article(rng: random.Random, section: str, story: int) -> dict:
    """A local news story: lead, background, details, quotes, section context, outlook."""
    spec = NEWS_STORIES[section][story % len(NEWS_STORIES[section])]
    ctx = {
        "city": rng.choice(CITIES), "q": rng.randint(2, 10), "pct": rng.randint(3, 28), "d": rng.randint(1, 9),
        "d2": rng.randint(1, 3), "p2": rng.randint(12, 60), "p3": rng.randint(8, 40), "p4": rng.randint(5, 30),
        "n2": rng.randint(6, 48), "n3": rng.randint(120, 9800), "money": rng.randint(80, 1600),
        "month": rng.randint(1, 12), "day": rng.randint(1, 28), "line": rng.randint(2, 19),
        "km": rng.randint(18, 46), **{k: rng.choice(v) for k, v in NEWS_SLOTS.items()},
        "source": rng.choice(NEWS_SOURCES[section]), "years": rng.choice(("十", "二十", "三十", "十几", "二十多")),
        "season2": rng.choice(("年初", "下半年", "秋天", "年底")), "month2": rng.randint(1, 12),
    }
    year = rng.choice((2022, 2023, 2024))
    details = joined(rng, picks(rng, spec["details"], rng.randint(len(spec["details"]) - 2, len(spec["details"])), ctx),
                     0.3, ("，", "，同时", "，此外"))
    details = [with_lead(rng, d, NEWS_LEADS, ctx, 0.35) for d in details]
    half = len(details) // 2
    quotes = list(spec["quote"])
    rng.shuffle(quotes)
    context = [with_lead(rng, c, ("在{city}，", "从{city}的情况看，", "记者了解到，", "有观点认为，", "放眼{city}全市，",
                                  "{source}的数据也印证了这一点：", "在{district}区，"), ctx, 0.6)
               for c in rng.sample(NEWS_CONTEXT[section], rng.randint(2, 4))]
    paras = [rng.choice(("", "", "本报讯 ", "【本报消息】")) + fill(spec["lead"], ctx)
             + "".join(picks(rng, NEWS_BACKGROUND, 2, ctx)),
             "".join(details[:half]) + quotes[0],
             "".join(details[half:]),
             "".join(context),
             quotes[1] + "".join(picks(rng, NEWS_OUTLOOK, rng.randint(1, 2), ctx))]
    if rng.random() < 0.7:
        paras.insert(4, "记者观察：" + "".join(picks(rng, NEWS_COMMENTARY, rng.randint(2, 3), ctx)))
    if rng.random() < 0.5:
        other = rng.choice([st for st in NEWS_STORIES[section] if st is not spec])
        brief_ctx = ctx | {"city": rng.choice(CITIES), "n2": rng.randint(6, 48), "n3": rng.randint(120, 9800)}
        paras.append(rng.choice(("又讯：", "相关新闻：", "另据报道，")) + fill(other["lead"], brief_ctx)
                     + "".join(joined(rng, picks(rng, other["details"], 3, brief_ctx), 0.6, ("，", "，同时"))))
    headline = fill(NEWS_HEADLINES[section][story % len(NEWS_HEADLINES[section])], ctx)
    return {"title": headline, "text": "\n".join(paras), "section": section,
            "date": f"{year}-{ctx['month']:02d}-{ctx['day']:02d}"}


NEWS_HEADLINES = {
    "经济": ("{city}前{q}个月工业增加值同比增长{pct}.{d}%", "{city}出台{n2}条措施支持中小企业发展", "{city}{n2}个重大项目集中开工"),
    "科技": ("{city}高校团队在{field}领域取得新进展", "{city}发布面向中小企业的工业互联网平台", "{city}科技活动周展示{n2}余项成果"),
    "社会": ("{city}{district}区启动老旧小区改造", "{city}新建{n2}个社区养老服务中心", "{city}开展燃气安全专项整治"),
    "体育": ("{city}马拉松鸣枪开跑", "{city}代表队在省青少年{sport}锦标赛夺得{n2}金", "{city}全民健身中心正式开放"),
    "文化": ("“{exhibit}”特展在{city}博物馆开幕", "{city}非遗展示周开幕", "{city}首批{n2}个城市书房开放"),
    "环境": ("{city}去年空气质量优良天数达{n3}天", "{city}启动{river}综合治理工程", "{city}垃圾分类投放准确率稳步提高"),
    "交通": ("{city}地铁{line}号线开通初期运营", "{city}优化{n2}个路口信号灯配时", "{city}长江大桥维修加固完工"),
    "教育": ("{city}开展中小学开学安全大检查", "{city}职业技术学院与{n2}家企业合作育人", "{city}中小学推行课后服务“一校一案”"),
}



# -- professional Q&A -------------------------------------------------------------------------------------
# (topic, question, alternative question, answer points)

QA_ITEMS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("安全生产", "受限空间作业前为什么必须做气体检测？", "进罐检修前一定要测氧含量和可燃气体吗？", (
        "受限空间通风不良，内部可能积聚有毒气体、可燃气体，或者因为置换用的氮气残留而缺氧。",
        "人在缺氧环境中可能在几次呼吸内失去意识，很多受限空间事故就是这样发生的，而且常常因盲目施救造成伤亡扩大。",
        "作业前必须检测氧含量、可燃气体浓度和有毒气体浓度，氧含量一般应在19.5%至21%之间。",
        "检测时间距离进入作业不宜超过30分钟，作业过程中还要定时复测或连续监测。",
        "检测合格只是前提，还要做好能量隔离、强制通风，并安排专人在外监护。")),
    ("安全生产", "灭火器压力表指针在红区是什么意思？", "干粉灭火器的压力表怎么看？", (
        "储压式干粉灭火器的压力表通常分为红、绿、黄三个区域。",
        "指针在绿区表示压力正常，可以使用；在红区表示压力不足，灭火剂可能喷不出来或喷射距离很短。",
        "指针在黄区表示压力偏高，也存在安全隐患，需要送维修单位检查。",
        "日常点检时除了看压力表，还要检查铅封、保险销、喷管和瓶体有无锈蚀变形。",
        "压力不足的灭火器应立即更换，并交有资质的单位重新充装。")),
    ("安全生产", "安全带为什么要高挂低用？", "登高作业时安全带挂在脚下的管道上可以吗？", (
        "高挂低用是指把安全带的挂点设在高于作业人员腰部的牢固构件上。",
        "挂点越高，人员坠落时的下坠距离越短，冲击力越小，也不容易撞到下方的物体。",
        "如果挂点低于腰部，就是低挂高用，一旦坠落，人会先自由下落一段距离，冲击力成倍增加，可能造成腰部损伤甚至安全带断裂。",
        "挂点应能承受足够的冲击力，不能挂在不牢固的管线、阀门手轮或有尖锐棱角的部位。",
        "移动作业时宜使用双钩安全带，保证始终有一个钩挂牢。")),
    ("安全生产", "动火作业票一般需要哪些人签字？", "办理动火作业票的流程是什么？", (
        "不同企业的具体规定有所差异，但一般包括申请人、动火人、监护人、气体检测人和审批人。",
        "动火作业通常按风险大小分为特殊动火、一级动火和二级动火，等级越高，审批人的级别越高。",
        "审批前，审批人应到现场核查安全措施是否落实，包括可燃物清理、气体检测和消防器材配置。",
        "作业票应在有效期内使用，超过有效期或作业条件发生变化时，必须重新办理。",
        "作业结束后，监护人确认现场无火种，方可关闭作业票。")),
    ("安全生产", "什么是上锁挂牌？", "设备检修时为什么要上锁挂牌？", (
        "上锁挂牌是一种能量隔离管理方法，英文简称LOTO。",
        "检修前，先识别设备涉及的电能、机械能、压力能、热能和化学能等危险能量，再逐一切断或释放。",
        "切断后在隔离装置上加个人安全锁，并悬挂写有姓名和日期的警示牌，防止他人误操作。",
        "上锁后还要进行验证，比如尝试启动设备、检查压力表回零，确认能量确实已被隔离。",
        "检修结束后，由上锁人本人解锁，其他人不得代为解锁。")),
    ("安全生产", "夏季高温作业如何预防中暑？", "车间温度很高，工人怎样防止中暑？", (
        "首先要合理安排作业时间，避开中午高温时段，缩短连续作业时间，增加工间休息。",
        "作业场所应加强通风降温，可采用局部送风、喷雾降温等措施。",
        "为作业人员提供含盐清凉饮料，提醒少量多次饮水，不要等口渴了再喝。",
        "发现有人头晕、恶心、大量出汗或体温升高，应立即转移到阴凉通风处，解开衣扣，用湿毛巾擦拭降温。",
        "如出现意识模糊或抽搐，应立即拨打急救电话。")),
    ("电工常识", "家里的空气开关经常跳闸是什么原因？", "一开空调空气开关就跳，是怎么回事？", (
        "空气开关跳闸一般有三种原因：过载、短路和漏电。",
        "如果同时使用大功率电器时跳闸，多半是过载，可以把电器分散到不同回路，或请电工核算后更换合适的开关。",
        "如果一合闸就跳，可能存在短路，应断开所有电器逐个排查。",
        "如果跳的是带漏电保护功能的开关，可能是某个电器或线路漏电，潮湿的卫生间和厨房最常见。",
        "反复跳闸不要强行合闸，更不能把开关换成大容量的了事，应请专业电工检查。")),
    ("电工常识", "为什么洗衣机、热水器的外壳要接地？", "三孔插座中间那个孔是做什么用的？", (
        "洗衣机、热水器等电器一般带有金属外壳，而且在潮湿环境中使用。",
        "如果内部绝缘损坏，金属外壳就可能带电，人一碰就会触电。",
        "外壳接地后，漏电电流会经接地线流入大地，同时使漏电保护器迅速动作，切断电源。",
        "三孔插座上方的孔就是接地孔，对应插头上较长的那个插脚。",
        "有些住户为了方便把三脚插头改成两脚，或者插座的接地线没有接，都会让保护失效。")),
    ("电工常识", "保险丝熔断后能不能用铜丝代替？", "老房子的保险盒经常烧，能换粗一点的保险丝吗？", (
        "绝对不能。保险丝是用熔点较低的合金制成的，电流过大时会自动熔断，保护线路。",
        "铜丝的熔点很高，电流再大也不会及时熔断，起不到保护作用，线路可能因过热起火。",
        "保险丝的额定电流应与线路和用电设备相匹配，不能随意换粗。",
        "如果保险经常熔断，说明线路负荷过大或存在故障，应查明原因。",
        "老旧住宅建议请电工把保险盒更换为带漏电保护功能的空气开关。")),
    ("电工常识", "插座和开关的安装高度有什么要求？", "装修时开关面板装多高合适？", (
        "住宅中普通插座的安装高度一般距地面约0.3米，墙上的开关应安装在距地面约1.3米的位置，便于操作。",
        "卫生间、厨房等潮湿场所应使用带防溅盖的插座。",
        "儿童活动较多的房间宜选用带安全门的插座。",
        "空调、热水器等大功率电器应设置专用回路和插座。",
        "具体高度还应结合家具布置和使用习惯确定，并符合相关设计规范的要求。")),
    ("电工常识", "漏电保护器的试验按钮多久按一次？", "漏电保护器需要定期检查吗？", (
        "漏电保护器上一般有一个标有T字样的试验按钮，用来检验保护器能否正常动作。",
        "建议每月按一次试验按钮，如果按下后保护器不跳闸，说明已经失效，应尽快更换。",
        "试验时会切断电源，应提前关闭电脑等怕断电的设备。",
        "雷雨季节前后更应注意检查。",
        "漏电保护器不能代替接地保护，两者应同时具备。")),
    ("职场心理", "工作压力大、晚上睡不着怎么办？", "最近工作压力特别大，总是失眠，有什么办法？", (
        "适度的压力能让人保持专注，但长期的心理压力会影响睡眠质量，需要学会合理安排工作与休息。",
        "可以先把待办事项列出来，按轻重缓急排序，把大任务拆成小步骤，减少心里的紧张感。",
        "睡前一小时尽量远离手机和电脑，可以听轻音乐、泡脚或做几分钟深呼吸。",
        "每天保持适量运动，比如快走或慢跑三十分钟，对缓解压力很有帮助。",
        "如果失眠持续两周以上，或者出现明显的焦虑、情绪低落，建议到医院心理科就诊。")),
    ("职场心理", "岗位合并后工作负荷太重，如何与领导沟通？", "一个人干两个人的活，该不该向领导反映？", (
        "岗位合并后单人工作负荷明显增加是常见情况，及时沟通比默默硬扛更好。",
        "沟通前先梳理自己的工作清单，统计每项工作的时间占用，用数据说话。",
        "沟通时重点说明工作量对质量和进度的影响，并提出具体建议，比如调整优先级、增配人员或引入工具。",
        "注意语气平和，以解决问题为目标，避免抱怨。",
        "沟通后可以约定一段时间再评估，看调整措施是否有效。")),
    ("职场心理", "开会发言时一紧张就大脑短路怎么办？", "一上台讲话脑子就一片空白，怎么克服？", (
        "很多人都有过这样的经历，他在台上讲到一半大脑短路，停顿了好几秒才接上话，这其实是紧张引起的正常反应。",
        "充分准备是最好的办法，可以把要点写在卡片上，按逻辑顺序记住三到五个关键词。",
        "发言前做几次缓慢的深呼吸，可以降低心率，让自己平静下来。",
        "如果真的卡住了，不妨坦然地停一下，看看提纲，或者请大家稍等，听众通常比你想象的更宽容。",
        "多找机会在小范围内练习，发言的次数多了，紧张感自然会减轻。")),
    ("职场心理", "新入职如何尽快融入团队？", "刚到新单位，怎样和同事搞好关系？", (
        "先花时间了解团队的工作流程和规章制度，做到心中有数。",
        "主动向同事请教，遇到不懂的问题及时提问，但要先自己思考并做好记录。",
        "按时完成分配的任务，靠谱是赢得信任最快的方式。",
        "参加团队的集体活动，在轻松的氛围中增进了解。",
        "不同专业背景的团队成员在讨论中碰撞出思想的火花，新人也要敢于表达自己的想法。")),
    ("职场心理", "长期加班对身体有哪些影响？", "经常熬夜加班会有什么健康风险？", (
        "长期加班会打乱作息规律，导致睡眠不足，进而影响免疫力和记忆力。",
        "久坐不动容易引起颈椎病、腰椎间盘突出和下肢静脉问题。",
        "专家提醒，长期高负荷工作容易导致颈椎和腰椎问题，还会增加心血管疾病的风险。",
        "饮食不规律可能导致胃肠功能紊乱。",
        "如果确实需要加班，应尽量保证睡眠，每隔一小时起身活动，并定期体检。")),
    ("保险", "工伤保险和意外伤害保险有什么区别？", "单位交了工伤保险，还需要再买意外险吗？", (
        "工伤保险是国家规定的社会保险，由用人单位缴纳，职工个人不缴费，保障的是因工作原因受到的伤害和职业病。",
        "意外伤害保险属于商业保险，可以由单位或个人购买，保障范围包括工作和生活中发生的意外。",
        "公司已为全体员工缴纳工伤保险，并为高危岗位购买了意外伤害保险，这种做法可以形成互补。",
        "工伤保险待遇按国家规定的标准支付，商业意外险则按合同约定的保险金额赔付。",
        "需要注意的是，单位为职工购买商业意外险，不能代替依法缴纳工伤保险。")),
    ("保险", "车辆出险后理赔流程是怎样的？", "开车发生剐蹭，保险怎么报？", (
        "首先要确保人员安全，在车后方设置警示标志，必要时报警。",
        "出险后应在规定时间内向保险公司报案并保留现场照片，拍摄车辆全貌、碰撞部位和周边环境。",
        "如果是轻微事故且无人员伤亡，双方可以按当地规定快速处理，撤离现场后再协商理赔。",
        "保险公司会安排查勘定损，车主按要求提交驾驶证、行驶证、事故认定书等材料。",
        "车辆保险到期前一个月，保险公司会发出续保提醒，平时也要留意保单的有效期。")),
    ("保险", "买重疾险要注意哪些条款？", "重大疾病保险怎么挑？", (
        "购买商业保险前应仔细阅读保险条款，特别是免责部分。",
        "要关注保障的疾病种类和定义，不同产品对同一种疾病的理赔条件可能不同。",
        "注意等待期的长短，等待期内确诊的疾病通常不予赔付或只退还保费。",
        "如实告知健康状况非常重要，隐瞒病史可能导致日后拒赔。",
        "保额应结合收入和家庭负担确定，一般建议能覆盖几年的收入损失和治疗费用。")),
    ("法律", "试用期最长可以约定多久？", "签三年劳动合同，单位说试用期半年，合法吗？", (
        "根据劳动合同法的规定，试用期的长短与劳动合同期限挂钩。",
        "劳动合同期限三个月以上不满一年的，试用期不得超过一个月；一年以上不满三年的，试用期不得超过二个月。",
        "三年以上固定期限和无固定期限的劳动合同，试用期不得超过六个月。",
        "同一用人单位与同一劳动者只能约定一次试用期。",
        "试用期包含在劳动合同期限内，试用期工资也不得低于法律规定的标准。")),
    ("法律", "单位不签劳动合同怎么办？", "上班三个月了还没签合同，我该怎么维权？", (
        "建立劳动关系，应当订立书面劳动合同。",
        "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。",
        "劳动者应注意保存工作证、考勤记录、工资流水、工作群聊天记录等能证明劳动关系的材料。",
        "可以先与单位协商补签，协商不成的，可以向当地劳动保障监察机构投诉或申请劳动仲裁。",
        "申请劳动仲裁的时效期间一般为一年。")),
    ("法律", "加班费如何计算？", "周末加班和节假日加班，工资怎么算？", (
        "根据劳动法的规定，工作日安排劳动者延长工作时间的，支付不低于工资百分之一百五十的工资报酬。",
        "休息日安排劳动者工作又不能安排补休的，支付不低于工资百分之二百的工资报酬。",
        "法定休假日安排劳动者工作的，支付不低于工资百分之三百的工资报酬。",
        "计算基数一般为劳动合同约定的本人工资，具体以当地规定为准。",
        "劳动者应保留加班审批单、考勤记录等证据。")),
    ("法律", "工作中受伤如何认定工伤？", "上班时被设备砸伤，单位不给报工伤怎么办？", (
        "在工作时间和工作场所内，因工作原因受到事故伤害的，应当认定为工伤。",
        "用人单位应当自事故伤害发生之日起30日内，向社会保险行政部门提出工伤认定申请。",
        "用人单位未按规定提出申请的，工伤职工或者其近亲属可以在事故伤害发生之日起1年内直接提出申请。",
        "申请时需要提交工伤认定申请表、劳动关系证明材料和医疗诊断证明等。",
        "认定工伤后，还需要进行劳动能力鉴定，才能确定相应的待遇。")),
    ("健康", "被烫伤后应该如何紧急处理？", "手被开水烫了，第一时间该做什么？", (
        "烫伤后第一步是立即用流动的凉水冲洗伤处，一般持续15到20分钟，可以减轻疼痛和组织损伤。",
        "如果衣物粘在皮肤上，不要强行撕脱，可以在冷水中小心剪开。",
        "不要在伤处涂抹牙膏、酱油、香油等，以免加重损伤或引起感染。",
        "出现的水疱不要自行挑破。",
        "烫伤面积较大、位于面部或关节处，或者皮肤发白、焦黑时，应尽快就医。")),
    ("健康", "颈椎病如何预防？", "长期低头看电脑，脖子酸痛怎么办？", (
        "颈椎病与长期低头、姿势不良关系密切。",
        "使用电脑时，屏幕上缘应与视线平齐，椅子高度以双脚平放地面为宜。",
        "每工作四十分钟左右起身活动，做一做颈部的前屈、后伸和侧转运动。",
        "枕头不宜过高或过低，以保持颈部自然曲度为好。",
        "如果出现手臂麻木、头晕等症状，应及时到医院检查。")),
    ("健康", "发现有人触电应该怎么救？", "看到有人触电，能直接用手拉开吗？", (
        "千万不能直接用手去拉触电者，否则施救者也可能触电。",
        "应立即拉下电闸或拔掉插头，切断电源。",
        "无法迅速断电时，可以站在干燥的木板上，用干燥的木棍、竹竿等绝缘物挑开电线。",
        "触电者脱离电源后，如果没有呼吸和心跳，应立即进行心肺复苏，同时拨打急救电话。",
        "即使触电者看起来没有明显不适，也应到医院检查，因为电流可能造成内部损伤。")),
    ("健康", "如何正确进行心肺复苏？", "心肺复苏的按压位置和频率是多少？", (
        "首先确认现场环境安全，拍打患者双肩并呼叫，判断有无意识和呼吸。",
        "如果没有反应且没有正常呼吸，立即拨打急救电话，并请旁人取来自动体外除颤器。",
        "按压位置在胸部正中、两乳头连线中点，双手掌根重叠，手臂伸直垂直向下按压。",
        "成人按压深度为5到6厘米，频率为每分钟100到120次，每次按压后让胸廓充分回弹。",
        "按压与人工呼吸的比例为30比2，直到专业急救人员到达或患者恢复自主呼吸。")),
    ("计算机", "电脑运行越来越慢怎么办？", "用了几年的笔记本开机特别慢，怎么优化？", (
        "首先检查开机自动启动的程序，把不必要的启动项关掉。",
        "清理磁盘中的临时文件和不用的软件，保持系统盘有足够的剩余空间。",
        "用杀毒软件全面扫描，排除恶意程序占用资源的可能。",
        "如果电脑使用的是机械硬盘，更换为固态硬盘通常能明显提升速度。",
        "笔记本长期使用后散热口积灰，会导致温度过高、性能下降，可以请专业人员清灰。")),
    ("计算机", "如何设置安全的密码？", "密码怎么设才不容易被破解？", (
        "安全的密码应有足够的长度，一般建议不少于12位。",
        "密码中应混合使用大小写字母、数字和符号，不要使用生日、手机号等容易被猜到的信息。",
        "不同网站应使用不同的密码，避免一个密码泄露后其他账号也受影响。",
        "可以借助密码管理工具保存密码，并为重要账号开启双重验证。",
        "收到要求提供密码或验证码的电话和短信，一律不要相信。")),
    ("计算机", "收到可疑邮件怎么处理？", "邮件里让我点链接验证账号，是真的吗？", (
        "对于发件人陌生、标题夸张或催促你尽快操作的邮件，要提高警惕。",
        "不要点击邮件中的链接，也不要打开来历不明的附件，特别是压缩包和带宏的文档。",
        "可以通过官方网站或客服电话核实邮件内容的真伪。",
        "如果已经点击了链接并输入了密码，应立即修改密码，并检查账号是否有异常登录。",
        "单位员工发现钓鱼邮件，应及时报告信息安全部门。")),
    ("计算机", "如何备份重要数据？", "工作文件怎么备份最稳妥？", (
        "常用的原则是三二一备份：至少保留三份数据，使用两种不同的存储介质，其中一份存放在异地。",
        "可以使用移动硬盘定期备份，同时利用单位的网络存储或经过批准的云存储。",
        "重要文件修改后应及时备份，并定期检查备份能否正常恢复。",
        "涉及敏感信息的数据应加密后再备份。",
        "不要把唯一的一份数据长期放在个人电脑上。")),
    ("职场心理", "如何在工作中保持专注？", "上班总是被消息打断，效率很低怎么办？", (
        "频繁被打断是影响工作效率的主要原因之一，每次被打断后重新进入状态往往需要十几分钟。",
        "可以把一天分成几个专注时段，在专注时段内关闭不必要的消息提醒。",
        "把容易分心的事情集中处理，比如每隔一小时统一查看一次消息和邮件。",
        "开始工作前先明确当天最重要的三件事，优先完成它们。",
        "保持工作环境整洁，准备好需要的资料，减少中途寻找东西的时间。")),
    ("健康", "流鼻血时应该怎么处理？", "流鼻血要仰头吗？", (
        "流鼻血时不要仰头，仰头会使血液流入咽喉，可能引起呛咳或恶心。",
        "正确的做法是坐下，身体稍向前倾，用拇指和食指捏紧两侧鼻翼，压迫十分钟左右。",
        "可以用冷毛巾敷在额头或鼻梁上，帮助血管收缩。",
        "止血后几小时内避免用力擤鼻涕和剧烈运动。",
        "如果压迫二十分钟仍不能止血，或者经常反复出血，应及时就医检查。")),
    ("计算机", "如何防范电信网络诈骗？", "接到自称客服的电话让我转账，是诈骗吗？", (
        "凡是自称公检法要求转账到所谓安全账户的，一律是诈骗。",
        "凡是要求提供短信验证码、银行卡密码的，都要提高警惕，不要透露。",
        "网购退款、刷单返利、冒充领导借钱是常见的诈骗手法。",
        "遇到可疑情况，可以先挂断电话，通过官方渠道核实。",
        "一旦发现被骗，应立即拨打110报警，并尽快联系银行冻结账户。")),
    ("生活服务", "家用灭火器怎么选？", "家里需要备灭火器吗，买哪种好？", (
        "家庭可以配备一到两具手提式灭火器，放在厨房附近等便于取用的位置。",
        "ABC干粉灭火器适用于固体、液体、气体和带电设备的初起火灾，是家庭常用的类型。",
        "水基型灭火器对固体和油类火灾灭火效果较好，喷射后残留较少。",
        "购买时应选择有国家认证标志的产品，注意查看生产日期和压力表。",
        "灭火器要定期检查，超过使用年限的应及时报废更换。")),
    ("生活服务", "个人所得税专项附加扣除有哪些？", "个税可以扣除哪些项目？", (
        "目前个人所得税专项附加扣除包括子女教育、继续教育、大病医疗、住房贷款利息、住房租金、赡养老人和三岁以下婴幼儿照护等项目。",
        "纳税人可以通过个人所得税手机应用填报相关信息。",
        "住房贷款利息和住房租金不能同时享受。",
        "大病医疗需要在次年汇算清缴时申报。",
        "填报的信息应真实准确，并留存相关资料备查。")),
    ("生活服务", "如何通过政务服务平台办理业务？", "社保、公积金可以在网上办吗？", (
        "现在很多城市上线了统一的政务服务平台，群众办事可以网上申请。",
        "首次使用需要进行实名注册和人脸识别认证。",
        "社保查询、公积金提取、户籍证明等常见事项大多可以在手机上办理。",
        "办理前应仔细阅读办事指南，准备好相关材料的电子版。",
        "遇到问题可以拨打政务服务热线咨询。")),
    ("生活服务", "冷库门为什么不宜频繁开关？", "冷库温度老是上不去，和开门次数有关系吗？", (
        "频繁开关冷库门会造成库温波动，应尽量减少开关次数。",
        "每次开门，外界的热空气和湿气都会进入库内，不仅增加制冷负担，还会使蒸发器结霜加快。",
        "可以在门口加装风幕机或软门帘，减少冷量损失。",
        "进出货物应集中安排，提前做好准备。",
        "冷库作业人员还要注意防冻保暖，库门应有内部开启装置，防止人员被困。")),
    ("生活服务", "家用燃气泄漏怎么办？", "在家里闻到煤气味应该怎么处理？", (
        "闻到燃气味时，首先要保持冷静，立即关闭燃气总阀。",
        "打开门窗通风，让燃气散出去。",
        "不要开关电灯、抽油烟机等电器，也不要在室内打电话，以免产生电火花引起爆炸。",
        "到室外安全地点后，再拨打燃气公司的抢修电话。",
        "平时应定期检查燃气软管有无老化、龟裂，建议安装燃气泄漏报警器。")),
    ("生活服务", "电动自行车充电有哪些安全注意事项？", "电动车可以推到家里充电吗？", (
        "电动自行车不要在楼道、楼梯间和室内充电，应在有防火措施的集中充电点充电。",
        "使用原厂配套的充电器，不要私自改装电池和线路。",
        "充电时间不宜过长，充满后应及时断电。",
        "电池出现鼓包、发热或有异味时，应停止使用并送修。",
        "不要在高温暴晒的环境下长时间充电。")),
)

QA_OPENERS = ("您好，", "这个问题很常见，", "简单来说，", "", "谢谢提问，", "从实际经验看，", "很多人有同样的疑问，", "")
QA_ASKERS = ("我是一名刚入职的员工，", "想请教一下，", "家里老人问我：", "单位同事一直在讨论：", "", "", "新手求助：",
             "{years}年工龄的老员工了，还是想确认一下：")
QA_LIST_OPENERS = ("主要有以下几点：", "可以从几个方面来看：", "要点如下：", "归纳起来有这么几条：", "分几点说：")
QA_CLOSINGS = {
    "安全生产": ("具体要求请以所在企业的安全管理制度和相关国家标准为准。", "安全生产重在预防，任何环节都不能心存侥幸。",
             "建议结合岗位实际开展培训和应急演练。", "如有疑问，可以咨询企业的安全管理部门。"),
    "电工常识": ("涉及线路改造的工作应由持证电工完成。", "用电安全无小事，发现异常要及时处理。",
             "家庭用电应定期检查，老化线路要及时更换。", "不要私拉乱接电线。"),
    "职场心理": ("每个人的情况不同，可以结合自身特点选择合适的方法。", "必要时可以寻求专业心理咨询的帮助。",
             "保持良好的作息和积极的心态最重要。", "也可以和信任的朋友或家人聊一聊。"),
    "保险": ("具体以保险合同条款和保险公司的规定为准。", "购买保险前可以多比较几款产品。",
           "遇到理赔纠纷，可以向保险监管部门投诉。", "保单和相关票据要妥善保管。"),
    "法律": ("以上内容仅供参考，具体问题建议咨询专业律师。", "各地的具体执行标准可能有所不同。",
           "维权时要注意保存证据，并在法定时效内提出。", "也可以拨打当地的劳动保障咨询电话。"),
    "健康": ("以上内容不能代替医生的诊断和治疗。", "平时可以参加急救培训，掌握基本的急救技能。",
           "出现紧急情况应第一时间拨打急救电话。", "保持健康的生活方式是预防疾病的基础。"),
    "计算机": ("养成良好的使用习惯比事后补救更重要。", "重要操作前最好先备份数据。",
            "遇到无法解决的问题，可以联系单位的信息技术部门。", "定期更新系统和软件补丁。"),
    "生活服务": ("具体政策以当地主管部门发布的为准。", "办理前可以先电话咨询，避免多跑腿。",
             "遇到紧急情况请及时拨打相关求助电话。", "平时多了解一些常识，关键时刻能派上用场。"),
}
QA_BACKGROUND = {
    "安全生产": ("统计表明，相当一部分生产安全事故与违章作业和安全措施不落实有关。",
             "企业应当建立健全全员安全生产责任制，做到每个岗位都有明确的安全职责。",
             "特殊作业是事故多发环节，国家标准对其审批、监护和作业条件都有明确规定。",
             "安全管理的核心是风险分级管控和隐患排查治理双重预防机制。",
             "员工发现直接危及人身安全的紧急情况时，有权停止作业或者在采取可能的应急措施后撤离作业场所。",
             "作业人员上岗前必须经过安全培训，特种作业人员还需取得相应的操作资格证书。"),
    "电工常识": ("我国居民用电的额定电压为220伏，频率为50赫兹。",
             "人体触电的危险程度与通过人体的电流大小、持续时间和电流路径有关。",
             "潮湿环境会大大降低人体和地面的电阻，使触电的危险性增加。",
             "电气火灾多由线路老化、接触不良、过载和短路引起。",
             "家庭配电箱一般按照照明、插座、空调、厨房等分设回路，便于检修和保护。",
             "选购电线和开关插座时，应选择有国家强制性产品认证标志的产品。"),
    "职场心理": ("心理学研究表明，适度的挑战能够激发积极性，但超出承受能力的压力则会损害身心健康。",
             "良好的人际关系和社会支持，是缓解工作压力的重要资源。",
             "时间管理的关键不是把时间排满，而是把精力放在最重要的事情上。",
             "很多单位设立了员工援助计划，为员工提供免费的心理咨询服务。",
             "情绪本身没有好坏之分，重要的是学会识别和表达情绪。",
             "规律的作息、均衡的饮食和适量的运动是保持良好心理状态的基础。"),
    "保险": ("保险的基本原理是风险分担，众多投保人共同出资，为少数发生损失的人提供补偿。",
           "社会保险具有强制性，商业保险则遵循自愿原则。",
           "投保时应如实告知被保险人的健康状况和职业情况。",
           "保险合同中的专业术语较多，遇到不理解的地方可以要求销售人员解释。",
           "购买保险后一般有一段犹豫期，在犹豫期内退保损失较小。",
           "理赔时效方面，保险法对保险公司核定和支付赔款的时限有明确规定。"),
    "法律": ("劳动合同法的立法目的之一是保护劳动者的合法权益，构建和谐稳定的劳动关系。",
           "劳动争议的处理一般经过协商、调解、仲裁和诉讼等程序。",
           "用人单位的规章制度涉及劳动者切身利益的，应当经过民主程序制定并向劳动者公示。",
           "劳动者在维权过程中，证据往往起着决定性作用。",
           "各地人力资源和社会保障部门设有咨询热线，可以提供免费的政策解答。",
           "法律援助机构可以为经济困难的劳动者提供免费的法律服务。"),
    "健康": ("急救的黄金时间往往只有几分钟，掌握正确的急救方法可以挽救生命。",
           "很多公共场所已经配备了自动体外除颤器，普通人经过简单培训即可使用。",
           "慢性疾病的发生与不良的生活方式密切相关。",
           "定期体检有助于早期发现健康问题。",
           "急救时首先要确保自身安全，避免造成新的伤害。",
           "科学的健康知识应以权威医疗机构发布的信息为准，不要轻信网络传言。"),
    "计算机": ("信息安全的薄弱环节往往是人，而不是技术。",
            "操作系统和应用软件的漏洞会被不法分子利用，及时更新补丁非常重要。",
            "个人信息泄露可能导致诈骗、骚扰等问题，应注意保护。",
            "单位电脑应遵守信息安全管理规定，不得私自安装来历不明的软件。",
            "硬件老化是电脑性能下降的常见原因之一。",
            "养成定期整理文件的习惯，可以提高工作效率，也便于备份。"),
    "生活服务": ("近年来，各地大力推进“一网通办”，越来越多的事项实现了网上办、掌上办。",
             "城市安全涉及燃气、用电、交通等方方面面，需要每个家庭共同关注。",
             "遇到问题时，可以拨打政务服务便民热线反映。",
             "不少社区定期开展安全知识宣传活动，居民可以积极参加。",
             "家庭常备灭火器和应急手电，关键时刻能发挥作用。",
             "各项政策会根据实际情况调整，办理前最好先确认最新规定。"),
}

QA_TOPIC_LABEL = {"安全生产": "safety", "电工常识": "electrical", "职场心理": "career", "保险": "insurance",
                  "法律": "law", "健康": "health", "计算机": "computing", "生活服务": "public_services"}


def qa_background(rng: random.Random, topic: str, start: int, k: int) -> list[str]:
    """k background remarks of the topic from `start` on, two of them now and then written as one."""
    pool = QA_BACKGROUND[topic]
    chosen = [(pool + pool)[start + i] for i in range(k)]
    return joined(rng, chosen, 0.5, ("，", "，而且", "，同时"), limit=120)


def qa_follow_up(rng: random.Random, index: int) -> str:
    """A follow-up question from the same topic, answered briefly in the answerer's own words."""
    topic = QA_ITEMS[index % len(QA_ITEMS)][0]
    same_topic = [item for i, item in enumerate(QA_ITEMS) if item[0] == topic and i != index % len(QA_ITEMS)]
    follow = rng.choice(same_topic)
    points = [follow[3][i] for i in sorted(rng.sample(range(len(follow[3])), 3))]  # in the answer's own order
    answer = clause(points[0]) + rng.choice(("，", "，另外，", "，同时")) + points[1] + points[2]
    return f"追问：{rng.choice((follow[1], follow[2]))}\n回答：{rng.choice(('简单说，', '', '一般来说，'))}{answer}"


def qa_pair(rng: random.Random, index: int, variant: int) -> dict:
    """A question and a professional answer; variant 1 rephrases the question and lists the points."""
    topic, question, alt, points = QA_ITEMS[index % len(QA_ITEMS)]
    points = list(points)
    closings = rng.sample(QA_CLOSINGS[topic], 2)
    # the two variants of a question share only its points: background and follow-up differ
    background = "".join(qa_background(rng, topic, (index * 2 + variant * 3) % len(QA_BACKGROUND[topic]), 4))
    follow_up = qa_follow_up(rng, index)
    if variant % 2 == 0:
        answer = (rng.choice(QA_OPENERS) + "".join(points[:2]) + "\n" + "".join(points[2:]) + "\n" + background
                  + clause(closings[0]) + rng.choice(("，", "。")) + closings[1] + "\n" + follow_up)
        q = question
    else:
        numerals = ("一是", "二是", "三是", "四是", "五是")
        points = [p for i, p in enumerate(points) if i != 1 + index % 3]
        answer = (rng.choice(QA_LIST_OPENERS) + "\n"
                  + "\n".join(f"{numerals[i]}{p}" for i, p in enumerate(points)) + "\n" + "补充说明：" + background
                  + closings[0] + "\n" + follow_up)
        q = rng.choice(QA_ASKERS).format(years=rng.choice(("五", "十", "二十"))) + alt
    return {"question": q, "answer": answer, "topic": QA_TOPIC_LABEL[topic]}


# -- defects that later stages must catch -----------------------------------------------------------------


def sentences_of(text: str) -> list[str]:
    """Sentences ending in 。！？ (the closing mark kept), in order."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in "。！？":
            piece = text[start:i + 1].strip()
            if piece:
                out.append(piece.lstrip("\n"))
            start = i + 1
    return out


def near_duplicate(rng: random.Random, text: str, changes: int = 3, keep: tuple[str, ...] = ()) -> str:
    """The same text with a few hanzi replaced by other hanzi from it (a near-duplicate). Occurrences of the
    `keep` strings (planted personal data and its role cues) are left intact, so what planted.json says of the
    original stays true of the copy."""
    chars = list(text)
    kept = {i for word in keep if word for start in range(len(text)) if text.startswith(word, start)
            for i in range(start, start + len(word))}
    cjk = [i for i, ch in enumerate(chars) if "\u4e00" <= ch <= "\u9fff" and i not in kept]
    pool = sorted({chars[i] for i in cjk})
    for i in rng.sample(cjk, min(changes, len(cjk))):
        chars[i] = rng.choice([c for c in pool if c != chars[i]])
    return "".join(chars)


def repeat_sentence(rng: random.Random, text: str) -> tuple[str, str]:
    """Insert one of the text's sentences a second time, later in the text."""
    candidates = [s for s in sentences_of(text) if len(s) >= 12 and text.count(s) == 1]
    sentence = rng.choice(candidates)
    position = text.index(sentence) + len(sentence)
    later = [i + 1 for i, ch in enumerate(text) if ch == "。" and i + 1 > position]
    at = rng.choice(later) if later else len(text)
    return text[:at] + sentence + text[at:], sentence


def low_quality_text(rng: random.Random, kind: str, source_text: str = "") -> str:
    """Junk a quality filter should drop: very short, mostly symbols/digits, or mojibake."""
    if kind == "short":
        return rng.choice(("已查。", "正常", "见附件。", "无。", "同上"))
    if kind == "symbols":
        parts = []
        for _ in range(rng.randint(10, 16)):
            parts.append(rng.choice(("####", "****", "====", "----", "////", "++++", "~~~~", "||||")))
            parts.append(str(rng.randint(0, 9999)).zfill(4))
        return " ".join(parts) + " 记录"
    source = source_text or "设备运行正常，未发现异常情况，已按要求完成巡检记录。"
    if kind == "mojibake_gbk":  # UTF-8 bytes read as GBK
        return source.encode("utf-8").decode("gbk", errors="replace")
    # replacement characters written back as UTF-8 and read as GBK: the familiar 锟斤拷
    damaged = "".join("\ufffd\ufffd" if rng.random() < 0.6 else ch for ch in source)
    return damaged.encode("utf-8").decode("gbk", errors="replace")


# -- noise as scraped text has it: traditional characters, full-width ASCII ---------------------------------

_FULLWIDTH_SYMBOLS = "-./%+#&@*=<>_"
"""ASCII symbols written full-width; ,:;?!()~ are not, since their full-width forms are Chinese punctuation that
normalization keeps (a full-width colon would stay a full-width colon)."""
_ASCII_RUN = re.compile(rf"[0-9A-Za-z](?:[0-9A-Za-z{re.escape(_FULLWIDTH_SYMBOLS)}]| (?=[0-9A-Za-z]))*")
"""A run of letters and digits with the symbols and single spaces inside it (BY-505, 1.38 MPa, GB/T 11651-2008)."""


def traditional(text: str) -> str:
    """The text in traditional characters (OpenCC s2t), as a Hong Kong or Taiwan source writes it."""
    return _s2t().convert(text)


@cache
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


def fullwidth(rng: random.Random, text: str, share: float = 1.0) -> str:
    """Runs of ASCII letters, digits and their symbols written full-width (ＢＹ－５０５, ２０２４, １．３８　ＭＰａ), as
    an input method left in full-width mode types them: every run (share 1.0) or each run with that probability
    (a document typed by several people)."""
    def wide(match: re.Match) -> str:
        if share < 1.0 and rng.random() >= share:
            return match.group()
        return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) for ch in match.group())

    return _ASCII_RUN.sub(wide, text)


# -- the industrial vocabulary the templates use (each term is in lexicons/industrial_terms.txt) ----------

TEMPLATE_TERMS = tuple("""
安全帽 下颏带 帽衬 护栏 吊装作业 物体打击 工作服 劳保鞋 反光背心 防静电工作服 焊接面罩 护目镜 工作帽 劳保用品
干粉灭火器 灭火器 压力表 室内消火栓 消火栓 应急照明灯 蓄电池 疏散指示标志 安全出口 防火门 油棉纱 烟感探测器 消防水带
消防水枪 法兰 机械密封 可燃气体报警器 填料函 视镜 密封垫 液压管 调节阀 阀杆 排污阀 防火堤 安全带 脚手架 脚手板 踢脚板
人字梯 高处作业票 动火作业票 作业票 氧气瓶 乙炔瓶 回火防止器 气体检测 接火盆 监护人 配电箱 漏电保护器 插座 接线盒
临时用电 电缆沟 盖板 消防通道 疏散通道 应急通道 安全通道 叉车通道 人行通道 消防车道 转运小车 中控室 值班室 休息室
交接班 巡检记录 隐患台账 整改通知单 动火作业 高处作业 受限空间作业 能量隔离 上锁挂牌 盲板 人孔 正压式空气呼吸器
安全绳 救援三脚架 行灯 吊钩 钢丝绳 吊带 限位开关 制动器 司索工 隔离开关 操作手柄 验电器 绝缘手套 绝缘鞋 接地线
标示牌 遮栏 静电接地夹 鹤管 快速接头 紧急切断阀 洗眼器 吸附棉 止轮器 槽车 铅封 保险销 喷管 联轴器 联轴器护罩
地脚螺栓 润滑油 润滑脂 进口阀门 出口阀门 急停按钮 盘车 对中 找正 轴承 轴承座 叶轮 端盖 拉马 托辊 调心托辊 张紧装置
回油滤芯 冷却器 油细分离器 进气滤芯 电缆头 母排 导电膏 耐压试验 着色探伤 支吊架 减振垫 浮子 取压管 保温层 防腐层
防腐涂层 伴热 空气开关 保险丝 开关柜 跳闸 短路 接地电阻 电焊机 焊把线 碳刷 砂轮机 冷却水 冷却塔 蒸发器 冷库
变压器 油温 负荷率 操作平台 检修平台 电机 电动机 配电柜 配电室 接地装置 防爆区域 防爆性能 非防爆型 防爆手机 巡检路线
""".split())


def industrial_vocabulary() -> set[str]:
    """Every industrial term the composers put into documents on purpose."""
    terms = set(TEMPLATE_TERMS)
    for prof in INDUSTRIES.values():
        terms.update(prof["equipment"], prof["media"], prof["workshops"])
    for names in SOP_EQUIPMENT.values():
        terms.update(names)
    for fault in FAULTS:
        terms.update(fault["eq"])
    terms.update(INSPECTION_CATEGORIES, SOP_CATEGORIES, WORKERS)
    return {t for t in terms if len(t) > 1}
