"""监察建议书 (supervision recommendation letters): the draft text drawn from a topic analysis, and the
PDF of a (possibly edited) draft.

The draft is plain text that staff edit; the PDF lays it out on A4 with reportlab's built-in CID font
``STSong-Light`` (Adobe-GB1, rendered by the reader: nothing to download, text stays extractable), as
the other PDFs of the project do. Paragraphs are separated by blank lines.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from .topics import TopicReport

FONT = "STSong-Light"


def draft_text(
    *, report: TopicReport, region_name: str, department: str, period: str, topics: list[int] | None = None
) -> tuple[str, str]:
    """(title, body) of a draft letter to ``department`` about the chosen (default: the three largest)
    topics of ``report``."""
    chosen = [t for t in report.topics if topics is None or t.index in topics]
    if topics is None:
        chosen = chosen[:3]
    title = _("Supervision recommendation to %(department)s") % {"department": department}
    paragraphs = [
        f"{department}:",
        _(
            "Analysing the %(n)d complaints and reports received in %(region)s during %(period)s, we "
            "found the following issues raised repeatedly by villagers."
        )
        % {"n": report.documents, "region": region_name, "period": period},
    ]
    for number, topic in enumerate(chosen, start=1):
        words = "、".join(w for w, _weight in topic.words[:6])
        places = sorted(
            {(h.region, h.month, h.count) for h in report.hot if h.topic == topic.index},
            key=lambda x: (-x[2], x[0], x[1]),
        )[:3]
        where = "; ".join(
            _("%(region)s in %(month)s (%(n)d)") % {"region": r, "month": m, "n": n} for r, m, n in places
        )
        paragraphs.append(
            _("%(number)d. %(label)s: %(n)d messages (%(share)s%% of those analysed), about %(words)s.")
            % {
                "number": number,
                "label": topic.label,
                "n": topic.documents,
                "share": f"{topic.share * 100:.1f}",
                "words": words,
            }
            + (" " + _("Most frequent in: %(where)s.") % {"where": where} if where else "")
        )
    paragraphs += [
        _(
            "We recommend that you examine the procedures behind these issues, correct the weak points in "
            "your rules and their enforcement, publish the results to the villagers concerned, and hold to "
            "account those who failed in their duties."
        ),
        _("Please report in writing on what you have done within 30 days of receiving this letter."),
    ]
    return title, "\n\n".join(paragraphs)


def render_pdf(*, title: str, body: str, issuer: str, reference: str = "", dated: Any = None) -> bytes:
    """The letter as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    heading = ParagraphStyle("h", fontName=FONT, fontSize=18, leading=26, alignment=1, wordWrap="CJK")
    small = ParagraphStyle("s", fontName=FONT, fontSize=10, leading=14, alignment=1, wordWrap="CJK")
    text = ParagraphStyle("t", fontName=FONT, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=0)
    right = ParagraphStyle("r", fontName=FONT, fontSize=12, leading=20, alignment=2, wordWrap="CJK")
    dated = dated or timezone.localdate()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=25 * mm,
        title=title,
        author=issuer,
        invariant=1,  # the same letter gives the same bytes
    )
    story: list[Any] = [Paragraph(escape(_("Supervision recommendation")), heading)]
    if reference:
        story.append(Paragraph(escape(reference), small))
    story += [Spacer(1, 6 * mm), Paragraph(escape(title), text), Spacer(1, 4 * mm)]
    for paragraph in [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]:
        story.append(Paragraph(escape(paragraph).replace("\n", "<br/>"), text))
        story.append(Spacer(1, 3 * mm))
    story += [Spacer(1, 10 * mm), Paragraph(escape(issuer), right), Paragraph(f"{dated:%Y-%m-%d}", right)]
    doc.build(story)
    return out.getvalue()
