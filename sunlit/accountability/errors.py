"""Refusals of accountability. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import Conflict, ValidationFailed


class LeadErrorCode:
    NOT_A_VILLAGE = "not_a_village"
    REQUIRED = "required"
    ALERT_NOT_VERIFIED = "alert_not_verified"
    ALERT_HAS_LEAD = "alert_has_lead"
    COMPLAINT_NOT_ELIGIBLE = "complaint_not_eligible"
    COMPLAINT_HAS_LEAD = "complaint_has_lead"
    SOURCE_INVALID = "source_invalid"
    LEAD_STATE = "lead_state"
    DISPOSITION_INVALID = "disposition_invalid"
    DISPOSITION_DOWNGRADE = "disposition_downgrade"
    MEASURE_NOT_IN_FORM = "measure_not_in_form"
    SANCTION_NEEDS_CASE = "sanction_needs_case"
    NOT_PARTY_MEMBER = "not_party_member"
    NOT_PUBLIC_SERVANT = "not_public_servant"
    RESPONSIBILITY_LINK = "responsibility_link"
    FINDING_EXECUTED = "finding_executed"
    DATE_INVALID = "date_invalid"
    WORKING_DAYS = "working_days"
    TASK_DONE = "task_done"
    EVIDENCE_REQUIRED = "evidence_required"
    WAIVER_REASON = "waiver_reason"
    NOTICE_STATE = "notice_state"
    NOT_CHECKED = "not_checked"
    NOT_HANDLED = "not_handled"
    NOT_PUBLISHED = "not_published"
    NOT_RECTIFIED = "not_rectified"
    CLOSE_REFUSED = "close_refused"
    NOT_A_COUNTY = "not_a_county"


class LeadRefused(ValidationFailed):
    default_code = "lead_refused"
    default_message = _("The lead cannot do that.")


class LeadConflict(Conflict):
    default_code = LeadErrorCode.LEAD_STATE
    default_message = _("The lead changed meanwhile; reload it.")
