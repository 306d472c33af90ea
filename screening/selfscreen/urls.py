"""Teacher routes of self-screening, included by ``screening/urls.py`` (namespace ``screening``)."""

from django.urls import path

from screening.selfscreen import views

urlpatterns = [
    path("", views.selfscreen_codes, name="selfscreen_codes"),
]
