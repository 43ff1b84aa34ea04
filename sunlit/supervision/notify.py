"""Notifying handlers of new red alerts and of escalations, through a pluggable backend.

Flow: the engine (``raise_alerts``) and ``alerts_escalate_due`` call :func:`alerts_raised` /
:func:`alerts_escalated` with the ids they changed. Those only register an on-commit enqueue of
:func:`notify_alerts` (nothing is sent for a rolled-back change, and no task runs inside the writer's
transaction). The task records one :class:`~sunlit.supervision.models.Notification` per recipient and
event (unique, so a re-run sends nothing twice) and, unless a digest period is set, delivers them at
once. With ``SUNLIT_NOTIFY_DIGEST_MINUTES`` > 0 the periodic :func:`notify_digest` job sends each
recipient one message per period listing everything owed to them.

Recipients: the active holders of ``alert.handle`` whose role is assigned in the alert's handling
region itself (the township discipline office for a new alert; after an escalation, the county or
city office the alert moved to). When nobody holds the permission there, the nearest region above
with a holder is used, so an alert never goes unannounced.

Backends (``SUNLIT_NOTIFY_BACKEND``, a dotted path): :class:`ConsoleBackend` (default),
:class:`FileBackend` (JSON lines in ``SUNLIT_NOTIFY_FILE``), :class:`EmailBackend` (Django's e-mail
backend, to ``user.email``) and :class:`SmsBackend` (an HTTP POST to ``SUNLIT_SMS_URL`` with
``SUNLIT_SMS_TOKEN``, to ``user.phone``). A backend's ``send`` returns True when it accepted the
message; a user without an address for it is skipped (and stays unsent).

Retries. A delivery that raises is recorded on its rows (``attempts``, ``last_attempt_at``,
``last_error``) and retried no earlier than ``next_attempt_at``: after the n-th failure
``SUNLIT_NOTIFY_RETRY_SECONDS`` (default 60) × 2^(n−1), capped at ``SUNLIT_NOTIFY_RETRY_MAX_SECONDS``
(default 6 hours); after ``SUNLIT_NOTIFY_RETRY_ATTEMPTS`` failures (default 12) the row is given up
(``failed_at``) and logged. The periodic ``supervision.notify_retry`` job (every minute) sends what is
due. Exactly once across workers: a worker first *claims* the rows it is about to send with one
conditional update (unsent, not given up, due, and unclaimed or with an expired claim of
``SUNLIT_NOTIFY_CLAIM_SECONDS``, default 300 — longer than any backend's time-out); only the rows that
update carried its token are sent and then marked, so two workers never send the same row. (A worker
that dies between the backend accepting and the row being marked leaves a claim that expires, and the
row is sent again: the one window where a message can go out twice.)
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from sunlit.accounts.models import RoleAssignment, User
from sunlit.accounts.roles import Perm, roles_with
from sunlit.core import schedule

from .models import Alert, Notification
from .vocab import Severity

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "sunlit.supervision.notify.ConsoleBackend"


# --- settings --------------------------------------------------------------------------------------------


def digest_minutes() -> int:
    return max(int(getattr(settings, "SUNLIT_NOTIFY_DIGEST_MINUTES", 0) or 0), 0)


def retry_base() -> int:
    return max(int(getattr(settings, "SUNLIT_NOTIFY_RETRY_SECONDS", 60) or 60), 1)


def retry_cap() -> int:
    return max(int(getattr(settings, "SUNLIT_NOTIFY_RETRY_MAX_SECONDS", 6 * 3600) or 0), retry_base())


def retry_attempts() -> int:
    return max(int(getattr(settings, "SUNLIT_NOTIFY_RETRY_ATTEMPTS", 12) or 12), 1)


def claim_seconds() -> int:
    return max(int(getattr(settings, "SUNLIT_NOTIFY_CLAIM_SECONDS", 300) or 300), 1)


def retry_delay(failures: int) -> datetime.timedelta:
    """How long to wait after the ``failures``-th failed attempt: exponential, capped."""
    seconds = retry_base() * 2 ** min(max(failures - 1, 0), 30)
    return datetime.timedelta(seconds=min(seconds, retry_cap()))


def get_backend() -> Backend:
    path = getattr(settings, "SUNLIT_NOTIFY_BACKEND", "") or DEFAULT_BACKEND
    return import_string(path)()


# --- messages and backends ---------------------------------------------------------------------------------


@dataclass
class Message:
    recipient: User
    subject: str
    body: str
    alert_ids: list[int] = field(default_factory=list)


class Backend:
    """Delivers one message to one user. Returns False when the user has no address for it."""

    name = "base"

    def send(self, message: Message) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(Backend):
    """Writes messages to standard output (the worker's log); for development and small setups."""

    name = "console"

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> bool:
        stream = self.stream or sys.stdout
        stream.write(
            f"To: {message.recipient.get_username()}\nSubject: {message.subject}\n\n{message.body}\n"
        )
        stream.write("-" * 72 + "\n")
        stream.flush()
        return True


class FileBackend(Backend):
    """Appends one JSON line per message to ``SUNLIT_NOTIFY_FILE`` (default
    ``$SUNLIT_DATA_DIR/notifications.jsonl``), for another program to pick up."""

    name = "file"

    def path(self) -> Path:
        configured = getattr(settings, "SUNLIT_NOTIFY_FILE", "")
        if configured:
            return Path(configured)
        return Path(getattr(settings, "DATA_DIR", ".")) / "notifications.jsonl"

    def send(self, message: Message) -> bool:
        target = self.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "to": message.recipient.get_username(),
            "subject": message.subject,
            "body": message.body,
            "alerts": message.alert_ids,
            "at": timezone.now().isoformat(),
        }
        with target.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return True


