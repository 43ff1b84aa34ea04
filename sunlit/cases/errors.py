"""Refusals of the case engine. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import Conflict, PermissionDenied, ValidationFailed


class CaseErrorCode:
    ITEM_NOT_IN_CATALOG = "item_not_in_catalog"
    NOT_A_VILLAGE = "not_a_village"
    NO_FLOW = "no_flow"
    CASE_CLOSED = "case_closed"
    STEP_NOT_ACTIVE = "step_not_active"
    STEP_ROLE_REQUIRED = "step_role_required"
    DOCUMENTS_MISSING = "documents_missing"
    NOTICE_RUNNING = "notice_running"
    OBJECTION_OPEN = "objection_open"
    INPUT_INVALID = "input_invalid"
    INPUT_MISSING = "input_missing"
    VOTE_REQUIRED = "vote_required"
    VOTE_INVALID = "vote_invalid"
    QUORUM_NOT_MET = "quorum_not_met"
    VOTE_FAILED_NO_PATH = "vote_failed_no_path"
    NO_ROUTE = "no_route"
    GUARD_FAILED = "guard_failed"
    DOCUMENT_TOO_LARGE = "document_too_large"
    DOCUMENT_TYPE = "document_type"
    DOCUMENT_NOT_REQUIRED = "document_not_required"
    NOTICE_CLOSED = "notice_closed"
    OBJECTION_INVALID = "objection_invalid"
    OBJECTION_ANSWERED = "objection_answered"
    SEAL_EXCEPTION_REASON = "seal_exception_reason"
    SEAL_APPROVER = "seal_approver"
    SEAL_CASE = "seal_case"
    REASON_REQUIRED = "reason_required"


class CaseRefused(ValidationFailed):
    default_code = "case_refused"
    default_message = _("The case cannot do that.")


class StepConflict(Conflict):
    default_code = CaseErrorCode.STEP_NOT_ACTIVE
    default_message = _(
        "This step is no longer active: someone else completed it or the case moved on. Reload the case."
    )


class StepRoleRequired(PermissionDenied):
    default_code = CaseErrorCode.STEP_ROLE_REQUIRED
    default_message = _("You do not hold the role this step requires in this village.")
