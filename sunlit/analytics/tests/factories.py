"""Complaint rows for analytics tests, written directly (the complaints app tests its own intake)."""

from __future__ import annotations

import datetime
import hashlib
import itertools

from django.utils import timezone

from sunlit.core.masking import mask_pii

_counter = itertools.count(1)


def make_complaint(
    village,
    *,
    text: str,
    created_at: datetime.datetime | None = None,
    status: str = "accepted",
    category: str = "welfare",
):
    from sunlit.complaints.models import Complaint

    n = next(_counter)
    return Complaint.objects.create(
        code=f"TS{n:08d}",
        kind="report",
        category=category,
        village=village,
        channel="portal",
        title=mask_pii(text)[:60],
        text=text,
        public_text=mask_pii(text),
        text_hash=hashlib.sha256(f"{n}{text}".encode()).hexdigest(),
        status=status,
        created_at=created_at or timezone.now(),
        secret_hash="x",
        unit=village.parent,
        office="township_discipline",
    )
