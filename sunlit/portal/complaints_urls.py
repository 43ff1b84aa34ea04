"""Portal URLs of complaints, included by sunlit/portal/urls.py (namespace "portal")."""

from django.urls import path

from . import complaints_views

urlpatterns = [
    path("complaints/", complaints_views.complaint_list, name="complaints"),
    path("complaints/new/", complaints_views.complaint_new, name="complaint_new"),
    path("complaints/verify/", complaints_views.complaint_verify, name="complaint_verify"),
    path("complaints/follow/", complaints_views.complaint_follow, name="complaint_follow"),
]
