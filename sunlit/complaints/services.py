"""Writes of complaint handling. Each service is one transaction that appends its ledger event.

Identity never enters the ledger in clear: names, phones and ID numbers are passed as ``pii``
commitments. Refusals raise a DomainError and change nothing. Handler actions lock the complaint
row (``select_for_update``) and re-check its status, so two handlers acting at once cannot both win.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import RoleAssignment, User
from sunlit.cases import documents as docstore
from sunlit.core.errors import DomainError, NotFound
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.core.masking import mask_name, mask_pii
from sunlit.core.pii_store import decrypt, encrypt, keyed_hash
from sunlit.regions.models import Region, RegionLevel

from . import config, messaging
from .errors import ComplaintConflict, ComplaintErrorCode, ComplaintRefused, NotHandler, RateLimited
from .models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintMessage,
    PhoneVerification,
    ReporterAccess,
)
from .permissions import can_handle, can_intake, can_reveal, roles_for_office
from .vocab import (
    STAFF_CHANNELS,
    Category,
    Channel,
    DeadlineKey,
    Kind,
    MessageAuthor,
    MessageKind,
    Rating,
    Stage,
    Status,
)

logger = logging.getLogger(__name__)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
TEXT_MAX = 4000
OTP_MINUTES = 10
OTP_ATTEMPTS = 5
MAX_ATTACHMENTS = 5


def _random(n: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(n))


def new_code() -> str:
    """A public tracking code: T and 11 random characters (not guessable, not sequential)."""
    return "T" + _random(11)


def secret_hash(code: str, secret: str) -> str:
    return keyed_hash(secret.strip().upper(), purpose=f"complaint-secret:{code}")


def secret_matches(complaint: Complaint, secret: str) -> bool:
    return bool(secret) and hmac.compare_digest(complaint.secret_hash, secret_hash(complaint.code, secret))


def normalize_phone(value: str) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def phone_valid(phone: str) -> bool:
    return len(phone) == 11 and phone.startswith("1") and phone[1] in "3456789"


def phone_hash(phone: str) -> str:
    return keyed_hash(phone, purpose="complaint-phone")


def text_fingerprint(text: str) -> str:
    """The duplicate-detection key: the text without spaces, punctuation or case."""
    return hashlib.sha256(re.sub(r"[\W_]+", "", text).lower().encode("utf-8")).hexdigest()


def public_wording(text: str, name: str = "") -> str:
    """``text`` as it may be shown publicly: personal numbers masked, the reporter's name masked."""
    masked = mask_pii(text)
    name = (name or "").strip()
    if len(name) >= 2:
        masked = masked.replace(name, mask_name(name))
    return masked


def _title(public_text: str) -> str:
    line = public_text.strip().splitlines()[0] if public_text.strip() else ""
    return line[:40] + ("…" if len(line) > 40 else "")


