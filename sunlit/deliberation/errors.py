"""Refusals of deliberation. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import Conflict, ValidationFailed


class DeliberationErrorCode:
    NOT_A_VILLAGE = "not_a_village"
    BODY_EXISTS = "body_exists"
    MEMBERSHIP_INVALID = "membership_invalid"
    PERSON_ELSEWHERE = "person_elsewhere"
    SETTINGS_INVALID = "settings_invalid"
    MERGE_NOT_ALLOWED = "merge_not_allowed"
    STAGE_ORDER = "stage_order"
    WRONG_BODY = "wrong_body"
    NOTICE_TOO_SHORT = "notice_too_short"
    PLAN_NOT_POSTED = "plan_not_posted"
    PLAN_NOTICE_RUNNING = "plan_notice_running"
    RESOLUTION_NOTICE_RUNNING = "resolution_notice_running"
    MEETING_NOT_STARTED = "meeting_not_started"
    MEETING_STATE = "meeting_state"
    ATTENDANCE_INVALID = "attendance_invalid"
    VOTE_INVALID = "vote_invalid"
    ALREADY_VOTED = "already_voted"
    NO_MEMBERS = "no_members"
    MOTION_CLOSED = "motion_closed"
    INPUT_INVALID = "input_invalid"
    RESOLUTION_REQUIRED = "resolution_required"
    RESOLUTION_MISMATCH = "resolution_mismatch"
    NOT_A_MEMBER = "not_a_member"
    REPORT_EXISTS = "report_exists"
    SESSION_CLOSED = "session_closed"
    SCORE_INVALID = "score_invalid"


class DeliberationRefused(ValidationFailed):
    default_code = "deliberation_refused"
    default_message = _("The meeting or motion cannot do that.")


class DeliberationConflict(Conflict):
    default_code = "deliberation_conflict"
    default_message = _("This was changed by someone else meanwhile; reload and try again.")
