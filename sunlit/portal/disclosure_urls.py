"""Portal URLs of disclosure, included by sunlit/portal/urls.py (namespace "portal")."""

urlpatterns: list = []
