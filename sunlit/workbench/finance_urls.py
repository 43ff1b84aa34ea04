"""Workbench URLs of finance, included by sunlit/workbench/urls.py (namespace "workbench")."""

urlpatterns: list = []
