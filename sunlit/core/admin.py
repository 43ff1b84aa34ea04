from django.contrib import admin

from sunlit.accounts.admin_scoping import ScopedAdmin
from sunlit.accounts.roles import Perm

from .models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ScopedAdmin):
    view_perm = Perm.CALENDAR_MANAGE
    change_perm = Perm.CALENDAR_MANAGE
    allow_delete = False
    list_display = ["date", "is_working_day", "reason", "created_by", "created_at"]
    fields = ["date", "is_working_day", "reason"]

    def save_model(self, request, obj, form, change):
        from .services import calendar_override_set

        saved = calendar_override_set(
            actor=request.user, date=obj.date, is_working_day=obj.is_working_day, reason=obj.reason
        )
        obj.pk = saved.pk