# --- rate limits (Django cache) -----------------------------------------------------------------------------


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one hit under ``key``; True while the count stays within ``limit`` per ``window`` seconds."""
    if limit <= 0:
        return True
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def rate_check(*, ip: str | None = None, phone: str | None = None, action: str = "file") -> None:
    """Refuse (RateLimited) when this IP or phone number acted too often within the hour."""
    window = 3600
    if ip:
        limit = config.setting_int(f"SUNLIT_COMPLAINT_{action.upper()}_PER_IP", 5 if action == "file" else 20)
        if not _hit(f"complaints:{action}:ip:{keyed_hash(ip, purpose='rate')}", limit, window):
            raise RateLimited()
    if phone:
        limit = config.setting_int(
            f"SUNLIT_COMPLAINT_{action.upper()}_PER_PHONE", 3 if action == "file" else 5
        )
        if not _hit(f"complaints:{action}:phone:{phone_hash(phone)}", limit, window):
            raise RateLimited()


# --- helpers ------------------------------------------------------------------------------------------------


def _event(complaint: Complaint, action: str, actor: User | None, now: datetime, note: str = "") -> None:
    ComplaintEvent.objects.create(complaint=complaint, action=action, actor=actor, at=now, note=note[:500])


def _ledger(
    kind: str, complaint: Complaint, actor: User | None, payload: dict, pii: dict | None = None
) -> None:
    ledger_append(
        kind=kind,
        actor=actor,
        subject=ledger_subject(complaint),
        region=complaint.village,
        payload={"code": complaint.code, **payload},
        pii={k: v for k, v in (pii or {}).items() if v},
    )


def _lock(complaint: Complaint) -> Complaint:
    locked = (
        Complaint.objects.select_for_update()
        .select_related("village", "unit")
        .filter(pk=complaint.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _save(complaint: Complaint, fields: Iterable[str]) -> None:
    complaint.revision = F("revision") + 1
    complaint.save(update_fields=[*fields, "revision"])
    complaint.refresh_from_db(fields=["revision"])


def _require_status(complaint: Complaint, *statuses: str) -> None:
    if complaint.status not in statuses:
        raise ComplaintConflict(
            _("This complaint is “%(status)s”; that cannot be done now.")
            % {"status": complaint.get_status_display()},
            code=ComplaintErrorCode.WRONG_STATUS,
        )


def _require_handler(actor: User, complaint: Complaint) -> None:
    if not can_handle(actor, complaint):
        raise NotHandler()


def _message(complaint, *, author, kind, body, now, user=None) -> ComplaintMessage:
    return ComplaintMessage.objects.create(
        complaint=complaint, author=author, kind=kind, body=body, user=user, created_at=now
    )


def reporter_name(complaint: Complaint) -> str:
    return decrypt(complaint.reporter_name_enc) if complaint.reporter_name_enc else ""


def _reporter_phone(complaint: Complaint) -> str:
    return decrypt(complaint.reporter_phone_enc) if complaint.reporter_phone_enc else ""


def _sms_on_commit(phone: str, text: str) -> None:
    if phone and not messaging.is_muted():
        transaction.on_commit(lambda: messaging.send_sms(phone, text))


def _notify_unit_on_commit(complaint: Complaint) -> None:
    """Text the responsible unit's handlers (Xinyang's loop: SMS to the unit, which claims it)."""
    if messaging.is_muted():
        return
    code, unit_id, office = complaint.code, complaint.unit_id, complaint.office

    def send() -> None:
        phones = (
            RoleAssignment.objects.filter(
                region_id=unit_id,
                role__in=roles_for_office(office),
                revoked_at__isnull=True,
                user__is_active=True,
            )
            .exclude(user__phone="")
            .values_list("user__phone", flat=True)
            .distinct()
        )
        for phone in phones:
            messaging.send_sms(phone, _("New complaint %(code)s to claim in Sunlit.") % {"code": code})

    transaction.on_commit(send)


def _clean_attachments(files: Iterable[bytes]) -> list[docstore.CleanFile]:
    files = [f for f in files if f]
    if len(files) > MAX_ATTACHMENTS:
        raise ComplaintRefused(
            _("At most %(n)d attachments.") % {"n": MAX_ATTACHMENTS}, code=ComplaintErrorCode.ATTACHMENT
        )
    cleaned = []
    for data in files:
        try:
            cleaned.append(docstore.clean(data))
        except DomainError as exc:
            raise ComplaintRefused(
                exc.message, code=ComplaintErrorCode.ATTACHMENT, fields={"attachments": [exc.message]}
            ) from None
    return cleaned


def _attach(complaint, cleaned: list[docstore.CleanFile], now, message=None) -> None:
    for f in cleaned:
        docstore.store(f)
        ComplaintAttachment.objects.create(
            complaint=complaint,
            message=message,
            sha256=f.sha256,
            size=f.size,
            content_type=f.content_type,
            uploaded_at=now,
        )


def _route(complaint: Complaint, now: datetime) -> None:
    """Assign the unit and the acceptance deadline (in memory; the caller saves)."""
    unit, office = config.route(village=complaint.village, kind=complaint.kind, category=complaint.category)
    complaint.unit, complaint.office = unit, office
    complaint.status = Status.RECEIVED
    key = DeadlineKey.REPORT_ACK if complaint.kind == Kind.REPORT else DeadlineKey.ACCEPT
    complaint.accept_due = config.due_after(now, key)


def _find_duplicate(complaint: Complaint, now: datetime) -> Complaint | None:
    since = now - timedelta(days=config.duplicate_window_days())
    return (
        Complaint.objects.filter(
            village=complaint.village,
            text_hash=complaint.text_hash,
            created_at__gte=since,
            duplicate_of__isnull=True,
        )
        .exclude(status=Status.UNVERIFIED)
        .exclude(pk=complaint.pk)
        .order_by("created_at", "id")
        .first()
    )


# --- intake -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    complaint: Complaint
    secret: str  # shown once to the reporter; only its hash is stored

    @property
    def needs_verification(self) -> bool:
        return self.complaint.status == Status.UNVERIFIED


def complaint_file(
    *,
    actor: User | None,
    channel: str,
    kind: str,
    category: str,
    village: Region | None,
    text: str,
    anonymous: bool = True,
    name: str = "",
    phone: str = "",
    id_number: str = "",
    consent_publish: bool = False,
    attachments: Iterable[bytes] = (),
    ip: str | None = None,
    phone_verified: bool = False,
) -> Filed:
    """File a complaint. Portal real-name filings wait for the phone code (status "unverified");
    everything else is routed at once. Returns the complaint and its follow-up secret."""
    now = timezone.now()
    text = (text or "").strip()
    name = (name or "").strip()
    phone = normalize_phone(phone)
    id_number = (id_number or "").strip().upper()
    fields: dict[str, list[str]] = {}
    if channel not in Channel.values:
        fields["channel"] = [_("Choose a channel.")]
    if kind not in Kind.values:
        fields["kind"] = [_("Choose the type.")]
    if category not in Category.values:
        fields["category"] = [_("Choose a category.")]
    if village is None or village.level != RegionLevel.VILLAGE:
        fields["village"] = [_("Choose the village concerned.")]
    if len(text) < 5:
        fields["text"] = [_("Describe the matter in at least 5 characters.")]
    elif len(text) > TEXT_MAX:
        fields["text"] = [_("At most %(n)d characters.") % {"n": TEXT_MAX}]
    if not anonymous:
        if not name or len(name) > 50:
            fields["name"] = [_("Give your name, or file anonymously.")]
        if not phone_valid(phone):
            fields["phone"] = [_("Give an 11-digit mobile number, or file anonymously.")]
    elif phone and not phone_valid(phone):
        fields["phone"] = [_("Give an 11-digit mobile number, or leave it empty.")]
    if id_number and len(id_number) != 18:
        fields["id_number"] = [_("An ID number has 18 characters.")]
    if fields:
        raise ComplaintRefused(
            _("The complaint is not complete."), code=ComplaintErrorCode.INVALID, fields=fields
        )
    if channel in STAFF_CHANNELS and (actor is None or not can_intake(actor, village)):
        raise NotHandler(_("You may not register complaints for this village."))
    cleaned = _clean_attachments(attachments)
    if channel not in STAFF_CHANNELS:  # staff register what callers and visitors bring, unthrottled
        rate_check(ip=ip, phone=phone or None)

    secret = _random(16)
    code = new_code()
    public_text = public_wording(text, name)
    complaint = Complaint(
        code=code,
        kind=kind,
        category=category,
        village=village,
        channel=channel,
        title=_title(public_text),
        text=text,
        public_text=public_text,
        text_hash=text_fingerprint(text),
        created_at=now,
        anonymous=anonymous,
        reporter_name_enc=encrypt(name) if name and not anonymous else "",
        reporter_phone_enc=encrypt(phone) if phone else "",
        reporter_id_enc=encrypt(id_number) if id_number and not anonymous else "",
        phone_hash=phone_hash(phone) if phone else "",
        secret_hash=secret_hash(code, secret),
        consent_publish=consent_publish,
    )
    verify = channel == Channel.PORTAL and not anonymous and not phone_verified
    with transaction.atomic():
        duplicate = None if verify else _find_duplicate(complaint, now)
        if verify:
            complaint.status = Status.UNVERIFIED
            complaint.unit, complaint.office = config.route(village=village, kind=kind, category=category)
        elif duplicate is not None:
            complaint.status = Status.DUPLICATE
            complaint.duplicate_of = duplicate
            complaint.unit, complaint.office = duplicate.unit, duplicate.office
            complaint.closed_at = now
        else:
            _route(complaint, now)
        if phone and (phone_verified or channel in STAFF_CHANNELS):
            complaint.phone_verified_at = now
        complaint.save()
        _attach(complaint, cleaned, now)
        _event(complaint, "filed", actor, now, note=channel)
        if duplicate is not None:
            _event(complaint, "duplicate", None, now, note=duplicate.code)
        _ledger(
            "complaint.filed",
            complaint,
            actor,
            {
                "kind": kind,
                "category": category,
                "channel": channel,
                "anonymous": anonymous,
                "status": complaint.status,
                "duplicate_of": duplicate.code if duplicate else None,
                "unit": complaint.unit.code,
                "office": complaint.office,
            },
            pii={"name": name if not anonymous else "", "phone": phone},
        )
        if verify:
            _send_code(complaint, phone, now)
        elif complaint.status == Status.RECEIVED:
            _notify_unit_on_commit(complaint)
            if phone:
                _sms_on_commit(
                    phone,
                    _("Your complaint was received. Tracking code %(code)s, secret %(secret)s.")
                    % {"code": code, "secret": secret},
                )
    logger.debug(
        "complaint %s filed via %s: %s, routed to %s %s",
        complaint.code,
        channel,
        complaint.status,
        complaint.unit.code,
        complaint.office,
    )
    return Filed(complaint=complaint, secret=secret)


def _send_code(complaint: Complaint, phone: str, now: datetime) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    PhoneVerification.objects.filter(complaint=complaint, used_at__isnull=True).update(expires_at=now)
    PhoneVerification.objects.create(
        complaint=complaint,
        phone_hash=phone_hash(phone),
        code_hash=keyed_hash(code, purpose=f"otp:{complaint.code}"),
        created_at=now,
        expires_at=now + timedelta(minutes=OTP_MINUTES),
    )
    _sms_on_commit(
        phone,
        _("Your Sunlit verification code is %(code)s (valid %(minutes)d minutes).")
        % {"code": code, "minutes": OTP_MINUTES},
    )


def phone_code_resend(*, complaint: Complaint, ip: str | None = None) -> None:
    """Send a fresh one-time code (the previous one stops working). Rate-limited per IP and phone."""
    if complaint.status != Status.UNVERIFIED:
        raise ComplaintConflict()
    phone = _reporter_phone(complaint)
    rate_check(ip=ip, phone=phone, action="code")
    with transaction.atomic():
        _send_code(_lock(complaint), phone, timezone.now())


def phone_verify(*, complaint: Complaint, code: str) -> Complaint:
    """Check the one-time code; on success the complaint is routed. Codes expire after
    ``OTP_MINUTES`` and allow ``OTP_ATTEMPTS`` tries; a failed try is counted even though it refuses."""
    now = timezone.now()
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    failure: ComplaintRefused | None = None
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_status(complaint, Status.UNVERIFIED)
        pending = (
            PhoneVerification.objects.select_for_update()
            .filter(complaint=complaint, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if pending is None or pending.expires_at <= now:
            raise ComplaintRefused(
                _("The code has expired. Ask for a new one."), code=ComplaintErrorCode.CODE_EXPIRED
            )
        if pending.attempts >= OTP_ATTEMPTS:
            raise ComplaintRefused(
                _("Too many wrong codes. Ask for a new one."), code=ComplaintErrorCode.TOO_MANY_ATTEMPTS
            )
        if not hmac.compare_digest(pending.code_hash, keyed_hash(code, purpose=f"otp:{complaint.code}")):
            PhoneVerification.objects.filter(pk=pending.pk).update(attempts=F("attempts") + 1)
            failure = ComplaintRefused(
                _("The code is not right. Check the text message and try again."),
                code=ComplaintErrorCode.CODE_INVALID,
                fields={"code": [_("The code is not right.")]},
            )
        else:
            pending.used_at = now
            pending.save(update_fields=["used_at"])
            complaint.phone_verified_at = now
            duplicate = _find_duplicate(complaint, now)
            if duplicate is not None:
                complaint.status, complaint.duplicate_of, complaint.closed_at = (
                    Status.DUPLICATE,
                    duplicate,
                    now,
                )
            else:
                _route(complaint, now)
            _save(
                complaint,
                ["phone_verified_at", "status", "duplicate_of", "closed_at", "unit", "office", "accept_due"],
            )
            _event(complaint, "verified", None, now)
            _ledger(
                "complaint.verified",
                complaint,
                None,
                {"status": complaint.status, "unit": complaint.unit.code},
            )
            if complaint.status == Status.RECEIVED:
                _notify_unit_on_commit(complaint)
    if failure is not None:
        raise failure  # the attempt was counted (committed) but nothing else changed
    return complaint


# --- the reporter's side ----------------------------------------------------------------------------------


def reporter_reply(*, complaint: Complaint, text: str, attachments: Iterable[bytes] = ()) -> ComplaintMessage:
    """The reporter adds to the thread (answers a question, or adds information)."""
    text = (text or "").strip()
    if not text:
        raise ComplaintRefused(
            _("Write your message."),
            code=ComplaintErrorCode.INVALID,
            fields={"text": [_("Write your message.")]},
        )
    if len(text) > TEXT_MAX:
        raise ComplaintRefused(
            _("At most %(n)d characters.") % {"n": TEXT_MAX}, code=ComplaintErrorCode.INVALID
        )
    cleaned = _clean_attachments(attachments)
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_status(complaint, Status.RECEIVED, Status.ACCEPTED)
        message = _message(
            complaint, author=MessageAuthor.REPORTER, kind=MessageKind.REPLY, body=text, now=now
        )
        _attach(complaint, cleaned, now, message=message)
        _save(complaint, [])
        _ledger("complaint.reply", complaint, None, {"message": message.pk, "attachments": len(cleaned)})
    return message


def complaint_rate(*, complaint: Complaint, rating: str, comment: str = "") -> Complaint:
    """The reporter rates the answer. Satisfied closes; not satisfied with a first answer escalates
    one level (the resident discipline team, then the county); at the top it closes and a review
    (复查) may be requested."""
    if rating not in Rating.values:
        raise ComplaintRefused(
            _("Choose a rating."), code=ComplaintErrorCode.INVALID, fields={"rating": [_("Choose a rating.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_status(complaint, Status.ANSWERED)
        if config.is_overdue(complaint.rate_until, now):
            raise ComplaintRefused(
                _("The time to rate this answer is over."), code=ComplaintErrorCode.WINDOW_CLOSED
            )
        complaint.rating, complaint.rated_at = rating, now
        fields = ["rating", "rated_at"]
        _event(complaint, "rated", None, now, note=rating)
        if (
            rating == Rating.NOT_SATISFIED
            and complaint.stage == Stage.ORIGINAL
            and complaint.escalation_level < config.TOP_LEVEL
        ):
            _escalate(complaint, None, now, reason="not_satisfied")
            fields += [
                "status",
                "unit",
                "office",
                "escalation_level",
                "claimed_by",
                "claimed_at",
                "handle_due",
                "accepted_at",
            ]
        else:
            complaint.status, complaint.closed_at = Status.CLOSED, now
            fields += ["status", "closed_at"]
        if comment.strip():
            _message(
                complaint,
                author=MessageAuthor.REPORTER,
                kind=MessageKind.REPLY,
                body=comment.strip()[:TEXT_MAX],
                now=now,
            )
        _save(complaint, fields)
        _ledger(
            "complaint.rated",
            complaint,
            None,
            {"rating": rating, "status": complaint.status, "level": complaint.escalation_level},
        )
    return complaint


def review_request(*, complaint: Complaint, reason: str) -> Complaint:
    """The reporter asks for a review (复查) of a first answer, or a re-review (复核) of a review answer,
    within the configured window (30 days) after that answer. Only for complaints/requests."""
    reason = (reason or "").strip()
    if not reason:
        raise ComplaintRefused(
            _("Say why you ask for a review."),
            code=ComplaintErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Say why you ask for a review.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_status(complaint, Status.ANSWERED, Status.CLOSED)
        if (
            complaint.kind != Kind.COMPLAINT
            or complaint.stage == Stage.RE_REVIEW
            or complaint.answered_at is None
        ):
            raise ComplaintRefused(
                _("No further review can be requested for this complaint."),
                code=ComplaintErrorCode.REVIEW_NOT_ALLOWED,
            )
        if config.is_overdue(complaint.request_until, now):
            raise ComplaintRefused(
                _("The 30 days to request a review are over."), code=ComplaintErrorCode.WINDOW_CLOSED
            )
        stage = Stage.REVIEW if complaint.stage == Stage.ORIGINAL else Stage.RE_REVIEW
        complaint.stage = stage
        complaint.unit, complaint.office = config.review_unit(complaint.village, stage)
        complaint.status = Status.ACCEPTED
        complaint.accepted_at = now
        complaint.claimed_by, complaint.claimed_at = None, None
        complaint.handle_due = config.due_after(now, DeadlineKey.REVIEW_ANSWER)
        complaint.closed_at = None
        complaint.rating, complaint.rated_at = "", None
        _message(
            complaint, author=MessageAuthor.REPORTER, kind=MessageKind.REPLY, body=reason[:TEXT_MAX], now=now
        )
        _event(complaint, "review_requested", None, now, note=stage)
        _save(
            complaint,
            [
                "stage",
                "unit",
                "office",
                "status",
                "accepted_at",
                "claimed_by",
                "claimed_at",
                "handle_due",
                "closed_at",
                "rating",
                "rated_at",
            ],
        )
        _ledger(
            "complaint.review_requested",
            complaint,
            None,
            {"stage": stage, "unit": complaint.unit.code, "office": complaint.office},
        )
        _notify_unit_on_commit(complaint)
    return complaint


# --- the handler's side -------------------------------------------------------------------------------------


def complaint_claim(*, actor: User, complaint: Complaint) -> Complaint:
    """The unit takes the complaint (认领); one handler at a time."""
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.RECEIVED, Status.ACCEPTED)
        if complaint.claimed_by_id and complaint.claimed_by_id != actor.pk:
            raise ComplaintConflict(
                _("Another handler has already claimed this complaint."),
                code=ComplaintErrorCode.ALREADY_CLAIMED,
            )
        if complaint.claimed_by_id == actor.pk:
            return complaint
        complaint.claimed_by, complaint.claimed_at = actor, now
        _save(complaint, ["claimed_by", "claimed_at"])
        _event(complaint, "claimed", actor, now)
        _ledger(
            "complaint.claimed", complaint, actor, {"unit": complaint.unit.code, "office": complaint.office}
        )
    return complaint


def _claim_in_memory(actor: User, complaint: Complaint, now: datetime) -> None:
    if complaint.claimed_by_id and complaint.claimed_by_id != actor.pk:
        raise ComplaintConflict(
            _("Another handler has already claimed this complaint."), code=ComplaintErrorCode.ALREADY_CLAIMED
        )
    if not complaint.claimed_by_id:
        complaint.claimed_by, complaint.claimed_at = actor, now


def complaint_accept(*, actor: User, complaint: Complaint) -> Complaint:
    """Accept (受理): the handling time limit (60 days) starts now."""
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.RECEIVED)
        _claim_in_memory(actor, complaint, now)
        complaint.status, complaint.accepted_at = Status.ACCEPTED, now
        complaint.handle_due = config.due_after(now, DeadlineKey.HANDLE)
        _save(complaint, ["status", "accepted_at", "handle_due", "claimed_by", "claimed_at"])
        _message(
            complaint,
            author=MessageAuthor.SYSTEM,
            kind=MessageKind.NOTICE,
            body=_("Your complaint was accepted."),
            now=now,
        )
        _event(complaint, "accepted", actor, now)
        _ledger("complaint.accepted", complaint, actor, {"handle_due": complaint.handle_due})
    return complaint


def complaint_refuse(*, actor: User, complaint: Complaint, reason: str) -> Complaint:
    """Do not accept (不予受理), with the reason told to the reporter."""
    reason = (reason or "").strip()
    if not reason:
        raise ComplaintRefused(
            _("Give the reason for not accepting."),
            code=ComplaintErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Give the reason for not accepting.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.RECEIVED)
        _claim_in_memory(actor, complaint, now)
        complaint.status, complaint.refusal_reason, complaint.closed_at = Status.REFUSED, reason[:500], now
        _save(complaint, ["status", "refusal_reason", "closed_at", "claimed_by", "claimed_at"])
        _message(
            complaint, author=MessageAuthor.STAFF, kind=MessageKind.NOTICE, body=reason, now=now, user=actor
        )
        _event(complaint, "refused", actor, now)
        _ledger("complaint.refused", complaint, actor, {"reason": mask_pii(reason)})
    return complaint


def complaint_ask(*, actor: User, complaint: Complaint, question: str) -> ComplaintMessage:
    """Ask the reporter a question; they answer with their code and secret."""
    question = (question or "").strip()
    if not question:
        raise ComplaintRefused(
            _("Write the question."),
            code=ComplaintErrorCode.INVALID,
            fields={"question": [_("Write the question.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.RECEIVED, Status.ACCEPTED)
        message = _message(
            complaint,
            author=MessageAuthor.STAFF,
            kind=MessageKind.QUESTION,
            body=question[:TEXT_MAX],
            now=now,
            user=actor,
        )
        _save(complaint, [])
        _event(complaint, "asked", actor, now)
        _ledger("complaint.asked", complaint, actor, {"message": message.pk})
        _sms_on_commit(
            _reporter_phone(complaint),
            _("The handler of complaint %(code)s has a question for you.") % {"code": complaint.code},
        )
    return message


def complaint_answer(*, actor: User, complaint: Complaint, answer: str) -> Complaint:
    """Give the answer (答复). The reporter may then rate it and, within 30 days, ask for a review.
    With the reporter's consent the masked complaint and answer are published in the village's
    投诉建议 module."""
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise ComplaintRefused(
            _("Write the answer (at least 5 characters)."),
            code=ComplaintErrorCode.INVALID,
            fields={"answer": [_("Write the answer (at least 5 characters).")]},
        )
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.ACCEPTED)
        _claim_in_memory(actor, complaint, now)
        name = reporter_name(complaint)
        complaint.status = Status.ANSWERED
        complaint.answer = answer[:TEXT_MAX]
        complaint.public_answer = public_wording(complaint.answer, name)
        complaint.answered_at = now
        complaint.request_until = config.due_after(now, DeadlineKey.REVIEW_REQUEST)
        complaint.rate_until = config.due_after(now, DeadlineKey.RATE)
        complaint.rating, complaint.rated_at = "", None
        fields = [
            "status",
            "answer",
            "public_answer",
            "answered_at",
            "request_until",
            "rate_until",
            "rating",
            "rated_at",
            "claimed_by",
            "claimed_at",
        ]
        _message(
            complaint,
            author=MessageAuthor.STAFF,
            kind=MessageKind.ANSWER,
            body=complaint.answer,
            now=now,
            user=actor,
        )
        _event(complaint, "answered", actor, now, note=complaint.stage)
        published = _publish(actor, complaint, now)
        if published:
            complaint.published_at = now
            fields.append("published_at")
        _save(complaint, fields)
        _ledger("complaint.answered", complaint, actor, {"stage": complaint.stage, "published": published})
        logger.debug("complaint %s answered (%s), published: %s", complaint.code, complaint.stage, published)
        _sms_on_commit(
            _reporter_phone(complaint),
            _("Complaint %(code)s has been answered. Please rate the answer.") % {"code": complaint.code},
        )
    return complaint


def _publish(actor: User, complaint: Complaint, now: datetime) -> bool:
    """Publish the masked complaint and answer in the village's 投诉建议 module (with consent).
    Reports of wrongdoing are never published here."""
    if not complaint.consent_publish or complaint.kind == Kind.REPORT:
        return False
    from sunlit.disclosure.services import disclosure_publish

    body = "\n\n".join(
        [
            _("Complaint: %(text)s") % {"text": complaint.public_text},
            _("Answer: %(text)s") % {"text": complaint.public_answer},
        ]
    )
    disclosure_publish(
        actor=None,  # a system publication: the reporter consented, the unit answered
        village=complaint.village,
        module="complaints",
        title=_("%(category)s: %(title)s")
        % {"category": complaint.get_category_display(), "title": complaint.title},
        body=body,
        source=f"{ledger_subject(complaint)}:{complaint.stage}",
        now=now,
    )
    return True


def complaint_extend(*, actor: User, complaint: Complaint, days: int, reason: str) -> Complaint:
    """Extend the handling time once, by at most the configured maximum (30 days), with a reason,
    before the time runs out."""
    reason = (reason or "").strip()
    maximum = config.limit(DeadlineKey.EXTENSION_MAX).days
    fields: dict[str, list[str]] = {}
    if not reason:
        fields["reason"] = [_("Give the reason for the extension.")]
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        fields["days"] = [_("Give a whole number of days.")]
    elif days > maximum:
        fields["days"] = [_("At most %(n)d days.") % {"n": maximum}]
    if fields:
        code = (
            ComplaintErrorCode.EXTENSION_TOO_LONG
            if "days" in fields and days and isinstance(days, int) and days > maximum
            else ComplaintErrorCode.REASON_REQUIRED
        )
        raise ComplaintRefused(_("The extension cannot be granted."), code=code, fields=fields)
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.ACCEPTED)
        if complaint.extended:
            raise ComplaintRefused(
                _("The handling time can be extended only once."), code=ComplaintErrorCode.EXTENSION_USED
            )
        if config.is_overdue(complaint.handle_due, now):
            raise ComplaintRefused(
                _("The handling time is already over; it can no longer be extended."),
                code=ComplaintErrorCode.OVERDUE,
            )
        complaint.handle_due = config.end_of_day(
            timezone.localdate(complaint.handle_due) + timedelta(days=days)
        )
        complaint.extended, complaint.extension_days, complaint.extension_reason = True, days, reason[:500]
        _save(complaint, ["handle_due", "extended", "extension_days", "extension_reason"])
        _message(
            complaint,
            author=MessageAuthor.STAFF,
            kind=MessageKind.NOTICE,
            body=_("The handling time was extended by %(days)d days: %(reason)s")
            % {"days": days, "reason": reason},
            now=now,
            user=actor,
        )
        _event(complaint, "extended", actor, now, note=str(days))
        _ledger(
            "complaint.extended",
            complaint,
            actor,
            {"days": days, "handle_due": complaint.handle_due, "reason": mask_pii(reason)},
        )
    return complaint


def _escalate(complaint: Complaint, actor: User | None, now: datetime, *, reason: str) -> None:
    """Move the complaint one level up (in memory; callers save). The body taking over decides on
    acceptance again when the complaint was never accepted, else handles it within the review limit."""
    level = complaint.escalation_level + 1
    office = config.ESCALATION_OFFICES[level]
    complaint.escalation_level = level
    complaint.unit, complaint.office = config.unit_region(complaint.village, office), office
    complaint.claimed_by, complaint.claimed_at = None, None
    if complaint.status == Status.RECEIVED:
        key = DeadlineKey.REPORT_ACK if complaint.kind == Kind.REPORT else DeadlineKey.ACCEPT
        complaint.accept_due = config.due_after(now, key)
    else:
        complaint.status = Status.ACCEPTED
        complaint.accepted_at = complaint.accepted_at or now
        complaint.handle_due = config.due_after(now, DeadlineKey.REVIEW_ANSWER)
    _message(
        complaint,
        author=MessageAuthor.SYSTEM,
        kind=MessageKind.NOTICE,
        body=_("Your complaint was passed to the %(office)s.") % {"office": complaint.get_office_display()},
        now=now,
    )
    _notify_unit_on_commit(complaint)


ESCALATE_FIELDS = [
    "status",
    "unit",
    "office",
    "escalation_level",
    "claimed_by",
    "claimed_at",
    "handle_due",
    "accept_due",
    "accepted_at",
]


def complaint_escalate(*, actor: User, complaint: Complaint, reason: str) -> Complaint:
    """A handler passes the complaint up a level by hand (e.g. it concerns the unit's own leaders)."""
    reason = (reason or "").strip()
    if not reason:
        raise ComplaintRefused(
            _("Give the reason for escalating."),
            code=ComplaintErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Give the reason for escalating.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        _require_status(complaint, Status.RECEIVED, Status.ACCEPTED)
        if complaint.escalation_level >= config.TOP_LEVEL or complaint.stage != Stage.ORIGINAL:
            raise ComplaintRefused(
                _("This complaint is already with the highest body."), code=ComplaintErrorCode.TOP_LEVEL
            )
        _escalate(complaint, actor, now, reason="manual")
        _save(complaint, ESCALATE_FIELDS)
        _event(complaint, "escalated", actor, now, note=reason)
        _ledger(
            "complaint.escalated",
            complaint,
            actor,
            {"level": complaint.escalation_level, "office": complaint.office, "reason": mask_pii(reason)},
        )
    return complaint


def escalate_due(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: escalate complaints whose acceptance or handling time has passed, close
    answers left unrated past the rating window, drop real-name filings never verified within a day.
    Each escalation is recorded once (a unique event per complaint, stage and level), so concurrent
    or repeated runs escalate nothing twice."""
    with config.limits_cached():
        return _escalate_due(now or timezone.now())


def _escalate_due(now: datetime) -> dict[str, int]:
    counts = {"escalated": 0, "closed": 0, "dropped": 0}
    overdue = Complaint.objects.filter(stage=Stage.ORIGINAL, escalation_level__lt=config.TOP_LEVEL).filter(
        # "passed" means strictly after the stored instant
        Q(status=Status.RECEIVED, accept_due__lt=now) | Q(status=Status.ACCEPTED, handle_due__lt=now)
    )
    for pk in overdue.values_list("pk", flat=True).order_by("pk"):
        try:
            with transaction.atomic():
                complaint = (
                    Complaint.objects.select_for_update(skip_locked=True)
                    .select_related("village", "unit")
                    .filter(pk=pk)
                    .first()
                )
                if (
                    complaint is None
                    or complaint.escalation_level >= config.TOP_LEVEL
                    or complaint.stage != Stage.ORIGINAL
                ):
                    continue
                due = complaint.accept_due if complaint.status == Status.RECEIVED else complaint.handle_due
                if complaint.status not in (Status.RECEIVED, Status.ACCEPTED) or not config.is_overdue(
                    due, now
                ):
                    continue
                _event(
                    complaint,
                    "escalated_overdue",
                    None,
                    now,
                    note=f"{complaint.stage}:{complaint.escalation_level}",
                )
                _escalate(complaint, None, now, reason="overdue")
                _save(complaint, ESCALATE_FIELDS)
                _ledger(
                    "complaint.escalated",
                    complaint,
                    None,
                    {"level": complaint.escalation_level, "office": complaint.office, "reason": "overdue"},
                )
            counts["escalated"] += 1
            logger.debug(
                "complaint %s overdue: escalated to level %s", complaint.code, complaint.escalation_level
            )
        except IntegrityError:
            continue  # another worker escalated it at this level already
    for pk in Complaint.objects.filter(status=Status.ANSWERED, rate_until__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            updated = Complaint.objects.filter(pk=pk, status=Status.ANSWERED, rate_until__lt=now).update(
                status=Status.CLOSED, closed_at=now, revision=F("revision") + 1
            )
            if updated:
                complaint = Complaint.objects.select_related("village").get(pk=pk)
                _event(complaint, "closed_unrated", None, now)
                _ledger("complaint.closed", complaint, None, {"reason": "unrated"})
                counts["closed"] += 1
    stale = Complaint.objects.filter(status=Status.UNVERIFIED, created_at__lt=now - timedelta(days=1))
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            ComplaintEvent.objects.filter(complaint_id=pk).delete()
            ComplaintAttachment.objects.filter(complaint_id=pk).delete()
            PhoneVerification.objects.filter(complaint_id=pk).delete()
            if Complaint.objects.filter(pk=pk, status=Status.UNVERIFIED).delete()[0]:
                counts["dropped"] += 1
    return counts


# --- reporter identity --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    name: str
    phone: str
    id_number: str


def reporter_reveal(*, actor: User, complaint: Complaint, reason: str) -> Identity:
    """Decrypt the reporter's identity for a holder of reporter.reveal, recording who, when and why."""
    if not can_reveal(actor, complaint):
        raise NotHandler(_("You may not see reporters' identities."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ComplaintRefused(
            _("Give the reason for viewing the reporter's identity (at least 4 characters)."),
            code=ComplaintErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Give the reason (at least 4 characters).")]},
        )
    now = timezone.now()
    with transaction.atomic():
        ReporterAccess.objects.create(complaint=complaint, user=actor, reason=reason[:500], at=now)
        _event(complaint, "reporter_viewed", actor, now)
        _ledger("complaint.reporter_viewed", complaint, actor, {"reason": mask_pii(reason)})
    return Identity(
        name=reporter_name(complaint),
        phone=_reporter_phone(complaint),
        id_number=decrypt(complaint.reporter_id_enc) if complaint.reporter_id_enc else "",
    )


# --- inbound SMS --------------------------------------------------------------------------------------------

_VILLAGE_CODE_RE = re.compile(r"^\s*(\d{12})\s*")
_REPLY_RE = re.compile(r"^\s*#?(T[0-9A-Z]{11})\s+(.+)$", re.S)


def inbound_sms(
    *, sender: str, text: str, village_code: str = "", category: str = ""
) -> tuple[str, Complaint]:
    """A text message from the gateway webhook. "T… message" from the phone that filed complaint
    T… adds a reply; otherwise it files a complaint (the village is ``village_code`` or the 12-digit
    code the text starts with). Returns ("reply" | "filed", complaint)."""
    phone = normalize_phone(sender)
    if not phone_valid(phone):
        raise ComplaintRefused(
            _("The sender is not a mobile number."),
            code=ComplaintErrorCode.INVALID,
            fields={"from": [_("Not a mobile number.")]},
        )
    text = (text or "").strip()
    reply = _REPLY_RE.match(text)
    if reply:
        complaint = Complaint.objects.filter(
            code=reply.group(1).upper(), phone_hash=phone_hash(phone)
        ).first()
        if complaint is not None:
            return "reply", reporter_reply(complaint=complaint, text=reply.group(2)).complaint
    match = _VILLAGE_CODE_RE.match(text)
    if not village_code and match:
        village_code, text = match.group(1), text[match.end() :]
    village = (
        Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).first() if village_code else None
    )
    if village is None:
        _sms_now(phone, _("Please start your message with the 12-digit code of your village."))
        raise ComplaintRefused(
            _("The village is missing or unknown."),
            code=ComplaintErrorCode.NOT_A_VILLAGE,
            fields={"village": [_("Unknown village.")]},
        )
    filed = complaint_file(
        actor=None,
        channel=Channel.SMS,
        kind=Kind.COMPLAINT,
        category=category if category in Category.values else Category.OTHER,
        village=village,
        text=text,
        anonymous=True,
        phone=phone,
        phone_verified=True,  # the carrier delivered it from this number
    )
    if filed.complaint.status != Status.RECEIVED:
        _sms_on_commit_now(phone, filed)
    return "filed", filed.complaint


def _sms_now(phone: str, text: str) -> None:
    messaging.send_sms(phone, text)


def _sms_on_commit_now(phone: str, filed: Filed) -> None:
    messaging.send_sms(
        phone,
        _("Your complaint was received. Tracking code %(code)s, secret %(secret)s.")
        % {"code": filed.complaint.code, "secret": filed.secret},
    )
