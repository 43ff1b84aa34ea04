"""Workbench URLs of accountability, included by sunlit/workbench/urls.py (namespace "workbench")."""

urlpatterns: list = []
