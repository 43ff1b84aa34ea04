from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import DomainError

from . import services
from .admin_scoping import ReadOnlyScopedAdmin, ScopedAdmin
from .models import LoginThrottle, RoleAssignment, User
from .roles import Perm


class UserCreateForm(forms.ModelForm):
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ["username", "display_name", "phone"]

    def clean(self):
        data = super().clean()
        from django.contrib.auth.password_validation import validate_password

        if data.get("password"):
            validate_password(data["password"])
        return data


@admin.register(User)
class UserAdmin(ScopedAdmin):
    view_perm = Perm.USER_MANAGE
    change_perm = Perm.USER_MANAGE
    list_display = ["username", "display_name", "is_active", "last_login"]
    search_fields = ["username", "display_name"]
    fields = ["username", "display_name", "phone", "is_active"]
    readonly_fields = ["username"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            return UserCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["username", "display_name", "phone", "password"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["display_name", "phone", "is_active"])
            return
        user = services.user_create(
            actor=request.user,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            display_name=form.cleaned_data.get("display_name", ""),
            phone=form.cleaned_data.get("phone", ""),
        )
        obj.pk = user.pk


class RoleGrantForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "region"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                services.role_grant(
                    actor=self.request.user, user=data["user"], role=data["role"], region=data["region"]
                )
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from None
        return data


class _DryRun(Exception):
    """Rolls back the trial grant made to validate the form."""


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    view_perm = Perm.ROLE_ASSIGN
    change_perm = Perm.ROLE_ASSIGN
    allow_delete = False
    list_display = ["user", "role", "region", "granted_by", "granted_at", "revoked_at"]
    list_filter = ["role", "revoked_at"]
    search_fields = ["user__username", "region__name", "region__code"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        form = RoleGrantForm
        form.request = request
        return form

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        assignment = services.role_grant(
            actor=request.user,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            region=form.cleaned_data["region"],
        )
        obj.pk = assignment.pk

    @admin.action(description=_("Revoke the selected roles"))
    def revoke(self, request, queryset):
        for assignment in queryset.filter(revoked_at__isnull=True):
            services.role_revoke(actor=request.user, assignment=assignment)
        self.message_user(request, _("The selected roles were revoked."))


@admin.register(LoginThrottle)
class LoginThrottleAdmin(ReadOnlyScopedAdmin):
    view_perm = Perm.ROLE_ASSIGN
    change_perm = Perm.ROLE_ASSIGN
    list_display = ["username", "failures", "locked_until"]
    actions = ["unlock"]

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request, queryset):
        for throttle in queryset:
            services.login_unlock(actor=request.user, username=throttle.username)
