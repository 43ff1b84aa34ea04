"""Public and staff reads, search, and their query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sunlit.core.errors import NotFound
from sunlit.disclosure import selectors
from sunlit.disclosure.services import disclosure_correct, disclosure_withdraw

pytestmark = pytest.mark.django_db


def test_village_list_current_versions_bounded_queries(publish, staff, tree):
    first = publish(title="第一条")
    for i in range(5):
        publish(title=f"公示{i}", module="projects")
    disclosure_correct(
        actor=staff.chair, disclosure=first, title="第一条（更正）", body="新内容", reason="更正"
    )
    publish(village=tree.sibling_village, actor=staff.other_chair)
    with CaptureQueriesContext(connection) as ctx:
        rows = list(selectors.disclosures_for_village(tree.village)[:20])
        titles = [d.current.title for d in rows]
    assert len(ctx.captured_queries) == 1
    assert len(rows) == 6
    assert "第一条（更正）" in titles
    assert "第一条" not in titles
    assert len(list(selectors.disclosures_for_village(tree.village, "projects"))) == 5
    assert list(selectors.disclosures_for_village(tree.village, "bogus")) == []
    assert selectors.module_counts(tree.village)["projects"] == 5


def test_withdrawn_not_listed_but_page_and_history_stay(publish, staff, tree):
    d = publish()
    disclosure_withdraw(actor=staff.township_leader, disclosure=d, reason="重复")
    assert list(selectors.disclosures_for_village(tree.village)) == []
    assert selectors.disclosure_public_get(d.code).status == "withdrawn"
    assert [v.number for v in selectors.disclosure_history(d)] == [1]


def test_public_get_and_history_query_counts(publish, staff):
    d = publish(
        module="livelihood",
        entries=[{"name": "张三", "benefit": "低保"}, {"name": "李四", "benefit": "五保"}],
    )
    disclosure_correct(actor=staff.chair, disclosure=d, title="更正", body="b", reason="r")
    with CaptureQueriesContext(connection) as ctx:
        got = selectors.disclosure_public_get(d.code)
        names = [e.name for e in got.current.entries.all()]
        list(got.current.attachments.all())
    assert names == ["张三", "李四"]
    assert len(ctx.captured_queries) <= 4
    with CaptureQueriesContext(connection) as ctx:
        history = selectors.disclosure_history(d)
        [(v.number, len(v.entries.all()), len(v.attachments.all())) for v in history]
    assert [v.number for v in history] == [1, 2]
    assert len(ctx.captured_queries) == 3
    with pytest.raises(NotFound):
        selectors.disclosure_public_get("GKNOPE")


def test_staff_scope(publish, staff, tree):
    mine = publish()
    other = publish(village=tree.far_village, actor=None)
    assert set(selectors.disclosures_for_user(staff.chair)) == {mine}
    assert set(selectors.disclosures_for_user(staff.county_discipline)) == {mine, other}
    assert set(selectors.disclosures_for_user(staff.other_chair)) == set()
    assert set(selectors.disclosures_for_user(staff.nobody)) == set()
    with pytest.raises(NotFound):
        selectors.access_disclosure(staff.chair, other.code)
    assert selectors.access_disclosure(staff.township_discipline, mine.code) == mine


def test_search_ranks_and_filters(publish, staff, tree):
    road = publish(title="关于修建村道的公示", body="村道硬化工程预算五万元", module="projects")
    lowbao = publish(title="2026年第一季度低保名单公示", body="经评议，以下农户纳入低保", module="livelihood")
    other = publish(
        title="村道维修结算", body="维修费用", village=tree.far_village, actor=None, module="projects"
    )
    assert list(selectors.disclosure_search("低保名单")) == [lowbao]
    hits = list(selectors.disclosure_search("村道"))
    assert set(hits) == {road, other}
    assert list(selectors.disclosure_search("村道", region=tree.township)) == [road]
    assert list(selectors.disclosure_search("村道", module="livelihood")) == []
    today = timezone.localdate()
    assert list(selectors.disclosure_search("低保", date_from=today + datetime.timedelta(days=1))) == []
    assert list(selectors.disclosure_search("低保", date_to=today)) == [lowbao]
    assert list(selectors.disclosure_search("")) == []
    # corrections re-index the current version
    disclosure_correct(
        actor=staff.chair, disclosure=road, title="关于修建水渠的公示", body="水渠", reason="更正"
    )
    assert list(selectors.disclosure_search("村道")) == [other]
    assert list(selectors.disclosure_search("水渠")) == [road]


def test_search_does_not_index_masked_numbers(publish):
    publish(body="联系电话13812345678")
    assert list(selectors.disclosure_search("13812345678")) == []
