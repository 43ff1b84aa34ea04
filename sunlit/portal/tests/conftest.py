"""Case fixtures shared with the case engine's tests (the standard catalog, its cadres, uploads)."""

from sunlit.cases.tests.conftest import people, standard, upload_all

__all__ = ["people", "standard", "upload_all"]
