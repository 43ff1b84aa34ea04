"""Writes of accountability. Keyword-only, the actor named, one transaction, a LeadAction row and a
ledger event inside it; a refusal (a DomainError from errors.py) changes nothing.

Lifecycle of a lead:

    registered ─┬─ hold ──────────────▶ held ──┐
                ├─ inquiry / check / file case ─▶ checking ─(finding)─▶ found ─(four no-lets)─▶ closed
                └─ conclude ──────────▶ concluded   (held and checking may also conclude)

``actor=None`` is reserved for bootstrap code (the demo) and skips the permission check.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.calendar import add_working_days
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.ledger import ledger_append
from sunlit.core.masking import mask_name, mask_pii
from sunlit.regions.models import Region, RegionLevel

from .errors import LeadConflict, LeadErrorCode, LeadRefused
from .models import (
    Finding,
    FollowUpVisit,
    Lead,
    LeadAction,
    NamingPolicy,
    PublicNotice,
    RectificationTask,
)
from .vocab import (
    CHECK_RANK,
    DISPOSITION_SOURCES,
    DISPOSITION_TARGET,
    FORM_MEASURES,
    MEASURE_KIND,
    RESPONSIBILITY_KINDS,
    Disposition,
    FindingKind,
    Form,
    LeadSource,
    LeadStatus,
    Measure,
    MeasureKind,
    NameDisplay,
    NoticeStatus,
    TaskStatus,
    VisitOutcome,
)

MAX_WORKING_DAYS = 250
# Alert statuses from which a lead may be opened: the problem was verified by the handler.
ALERT_LEAD_STATUSES = ("verified", "rectifying", "closed")
# Complaint statuses from which a lead may be opened: routed, and not refused, unverified or a duplicate.
COMPLAINT_LEAD_STATUSES = ("received", "accepted", "answered", "closed")


# --- helpers ---------------------------------------------------------------------------------------------


def _require_handle(actor: User | None, lead: Lead) -> None:
    if actor is None:
        return
    if has_perm(actor, Perm.LEAD_HANDLE, lead.village):
        return
    if has_perm(actor, Perm.LEAD_VIEW, lead.village):
        raise PermissionDenied(_("Only the discipline office of this village may act on its leads."))
    raise NotFound()


def _text(value: Any, field: str, message: str, *, limit: int = 4000) -> str:
    value = str(value or "").strip()
    if not value:
        raise LeadRefused(message, code=LeadErrorCode.REQUIRED, fields={field: [message]})
    return value[:limit]


def _act(
    *,
    lead: Lead,
    kind: str,
    actor: User | None,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    payload: dict[str, Any] | None = None,
    subject: str | None = None,
) -> None:
    now = timezone.now()
    LeadAction.objects.create(
        lead=lead,
        kind=kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status or from_status,
        at=now,
    )
    ledger_append(
        kind=f"lead.{kind}",
        actor=actor,
        subject=subject or f"accountability.lead:{lead.pk}",
        region=lead.village,
        payload={"lead": lead.code, "from": from_status, "to": to_status or from_status, **(payload or {})},
    )


def _move(lead: Lead, sources: tuple[str, ...], target: str, **changes: Any) -> None:
    """Conditional update on the current status: two handlers cannot both move the lead."""
    updated = Lead.objects.filter(pk=lead.pk, status__in=sources).update(status=target, **changes)
    if not updated:
        current = Lead.objects.filter(pk=lead.pk).values_list("status", flat=True).first()
        raise LeadConflict(
            _("The lead is “%(status)s”; this is not possible now.")
            % {"status": LeadStatus(current).label if current else "?"},
        )


def _locked(lead: Lead) -> Lead:
    """Re-read the lead inside the transaction (row lock on PostgreSQL; SQLite transactions are
    IMMEDIATE, so the writer lock is held already)."""
    return Lead.objects.select_for_update().select_related("village").get(pk=lead.pk)


# --- registration ----------------------------------------------------------------------------------------


def lead_register(
    *,
    actor: User | None,
    source: str,
    title: str,
    summary: str,
    village: Region | None = None,
    alert: Any = None,
    complaint: Any = None,
    source_description: str = "",
) -> Lead:
    """Open a lead from a verified alert, a complaint or an inspection (entered by hand)."""
    if source not in LeadSource.values:
        raise LeadRefused(_("Choose where the lead comes from."), code=LeadErrorCode.SOURCE_INVALID)
    fields: dict[str, list[str]] = {}
    if source == LeadSource.ALERT:
        if alert is None:
            raise LeadRefused(_("Choose the alert."), code=LeadErrorCode.SOURCE_INVALID)
        village = alert.village
        if alert.status not in ALERT_LEAD_STATUSES:
            raise LeadRefused(
                _("Only a verified alert can become a lead; this one is “%(status)s”.")
                % {"status": alert.get_status_display()},
                code=LeadErrorCode.ALERT_NOT_VERIFIED,
            )
    elif source == LeadSource.COMPLAINT:
        if complaint is None:
            raise LeadRefused(_("Choose the complaint."), code=LeadErrorCode.SOURCE_INVALID)
        village = complaint.village
        if complaint.status not in COMPLAINT_LEAD_STATUSES:
            raise LeadRefused(
                _("A complaint that is “%(status)s” cannot become a lead.")
                % {"status": complaint.get_status_display()},
                code=LeadErrorCode.COMPLAINT_NOT_ELIGIBLE,
            )
    else:
        source_description = str(source_description or "").strip()
        if not source_description:
            fields["source_description"] = [_("Say which inspection found it, when and where.")]
    if village is None or village.level != RegionLevel.VILLAGE:
        fields["village"] = [_("Choose a village.")]
    title = str(title or "").strip()[:200]
    summary = str(summary or "").strip()[:8000]
    if not title:
        fields["title"] = [_("Give the lead a title.")]
    if not summary:
        fields["summary"] = [_("Summarise the problem.")]
    if fields:
        raise LeadRefused(_("The lead is not complete."), code=LeadErrorCode.REQUIRED, fields=fields)
    assert village is not None
    if actor is not None and not has_perm(actor, Perm.LEAD_HANDLE, village):
        raise NotFound()
    now = timezone.now()
    try:
        with transaction.atomic():
            if alert is not None and Lead.objects.filter(alert=alert).exists():
                raise LeadRefused(_("This alert is already a lead."), code=LeadErrorCode.ALERT_HAS_LEAD)
            if complaint is not None and Lead.objects.filter(complaint=complaint).exists():
                raise LeadRefused(
                    _("This complaint is already a lead."), code=LeadErrorCode.COMPLAINT_HAS_LEAD
                )
            lead = Lead.objects.create(
                code=f"tmp-{uuid.uuid4().hex[:16]}",
                source=source,
                alert=alert if source == LeadSource.ALERT else None,
                complaint=complaint if source == LeadSource.COMPLAINT else None,
                source_description=source_description[:4000],
                village=village,
                title=title,
                summary=summary,
                registered_at=now,
                registered_by=actor,
            )
            lead.code = f"XS{timezone.localtime(now):%Y}{lead.pk:06d}"
            lead.save(update_fields=["code"])
            _act(
                lead=lead,
                kind="registered",
                actor=actor,
                to_status=LeadStatus.REGISTERED,
                payload={
                    "source": source,
                    "alert": alert.pk if alert is not None else None,
                    "complaint": complaint.pk if complaint is not None else None,
                    "title": title,
                },
            )
    except IntegrityError:  # a concurrent registration of the same alert or complaint won
        raise LeadRefused(_("This source is already a lead."), code=LeadErrorCode.ALERT_HAS_LEAD) from None
    return lead


# --- disposition ------------------------------------------------------------------------------------------


def lead_dispose(*, actor: User | None, lead: Lead, disposition: str, note: str) -> Lead:
    """Record a disposition (谈话函询 / 初步核实 / 暂存待查 / 予以了结 / 立案审查)."""
    _require_handle(actor, lead)
    if disposition not in Disposition.values:
        raise LeadRefused(_("Choose a disposition."), code=LeadErrorCode.DISPOSITION_INVALID)
    note = _text(note, "note", _("Give the reason for the disposition."))
    with transaction.atomic():
        current = _locked(lead)
        if (
            current.status == LeadStatus.CHECKING
            and disposition in CHECK_RANK
            and CHECK_RANK[Disposition(disposition)] <= CHECK_RANK.get(current.disposition, 0)
        ):
            raise LeadRefused(
                _("The lead is already under “%(current)s”; it can only move to a more thorough check.")
                % {"current": current.get_disposition_display()},
                code=LeadErrorCode.DISPOSITION_DOWNGRADE,
            )
        if current.status not in DISPOSITION_SOURCES[disposition]:
            raise LeadConflict(
                _("A lead that is “%(status)s” cannot be given the disposition “%(disposition)s”.")
                % {"status": current.get_status_display(), "disposition": Disposition(disposition).label},
                code=LeadErrorCode.LEAD_STATE,
            )
        target = DISPOSITION_TARGET[Disposition(disposition)]
        now = timezone.now()
        changes: dict[str, Any] = {
            "disposition": disposition,
            "disposition_note": note,
            "disposed_at": now,
        }
        if target == LeadStatus.CONCLUDED:
            changes.update(closed_at=now, closed_by=actor, close_note=note)
        _move(current, (current.status,), target, **changes)
        _act(
            lead=current,
            kind="disposed",
            actor=actor,
            note=note,
            from_status=current.status,
            to_status=target,
            payload={"disposition": disposition},
        )
    lead.refresh_from_db()
    return lead


# --- findings ---------------------------------------------------------------------------------------------


def finding_record(
    *,
    actor: User | None,
    lead: Lead,
    kind: str,
    subject_name: str,
    subject_post: str,
    form: int,
    measure: str,
    facts: str,
    party_member: bool = True,
    public_servant: bool = False,
    responsibility_for: Finding | None = None,
) -> Finding:
    """Record a finding in one of the four forms with a measure or sanction the form allows.

    Party and civil-service sanctions and form 4 need a filed case (立案审查); a party sanction needs a
    party member, a civil-service sanction a public servant. A responsibility finding (一案双查) must
    point at a violation finding of the same lead.
    """
    _require_handle(actor, lead)
    fields: dict[str, list[str]] = {}
    if kind not in FindingKind.values:
        fields["kind"] = [_("Choose what the finding is about.")]
    try:
        form = int(form)
    except (TypeError, ValueError):
        form = 0
    if form not in Form.values:
        fields["form"] = [_("Choose one of the four forms.")]
    if measure not in Measure.values:
        fields["measure"] = [_("Choose the measure or sanction.")]
    subject_name = str(subject_name or "").strip()[:100]
    subject_post = str(subject_post or "").strip()[:100]
    facts = str(facts or "").strip()[:8000]
    if not subject_name:
        fields["subject_name"] = [_("Name the person.")]
    if not subject_post:
        fields["subject_post"] = [_("Give the person's post.")]
    if not facts:
        fields["facts"] = [_("Record the facts established.")]
    if fields:
        raise LeadRefused(_("The finding is not complete."), code=LeadErrorCode.REQUIRED, fields=fields)
    if measure not in FORM_MEASURES[form]:
        allowed = ", ".join(str(Measure(m).label) for m in sorted(FORM_MEASURES[form]))
        message = _("“%(measure)s” is not a measure of “%(form)s”. That form allows: %(allowed)s.") % {
            "measure": Measure(measure).label,
            "form": Form(form).label,
            "allowed": allowed,
        }
        raise LeadRefused(message, code=LeadErrorCode.MEASURE_NOT_IN_FORM, fields={"measure": [message]})
    measure_kind = MEASURE_KIND[measure]
    if measure_kind == MeasureKind.PARTY and not party_member:
        message = _("A party sanction applies only to a party member.")
        raise LeadRefused(message, code=LeadErrorCode.NOT_PARTY_MEMBER, fields={"measure": [message]})
    if measure_kind == MeasureKind.GOVERNMENT and not public_servant:
        message = _("A civil-service sanction applies only to someone subject to them.")
        raise LeadRefused(message, code=LeadErrorCode.NOT_PUBLIC_SERVANT, fields={"measure": [message]})
    if kind == FindingKind.VIOLATION and responsibility_for is not None:
        message = _("Only a responsibility finding points at another finding.")
        raise LeadRefused(
            message, code=LeadErrorCode.RESPONSIBILITY_LINK, fields={"responsibility_for": [message]}
        )
    if kind in RESPONSIBILITY_KINDS and (
        responsibility_for is None
        or responsibility_for.lead_id != lead.pk
        or responsibility_for.kind != FindingKind.VIOLATION
    ):
        message = _("Choose the violation finding of this lead that the leaders answer for.")
        raise LeadRefused(
            message, code=LeadErrorCode.RESPONSIBILITY_LINK, fields={"responsibility_for": [message]}
        )
    with transaction.atomic():
        current = _locked(lead)
        if current.status not in (LeadStatus.CHECKING, LeadStatus.FOUND):
            raise LeadConflict(
                _("Findings are recorded while a lead is checked; this one is “%(status)s”.")
                % {"status": current.get_status_display()},
            )
        needs_case = measure_kind in (MeasureKind.PARTY, MeasureKind.GOVERNMENT, MeasureKind.TRANSFER) or (
            form == Form.FOURTH
        )
        if needs_case and current.disposition != Disposition.FILE_CASE:
            message = _("Sanctions and form 4 need a filed case (立案审查) first.")
            raise LeadRefused(message, code=LeadErrorCode.SANCTION_NEEDS_CASE, fields={"measure": [message]})
        finding = Finding.objects.create(
            lead=current,
            kind=kind,
            responsibility_for=responsibility_for if kind in RESPONSIBILITY_KINDS else None,
            subject_name=subject_name,
            subject_post=subject_post,
            party_member=bool(party_member),
            public_servant=bool(public_servant),
            form=form,
            measure=measure,
            facts=facts,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        changes: dict[str, Any] = {}
        if kind == FindingKind.VIOLATION and form >= Form.SECOND and not current.publication_waiver:
            changes["publication_required"] = True  # 典型问题通报曝光 unless waived with a reason
        _move(current, (current.status,), LeadStatus.FOUND, **changes)
        _act(
            lead=current,
            kind="finding",
            actor=actor,
            from_status=current.status,
            to_status=LeadStatus.FOUND,
            subject=f"accountability.finding:{finding.pk}",
            payload={
                "finding": finding.pk,
                "kind": kind,
                "form": form,
                "measure": measure,
                "post": subject_post,
                "responsibility_for": finding.responsibility_for_id,
            },
        )
    lead.refresh_from_db()
    return finding


def finding_execute(
    *, actor: User | None, finding: Finding, decision_ref: str, executed_on: datetime.date
) -> Finding:
    """Record that the measure was carried out (处理到位): the decision's reference and date."""
    lead = finding.lead
    _require_handle(actor, lead)
    decision_ref = _text(decision_ref, "decision_ref", _("Give the decision's reference number."), limit=100)
    if not isinstance(executed_on, datetime.date) or executed_on > timezone.localdate():
        message = _("Give the date the measure was carried out (not in the future).")
        raise LeadRefused(message, code=LeadErrorCode.DATE_INVALID, fields={"executed_on": [message]})
    with transaction.atomic():
        updated = Finding.objects.filter(
            pk=finding.pk, executed_on__isnull=True, lead__status=LeadStatus.FOUND
        ).update(decision_ref=decision_ref, executed_on=executed_on)
        if not updated:
            raise LeadConflict(
                _("This finding was already carried out, or the lead is closed."),
                code=LeadErrorCode.FINDING_EXECUTED,
            )
        _act(
            lead=lead,
            kind="executed",
            actor=actor,
            from_status=lead.status,
            subject=f"accountability.finding:{finding.pk}",
            payload={"finding": finding.pk, "decision_ref": decision_ref, "executed_on": executed_on},
        )
    finding.refresh_from_db()
    return finding


