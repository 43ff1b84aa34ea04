"""Automatic publication of case notices and results through the ledger listener."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sunlit.cases import engine, services
from sunlit.cases.models import Notice
from sunlit.cases.tests.conftest import people, standard, upload_all  # noqa: F401 - fixtures
from sunlit.disclosure.automatic import CATEGORY_MODULE, module_for, publish_notice, publish_result
from sunlit.disclosure.models import Disclosure

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=CST)  # a Tuesday


def test_mapping_covers_every_category():
    from sunlit.powers.vocab import ItemCategory

    assert set(CATEGORY_MODULE) == set(ItemCategory.values)
    assert module_for("relief") == "livelihood"
    assert module_for("works_procurement") == "projects"
    assert module_for("collective_assets") == "assets"
    assert module_for("decision") == "decisions"


def _advance(case, actor, upload_all, **kwargs):  # noqa: F811
    upload_all(case, actor)
    case.refresh_from_db()
    return services.step_complete(actor=actor, case=case, sequence=case.current.sequence, **kwargs)


def test_notice_and_result_published_on_commit(
    tree,
    people,  # noqa: F811
    standard,  # noqa: F811
    upload_all,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            case = services.case_start(
                actor=people.committee,
                village=tree.village,
                item_code="VS-01",
                title="张三 最低生活保障申请 13812345678",
                parties=[{"role": "applicant", "name": "张三"}],
            )
        for actor in (people.committee, people.committee, people.reviewer):
            _advance(case, actor, upload_all)
        upload_all(case, people.chair)
        services.step_complete(
            actor=people.chair,
            case=case,
            vote=engine.Tally(expected=30, present=30, votes_for=30, votes_against=0, abstentions=0),
        )
        with django_capture_on_commit_callbacks(execute=True):
            _advance(case, people.reviewer, upload_all, inputs={"township_result": "pass"})
        notice = Notice.objects.get(case=case)
        d = Disclosure.objects.get(source=f"cases.notice:{notice.pk}")
        assert d.case == case
        assert d.module == "livelihood"
        assert d.publisher is None
        assert d.current.period_start == datetime.date(2026, 11, 24)
        assert d.current.period_end == notice.closes_at.astimezone(CST).date()
        assert "13812345678" not in d.current.title
        assert [(e.name, e.benefit) for e in d.current.entries.all()] == [("张三", case.item.name)]
        # re-delivery publishes nothing twice
        assert publish_notice(notice.pk).pk == d.pk
        assert publish_result(case.pk) is None  # not completed yet
        clock.move_to(notice.closes_at)
        _advance(case, people.chair, upload_all)
        with django_capture_on_commit_callbacks(execute=True):
            _advance(case, people.county_department, upload_all, inputs={"county_result": "pass"})
        clock.move_to(datetime.datetime(2026, 12, 20, 9, 0, tzinfo=CST))
        _advance(case, people.chair, upload_all)
        with django_capture_on_commit_callbacks(execute=True):
            _advance(case, people.county_department, upload_all)  # pay → done
    result = Disclosure.objects.get(source=f"cases.case:{case.pk}:result")
    assert result.case == case
    assert result.module == "livelihood"
    assert case.item.name in result.current.body
    assert case.tracking_no not in result.current.body  # the applicant's handle stays private
    assert Disclosure.objects.filter(case=case).count() == 3  # two notices and the result
