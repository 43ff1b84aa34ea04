"""Domain errors with codes, mapped once to the API envelope and to form errors.

Every refusal in a service raises a subclass of DomainError. The API turns it into
``{"code": ..., "message": ..., "fields": {...}}`` with the error's HTTP status; pages show the
message next to the form. NotFound is used both for "missing" and for "not yours" so the
existence of out-of-scope objects never leaks.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every refusal a service can give. Nothing has been changed when it is raised."""

    status = 400
    default_code = "invalid"
    default_message = _("The request was refused.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.code = str(code or self.default_code)
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        self.details = details or []
        super().__init__(str(self.message))

    def as_envelope(self) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
        }
        if self.details:
            envelope["details"] = [
                {k: str(v) if k == "message" else v for k, v in d.items()} for d in self.details
            ]
        return envelope


class NotFound(DomainError):
    """Missing, or outside the user's regions: the two are indistinguishable on purpose."""

    status = 404
    default_code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    """The user may see the object but may not do this to it."""

    status = 403
    default_code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    """The object changed state; the request no longer applies."""

    status = 409
    default_code = "conflict"
    default_message = _("The record was changed by someone else; reload and try again.")


class ValidationFailed(DomainError):
    """Input is well-formed but breaks a rule; ``details`` lists each problem."""

    status = 422
    default_code = "validation_failed"
    default_message = _("The data is not valid.")
