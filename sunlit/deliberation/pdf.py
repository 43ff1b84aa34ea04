"""Printable minutes and resolutions (reportlab, CJK through the built-in CID font STSong-Light,
as sunlit/cases/demo.py registers it). Names of attendees appear: these are staff documents;
the public resolution page shows counts only."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Meeting, Resolution
from .vocab import BodyKind, Choice

FONT = "STSong-Light"


def _font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _doc(title: str, blocks: list[tuple[str, str]]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _font()
    heading = ParagraphStyle("h", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=8)
    sub = ParagraphStyle("s", fontName=FONT, fontSize=12, leading=18, spaceBefore=8)
    body = ParagraphStyle("b", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title=title)
    story = [Paragraph(escape(title), heading)]
    for label, text in blocks:
        if label:
            story.append(Paragraph(escape(label), sub))
        for para in (text or "").splitlines() or [""]:
            story.append(Paragraph(escape(para) or "&nbsp;", body))
        story.append(Spacer(1, 4))
    doc.build(story)
    return out.getvalue()


def _when(meeting: Meeting) -> str:
    return timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")


def minutes_pdf(meeting: Meeting) -> bytes:
    rows = list(meeting.attendance.select_related("person").order_by("person__name"))
    present = "、".join(a.person.name for a in rows if a.present)
    absent = "、".join(a.person.name for a in rows if not a.present)
    blocks = [
        (
            "",
            f"{meeting.village.name} · {BodyKind(meeting.body.kind).label} · {_when(meeting)} · {meeting.location}",
        ),
        (
            _("Attendance"),
            _("%(present)s of %(expected)s present")
            % {"present": meeting.present, "expected": meeting.expected},
        ),
    ]
    if rows:
        blocks += [(_("Present"), present or "—"), (_("Absent"), absent or "—")]
    resolution = Resolution.objects.filter(meeting=meeting).first()
    if resolution is not None:
        blocks.append((_("Vote"), _vote_line(resolution)))
    blocks.append((_("Minutes"), meeting.minutes or "—"))
    return _doc(_("Minutes: %(title)s") % {"title": meeting.title}, blocks)


def _vote_line(res: Resolution) -> str:
    outcome = _("passed") if res.passed else (_("failed") if res.quorum_met else _("failed: no quorum"))
    return _(
        "For %(for)d, against %(against)d, abstaining %(abstain)d; %(present)d of %(expected)d present — %(outcome)s"
    ) % {
        "for": res.votes_for,
        "against": res.votes_against,
        "abstain": res.abstentions,
        "present": res.present,
        "expected": res.expected,
        "outcome": outcome,
    }


def resolution_pdf(res: Resolution) -> bytes:
    meeting = res.meeting
    blocks = [
        ("", f"{res.number} · {meeting.village.name} · {BodyKind(res.body_kind).label} · {_when(meeting)}"),
        (_("Resolution"), res.text),
        (_("Vote"), _vote_line(res)),
    ]
    ballots = list(res.ballots.select_related("person").order_by("person__name"))
    if ballots:
        for choice in Choice:
            names = "、".join(b.person.name for b in ballots if b.choice == choice)
            blocks.append((str(choice.label), names or "—"))
    blocks.append(("", _("Signatures of the chair and the recorder:") + "\n\n"))
    return _doc(_("Resolution %(number)s") % {"number": res.number}, blocks)
