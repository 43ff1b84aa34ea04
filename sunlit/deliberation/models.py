"""Models of deliberation (四议两公开 / 五议) and duty airing (晒权责).

A village has deliberating bodies (Body) with dated memberships of registry persons. A Motion runs a
stage plan snapshotted from its county's settings; meeting stages are satisfied by a passed
Resolution of the stage's body, publication stages by a Publication whose notice period has run.
A Meeting is convened with notice, records attendance and votes by name or tally; the Resolution's
``passed`` is always computed from them (services.py), never entered. Every write goes through
services.py, which appends the matching ledger event in the same transaction.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocab import (
    BodyKind,
    Choice,
    Electorate,
    MeetingStatus,
    MotionStatus,
    Position,
    PublicationKind,
    SessionStatus,
    StageKey,
    StageKind,
    StageStatus,
    VoteMode,
)


class CountySettings(models.Model):
    """A county's overrides of config.DEFAULTS (only the keys it changes)."""

    county = models.OneToOneField("regions.Region", on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(_("settings"), default=dict)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("deliberation settings")
        verbose_name_plural = _("deliberation settings")

    def __str__(self) -> str:
        return f"settings {self.county_id}"


class Body(models.Model):
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="deliberation_bodies"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=BodyKind.choices)
    name = models.CharField(_("name"), max_length=100)
    electorate = models.CharField(_("entitled to vote"), max_length=16, choices=Electorate.choices)

    class Meta:
        ordering = ["village_id", "kind"]
        verbose_name = _("deliberating body")
        verbose_name_plural = _("deliberating bodies")
        constraints = [models.UniqueConstraint(fields=["village", "kind"], name="uniq_body_per_village")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="body_memberships")
    position = models.CharField(
        _("position"), max_length=20, choices=Position.choices, default=Position.MEMBER
    )
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["body_id", "started_on", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["body", "started_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.body_id}:{self.person_id}"


class Motion(models.Model):
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="motions")
    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="motions",
        verbose_name=_("case"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MotionStatus.choices, default=MotionStatus.OPEN
    )
    settings = models.JSONField(_("settings in force at opening"), default=dict)
    merged = models.BooleanField(_("proposal and consultation merged (dual office)"), default=False)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        indexes = [models.Index(fields=["village", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class MotionStage(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="stages")
    position = models.PositiveSmallIntegerField()
    key = models.CharField(_("stage"), max_length=20, choices=StageKey.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=StageKind.choices)
    body_kind = models.CharField(_("body"), max_length=30, choices=BodyKind.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=StageStatus.choices, default=StageStatus.PENDING
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["motion_id", "position"]
        verbose_name = _("motion stage")
        verbose_name_plural = _("motion stages")
        constraints = [
            models.UniqueConstraint(fields=["motion", "position"], name="uniq_stage_position"),
            models.UniqueConstraint(fields=["motion"], condition=Q(status="active"), name="one_active_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.motion_id}:{self.key}"


class Suggestion(models.Model):
    """A suggestion collected in a 建议 stage (from a member or a villager; names masked in public)."""

    stage = models.ForeignKey(MotionStage, on_delete=models.PROTECT, related_name="suggestions")
    author = models.CharField(_("from"), max_length=50)
    text = models.TextField(_("suggestion"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class Meeting(models.Model):
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="meetings")
    stage = models.ForeignKey(
        MotionStage, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    location = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    notice_sent_at = models.DateTimeField(_("notice sent at"))
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    expected = models.PositiveIntegerField(_("entitled to attend"), null=True, blank=True)
    present = models.PositiveIntegerField(_("present"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    scan_sha256 = models.CharField(_("signed scan (SHA-256)"), max_length=64, blank=True)
    scan_type = models.CharField(max_length=100, blank=True)
    scan_name = models.CharField(max_length=255, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    convened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    convened_at = models.DateTimeField()
    uid = models.CharField(max_length=64, unique=True)  # iCalendar UID, stable
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE, bumped on change

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["village", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"))

    class Meta:
        ordering = ["meeting_id", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="uniq_attendance")]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.person_id}"


class Resolution(models.Model):
    """The outcome of a meeting's vote; ``passed`` is computed by the service from the tally."""

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="resolution")
    motion = models.ForeignKey(
        Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="resolutions"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="resolutions"
    )
    number = models.CharField(_("number"), max_length=24, unique=True)
    body_kind = models.CharField(_("body"), max_length=30, choices=BodyKind.choices)
    text = models.TextField(_("resolution"))
    mode = models.CharField(_("vote"), max_length=8, choices=VoteMode.choices)
    expected = models.PositiveIntegerField(_("entitled to vote"))
    present = models.PositiveIntegerField(_("present"))
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    abstentions = models.PositiveIntegerField(_("abstentions"))
    rule = models.JSONField(_("rule applied"), default=dict)
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("passed"))
    held_on = models.DateField(_("held on"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")

    def __str__(self) -> str:
        return self.number


class Ballot(models.Model):
    resolution = models.ForeignKey(Resolution, on_delete=models.PROTECT, related_name="ballots")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("vote"), max_length=8, choices=Choice.choices)

    class Meta:
        ordering = ["resolution_id", "id"]
        constraints = [models.UniqueConstraint(fields=["resolution", "person"], name="uniq_ballot")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.choice}"


class Publication(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="publications")
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="motion_publications"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PublicationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"))
    posted_at = models.DateTimeField(_("posted at"), db_index=True)
    period_end = models.DateTimeField(_("posted until"))
    resolution = models.ForeignKey(
        Resolution, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disclosure_ref = models.CharField(_("disclosure"), max_length=64, blank=True)
    posted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [models.UniqueConstraint(fields=["motion", "kind"], name="uniq_publication_kind")]

    # --- duty airing (晒权责) ----------------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.title


class DutySession(models.Model):
    """A branch's monthly duty-airing meeting; members are the party members' assembly on that day."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="duty_sessions")
    month = models.DateField(_("month"))  # first day of the month
    held_on = models.DateField(_("held on"))
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    conclusion = models.TextField(_("branch conclusion"), blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "village_id"]
        verbose_name = _("duty-airing session")
        verbose_name_plural = _("duty-airing sessions")
        constraints = [models.UniqueConstraint(fields=["village", "month"], name="uniq_duty_session")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m}"


class DutyReport(models.Model):
    """One member's report against the fixed checklist."""

    session = models.ForeignKey(DutySession, on_delete=models.PROTECT, related_name="reports")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="duty_reports")
    duties = models.TextField(_("duties performed"))
    eight_rules_ok = models.BooleanField(_("kept the eight-point rules"))
    eight_rules_note = models.TextField(_("eight-point rules: explanation"), blank=True)
    major_matters = models.TextField(_("major matters (三重一大) taken part in"), blank=True)
    gifts_received = models.BooleanField(_("received gifts or money"))
    gifts_note = models.TextField(_("gifts or money: details"), blank=True)
    obstruction = models.BooleanField(_("obstructed or made demands on villagers"))
    obstruction_note = models.TextField(_("obstruction or demands: details"), blank=True)
    problems = models.TextField(_("problems met"), blank=True)
    peer_comments = models.TextField(_("peer comments"), blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["session_id", "id"]
        verbose_name = _("duty report")
        verbose_name_plural = _("duty reports")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="uniq_duty_report")]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.person_id}"


class DutyReminder(models.Model):
    """One reminder sent for a village and month (unique: a re-run sends nothing twice)."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    missing = models.JSONField(default=list)  # person ids not reported, or [] when no session
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "month"], name="uniq_duty_reminder")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m}"


class LeaderScore(models.Model):
    """A township's quarterly score of a village discipline team leader (纪检小组长)."""

    township = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="leader_scores")
    quarter = models.CharField(_("quarter"), max_length=7)  # "2026Q3"
    leader = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(_("scores by aspect"))
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank in township"), null=True, blank=True)
    last_place = models.BooleanField(_("last in township"), default=False)
    flagged = models.BooleanField(_("last four quarters running"), default=False)
    scored_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["township_id", "quarter", "rank", "village_id"]
        verbose_name = _("discipline team leader score")
        verbose_name_plural = _("discipline team leader scores")
        constraints = [models.UniqueConstraint(fields=["village", "quarter"], name="uniq_leader_score")]
        indexes = [models.Index(fields=["township", "quarter"])]

    def __str__(self) -> str:
        return f"{self.village_id} {self.quarter} {self.total}"
