from django.urls import path

from . import (
    accountability_urls,
    case_views,
    complaints_urls,
    deliberation_urls,
    disclosure_urls,
    finance_urls,
    views,
)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("r/<str:code>/", views.region_page, name="region"),
    path("r/<str:code>/items/<str:item_code>/", views.village_item, name="village_item"),
    path("geo/<str:code>.json", views.geo, name="geo"),
    path("catalogs/<int:catalog_id>/", views.catalog_page, name="catalog"),
    path("catalogs/<int:catalog_id>/items/<int:item_id>/", views.catalog_item, name="catalog_item"),
    path("catalogs/<int:catalog_id>/heatmap/", views.heatmap, name="heatmap"),
    path("track/", case_views.track, name="track"),
    path("objections/", case_views.objection_lookup, name="objection_lookup"),
    path("notices/<str:code>/", case_views.notice, name="notice"),
]


# Each domain's pages live in their own modules (<app>_urls.py, <app>_views.py).
for _module in (disclosure_urls, deliberation_urls, finance_urls, complaints_urls, accountability_urls):
    urlpatterns += _module.urlpatterns