# --- publication ------------------------------------------------------------------------------------------


def publication_set(*, actor: User | None, lead: Lead, required: bool, reason: str = "") -> Lead:
    """Decide whether the outcome must be named in public; not naming it needs a recorded reason."""
    _require_handle(actor, lead)
    reason = str(reason or "").strip()[:4000]
    if not required and not reason:
        message = _("Give the reason this outcome is not named in public.")
        raise LeadRefused(message, code=LeadErrorCode.WAIVER_REASON, fields={"reason": [message]})
    with transaction.atomic():
        current = _locked(lead)
        if current.status in (LeadStatus.CLOSED, LeadStatus.CONCLUDED):
            raise LeadConflict(
                _("The lead is “%(status)s”; this is not possible now.")
                % {"status": current.get_status_display()}
            )
        Lead.objects.filter(pk=lead.pk).update(
            publication_required=bool(required), publication_waiver="" if required else reason
        )
        _act(
            lead=current,
            kind="publication",
            actor=actor,
            note=reason,
            from_status=current.status,
            payload={"required": bool(required), "reason": reason},
        )
    lead.refresh_from_db()
    return lead


def naming_display(county: Region | None) -> str:
    if county is None:
        return NameDisplay.MASKED
    policy = NamingPolicy.objects.filter(county=county).values_list("name_display", flat=True).first()
    return policy or NameDisplay.MASKED


