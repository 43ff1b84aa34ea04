"""View counts without tracking anyone: counted in memory, added to the database in bulk.

Each web process keeps ``{(day, village_id, item_code): n}`` in memory and adds it to
:class:`~sunlit.portal.models.ViewCount` rows with ``F("views") + n`` once the buffer is older than
``SUNLIT_PORTAL_VIEWS_FLUSH_SECONDS`` (default 30) or holds more than ``MAX_KEYS`` keys, and when
the process exits. One flush is one short transaction whatever the traffic, so counting never
turns page reads into per-request writes. Nothing about the reader is looked at: no IP, cookie or
session. A crash loses at most one flush interval of counts (a documented trade-off: counts are
an indication of interest, not a record).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import date

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from sunlit.regions.models import Region

from .models import ViewCount

logger = logging.getLogger(__name__)
MAX_KEYS = 5000

_lock = threading.Lock()
_buffer: Counter[tuple[date, int, str]] = Counter()
_since = time.monotonic()


def _flush_seconds() -> float:
    from .cache import setting

    return setting("SUNLIT_PORTAL_VIEWS_FLUSH_SECONDS", 30)


def count_view(village_id: int, item_code: str = "") -> None:
    """Count one view of a village page (``item_code`` "") or of one of its items."""
    global _since
    key = (timezone.localdate(), int(village_id), item_code[:40])
    with _lock:
        if not _buffer:
            _since = time.monotonic()
        _buffer[key] += 1
        due = len(_buffer) >= MAX_KEYS or time.monotonic() - _since >= _flush_seconds()
    if due:
        flush()


def _take() -> Counter[tuple[date, int, str]]:
    global _buffer, _since
    with _lock:
        taken, _buffer = _buffer, Counter()
        _since = time.monotonic()
    return taken


def flush(*, quiet: bool = False) -> int:
    """Add the buffered counts to the database; return how many views were written.

    Counts of villages that no longer exist are dropped. On a database error the counts go back to
    the buffer for the next flush (``quiet``: at process exit, without logging).
    """
    taken = _take()
    if not taken:
        return 0
    try:
        with transaction.atomic():
            alive = set(Region.objects.filter(pk__in={k[1] for k in taken}).values_list("pk", flat=True))
            taken = Counter({k: n for k, n in taken.items() if k[1] in alive})
            existing = {
                (row.day, row.village_id, row.item_code): row.pk
                for row in ViewCount.objects.filter(
                    day__in={k[0] for k in taken}, village_id__in={k[1] for k in taken}
                ).only("pk", "day", "village_id", "item_code")
            }
            for key, n in taken.items():
                pk = existing.get(key)
                if pk is not None:
                    ViewCount.objects.filter(pk=pk).update(views=F("views") + n)
                    continue
                try:
                    with transaction.atomic():  # a savepoint: a concurrent insert of the same key
                        ViewCount.objects.create(day=key[0], village_id=key[1], item_code=key[2], views=n)
                except IntegrityError:  # another process inserted this key meanwhile: add to its row
                    ViewCount.objects.filter(day=key[0], village_id=key[1], item_code=key[2]).update(
                        views=F("views") + n
                    )
    except DatabaseError:
        # Put the counts back; the next flush tries again. Never fail a page over a counter.
        with _lock:
            _buffer.update(taken)
        if quiet:
            return 0
        logger.warning("portal view counts not flushed; kept for the next flush", exc_info=True)
        return 0
    return sum(taken.values())


def pending() -> int:
    with _lock:
        return sum(_buffer.values())


def views_of(village_id: int, item_codes: list[str] | None = None) -> dict[str, int]:
    """Total views per item code (and "" for the village page) of one village, flushed counts only."""
    qs = ViewCount.objects.filter(village_id=village_id)
    if item_codes is not None:
        qs = qs.filter(item_code__in=item_codes)
    return dict(qs.values_list("item_code").annotate(total=Sum("views")).order_by())


atexit.register(lambda: flush(quiet=True) if _buffer else None)
