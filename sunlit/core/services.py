"""Writes to shared core data: the working-day calendar's overrides.

These functions do not check permissions: the caller does (the admin through its
``Perm.CALENDAR_MANAGE`` scoping, a view with ``has_perm(actor, Perm.CALENDAR_MANAGE)``).
``actor=None`` is for bootstrap code and commands run by an operator.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from .calendar import clear_calendar_cache
from .errors import ValidationFailed
from .models import CalendarOverride

if TYPE_CHECKING:
    from sunlit.accounts.models import User

REASON_MAX_LENGTH = CalendarOverride._meta.get_field("reason").max_length


def calendar_override_set(
    *, actor: User | None, date: datetime.date, is_working_day: bool, reason: str
) -> CalendarOverride:
    """Declare ``date`` a working day or a day off, replacing any earlier override of that date.

    The caller has checked ``Perm.CALENDAR_MANAGE``. ``created_by`` records the actor of this
    write, so the row always names who made the decision now in force. The calendar's cache is
    cleared once the transaction commits (a rolled-back write is never cached).
    """
    if isinstance(date, datetime.datetime) or not isinstance(date, datetime.date):
        raise ValidationFailed(_("Enter a date."), code="invalid_date", fields={"date": [_("Enter a date.")]})
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for this change, e.g. the State Council notice.")
        raise ValidationFailed(message, code="reason_required", fields={"reason": [message]})
    if REASON_MAX_LENGTH is not None and len(reason) > REASON_MAX_LENGTH:
        message = _("The reason may be at most %(limit)d characters.") % {"limit": REASON_MAX_LENGTH}
        raise ValidationFailed(message, code="reason_too_long", fields={"reason": [message]})
    with transaction.atomic():
        override, _created = CalendarOverride.objects.update_or_create(
            date=date,
            defaults={"is_working_day": bool(is_working_day), "reason": reason, "created_by": actor},
        )
        transaction.on_commit(clear_calendar_cache)
    return override
