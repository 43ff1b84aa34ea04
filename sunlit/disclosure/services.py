"""Writes of disclosure: publish, correct, redact, withdraw, reveal originals, schedules, contacts.

Every function is keyword-only, names its actor, runs in one transaction and appends its ledger
event inside it. ``actor=None`` is a publication by the system on behalf of another service (the
automatic notices and results of cases, sunlit.disclosure.hooks): no permission is checked then,
and the ledger records no actor. Privacy checks (sunlit.disclosure.privacy) run before anything is
written, so a blocked publication changes nothing.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.cases import documents as docstore
from sunlit.core import pii_store
from sunlit.core.errors import Conflict, NotFound, PermissionDenied
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.core.masking import find_pii
from sunlit.regions.models import Region, RegionLevel

from . import privacy
from .errors import DisclosureError, DisclosureErrorCode
from .models import (
    BenefitListEntry,
    Disclosure,
    DisclosureAttachment,
    DisclosureOriginal,
    DisclosureSchedule,
    DisclosureSearchToken,
    DisclosureVersion,
    SupervisionContact,
)
from .search import weighted_tokens
from .vocab import AttachmentState, DisclosureModule, DisclosureStatus, ScheduleFrequency

REDACTED = "■■■"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _random_code(n: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(n))


def _require(actor: User | None, perm: str, village: Region) -> None:
    """System publications (actor None) pass; a user needs ``perm`` in the village's scope.
    Someone who cannot see the village at all gets NotFound (no existence leak)."""
    if actor is None:
        return
    if has_perm(actor, perm, village):
        return
    if has_perm(actor, Perm.STAFF_VIEW, village):
        raise PermissionDenied()
    raise NotFound()


def _refuse(code: str, message: str, field: str | None = None) -> DisclosureError:
    return DisclosureError(message, code=code, fields={field: [message]} if field else None)


def _clean_text(title: Any, body: Any) -> tuple[str, str]:
    title = " ".join(str(title or "").split())
    body = str(body or "").replace("\r\n", "\n").strip()
    if not title:
        raise _refuse(DisclosureErrorCode.TITLE_REQUIRED, _("A title is required."), "title")
    if len(title) > 300:
        raise _refuse(
            DisclosureErrorCode.TITLE_REQUIRED, _("The title is longer than 300 characters."), "title"
        )
    if len(body) > 100_000:
        raise _refuse(
            DisclosureErrorCode.TITLE_REQUIRED, _("The text is longer than 100,000 characters."), "body"
        )
    return title, body


def _clean_period(start: Any, end: Any) -> tuple[datetime.date | None, datetime.date | None]:
    for value, field in ((start, "period_start"), (end, "period_end")):
        if value is not None and not isinstance(value, datetime.date):
            raise _refuse(DisclosureErrorCode.PERIOD_INVALID, _("Give the date as YYYY-MM-DD."), field)
    if start and end and end < start:
        raise _refuse(
            DisclosureErrorCode.PERIOD_INVALID,
            _("The notice period ends (%(end)s) before it starts (%(start)s).")
            % {"start": start, "end": end},
            "period_end",
        )
    return start, end


class _Prepared:
    """Masked content ready to store, and what to keep encrypted."""

    def __init__(self, title: str, body: str, entries: list[privacy.EntryInput]) -> None:
        masked_title = privacy.mask_text("title", title)
        masked_body = privacy.mask_text("body", body)
        self.title = masked_title.public[:300]
        self.body = masked_body.public
        self.entries = entries
        self.findings = masked_title.findings + masked_body.findings
        self.original = {"title": title, "body": body, "entries": [e.as_dict() for e in entries]}


def _prepare(title: Any, body: Any, entries: Any) -> _Prepared:
    title, body = _clean_text(title, body)
    return _Prepared(title, body, privacy.clean_entries(entries))


def _store_files(checked: list[privacy.CheckedAttachment]) -> list[str]:
    written = []
    for item in checked:
        if docstore.store(item.file):
            written.append(item.file.sha256)
    return written


def _discard(written: list[str]) -> None:
    from sunlit.cases.models import CaseDocument

    for sha in written:
        if (
            not DisclosureAttachment.objects.filter(sha256=sha).exists()
            and not CaseDocument.objects.filter(sha256=sha).exists()
        ):
            docstore.default_storage.delete(docstore.storage_name(sha))


def _hash_payload(version: DisclosureVersion, entries: list[dict], attachments: list[dict]) -> str:
    return privacy.content_hash(
        {
            "title": version.title,
            "body": version.body,
            "period_start": version.period_start,
            "period_end": version.period_end,
            "entries": entries,
            "attachments": attachments,
        }
    )


def _entry_dicts(rows: Iterable[BenefitListEntry | privacy.EntryInput]) -> list[dict]:
    out = []
    for row in rows:
        out.append(
            {
                "name": row.name,
                "village_group": row.village_group,
                "benefit": row.benefit,
                "amount": None if row.amount is None else str(row.amount),
                "period": row.period,
            }
        )
    return out


def _write_version(
    *,
    disclosure: Disclosure,
    number: int,
    title: str,
    body: str,
    period_start: datetime.date | None,
    period_end: datetime.date | None,
    entries: list[Any],
    attachments: list[dict],
    publisher: User | None,
    now: datetime.datetime,
    reason: str = "",
    masked: list[dict] | None = None,
    redactions: list[dict] | None = None,
    original: dict | None = None,
) -> DisclosureVersion:
    """Create one version with its entries, attachments, original (when it differs) and index."""
    version = DisclosureVersion(
        disclosure=disclosure,
        number=number,
        title=title,
        body=body,
        period_start=period_start,
        period_end=period_end,
        published_at=now,
        reason=reason,
        publisher=publisher,
        masked=masked or [],
        redactions=redactions or [],
    )
    entry_dicts = _entry_dicts(entries)
    attachment_keys = [{"sha256": a["sha256"], "state": a["state"], "name": a["name"]} for a in attachments]
    version.content_hash = _hash_payload(version, entry_dicts, attachment_keys)
    version.save()
    BenefitListEntry.objects.bulk_create(
        [
            BenefitListEntry(
                version=version,
                position=i,
                name=e.name,
                village_group=e.village_group,
                benefit=e.benefit,
                amount=e.amount,
                period=e.period,
            )
            for i, e in enumerate(entries)
        ]
    )
    DisclosureAttachment.objects.bulk_create(
        [DisclosureAttachment(version=version, position=i, **a) for i, a in enumerate(attachments)]
    )
    public = {"title": title, "body": body, "entries": entry_dicts}
    if original is not None and original != public:
        DisclosureOriginal.objects.create(
            version=version, token=pii_store.encrypt(json.dumps(original, ensure_ascii=False))
        )
    Disclosure.objects.filter(pk=disclosure.pk).update(current=version, updated_at=now)
    disclosure.current = version
    disclosure.updated_at = now
    _reindex(disclosure, version, entry_dicts)
    return version


def _reindex(disclosure: Disclosure, version: DisclosureVersion, entries: list[dict]) -> None:
    texts = [version.body] + [
        " ".join(str(e[k] or "") for k in ("name", "village_group", "benefit", "period")) for e in entries
    ]
    weights = weighted_tokens(version.title, texts)
    DisclosureSearchToken.objects.filter(disclosure=disclosure).delete()
    DisclosureSearchToken.objects.bulk_create(
        [DisclosureSearchToken(disclosure=disclosure, token=t, weight=w) for t, w in weights.items()],
        batch_size=500,
    )


def _attachment_rows(checked: list[privacy.CheckedAttachment]) -> list[dict]:
    return [
        {
            "name": c.name,
            "original_name": c.original_name,
            "sha256": c.file.sha256,
            "size": c.file.size,
            "content_type": c.file.content_type,
            "state": AttachmentState.PUBLIC,
            "scanned": c.scanned,
            "reviewed": c.reviewed,
            "withheld_reason": "",
        }
        for c in checked
    ]


def disclosure_preview(
    *, title: str, body: str, entries: Iterable[Any] = (), attachments: Iterable[privacy.AttachmentInput] = ()
) -> dict[str, Any]:
    """Exactly what publication would make public (masked title and text, benefit rows, attachment
    checks), without writing anything; raises the same DisclosureError as publication would."""
    prepared = _prepare(title, body, entries)
    checked = privacy.check_attachments(attachments)
    return {
        "title": prepared.title,
        "body": prepared.body,
        "entries": prepared.entries,
        "masked": prepared.findings,
        "attachments": [
            {
                "name": c.name,
                "content_type": c.file.content_type,
                "scanned": c.scanned,
                "reviewed": c.reviewed,
            }
            for c in checked
        ],
    }


# --- publish ---------------------------------------------------------------------------------------


def disclosure_publish(
    *,
    actor: User | None,
    village: Region,
    module: str,
    title: str,
    body: str,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    source: str | None = None,
    case: Any = None,
    attachments: Iterable[privacy.AttachmentInput] = (),
    entries: Iterable[privacy.EntryInput | dict] = (),
    now: datetime.datetime | None = None,
) -> Disclosure:
    """Publish a new disclosure (version 1) in ``village``.

    Personal data in the title and body is masked (the original kept encrypted); personal data in a
    benefit-list field or an attachment, or an attachment that cannot be scanned and was not
    confirmed as checked, raises DisclosureError ``pii_blocked`` naming the field, and nothing is
    written. With ``source`` (a ledger subject such as ``"cases.notice:12"``) the publication is
    made once: publishing the same source again returns the existing disclosure unchanged.
    """
    if getattr(village, "level", None) != RegionLevel.VILLAGE:
        raise _refuse(
            DisclosureErrorCode.NOT_A_VILLAGE, _("Disclosures are published by villages."), "village"
        )
    _require(actor, Perm.DISCLOSURE_PUBLISH, village)
    if module not in DisclosureModule.values:
        raise _refuse(
            DisclosureErrorCode.MODULE_INVALID,
            _("“%(module)s” is not a disclosure module.") % {"module": str(module)[:30]},
            "module",
        )
    if case is not None and case.village_id != village.pk:
        raise _refuse(DisclosureErrorCode.NOT_A_VILLAGE, _("The case belongs to another village."), "case")
    source = (source or "").strip()[:80] or None
    if source is not None:
        existing = Disclosure.objects.filter(source=source).first()
        if existing is not None:
            return existing
    period_start, period_end = _clean_period(period_start, period_end)
    prepared = _prepare(title, body, entries)
    checked = privacy.check_attachments(attachments)
    now = now or timezone.now()
    written = _store_files(checked)
    try:
        with transaction.atomic():
            disclosure = Disclosure.objects.create(
                village=village,
                module=module,
                code=f"GK{timezone.localtime(now):%y%m%d}{_random_code(6)}",
                source=source,
                case=case,
                publisher=actor,
                first_published_at=now,
                updated_at=now,
            )
            version = _write_version(
                disclosure=disclosure,
                number=1,
                title=prepared.title,
                body=prepared.body,
                period_start=period_start,
                period_end=period_end,
                entries=prepared.entries,
                attachments=_attachment_rows(checked),
                publisher=actor,
                now=now,
                masked=prepared.findings,
                original=prepared.original,
            )
            ledger_append(
                kind="disclosure.published",
                actor=actor,
                subject=ledger_subject(disclosure),
                region=village,
                payload={
                    "code": disclosure.code,
                    "module": module,
                    "version": 1,
                    "title": version.title,
                    "content_hash": version.content_hash,
                    "period_start": period_start,
                    "period_end": period_end,
                    "source": source or "",
                    "case": case.tracking_no if case is not None else "",
                    "masked": len(prepared.findings),
                    "entries": len(prepared.entries),
                    "attachments": [
                        {"sha256": c.file.sha256, "reviewed": c.reviewed, "scanned": c.scanned}
                        for c in checked
                    ],
                },
            )
    except IntegrityError:
        _discard(written)
        if source is not None:  # a concurrent delivery of the same source won
            existing = Disclosure.objects.filter(source=source).first()
            if existing is not None:
                return existing
        raise
    except BaseException:
        _discard(written)
        raise
    return disclosure


# --- correct, redact, withdraw ---------------------------------------------------------------------


def _lock(disclosure: Disclosure) -> Disclosure:
    """Lock the item row, then read it with its current version in a second statement: under READ
    COMMITTED a statement that waited for the lock would re-check the locked row but keep its old
    snapshot for the joined version (a concurrent writer's new version would read as missing)."""
    if not Disclosure.objects.select_for_update().filter(pk=disclosure.pk).values_list("pk", flat=True):
        raise NotFound()
    locked = Disclosure.objects.select_related("village", "current").get(pk=disclosure.pk)
    if locked.status == DisclosureStatus.WITHDRAWN:
        raise _refuse(DisclosureErrorCode.WITHDRAWN, _("This disclosure has been withdrawn."))
    return locked


def _reason(reason: Any) -> str:
    reason = " ".join(str(reason or "").split())[:500]
    if not reason:
        raise _refuse(DisclosureErrorCode.REASON_REQUIRED, _("Give the reason for the change."), "reason")
    hits = find_pii(reason)
    if hits:
        raise privacy.blocked("reason", str(hits[0].kind))
    return reason


def _original_of(version: DisclosureVersion) -> dict:
    """The full (unmasked, unredacted) content behind ``version``."""
    original = DisclosureOriginal.objects.filter(version=version).first()
    if original is not None:
        return json.loads(pii_store.decrypt(original.token))
    return {
        "title": version.title,
        "body": version.body,
        "entries": _entry_dicts(version.entries.order_by("position")),
    }


def _attachment_dicts(version: DisclosureVersion) -> list[dict]:
    return [
        {
            "name": a.name,
            "original_name": a.original_name,
            "sha256": a.sha256,
            "size": a.size,
            "content_type": a.content_type,
            "state": a.state,
            "scanned": a.scanned,
            "reviewed": a.reviewed,
            "withheld_reason": a.withheld_reason,
        }
        for a in version.attachments.order_by("position")
    ]


def disclosure_correct(
    *,
    actor: User | None,
    disclosure: Disclosure,
    title: str,
    body: str,
    reason: str,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    entries: Iterable[privacy.EntryInput | dict] | None = None,
    attachments: Iterable[privacy.AttachmentInput] | None = None,
    now: datetime.datetime | None = None,
) -> DisclosureVersion:
    """Publish a corrected version with ``reason``; the earlier versions stay public.

    ``entries``/``attachments`` None keep those of the current version; a list replaces them.
    The same privacy checks as publication apply.
    """
    _require(actor, Perm.DISCLOSURE_PUBLISH, disclosure.village)
    reason = _reason(reason)
    period_start, period_end = _clean_period(period_start, period_end)
    keep_entries = entries is None
    prepared = _prepare(title, body, [] if keep_entries else entries)
    checked = None if attachments is None else privacy.check_attachments(attachments)
    now = now or timezone.now()
    written = _store_files(checked) if checked else []
    try:
        with transaction.atomic():
            locked = _lock(disclosure)
            previous = locked.current
            if keep_entries:
                previous_original = _original_of(previous)
                prepared.entries = privacy.clean_entries(previous_original["entries"])
                prepared.original["entries"] = previous_original["entries"]
            attachment_rows = _attachment_dicts(previous) if checked is None else _attachment_rows(checked)
            version = _write_version(
                disclosure=locked,
                number=previous.number + 1,
                title=prepared.title,
                body=prepared.body,
                period_start=period_start,
                period_end=period_end,
                entries=prepared.entries,
                attachments=attachment_rows,
                publisher=actor,
                now=now,
                reason=reason,
                masked=prepared.findings,
                original=prepared.original,
            )
            if version.content_hash == previous.content_hash:
                raise _refuse(DisclosureErrorCode.UNCHANGED, _("The correction changes nothing."))
            ledger_append(
                kind="disclosure.corrected",
                actor=actor,
                subject=ledger_subject(locked),
                region=locked.village,
                payload={
                    "code": locked.code,
                    "version": version.number,
                    "reason": reason,
                    "content_hash": version.content_hash,
                    "previous_hash": previous.content_hash,
                    "masked": len(prepared.findings),
                },
            )
    except BaseException:
        _discard(written)
        raise
    disclosure.current = version
    return version


def _redact_text(value: str, text: str | None) -> str:
    if not text:
        return REDACTED
    if text not in value:
        raise _refuse(
            DisclosureErrorCode.REDACTION_INVALID,
            _("The passage “%(text)s” is not in the current version.") % {"text": text[:40]},
            "text",
        )
    return value.replace(text, REDACTED)


def disclosure_redact(
    *,
    actor: User | None,
    disclosure: Disclosure,
    reason: str,
    field: str | None = None,
    text: str | None = None,
    attachment: DisclosureAttachment | int | None = None,
    now: datetime.datetime | None = None,
) -> DisclosureVersion:
    """Publish a version with one redaction; the unredacted content stays available to
    ``disclosure.redact`` holders (DisclosureOriginal, withheld attachment bytes).

    Targets: ``field="title"`` or ``"body"`` (``text``: the passage to hide; all of the field when
    omitted), ``field="entries.<row>.<column>"`` (row counted from 1), or ``attachment`` (an attachment
    of the current version, withheld from the public as a whole: page-level redaction of PDFs needs a
    PDF library the project does not ship).
    """
    _require(actor, Perm.DISCLOSURE_REDACT, disclosure.village)
    reason = _reason(reason)
    if (field is None) == (attachment is None):
        raise _refuse(
            DisclosureErrorCode.REDACTION_INVALID, _("Choose one field or one attachment to redact.")
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        previous = locked.current
        original = _original_of(previous)
        title, body = previous.title, previous.body
        entries = list(previous.entries.order_by("position"))
        attachments = _attachment_dicts(previous)
        target: str
        if attachment is not None:
            attachment_id = attachment.pk if isinstance(attachment, DisclosureAttachment) else attachment
            row = previous.attachments.filter(pk=attachment_id).first()
            if row is None or row.state == AttachmentState.WITHHELD:
                raise _refuse(
                    DisclosureErrorCode.REDACTION_INVALID,
                    _("Choose a public attachment of the current version."),
                    "attachment",
                )
            attachments[row.position].update(state=AttachmentState.WITHHELD, withheld_reason=reason)
            target = f"attachment:{row.position + 1}"
        elif field in ("title", "body"):
            if field == "title":
                title = _redact_text(title, text)
            else:
                body = _redact_text(body, text)
            target = field
        else:
            parts = str(field).split(".")
            if (
                len(parts) != 3
                or parts[0] != "entries"
                or not parts[1].isdigit()
                or not 1 <= int(parts[1]) <= len(entries)
                or parts[2] not in privacy.ENTRY_FIELDS
            ):
                raise _refuse(
                    DisclosureErrorCode.REDACTION_INVALID,
                    _("“%(field)s” is not a field of this disclosure.") % {"field": str(field)[:40]},
                    "field",
                )
            entry = entries[int(parts[1]) - 1]
            if parts[2] == "amount":
                entry.amount = None
            else:
                setattr(entry, parts[2], REDACTED)
            target = str(field)
        version = _write_version(
            disclosure=locked,
            number=previous.number + 1,
            title=title,
            body=body,
            period_start=previous.period_start,
            period_end=previous.period_end,
            entries=entries,
            attachments=attachments,
            publisher=actor,
            now=now,
            reason=reason,
            masked=previous.masked,
            redactions=[*previous.redactions, {"target": target, "reason": reason}],
            original=original,
        )
        if version.content_hash == previous.content_hash:
            raise _refuse(DisclosureErrorCode.UNCHANGED, _("The redaction changes nothing."))
        ledger_append(
            kind="disclosure.redacted",
            actor=actor,
            subject=ledger_subject(locked),
            region=locked.village,
            payload={
                "code": locked.code,
                "version": version.number,
                "target": target,
                "reason": reason,
                "content_hash": version.content_hash,
            },
        )
    disclosure.current = version
    return version


def disclosure_withdraw(
    *, actor: User | None, disclosure: Disclosure, reason: str, now: datetime.datetime | None = None
) -> Disclosure:
    """Take a disclosure off the lists (its page and history stay, with the reason)."""
    _require(actor, Perm.DISCLOSURE_REDACT, disclosure.village)
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        updated = Disclosure.objects.filter(pk=locked.pk, status=DisclosureStatus.PUBLISHED).update(
            status=DisclosureStatus.WITHDRAWN, withdrawn_at=now, withdrawn_reason=reason, updated_at=now
        )
        if not updated:
            raise Conflict()
        ledger_append(
            kind="disclosure.withdrawn",
            actor=actor,
            subject=ledger_subject(locked),
            region=locked.village,
            payload={"code": locked.code, "reason": reason},
        )
    locked.status, locked.withdrawn_at, locked.withdrawn_reason = DisclosureStatus.WITHDRAWN, now, reason
    return locked


# --- originals (access-restricted, audited) --------------------------------------------------------


def disclosure_original_reveal(*, actor: User, version: DisclosureVersion, reason: str) -> dict[str, Any]:
    """The unmasked, unredacted content of ``version`` for a ``disclosure.redact`` holder.
    Every reading is a ledger event naming the reader and the reason."""
    village = version.disclosure.village
    if not has_perm(actor, Perm.DISCLOSURE_REDACT, village):
        raise NotFound()
    reason = _reason(reason)
    with transaction.atomic():
        content = _original_of(version)
        ledger_append(
            kind="disclosure.original_viewed",
            actor=actor,
            subject=ledger_subject(version.disclosure),
            region=village,
            payload={"code": version.disclosure.code, "version": version.number, "reason": reason},
        )
    content["withheld"] = [a for a in _attachment_dicts(version) if a["state"] == AttachmentState.WITHHELD]
    return content


def attachment_original_open(*, actor: User, attachment: DisclosureAttachment, reason: str):
    """Open a withheld attachment's bytes for a ``disclosure.redact`` holder (audited)."""
    version = attachment.version
    village = version.disclosure.village
    if not has_perm(actor, Perm.DISCLOSURE_REDACT, village):
        raise NotFound()
    reason = _reason(reason)
    with transaction.atomic():
        ledger_append(
            kind="disclosure.attachment_viewed",
            actor=actor,
            subject=ledger_subject(version.disclosure),
            region=village,
            payload={
                "code": version.disclosure.code,
                "version": version.number,
                "attachment": attachment.position + 1,
                "sha256": attachment.sha256,
                "reason": reason,
            },
        )
    return docstore.open_stored(attachment.sha256)


# --- schedules ------------------------------------------------------------------------------------

# County defaults from common practice (PRACTICE.md: monthly finance summaries; quarterly village and
# party affairs). Values are configuration: schedule_set changes them per county or village.
DEFAULT_SCHEDULES: tuple[tuple[str, str, int, int], ...] = (
    (DisclosureModule.ASSETS, ScheduleFrequency.MONTHLY, 10, 5),  # 三资/财务: monthly, by the 10th
    (DisclosureModule.DECISIONS, ScheduleFrequency.QUARTERLY, 15, 5),  # 村务: quarterly, by the 15th
    (DisclosureModule.ORGANISATION, ScheduleFrequency.QUARTERLY, 15, 5),  # 党务: quarterly, by the 15th
)


def schedule_set(
    *,
    actor: User | None,
    region: Region,
    module: str,
    frequency: str,
    due_day: int,
    grace_days: int,
    starts_on: datetime.date,
    active: bool = True,
) -> DisclosureSchedule:
    """Create or change the schedule of ``module`` for a county (default of its villages) or a village."""
    if actor is not None and not has_perm(actor, Perm.RULE_MANAGE, region):
        raise NotFound()
    if region.level not in (RegionLevel.COUNTY, RegionLevel.VILLAGE):
        raise _refuse(
            DisclosureErrorCode.SCHEDULE_INVALID, _("Schedules are set for a county or a village."), "region"
        )
    if module not in DisclosureModule.values or frequency not in ScheduleFrequency.values:
        raise _refuse(DisclosureErrorCode.SCHEDULE_INVALID, _("Choose a module and a frequency."), "module")
    try:
        due_day, grace_days = int(due_day), int(grace_days)
    except (TypeError, ValueError):
        raise _refuse(
            DisclosureErrorCode.SCHEDULE_INVALID, _("Give whole numbers of days."), "due_day"
        ) from None
    if not 1 <= due_day <= 28:
        raise _refuse(DisclosureErrorCode.SCHEDULE_INVALID, _("The due day must be from 1 to 28."), "due_day")
    if not 0 <= grace_days <= 60:
        raise _refuse(
            DisclosureErrorCode.SCHEDULE_INVALID, _("The grace period must be 0 to 60 days."), "grace_days"
        )
    if not isinstance(starts_on, datetime.date):
        raise _refuse(DisclosureErrorCode.SCHEDULE_INVALID, _("Give the date as YYYY-MM-DD."), "starts_on")
    with transaction.atomic():
        schedule, _created = DisclosureSchedule.objects.update_or_create(
            region=region,
            module=module,
            defaults={
                "frequency": frequency,
                "due_day": due_day,
                "grace_days": grace_days,
                "starts_on": starts_on,
                "active": bool(active),
                "updated_by": actor,
                "updated_at": timezone.now(),
            },
        )
        ledger_append(
            kind="disclosure.schedule_set",
            actor=actor,
            subject=ledger_subject(schedule),
            region=region,
            payload={
                "module": module,
                "frequency": frequency,
                "due_day": due_day,
                "grace_days": grace_days,
                "starts_on": starts_on,
                "active": bool(active),
            },
        )
    return schedule


def schedule_defaults(
    *, actor: User | None, county: Region, starts_on: datetime.date
) -> list[DisclosureSchedule]:
    """Give ``county`` the default schedules (DEFAULT_SCHEDULES) for the modules it has none for."""
    have = set(DisclosureSchedule.objects.filter(region=county).values_list("module", flat=True))
    return [
        schedule_set(
            actor=actor,
            region=county,
            module=module,
            frequency=frequency,
            due_day=due,
            grace_days=grace,
            starts_on=starts_on,
        )
        for module, frequency, due, grace in DEFAULT_SCHEDULES
        if module not in have
    ]


# --- supervision committee contact ---------------------------------------------------------------


def contact_set(
    *,
    actor: User | None,
    village: Region,
    chair: str,
    members: str = "",
    office_phone: str = "",
    address: str = "",
    hours: str = "",
) -> SupervisionContact:
    """Set the public contact of the village supervision committee (shown on the village page)."""
    _require(actor, Perm.DISCLOSURE_PUBLISH, village)
    if village.level != RegionLevel.VILLAGE:
        raise _refuse(DisclosureErrorCode.NOT_A_VILLAGE, _("Contacts belong to villages."), "village")
    values = {
        "chair": " ".join(str(chair or "").split())[:60],
        "members": " ".join(str(members or "").split())[:300],
        "office_phone": str(office_phone or "").strip()[:40],
        "address": " ".join(str(address or "").split())[:200],
        "hours": " ".join(str(hours or "").split())[:100],
    }
    if not values["chair"]:
        raise _refuse(DisclosureErrorCode.CONTACT_INVALID, _("Name the committee's chair."), "chair")
    phone = values["office_phone"]
    if phone and (
        not any(ch.isdigit() for ch in phone) or any(ch not in "0123456789-+() 转" for ch in phone)
    ):
        raise _refuse(
            DisclosureErrorCode.CONTACT_INVALID,
            _("Give the office phone as digits, e.g. 0376-1234567."),
            "office_phone",
        )
    for key in ("chair", "members", "address", "hours"):
        hits = find_pii(values[key])
        if hits:
            raise privacy.blocked(key, str(hits[0].kind))
    with transaction.atomic():
        contact, _created = SupervisionContact.objects.update_or_create(
            village=village, defaults={**values, "updated_by": actor, "updated_at": timezone.now()}
        )
        ledger_append(
            kind="disclosure.contact_set",
            actor=actor,
            subject=ledger_subject(contact),
            region=village,
            payload=values,
        )
    return contact


__all__ = [
    "DEFAULT_SCHEDULES",
    "REDACTED",
    "attachment_original_open",
    "contact_set",
    "disclosure_correct",
    "disclosure_original_reveal",
    "disclosure_preview",
    "disclosure_publish",
    "disclosure_redact",
    "disclosure_withdraw",
    "schedule_defaults",
    "schedule_set",
]
