from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("catalogs/", views.catalogs, name="catalogs"),
    path("catalogs/<int:catalog_id>/", views.catalog_detail, name="catalog"),
    path("catalogs/<int:catalog_id>/<str:action>/", views.catalog_action, name="catalog_action"),
    path("catalogs/<int:catalog_id>/items/<str:item_code>/flow/", views.flow_editor, name="flow_editor"),
    path("regions/<str:code>/catalog/", views.region_catalog, name="region_catalog"),
]
