"""``sunlit bench complaints``: topic analysis of 48,000 complaint messages (Xinyang's figure), with the
wall time and the peak memory it takes. Goal: under 20 s on 2 cores.

The messages are synthetic and deterministic (no downloads): for each message a seeded generator picks
a category by a fixed weight, one of its sentence templates, slot words (who, what, how much, since
when), a region (townships of the ten counties of Xinyang) and a month (24 months), and sometimes a
masked phone number or a polite closing, so the text looks like the masked ``public_text`` the
analysis reads in production. The database is not touched.

Each repetition runs ``sunlit.analytics.topics.analyse`` on the same list and checks the result is
identical to the first (stability). Tokenising uses one forked process per CPU
(``SUNLIT_BENCH_COMPLAINT_WORKERS`` to change). Reported: wall time, CPU time of all processes (on a
shared machine the CPU time says what the work costs, the wall time what the wait was), and the growth
of the process's maximum resident set size (``resource.getrusage``) over the first run. With
``SUNLIT_BENCH_TRACEMALLOC=1`` one more, untimed run reports the peak of ``tracemalloc`` (Python and
NumPy allocations; tracing slows the run several times).
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterator

from benchmarks import Out, Timer, Timing

DEFAULT_REPEAT = 3
MESSAGES = 48_000
GOAL_SECONDS = 20.0
SEED = 20240601

COUNTIES = ("浉河", "平桥", "罗山", "光山", "新县", "商城", "固始", "潢川", "淮滨", "息县")
TOWNSHIP_SUFFIXES = ("城关镇", "十里镇", "寨河镇", "槐店乡", "南向店乡", "泼陂河镇", "孙铁铺镇", "仙居乡")
MONTHS = tuple(f"{2025 + m // 12}-{m % 12 + 1:02d}" for m in range(24))

WHO = ("村主任", "村支书", "村会计", "村民组长", "报账员", "村委委员", "驻村干部", "包村干部")
WHEN = ("去年", "今年上半年", "前几个月", "从2023年起", "这两年", "上个月", "年初")
HOW_MUCH = ("两千多元", "五千元", "一万多元", "三万元", "好几百元", "八百元")
CLOSING = ("恳请领导调查处理。", "希望上级部门尽快解决。", "请给个说法。", "盼复。", "", "")

CATEGORIES: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    # category: (weight, templates, topic words used in the {x} slot)
    "welfare": (
        14,
        (
            "{when}{who}把不符合条件的亲属纳入低保，优亲厚友，真正困难的{x}却评不上。",
            "低保评审不公开，名单没有公示，{who}说了算，{x}的申请被拒。",
            "{who}的亲戚家里有车有房还吃低保，{x}，群众意见很大。",
            "临时救助款{how}被{who}截留，{x}至今没有拿到。",
        ),
        ("残疾户", "孤寡老人", "五保户", "重病家庭", "单亲家庭"),
    ),
    "works": (
        11,
        (
            "村里{x}工程偷工减料，刚修好就开裂，{who}和承包商关系密切。",
            "{x}项目没有招标，直接给了{who}的亲戚，造价虚高{how}。",
            "{when}修的{x}质量很差，验收走过场，请查一查工程款去向。",
        ),
        ("水泥路", "桥梁", "沟渠", "饮水", "文化广场", "排水"),
    ),
    "homestead": (
        10,
        (
            "{who}违规审批宅基地，有人占用基本农田建房，{x}。",
            "我家宅基地申请{when}交上去一直不批，{who}要好处费{how}。",
            "邻居未经审批在{x}上违建楼房，{who}不管不问。",
        ),
        ("耕地", "河道", "集体土地", "村道旁"),
    ),
    "land": (
        8,
        (
            "征地补偿款{how}没有足额发放，{who}说被{x}扣了。",
            "{when}征地的青苗补偿费被{who}挪用，{x}没有公布分配方案。",
        ),
        ("村集体", "组里", "乡里", "开发商"),
    ),
    "subsidy": (
        9,
        (
            "耕地地力保护补贴{when}少发了{how}，{who}说是按{x}发的。",
            "惠农补贴被{who}冒领，用的是{x}的名字和存折。",
            "粮食直补发放不透明，{x}的补贴面积被改小了。",
        ),
        ("已故村民", "外出务工人员", "承包面积", "旧名单"),
    ),
    "assets": (
        9,
        (
            "村集体资金账目不公开，{who}用白条报销{how}招待费，{x}。",
            "集体鱼塘{x}低价承包给{who}的亲戚，没有经过村民代表会议。",
            "{when}卖集体林木的收入{how}去向不明，{who}说{x}。",
        ),
        ("没人敢问", "已经花完了", "十年不变", "存在个人账户"),
    ),
    "openness": (
        6,
        (
            "村务公开栏{when}没有更新，{x}都不公布。",
            "财务公开只贴了总数，{x}看不到明细，{who}不让查。",
        ),
        ("收支明细", "低保名单", "项目资金", "补贴发放情况"),
    ),
    "election": (
        5,
        (
            "换届选举时{who}拉票贿选，每票给{how}，{x}。",
            "选举没有按程序进行，{x}被临时取消资格。",
        ),
        ("候选人", "外出党员", "村民代表", "委托投票"),
    ),
    "seals": (
        4,
        (
            "{who}私自使用村委会公章给{x}开证明，收费{how}。",
            "开个{x}证明要跑好几趟，{who}故意刁难。",
        ),
        ("外村人", "贫困", "无犯罪", "户籍"),
    ),
    "conduct": (
        8,
        (
            "{who}工作作风粗暴，{when}多次辱骂前来办事的{x}。",
            "{who}上班时间打牌喝酒，{x}找不到人办事。",
            "{who}吃拿卡要，办事要请吃饭送礼，{x}敢怒不敢言。",
        ),
        ("老人", "群众", "村民", "外出返乡人员"),
    ),
    "other": (
        6,
        (
            "村里{x}问题长期没人管，{when}反映了也没有回复。",
            "建议在村里增加{x}，方便群众生活。",
        ),
        ("垃圾清运", "路灯", "公交站", "健身器材", "自来水"),
    ),
}


def synthetic_messages(n: int = MESSAGES, seed: int = SEED) -> Iterator[tuple[str, str, str]]:
    """``n`` deterministic ``(region, month, text)`` messages (the same for the same seed)."""
    rng = random.Random(seed)
    regions = [f"{c}{t}" for c in COUNTIES for t in TOWNSHIP_SUFFIXES]
    names = list(CATEGORIES)
    weights = [CATEGORIES[c][0] for c in names]
    for _ in range(n):
        category = rng.choices(names, weights)[0]
        _weight, templates, slots = CATEGORIES[category]
        text = rng.choice(templates).format(
            who=rng.choice(WHO), when=rng.choice(WHEN), how=rng.choice(HOW_MUCH), x=rng.choice(slots)
        )
        if rng.random() < 0.15:
            text += f"我的电话13{rng.randint(0, 9)}****{rng.randint(1000, 9999)}。"
        text += rng.choice(CLOSING)
        yield rng.choice(regions), rng.choice(MONTHS), text


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB elsewhere


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the tokenising workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(*, repeat: int, out: Out, **options: object) -> list[Timing]:
    from sunlit.analytics import topics

    n = int(os.environ.get("SUNLIT_BENCH_COMPLAINT_MESSAGES", MESSAGES))
    n_topics = int(os.environ.get("SUNLIT_BENCH_COMPLAINT_TOPICS", "10"))
    out(f"{n:,} synthetic complaint messages, {n_topics} topics; {repeat} runs; {os.cpu_count()} CPUs")
    timer = Timer()
    with timer("generate messages"):
        records = list(synthetic_messages(n))
    topics.tokenize("预热")  # load jieba's dictionary once, as a long-running worker would have
    workers = int(os.environ.get("SUNLIT_BENCH_COMPLAINT_WORKERS", os.cpu_count() or 1))
    first = None
    same = True
    rss_before = _maxrss_mb()
    label = "analyse (jieba + TF-IDF + NMF + hot issues)"
    for _run in range(repeat):
        began, cpu = time.perf_counter(), _cpu()
        report = topics.analyse(records, topics=n_topics, workers=workers)
        seconds, cpu = time.perf_counter() - began, _cpu() - cpu
        result = report.as_json()
        if first is None:
            first = result
            growth = _maxrss_mb() - rss_before
            memory = f"max RSS +{growth:,.0f} MB (process {_maxrss_mb():,.0f} MB)"
        else:
            same = same and result == first
        timer.add(label, seconds, f"goal < {GOAL_SECONDS:.0f} s; {memory}")
        timer.add("  CPU time of the same (all processes)", cpu, f"{workers} tokenising processes")
    if os.environ.get("SUNLIT_BENCH_TRACEMALLOC"):  # slow: tracing multiplies the time several times
        tracemalloc.start()
        began = time.perf_counter()
        topics.analyse(records, topics=n_topics)
        traced = time.perf_counter() - began
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        timer.add("analyse under tracemalloc (not timed)", traced, f"peak traced {peak / 2**20:,.0f} MB")
    assert first is not None
    out(
        f"{first['analysed']:,} of {first['documents']:,} messages analysed, vocabulary {first['vocabulary']:,}; "
        f"top topics: " + " | ".join(t["label"] for t in first["topics"][:5])
    )
    if repeat > 1:
        out("stable across runs: " + ("yes, every run identical to the first" if same else "NO, runs differ"))
    return timer.results()
