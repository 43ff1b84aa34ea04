"""Roles and what each may do. The single source of truth for the permission matrix.

A role is held *in a region* (RoleAssignment) and applies to that region's whole subtree.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sunlit.regions.models import RegionLevel


class Role(models.TextChoices):
    # Village (村)
    VILLAGE_SECRETARY = "village_secretary", _("Village party secretary")  # 村党组织书记
    VILLAGE_CHAIR = "village_chair", _("Village committee chair")  # 村委会主任
    VILLAGE_COMMITTEE = "village_committee", _("Village committee member")  # 村两委委员
    VILLAGE_ACCOUNTANT = "village_accountant", _("Village accountant")  # 会计
    VILLAGE_CLERK = "village_clerk", _("Village reimbursement clerk")  # 报账员
    VILLAGE_SUPERVISOR = "village_supervisor", _("Village supervision committee")  # 村务监督委员会
    INTEGRITY_MONITOR = "integrity_monitor", _("Integrity monitor")  # 廉情监督员
    # Township (乡镇)
    TOWNSHIP_LEADER = "township_leader", _("Township leader")  # 乡镇党委/政府领导
    TOWNSHIP_DISCIPLINE = "township_discipline", _("Township discipline commission")  # 乡镇纪委
    TOWNSHIP_REVIEWER = "township_reviewer", _("Township reviewer")  # 乡镇审核人员
    TOWNSHIP_LIAISON = "township_liaison", _("Township village liaison")  # 包村干部
    # County (县)
    COUNTY_DISCIPLINE = "county_discipline", _("County discipline commission")  # 县纪委监委
    COUNTY_DEPARTMENT = "county_department", _("County department")  # 县直部门 (民政、农业农村…)
    # Separated system roles (三员分立)
    SYSTEM_ADMIN = "system_admin", _("System administrator")  # 系统管理员
    SECURITY_ADMIN = "security_admin", _("Security administrator")  # 安全保密管理员
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")  # 安全审计员
    # Not assignable: the villager who applies, named in flows only.
    APPLICANT = "applicant", _("Applicant (villager)")


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
FLOW_ONLY_ROLES = frozenset({Role.APPLICANT})

# The level of region each role is assigned at.
ROLE_LEVELS: dict[str, frozenset[str]] = {
    **{
        r: frozenset({RegionLevel.VILLAGE})
        for r in (
            Role.VILLAGE_SECRETARY,
            Role.VILLAGE_CHAIR,
            Role.VILLAGE_COMMITTEE,
            Role.VILLAGE_ACCOUNTANT,
            Role.VILLAGE_CLERK,
            Role.VILLAGE_SUPERVISOR,
            Role.INTEGRITY_MONITOR,
        )
    },
    **{
        r: frozenset({RegionLevel.TOWNSHIP})
        for r in (
            Role.TOWNSHIP_LEADER,
            Role.TOWNSHIP_DISCIPLINE,
            Role.TOWNSHIP_REVIEWER,
            Role.TOWNSHIP_LIAISON,
        )
    },
    Role.COUNTY_DISCIPLINE: frozenset({RegionLevel.COUNTY, RegionLevel.CITY}),
    Role.COUNTY_DEPARTMENT: frozenset({RegionLevel.COUNTY}),
    **{r: frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY}) for r in ADMIN_ROLES},
}


class Perm(models.TextChoices):
    """Actions checked by permission predicates. Scope always comes from the assignment's region."""

    STAFF_VIEW = "staff.view", _("Use the staff workbench")
    CATALOG_VIEW = "catalog.view", _("View catalog drafts and adoptions")
    CATALOG_MANAGE = "catalog.manage", _("Edit, import and publish catalogs")
    CATALOG_ADOPT = "catalog.adopt", _("Adopt a catalog and override its parameters")
    REGION_MANAGE = "region.manage", _("Import and edit regions")
    CALENDAR_MANAGE = "calendar.manage", _("Correct the working-day calendar")
    USER_MANAGE = "user.manage", _("Create and deactivate user accounts")
    ROLE_ASSIGN = "role.assign", _("Grant and revoke roles; unlock accounts")
    AUDIT_VIEW = "audit.view", _("Read the audit and access logs")
    CASE_VIEW = "case.view", _("See cases, their steps and documents")
    CASE_OPERATE = "case.operate", _("Start cases and upload their documents")
    CASE_TERMINATE = "case.terminate", _("Terminate a case with a recorded reason")
    OBJECTION_HANDLE = "objection.handle", _("Answer objections to public notices")
    SEAL_RECORD = "seal.record", _("Record seal use")
    SEAL_APPROVE = "seal.approve", _("Approve seal use")
    PEOPLE_VIEW = "people.view", _("See the people registry (masked)")
    PEOPLE_MANAGE = "people.manage", _("Register people, households, kinship and declarations")
    PEOPLE_REVEAL = "people.reveal", _("Reveal ID numbers and phones, with a logged reason")
    REFERENCE_IMPORT = "reference.import", _("Import reference datasets (deaths, vehicles, payroll …)")
    ALERT_VIEW = "alert.view", _("See supervision alerts")
    ALERT_HANDLE = "alert.handle", _("Claim, verify, dismiss and close alerts")
    RULE_MANAGE = "rule.manage", _("Set supervision rule parameters within their bounds")
    DISCLOSURE_PUBLISH = "disclosure.publish", _("Publish and correct village disclosures")
    DISCLOSURE_REDACT = "disclosure.redact", _("Redact disclosures and see the unredacted originals")
    MEETING_VIEW = "meeting.view", _("See meetings, motions and duty reports")
    MEETING_RECORD = "meeting.record", _("Convene meetings, record attendance, votes and minutes")
    DUTY_SCORE = "duty.score", _("Score discipline team leaders quarterly")
    FINANCE_VIEW = "finance.view", _("See collective assets, contracts and accounts")
    FINANCE_RECORD = "finance.record", _("Record assets, contracts, income and expenses")
    FINANCE_RECONCILE = "finance.reconcile", _("Reconcile bank balances and close the month")
    COMPLAINT_VIEW = "complaint.view", _("See complaints and reports (reporters hidden)")
    COMPLAINT_INTAKE = "complaint.intake", _("Register complaints received by phone, letter or visit")
    COMPLAINT_HANDLE = "complaint.handle", _("Claim, answer, extend and escalate complaints")
    REPORTER_REVEAL = "reporter.reveal", _("See a reporter's identity, with a logged reason")
    LEAD_VIEW = "lead.view", _("See leads and accountability records")
    LEAD_HANDLE = "lead.handle", _("Open leads, record dispositions, findings and rectification")


