"""Workbench URLs of complaints, included by sunlit/workbench/urls.py (namespace "workbench")."""

urlpatterns: list = []
