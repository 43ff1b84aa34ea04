"""Forms of the deliberation pages. They parse input only; the services decide, and a refusal is put
back on the form with ``add_domain_error``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.deliberation.vocab import BodyKind, Choice, Position, PublicationKind

from .case_forms import add_domain_error  # noqa: F401  (re-exported for the views)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MotionForm(forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    case = forms.CharField(label=_("Case tracking number (optional)"), max_length=24, required=False)
    merge = forms.BooleanField(
        label=_("Merge proposal and consultation (the secretary is also the chair)"), required=False
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, v.name) for v in villages]


class MeetingForm(forms.Form):
    body = forms.ChoiceField(label=_("Body"))
    title = forms.CharField(label=_("Title"), max_length=200)
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"),
        widget=DATETIME,
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    notice_sent_at = forms.DateTimeField(
        label=_("Notice sent at (empty: now)"),
        widget=DATETIME,
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].choices = [(b.pk, f"{b.village.name} · {b.name}") for b in bodies]


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Present"), widget=forms.CheckboxSelectMultiple, required=False
    )
    present_count = forms.IntegerField(label=_("Number present"), min_value=0, required=False)

    def __init__(self, *args, members=(), by_name=True, **kwargs):
        super().__init__(*args, **kwargs)
        if by_name:
            self.fields["present"].choices = [(p.pk, p.name) for p in members]
            del self.fields["present_count"]
        else:
            del self.fields["present"]
            self.fields["present_count"].required = True


class VoteForm(forms.Form):
    text = forms.CharField(label=_("Text of the resolution"), widget=forms.Textarea(attrs={"rows": 4}))
    mode = forms.ChoiceField(
        label=_("Votes recorded"),
        choices=[("by_name", _("By name")), ("tally", _("As a tally"))],
        widget=forms.RadioSelect,
        initial="by_name",
    )
    votes_for = forms.IntegerField(label=_("For"), min_value=0, required=False)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, required=False)
    abstentions = forms.IntegerField(label=_("Abstentions"), min_value=0, required=False)

    def __init__(self, *args, voters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.voters = list(voters)
        for person in self.voters:
            self.fields[f"ballot_{person.pk}"] = forms.ChoiceField(
                label=person.name,
                choices=[("", _("Did not vote")), *Choice.choices],
                required=False,
                widget=forms.RadioSelect,
            )
        if not self.voters:
            self.fields["mode"].choices = [("tally", _("As a tally"))]
            self.fields["mode"].initial = "tally"

    def ballot_fields(self):
        return [self[f"ballot_{p.pk}"] for p in self.voters]

    def ballots(self) -> dict[int, str]:
        return {
            p.pk: self.cleaned_data[f"ballot_{p.pk}"]
            for p in self.voters
            if self.cleaned_data.get(f"ballot_{p.pk}")
        }

    def tally(self) -> dict[str, int]:
        return {
            "for": self.cleaned_data.get("votes_for") or 0,
            "against": self.cleaned_data.get("votes_against") or 0,
            "abstain": self.cleaned_data.get("abstentions") or 0,
        }


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 8}))
    scan = forms.FileField(label=_("Signed scan (PDF, JPEG or PNG)"), required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class StageForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PublishForm(forms.Form):
    kind = forms.ChoiceField(label=_("Publication"), choices=PublicationKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))


class SuggestionForm(forms.Form):
    author = forms.CharField(label=_("From"), max_length=50)
    text = forms.CharField(label=_("Suggestion"), widget=forms.Textarea(attrs={"rows": 3}))


class BodyForm(forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    kind = forms.ChoiceField(label=_("Body"), choices=BodyKind.choices)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, v.name) for v in villages]


class MemberForm(forms.Form):
    person = forms.IntegerField(label=_("Person number in the registry"), min_value=1)
    position = forms.ChoiceField(label=_("Position"), choices=Position.choices, initial=Position.MEMBER)
    started_on = forms.DateField(label=_("From"), widget=DATE)
    ended_on = forms.DateField(label=_("Until"), widget=DATE, required=False)


class DutySessionForm(forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    held_on = forms.DateField(label=_("Held on"), widget=DATE)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, v.name) for v in villages]


class DutyReportForm(forms.Form):
    person = forms.ChoiceField(label=_("Member"))
    duties = forms.CharField(label=_("Duties performed"), widget=forms.Textarea(attrs={"rows": 3}))
    eight_rules_ok = forms.TypedChoiceField(
        label=_("Kept the eight-point rules"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    eight_rules_note = forms.CharField(
        label=_("If not, explain"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    major_matters = forms.CharField(
        label=_("Major matters (三重一大) taken part in"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    gifts_received = forms.TypedChoiceField(
        label=_("Received gifts or money"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    gifts_note = forms.CharField(
        label=_("If so, details"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    obstruction = forms.TypedChoiceField(
        label=_("Obstructed or made demands on villagers"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    obstruction_note = forms.CharField(
        label=_("If so, details"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    problems = forms.CharField(
        label=_("Problems met"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    peer_comments = forms.CharField(
        label=_("Peer comments"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in members]


class ConcludeForm(forms.Form):
    conclusion = forms.CharField(label=_("Branch conclusion"), widget=forms.Textarea(attrs={"rows": 3}))


class ScoreForm(forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    quarter = forms.RegexField(
        label=_("Quarter"), regex=r"^\d{4}Q[1-4]$", max_length=6, help_text=_("Like 2026Q3.")
    )
    leader = forms.IntegerField(label=_("Leader's person number in the registry"), min_value=1)

    def __init__(self, *args, villages=(), aspects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, v.name) for v in villages]
        self.aspects = list(aspects)
        for aspect in self.aspects:
            self.fields[f"aspect_{aspect['key']}"] = forms.DecimalField(
                label=f"{_(aspect['name'])} (0–{aspect['max']})",
                min_value=0,
                max_value=aspect["max"],
                decimal_places=1,
            )

    def scores(self) -> dict[str, str]:
        return {a["key"]: str(self.cleaned_data[f"aspect_{a['key']}"]) for a in self.aspects}
