"""Topic analysis: stable across runs and input order, recovers a planted dominant topic, finds the
hot issues by region and month, and reads only masked complaint text."""

from __future__ import annotations

import random

import pytest

from sunlit.analytics import topics

THEMES = {
    "welfare": "低保 评审 名额 亲属 优亲厚友 不符合 条件 纳入 名单",
    "works": "道路 工程 质量 偷工减料 承包 招标 硬化 水泥",
    "homestead": "宅基地 审批 建房 占用 耕地 违建 拆除 手续",
    "subsidy": "惠农补贴 粮食 直补 克扣 发放 存折 少发 耕地地力保护补贴",
    "finance": "集体资金 账目 公开 白条 开支 招待费 报销 村集体",
}


def messages(
    n: int,
    weights: dict[str, int],
    *,
    seed: int = 7,
    regions=("十里镇", "寨河镇"),
    months=("2026-01", "2026-02"),
):
    rng = random.Random(seed)
    names = [k for k, w in weights.items() for _ in range(w)]
    out = []
    for _ in range(n):
        theme = rng.choice(names)
        words = THEMES[theme].split()
        picked = rng.sample(words, k=min(5, len(words)))
        out.append(
            (rng.choice(regions), rng.choice(months), f"反映我村{''.join(picked)}的问题，希望调查处理。")
        )
    return out


def test_same_input_twice_gives_identical_topics():
    data = messages(400, dict.fromkeys(THEMES, 1))
    first = topics.analyse(data, topics=5)
    second = topics.analyse(list(data), topics=5)
    assert first.as_json() == second.as_json()
    assert len(first.topics) == 5


def test_input_order_does_not_change_the_result():
    data = messages(300, dict.fromkeys(THEMES, 1))
    shuffled = list(data)
    random.Random(3).shuffle(shuffled)
    assert topics.analyse(data, topics=4).as_json() == topics.analyse(shuffled, topics=4).as_json()


def test_a_planted_dominant_topic_is_recovered_first():
    data = messages(500, {"welfare": 6, "works": 1, "homestead": 1, "subsidy": 1, "finance": 1})
    report = topics.analyse(data, topics=5)
    top = report.topics[0]
    assert top.index == 0
    assert {"低保", "优亲厚友"} & {w for w, _ in top.words[:5]}
    assert top.share > 0.4  # about 60 % planted; nothing else comes close
    assert all(t.documents < top.documents for t in report.topics[1:])


def test_hot_issues_by_region_and_month_with_the_month_before():
    base = messages(200, dict.fromkeys(THEMES, 1), regions=("十里镇",), months=("2026-01",), seed=1)
    surge = messages(200, {"homestead": 1}, regions=("十里镇",), months=("2026-02",), seed=2) + messages(
        60, dict.fromkeys(THEMES, 1), regions=("寨河镇",), months=("2026-02",), seed=3
    )
    report = topics.analyse(base + surge, topics=5)
    hottest = report.hot[0]
    assert (hottest.region, hottest.month) == ("十里镇", "2026-02")
    assert "宅基地" in {w for w, _ in report.topic(hottest.topic).words[:5]}
    assert hottest.count > hottest.previous
    assert hottest.share > 0.9
    assert set(report.cells) == {"十里镇", "寨河镇"}


def test_stop_words_numbers_and_single_characters_are_dropped():
    words = topics.tokenize("反映我村2026年低保评审不公，希望上级调查处理，电话138****5678。")
    assert "低保" in words
    assert "评审" in words
    for dropped in ("反映", "希望", "调查处理", "2026", "我村", "，"):
        assert dropped not in words
    assert all(len(w) > 1 for w in words)


def test_too_little_text_gives_an_empty_report():
    report = topics.analyse([("十里镇", "2026-01", "希望处理")], topics=3)
    assert report.topics == []
    assert report.documents == 1
    assert report.analysed == 0


def test_report_round_trips_through_json():
    report = topics.analyse(messages(120, dict.fromkeys(THEMES, 1)), topics=3)
    assert topics.TopicReport.from_json(report.as_json()).as_json() == report.as_json()


@pytest.mark.django_db
def test_records_from_complaints_read_only_the_masked_text(tree):
    from sunlit.analytics.tests.factories import make_complaint

    make_complaint(tree.village, text="村主任张三电话13812345678，低保优亲厚友")
    from sunlit.complaints.models import Complaint

    rows = list(topics.records_from_complaints(Complaint.objects.all()))
    assert len(rows) == 1
    region, _month, text = rows[0]
    assert region == tree.township.name
    assert "13812345678" not in text
    assert "138****5678" in text
