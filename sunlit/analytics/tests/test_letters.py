"""Topic runs from complaints and the 监察建议书: drafted from the analysis, edited, rendered as a PDF."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from sunlit.accounts.roles import Role
from sunlit.analytics import selectors, services
from sunlit.analytics.errors import AnalyticsRefused
from sunlit.analytics.models import Recommendation, TopicRun
from sunlit.analytics.tests.factories import make_complaint
from sunlit.analytics.tests.pdftext import pdf_text
from sunlit.core.errors import Conflict, NotFound
from sunlit.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TEXTS = [
    "我村低保评审优亲厚友，村主任亲属不符合条件也纳入低保名单",
    "低保名额被村干部亲属占用，优亲厚友严重",
    "宅基地审批不公开，有人占用耕地违建",
    "道路工程偷工减料，水泥路面开裂",
] * 6


@pytest.fixture
def county_staff(tree, make_user):
    return make_user(Role.COUNTY_DISCIPLINE, tree.county, "cdiscipline")


@pytest.fixture
def run(tree, county_staff):
    when = timezone.make_aware(datetime.datetime(2026, 3, 10, 10, 0))
    for i, text in enumerate(TEXTS):
        make_complaint(tree.village if i % 2 else tree.far_village, text=text, created_at=when)
    make_complaint(tree.village, text="低保 低保 低保 重复件", created_at=when, status="duplicate")
    make_complaint(tree.far_county_village, text="别县的低保问题", created_at=when)
    return services.topic_run_create(
        actor=county_staff,
        region=tree.county,
        period_from=datetime.date(2026, 3, 1),
        period_to=datetime.date(2026, 3, 31),
        n_topics=3,
    )


def test_a_run_analyses_the_complaints_of_the_region_and_period(run, tree):
    assert run.documents == len(TEXTS)  # not the duplicate, not the other county
    labels = " ".join(t["label"] for t in run.result["topics"])
    assert "低保" in labels or "优亲厚友" in labels
    assert AuditEvent.objects.filter(kind="analytics.topics", subject=f"analytics.topicrun:{run.pk}").exists()


def test_run_settings_are_validated(tree, county_staff):
    with pytest.raises(AnalyticsRefused) as info:
        services.topic_run_create(
            actor=county_staff,
            region=tree.county,
            period_from=datetime.date(2026, 3, 31),
            period_to=datetime.date(2026, 3, 1),
            n_topics=1,
        )
    assert set(info.value.fields) == {"period_to", "n_topics"}
    assert not TopicRun.objects.exists()


def test_out_of_scope_staff_cannot_run_or_see(tree, run, make_user):
    far = make_user(Role.COUNTY_DISCIPLINE, tree.other_county, "far")
    leader = make_user(Role.TOWNSHIP_LEADER, tree.township, "leader")
    for user in (far, leader):
        with pytest.raises(NotFound):
            services.topic_run_create(
                actor=user,
                region=tree.county,
                period_from=datetime.date(2026, 3, 1),
                period_to=datetime.date(2026, 3, 31),
            )
        with pytest.raises(NotFound):
            selectors.access_run(user, run.pk)


def test_the_draft_letter_is_edited_and_its_pdf_contains_the_text(run, county_staff):
    rec = services.recommendation_draft(actor=county_staff, run=run, department="县民政局")
    assert rec.status == "draft"
    assert "县民政局" in rec.body
    assert run.result["topics"][0]["label"] in rec.body
    edited = rec.body + "\n\n请于三十日内书面反馈整改情况。特此建议。"
    rec = services.recommendation_update(
        actor=county_staff,
        recommendation=rec,
        title="关于规范低保评审工作的监察建议书",
        body=edited,
        reference="光监建〔2026〕3号",
        revision=1,
    )
    assert rec.revision == 2
    pdf = services.recommendation_pdf(rec)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf).replace("\n", "")
    assert "关于规范低保评审工作的监察建议书" in text
    assert "请于三十日内书面反馈整改情况。特此建议。" in text
    assert "光监建〔2026〕3号" in text
    assert "县民政局" in text


def test_a_stale_edit_is_refused_and_issued_letters_are_frozen(run, county_staff):
    rec = services.recommendation_draft(actor=county_staff, run=run, department="县农业农村局")
    services.recommendation_update(actor=county_staff, recommendation=rec, title="A", body="甲", revision=1)
    stale = Recommendation.objects.get(pk=rec.pk)
    stale.revision = 1
    with pytest.raises(Conflict):
        services.recommendation_update(
            actor=county_staff, recommendation=stale, title="B", body="乙", revision=1
        )
    rec.refresh_from_db()
    assert (rec.title, rec.body) == ("A", "甲")
    rec = services.recommendation_issue(actor=county_staff, recommendation=rec)
    assert rec.status == "issued"
    with pytest.raises(Conflict):
        services.recommendation_update(actor=county_staff, recommendation=rec, title="C", body="丙")
    event = AuditEvent.objects.filter(kind="recommendation.issued").get()
    assert event.subject == f"analytics.recommendation:{rec.pk}"


def test_a_letter_needs_a_department_and_known_topics(run, county_staff):
    with pytest.raises(AnalyticsRefused):
        services.recommendation_draft(actor=county_staff, run=run, department=" ")
    with pytest.raises(AnalyticsRefused):
        services.recommendation_draft(actor=county_staff, run=run, department="县民政局", topic_indexes=[99])
    assert not Recommendation.objects.exists()
