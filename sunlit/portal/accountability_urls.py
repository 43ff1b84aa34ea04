"""Portal URLs of accountability, included by sunlit/portal/urls.py (namespace "portal")."""

urlpatterns: list = []
