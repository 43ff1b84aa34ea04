"""Django admin access from Sunlit's permission predicates instead of Django's model permissions.

Each ModelAdmin names the Perm needed to view and the Perm needed to change; nobody is a
superuser, so the three separated administrators each see only their own models.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .permissions import has_perm


class ScopedAdmin(admin.ModelAdmin):
    view_perm: str = ""
    change_perm: str = ""
    allow_add = True
    allow_delete = False

    def _can(self, request: HttpRequest, perm: str) -> bool:
        return bool(perm) and request.user.is_active and has_perm(request.user, perm)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._can(request, self.view_perm) or self._can(request, self.change_perm)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allow_add and self._can(request, self.change_perm)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._can(request, self.change_perm)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.allow_delete and self._can(request, self.change_perm)


class ReadOnlyScopedAdmin(ScopedAdmin):
    allow_add = False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
