"""Demo data for accountability: called by sunlit.core.demo after the case history.

Deterministic for a seed and fast (a few dozen service calls): leads from the demo's supervision
alerts (verified first by the county discipline login, through the supervision services), from reports
of wrongdoing when the complaints demo made some, and from inspections, left at every stage — registered,
on hold, under inquiry, with findings (one with 一案双查), one whose close is refused until its
rectification is evidenced, one closed with a follow-up visit and a public naming notice, one concluded
without finding. When enough complaints exist, a topic analysis and a draft 监察建议书 too.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
GIVEN = ("建国", "小明", "国强", "秀英", "志刚", "红梅", "德福", "长青", "玉兰", "海涛")
INSPECTIONS = (
    (
        "县委第二巡察组",
        "村集体鱼塘低价发包给村干部亲属",
        "巡察发现鱼塘承包未经村民代表会议，租金明显低于周边。",
    ),
    ("县审计局", "村级工程化整为零规避招标", "审计发现村道硬化工程拆分为三个合同，均低于招标限额。"),
    ("乡镇纪委日常监督", "村会计白条入账", "检查发现2025年度有多笔白条入账，合计一万余元。"),
    ("县纪委监委专项检查", "村干部违规领取惠农补贴", "比对发现村干部以已故亲属名义领取耕地地力保护补贴。"),
)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _user(logins: Any, role: str) -> Any:
    from sunlit.accounts.models import User

    for login in logins or []:
        if login.role == role:
            return User.objects.filter(username=login.username).first()
    return None


def _pdf(title: str) -> bytes:
    from sunlit.analytics.letters import render_pdf

    return render_pdf(title=title, body=title, issuer="演示", dated=datetime.date(2026, 1, 1))


def demo_accountability(
    *, county: Any, logins: Any, seed: int, clean: bool, progress: Any = None
) -> str | None:
    """Generate this app's demo data in ``county``; return a one-line summary, or None if nothing was done."""
    from sunlit.regions.models import Region, RegionLevel
    from sunlit.supervision import services as alert_services
    from sunlit.supervision.models import Alert

    from . import services
    from .models import Lead

    if clean or county is None:
        return None  # a clean history has nothing to hold anyone accountable for
    if Lead.objects.filter(village__path__startswith=county.path).exists():
        return None  # already loaded
    rng = random.Random(f"accountability-{seed}")  # noqa: S311 - demo data, not security
    handler = _user(logins, "county_discipline")
    villages = list(
        Region.objects.filter(path__startswith=county.path, level=RegionLevel.VILLAGE).order_by("code")[:400]
    )
    if not villages:
        return None
    leads: list[Lead] = []

    # Leads from alerts: the county's discipline login claims and verifies a few open alerts first.
    alerts = list(Alert.objects.filter(village__path__startswith=county.path).order_by("key")[:40])
    rng.shuffle(alerts)
    for alert in alerts[:3]:
        if alert.status in ("open", "claimed") and handler is not None:
            if alert.status == "open":
                alert = alert_services.alert_claim(actor=handler, alert=alert)
            alert = alert_services.alert_verify(
                actor=handler, alert=alert, note="经核实，问题属实，转为问题线索。"
            )
        if alert.status in services.ALERT_LEAD_STATUSES:
            leads.append(
                services.lead_register(
                    actor=None,
                    source="alert",
                    alert=alert,
                    title=alert.title[:200],
                    summary=alert.explanation,
                )
            )

    # Leads from reports of wrongdoing, when the complaints demo made some.
    try:
        from sunlit.complaints.models import Complaint

        reports = list(
            Complaint.objects.filter(
                village__path__startswith=county.path,
                kind="report",
                status__in=services.COMPLAINT_LEAD_STATUSES,
            ).order_by("code")[:2]
        )
    except Exception:
        reports = []
    for complaint in reports:
        leads.append(
            services.lead_register(
                actor=None,
                source="complaint",
                complaint=complaint,
                title=complaint.title or complaint.code,
                summary=complaint.public_text,
            )
        )

    for source, title, summary in INSPECTIONS:
        leads.append(
            services.lead_register(
                actor=None,
                source="inspection",
                source_description=source,
                village=rng.choice(villages),
                title=title,
                summary=summary,
            )
        )

    today = timezone.localdate()
    stages = ["closed", "refused_close", "found_form1", "inquiry", "held", "concluded", "registered"]
    counts = {"closed": 0, "found": 0}
    for lead, stage in zip(leads, stages + ["registered"] * len(leads), strict=False):
        if stage == "registered":
            continue
        if stage == "held":
            services.lead_dispose(
                actor=handler, lead=lead, disposition="hold", note="线索要素不全，暂存待查。"
            )
            continue
        if stage == "concluded":
            services.lead_dispose(
                actor=handler,
                lead=lead,
                disposition="conclude",
                note="经初步了解，反映问题不属实，予以了结。",
            )
            continue
        if stage == "inquiry":
            services.lead_dispose(
                actor=handler, lead=lead, disposition="inquiry", note="对相关村干部谈话函询。"
            )
            continue
        if stage == "found_form1":
            services.lead_dispose(
                actor=handler, lead=lead, disposition="preliminary_check", note="开展初步核实。"
            )
            services.finding_record(
                actor=handler,
                lead=lead,
                kind="violation",
                subject_name=_name(rng),
                subject_post="村委委员",
                form=1,
                measure="reminder_talk",
                facts="履职不严谨，审核把关不到位，情节轻微。",
            )
            counts["found"] += 1
            continue
        # closed and refused_close: a filed case with a form-2 sanction and 一案双查
        services.lead_dispose(
            actor=handler, lead=lead, disposition="file_case", note="问题线索具体，予以立案审查。"
        )
        violator = _name(rng)
        violation = services.finding_record(
            actor=handler,
            lead=lead,
            kind="violation",
            subject_name=violator,
            subject_post="村会计",
            form=2,
            measure="party_warning",
            facts=f"{violator}利用职务便利违规操作，造成集体损失。",
        )
        leader = services.finding_record(
            actor=handler,
            lead=lead,
            kind="main_responsibility",
            responsibility_for=violation,
            subject_name=_name(rng),
            subject_post="村党支部书记",
            form=1,
            measure="admonition",
            facts="落实管党治村主体责任不力。",
        )
        for number, finding in enumerate((violation, leader), start=1):
            services.finding_execute(
                actor=handler,
                finding=finding,
                decision_ref=f"光纪发〔{today.year}〕{lead.pk * 10 + number}号",
                executed_on=today,
            )
        services.notice_publish(
            actor=handler,
            lead=lead,
            title=f"关于{violator}违规问题的通报",
            body=f"{lead.village.name}村会计{violator}{lead.title}，受到党内警告处分；村党支部书记被诫勉。",
        )
        task = services.rectification_assign(
            actor=handler,
            lead=lead,
            description="追回损失，完善制度，向村民公开整改情况。",
            responsible_unit=f"{lead.village.name}村委会",
            working_days=20,
        )
        counts["found"] += 1
        if stage == "closed":
            services.rectification_complete(
                actor=handler,
                task=task,
                note="损失已追回，制度已建立并公示。",
                evidence=_pdf("整改报告"),
                filename="整改报告.pdf",
            )
            services.lead_close(actor=handler, lead=lead, note="查清问题、处理到位、通报曝光、整改完成。")
            services.visit_record(
                actor=handler,
                lead=lead,
                visited_on=today - datetime.timedelta(days=0),
                visitors="乡镇纪委",
                outcome="satisfied",
                note="回访群众，整改到位。",
            )
            counts["closed"] += 1

    runs = _demo_analysis(county, handler)
    named = (
        Lead.objects.filter(village__path__startswith=county.path, notices__isnull=False).distinct().count()
    )
    return (
        _("%(leads)d leads (%(found)d with findings, %(closed)d closed), %(named)d named in public")
        % {"leads": len(leads), "found": counts["found"], "closed": counts["closed"], "named": named}
        + runs
    )


def _demo_analysis(county: Any, handler: Any) -> str:
    """A topic analysis and a draft letter, when the complaints demo left enough text."""
    try:
        from sunlit.complaints.models import Complaint

        total = Complaint.objects.filter(village__path__startswith=county.path).count()
    except Exception:
        return ""
    if total < 30:
        return ""
    from sunlit.analytics import services as analysis

    today = timezone.localdate()
    run = analysis.topic_run_create(
        actor=None,
        region=county,
        period_from=today - datetime.timedelta(days=3 * 365),
        period_to=today,
        n_topics=6,
    )
    if run.result.get("topics"):
        analysis.recommendation_draft(actor=None, run=run, department="县民政局")
    return _("; topic analysis of %(n)d complaints") % {"n": run.documents}
