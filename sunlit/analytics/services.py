"""Writes of analytics: topic analyses of complaint text and supervision recommendation letters.

Keyword-only, the actor named, one transaction with a ledger event. Running an analysis and drafting a
letter need ``lead.handle`` (the discipline bodies) in the region; ``actor=None`` (bootstrap code)
skips the check. Only masked complaint text (``public_text``) is analysed.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm
from sunlit.core.errors import Conflict, NotFound
from sunlit.core.ledger import ledger_append
from sunlit.regions.models import Region

from . import letters, topics
from .errors import AnalyticsRefused
from .models import Recommendation, RecommendationStatus, TopicRun

MAX_TOPICS = 20
# Complaints left out of the analysis: not routed yet, or a copy of another one.
EXCLUDED_STATUSES = ("unverified", "duplicate")


def _require(actor: User | None, region: Region) -> None:
    if actor is not None and not has_perm(actor, Perm.LEAD_HANDLE, region):
        raise NotFound()


def topic_run_create(
    *,
    actor: User | None,
    region: Region,
    period_from: datetime.date,
    period_to: datetime.date,
    n_topics: int = 8,
) -> TopicRun:
    """Analyse the masked text of the complaints filed in ``region`` between the two dates (inclusive)."""
    from sunlit.complaints.models import Complaint

    _require(actor, region)
    fields: dict[str, list[str]] = {}
    if not isinstance(period_from, datetime.date) or not isinstance(period_to, datetime.date):
        fields["period_from"] = [_("Give both dates.")]
    elif period_to < period_from:
        fields["period_to"] = [_("The end comes before the start.")]
    try:
        n_topics = int(n_topics)
    except (TypeError, ValueError):
        n_topics = 0
    if not 2 <= n_topics <= MAX_TOPICS:
        fields["n_topics"] = [_("Between 2 and %(max)d topics.") % {"max": MAX_TOPICS}]
    if fields:
        raise AnalyticsRefused(_("The analysis settings are not valid."), code="run_invalid", fields=fields)
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(period_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(period_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    complaints = Complaint.objects.filter(
        village__path__startswith=region.path, created_at__gte=start, created_at__lt=end
    ).exclude(status__in=EXCLUDED_STATUSES)
    began = time.perf_counter()
    report = topics.analyse(topics.records_from_complaints(complaints), topics=n_topics)
    seconds = time.perf_counter() - began
    with transaction.atomic():
        run = TopicRun.objects.create(
            region=region,
            period_from=period_from,
            period_to=period_to,
            documents=report.documents,
            params=report.params,
            result=report.as_json(),
            seconds=round(seconds, 3),
            created_at=timezone.now(),
            created_by=actor,
        )
        ledger_append(
            kind="analytics.topics",
            actor=actor,
            subject=f"analytics.topicrun:{run.pk}",
            region=region,
            payload={
                "from": period_from,
                "to": period_to,
                "documents": report.documents,
                "topics": [t.label for t in report.topics],
            },
        )
    return run


def recommendation_draft(
    *, actor: User | None, run: TopicRun, department: str, topic_indexes: list[int] | None = None
) -> Recommendation:
    """A draft 监察建议书 to ``department`` from the analysis (the largest topics unless chosen)."""
    _require(actor, run.region)
    department = str(department or "").strip()[:120]
    if not department:
        message = _("Name the department the letter is for.")
        raise AnalyticsRefused(message, code="required", fields={"department": [message]})
    report = topics.TopicReport.from_json(run.result)
    if not report.topics:
        raise AnalyticsRefused(
            _("The analysis found no topics; there is nothing to recommend."), code="no_topics"
        )
    if topic_indexes is not None:
        known = {t.index for t in report.topics}
        if not topic_indexes or not set(topic_indexes) <= known:
            message = _("Choose topics of this analysis.")
            raise AnalyticsRefused(message, code="topics_invalid", fields={"topics": [message]})
    title, body = letters.draft_text(
        report=report,
        region_name=run.region.name,
        department=department,
        period=f"{run.period_from:%Y-%m-%d} – {run.period_to:%Y-%m-%d}",
        topics=topic_indexes,
    )
    now = timezone.now()
    with transaction.atomic():
        rec = Recommendation.objects.create(
            run=run,
            region=run.region,
            department=department,
            title=title,
            body=body,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        ledger_append(
            kind="recommendation.drafted",
            actor=actor,
            subject=f"analytics.recommendation:{rec.pk}",
            region=run.region,
            payload={"run": run.pk, "department": department, "title": title},
        )
    return rec


def recommendation_update(
    *,
    actor: User | None,
    recommendation: Recommendation,
    title: str,
    body: str,
    reference: str = "",
    revision: int | None = None,
) -> Recommendation:
    """Edit a draft. ``revision`` (the one the editor loaded) refuses to overwrite someone else's edit."""
    _require(actor, recommendation.region)
    title = str(title or "").strip()[:200]
    body = str(body or "").strip()[:20000]
    fields: dict[str, list[str]] = {}
    if not title:
        fields["title"] = [_("Give the letter a title.")]
    if not body:
        fields["body"] = [_("The letter has no text.")]
    if fields:
        raise AnalyticsRefused(_("The letter is not complete."), code="required", fields=fields)
    with transaction.atomic():
        expected = recommendation.revision if revision is None else int(revision)
        updated = Recommendation.objects.filter(
            pk=recommendation.pk, status=RecommendationStatus.DRAFT, revision=expected
        ).update(
            title=title,
            body=body,
            reference=str(reference or "").strip()[:60],
            revision=expected + 1,
            updated_at=timezone.now(),
            updated_by=actor,
        )
        if not updated:
            raise Conflict(
                _("The letter was issued or edited by someone else meanwhile; reload it."),
                code="recommendation_state",
            )
        ledger_append(
            kind="recommendation.edited",
            actor=actor,
            subject=f"analytics.recommendation:{recommendation.pk}",
            region=recommendation.region,
            payload={"revision": expected + 1, "title": title},
        )
    recommendation.refresh_from_db()
    return recommendation


def recommendation_issue(*, actor: User | None, recommendation: Recommendation) -> Recommendation:
    """Issue the letter: it is frozen from now on; the ledger keeps the hash of its PDF."""
    import hashlib

    _require(actor, recommendation.region)
    with transaction.atomic():
        now = timezone.now()
        updated = Recommendation.objects.filter(
            pk=recommendation.pk, status=RecommendationStatus.DRAFT, revision=recommendation.revision
        ).update(status=RecommendationStatus.ISSUED, issued_at=now)
        if not updated:
            raise Conflict(_("The letter changed meanwhile; reload it."), code="recommendation_state")
        recommendation.refresh_from_db()
        pdf = recommendation_pdf(recommendation)
        ledger_append(
            kind="recommendation.issued",
            actor=actor,
            subject=f"analytics.recommendation:{recommendation.pk}",
            region=recommendation.region,
            payload={"revision": recommendation.revision, "pdf_sha256": hashlib.sha256(pdf).hexdigest()},
        )
    return recommendation


def recommendation_pdf(recommendation: Recommendation) -> bytes:
    issuer = _("Discipline inspection and supervision commission of %(region)s") % {
        "region": recommendation.region.name
    }
    dated: Any = timezone.localtime(recommendation.issued_at or recommendation.updated_at).date()
    return letters.render_pdf(
        title=recommendation.title,
        body=recommendation.body,
        issuer=issuer,
        reference=recommendation.reference,
        dated=dated,
    )
