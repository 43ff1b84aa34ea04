"""Portal URLs of finance, included by sunlit/portal/urls.py (namespace "portal")."""

from django.urls import path

from . import finance_views as v

urlpatterns: list = [
    path("r/<str:code>/finance/", v.village_finance, name="finance_village"),
    path("r/<str:code>/finance/<str:month>/", v.statement, name="finance_statement"),
    path("r/<str:code>/contracts/<int:contract_id>/", v.contract, name="finance_contract"),
]
