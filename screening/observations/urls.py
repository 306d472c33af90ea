from django.urls import path

from screening.observations import views

# Included from ``screening/urls.py`` under "observations/": the namespace stays ``screening``.
urlpatterns = [
    path("report/", views.observation_report, name="observation_report"),
    path("report/students/<int:pk>/", views.observation_report, name="observation_report_student"),
    path("mine/", views.observation_mine, name="observation_mine"),
    path("queue/", views.observation_queue, name="observation_queue"),
    path("<int:pk>/", views.observation_review, name="observation_review"),
]
