"""Portal URLs of disclosure, included by sunlit/portal/urls.py (namespace "portal")."""

from django.urls import path

from . import disclosure_views as views

urlpatterns: list = [
    path("r/<str:code>/d/<str:module>/", views.module_list, name="disclosure_module"),
    path("r/<str:code>/feed.atom", views.village_feed, name="village_feed"),
    path("r/<str:code>/d/<str:module>/feed.atom", views.module_feed, name="module_feed"),
    path("d/<str:code>/", views.disclosure_page, name="disclosure"),
    path("d/<str:code>/v<int:number>/", views.version_page, name="disclosure_version"),
    path(
        "d/<str:code>/v<int:number>/files/<int:position>/",
        views.attachment_download,
        name="disclosure_attachment",
    ),
    path("d/<str:code>/print.pdf", views.disclosure_pdf, name="disclosure_pdf"),
    path("search/", views.search, name="disclosure_search"),
    path("my-funds/", views.my_funds, name="my_funds"),
]
