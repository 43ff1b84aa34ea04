"""Portal URLs of deliberation, included by sunlit/portal/urls.py (namespace "portal")."""

from django.urls import path

from . import deliberation_views as v

urlpatterns: list = [
    path("r/<str:code>/decisions/", v.decisions, name="deliberation_decisions"),
    path("r/<str:code>/decisions/<int:publication_id>/", v.publication, name="deliberation_publication"),
    path("r/<str:code>/meetings/", v.meetings, name="deliberation_meetings"),
    path("r/<str:code>/meetings.ics", v.meetings_ics, name="deliberation_meetings_ics"),
]
