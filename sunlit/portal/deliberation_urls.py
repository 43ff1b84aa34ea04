"""Portal URLs of deliberation, included by sunlit/portal/urls.py (namespace "portal")."""

urlpatterns: list = []
