"""Public case pages: tracking with masked names, objection receipts, notices with the objection form."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sunlit.cases import engine, services
from sunlit.cases.models import Notice, Objection
from sunlit.cases.vocab import ObjectionStatus

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=CST)  # a Tuesday


@pytest.fixture
def visitor():
    return Client(headers={"Accept-Language": "en"})


def start_dibao(tree, people):
    return services.case_start(
        actor=people.committee,
        village=tree.village,
        item_code="VS-01",
        title="张三丰 最低生活保障申请",
        parties=[{"role": "applicant", "name": "张三丰"}, {"role": "beneficiary", "name": "张小明"}],
    )


def to_notice(tree, people, upload_all):
    case = start_dibao(tree, people)
    for actor in (people.committee, people.committee, people.reviewer):
        upload_all(case, actor)
        case.refresh_from_db()
        services.step_complete(actor=actor, case=case)
    upload_all(case, people.chair)
    case.refresh_from_db()
    services.step_complete(
        actor=people.chair,
        case=case,
        vote=engine.Tally(expected=30, present=21, votes_for=14, votes_against=7, abstentions=0),
    )
    upload_all(case, people.reviewer)
    case.refresh_from_db()
    services.step_complete(actor=people.reviewer, case=case, inputs={"township_result": "pass"})
    case.refresh_from_db()
    return case, Notice.objects.get(case=case)


# --- tracking ------------------------------------------------------------------------------------------


def test_home_and_header_link_to_tracking(client, tree):
    body = client.get("/").content.decode()
    assert body.count(reverse("portal:track")) >= 2  # header and home
    assert reverse("portal:objection_lookup") in body


def test_tracking_form_renders(visitor, tree):
    response = visitor.get(reverse("portal:track"))
    assert response.status_code == 200
    assert 'name="no"' in response.content.decode()


def test_tracking_shows_progress_and_masked_names_only(visitor, tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    upload_all(case, people.committee)
    services.step_complete(actor=people.committee, case=case, note="内部备注：家中有病人")
    response = visitor.get(reverse("portal:track"), {"no": case.tracking_no.lower()})
    body = response.content.decode()
    assert response.status_code == 200
    assert "最低生活保障" in body  # the item's name
    assert tree.village.name in body
    assert 'data-status="active"' in body
    assert "张**" in body
    assert "张*明" not in body  # mask keeps the first character only
    assert "张小明" not in body
    assert "张三丰" not in body  # neither the name nor the title carrying it
    assert "内部备注" not in body  # nothing staff wrote
    assert "sha256" not in body.lower()
    completed = body.split('id="completed-steps"')[1].split("</ol>")[0]
    assert "提出申请" in completed
    current = body.split('id="current-step"')[1].split("</dd>")[0]
    assert "村委会协助受理和登记" in current
    assert response["X-Robots-Tag"] == "noindex"


def test_unknown_and_malformed_tracking_numbers_get_the_same_friendly_answer(visitor, tree, people, standard):
    start_dibao(tree, people)
    answers = []
    for number in ["20261124-ZZZZ-ZZZZ", "'; drop table", "x" * 40]:
        response = visitor.get(reverse("portal:track"), {"no": number})
        assert response.status_code == 404
        body = response.content.decode()
        assert 'id="not-found"' in body
        answers.append(body.split('id="not-found">')[1].split("<")[0])
    assert len(set(answers)) == 1
    assert "张" not in answers[0]


def test_tracking_query_count_is_bounded(
    visitor, tree, people, standard, upload_all, django_assert_max_num_queries
):
    case = start_dibao(tree, people)
    with django_assert_max_num_queries(10):
        visitor.get(reverse("portal:track"), {"no": case.tracking_no})


# --- notices and objections ----------------------------------------------------------------------------


def test_notice_page_shows_countdown_and_lodges_an_anonymous_objection(
    visitor, tree, people, standard, upload_all
):
    with time_machine.travel(T0, tick=False):
        case, notice = to_notice(tree, people, upload_all)
        url = reverse("portal:notice", args=[notice.code])
        page = visitor.get(url)
        body = page.content.decode()
        assert page.status_code == 200
        assert notice.title in body
        assert case.item.name in body
        assert 'id="objection-form"' in body
        assert "9 days 15 hours" in body  # until 2026-12-04 00:00
        assert 'value="anonymous"' in body
        assert "checked" in body.split('value="anonymous"')[1].split(">")[0]

        response = visitor.post(url, {"text": "申请人家有小汽车", "identity": "anonymous"})
    body = response.content.decode()
    objection = Objection.objects.get()
    assert response.status_code == 200
    assert objection.anonymous is True
    assert f'<strong id="receipt-code">{objection.receipt_code}</strong>' in body
    assert response["Cache-Control"] == "no-store"


def test_named_objection_needs_a_mobile_number(visitor, tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False):
        _case, notice = to_notice(tree, people, upload_all)
        url = reverse("portal:notice", args=[notice.code])
        refused = visitor.post(url, {"text": "有问题", "identity": "named", "name": "李四", "phone": "123"})
        assert refused.status_code == 422
        assert "Give an 11-digit mobile number" in refused.content.decode()
        assert not Objection.objects.exists()
        empty = visitor.post(url, {"text": "", "identity": "anonymous"})
        assert "Say what you object to." in empty.content.decode()
        assert not Objection.objects.exists()
        accepted = visitor.post(
            url, {"text": "有问题", "identity": "named", "name": "李四", "phone": "138 0013 8000"}
        )
    objection = Objection.objects.get()
    assert accepted.status_code == 200
    assert objection.anonymous is False
    assert objection.receipt_code in accepted.content.decode()
    assert "13800138000" not in accepted.content.decode()


def test_closed_notice_says_so_and_has_no_form(visitor, tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False) as clock:
        _case, notice = to_notice(tree, people, upload_all)
        clock.move_to(notice.closes_at)
        url = reverse("portal:notice", args=[notice.code])
        body = visitor.get(url).content.decode()
        assert 'id="notice-closed"' in body
        assert 'id="objection-form"' not in body
        assert 'id="closed"' in body
        late = visitor.post(url, {"text": "太晚了", "identity": "anonymous"})
    assert late.status_code == 409
    assert not Objection.objects.exists()


def test_unknown_notice_is_404(visitor, tree):
    assert visitor.get(reverse("portal:notice", args=["N000000NOPE"])).status_code == 404


def test_village_page_lists_open_notices(visitor, tree, people, standard, upload_all):
    _case, notice = to_notice(tree, people, upload_all)
    body = visitor.get(reverse("portal:region", args=[tree.village.code])).content.decode()
    assert reverse("portal:notice", args=[notice.code]) in body
    sibling = visitor.get(reverse("portal:region", args=[tree.sibling_village.code])).content.decode()
    assert notice.code not in sibling


def test_objection_lookup_shows_status_and_answer(visitor, tree, people, standard, upload_all):
    _case, notice = to_notice(tree, people, upload_all)
    objection = services.objection_lodge(notice=notice, text="申请人家有小汽车")
    url = reverse("portal:objection_lookup")
    body = visitor.get(url, {"receipt": objection.receipt_code.lower()}).content.decode()
    assert 'data-status="open"' in body
    services.objection_resolve(
        actor=people.reviewer, objection=objection, upheld=False, answer="车辆已过户。"
    )
    body = visitor.get(url, {"receipt": objection.receipt_code}).content.decode()
    assert f'data-status="{ObjectionStatus.DISMISSED}"' in body
    assert "车辆已过户。" in body
    assert "申请人家有小汽车" not in body  # the objection text is not republished
    missing = visitor.get(url, {"receipt": "YNOTAREALCODE"})
    assert missing.status_code == 404
    assert 'id="not-found"' in missing.content.decode()