def shown_name(name: str, display: str) -> str:
    if display == NameDisplay.FULL:
        return name
    if display == NameDisplay.NONE:
        return ""
    return mask_name(name)


_LONG_NUMBER = re.compile(r"(?<!\d)\d{11,}[\dXx]?(?![\dXx])")


def mask_notice_text(text: str, names: list[str], display: str) -> str:
    """The public form of a notice text: ID numbers, phones and cards always masked (and, stricter than
    ``mask_pii``, any other run of 11 or more digits, so a mistyped ID number does not slip through);
    the people's names replaced as the county's rule says (longest first, so 王小明 is not half-replaced
    by 王小)."""
    text = mask_pii(text)
    text = _LONG_NUMBER.sub(lambda m: "*" * len(m.group()), text)
    if display == NameDisplay.FULL:
        return text
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, shown_name(name, display) or _("the person concerned"))
    return text


def notice_publish(*, actor: User | None, lead: Lead, title: str, body: str) -> PublicNotice:
    """通报曝光: publish a notice about a lead's findings, masked by the county's naming rule."""
    _require_handle(actor, lead)
    title = _text(title, "title", _("Give the notice a title."), limit=200)
    body = _text(body, "body", _("Write the notice."), limit=8000)
    with transaction.atomic():
        current = _locked(lead)
        if current.status != LeadStatus.FOUND:
            raise LeadConflict(
                _(
                    "Only a lead with findings that is not closed can be named in public; this one is “%(status)s”."
                )
                % {"status": current.get_status_display()},
                code=LeadErrorCode.NOTICE_STATE,
            )
        display = naming_display(_county_of(current.village))
        names = list(current.findings.values_list("subject_name", flat=True))
        notice = PublicNotice.objects.create(
            lead=current,
            village=current.village,
            title=mask_notice_text(title, names, display),
            body=mask_notice_text(body, names, display),
            name_display=display,
            published_at=timezone.now(),
            published_by=actor,
        )
        _act(
            lead=current,
            kind="published",
            actor=actor,
            from_status=current.status,
            subject=f"accountability.publicnotice:{notice.pk}",
            payload={"notice": notice.pk, "title": notice.title, "name_display": display},
        )
    return notice


