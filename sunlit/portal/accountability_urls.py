"""Portal URLs of accountability, included by sunlit/portal/urls.py (namespace "portal")."""

from django.urls import path

from . import accountability_views as v

urlpatterns: list = [
    path("r/<str:code>/naming/", v.naming_list, name="naming"),
    path("r/<str:code>/naming/<int:notice_id>/", v.naming_detail, name="naming_notice"),
]
