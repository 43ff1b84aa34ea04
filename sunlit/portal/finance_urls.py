"""Portal URLs of finance, included by sunlit/portal/urls.py (namespace "portal")."""

urlpatterns: list = []
