"""Portal URLs of complaints, included by sunlit/portal/urls.py (namespace "portal")."""

urlpatterns: list = []