def notice_withdraw(*, actor: User | None, notice: PublicNotice, reason: str) -> PublicNotice:
    _require_handle(actor, notice.lead)
    reason = _text(reason, "reason", _("Give the reason for withdrawing the notice."))
    with transaction.atomic():
        updated = PublicNotice.objects.filter(pk=notice.pk, status=NoticeStatus.PUBLISHED).update(
            status=NoticeStatus.WITHDRAWN, withdrawn_at=timezone.now(), withdraw_reason=reason
        )
        if not updated:
            raise LeadConflict(_("The notice was already withdrawn."), code=LeadErrorCode.NOTICE_STATE)
        _act(
            lead=notice.lead,
            kind="withdrawn",
            actor=actor,
            note=reason,
            from_status=notice.lead.status,
            subject=f"accountability.publicnotice:{notice.pk}",
            payload={"notice": notice.pk, "reason": reason},
        )
    notice.refresh_from_db()
    return notice


def _county_of(region: Region) -> Region | None:
    codes = region.ancestor_codes()
    return Region.objects.filter(code__in=codes, level=RegionLevel.COUNTY).first()


def naming_policy_set(*, actor: User | None, county: Region, name_display: str) -> NamingPolicy:
    """A county's rule for names in public notices (county discipline staff)."""
    if county.level != RegionLevel.COUNTY:
        raise LeadRefused(_("Naming rules are set by a county."), code=LeadErrorCode.NOT_A_COUNTY)
    if actor is not None and not has_perm(actor, Perm.LEAD_HANDLE, county):
        raise NotFound()
    if name_display not in NameDisplay.values:
        message = _("Choose how names are shown.")
        raise LeadRefused(message, code=LeadErrorCode.REQUIRED, fields={"name_display": [message]})
    with transaction.atomic():
        policy, _created = NamingPolicy.objects.update_or_create(
            county=county, defaults={"name_display": name_display, "set_by": actor}
        )
        ledger_append(
            kind="lead.naming_policy",
            actor=actor,
            subject=f"accountability.namingpolicy:{policy.pk}",
            region=county,
            payload={"name_display": name_display},
        )
    return policy


