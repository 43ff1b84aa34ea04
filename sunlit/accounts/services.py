"""Writes for accounts: users, role grants (with 三员分立), and login lockout."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.core.errors import PermissionDenied, ValidationFailed
from sunlit.regions.models import Region

from .models import LoginThrottle, RoleAssignment, User
from .permissions import has_perm
from .roles import ADMIN_ROLES, FLOW_ONLY_ROLES, ROLE_LEVELS, Perm, Role


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    validate: bool = True,
) -> User:
    """Create a staff account. ``actor`` None is the bootstrap path (commands, demo)."""
    if actor is not None and not has_perm(actor, Perm.USER_MANAGE):
        raise PermissionDenied()
    username = username.strip()
    if not username:
        raise ValidationFailed(
            _("A username is required."), fields={"username": [_("A username is required.")]}
        )
    if User.objects.filter(username=username).exists():
        msg = _("This username is taken.")
        raise ValidationFailed(msg, code="duplicate", fields={"username": [msg]})
    user = User(username=username, display_name=display_name, phone=phone, is_staff=True)
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(exc.messages[0], fields={"password": list(exc.messages)}) from None
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def role_grant(*, actor: User | None, user: User, role: str, region: Region) -> RoleAssignment:
    """Grant ``role`` in ``region``. Enforces role levels and the separation of the three admins."""
    if role not in Role.values or role in FLOW_ONLY_ROLES:
        msg = _("Unknown role “%(role)s”.") % {"role": role}
        raise ValidationFailed(msg, code="unknown_role", fields={"role": [msg]})
    if actor is not None and not has_perm(actor, Perm.ROLE_ASSIGN, region):
        raise PermissionDenied()
    if actor is not None and actor.pk == user.pk:
        raise PermissionDenied(_("Nobody may grant roles to themselves."))
    if region.level not in ROLE_LEVELS[role]:
        msg = _("%(role)s is held at %(levels)s level, not at %(level)s.") % {
            "role": Role(role).label,
            "levels": "/".join(sorted(ROLE_LEVELS[role])),
            "level": region.get_level_display(),
        }
        raise ValidationFailed(msg, code="wrong_level", fields={"region": [msg]})
    User.objects.select_for_update().filter(pk=user.pk).first()  # serialise grants to one user
    held = set(
        RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True)
    )
    if role in ADMIN_ROLES and (held - {role}):
        raise ValidationFailed(
            _("System, security and audit administrators are separate people holding no other role."),
            code="separation_of_duties",
        )
    if role not in ADMIN_ROLES and held & ADMIN_ROLES:
        raise ValidationFailed(
            _("An administrator account may not also hold a business role."), code="separation_of_duties"
        )
    existing = RoleAssignment.objects.filter(
        user=user, role=role, region=region, revoked_at__isnull=True
    ).first()
    if existing:
        return existing
    assignment = RoleAssignment.objects.create(user=user, role=role, region=region, granted_by=actor)
    if hasattr(user, "_sunlit_assignments"):
        del user._sunlit_assignments
    return assignment


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment) -> RoleAssignment:
    if not has_perm(actor, Perm.ROLE_ASSIGN, assignment.region):
        raise PermissionDenied()
    if assignment.revoked_at is None:
        assignment.revoked_at = timezone.now()
        assignment.save(update_fields=["revoked_at"])
    return assignment


# --- Login lockout -------------------------------------------------------------------------------


def _window() -> timedelta:
    return timedelta(minutes=settings.SUNLIT_LOGIN_LOCK_MINUTES)


def login_locked_until(username: str) -> datetime | None:
    throttle = LoginThrottle.objects.filter(username=username.strip().lower()).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


@transaction.atomic
def login_record_failure(username: str) -> LoginThrottle:
    now = timezone.now()
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(
        username=username.strip().lower()
    )
    if throttle.window_started_at is None or now - throttle.window_started_at > _window():
        throttle.window_started_at = now
        throttle.failures = 0
    throttle.failures += 1
    if throttle.failures >= settings.SUNLIT_LOGIN_MAX_FAILURES:
        throttle.locked_until = now + _window()
    throttle.save()
    return throttle


def login_record_success(username: str) -> None:
    LoginThrottle.objects.filter(username=username.strip().lower()).delete()


@transaction.atomic
def login_unlock(*, actor: User, username: str) -> None:
    if not has_perm(actor, Perm.ROLE_ASSIGN):
        raise PermissionDenied()
    LoginThrottle.objects.filter(username=username.strip().lower()).delete()
