"""Student routes at the short address printed on the slips: ``/screening/s/``."""

from django.urls import path

from screening.selfscreen import views

urlpatterns = [
    path("", views.selfscreen_start, name="selfscreen_start"),
    path("answer/", views.selfscreen_answer, name="selfscreen_answer"),
    path("done/", views.selfscreen_done, name="selfscreen_done"),
]
