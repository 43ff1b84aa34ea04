"""Demo data for finance: called by sunlit.core.demo after the case history."""

from __future__ import annotations

from typing import Any


def demo_finance(*, county: Any, logins: Any, seed: int, clean: bool, progress: Any = None) -> str | None:
    """Generate this app's demo data in ``county``; return a one-line summary, or None if nothing was done."""
    return None
