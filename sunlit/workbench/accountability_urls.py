"""Workbench URLs of accountability, included by sunlit/workbench/urls.py (namespace "workbench")."""

from django.urls import path

from . import accountability_views as views

urlpatterns: list = [
    path("leads/", views.lead_list, name="leads"),
    path("leads/new/", views.lead_new, name="lead_new"),
    path("leads/stats/", views.lead_stats, name="lead_stats"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead"),
    path("leads/<int:lead_id>/<str:action>/", views.lead_action, name="lead_action"),
    path("analysis/", views.analysis_list, name="analyses"),
    path("analysis/<int:run_id>/", views.analysis_detail, name="analysis"),
    path("recommendations/<int:rec_id>/", views.recommendation_detail, name="recommendation"),
    path("recommendations/<int:rec_id>/pdf/", views.recommendation_pdf, name="recommendation_pdf"),
]
