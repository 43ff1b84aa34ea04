"""Caching of anonymous portal pages, invalidated when something is published.

``cached_page`` stores the rendered body of a ``GET``/``HEAD`` page for anonymous readers in Django's
cache (alias ``SUNLIT_PORTAL_CACHE``, default ``"default"``) for ``SUNLIT_PORTAL_CACHE_SECONDS``
(default 60). The key holds the path with its query, the language, the large-text mode and two
*stamps*: one per village and one global. A ledger event about a village (a disclosure published
or corrected, a notice opened, an objection lodged, a case moved on) bumps that village's stamp
after its transaction commits (``on_ledger_event``, registered in ``PortalConfig.ready`` with
sunlit/core/events.py), so the next read renders afresh; old entries simply expire.

Never cached: logged-in users (staff see the live site), anything but GET/HEAD, responses other
than 200, and pages not wrapped here ("my funds" is never wrapped). Cached pages carry no personal
data and no cookie: the CSRF token of the forms in the layout (language switch) is rendered as a
placeholder and replaced per request with the reader's own token.

With a cache shared by all web processes (a file, database or memcached cache in ``CACHES``), an
invalidation is seen everywhere at once. With the default per-process memory cache only the
process that committed sees it at once; the others serve the old page at most
``SUNLIT_PORTAL_CACHE_SECONDS`` longer (docs/disclosure-portal.md).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from .counters import count_view

logger = logging.getLogger(__name__)

CSRF_PLACEHOLDER = "sunlit-csrf-placeholder-7f3c"
GLOBAL = "g"
PREFIX = "portal:v1"
HEADER = "X-Sunlit-Cache"


def cache():
    return caches[getattr(settings, "SUNLIT_PORTAL_CACHE", "default")]


def setting(name: str, default: int) -> int:
    """A portal setting: Django's settings first, then the environment variable of the same name."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "").strip() or default
    return int(value)


def timeout() -> int:
    return setting("SUNLIT_PORTAL_CACHE_SECONDS", 60)


def _stamp_key(scope: str) -> str:
    return f"{PREFIX}:stamp:{scope}"


def stamps(*scopes: str) -> list[str]:
    """The current stamp of each scope, creating missing ones (a lost stamp never revives old pages)."""
    backend = cache()
    keys = [_stamp_key(s) for s in scopes]
    found = backend.get_many(keys)
    result = []
    for key in keys:
        value = found.get(key)
        if value is None:
            backend.add(key, str(time.time_ns()), None)
            value = backend.get(key) or "0"
        result.append(str(value))
    return result


def bump(scope: str) -> None:
    """Invalidate every cached page of ``scope`` (a village code, or GLOBAL for all pages)."""
    cache().set(_stamp_key(scope), str(time.time_ns()), None)


def village_scope(code: str) -> str:
    return f"v{code}"


def disclosure_scope(code: str) -> str:
    return f"d{code}"


def bump_village(code: str) -> None:
    bump(village_scope(code))


def _has_messages(request: HttpRequest) -> bool:
    """Whether a flash message waits for this reader (it must be shown to them, never cached).
    Only looked at when the reader carries a messages or session cookie, so most reads skip it."""
    if not (request.COOKIES.get("messages") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)):
        return False
    storage = getattr(request, "_messages", None)
    return storage is not None and any(True for _message in storage)


def cacheable(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return (
        request.method in ("GET", "HEAD")
        and not (user is not None and user.is_authenticated)
        and not _has_messages(request)
    )


def page_key(request: HttpRequest, scope: str | None) -> str:
    scopes = [GLOBAL] + ([scope] if scope else [])
    stamp = ".".join(stamps(*scopes))
    large = "L" if getattr(request, "large_text", False) else "N"
    # The large-text switch itself (?text=…) sets a cookie: those responses are not cached.
    return f"{PREFIX}:page:{get_language()}:{large}:{stamp}:{request.get_full_path()}"


def csrf_context() -> dict[str, str]:
    """Extra template context for cacheable pages: the CSRF placeholder."""
    return {"csrf_token": CSRF_PLACEHOLDER}


def _personalise(request: HttpRequest, content: bytes) -> bytes:
    if CSRF_PLACEHOLDER.encode() in content:
        content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    return content


def cached_page(scope: Callable[..., str | None]) -> Callable:
    """Decorate a view rendered with ``csrf_context()``; ``scope(**kwargs)`` names the stamp its page
    depends on (``village_scope(code)``, ``disclosure_scope(code)``), or None for the global one only."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            use_cache = cacheable(request) and "text" not in request.GET
            key = page_key(request, scope(**kwargs)) if use_cache else ""
            if use_cache:
                hit = cache().get(key)
                if hit is not None:
                    content, content_type, counted = hit
                    if counted:
                        count_view(*counted)
                    response = HttpResponse(_personalise(request, content), content_type=content_type)
                    response[HEADER] = "hit"
                    return response
            response = view(request, *args, **kwargs)
            counted = getattr(response, "sunlit_count", None)  # (village_id, item_code) of a view
            if counted and response.status_code == 200:
                count_view(*counted)
            if getattr(response, "streaming", False):
                return response
            if use_cache and response.status_code == 200 and not response.cookies:
                cache().set(key, (response.content, response["Content-Type"], counted), timeout())
                response[HEADER] = "miss"
            response.content = _personalise(request, response.content)
            return response

        return wrapper

    return decorator


# --- invalidation -------------------------------------------------------------------------------------

# How to find the village of a ledger subject "app.model:pk", by the model's fields.
_VILLAGE_PATHS = (
    "village__code",
    "disclosure__village__code",
    "case__village__code",
    "notice__village__code",
)


def village_of_subject(subject: str) -> str | None:
    label, _sep, pk = subject.rpartition(":")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    names = {f.name for f in model._meta.get_fields()}
    for path in _VILLAGE_PATHS:
        if path.split("__", 1)[0] in names:
            try:
                return model._default_manager.filter(pk=pk).values_list(path, flat=True).first()
            except (ValueError, TypeError):
                return None
    return None


def on_ledger_event(kind: str, subject: str) -> None:
    """After-commit listener: bump the stamp of the village the event is about (and of the
    disclosure, for the disclosure's own pages)."""
    try:
        if subject.startswith("disclosure.disclosure:"):
            from sunlit.disclosure.models import Disclosure

            row = (
                Disclosure.objects.filter(pk=subject.rpartition(":")[2])
                .values_list("code", "village__code")
                .first()
            )
            if row:
                bump(disclosure_scope(row[0]))
                bump_village(row[1])
            return
        code = village_of_subject(subject)
        if code:
            bump_village(code)
    except Exception:  # never break the committing request over a cache
        logger.warning("portal cache not invalidated for %s %s", kind, subject, exc_info=True)
