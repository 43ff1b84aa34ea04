"""The printable notice (A4 PDF) of a disclosure, for the village notice board.

It carries the title, the (already masked) text, the posting period, the village, the publisher
and time, a QR code to the online record, and the ledger checkpoint that covers the publication:
the latest signed checkpoint whose tree size includes the publication's ledger event (anyone can
check the event against it with ``sunlit audit verify`` or the public proof API, docs/ledger.md).
When no checkpoint covers the event yet, the sheet says so and prints the event's leaf hash.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, rendered by the PDF
reader), as sunlit/cases/demo.py does: nothing to download, and the text stays extractable.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.core.models import AuditEvent, Checkpoint

FONT = "STSong-Light"


@dataclass(frozen=True)
class Coverage:
    """How the ledger covers one event: ``checkpoint`` is None when no checkpoint includes it yet."""

    seq: int
    leaf_hash: str
    checkpoint: Checkpoint | None

    @property
    def root_hash(self) -> str:
        return bytes(self.checkpoint.root_hash).hex() if self.checkpoint else ""


def coverage_of(event: AuditEvent) -> Coverage:
    checkpoint = Checkpoint.objects.filter(tree_size__gt=event.seq).order_by("-tree_size").first()
    return Coverage(seq=event.seq, leaf_hash=bytes(event.leaf_hash).hex(), checkpoint=checkpoint)


@dataclass(frozen=True)
class Sheet:
    code: str
    title: str
    body: str
    village: str
    module: str
    period_start: date | None
    period_end: date | None
    published_at: datetime
    publisher: str
    version: int
    url: str
    coverage: Coverage | None


def _font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


class _QR:
    """A QR code drawn as vector squares from the ``qrcode`` package's module matrix."""

    def __init__(self, data: str, size: float) -> None:
        import qrcode

        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
        qr.add_data(data)
        qr.make(fit=True)
        self.matrix = qr.get_matrix()
        self.size = size

    def flowable(self):
        from reportlab.platypus import Flowable

        matrix, size = self.matrix, self.size

        class QRFlowable(Flowable):
            def wrap(self, *args):
                return size, size

            def draw(self):
                n = len(matrix)
                cell = size / n
                canvas = self.canv
                canvas.setFillColorRGB(0, 0, 0)
                for row, line in enumerate(matrix):
                    for col, dark in enumerate(line):
                        if dark:
                            canvas.rect(col * cell, size - (row + 1) * cell, cell, cell, stroke=0, fill=1)

        return QRFlowable()


def _period(sheet: Sheet) -> str:
    if sheet.period_start and sheet.period_end:
        return _("from %(start)s until %(end)s") % {"start": sheet.period_start, "end": sheet.period_end}
    if sheet.period_start:
        return _("from %(start)s") % {"start": sheet.period_start}
    if sheet.period_end:
        return _("until %(end)s") % {"end": sheet.period_end}
    return _("not set")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(sheet: Sheet) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _font()
    base = ParagraphStyle("base", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=12)
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=28, spaceAfter=6)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=sheet.title,
        author=sheet.village,
        subject=sheet.code,
        lang="zh-CN",
    )
    published = timezone.localtime(sheet.published_at).strftime("%Y-%m-%d %H:%M")
    facts = [
        (_("Village"), sheet.village),
        (_("Module"), sheet.module),
        (_("Disclosure number"), f"{sheet.code} · " + _("version %(n)s") % {"n": sheet.version}),
        (_("Posting period"), _period(sheet)),
        (_("Published"), f"{published} · {sheet.publisher}"),
    ]
    story = [Paragraph(_escape(sheet.title), title)]
    story.append(
        Table(
            [[Paragraph(_escape(str(k)), small), Paragraph(_escape(str(v)), base)] for k, v in facts],
            colWidths=[28 * mm, None],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]),
        )
    )
    story.append(Spacer(1, 6 * mm))
    for paragraph in (sheet.body or "").split("\n"):
        story.append(Paragraph(_escape(paragraph) or "&nbsp;", base))
    story.append(Spacer(1, 8 * mm))
    ledger_lines = [_("Online record: %(url)s") % {"url": sheet.url}]
    coverage = sheet.coverage
    if coverage is None:
        ledger_lines.append(_("Ledger: no ledger event found for this publication."))
    elif coverage.checkpoint is None:
        ledger_lines.append(
            _("Ledger event %(seq)s is not yet covered by a signed checkpoint; its leaf hash is %(hash)s.")
            % {"seq": coverage.seq, "hash": coverage.leaf_hash}
        )
    else:
        cp = coverage.checkpoint
        ledger_lines.append(
            _(
                "Ledger event %(seq)s (leaf hash %(hash)s) is covered by the signed checkpoint of tree size "
                "%(size)s, root hash %(root)s, signed %(time)s with key %(key)s."
            )
            % {
                "seq": coverage.seq,
                "hash": coverage.leaf_hash,
                "size": cp.tree_size,
                "root": coverage.root_hash,
                "time": timezone.localtime(cp.timestamp).strftime("%Y-%m-%d %H:%M"),
                "key": cp.key_id,
            }
        )
    qr = _QR(sheet.url, 32 * mm).flowable()
    text = [Paragraph(_escape(line), small) for line in ledger_lines]
    story.append(
        Table(
            [[qr, text]],
            colWidths=[36 * mm, None],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        )
    )
    doc.build(story)
    return buffer.getvalue()
