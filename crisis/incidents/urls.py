from django.urls import path

from crisis.incidents import views

# Included from ``crisis/urls.py`` under "incidents/": the namespace stays ``crisis``.
urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("report/", views.incident_report, name="incident_report"),
    path("<int:pk>/", views.incident_detail, name="incident_detail"),
    path("<int:pk>/steps/<str:step>/", views.incident_step, name="incident_step"),
    path(
        "<int:pk>/steps/<str:step>/not-needed/",
        views.incident_step_not_needed,
        name="incident_step_not_needed",
    ),
    path("<int:pk>/actions/", views.incident_action_add, name="incident_action_add"),
    path("<int:pk>/bureau/", views.incident_clear_for_bureau, name="incident_clear_for_bureau"),
]