_VILLAGE_BASE = {
    Perm.STAFF_VIEW,
    Perm.CATALOG_VIEW,
    Perm.CASE_VIEW,
    Perm.PEOPLE_VIEW,
    Perm.MEETING_VIEW,
    Perm.FINANCE_VIEW,
}
# Village cadres who run cases: start them, upload documents, record seal use.
_VILLAGE_OPERATOR = _VILLAGE_BASE | {
    Perm.CASE_OPERATE,
    Perm.SEAL_RECORD,
    Perm.PEOPLE_MANAGE,
    Perm.DISCLOSURE_PUBLISH,
    Perm.MEETING_RECORD,
}
# The village's bookkeepers (会计, 报账员) keep the 三资 registers and accounts.
_VILLAGE_BOOKKEEPER = _VILLAGE_OPERATOR | {Perm.FINANCE_RECORD, Perm.FINANCE_RECONCILE}
_TOWNSHIP_BASE = {
    Perm.STAFF_VIEW,
    Perm.CATALOG_VIEW,
    Perm.CASE_VIEW,
    Perm.PEOPLE_VIEW,
    Perm.MEETING_VIEW,
    Perm.FINANCE_VIEW,
    Perm.COMPLAINT_VIEW,
}
ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.VILLAGE_SECRETARY: frozenset(
        _VILLAGE_OPERATOR | {Perm.CASE_TERMINATE, Perm.OBJECTION_HANDLE, Perm.SEAL_APPROVE}
    ),
    Role.VILLAGE_CHAIR: frozenset(
        _VILLAGE_OPERATOR | {Perm.CASE_TERMINATE, Perm.OBJECTION_HANDLE, Perm.SEAL_APPROVE}
    ),
    Role.VILLAGE_COMMITTEE: frozenset(_VILLAGE_OPERATOR),
    Role.VILLAGE_ACCOUNTANT: frozenset(_VILLAGE_BOOKKEEPER),
    Role.VILLAGE_CLERK: frozenset(_VILLAGE_BOOKKEEPER),
    Role.VILLAGE_SUPERVISOR: frozenset(_VILLAGE_BASE | {Perm.ALERT_VIEW}),
    Role.INTEGRITY_MONITOR: frozenset(_VILLAGE_BASE | {Perm.ALERT_VIEW}),
    Role.TOWNSHIP_LEADER: frozenset(
        _TOWNSHIP_BASE
        | {
            Perm.CATALOG_ADOPT,
            Perm.CASE_TERMINATE,
            Perm.OBJECTION_HANDLE,
            Perm.ALERT_VIEW,
            Perm.COMPLAINT_HANDLE,
            Perm.DUTY_SCORE,
            Perm.DISCLOSURE_REDACT,
        }
    ),
    Role.TOWNSHIP_DISCIPLINE: frozenset(
        _TOWNSHIP_BASE
        | {
            Perm.CATALOG_ADOPT,
            Perm.OBJECTION_HANDLE,
            Perm.PEOPLE_REVEAL,
            Perm.ALERT_VIEW,
            Perm.ALERT_HANDLE,
            Perm.COMPLAINT_INTAKE,
            Perm.COMPLAINT_HANDLE,
            Perm.REPORTER_REVEAL,
            Perm.LEAD_VIEW,
            Perm.LEAD_HANDLE,
            Perm.DUTY_SCORE,
            Perm.DISCLOSURE_REDACT,
        }
    ),
    Role.TOWNSHIP_REVIEWER: frozenset(_TOWNSHIP_BASE | {Perm.OBJECTION_HANDLE}),
    Role.TOWNSHIP_LIAISON: frozenset(_TOWNSHIP_BASE | {Perm.COMPLAINT_INTAKE}),
    Role.COUNTY_DISCIPLINE: frozenset(
        {
            Perm.STAFF_VIEW,
            Perm.CATALOG_VIEW,
            Perm.CATALOG_MANAGE,
            Perm.CATALOG_ADOPT,
            Perm.CASE_VIEW,
            Perm.PEOPLE_VIEW,
            Perm.PEOPLE_REVEAL,
            Perm.ALERT_VIEW,
            Perm.ALERT_HANDLE,
            Perm.RULE_MANAGE,
            Perm.REFERENCE_IMPORT,
            Perm.MEETING_VIEW,
            Perm.FINANCE_VIEW,
            Perm.COMPLAINT_VIEW,
            Perm.COMPLAINT_INTAKE,
            Perm.COMPLAINT_HANDLE,
            Perm.REPORTER_REVEAL,
            Perm.LEAD_VIEW,
            Perm.LEAD_HANDLE,
            Perm.DUTY_SCORE,
            Perm.DISCLOSURE_REDACT,
        }
    ),
    Role.COUNTY_DEPARTMENT: frozenset(
        {
            Perm.STAFF_VIEW,
            Perm.CATALOG_VIEW,
            Perm.CASE_VIEW,
            Perm.PEOPLE_VIEW,
            Perm.PEOPLE_REVEAL,
            Perm.REFERENCE_IMPORT,
            Perm.MEETING_VIEW,
            Perm.FINANCE_VIEW,
            Perm.COMPLAINT_VIEW,
            Perm.COMPLAINT_HANDLE,
        }
    ),
    # 三员分立: each admin does one job and none of them touches business data.
    Role.SYSTEM_ADMIN: frozenset(
        {Perm.STAFF_VIEW, Perm.REGION_MANAGE, Perm.CALENDAR_MANAGE, Perm.USER_MANAGE}
    ),
    Role.SECURITY_ADMIN: frozenset({Perm.STAFF_VIEW, Perm.ROLE_ASSIGN}),
    Role.AUDIT_ADMIN: frozenset({Perm.STAFF_VIEW, Perm.AUDIT_VIEW}),
    Role.APPLICANT: frozenset(),
}


def roles_with(perm: str) -> frozenset[str]:
    return frozenset(role for role, perms in ROLE_PERMS.items() if perm in perms)


def is_known_role(value: str) -> bool:
    return value in Role.values
