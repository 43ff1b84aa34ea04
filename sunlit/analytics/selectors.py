"""Reads of analytics, scoped to the regions where the user may see leads (``lead.view``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sunlit.accounts.models import User
from sunlit.accounts.permissions import region_q
from sunlit.accounts.roles import Perm
from sunlit.core.errors import NotFound

from .models import Recommendation, TopicRun


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def runs_for_user(user: User) -> QuerySet[TopicRun]:
    return TopicRun.objects.filter(region_q(user, Perm.LEAD_VIEW)).select_related("region", "created_by")


def access_run(user: User, run_id: Any) -> TopicRun:
    run = runs_for_user(user).filter(pk=_pk(run_id)).first()
    if run is None:
        raise NotFound()
    return run


def recommendations_for_user(user: User) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(region_q(user, Perm.LEAD_VIEW)).select_related(
        "region", "run", "updated_by"
    )


def access_recommendation(user: User, recommendation_id: Any) -> Recommendation:
    rec = recommendations_for_user(user).filter(pk=_pk(recommendation_id)).first()
    if rec is None:
        raise NotFound()
    return rec
