"""Workbench URLs of complaints, included by sunlit/workbench/urls.py (namespace "workbench")."""

from django.urls import path

from . import complaints_views

urlpatterns = [
    path("complaints/", complaints_views.inbox, name="complaints"),
    path("complaints/new/", complaints_views.intake, name="complaint_intake"),
    path("complaints/statistics/", complaints_views.stats, name="complaint_stats"),
    path("complaints/export.csv", complaints_views.export, name="complaint_export"),
    path("complaints/<int:complaint_id>/", complaints_views.detail, name="complaint"),
    path("complaints/<int:complaint_id>/reporter/", complaints_views.reveal, name="complaint_reveal"),
    path(
        "complaints/<int:complaint_id>/attachments/<int:attachment_id>/",
        complaints_views.attachment,
        name="complaint_attachment",
    ),
    path("complaints/<int:complaint_id>/<str:name>/", complaints_views.action, name="complaint_action"),
]
