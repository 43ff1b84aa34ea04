"""Workbench URLs of deliberation, included by sunlit/workbench/urls.py (namespace "workbench")."""

urlpatterns: list = []
