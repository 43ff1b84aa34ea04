"""Workbench URLs of disclosure, included by sunlit/workbench/urls.py (namespace "workbench")."""

urlpatterns: list = []