# --- rectification ----------------------------------------------------------------------------------------


def rectification_assign(
    *, actor: User | None, lead: Lead, description: str, responsible_unit: str, working_days: int
) -> RectificationTask:
    """整改: a task with a deadline counted in working days from today."""
    _require_handle(actor, lead)
    description = _text(description, "description", _("Say what must be rectified."))
    responsible_unit = _text(responsible_unit, "responsible_unit", _("Name the unit responsible."), limit=120)
    try:
        days = int(working_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_WORKING_DAYS:
        message = _("Give between 1 and %(max)d working days.") % {"max": MAX_WORKING_DAYS}
        raise LeadRefused(message, code=LeadErrorCode.WORKING_DAYS, fields={"working_days": [message]})
    now = timezone.now()
    with transaction.atomic():
        current = _locked(lead)
        if current.status != LeadStatus.FOUND:
            raise LeadConflict(
                _("Rectification follows findings; this lead is “%(status)s”.")
                % {"status": current.get_status_display()},
            )
        task = RectificationTask.objects.create(
            lead=current,
            description=description,
            responsible_unit=responsible_unit,
            working_days=days,
            due_on=add_working_days(timezone.localdate(now), days),
            assigned_at=now,
            assigned_by=actor,
        )
        _act(
            lead=current,
            kind="rectification",
            actor=actor,
            note=description,
            from_status=current.status,
            subject=f"accountability.rectificationtask:{task.pk}",
            payload={"task": task.pk, "unit": responsible_unit, "due_on": task.due_on},
        )
    return task


def rectification_complete(
    *, actor: User | None, task: RectificationTask, note: str, evidence: bytes | None, filename: str = ""
) -> RectificationTask:
    """Rectification done, only with evidence (cleaned and stored content-addressed; hash in the ledger)."""
    from sunlit.cases import documents as docstore

    lead = task.lead
    _require_handle(actor, lead)
    note = _text(note, "note", _("Say how it was rectified."))
    if not evidence:
        message = _("Attach the rectification evidence.")
        raise LeadRefused(message, code=LeadErrorCode.EVIDENCE_REQUIRED, fields={"evidence": [message]})
    try:
        clean = docstore.clean(evidence)
    except LeadRefused:
        raise
    except Exception as exc:  # CaseRefused: type or size; same message, our field
        from sunlit.core.errors import DomainError

        if isinstance(exc, DomainError):
            raise LeadRefused(exc.message, code=exc.code, fields={"evidence": [str(exc.message)]}) from None
        raise
    written = docstore.store(clean)
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = RectificationTask.objects.filter(
                pk=task.pk, status=TaskStatus.OPEN, lead__status=LeadStatus.FOUND
            ).update(
                status=TaskStatus.DONE,
                done_note=note,
                evidence_sha256=clean.sha256,
                evidence_name=str(filename or "")[:200],
                evidence_type=clean.content_type,
                evidence_size=clean.size,
                done_at=now,
                done_by=actor,
            )
            if not updated:
                raise LeadConflict(_("This task is already done."), code=LeadErrorCode.TASK_DONE)
            _act(
                lead=lead,
                kind="rectified",
                actor=actor,
                note=note,
                from_status=lead.status,
                subject=f"accountability.rectificationtask:{task.pk}",
                payload={
                    "task": task.pk,
                    "evidence": clean.sha256,
                    "on_time": timezone.localdate(now) <= task.due_on,
                },
            )
    except Exception:
        if written and not RectificationTask.objects.filter(evidence_sha256=clean.sha256).exists():
            _discard(clean.sha256)
        raise
    task.refresh_from_db()
    return task


def _discard(sha256: str) -> None:
    from django.core.files.storage import default_storage

    from sunlit.cases import documents as docstore
    from sunlit.cases.models import CaseDocument

    if not CaseDocument.objects.filter(sha256=sha256).exists():
        default_storage.delete(docstore.storage_name(sha256))


# --- closing (四个不放过) -------------------------------------------------------------------------------------


def close_problems(lead: Lead) -> list[tuple[str, str]]:
    """What still stops a lead from closing, as (code, message): checked, handled, published where
    required, rectified. Empty when it may close."""
    problems: list[tuple[str, str]] = []
    findings = list(lead.findings.all())
    violations = [f for f in findings if f.kind == FindingKind.VIOLATION]
    if lead.status != LeadStatus.FOUND or not violations:
        problems.append((LeadErrorCode.NOT_CHECKED, _("Not checked: no violation finding is recorded.")))
    unexecuted = [f for f in findings if f.executed_on is None]
    if unexecuted:
        problems.append(
            (
                LeadErrorCode.NOT_HANDLED,
                _("Not handled: the measures on %(names)s have not been carried out.")
                % {"names": ", ".join(f"“{f.subject_name}”" for f in unexecuted)},
            )
        )
    if lead.publication_required and not lead.notices.filter(status=NoticeStatus.PUBLISHED).exists():
        problems.append(
            (LeadErrorCode.NOT_PUBLISHED, _("Not published: this outcome must be named in public."))
        )
    tasks = list(lead.tasks.all())
    if not tasks:
        problems.append((LeadErrorCode.NOT_RECTIFIED, _("Not rectified: no rectification task was set.")))
    elif any(t.status != TaskStatus.DONE for t in tasks):
        problems.append(
            (LeadErrorCode.NOT_RECTIFIED, _("Not rectified: some rectification tasks have no evidence yet."))
        )
    return problems


def lead_close(*, actor: User | None, lead: Lead, note: str) -> Lead:
    """Close a lead only when it is checked, handled, published where required and rectified."""
    _require_handle(actor, lead)
    note = _text(note, "note", _("Summarise how the lead was closed."))
    with transaction.atomic():
        current = _locked(lead)
        problems = close_problems(current)
        if problems:
            raise LeadRefused(
                _("The lead cannot close yet (four no-lets): %(problems)s")
                % {"problems": " ".join(message for _code, message in problems)},
                code=LeadErrorCode.CLOSE_REFUSED,
                details=[{"code": code, "message": message} for code, message in problems],
            )
        _move(
            current,
            (LeadStatus.FOUND,),
            LeadStatus.CLOSED,
            closed_at=timezone.now(),
            closed_by=actor,
            close_note=note,
        )
        _act(
            lead=current,
            kind="closed",
            actor=actor,
            note=note,
            from_status=LeadStatus.FOUND,
            to_status=LeadStatus.CLOSED,
        )
    lead.refresh_from_db()
    return lead


def visit_record(
    *, actor: User | None, lead: Lead, visited_on: datetime.date, visitors: str, outcome: str, note: str
) -> FollowUpVisit:
    """回访: record a follow-up visit on a lead with rectification under way or closed."""
    _require_handle(actor, lead)
    visitors = _text(visitors, "visitors", _("Say who visited."), limit=200)
    note = _text(note, "note", _("Record what the visit found."))
    if outcome not in VisitOutcome.values:
        message = _("Choose the outcome.")
        raise LeadRefused(message, code=LeadErrorCode.REQUIRED, fields={"outcome": [message]})
    if not isinstance(visited_on, datetime.date) or visited_on > timezone.localdate():
        message = _("Give the date of the visit (not in the future).")
        raise LeadRefused(message, code=LeadErrorCode.DATE_INVALID, fields={"visited_on": [message]})
    with transaction.atomic():
        current = _locked(lead)
        if current.status not in (LeadStatus.FOUND, LeadStatus.CLOSED):
            raise LeadConflict(
                _("Follow-up visits come after findings; this lead is “%(status)s”.")
                % {"status": current.get_status_display()},
            )
        visit = FollowUpVisit.objects.create(
            lead=current,
            visited_on=visited_on,
            visitors=visitors,
            outcome=outcome,
            note=note,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        _act(
            lead=current,
            kind="visited",
            actor=actor,
            note=note,
            from_status=current.status,
            subject=f"accountability.followupvisit:{visit.pk}",
            payload={"visit": visit.pk, "outcome": outcome, "visited_on": visited_on},
        )
    return visit
