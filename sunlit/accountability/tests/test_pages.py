"""Workbench pages of accountability and analysis: scoped lists with bounded queries, opening a lead from
an alert, lifecycle forms with refusals shown inline and nothing changed, statistics, analysis and
recommendation letters."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from sunlit.accountability.models import Lead
from sunlit.cases.tests.conftest import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read the English messages

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_lead_list_is_scoped_and_its_queries_do_not_grow(
    make_lead, staff, login, tree, django_assert_max_num_queries
):
    make_lead("found")
    client = login(staff.county)
    with django_assert_max_num_queries(20) as few:
        page = client.get(reverse("workbench:leads"))
    assert page.status_code == 200
    assert "村会计虚报冒领低保金" in page.content.decode()
    for _ in range(10):
        make_lead("registered", village=tree.sibling_village)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("workbench:leads"))
    assert page.content.decode().count("data-lead=") == 11
    assert login(staff.far_county).get(reverse("workbench:leads")).content.decode().count("data-lead=") == 0
    assert login(staff.leader).get(reverse("workbench:leads")).status_code == 404


def test_open_a_lead_from_a_verified_alert(make_alert, staff, login):
    alert = make_alert("verified")
    client = login(staff.township)
    page = client.get(reverse("workbench:lead_new"))
    assert f"?alert={alert.pk}" in page.content.decode()
    prefilled = client.get(reverse("workbench:lead_new"), {"alert": alert.pk})
    assert alert.title in prefilled.content.decode()
    response = client.post(
        reverse("workbench:lead_new"),
        {"source": "alert", "alert": alert.pk, "title": alert.title, "summary": "核实属实"},
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:lead", args=[lead.pk])
    assert lead.alert == alert
    open_alert = make_alert("open")
    refused = client.post(
        reverse("workbench:lead_new"),
        {"source": "alert", "alert": open_alert.pk, "title": "t", "summary": "s"},
    )
    assert refused.status_code == 422
    assert "Only a verified alert" in refused.content.decode()
    assert Lead.objects.count() == 1
    assert (
        login(staff.other_township).get(reverse("workbench:lead_new"), {"alert": alert.pk}).status_code == 404
    )


def test_close_refused_on_the_page_until_rectification_is_evidenced(make_lead, staff, login):
    lead = make_lead("published")
    client = login(staff.township)
    url = reverse("workbench:lead", args=[lead.pk])
    page = client.get(url).content.decode()
    assert 'data-code="not_rectified"' in page
    refused = client.post(reverse("workbench:lead_action", args=[lead.pk, "close"]), {"close-note": "办结"})
    assert refused.status_code == 422
    assert "four no-lets" in refused.content.decode()
    lead.refresh_from_db()
    assert lead.status == "found"
    client.post(
        reverse("workbench:lead_action", args=[lead.pk, "task"]),
        {"task-description": "追回资金", "task-responsible_unit": "镇民政所", "task-working_days": 5},
    )
    task = lead.tasks.get()
    no_evidence = client.post(
        reverse("workbench:lead_action", args=[lead.pk, "complete"]),
        {"target": task.pk, f"complete-{task.pk}-task": task.pk, f"complete-{task.pk}-note": "已追回"},
    )
    assert no_evidence.status_code == 422
    assert "Attach the rectification evidence" in no_evidence.content.decode()
    done = client.post(
        reverse("workbench:lead_action", args=[lead.pk, "complete"]),
        {
            "target": task.pk,
            f"complete-{task.pk}-task": task.pk,
            f"complete-{task.pk}-note": "已追回",
            f"complete-{task.pk}-evidence": SimpleUploadedFile("e.pdf", pdf_bytes("e")),
        },
    )
    assert done.status_code == 302
    closed = client.post(reverse("workbench:lead_action", args=[lead.pk, "close"]), {"close-note": "办结"})
    assert closed.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "closed"


def test_a_finding_with_a_measure_outside_its_form_is_shown_and_not_saved(make_lead, staff, login):
    lead = make_lead("checking")
    response = login(staff.township).post(
        reverse("workbench:lead_action", args=[lead.pk, "finding"]),
        {
            "finding-kind": "violation",
            "finding-subject_name": "李四",
            "finding-subject_post": "村主任",
            "finding-party_member": "on",
            "finding-form": 1,
            "finding-measure": "party_probation",
            "finding-facts": "事实",
        },
    )
    assert response.status_code == 422
    assert "is not a measure of" in response.content.decode()
    assert not lead.findings.exists()


def test_others_cannot_act_on_or_see_a_lead(make_lead, staff, login):
    lead = make_lead("registered")
    for user in (staff.other_township, staff.far_county, staff.leader):
        client = login(user)
        assert client.get(reverse("workbench:lead", args=[lead.pk])).status_code == 404
        response = client.post(
            reverse("workbench:lead_action", args=[lead.pk, "dispose"]),
            {"dispose-disposition": "hold", "dispose-note": "x"},
        )
        assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.status == "registered"


def test_statistics_page_has_tables_and_chart_data(make_lead, staff, login, tree):
    make_lead("found")
    page = login(staff.county).get(reverse("workbench:lead_stats")).content.decode()
    assert 'id="lead-stats"' in page
    assert 'id="form-table"' in page
    assert 'id="region-table"' in page
    assert tree.township.name in page
    response = login(staff.county).post(reverse("workbench:lead_stats"), {"name_display": "none"})
    assert response.status_code == 302
    assert tree.county.naming_policy.name_display == "none"
    assert (
        login(staff.township).post(reverse("workbench:lead_stats"), {"name_display": "full"}).status_code
        == 404
    )


def test_analysis_to_letter_pdf(tree, staff, login):
    from sunlit.analytics.tests.factories import make_complaint

    for i in range(30):
        text = ["低保评审优亲厚友，亲属纳入低保", "宅基地审批违规占用耕地", "道路工程偷工减料"][i % 3]
        make_complaint(tree.village, text=text)
    client = login(staff.county)
    today = timezone.localdate()
    response = client.post(
        reverse("workbench:analyses"),
        {
            "region": tree.county.code,
            "period_from": today - datetime.timedelta(days=3),
            "period_to": today + datetime.timedelta(days=1),
            "n_topics": 3,
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'id="topic-table"' in page
    assert 'id="hot-table"' in page
    drafted = client.post(response["Location"], {"department": "县民政局"})
    assert drafted.status_code == 302
    letter = client.get(drafted["Location"]).content.decode()
    assert "县民政局" in letter
    pdf = client.get(drafted["Location"] + "pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert login(staff.far_county).get(drafted["Location"]).status_code == 404
