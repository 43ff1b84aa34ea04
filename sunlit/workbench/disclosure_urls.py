"""Workbench URLs of disclosure, included by sunlit/workbench/urls.py (namespace "workbench")."""

from django.urls import path

from . import disclosure_views as views

urlpatterns: list = [
    path("disclosures/", views.disclosure_list, name="disclosures"),
    path("disclosures/new/", views.disclosure_publish, name="disclosure_publish"),
    path("disclosures/schedules/", views.disclosure_schedules, name="disclosure_schedules"),
    path(
        "disclosures/schedules/<str:region_code>/",
        views.disclosure_schedule_edit,
        name="disclosure_schedule_edit",
    ),
    path("disclosures/contacts/<str:village_code>/", views.disclosure_contact, name="disclosure_contact"),
    path("disclosures/<str:code>/", views.disclosure_detail, name="disclosure"),
    path("disclosures/<str:code>/correct/", views.disclosure_correct, name="disclosure_correct"),
    path("disclosures/<str:code>/redact/", views.disclosure_redact, name="disclosure_redact"),
    path("disclosures/<str:code>/withdraw/", views.disclosure_withdraw, name="disclosure_withdraw"),
    path(
        "disclosures/<str:code>/v<int:number>/original/",
        views.disclosure_original,
        name="disclosure_original",
    ),
    path(
        "disclosures/<str:code>/v<int:number>/attachments/<int:position>/",
        views.disclosure_attachment,
        name="disclosure_attachment",
    ),
]