class EmailBackend(Backend):
    """Sends through Django's configured e-mail backend (EMAIL_* settings) to the user's e-mail."""

    name = "email"

    def send(self, message: Message) -> bool:
        if not message.recipient.email:
            return False
        send_mail(
            message.subject,
            message.body,
            getattr(settings, "DEFAULT_FROM_EMAIL", None),
            [message.recipient.email],
            fail_silently=False,
        )
        return True


class SmsBackend(Backend):
    """Posts ``{"to": phone, "text": …}`` as JSON to the SMS gateway at ``SUNLIT_SMS_URL`` with
    ``Authorization: Bearer SUNLIT_SMS_TOKEN``. Any answer other than 2xx is a failure (raised, so the
    notification stays unsent and is retried)."""

    name = "sms"
    timeout = 10

    def send(self, message: Message) -> bool:
        phone = (message.recipient.phone or "").strip()
        if not phone:
            return False
        url = getattr(settings, "SUNLIT_SMS_URL", "")
        if not url.startswith(("http://", "https://")):
            raise RuntimeError("SUNLIT_SMS_URL must be an http(s) URL")
        payload = json.dumps(
            {"to": phone, "text": f"{message.subject}\n{message.body}"}, ensure_ascii=False
        ).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {getattr(settings, 'SUNLIT_SMS_TOKEN', '')}",
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")
        return True


# --- triggers (called by the engine and the escalation service) --------------------------------------------


def alerts_raised(alert_ids: Iterable[int]) -> None:
    """New alerts were written: notify the handlers of the red ones once the transaction commits."""
    _enqueue_on_commit(list(alert_ids), Notification.Event.RAISED)


def alerts_escalated(alert_ids: Iterable[int]) -> None:
    """Alerts moved up a level: notify the handlers of their new region once the transaction commits."""
    _enqueue_on_commit(list(alert_ids), Notification.Event.ESCALATED)


def _enqueue_on_commit(ids: list[int], event: str) -> None:
    if not ids:
        return
    transaction.on_commit(lambda: notify_alerts.enqueue(alert_ids=ids, event=str(event)))


# --- recipients --------------------------------------------------------------------------------------------


