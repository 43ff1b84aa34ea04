"""Workbench URLs of deliberation, included by sunlit/workbench/urls.py (namespace "workbench")."""

from django.urls import path

from . import deliberation_views as v

urlpatterns: list = [
    path("deliberation/", v.motion_list, name="deliberation"),
    path("deliberation/motions/new/", v.motion_new, name="deliberation_motion_new"),
    path("deliberation/motions/<int:motion_id>/", v.motion_detail, name="deliberation_motion"),
    path(
        "deliberation/motions/<int:motion_id>/<str:action>/",
        v.motion_action,
        name="deliberation_motion_action",
    ),
    path("deliberation/meetings/", v.meeting_list, name="deliberation_meetings"),
    path("deliberation/meetings/new/", v.meeting_new, name="deliberation_meeting_new"),
    path("deliberation/meetings/<int:meeting_id>/", v.meeting_detail, name="deliberation_meeting"),
    path(
        "deliberation/meetings/<int:meeting_id>/minutes.pdf",
        v.meeting_minutes_pdf,
        name="deliberation_minutes_pdf",
    ),
    path("deliberation/meetings/<int:meeting_id>/scan/", v.meeting_scan, name="deliberation_meeting_scan"),
    path(
        "deliberation/meetings/<int:meeting_id>/<str:action>/",
        v.meeting_action,
        name="deliberation_meeting_action",
    ),
    path(
        "deliberation/resolutions/<int:resolution_id>.pdf",
        v.resolution_pdf,
        name="deliberation_resolution_pdf",
    ),
    path("deliberation/bodies/", v.body_list, name="deliberation_bodies"),
    path("deliberation/bodies/<int:body_id>/", v.body_detail, name="deliberation_body"),
    path("deliberation/duty/", v.duty_dashboard, name="deliberation_duty"),
    path("deliberation/duty/sessions/new/", v.duty_session_new, name="deliberation_duty_new"),
    path("deliberation/duty/sessions/<int:session_id>/", v.duty_session, name="deliberation_duty_session"),
    path(
        "deliberation/duty/sessions/<int:session_id>/<str:action>/",
        v.duty_session,
        name="deliberation_duty_action",
    ),
    path("deliberation/scores/", v.scores, name="deliberation_scores"),
]
