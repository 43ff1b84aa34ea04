"""Background work of disclosure (thin: load by id, call the publisher)."""

from __future__ import annotations

from django_tasks import task


@task()
def publish_case_notice(notice_id: int) -> str:
    """Publish a case's public notice as a disclosure; returns its code ("" if the notice is gone)."""
    from .automatic import publish_notice

    disclosure = publish_notice(notice_id)
    return disclosure.code if disclosure is not None else ""


@task()
def publish_case_result(case_id: int) -> str:
    """Publish a completed case's result when it is public; returns its code or ""."""
    from .automatic import publish_result

    disclosure = publish_result(case_id)
    return disclosure.code if disclosure is not None else ""
