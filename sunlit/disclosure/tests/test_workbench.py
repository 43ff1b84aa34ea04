"""Staff disclosure pages: list (scoped, bounded queries), publish with preview and CSV upload,
correct, redact, originals (audited), withdraw, schedules overview, contact."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sunlit.core.models import AuditEvent
from sunlit.disclosure.models import Disclosure, SupervisionContact

from .conftest import PHONE, id_number, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_list_scoped_and_query_count(client, publish, staff, tree):
    for i in range(30):
        publish(title=f"公示{i}")
    other = publish(village=tree.far_village, actor=None, title="远方公示")
    client.force_login(staff.chair)
    client.get(reverse("workbench:disclosures"))  # warm caches (session, assignments)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("workbench:disclosures"))
    assert response.status_code == 200
    assert (
        response.content.decode().count('href="/workbench/disclosures/GK') == 25 or b"GK" in response.content
    )
    assert other.code not in response.content.decode()
    queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("workbench:disclosures"), {"page": 2})
    assert len(ctx.captured_queries) == queries  # a page costs the same whatever it shows
    assert queries <= 12
    assert client.get(reverse("workbench:disclosure", args=[other.code])).status_code == 404
    client.force_login(staff.nobody)
    assert client.get(reverse("workbench:disclosures")).status_code == 404


def test_preview_then_publish_with_benefit_list(client, staff, tree):
    client.force_login(staff.chair)
    rows = xlsx_bytes(
        [
            ["姓名", "村民小组", "补助项目", "金额"],
            ["张三", "三组", "低保", 350],
            ["李四", "一组", "低保", 300],
        ]
    )
    data = {
        "village": tree.village.code,
        "module": "livelihood",
        "title": "低保名单公示",
        "body": f"咨询电话{PHONE}",
        "period_start": "2026-03-01",
        "period_end": "2026-03-08",
        "action": "preview",
    }
    url = reverse("workbench:disclosure_publish")
    response = client.post(url, {**data, "entries_file": SimpleUploadedFile("list.xlsx", rows)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in page
    assert (
        PHONE not in page.split("What the public will see")[-1]
        if "What the public will see" in page
        else True
    )
    assert "张三" in page
    assert not Disclosure.objects.exists()  # a preview writes nothing
    htmx = client.post(
        url, {**data, "entries_file": SimpleUploadedFile("list.xlsx", rows)}, HTTP_HX_REQUEST="true"
    )
    assert htmx.content.decode().lstrip().startswith('<section id="preview"')
    response = client.post(
        url, {**data, "action": "publish", "entries_file": SimpleUploadedFile("list.xlsx", rows)}
    )
    assert response.status_code == 302
    d = Disclosure.objects.get()
    assert [e.name for e in d.current.entries.all()] == ["张三", "李四"]


def test_benefit_file_rejected_whole_with_row_errors(client, staff, tree):
    client.force_login(staff.chair)
    rows = xlsx_bytes(
        [
            ["姓名", "补助项目", "金额"],
            ["张三", "低保", "abc"],
            ["李四", id_number(), 300],
            ["王五", "低保", 1],
        ]
    )
    response = client.post(
        reverse("workbench:disclosure_publish"),
        {
            "village": tree.village.code,
            "module": "livelihood",
            "title": "名单",
            "action": "publish",
            "entries_file": SimpleUploadedFile("list.xlsx", rows),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "line 2" in page
    assert "line 3" in page
    assert not Disclosure.objects.exists()


def test_correct_redact_original_withdraw(client, publish, staff, tree):
    d = publish(body=f"身份证{id_number()}，家庭困难")
    client.force_login(staff.chair)
    response = client.post(
        reverse("workbench:disclosure_correct", args=[d.code]),
        {"title": "更正后的标题", "body": "家庭困难", "reason": "标题有误", "action": "publish"},
    )
    assert response.status_code == 302
    # the chair cannot redact: the form is not shown and the post is 404
    page = client.get(reverse("workbench:disclosure", args=[d.code])).content.decode()
    assert reverse("workbench:disclosure_redact", args=[d.code]) not in page
    assert client.post(reverse("workbench:disclosure_redact", args=[d.code]), {}).status_code == 404
    client.force_login(staff.township_discipline)
    response = client.post(
        reverse("workbench:disclosure_redact", args=[d.code]),
        {"target": "body", "text": "家庭困难", "reason": "隐私"},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.current.number == 3
    assert d.current.body == "■■■"
    response = client.post(reverse("workbench:disclosure_original", args=[d.code, 1]), {"reason": "复核"})
    assert response.status_code == 200
    assert id_number() in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert (
        AuditEvent.objects.filter(
            kind="disclosure.original_viewed", actor_id=staff.township_discipline.pk
        ).count()
        == 1
    )
    response = client.post(reverse("workbench:disclosure_withdraw", args=[d.code]), {"reason": ""})
    assert response.status_code == 422
    response = client.post(reverse("workbench:disclosure_withdraw", args=[d.code]), {"reason": "重复"})
    assert response.status_code == 302


def test_schedules_overview_and_contact(client, staff, tree, publish):
    from sunlit.disclosure.services import schedule_set

    schedule_set(
        actor=None, region=tree.county, module="assets", frequency="monthly", due_day=10, grace_days=5,
        starts_on=datetime.date(2026, 1, 1),
    )  # fmt: skip
    client.force_login(staff.township_discipline)
    page = client.get(reverse("workbench:disclosure_schedules")).content.decode()
    assert tree.village.name in page
    assert tree.far_village.name not in page
    client.force_login(staff.chair)
    url = reverse("workbench:disclosure_contact", args=[tree.village.code])
    response = client.post(url, {"chair": "王明", "office_phone": "abc"})
    assert response.status_code == 200
    assert not SupervisionContact.objects.exists()
    response = client.post(url, {"chair": "王明", "office_phone": "0376-8123456", "address": "村部"})
    assert response.status_code == 302
    assert SupervisionContact.objects.get().chair == "王明"
    assert (
        client.get(reverse("workbench:disclosure_contact", args=[tree.far_village.code])).status_code == 404
    )


def test_schedule_edit_needs_rule_manage(client, staff, tree):
    from sunlit.disclosure.models import DisclosureSchedule

    url = reverse("workbench:disclosure_schedule_edit", args=[tree.county.code])
    data = {
        "module": "assets",
        "frequency": "monthly",
        "due_day": "10",
        "grace_days": "5",
        "starts_on": "2026-01-01",
        "active": "on",
    }
    client.force_login(staff.chair)
    assert client.post(url, data).status_code == 404
    client.force_login(staff.county_discipline)
    assert client.post(url, {**data, "due_day": "31"}).status_code == 200
    assert not DisclosureSchedule.objects.exists()
    assert client.post(url, data).status_code == 302
    row = DisclosureSchedule.objects.get()
    assert (row.region, row.due_day, row.grace_days) == (tree.county, 10, 5)
    page = client.get(reverse("workbench:disclosure_schedules")).content.decode()
    assert url in page


def test_list_search_filter(client, publish, staff):
    road = publish(title="关于修建村道的公示", body="村道硬化")
    publish(title="低保名单公示", body="低保", module="livelihood")
    client.force_login(staff.chair)
    page = client.get(reverse("workbench:disclosures"), {"q": "村道"}).content.decode()
    assert road.code in page
    assert page.count('<th scope="row">') == 1
    page = client.get(reverse("workbench:disclosures"), {"module": "livelihood"}).content.decode()
    assert road.code not in page
    assert page.count('<th scope="row">') == 1
