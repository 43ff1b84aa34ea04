"""Closed vocabularies of deliberation: stages, statuses, positions, vote choices, duty checklist."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The kinds of deliberating body are the catalog's voting bodies (支委会, 两委联席会, 党员大会, 村民代表会议,
# 村民会议, 村监委, 民主理财小组), so a case's vote step and a resolution name bodies the same way.
from sunlit.powers.vocab import VoteBody as BodyKind  # noqa: F401  (re-exported)


class Electorate(models.TextChoices):
    """Who is entitled to attend and vote, i.e. the base of quorum and threshold."""

    MEMBERS = "members", _("Named members")  # the body's members on the meeting day
    ADULT_VILLAGERS = "adult_villagers", _("Adult villagers")  # registry: alive, 18 or older, of the village
    HOUSEHOLDS = (
        "households",
        _("Household representatives"),
    )  # registry: one per household with a living member


class Position(models.TextChoices):
    SECRETARY = "secretary", _("Party branch secretary")  # 党组织书记
    CHAIR = "chair", _("Village committee chair")  # 村委会主任
    DEPUTY = "deputy", _("Deputy")  # 副书记/副主任
    SUPERVISION_CHAIR = "supervision_chair", _("Supervision committee chair")  # 村监委主任
    DISCIPLINE_LEADER = "discipline_leader", _("Discipline team leader")  # 纪检小组长
    MEMBER = "member", _("Member")  # 委员/党员/代表


class StageKey(models.TextChoices):
    SUGGEST = "suggest", _("Suggestion")  # 建议 (五议)
    PROPOSE = "propose", _("Proposal")  # 提议
    CONSULT = "consult", _("Consultation")  # 商议
    VERIFY = "verify", _("Verification")  # 核议 (五议, by the supervision committee)
    REVIEW = "review", _("Review")  # 审议
    RESOLVE = "resolve", _("Resolution")  # 决议
    PUBLISH_RESOLUTION = "publish_resolution", _("Resolution published")  # 决议公开
    IMPLEMENT = "implement", _("Implementation")  # 实施
    PUBLISH_RESULT = "publish_result", _("Result published")  # 结果公开
    EVALUATE = "evaluate", _("Evaluation")  # 评议


class StageKind(models.TextChoices):
    MEETING = "meeting", _("Meeting with a vote")  # done by a passed resolution of the stage's body
    PUBLICATION = "publication", _("Publication")  # done by a posting whose notice period has run
    SUGGESTIONS = "suggestions", _("Collecting suggestions")  # suggestions are recorded, then closed
    TASK = "task", _("Recorded task")  # done by recording what was done


class StageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # not reached yet
    ACTIVE = "active", pgettext_lazy("stage status", "Active")  # the motion is at this stage
    DONE = "done", _("Done")  # completed
    MERGED = "merged", _("Merged")  # held together with the next stage (一肩挑)


class MotionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("motion status", "Open")  # moving through its stages
    COMPLETED = "completed", _("Completed")  # every stage done
    WITHDRAWN = "withdrawn", _("Withdrawn")  # stopped with a recorded reason


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # notice sent, not yet held
    HELD = "held", _("Held")  # attendance recorded
    CANCELLED = "cancelled", _("Cancelled")  # called off with a reason


class VoteMode(models.TextChoices):
    BY_NAME = "by_name", _("By name")  # each present member's ballot recorded
    TALLY = "tally", _("Tally")  # counts only (secret ballot, large meetings)


class Choice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class PublicationKind(models.TextChoices):
    PLAN = "plan", _("Plan")  # 方案公示, before the resolution vote
    RESOLUTION = "resolution", _("Resolution")  # 决议公开
    RESULT = "result", _("Implementation result")  # 实施结果公开


class Compare(models.TextChoices):
    GT = "gt", _("more than")
    GTE = "gte", _("at least")


class ThresholdBase(models.TextChoices):
    EXPECTED = "expected", _("of those entitled")
    PRESENT = "present", _("of those present")


class SessionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("duty session status", "Open")  # reports being taken
    CONCLUDED = "concluded", _("Concluded")  # the branch recorded its conclusion; closed