def recipients_by_region(region_ids: set[int]) -> dict[int, list[User]]:
    """For each handling region: the active alert.handle holders assigned there, or else at the nearest
    region above that has any. Two queries whatever the number of regions."""
    from sunlit.regions.models import Region

    regions = {r.pk: r for r in Region.objects.filter(pk__in=region_ids)}
    ancestor_codes = {code for r in regions.values() for code in r.path.strip("/").split("/") if code}
    today = timezone.localdate()
    assignments = (
        RoleAssignment.objects.filter(
            role__in=roles_with(Perm.ALERT_HANDLE),
            revoked_at__isnull=True,
            region__code__in=ancestor_codes,
            user__is_active=True,
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("user", "region")
        .order_by("user_id")
    )
    holders: dict[str, dict[int, User]] = defaultdict(dict)
    for assignment in assignments:
        holders[assignment.region.code][assignment.user_id] = assignment.user
    found: dict[int, list[User]] = {}
    for pk, region in regions.items():
        chain = [c for c in region.path.strip("/").split("/") if c]
        found[pk] = []
        for code in reversed(chain):  # the region itself first, then upwards
            if holders.get(code):
                found[pk] = list(holders[code].values())
                break
    return found


# --- the tasks ---------------------------------------------------------------------------------------------


@task()
def notify_alerts(alert_ids: list[int], event: str) -> int:
    """Record what each handler is owed for ``alert_ids`` and, without a digest, send it now.
    Returns the number of messages sent."""
    record(alert_ids, event)
    if digest_minutes():
        return 0
    return deliver(digest=False)


@task()
def notify_digest() -> int:
    """The periodic digest: one message per recipient for everything still unsent."""
    if not digest_minutes():
        return 0
    return deliver(digest=True)


@task()
def notify_retry() -> int:
    """The periodic retry of failed deliveries whose back-off ran out (without a digest; with one, the
    digest job sends what is due)."""
    if digest_minutes():
        return 0
    return deliver(digest=False)


def record(alert_ids: list[int], event: str) -> int:
    """Create the Notification rows for ``alert_ids`` (red ones only for new alerts)."""
    alerts = Alert.objects.filter(pk__in=alert_ids)
    if event == Notification.Event.RAISED:
        alerts = alerts.filter(severity=Severity.RED)
    alerts = list(alerts.only("pk", "handling_region_id", "escalation_level"))
    if not alerts:
        return 0
    by_region = recipients_by_region({a.handling_region_id for a in alerts})
    now = timezone.now()
    rows = [
        Notification(recipient=user, alert=alert, event=event, level=alert.escalation_level, created_at=now)
        for alert in alerts
        for user in by_region.get(alert.handling_region_id, [])
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _line(note: Notification) -> str:
    alert = note.alert
    what = _("Escalated to %(region)s (level %(level)s)") % {
        "region": alert.handling_region.name,
        "level": note.level,
    }
    if note.event == Notification.Event.RAISED:
        what = _("New red alert")
    return "\n".join(
        [
            f"[{alert.get_severity_display()}] {alert.title}",
            f"  {what} · {alert.village.name} · {alert.get_status_display()}",
            f"  {reverse('workbench:alert', args=[alert.pk])}",
        ]
    )


def _message(user: User, notes: list[Notification]) -> Message:
    if len(notes) == 1:
        note = notes[0]
        if note.event == Notification.Event.RAISED:
            subject = _("Red alert: %(title)s") % {"title": note.alert.title}
        else:
            subject = _("Alert escalated: %(title)s") % {"title": note.alert.title}
    else:
        subject = _("%(n)s supervision alerts need your attention") % {"n": len(notes)}
    body = "\n\n".join(_line(n) for n in notes)
    return Message(
        recipient=user, subject=f"[Sunlit] {subject}", body=body, alert_ids=[n.alert_id for n in notes]
    )


def _due(now: datetime.datetime) -> Q:
    """Rows a worker may send now: unsent, not given up, due, and not claimed by a live worker."""
    return (
        Q(sent_at__isnull=True, failed_at__isnull=True)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )


def claim(ids: list[int], *, now: datetime.datetime | None = None) -> str | None:
    """Claim the rows of ``ids`` that are still due for this worker (one conditional update). Returns
    the claim token, or None when another worker holds them all (or they were sent meanwhile)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claimed = Notification.objects.filter(_due(now), pk__in=ids).update(
        claim=token, claimed_until=now + datetime.timedelta(seconds=claim_seconds())
    )
    return token if claimed else None


def _failed(notes: list[Notification], token: str, error: str, now: datetime.datetime) -> None:
    """Record a failed attempt on each claimed row and schedule its retry (or give it up)."""
    limit = retry_attempts()
    for note in notes:
        failures = note.attempts + 1
        given_up = failures >= limit
        Notification.objects.filter(pk=note.pk, claim=token).update(
            attempts=failures,
            last_attempt_at=now,
            last_error=error[:300],
            next_attempt_at=None if given_up else now + retry_delay(failures),
            failed_at=now if given_up else None,
            claim="",
            claimed_until=None,
        )
        if given_up:
            logger.error("notification %s given up after %s attempts: %s", note.pk, failures, error)


def deliver(*, digest: bool) -> int:
    """Send every notification that is due: one message each, or one per recipient with ``digest``.
    Each message's rows are claimed first (so no other worker sends them), marked sent only when the
    backend accepted the message, and on an error scheduled for a retry with back-off."""
    backend = get_backend()
    now = timezone.now()
    due = list(
        Notification.objects.filter(_due(now))
        .order_by("recipient_id", "created_at", "id")
        .values_list("pk", "recipient_id")
    )
    groups: list[list[int]]
    if digest:
        by_user: dict[int, list[int]] = defaultdict(list)
        for pk, user_id in due:
            by_user[user_id].append(pk)
        groups = list(by_user.values())
    else:
        groups = [[pk] for pk, _user in due]
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for ids in groups:
            token = claim(ids, now=now)
            if token is None:
                continue  # another worker has them
            group = list(
                Notification.objects.filter(pk__in=ids, claim=token)
                .select_related("recipient", "alert__village", "alert__handling_region")
                .order_by("created_at", "id")
            )
            message = _message(group[0].recipient, group)
            try:
                accepted = backend.send(message)
            except Exception as exc:
                logger.exception("notification to %s failed", group[0].recipient_id)
                _failed(group, token, f"{type(exc).__name__}: {exc}", timezone.now())
                continue
            if not accepted:  # no address for this backend: stays unsent, not a failure
                Notification.objects.filter(claim=token).update(claim="", claimed_until=None)
                continue
            Notification.objects.filter(claim=token, sent_at__isnull=True).update(
                sent_at=timezone.now(),
                backend=type(backend).__name__,
                next_attempt_at=None,
                claim="",
                claimed_until=None,
            )
            sent += 1
    return sent


def _digest_interval() -> int:
    return max(digest_minutes(), 1) * 60


schedule.register("supervision.notify_digest", every=_digest_interval, task=notify_digest)
schedule.register("supervision.notify_retry", every=60, task=notify_retry)
