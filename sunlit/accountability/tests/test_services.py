"""Leads: registration from alerts, complaints and inspections; dispositions; findings in the four forms;
rectification; public naming; the four no-lets closing rule; follow-up visits."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sunlit.accountability import selectors, services
from sunlit.accountability.errors import LeadConflict, LeadRefused
from sunlit.accountability.models import Finding, Lead, LeadAction, PublicNotice, RectificationTask
from sunlit.accountability.vocab import (
    DISPOSITION_SOURCES,
    FORM_MEASURES,
    Disposition,
    Form,
    LeadStatus,
    Measure,
    NameDisplay,
)
from sunlit.cases.tests.conftest import pdf_bytes
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.models import AuditEvent

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def snapshot(lead: Lead) -> tuple:
    lead.refresh_from_db()
    return (
        lead.status,
        lead.disposition,
        lead.closed_at,
        LeadAction.objects.filter(lead=lead).count(),
        AuditEvent.objects.count(),
        Finding.objects.filter(lead=lead).count(),
    )


# --- registration ----------------------------------------------------------------------------------------


def test_a_verified_alert_becomes_a_lead_linked_both_ways(make_alert, staff):
    alert = make_alert("verified")
    lead = services.lead_register(
        actor=staff.township, source="alert", alert=alert, title="优亲厚友", summary="预警核实属实"
    )
    assert lead.village == alert.village
    assert lead.code.startswith("XS")
    assert len(lead.code) == 12
    assert selectors.lead_for_alert(staff.township, alert) == lead
    assert list(alert.leads.all()) == [lead]
    assert selectors.lead_for_alert(staff.other_township, alert) is None  # scoped
    event = AuditEvent.objects.get(kind="lead.registered")
    assert event.subject == f"accountability.lead:{lead.pk}"
    with pytest.raises(LeadRefused) as info:
        services.lead_register(actor=staff.county, source="alert", alert=alert, title="再次", summary="x")
    assert info.value.code == "alert_has_lead"
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("status", ["open", "claimed", "dismissed"])
def test_an_unverified_alert_is_refused(make_alert, staff, status):
    alert = make_alert(status)
    with pytest.raises(LeadRefused) as info:
        services.lead_register(actor=staff.township, source="alert", alert=alert, title="t", summary="s")
    assert info.value.code == "alert_not_verified"
    assert not Lead.objects.exists()
    assert not AuditEvent.objects.filter(kind="lead.registered").exists()


def test_an_inspection_lead_needs_its_source_and_a_village(tree, staff):
    with pytest.raises(LeadRefused) as info:
        services.lead_register(
            actor=staff.township, source="inspection", village=tree.village, title="t", summary="s"
        )
    assert "source_description" in info.value.fields
    with pytest.raises(LeadRefused) as info:
        services.lead_register(
            actor=staff.county,
            source="inspection",
            source_description="审计",
            village=tree.township,
            title="t",
            summary="s",
        )
    assert "village" in info.value.fields
    assert not Lead.objects.exists()


def test_out_of_scope_staff_cannot_register(tree, staff):
    for outsider in (staff.other_township, staff.far_county, staff.leader, staff.chair, staff.department):
        with pytest.raises(NotFound):
            services.lead_register(
                actor=outsider,
                source="inspection",
                source_description="巡察",
                village=tree.village,
                title="t",
                summary="s",
            )
    assert not Lead.objects.exists()


# --- dispositions ----------------------------------------------------------------------------------------


def _lead_in(make_lead, status: str, disposition: str = "") -> Lead:
    lead = make_lead("registered")
    if status == "held":
        services.lead_dispose(actor=None, lead=lead, disposition="hold", note="暂存")
    elif status == "checking":
        services.lead_dispose(actor=None, lead=lead, disposition=disposition or "inquiry", note="函询")
    elif status == "concluded":
        services.lead_dispose(actor=None, lead=lead, disposition="conclude", note="查无实据")
    elif status == "found":
        lead = make_lead("found")
    elif status == "closed":
        lead = make_lead("rectified")
        services.lead_close(actor=None, lead=lead, note="办结")
    lead.refresh_from_db()
    return lead


@pytest.mark.parametrize("disposition", Disposition.values)
@pytest.mark.parametrize("status", ["registered", "held", "checking", "found", "concluded", "closed"])
def test_dispositions_refuse_invalid_source_states(make_lead, staff, status, disposition):
    lead = _lead_in(make_lead, status)
    before = snapshot(lead)
    allowed = status in DISPOSITION_SOURCES[disposition]
    if status == "checking" and disposition == "inquiry":
        allowed = False  # already under inquiry: only a more thorough check
    if allowed:
        lead = services.lead_dispose(actor=staff.township, lead=lead, disposition=disposition, note="理由")
        assert lead.disposition == disposition
        assert AuditEvent.objects.filter(
            kind="lead.disposed", subject=f"accountability.lead:{lead.pk}"
        ).exists()
    else:
        with pytest.raises((LeadConflict, LeadRefused)):
            services.lead_dispose(actor=staff.township, lead=lead, disposition=disposition, note="理由")
        assert snapshot(lead) == before


def test_a_check_only_moves_to_a_more_thorough_one(make_lead, staff):
    lead = _lead_in(make_lead, "checking", "preliminary_check")
    with pytest.raises(LeadRefused) as info:
        services.lead_dispose(actor=staff.township, lead=lead, disposition="inquiry", note="降级")
    assert info.value.code == "disposition_downgrade"
    lead = services.lead_dispose(actor=staff.township, lead=lead, disposition="file_case", note="立案")
    assert (lead.status, lead.disposition) == (LeadStatus.CHECKING, "file_case")


def test_a_disposition_needs_a_reason(make_lead, staff):
    lead = make_lead("registered")
    before = snapshot(lead)
    with pytest.raises(LeadRefused) as info:
        services.lead_dispose(actor=staff.township, lead=lead, disposition="inquiry", note="  ")
    assert info.value.fields == {"note": [info.value.message]}
    assert snapshot(lead) == before


def test_concluding_ends_the_lead(make_lead, staff):
    lead = services.lead_dispose(
        actor=staff.township, lead=make_lead("registered"), disposition="conclude", note="查无实据，予以了结"
    )
    assert lead.status == LeadStatus.CONCLUDED
    assert lead.closed_at is not None


# --- findings --------------------------------------------------------------------------------------------

ALL_PAIRS = [(form, measure) for form in Form.values for measure in Measure.values]


@pytest.mark.parametrize(("form", "measure"), ALL_PAIRS)
def test_the_form_allows_exactly_its_measures(make_lead, staff, form, measure):
    lead = make_lead("checking")  # a filed case, so sanctions are possible
    kwargs = {
        "actor": staff.township,
        "lead": lead,
        "kind": "violation",
        "subject_name": "李四",
        "subject_post": "村主任",
        "form": form,
        "measure": measure,
        "facts": "事实",
        "party_member": True,
        "public_servant": True,
    }
    if measure in FORM_MEASURES[form]:
        finding = services.finding_record(**kwargs)
        assert (finding.form, finding.measure) == (form, measure)
    else:
        with pytest.raises(LeadRefused) as info:
            services.finding_record(**kwargs)
        assert info.value.code == "measure_not_in_form"
        assert not Finding.objects.exists()


def test_party_and_civil_service_sanctions_cover_the_statutory_lists():
    party = {m for m in Measure.values if m.startswith("party_")}
    gov = {m for m in Measure.values if m.startswith("gov_")}
    assert len(party) == 5  # 警告, 严重警告, 撤销党内职务, 留党察看, 开除党籍
    assert len(gov) == 6  # 警告, 记过, 记大过, 降级, 撤职, 开除
    assert set().union(*FORM_MEASURES.values()) == set(Measure.values)


def test_sanctions_need_a_filed_case(make_lead, staff):
    lead = _lead_in(make_lead, "checking", "preliminary_check")
    before = snapshot(lead)
    with pytest.raises(LeadRefused) as info:
        services.finding_record(
            actor=staff.township,
            lead=lead,
            kind="violation",
            subject_name="李四",
            subject_post="村主任",
            form=2,
            measure="party_warning",
            facts="事实",
        )
    assert info.value.code == "sanction_needs_case"
    assert snapshot(lead) == before
    finding = services.finding_record(
        actor=staff.township,
        lead=lead,
        kind="violation",
        subject_name="李四",
        subject_post="村主任",
        form=1,
        measure="reminder_talk",
        facts="事实",
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOUND
    assert not lead.publication_required  # form 1 is not named in public by default
    assert finding.form == 1


def test_party_sanction_needs_a_member_and_civil_service_sanction_a_public_servant(make_lead, staff):
    lead = make_lead("checking")
    common = {
        "actor": staff.township,
        "lead": lead,
        "kind": "violation",
        "subject_name": "王五",
        "subject_post": "村委委员",
        "facts": "f",
    }
    with pytest.raises(LeadRefused) as info:
        services.finding_record(**common, form=2, measure="party_warning", party_member=False)
    assert info.value.code == "not_party_member"
    with pytest.raises(LeadRefused) as info:
        services.finding_record(**common, form=2, measure="gov_demerit", public_servant=False)
    assert info.value.code == "not_public_servant"
    assert not Finding.objects.exists()


def test_dual_investigation_links_the_leaders_to_the_violation(make_lead, staff):
    lead = make_lead("found")
    violation = lead.findings.get()
    assert lead.publication_required  # form 2 is named in public
    common = {
        "actor": staff.township,
        "subject_name": "赵书记",
        "subject_post": "村党支部书记",
        "facts": "履行主体责任不力",
    }
    with pytest.raises(LeadRefused) as info:
        services.finding_record(**common, lead=lead, kind="main_responsibility", form=1, measure="admonition")
    assert info.value.code == "responsibility_link"
    other = make_lead("found", name="钱六")
    with pytest.raises(LeadRefused):
        services.finding_record(
            **common,
            lead=lead,
            kind="main_responsibility",
            form=1,
            measure="admonition",
            responsibility_for=other.findings.get(),
        )
    leader = services.finding_record(
        **common,
        lead=lead,
        kind="main_responsibility",
        form=1,
        measure="admonition",
        responsibility_for=violation,
    )
    with pytest.raises(LeadRefused):  # a responsibility finding is not itself a violation to answer for
        services.finding_record(
            **common,
            lead=lead,
            kind="leadership_responsibility",
            form=1,
            measure="criticism",
            responsibility_for=leader,
        )
    assert list(violation.responsibility_findings.all()) == [leader]


# --- the four no-lets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "missing"),
    [
        ("checking", {"not_checked", "not_rectified"}),
        ("found", {"not_handled", "not_published", "not_rectified"}),
        ("executed", {"not_published", "not_rectified"}),
        ("published", {"not_rectified"}),
    ],
)
def test_close_is_refused_for_each_missing_condition_and_changes_nothing(make_lead, staff, stage, missing):
    lead = make_lead(stage)
    before = snapshot(lead)
    with pytest.raises((LeadRefused, LeadConflict)) as info:
        services.lead_close(actor=staff.township, lead=lead, note="办结")
    assert {d["code"] for d in info.value.details} == missing
    assert snapshot(lead) == before


def test_close_refused_while_a_task_has_no_evidence(make_lead, staff):
    lead = make_lead("rectified")
    task = services.rectification_assign(
        actor=staff.township, lead=lead, description="建章立制", responsible_unit="十里村", working_days=5
    )
    before = snapshot(lead)
    with pytest.raises(LeadRefused) as info:
        services.lead_close(actor=staff.township, lead=lead, note="办结")
    assert [d["code"] for d in info.value.details] == ["not_rectified"]
    assert snapshot(lead) == before
    services.rectification_complete(
        actor=staff.township, task=task, note="制度已建立", evidence=pdf_bytes("制度"), filename="制度.pdf"
    )
    lead = services.lead_close(actor=staff.township, lead=lead, note="四个不放过均已落实")
    assert lead.status == LeadStatus.CLOSED
    assert lead.closed_by == staff.township
    assert AuditEvent.objects.filter(kind="lead.closed").count() == 1


def test_close_is_refused_when_only_publication_is_missing(make_lead, staff):
    lead = make_lead("executed")
    task = services.rectification_assign(
        actor=None, lead=lead, description="追回资金", responsible_unit="镇民政所", working_days=3
    )
    services.rectification_complete(actor=None, task=task, note="已追回", evidence=pdf_bytes("x"))
    before = snapshot(lead)
    with pytest.raises(LeadRefused) as info:
        services.lead_close(actor=staff.township, lead=lead, note="办结")
    assert [d["code"] for d in info.value.details] == ["not_published"]
    assert snapshot(lead) == before
    # A recorded reason waives publication; then the lead closes.
    services.publication_set(actor=staff.township, lead=lead, required=False, reason="涉及未成年人隐私")
    assert services.lead_close(actor=staff.township, lead=lead, note="办结").status == LeadStatus.CLOSED


def test_waiving_publication_needs_a_reason(make_lead, staff):
    lead = make_lead("found")
    with pytest.raises(LeadRefused) as info:
        services.publication_set(actor=staff.township, lead=lead, required=False, reason="")
    assert info.value.code == "waiver_reason"
    lead.refresh_from_db()
    assert lead.publication_required


def test_a_closed_lead_takes_no_more_findings_or_tasks(make_lead, staff):
    lead = make_lead("rectified")
    services.lead_close(actor=None, lead=lead, note="办结")
    with pytest.raises(LeadConflict):
        services.rectification_assign(
            actor=staff.township, lead=lead, description="x", responsible_unit="y", working_days=1
        )
    with pytest.raises(LeadConflict):
        services.finding_record(
            actor=staff.township,
            lead=lead,
            kind="violation",
            subject_name="a",
            subject_post="b",
            form=1,
            measure="criticism",
            facts="c",
        )


# --- rectification ---------------------------------------------------------------------------------------


def test_rectification_deadline_counts_working_days(make_lead, staff):
    lead = make_lead("found")
    # Friday 27 November 2026: one working day later is Monday 30 November.
    with time_machine.travel(datetime.datetime(2026, 11, 27, 16, 0, tzinfo=CST), tick=False):
        task = services.rectification_assign(
            actor=staff.township, lead=lead, description="退还", responsible_unit="十里村", working_days=1
        )
        assert task.due_on == datetime.date(2026, 11, 30)
        five = services.rectification_assign(
            actor=staff.township, lead=lead, description="公示", responsible_unit="十里村", working_days=5
        )
        assert five.due_on == datetime.date(2026, 12, 4)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 59, tzinfo=CST), tick=False):
        assert list(selectors.overdue_tasks(staff.township, datetime.date(2026, 11, 30))) == []
    with time_machine.travel(datetime.datetime(2026, 12, 1, 0, 0, tzinfo=CST), tick=False):
        assert list(selectors.overdue_tasks(staff.township, datetime.date(2026, 12, 1))) == [task]


@pytest.mark.parametrize("days", [0, -1, 251, "x"])
def test_rectification_days_out_of_bounds(make_lead, staff, days):
    lead = make_lead("found")
    with pytest.raises(LeadRefused) as info:
        services.rectification_assign(
            actor=staff.township, lead=lead, description="d", responsible_unit="u", working_days=days
        )
    assert "working_days" in info.value.fields
    assert not RectificationTask.objects.exists()


def test_rectification_needs_acceptable_evidence(make_lead, staff):
    lead = make_lead("found")
    task = services.rectification_assign(
        actor=staff.township, lead=lead, description="d", responsible_unit="u", working_days=3
    )
    for evidence in (None, b"", b"MZ not a document"):
        with pytest.raises(LeadRefused) as info:
            services.rectification_complete(actor=staff.township, task=task, note="done", evidence=evidence)
        assert "evidence" in info.value.fields
    task.refresh_from_db()
    assert task.status == "open"
    assert task.evidence_sha256 == ""
    task = services.rectification_complete(
        actor=staff.township, task=task, note="done", evidence=pdf_bytes("ok"), filename="ok.pdf"
    )
    assert len(task.evidence_sha256) == 64
    with pytest.raises(LeadConflict):
        services.rectification_complete(
            actor=staff.township, task=task, note="again", evidence=pdf_bytes("2")
        )


# --- public naming ---------------------------------------------------------------------------------------

# A valid ID number, a mobile number, and a mistyped ID number (wrong check character) that must not show either.
BODY = (
    "张小明（身份证号411522199001011232，电话13812345678，另录411522199001011234），"
    "村会计，虚报冒领低保金12000元；张小明已退赔。"
)


@pytest.mark.parametrize(
    ("display", "shown", "hidden"),
    [
        (NameDisplay.MASKED, "张**", "张小明"),
        (NameDisplay.NONE, "", "张小明"),
        (NameDisplay.FULL, "张小明", "张**"),
    ],
)
def test_notices_follow_the_county_naming_rule_and_never_show_ids_or_phones(
    make_lead, staff, tree, display, shown, hidden
):
    services.naming_policy_set(actor=staff.county, county=tree.county, name_display=display)
    lead = make_lead("executed")
    notice = services.notice_publish(actor=staff.township, lead=lead, title="关于张小明的通报", body=BODY)
    text = notice.title + notice.body
    for number in ("411522199001011232", "411522199001011234", "13812345678"):
        assert number not in text
    assert "138****5678" in notice.body
    assert "411522********1232" in notice.body
    assert "12000元" in notice.body
    if display == NameDisplay.NONE:
        assert "张小明" not in text
        assert "张**" not in text
    else:
        assert shown in text
        assert hidden not in text
    assert list(selectors.public_notices(tree.village)) == [notice]
    assert list(selectors.public_notices(tree.far_county_village)) == []


def test_withdrawn_notices_leave_the_public_list(make_lead, staff, tree):
    lead = make_lead("published")
    notice = lead.notices.get()
    services.notice_withdraw(actor=staff.township, notice=notice, reason="事实有误")
    assert list(selectors.public_notices(tree.county)) == []
    with pytest.raises(NotFound):
        selectors.public_notice(notice.pk)
    with pytest.raises(LeadConflict):
        services.notice_withdraw(actor=staff.township, notice=notice, reason="again")


def test_naming_policy_is_a_county_matter(tree, staff):
    with pytest.raises(LeadRefused):
        services.naming_policy_set(actor=staff.county, county=tree.township, name_display="full")
    with pytest.raises(NotFound):
        services.naming_policy_set(actor=staff.township, county=tree.county, name_display="full")
    with pytest.raises(NotFound):
        services.naming_policy_set(actor=staff.far_county, county=tree.county, name_display="full")


def test_a_notice_needs_findings(make_lead, staff):
    lead = make_lead("checking")
    with pytest.raises(LeadConflict):
        services.notice_publish(actor=staff.township, lead=lead, title="t", body="b")
    assert not PublicNotice.objects.exists()


# --- follow-up visits ------------------------------------------------------------------------------------


def test_follow_up_visit_after_close(make_lead, staff):
    lead = make_lead("rectified")
    services.lead_close(actor=None, lead=lead, note="办结")
    visit = services.visit_record(
        actor=staff.township,
        lead=lead,
        visited_on=datetime.date(2026, 1, 20),
        visitors="镇纪委 李某、王某",
        outcome="satisfied",
        note="群众反映整改到位",
    )
    assert visit.lead == lead
    with pytest.raises(LeadRefused):
        services.visit_record(
            actor=staff.township,
            lead=lead,
            visited_on=datetime.date(2999, 1, 1),
            visitors="x",
            outcome="satisfied",
            note="x",
        )
    with pytest.raises(LeadConflict):
        services.visit_record(
            actor=staff.township,
            lead=make_lead("registered"),
            visited_on=datetime.date(2026, 1, 20),
            visitors="x",
            outcome="satisfied",
            note="x",
        )


# --- scope -----------------------------------------------------------------------------------------------


def test_viewers_who_may_not_handle_get_permission_denied(make_lead, tree, make_user):
    from sunlit.accounts.roles import ROLE_PERMS, Perm, Role

    viewers = [r for r, p in ROLE_PERMS.items() if Perm.LEAD_VIEW in p and Perm.LEAD_HANDLE not in p]
    lead = make_lead("registered")
    for role in viewers:  # none today; the branch is kept for roles granted view only
        region = tree.township if role.startswith("township") else tree.county
        with pytest.raises(PermissionDenied):
            services.lead_dispose(actor=make_user(role, region), lead=lead, disposition="hold", note="x")
    assert Role.TOWNSHIP_DISCIPLINE in [r for r, p in ROLE_PERMS.items() if Perm.LEAD_HANDLE in p]


def test_a_stale_copy_cannot_move_a_lead_twice(make_lead, staff):
    """Two handlers opened the same registered lead; the second write sees the first one's state."""
    first = make_lead("registered")
    second = Lead.objects.get(pk=first.pk)
    services.lead_dispose(actor=staff.township, lead=first, disposition="hold", note="暂存")
    before = snapshot(second)
    with pytest.raises(LeadConflict):
        services.lead_dispose(actor=staff.county, lead=second, disposition="hold", note="也暂存")
    assert snapshot(second) == before
    assert LeadAction.objects.filter(lead=first, kind="disposed").count() == 1


def test_a_task_is_completed_once(make_lead, staff):
    lead = make_lead("found")
    task = services.rectification_assign(
        actor=staff.township, lead=lead, description="d", responsible_unit="u", working_days=2
    )
    stale = RectificationTask.objects.get(pk=task.pk)
    services.rectification_complete(actor=staff.township, task=task, note="a", evidence=pdf_bytes("a"))
    with pytest.raises(LeadConflict):
        services.rectification_complete(actor=staff.county, task=stale, note="b", evidence=pdf_bytes("b"))
    task.refresh_from_db()
    assert task.done_note == "a"
