from django.urls import path

from . import (
    accountability_urls,
    alert_views,
    case_views,
    complaints_urls,
    deliberation_urls,
    disclosure_urls,
    finance_urls,
    views,
)

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

urlpatterns += [
    path("cases/", case_views.case_list, name="cases"),
    path("cases/todo/", case_views.todo, name="todo"),
    path("cases/start/", case_views.case_start, name="case_start"),
    path("cases/<int:case_id>/", case_views.case_detail, name="case"),
    path("cases/<int:case_id>/documents/", case_views.document_upload, name="case_upload"),
    path(
        "cases/<int:case_id>/documents/<int:document_id>/",
        case_views.document_download,
        name="case_document",
    ),
    path("cases/<int:case_id>/complete/", case_views.step_complete, name="case_complete"),
    path(
        "cases/<int:case_id>/objections/<int:objection_id>/answer/",
        case_views.objection_answer,
        name="case_objection_answer",
    ),
    path("cases/<int:case_id>/terminate/", case_views.case_terminate, name="case_terminate"),
]

urlpatterns += [
    path("alerts/", alert_views.alert_list, name="alerts"),
    path("alerts/dashboard/", alert_views.alert_dashboard, name="alert_dashboard"),
    path("alerts/rules/", alert_views.rule_settings, name="alert_rules"),
    path("alerts/<int:alert_id>/", alert_views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/<str:action>/", alert_views.alert_action, name="alert_action"),
]


# Each domain's pages live in their own modules (<app>_urls.py, <app>_views.py).
for _module in (disclosure_urls, deliberation_urls, finance_urls, complaints_urls, accountability_urls):
    urlpatterns += _module.urlpatterns
