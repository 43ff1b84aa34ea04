from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/home.html", {})


def login_view(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/login.html", {})
