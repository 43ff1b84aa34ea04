"""Duty-airing reminders: once per village and month, to the village's meeting recorders, through
the notification backend of sunlit/supervision/notify.py (console, file, e-mail or SMS)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sunlit.accounts.models import RoleAssignment
from sunlit.accounts.roles import Perm, roles_with
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.regions.models import Region, RegionLevel

from . import config
from .models import Body, DutyReminder
from .selectors import duty_status
from .vocab import BodyKind


def duty_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Send the reminders due at ``now``; a village is reminded at most once a month."""
    from sunlit.supervision.notify import Message, get_backend

    now = now or timezone.now()
    today = timezone.localdate(now)
    month = today.replace(day=1)
    villages = Region.objects.filter(
        level=RegionLevel.VILLAGE,
        pk__in=Body.objects.filter(kind=BodyKind.PARTY_MEMBERS).values("village_id"),
    ).exclude(pk__in=DutyReminder.objects.filter(month=month).values("village_id"))
    backend = get_backend()
    sent = 0
    settings_by_county: dict[str, dict] = {}
    for village in villages.order_by("code"):
        county_code = village.code[:6]
        if county_code not in settings_by_county:
            settings_by_county[county_code] = config.effective(village)
        if today.day < settings_by_county[county_code]["duty_reminder_day"]:
            continue
        status = duty_status(village, month)
        if status["held"] and not status["missing"]:
            continue
        recipients = list(
            RoleAssignment.objects.filter(
                region=village,
                role__in=roles_with(Perm.MEETING_RECORD),
                revoked_at__isnull=True,
                user__is_active=True,
            )
            .select_related("user")
            .order_by("user_id")
        )
        try:
            with transaction.atomic():
                reminder = DutyReminder.objects.create(
                    village=village,
                    month=month,
                    missing=[p.pk for p in status["missing"]] if status["held"] else [],
                    sent_at=now,
                    recipients=len({a.user_id for a in recipients}),
                )
                ledger_append(
                    kind="deliberation.duty_reminded",
                    actor=None,
                    subject=ledger_subject(reminder),
                    region=village,
                    payload={"month": month, "held": status["held"], "missing": reminder.missing},
                )
        except IntegrityError:
            continue  # another worker reminded this village
        with translation.override("zh-hans"):
            if status["held"]:
                body = _(
                    "%(n)d members of the branch have not reported in this month's duty airing: %(names)s."
                ) % {
                    "n": len(status["missing"]),
                    "names": "、".join(p.name for p in status["missing"]),
                }
            else:
                body = _("The branch of %(village)s has not held its duty-airing session for %(month)s.") % {
                    "village": village.name,
                    "month": f"{month:%Y-%m}",
                }
            subject = _("Duty airing reminder")
        for user in {a.user_id: a.user for a in recipients}.values():
            backend.send(Message(recipient=user, subject=subject, body=body))
        sent += 1
    return sent
