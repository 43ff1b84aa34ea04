"""Accountability fixtures: discipline staff, outsiders, verified alerts and leads at given stages."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from sunlit.accounts.roles import Role
from sunlit.cases.tests.conftest import pdf_bytes


@pytest.fixture
def staff(tree, make_user):
    class Staff:
        township = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township, "tdiscipline")
        county = make_user(Role.COUNTY_DISCIPLINE, tree.county, "cdiscipline")
        other_township = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township, "otherdiscipline")
        far_county = make_user(Role.COUNTY_DISCIPLINE, tree.other_county, "fardiscipline")
        leader = make_user(Role.TOWNSHIP_LEADER, tree.township, "leader")  # no lead permissions
        chair = make_user(Role.VILLAGE_CHAIR, tree.village, "chair")
        department = make_user(Role.COUNTY_DEPARTMENT, tree.county, "department")

    return Staff


@pytest.fixture
def make_alert(tree):
    """An alert in a given status, written directly (the supervision lifecycle has its own tests)."""
    from sunlit.supervision.models import Alert

    counter = {"n": 0}

    def make(status="verified", village=None):
        counter["n"] += 1
        now = timezone.now()
        return Alert.objects.create(
            key=f"TEST:{counter['n']}",
            rule_code="TEST_RULE",
            family="conflict",
            severity="red",
            status=status,
            village=village or tree.village,
            subject="cases.case:1",
            title=f"低保发放给村干部亲属 {counter['n']}",
            explanation="测试",
            first_seen_at=now,
            last_seen_at=now,
            handling_region=tree.township,
            dismiss_reason="误报" if status == "dismissed" else "",
        )

    return make


@pytest.fixture
def make_lead(tree):
    """``make_lead(stage)``: an inspection lead driven (by the services, actor=None) to a stage:
    registered, checking, found, executed, published, rectified (ready to close)."""
    from sunlit.accountability import services

    stages = ["registered", "checking", "found", "executed", "published", "rectified"]

    def make(stage="registered", *, village=None, form=2, measure="party_warning", name="张小明"):
        lead = services.lead_register(
            actor=None,
            source="inspection",
            source_description="2026年县委第三巡察组",
            village=village or tree.village,
            title="村会计虚报冒领低保金",
            summary="巡察发现村会计为亲属虚报低保。",
        )
        upto = stages.index(stage)
        if upto >= 1:
            services.lead_dispose(
                actor=None, lead=lead, disposition="file_case", note="问题线索具体，立案审查"
            )
        if upto >= 2:
            services.finding_record(
                actor=None,
                lead=lead,
                kind="violation",
                subject_name=name,
                subject_post="村会计",
                form=form,
                measure=measure,
                facts="为其弟虚报低保2户，金额12000元",
                party_member=True,
            )
        if upto >= 3:
            for finding in lead.findings.all():
                services.finding_execute(
                    actor=None,
                    finding=finding,
                    decision_ref="光纪发〔2026〕12号",
                    executed_on=datetime.date(2026, 1, 5),
                )
        if upto >= 4 and lead.publication_required:
            services.notice_publish(
                actor=None,
                lead=lead,
                title="关于张小明虚报冒领低保金问题的通报",
                body="张小明，村会计，虚报冒领低保金。",
            )
        if upto >= 5:
            task = services.rectification_assign(
                actor=None,
                lead=lead,
                description="追回违规资金",
                responsible_unit="十里镇民政所",
                working_days=10,
            )
            services.rectification_complete(
                actor=None,
                task=task,
                note="资金已追回",
                evidence=pdf_bytes("追回凭证"),
                filename="追回凭证.pdf",
            )
        lead.refresh_from_db()
        return lead

    return make
