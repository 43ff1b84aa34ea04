"""Closed vocabularies of accountability: lead sources and statuses, dispositions, the four forms and
the measures and sanctions each form allows (四种形态), responsibility kinds (一案双查)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LeadSource(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint or report")  # 信访举报
    ALERT = "alert", _("Supervision alert")  # 预警 (verified)
    INSPECTION = "inspection", _("Inspection")  # 巡察、审计、监督检查 (entered by hand)


class LeadStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")  # 登记: waiting for a disposition
    HELD = "held", _("On hold")  # 暂存待查: kept until more is known
    CHECKING = "checking", _("Being checked")  # 谈话函询 / 初步核实 / 立案审查 under way
    FOUND = "found", _("Findings recorded")  # 已认定: findings, rectification and publication follow
    CONCLUDED = "concluded", _("Concluded without finding")  # 予以了结: ends here, with the reason
    CLOSED = "closed", pgettext_lazy("lead status", "Closed")  # 办结: the four no-lets were met


class Disposition(models.TextChoices):
    INQUIRY = "inquiry", _("Talk and written inquiry")  # 谈话函询
    PRELIMINARY_CHECK = "preliminary_check", _("Preliminary check")  # 初步核实
    HOLD = "hold", _("Hold for later checking")  # 暂存待查
    CONCLUDE = "conclude", _("Conclude")  # 予以了结
    FILE_CASE = "file_case", _("File a case for review")  # 立案审查


# How thorough a checking disposition is: a lead may move up (inquiry → check → case), never down.
CHECK_RANK = {Disposition.INQUIRY: 1, Disposition.PRELIMINARY_CHECK: 2, Disposition.FILE_CASE: 3}

# Where each disposition may be taken from (the lead's status and, when checking, its disposition).
DISPOSITION_SOURCES: dict[str, tuple[str, ...]] = {
    Disposition.INQUIRY: (LeadStatus.REGISTERED, LeadStatus.HELD),
    Disposition.PRELIMINARY_CHECK: (LeadStatus.REGISTERED, LeadStatus.HELD, LeadStatus.CHECKING),
    Disposition.HOLD: (LeadStatus.REGISTERED,),
    Disposition.CONCLUDE: (LeadStatus.REGISTERED, LeadStatus.HELD, LeadStatus.CHECKING),
    Disposition.FILE_CASE: (LeadStatus.REGISTERED, LeadStatus.HELD, LeadStatus.CHECKING),
}
DISPOSITION_TARGET = {
    Disposition.INQUIRY: LeadStatus.CHECKING,
    Disposition.PRELIMINARY_CHECK: LeadStatus.CHECKING,
    Disposition.HOLD: LeadStatus.HELD,
    Disposition.CONCLUDE: LeadStatus.CONCLUDED,
    Disposition.FILE_CASE: LeadStatus.CHECKING,
}


class Form(models.IntegerChoices):
    """四种形态."""

    FIRST = 1, _("Form 1: criticism and reminders")  # 批评教育、谈话提醒、诫勉 (the great majority)
    SECOND = 2, _("Form 2: light sanctions or adjustment")  # 党纪轻处分、组织调整 (the large number)
    THIRD = 3, _("Form 3: heavy sanctions or major post changes")  # 党纪重处分、重大职务调整 (few)
    FOURTH = 4, _("Form 4: serious violation, suspected crime")  # 严重违纪涉嫌违法立案审查 (very few)


class MeasureKind(models.TextChoices):
    MEASURE = "measure", _("Measure")  # 处理措施 (form 1, organisational adjustment)
    PARTY = "party", _("Party sanction")  # 党纪处分
    GOVERNMENT = "government", _("Civil-service sanction")  # 政务处分
    TRANSFER = "transfer", _("Transfer to prosecutors")  # 移送审查起诉


class Measure(models.TextChoices):
    # form 1
    CRITICISM = "criticism", _("Criticism and education")  # 批评教育
    REMINDER_TALK = "reminder_talk", _("Reminder talk")  # 谈话提醒
    SELF_CRITICISM = "self_criticism", _("Ordered written self-criticism")  # 责令检查
    CIRCULATED_CRITICISM = "circulated_criticism", _("Circulated criticism")  # 通报批评
    ADMONITION = "admonition", _("Admonition")  # 诫勉
    # form 2: light party sanctions, light civil-service sanctions, organisational adjustment
    PARTY_WARNING = "party_warning", _("Party warning")  # 警告
    PARTY_SERIOUS_WARNING = "party_serious_warning", _("Serious party warning")  # 严重警告
    GOV_WARNING = "gov_warning", _("Civil-service warning")  # 政务警告
    GOV_DEMERIT = "gov_demerit", _("Demerit")  # 记过
    GOV_MAJOR_DEMERIT = "gov_major_demerit", _("Major demerit")  # 记大过
    ORG_ADJUSTMENT = "org_adjustment", _("Organisational adjustment")  # 停职检查、调整职务、责令辞职
    # form 3: heavy party sanctions, heavy civil-service sanctions, major post changes
    PARTY_POST_REMOVAL = "party_post_removal", _("Removal from party posts")  # 撤销党内职务
    PARTY_PROBATION = "party_probation", _("Party probation")  # 留党察看
    PARTY_EXPULSION = "party_expulsion", _("Expulsion from the party")  # 开除党籍
    GOV_DEMOTION = "gov_demotion", _("Demotion")  # 降级
    GOV_REMOVAL = "gov_removal", _("Removal from post")  # 撤职
    GOV_EXPULSION = "gov_expulsion", _("Expulsion from public employment")  # 开除
    MAJOR_POST_CHANGE = "major_post_change", _("Major post change")  # 重大职务调整
    # form 4
    PROSECUTION = "prosecution", _("Transfer to prosecutors")  # 移送审查起诉


MEASURE_KIND: dict[str, str] = {
    Measure.CRITICISM: MeasureKind.MEASURE,
    Measure.REMINDER_TALK: MeasureKind.MEASURE,
    Measure.SELF_CRITICISM: MeasureKind.MEASURE,
    Measure.CIRCULATED_CRITICISM: MeasureKind.MEASURE,
    Measure.ADMONITION: MeasureKind.MEASURE,
    Measure.ORG_ADJUSTMENT: MeasureKind.MEASURE,
    Measure.MAJOR_POST_CHANGE: MeasureKind.MEASURE,
    Measure.PARTY_WARNING: MeasureKind.PARTY,
    Measure.PARTY_SERIOUS_WARNING: MeasureKind.PARTY,
    Measure.PARTY_POST_REMOVAL: MeasureKind.PARTY,
    Measure.PARTY_PROBATION: MeasureKind.PARTY,
    Measure.PARTY_EXPULSION: MeasureKind.PARTY,
    Measure.GOV_WARNING: MeasureKind.GOVERNMENT,
    Measure.GOV_DEMERIT: MeasureKind.GOVERNMENT,
    Measure.GOV_MAJOR_DEMERIT: MeasureKind.GOVERNMENT,
    Measure.GOV_DEMOTION: MeasureKind.GOVERNMENT,
    Measure.GOV_REMOVAL: MeasureKind.GOVERNMENT,
    Measure.GOV_EXPULSION: MeasureKind.GOVERNMENT,
    Measure.PROSECUTION: MeasureKind.TRANSFER,
}

# The measures each form allows. Expulsions are form 3, or form 4 when the violation is also a crime.
FORM_MEASURES: dict[int, frozenset[str]] = {
    Form.FIRST: frozenset(
        {
            Measure.CRITICISM,
            Measure.REMINDER_TALK,
            Measure.SELF_CRITICISM,
            Measure.CIRCULATED_CRITICISM,
            Measure.ADMONITION,
        }
    ),
    Form.SECOND: frozenset(
        {
            Measure.PARTY_WARNING,
            Measure.PARTY_SERIOUS_WARNING,
            Measure.GOV_WARNING,
            Measure.GOV_DEMERIT,
            Measure.GOV_MAJOR_DEMERIT,
            Measure.ORG_ADJUSTMENT,
        }
    ),
    Form.THIRD: frozenset(
        {
            Measure.PARTY_POST_REMOVAL,
            Measure.PARTY_PROBATION,
            Measure.PARTY_EXPULSION,
            Measure.GOV_DEMOTION,
            Measure.GOV_REMOVAL,
            Measure.GOV_EXPULSION,
            Measure.MAJOR_POST_CHANGE,
        }
    ),
    Form.FOURTH: frozenset({Measure.PROSECUTION, Measure.PARTY_EXPULSION, Measure.GOV_EXPULSION}),
}


class FindingKind(models.TextChoices):
    VIOLATION = "violation", _("Violation")  # 违纪违法问题本身
    MAIN_RESPONSIBILITY = "main_responsibility", _("Main responsibility (party committee)")  # 主体责任
    SUPERVISION_RESPONSIBILITY = (
        "supervision_responsibility",
        _("Supervision responsibility (discipline body)"),
    )  # 监督责任
    LEADERSHIP_RESPONSIBILITY = "leadership_responsibility", _("Leadership responsibility")  # 领导责任


RESPONSIBILITY_KINDS = frozenset(
    {
        FindingKind.MAIN_RESPONSIBILITY,
        FindingKind.SUPERVISION_RESPONSIBILITY,
        FindingKind.LEADERSHIP_RESPONSIBILITY,
    }
)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")  # 整改中
    DONE = "done", _("Done with evidence")  # 已整改, evidence stored


class NoticeStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")  # 已通报
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 撤回 (the reason is recorded)


class NameDisplay(models.TextChoices):
    """How a county names people in public notices (ID numbers and phones are never shown)."""

    FULL = "full", _("Full name")  # 实名通报
    MASKED = "masked", _("Surname only")  # 张某 style: first character kept, the rest masked
    NONE = "none", _("No name, post only")  # 仅职务


class VisitOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Rectification holds")  # 整改到位
    RELAPSE = "relapse", _("Problem came back")  # 问题反弹
