"""Open311 GeoReport v2 endpoints under /open311/v2/ (namespace "open311")."""

from django.urls import re_path

from . import open311

app_name = "open311"
urlpatterns = [
    re_path(r"^services\.(?P<fmt>[a-z]+)$", open311.services_list, name="services"),
    re_path(r"^services/(?P<code>[a-z_]+)\.(?P<fmt>[a-z]+)$", open311.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>[a-z]+)$", open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<code>[0-9A-Za-z]+)\.(?P<fmt>[a-z]+)$", open311.request_detail, name="request"),
]
