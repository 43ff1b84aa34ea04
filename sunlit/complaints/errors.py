"""Refusals of the complaint services. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed


class ComplaintErrorCode:
    INVALID = "complaint_invalid"
    NOT_A_VILLAGE = "not_a_village"
    RATE_LIMITED = "rate_limited"
    WRONG_STATUS = "wrong_status"
    NOT_HANDLER = "not_handler"
    ALREADY_CLAIMED = "already_claimed"
    REASON_REQUIRED = "reason_required"
    EXTENSION_USED = "extension_used"
    EXTENSION_TOO_LONG = "extension_too_long"
    OVERDUE = "overdue"
    WINDOW_CLOSED = "window_closed"
    REVIEW_NOT_ALLOWED = "review_not_allowed"
    CODE_INVALID = "code_invalid"
    CODE_EXPIRED = "code_expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    TOP_LEVEL = "top_level"
    ATTACHMENT = "attachment_invalid"


class ComplaintRefused(ValidationFailed):
    default_code = ComplaintErrorCode.INVALID
    default_message = _("The complaint cannot do that.")


class ComplaintConflict(Conflict):
    default_code = ComplaintErrorCode.WRONG_STATUS
    default_message = _("The complaint has moved on; reload it and try again.")


class NotHandler(PermissionDenied):
    default_code = ComplaintErrorCode.NOT_HANDLER
    default_message = _("Only the responsible unit may do this.")


class RateLimited(DomainError):
    status = 429
    default_code = ComplaintErrorCode.RATE_LIMITED
    default_message = _("Too many submissions in a short time. Please try again later.")
